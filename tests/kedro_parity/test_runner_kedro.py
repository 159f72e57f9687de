"""Kedro's runner tests (``tests/runner/test_sequential_runner.py``, ``test_thread_runner.py``,
``test_parallel_runner.py``, ``test_run_generator_node.py``) against ``proj_tui.runner``. The
sequential cases run on every runner, as Kedro repeats them per runner. Each test names the Kedro
test it comes from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework.hooks import new_hook_manager
from proj_tui.io import AbstractDataset, DataCatalog, DatasetError, JSONDataset, MemoryDataset
from proj_tui.pipeline import Pipeline, node, pipeline
from proj_tui.runner import ParallelRunner, SequentialRunner, ThreadRunner
from proj_tui.runner.base import AbstractRunner


def source():
    return "stuff"


def identity(x):
    return x


def sink(x):
    return None


def fan_in(*args):
    return args


def return_none(x):
    return None


def generate_one():
    yield from range(10)


def generate_tuple():
    for i in range(10):
        yield i, i * i


def generate_list():
    for i in range(10):
        yield [i, i * i]


def generate_dict():
    for i in range(10):
        yield {"idx": i, "square": i * i}


RUNNERS = [
    pytest.param(SequentialRunner, id="sequential"),
    pytest.param(lambda: ThreadRunner(max_workers=2), id="thread"),
    pytest.param(lambda: ParallelRunner(max_workers=2), id="parallel"),
]


@pytest.fixture(params=RUNNERS)
def runner(request) -> AbstractRunner:
    return request.param()


@pytest.fixture
def fan_out_fan_in() -> Pipeline:
    return Pipeline(
        [
            node(identity, "A", "B", name="b"),
            node(identity, "B", "C", name="c"),
            node(identity, "B", "D", name="d"),
            node(identity, "B", "E", name="e"),
            node(fan_in, ["C", "D", "E"], "Z", name="z"),
        ]
    )


@pytest.fixture
def branchless() -> Pipeline:
    return Pipeline(
        [node(identity, "ds1", "ds2", name="n1"), node(identity, "ds2", "ds3", name="n2")]
    )


class LoggingDataset(AbstractDataset):
    """Records loads and releases, as Kedro's runner tests do."""

    def __init__(self, log: list[tuple[str, str]], name: str, value: Any = None) -> None:
        self.log = log
        self.name = name
        self.value = value

    def _load(self) -> Any:
        self.log.append(("load", self.name))
        return self.value

    def _save(self, data: Any) -> None:
        self.value = data

    def _release(self) -> None:
        self.log.append(("release", self.name))
        self.value = None

    def _describe(self) -> dict[str, Any]:
        return {}


class ConfirmableDataset(MemoryDataset):
    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.confirmed = 0

    def confirm(self) -> None:
        self.confirmed += 1


class RecordingDataset(AbstractDataset):
    """Keeps every value saved to it, to see a generator's chunks arrive one by one."""

    def __init__(self) -> None:
        self.saved: list[Any] = []

    def _load(self) -> Any:
        return self.saved[-1]

    def _save(self, data: Any) -> None:
        self.saved.append(data)

    def _describe(self) -> dict[str, Any]:
        return {}


class TestValidRunner:
    def test_run_with_plugin_manager(self, runner, fan_out_fan_in):
        """test_sequential_runner.py::TestValidSequentialRunner::test_run_with_plugin_manager"""
        result = runner.run(
            fan_out_fan_in, DataCatalog(raw_data={"A": 42}), hook_manager=new_hook_manager()
        )
        assert "Z" in result
        assert result["Z"].load() == (42, 42, 42)

    def test_run_without_plugin_manager(self, runner, fan_out_fan_in):
        """test_sequential_runner.py::TestValidSequentialRunner::test_run_without_plugin_manager"""
        assert runner.run(fan_out_fan_in, DataCatalog(raw_data={"A": 42}))["Z"].load() == (
            42,
            42,
            42,
        )

    def test_no_input_seq(self, runner):
        """test_sequential_runner.py::TestSeqentialRunnerBranchlessPipeline::test_no_input_seq"""
        p = Pipeline([node(source, None, "A", name="a"), node(identity, "A", "E", name="e")])
        outputs = runner.run(p, DataCatalog())
        assert list(outputs) == ["E"]

    def test_no_datasets(self, runner, branchless):
        """...::TestSeqentialRunnerBranchlessPipeline::test_no_datasets"""
        outputs = runner.run(branchless, DataCatalog(raw_data={"ds1": 42}))
        assert outputs["ds3"].load() == 42

    def test_no_feed(self, runner, branchless):
        """...::TestSeqentialRunnerBranchlessPipeline::test_no_feed"""
        catalog = DataCatalog({"ds1": MemoryDataset({"data": 42})})
        assert runner.run(branchless, catalog)["ds3"].load()["data"] == 42

    def test_node_returning_none(self, runner):
        """...::TestSeqentialRunnerBranchlessPipeline::test_node_returning_none"""
        p = Pipeline([node(return_none, "ds1", "ds2", name="n")])
        with pytest.raises(DatasetError, match=r"Saving None"):
            runner.run(p, DataCatalog(raw_data={"ds1": 1}))

    def test_result_saved_and_returned_as_dataset(self, runner, tmp_path: Path):
        """...::test_result_saved_not_returned (Kedro 1.x returns the dataset itself)"""
        p = Pipeline([node(identity, "ds", "dsX", name="n")])
        catalog = DataCatalog(
            {"dsX": JSONDataset(filepath=str(tmp_path / "x.json"))}, raw_data={"ds": 0}
        )
        output = runner.run(p, catalog)
        assert output == {"dsX": catalog["dsX"]}
        assert json.loads((tmp_path / "x.json").read_text()) == 0

    def test_unsatisfied_inputs(self, runner, branchless):
        """test_sequential_runner.py::TestSequentialRunnerBranchedPipeline::test_unsatisfied_inputs"""
        with pytest.raises(ValueError, match=r"not in the catalog"):
            runner.run(branchless, DataCatalog())

    def test_conflict_feed_catalog(self, runner, branchless):
        """...::TestSequentialRunnerBranchedPipeline::test_conflict_feed_catalog"""
        catalog = DataCatalog(raw_data={"ds1": 1})
        catalog.add_feed_dict({"ds1": 0}, replace=True)
        assert runner.run(branchless, catalog)["ds3"].load() == 0

    def test_empty_pipeline(self, runner):
        """test_sequential_runner.py::test_empty_pipeline"""
        assert runner.run(Pipeline([]), DataCatalog()) == {}


class TestRelease:
    """test_sequential_runner.py::TestSequentialRunnerRelease (sequential: the order is fixed)"""

    def test_dont_release_inputs_and_outputs(self):
        """...::test_dont_release_inputs_and_outputs"""
        log: list[tuple[str, str]] = []
        p = pipeline(
            [node(identity, "in", "middle", name="a"), node(identity, "middle", "out", name="b")]
        )
        catalog = DataCatalog(
            {
                "in": LoggingDataset(log, "in", "stuff"),
                "middle": LoggingDataset(log, "middle"),
                "out": LoggingDataset(log, "out"),
            }
        )
        SequentialRunner().run(p, catalog)
        assert log == [("load", "in"), ("load", "middle"), ("release", "middle")]

    def test_release_at_earliest_opportunity(self):
        """...::test_release_at_earliest_opportunity"""
        log: list[tuple[str, str]] = []
        p = pipeline(
            [
                node(source, None, "first", name="a"),
                node(identity, "first", "second", name="b"),
                node(sink, "second", None, name="c"),
            ]
        )
        catalog = DataCatalog(
            {"first": LoggingDataset(log, "first"), "second": LoggingDataset(log, "second")}
        )
        SequentialRunner().run(p, catalog)
        assert log == [
            ("load", "first"),
            ("release", "first"),
            ("load", "second"),
            ("release", "second"),
        ]

    def test_count_multiple_loads(self):
        """...::test_count_multiple_loads"""
        log: list[tuple[str, str]] = []
        p = pipeline(
            [
                node(source, None, "dataset", name="a"),
                node(sink, "dataset", None, name="bob"),
                node(sink, "dataset", None, name="fred"),
            ]
        )
        SequentialRunner().run(p, DataCatalog({"dataset": LoggingDataset(log, "dataset")}))
        assert log == [("load", "dataset"), ("load", "dataset"), ("release", "dataset")]

    def test_release_transcoded(self):
        """...::test_release_transcoded"""
        log: list[tuple[str, str]] = []
        p = pipeline(
            [node(source, None, "ds@save", name="a"), node(sink, "ds@load", None, name="b")]
        )
        catalog = DataCatalog(
            {"ds@save": LoggingDataset(log, "save"), "ds@load": LoggingDataset(log, "load")}
        )
        SequentialRunner().run(p, catalog)
        assert log == [("release", "save"), ("load", "load"), ("release", "load")]

    @pytest.mark.parametrize(
        "pipe",
        [
            Pipeline([node(identity, "ds1", "ds2", name="a", confirms="ds1")]),
            Pipeline(
                [
                    node(identity, "ds1", "ds2", name="a"),
                    node(sink, "ds2", None, name="b", confirms="ds1"),
                ]
            ),
        ],
        ids=["own_input", "upstream_dataset"],
    )
    def test_confirms(self, runner, pipe):
        """...::test_confirms (Kedro calls dataset.confirm() once the node ran)"""
        dataset = ConfirmableDataset("x")
        runner.run(pipe, DataCatalog({"ds1": dataset}))
        assert dataset.confirmed == 1

    def test_confirms_a_dataset_without_confirm(self):
        """test_data_catalog.py::test_confirm_errors (via a node's confirms=)"""
        p = Pipeline([node(identity, "ds1", "ds2", name="a", confirms="ds1")])
        with pytest.raises(DatasetError, match=r"does not have 'confirm' method"):
            SequentialRunner().run(p, DataCatalog(raw_data={"ds1": 1}))


class TestGeneratorNodes:
    """test_run_generator_node.py::TestRunGeneratorNode (chunks are saved one by one)"""

    def test_generator_node_one(self, runner):
        """...::test_generator_node_one"""
        result = RecordingDataset()
        runner.run(
            Pipeline([node(generate_one, None, "result", name="g")]),
            DataCatalog({"result": result}),
        )
        assert result.saved == list(range(10))

    @pytest.mark.parametrize(
        ("func", "outputs"),
        [
            (generate_tuple, ["left", "right"]),
            (generate_list, ["left", "right"]),
            (generate_dict, {"idx": "left", "square": "right"}),
        ],
        ids=["tuple", "list", "dict"],
    )
    def test_generator_node_many_outputs(self, runner, func, outputs):
        """...::test_generator_node_tuple / _list / _dict"""
        left, right = RecordingDataset(), RecordingDataset()
        runner.run(
            Pipeline([node(func, None, outputs, name="g")]),
            DataCatalog({"left": left, "right": right}),
        )
        assert left.saved == list(range(10))
        assert right.saved == [i * i for i in range(10)]

    def test_memory_output_keeps_the_last_chunk(self):
        """A MemoryDataset holds one value: after the stream it is the last chunk (as Kedro)."""
        result = SequentialRunner().run(
            Pipeline([node(generate_one, None, "r", name="g")]), DataCatalog()
        )
        assert result["r"].load() == 9


class TestRunResult:
    """Kedro 1.x ``AbstractRunner.run`` returns every free output as a dataset, unloaded."""

    def test_includes_memory_datasets(self, runner):
        """test_sequential_runner.py::TestMemoryDatasetBehaviour::test_run_includes_memory_datasets"""
        p = Pipeline([node(identity, "in", "mem", name="a"), node(identity, "in", "reg", name="b")])
        registered = MemoryDataset()
        output = runner.run(p, DataCatalog({"reg": registered, "in": MemoryDataset(1)}))
        assert set(output) == {"mem", "reg"}
        assert output["reg"] is registered
        assert all(isinstance(ds, AbstractDataset) for ds in output.values())

    def test_only_free_outputs(self, runner, fan_out_fan_in):
        """test_sequential_runner.py::test_input_seq (outputs() only, not intermediates)"""
        assert set(runner.run(fan_out_fan_in, DataCatalog(raw_data={"A": 1}))) == {"Z"}

    def test_values_are_not_loaded_by_the_runner(self, tmp_path: Path):
        """Kedro 1.x: "we do not load datasets data" — a persisted output is not read back."""
        log: list[tuple[str, str]] = []
        p = Pipeline([node(identity, "a", "out", name="n")])
        SequentialRunner().run(
            p, DataCatalog({"out": LoggingDataset(log, "out")}, raw_data={"a": 1})
        )
        assert ("load", "out") not in log


class PidDataset(AbstractDataset):
    """Loads the id of the process that loads it."""

    def _load(self) -> Any:
        import os

        return os.getpid()

    def _save(self, data: Any) -> None:
        raise AssertionError("never saved")

    def _describe(self) -> dict[str, Any]:
        return {}


@pytest.mark.xfail(
    strict=True,
    reason="on purpose: ParallelRunner loads and saves in the parent and runs only the function "
    "in a worker, so in-memory datasets and hooks work without a shared-memory catalog "
    "(docs/architecture.md)",
)
def test_parallel_runner_loads_inputs_in_the_worker():
    """test_parallel_runner.py::TestParallelRunner::test_memory_dataset_input (where I/O runs)"""
    import os

    p = Pipeline([node(identity, "pid", "out", name="n")])
    result = ParallelRunner(max_workers=1).run(p, DataCatalog({"pid": PidDataset()}))
    assert result["out"].load() != os.getpid()


@pytest.mark.xfail(
    strict=True,
    reason="on purpose: no is_async flag; loading one node's inputs in threads costs a thread "
    "pool per node and rarely helps. Use ThreadRunner for I/O-bound pipelines "
    "(docs/architecture.md)",
)
def test_is_async_flag():
    """test_sequential_runner.py::TestSeqentialRunnerBranchlessPipeline[is_async=True]"""
    SequentialRunner(is_async=True)  # type: ignore[call-arg]
