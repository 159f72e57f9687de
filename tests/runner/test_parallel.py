"""Thread and process runners.

Process-runner nodes use standard-library functions (``operator``, ``math``) so they pickle
by reference under any start method, whatever module name pytest gives this file.
"""

from __future__ import annotations

import logging
import math
import operator
import threading
from typing import Any

import pytest

from proj_tui.framework.hooks import hook_impl, new_hook_manager
from proj_tui.io import DataCatalog, JSONDataset, MemoryDataset
from proj_tui.pipeline import Pipeline, node
from proj_tui.runner import (
    ParallelRunner,
    RunCancelled,
    RunnerError,
    SequentialRunner,
    ThreadRunner,
)

from helpers import NodeEvents


def loaded(result: dict[str, Any]) -> dict[str, Any]:
    """A run returns datasets (Kedro 1.x); compare the values they hold."""
    return {name: dataset.load() for name, dataset in result.items()}


def diamond_of(func_pair, func_single) -> Pipeline:
    return Pipeline(
        [
            node(func_single, "a", "b", name="left"),
            node(func_single, "a", "c", name="right"),
            node(func_pair, ["b", "c"], "d", name="join"),
            node(func_single, "d", "e", name="tail"),
        ]
    )


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []

    def add(self, name: str, what: str) -> None:
        with self.lock:
            self.calls.append((name, what))

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, session_id):
        self.add("before_node_run", node.name)

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, session_id):
        self.add("after_node_run", node.name)

    @hook_impl
    def on_node_error(self, error, node, catalog, inputs, is_async, session_id):
        self.add("on_node_error", node.name)

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node):
        self.add("after_dataset_saved", dataset_name)


def manager_with(plugin: object):
    manager = new_hook_manager()
    manager.register(plugin)
    return manager


class TestThreadRunner:
    def test_same_result_as_sequential(self):
        pipe = diamond_of(operator.add, operator.neg)
        expected = SequentialRunner().run(pipe, DataCatalog(raw_data={"a": 3}))
        threaded = ThreadRunner(max_workers=3).run(pipe, DataCatalog(raw_data={"a": 3}))
        assert loaded(threaded) == loaded(expected) == {"e": 6}

    def test_independent_nodes_run_at_the_same_time(self):
        barrier = threading.Barrier(2, timeout=10)

        def meet(x):
            barrier.wait()  # only returns when both branches are running concurrently
            return x

        pipe = diamond_of(operator.add, meet)
        pipe = Pipeline(
            [
                node(meet, "a", "b", name="left"),
                node(meet, "a", "c", name="right"),
                node(operator.add, ["b", "c"], "d", name="join"),
            ]
        )
        assert loaded(ThreadRunner(max_workers=2).run(pipe, DataCatalog(raw_data={"a": 1}))) == {
            "d": 2
        }

    def test_failure_stops_new_nodes_and_fires_hooks(self, caplog):
        recorder = Recorder()
        pipe = diamond_of(operator.add, math.sqrt)
        with (
            caplog.at_level(logging.WARNING, logger="proj_tui.runner"),
            pytest.raises(ValueError, match=r"math domain error"),
        ):
            ThreadRunner(max_workers=1).run(
                pipe, DataCatalog(raw_data={"a": -1}), hook_manager=manager_with(recorder)
            )
        assert ("on_node_error", "left") in recorder.calls
        assert ("before_node_run", "join") not in recorder.calls
        # the first node failed, so nothing ran: no "resume from" report, the command is the same
        assert "did not run" not in caplog.text

    def test_cancel(self):
        cancel = threading.Event()

        def then(event, node):
            if event == "node_finished":
                cancel.set()

        stop = NodeEvents(then)
        pipe = diamond_of(operator.add, operator.neg)
        with pytest.raises(RunCancelled) as info:
            ThreadRunner(max_workers=1).run(
                pipe, DataCatalog(raw_data={"a": 1}), cancel=cancel, listener=stop
            )
        assert info.value.done == ["left"]
        assert "tail" in info.value.not_run

    def test_memory_is_released(self):
        released = MemoryDataset()
        pipe = diamond_of(operator.add, operator.neg)
        ThreadRunner(max_workers=2).run(pipe, DataCatalog({"b": released}, raw_data={"a": 1}))
        assert not released.exists()

    def test_bad_max_workers(self):
        with pytest.raises(RunnerError, match=r"max_workers must be a positive integer"):
            ThreadRunner(max_workers=0)


class TestParallelRunner:
    def test_runs_in_processes_with_memory_datasets_and_hooks(self, tmp_path):
        recorder = Recorder()
        pipe = diamond_of(operator.add, operator.neg)
        catalog = DataCatalog(
            {"e": JSONDataset(filepath=str(tmp_path / "e.json"))}, raw_data={"a": 5}
        )
        listener = NodeEvents()
        result = ParallelRunner(max_workers=2).run(
            pipe, catalog, hook_manager=manager_with(recorder), listener=listener
        )
        assert result == {"e": catalog["e"]}
        assert (tmp_path / "e.json").read_text().strip() == "10"
        assert sorted(listener.names("node_finished")) == ["join", "left", "right", "tail"]
        assert ("after_node_run", "tail") in recorder.calls
        assert ("after_dataset_saved", "d") in recorder.calls

    def test_returns_free_memory_outputs(self):
        pipe = diamond_of(operator.add, operator.neg)
        assert loaded(ParallelRunner(max_workers=2).run(pipe, DataCatalog(raw_data={"a": 2}))) == {
            "e": 4
        }

    def test_node_error_from_worker_is_raised(self):
        recorder = Recorder()
        pipe = diamond_of(operator.add, math.sqrt)
        with pytest.raises(ValueError, match=r"math domain error"):
            ParallelRunner(max_workers=2).run(
                pipe, DataCatalog(raw_data={"a": -4}), hook_manager=manager_with(recorder)
            )
        assert ("on_node_error", "left") in recorder.calls or (
            "on_node_error",
            "right",
        ) in recorder.calls

    def test_unpicklable_function_is_named(self):
        pipe = Pipeline([node(lambda x: x, "a", "b", name="lambda_node")])
        with pytest.raises(RunnerError) as info:
            ParallelRunner(max_workers=1).run(pipe, DataCatalog(raw_data={"a": 1}))
        message = str(info.value)
        assert "Node 'lambda_node'" in message
        assert "function '" in message and "<lambda>" in message
        assert "module level" in message

    def test_unpicklable_input_is_named(self):
        pipe = Pipeline([node(operator.not_, "lock", "b", name="reads_lock")])
        with pytest.raises(RunnerError, match=r"Node 'reads_lock'.*input dataset 'lock'"):
            ParallelRunner(max_workers=1).run(
                pipe, DataCatalog(raw_data={"lock": threading.Lock()})
            )

    def test_unpicklable_output_is_named(self):
        pipe = Pipeline([node(threading.Lock, None, "made_lock", name="makes_lock")])
        with pytest.raises(RunnerError, match=r"Node 'makes_lock'.*output dataset 'made_lock'"):
            ParallelRunner(max_workers=1).run(pipe, DataCatalog())

    def test_spawn_start_method(self):
        pipe = Pipeline([node(operator.neg, "a", "b", name="neg")])
        runner = ParallelRunner(max_workers=1, mp_context="spawn")
        assert loaded(runner.run(pipe, DataCatalog(raw_data={"a": 1}))) == {"b": -1}

    def test_unknown_start_method(self):
        with pytest.raises(RunnerError, match=r"Unknown multiprocessing start method 'teleport'"):
            ParallelRunner(mp_context="teleport")


def test_all_runners_agree_on_a_wide_pipeline():
    nodes: list[Any] = [node(operator.neg, "x", f"n{i}", name=f"neg{i}") for i in range(20)]
    nodes.append(node(max, [f"n{i}" for i in range(20)], "m", name="max"))
    pipe = Pipeline(nodes)
    results = [
        loaded(runner.run(pipe, DataCatalog(raw_data={"x": 3})))
        for runner in (SequentialRunner(), ThreadRunner(4), ParallelRunner(2))
    ]
    assert results == [{"m": -3}] * 3
