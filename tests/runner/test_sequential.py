from __future__ import annotations

import cProfile
import json
import logging
import pstats
import threading
from typing import Any

import pytest

from proj_tui.framework.hooks import hook_impl, new_hook_manager
from proj_tui.io import DataCatalog, JSONDataset, MemoryDataset
from proj_tui.pipeline import Pipeline, node
from proj_tui.runner import RunCancelled, RunnerError, SequentialRunner
from proj_tui.runner.base import _Hooks

from helpers import NodeEvents


def loaded(result: dict[str, Any]) -> dict[str, Any]:
    """A run returns datasets (Kedro 1.x); compare the values they hold."""
    return {name: dataset.load() for name, dataset in result.items()}


def double(x):
    return x * 2


def add(a, b):
    return a + b


def boom(x):
    raise ValueError(f"bad value {x}")


@pytest.fixture
def chain() -> Pipeline:
    return Pipeline(
        [
            node(double, "a", "b", name="n1"),
            node(double, "b", "c", name="n2"),
            node(add, ["c", "b"], "d", name="n3"),
        ]
    )


class Recorder:
    """A real pluggy plugin that records every node and dataset hook call."""

    def __init__(self, replace: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replace = replace

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, session_id):
        self.calls.append(
            ("before_node_run", {"node": node.name, "inputs": dict(inputs), "sid": session_id})
        )
        if self.replace and node.name == "n1":
            return self.replace
        return None

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, session_id):
        self.calls.append(("after_node_run", {"node": node.name, "outputs": dict(outputs)}))

    @hook_impl
    def on_node_error(self, error, node, catalog, inputs, is_async, session_id):
        self.calls.append(("on_node_error", {"node": node.name, "error": error}))

    @hook_impl
    def before_dataset_loaded(self, dataset_name, node):
        self.calls.append(("before_dataset_loaded", {"name": dataset_name, "node": node.name}))

    @hook_impl
    def after_dataset_loaded(self, dataset_name, data, node):
        self.calls.append(("after_dataset_loaded", {"name": dataset_name, "data": data}))

    @hook_impl
    def before_dataset_saved(self, dataset_name, data, node):
        self.calls.append(("before_dataset_saved", {"name": dataset_name, "data": data}))

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node):
        self.calls.append(("after_dataset_saved", {"name": dataset_name, "data": data}))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def manager_with(*plugins: object):
    manager = new_hook_manager()
    for plugin in plugins:
        manager.register(plugin)
    return manager


class TestRun:
    def test_returns_free_outputs_not_in_catalog(self, chain):
        result = SequentialRunner().run(chain, DataCatalog(raw_data={"a": 1}))
        assert loaded(result) == {"d": 6}

    def test_registered_outputs_are_saved_and_returned_as_their_dataset(self, chain, tmp_path):
        catalog = DataCatalog(
            {"d": JSONDataset(filepath=str(tmp_path / "d.json"))}, raw_data={"a": 1}
        )
        assert SequentialRunner().run(chain, catalog) == {"d": catalog["d"]}
        assert json.loads((tmp_path / "d.json").read_text()) == 6

    def test_catalog_is_not_given_new_datasets(self, chain):
        catalog = DataCatalog(raw_data={"a": 1})
        SequentialRunner().run(chain, catalog)
        assert catalog.keys() == ["a"]

    def test_missing_inputs_fail_before_anything_runs(self, tmp_path):
        out = tmp_path / "out.json"
        pipe = Pipeline(
            [
                node(double, "a", "b", name="first"),
                node(add, ["b", "missing_x"], "c", name="second"),
                node(add, ["missing_x", "missing_y"], "e", name="third"),
                node(double, "raw", "out", name="writer"),
            ]
        )
        catalog = DataCatalog(
            {"out": JSONDataset(filepath=str(out)), "missing_xx": MemoryDataset(1)},
            raw_data={"a": 1, "raw": 2},
        )
        with pytest.raises(RunnerError) as info:
            SequentialRunner().run(pipe, catalog)
        message = str(info.value)
        assert f"'missing_x', needed by 'second' at {__file__}:" in message
        assert f"'third' at {__file__}:" in message.split("'missing_x'")[1]
        assert f"'missing_y', needed by 'third' at {__file__}:" in message
        assert "Did you mean 'missing_xx'?" in message
        assert not out.exists()

    def test_node_exception_is_raised_as_is(self):
        pipe = Pipeline([node(boom, "a", "b", name="bad")])
        with pytest.raises(ValueError, match=r"bad value 1"):
            SequentialRunner().run(pipe, DataCatalog(raw_data={"a": 1}))

    def test_wrong_output_shape_names_the_node(self):
        pipe = Pipeline([node(double, "a", ["b", "c"], name="shape")])
        with pytest.raises(Exception, match=r"Node 'shape' declares 2 outputs"):
            SequentialRunner().run(pipe, DataCatalog(raw_data={"a": 1}))

    def test_empty_pipeline(self):
        assert SequentialRunner().run(Pipeline([]), DataCatalog()) == {}


class TestMemoryRelease:
    def test_intermediates_are_released_after_their_last_reader(self, chain):
        seen: dict[str, bool] = {}

        class Probe:
            @hook_impl
            def before_node_run(self, node, catalog, inputs, is_async, session_id):
                seen[node.name] = catalog.exists("b")

        registered_b = MemoryDataset()
        catalog = DataCatalog({"b": registered_b}, raw_data={"a": 1})
        SequentialRunner().run(chain, catalog, hook_manager=manager_with(Probe()))
        # n3 is b's last reader; before it b exists, after it b is released.
        assert seen == {"n1": False, "n2": True, "n3": True}
        assert not registered_b.exists()
        assert catalog.exists("a")  # free inputs are never released

    def test_runner_made_datasets_are_released(self):
        pipe = Pipeline(
            [
                node(double, "a", "b", name="n1"),
                node(double, "b", "c", name="n2"),
                node(double, "c", "d", name="n3"),
            ]
        )
        state: dict[str, bool] = {}

        class Probe:
            @hook_impl
            def before_node_run(self, node, catalog, inputs, is_async, session_id):
                if node.name == "n3":
                    state["b_after_n2"] = catalog.exists("b")
                    state["c_before_n3"] = catalog.exists("c")

        SequentialRunner().run(
            pipe, DataCatalog(raw_data={"a": 1}), hook_manager=manager_with(Probe())
        )
        assert state == {"b_after_n2": False, "c_before_n3": True}


class TestHooks:
    def test_hooks_fire_in_order_with_kedro_arguments(self, chain):
        recorder = Recorder()
        SequentialRunner().run(
            chain,
            DataCatalog(raw_data={"a": 1}),
            hook_manager=manager_with(recorder),
            session_id="sid-1",
        )
        first = recorder.names()[:7]
        assert first == [
            "before_dataset_loaded",
            "after_dataset_loaded",
            "before_node_run",
            "after_node_run",
            "before_dataset_saved",
            "after_dataset_saved",
            "before_dataset_loaded",
        ]
        calls = dict(recorder.calls[:6])
        assert calls["before_dataset_loaded"] == {"name": "a", "node": "n1"}
        assert calls["after_dataset_loaded"] == {"name": "a", "data": 1}
        assert calls["before_node_run"] == {"node": "n1", "inputs": {"a": 1}, "sid": "sid-1"}
        assert calls["after_node_run"] == {"node": "n1", "outputs": {"b": 2}}
        assert calls["after_dataset_saved"] == {"name": "b", "data": 2}

    def test_before_node_run_can_replace_inputs(self, chain):
        recorder = Recorder(replace={"a": 10})
        result = SequentialRunner().run(
            chain, DataCatalog(raw_data={"a": 1}), hook_manager=manager_with(recorder)
        )
        assert loaded(result) == {"d": 60}

    def test_before_node_run_must_return_a_dict(self, chain):
        recorder = Recorder(replace=["nope"])  # type: ignore[arg-type]
        with pytest.raises(RunnerError, match=r"returned list for node 'n1'"):
            SequentialRunner().run(
                chain, DataCatalog(raw_data={"a": 1}), hook_manager=manager_with(recorder)
            )

    def test_on_node_error_gets_the_error_then_it_is_raised(self):
        recorder = Recorder()
        pipe = Pipeline([node(boom, "a", "b", name="bad")])
        with pytest.raises(ValueError) as info:
            SequentialRunner().run(
                pipe, DataCatalog(raw_data={"a": 1}), hook_manager=manager_with(recorder)
            )
        errors = [args for name, args in recorder.calls if name == "on_node_error"]
        assert errors == [{"node": "bad", "error": info.value}]
        assert "after_node_run" not in recorder.names()

    def test_only_implemented_hooks_are_called(self):
        class OnlyAfter:
            @hook_impl
            def after_node_run(self, node, catalog, inputs, outputs, is_async, session_id):
                pass

        hooks = _Hooks(manager_with(OnlyAfter()))
        assert hooks.after_node_run is not None
        assert hooks.before_node_run is None
        assert hooks.before_dataset_loaded is None
        assert _Hooks(None).after_node_run is None


class TestListener:
    def test_events_carry_index_total_and_duration(self, chain):
        listener = NodeEvents()
        SequentialRunner().run(chain, DataCatalog(raw_data={"a": 1}), listener=listener)
        events = [(*e[:4], e[4] is None, e[5]) for e in listener.heard]
        assert events == [
            ("node_started", "n1", 0, 3, True, None),
            ("node_finished", "n1", 0, 3, False, None),
            ("node_started", "n2", 1, 3, True, None),
            ("node_finished", "n2", 1, 3, False, None),
            ("node_started", "n3", 2, 3, True, None),
            ("node_finished", "n3", 2, 3, False, None),
        ]

    def test_failure_event(self):
        listener = NodeEvents()
        pipe = Pipeline([node(boom, "a", "b", name="bad")])
        with pytest.raises(ValueError):
            SequentialRunner().run(pipe, DataCatalog(raw_data={"a": 1}), listener=listener)
        events = listener.heard
        assert [e[0] for e in events] == ["node_started", "node_failed"]
        assert isinstance(events[1][5], ValueError)
        assert events[1][4] is not None and events[1][4] >= 0


class TestCancel:
    def test_cancel_between_nodes(self, chain):
        cancel = threading.Event()

        def then(event, node):
            if event == "node_finished" and node.name == "n1":
                cancel.set()

        listener = NodeEvents(then)
        with pytest.raises(RunCancelled) as info:
            SequentialRunner().run(
                chain, DataCatalog(raw_data={"a": 1}), cancel=cancel, listener=listener
            )
        assert isinstance(info.value, RunnerError)
        assert info.value.done == ["n1"]
        assert info.value.not_run == ["n2", "n3"]
        assert "after 1 of 3 nodes" in str(info.value)

    def test_cancel_before_start(self, chain):
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(RunCancelled):
            SequentialRunner().run(chain, DataCatalog(raw_data={"a": 1}), cancel=cancel)


class TestLogging:
    def test_one_info_line_per_node(self, chain, caplog):
        with caplog.at_level(logging.INFO, logger="proj_tui.runner"):
            SequentialRunner().run(chain, DataCatalog(raw_data={"a": 1}))
        messages = [r.getMessage() for r in caplog.records if r.name == "proj_tui.runner"]
        assert messages == ["Running node: n1", "Running node: n2", "Running node: n3"]

    def test_progress_lines_at_debug(self, chain, caplog):
        with caplog.at_level(logging.DEBUG, logger="proj_tui.runner"):
            SequentialRunner().run(chain, DataCatalog(raw_data={"a": 1}))
        messages = [r.getMessage() for r in caplog.records if r.name == "proj_tui.runner"]
        assert messages[:2] == ["Running node: n1", "Completed 1 out of 3 tasks"]
        assert messages[-1] == "Completed 3 out of 3 tasks"

    def test_failure_logs_unrun_nodes_and_resume_argument(self, tmp_path, caplog):
        pipe = Pipeline(
            [
                node(double, "a", "b", name="n1"),
                node(double, "b", "c", name="n2"),
                node(boom, "c", "d", name="n3"),
                node(double, "d", "e", name="n4"),
            ]
        )
        catalog = DataCatalog(
            {"c": JSONDataset(filepath=str(tmp_path / "c.json"))}, raw_data={"a": 1}
        )
        with caplog.at_level(logging.WARNING, logger="proj_tui.runner"), pytest.raises(ValueError):
            SequentialRunner().run(pipe, catalog)
        warning = next(r for r in caplog.records if r.levelno == logging.WARNING).getMessage()
        assert "2 of 4 nodes did not run: n3, n4." in warning
        assert warning.endswith('--from-nodes "n3"')


def test_per_node_overhead_is_small():
    """5000 trivial nodes in a chain: the runner's work per node is a few dozen calls, and flat.

    Counted as function calls (cProfile's count is the same however busy the machine is);
    benches/run_overhead.py measures the seconds against the budget.
    """

    def calls_per_node(size: int) -> float:
        pipe = Pipeline([node(double, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(size)])
        catalog = DataCatalog(raw_data={"d0": 1})
        profile = cProfile.Profile()
        profile.enable()
        SequentialRunner().run(pipe, catalog, hook_manager=new_hook_manager(), listener=_Quiet())
        profile.disable()
        return pstats.Stats(profile).total_calls / size

    small, big = calls_per_node(500), calls_per_node(5000)
    assert big < 60, big  # the whole per-node path: load, call, save, release, listener
    assert big < small * 1.2, (small, big)  # flat: no step grows with the pipeline's size


class _Quiet:
    """A listener that does nothing: the runner's own cost of having one."""

    def node_started(self, node: object, index: int, total: int) -> None:
        return None

    def node_finished(self, node: object, index: int, total: int, duration: float) -> None:
        return None

    def node_failed(
        self, node: object, index: int, total: int, duration: float, error: BaseException
    ) -> None:
        return None
