"""DaskRunner on real LocalClusters (threads and processes), small pipelines and the demo project.

One cluster of each kind serves the whole module (start-up is the slow part); the runner
connects to it by address, exactly as it would to a remote scheduler. Node functions defined
here travel to process workers by value (cloudpickle), since pytest's module name for this file
is not importable there.
"""

from __future__ import annotations

import _thread
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")
dask = pytest.importorskip("dask")

from proj_tui.framework.hooks import hook_impl, new_hook_manager  # noqa: E402
from proj_tui.framework.session import Session  # noqa: E402
from proj_tui.io import DataCatalog, JSONDataset, MemoryDataset  # noqa: E402
from proj_tui.pipeline import Pipeline, node  # noqa: E402
from proj_tui.runner import (  # noqa: E402
    RunCancelled,
    RunnerError,
    SequentialRunner,
    runner_from_name,
)
from proj_tui.runner.dask_preflight import check_dataset_paths  # noqa: E402
from proj_tui.runner.dask_runner import DaskRunner  # noqa: E402

from helpers import NodeEvents, cli, make_demo  # noqa: E402

if __name__ in sys.modules:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])

log = logging.getLogger("dask_test_nodes")


# -- node functions --------------------------------------------------------------------------


def loaded(result: dict[str, Any]) -> dict[str, Any]:
    """A run returns datasets (Kedro 1.x); compare the values they hold."""
    return {name: dataset.load() for name, dataset in result.items()}


def double(x: int) -> int:
    log.info("doubling %s", x)
    return 2 * x


def add(a: int, b: int) -> int:
    return a + b


def summary(total: int, scale: dict[str, Any]) -> dict[str, Any]:
    return {"total": total, "scaled": total * scale["factor"]}


def boom(x: int) -> int:
    raise ValueError(f"boom on {x}")


def held(x: int, gate: str) -> int:
    """Runs until the test opens ``gate`` (a file), then leaves ``gate + ".done"`` behind.

    A cancelled run must return while this is still running: the test opens the gate only
    after the run is over, so a runner that waited for the node would hang (and time out)
    instead of passing. The wait is bounded so a stuck worker frees itself eventually.
    """
    gate_path = Path(gate)
    for _ in range(1200):  # at most a minute
        if gate_path.exists():
            break
        time.sleep(0.05)
    Path(gate + ".done").touch()
    return x


def small_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(double, "a", "b", name="double_a"),
            node(double, "c", "d", name="double_c"),
            node(add, ["b", "d"], "total", name="add"),
            node(summary, ["total", "params:scale"], "report", name="summary"),
            node(double, "total", "loose_end", name="loose"),
        ]
    )


def small_catalog(folder: Path) -> DataCatalog:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "c.json").write_text("5")
    return DataCatalog(
        {
            "c": JSONDataset(filepath=str(folder / "c.json")),
            "total": JSONDataset(filepath=str(folder / "total.json")),
            "report": JSONDataset(filepath=str(folder / "report.json")),
        },
        raw_data={"a": 3, "params:scale": {"factor": 10}},
    )


class Spy:
    """Records hook calls (in the client process) with the data arguments they received."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def add(self, hook: str, name: str) -> None:
        with self.lock:
            self.calls.append((hook, name))

    @hook_impl
    def before_node_run(self, node, catalog, inputs, is_async, session_id):
        self.add("before_node_run", node.name)

    @hook_impl
    def after_node_run(self, node, catalog, inputs, outputs, is_async, session_id):
        self.add("after_node_run", node.name)
        # In-memory data stays on the workers: hooks get futures, fetched only on demand.
        self.outputs[node.name] = {ds: future.result() for ds, future in outputs.items()}

    @hook_impl
    def on_node_error(self, error, node, catalog, inputs, is_async, session_id):
        self.add("on_node_error", node.name)

    @hook_impl
    def before_dataset_loaded(self, dataset_name, node):
        self.add("before_dataset_loaded", dataset_name)

    @hook_impl
    def after_dataset_saved(self, dataset_name, data, node):
        self.add("after_dataset_saved", dataset_name)


def manager_with(plugin: object) -> Any:
    manager = new_hook_manager()
    manager.register(plugin)
    return manager


# -- clusters ----------------------------------------------------------------------------------


def _cluster(processes: bool) -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def threads_cluster() -> Iterator[str]:
    yield from _cluster(processes=False)


@pytest.fixture(scope="module")
def processes_cluster() -> Iterator[str]:
    yield from _cluster(processes=True)


@pytest.fixture(params=["threads", "processes"])
def address(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_cluster")


# -- small pipelines ---------------------------------------------------------------------------


def test_small_pipeline_matches_sequential(address: str, tmp_path: Path) -> None:
    expected = SequentialRunner().run(small_pipeline(), small_catalog(tmp_path / "seq"))
    listener = NodeEvents()
    result = DaskRunner(address=address).run(
        small_pipeline(), small_catalog(tmp_path / "dask"), listener=listener
    )
    events = [(event, name, duration) for event, name, _, _, duration, _ in listener.heard]
    assert loaded(result) == loaded(expected)
    assert loaded(expected)["loose_end"] == 32
    for name in ("total.json", "report.json"):
        assert json.loads((tmp_path / "dask" / name).read_text()) == json.loads(
            (tmp_path / "seq" / name).read_text()
        )
    finished = {name: duration for event, name, duration in events if event == "node_finished"}
    assert set(finished) == {"double_a", "double_c", "add", "summary", "loose"}
    assert all(d is not None and d >= 0 for d in finished.values())
    started = [name for event, name, _ in events if event == "node_started"]
    assert sorted(started) == sorted(finished)
    for name in finished:  # each node's start is reported before its end
        assert events.index(("node_started", name, None)) < [e[:2] for e in events].index(
            ("node_finished", name)
        )


def test_lambdas_and_closures_run_on_process_workers(processes_cluster: str) -> None:
    offset = 7
    pipe = Pipeline([node(lambda x: x + offset, "a", "b", name="closure")])
    result = DaskRunner(address=processes_cluster).run(pipe, DataCatalog(raw_data={"a": 1}))
    assert loaded(result) == {"b": 8}


def test_hooks_fire_in_the_client(threads_cluster: str, tmp_path: Path) -> None:
    spy = Spy()
    DaskRunner(address=threads_cluster).run(
        small_pipeline(), small_catalog(tmp_path), hook_manager=manager_with(spy)
    )
    for name in ("double_a", "double_c", "add", "summary", "loose"):
        before = spy.calls.index(("before_node_run", name))
        after = spy.calls.index(("after_node_run", name))
        assert before < after
    assert ("before_dataset_loaded", "c") in spy.calls
    assert ("after_dataset_saved", "report") in spy.calls
    assert spy.outputs["double_a"] == {"b": 6}
    assert "total" not in spy.outputs["add"]  # persisted: written on the worker, not here


def test_node_error_is_raised_with_hooks_and_report(
    address: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spy = Spy()
    pipe = Pipeline(
        [
            node(double, "a", "b", name="first"),
            node(boom, "b", "c", name="explodes"),
            node(double, "c", "d", name="after_boom"),
        ]
    )
    listener = NodeEvents()
    with (
        caplog.at_level(logging.WARNING, logger="proj_tui.runner"),
        pytest.raises(ValueError, match=r"boom on 2"),
    ):
        DaskRunner(address=address).run(
            pipe,
            DataCatalog(raw_data={"a": 1}),
            hook_manager=manager_with(spy),
            listener=listener,
        )
    events = [(event, name) for event, name, *_ in listener.heard]
    assert ("on_node_error", "explodes") in spy.calls
    assert ("before_node_run", "after_boom") not in spy.calls
    assert ("node_failed", "explodes") in events
    assert ("node_finished", "first") in events
    assert "2 of 3 nodes did not run: explodes, after_boom" in caplog.text


def test_only_missing_outputs(threads_cluster: str, tmp_path: Path) -> None:
    runner = DaskRunner(address=threads_cluster)
    runner.run(small_pipeline(), small_catalog(tmp_path))
    (tmp_path / "report.json").unlink()
    listener = NodeEvents()
    runner.run(
        small_pipeline(), small_catalog(tmp_path), only_missing_outputs=True, listener=listener
    )
    assert listener.names("node_finished") == [
        "summary"
    ]  # the only node whose persisted output is missing
    assert json.loads((tmp_path / "report.json").read_text()) == {"total": 16, "scaled": 160}


def test_function_workers_cannot_import_names_the_node(
    processes_cluster: str, tmp_path: Path
) -> None:
    package = tmp_path / "vanishing_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("def same(x):\n    return x\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import vanishing_pkg  # type: ignore[import-not-found]

        shutil.rmtree(package)  # imported here, gone for the workers
        pipe = Pipeline([node(vanishing_pkg.same, "a", "b", name="uses_gone")])
        with pytest.raises(RunnerError, match=r"Node 'uses_gone' could not be unpacked") as info:
            DaskRunner(address=processes_cluster).run(pipe, DataCatalog(raw_data={"a": 1}))
        assert "PYTHONPATH" in str(info.value)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("vanishing_pkg", None)


def test_unreachable_scheduler_is_a_clear_error_within_the_timeout() -> None:
    with pytest.raises(RunnerError, match=r"tcp://127\.0\.0\.1:1") as info:
        DaskRunner(address="tcp://127.0.0.1:1", timeout=1).run(
            small_pipeline(), DataCatalog(raw_data={"a": 1, "c": 2, "params:scale": {}})
        )
    assert "dask scheduler" in str(info.value) and "within 1 s" in str(info.value)


def test_relative_path_with_remote_workers_is_refused() -> None:
    with pytest.raises(RunnerError) as info:
        check_dataset_paths(
            {"trips": "data/01_raw/trips.csv", "report": "/shared/report.json"},
            client_host="laptop",
            worker_hosts=["laptop", "node-1"],
        )
    message = str(info.value)
    assert "'trips' has the relative path 'data/01_raw/trips.csv'" in message
    assert "node-1" in message
    assert "report" not in message  # absolute paths are not judged without a probe


def test_path_not_visible_on_a_worker_host_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "out" / "report.json")
    with pytest.raises(RunnerError, match=r"'report' at '.*report\.json' is not visible from"):
        check_dataset_paths(
            {"report": path},
            client_host="laptop",
            worker_hosts=["node-1", "node-2"],
            visible={"node-1": {str(tmp_path)}, "node-2": set()},
        )
    check_dataset_paths(  # every host saw the probe: fine
        {"report": path},
        client_host="laptop",
        worker_hosts=["node-1"],
        visible={"node-1": {str(tmp_path)}},
    )
    check_dataset_paths({"x": "relative.json"}, client_host="h", worker_hosts=["h"])  # all local


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(RunnerError, match=r"n_workers must be a positive integer"):
        DaskRunner(n_workers=0)
    with pytest.raises(RunnerError, match=r"size a local cluster"):
        DaskRunner(address="tcp://h:8786", n_workers=2)
    runner = runner_from_name("dask", n_workers=2, processes=True)
    assert isinstance(runner, DaskRunner) and runner.processes


def test_runner_package_does_not_import_dask() -> None:
    code = (
        "import sys, proj_tui.runner; print('distributed' in sys.modules or 'dask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the demo project through a session -------------------------------------------------------


def _outputs(project: Path) -> dict[str, Any]:
    reporting = project / "data" / "05_reporting"
    found: dict[str, Any] = {
        "zone_report": (reporting / "zone_report.yml").read_text(),
        "model_comparison": (reporting / "model_comparison.md").read_text(),
        "trips_clean": json.loads((project / "data/02_intermediate/trips_clean.json").read_text()),
    }
    for ns in ("model_a", "model_b"):
        versions = sorted((reporting / f"{ns}_metrics.json").iterdir())
        found[ns] = json.loads((versions[-1] / f"{ns}_metrics.json").read_text())
    return found


@pytest.fixture(scope="module")
def sequential_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = make_demo(tmp_path_factory.mktemp("seq") / "demo")
    with Session.create(project_path=project) as session:
        session.run(runner=SequentialRunner())
    return _outputs(project)


def test_demo_project_through_a_session(
    address: str, tmp_path: Path, sequential_outputs: dict[str, Any]
) -> None:
    project = make_demo(tmp_path / "demo")
    with Session.create(project_path=project) as session:
        session.run(runner=DaskRunner(address=address))
    assert _outputs(project) == sequential_outputs
    store = session.store
    assert store.get_session(session.session_id).status == "succeeded"
    nodes = store.nodes(session.session_id)
    assert len(nodes) == 11
    assert all(n.status == "succeeded" for n in nodes)
    assert all(n.started_at and n.ended_at and n.ended_at >= n.started_at for n in nodes)
    logs = store.logs(session.session_id)
    by_logger = {(line.logger, line.message) for line in logs}
    # Records emitted by node code on the workers (other processes, for "processes").
    assert any(
        name.startswith("taxi_fares") and message.startswith("Split 586 rows")
        for name, message in by_logger
    )
    assert ("proj_tui.runner", "Running node: compare_models") in by_logger
    assert [(n, m) for n, m in by_logger if n.startswith("distributed")] == []  # no Dask chatter


def test_cli_run_with_a_local_dask_cluster(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    done = cli(
        "run", "--project", str(project), "--runner", "dask", "--runner-params", "n_workers=2"
    )
    assert done.returncode == 0, done.stderr
    assert "succeeded" in done.stderr
    assert (project / "data/05_reporting/model_comparison.md").is_file()


def test_memory_dataset_declared_in_catalog_gets_the_returned_value(threads_cluster: str) -> None:
    held = MemoryDataset()
    pipe = Pipeline([node(double, "a", "b", name="d")])
    result = DaskRunner(address=threads_cluster).run(pipe, DataCatalog({"b": held}, {"a": 4}))
    assert result == {"b": held}
    assert held.load() == 8


# -- losing workers; cancel (last: a cancelled node keeps its worker busy until it returns) --


def crash(x: int) -> int:
    os._exit(1)  # the worker process dies, as on an out-of-memory kill


def test_lost_worker_fails_the_run_saying_so() -> None:
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        pytest.raises(RunnerError, match=r"Node 'crashes' was running on Dask workers that died"),
    ):
        DaskRunner(address=cluster.scheduler_address).run(
            Pipeline([node(crash, "a", "b", name="crashes")]), DataCatalog(raw_data={"a": 1})
        )


@pytest.mark.parametrize("cluster", ["threads_cluster", "processes_cluster"])
def test_cancel_stops_at_once(cluster: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    address = request.getfixturevalue(cluster)
    gate = str(tmp_path / "gate")
    pipe = Pipeline(
        [
            node(double, "a", "b", name="quick"),
            node(held, ["b", "gate"], "c", name="slow"),
            node(double, "c", "d", name="never"),
        ]
    )
    cancel = threading.Event()

    def then(event: str, node: Any) -> None:
        if event == "node_started" and node.name == "slow":
            cancel.set()

    listener = NodeEvents(then)

    try:
        with pytest.raises(RunCancelled) as info:
            DaskRunner(address=address).run(
                pipe, DataCatalog(raw_data={"a": 1, "gate": gate}), cancel=cancel, listener=listener
            )
        assert not Path(gate + ".done").exists()  # the run did not wait for the node
    finally:
        Path(gate).touch()
    assert info.value.done == ["quick"]
    assert info.value.not_run == ["slow", "never"]
    assert "never" not in listener.names("node_started")
    failed = [
        (name, type(error)) for kind, name, *_, error in listener.heard if kind == "node_failed"
    ]
    assert failed == [("slow", RunCancelled)]


def test_keyboard_interrupt_cancels(threads_cluster: str, tmp_path: Path) -> None:
    gate = str(tmp_path / "gate")
    pipe = Pipeline(
        [node(held, ["a", "gate"], "b", name="slow"), node(double, "b", "c", name="never")]
    )

    def then(event: str, node: Any) -> None:
        if event == "node_started" and node.name == "slow":
            _thread.interrupt_main()  # ctrl+c while the node runs

    listener = NodeEvents(then)

    try:
        with pytest.raises(RunCancelled, match=r"interrupted") as info:
            DaskRunner(address=threads_cluster).run(
                pipe, DataCatalog(raw_data={"a": 1, "gate": gate}), listener=listener
            )
        assert not Path(gate + ".done").exists()  # the run did not wait for the node
    finally:
        Path(gate).touch()
    assert isinstance(info.value.__cause__, KeyboardInterrupt)
    assert info.value.not_run == ["slow", "never"]


def test_session_cancel_is_recorded(threads_cluster: str, tmp_path: Path) -> None:
    project = make_demo(tmp_path / "slow", latency=3)
    with Session.create(project_path=project) as session:

        class CancelAtFirstNode:
            @hook_impl
            def before_node_run(self, node: Any) -> None:
                if node.name == "ingest_trips":
                    session.cancel()

        session.hook_manager.register(CancelAtFirstNode())
        with pytest.raises(RunCancelled):
            session.run(runner=DaskRunner(address=threads_cluster))
    record = session.store.get_session(session.session_id)
    assert record.status == "cancelled"
    statuses = {n.name: n.status for n in session.store.nodes(session.session_id)}
    assert statuses["compare_models"] == "not_run"
    assert statuses["ingest_trips"] != "succeeded"  # its 3 s pause was not waited for
    assert "running" not in statuses.values()  # nodes cut short are settled, not left running


def _count_up() -> Iterator[int]:
    yield from range(5)


class _Confirmable(MemoryDataset):
    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.confirmed = 0

    def confirm(self) -> None:
        self.confirmed += 1


def test_generator_node_streams_to_its_dataset(threads_cluster: str) -> None:
    """Kedro's test_run_generator_node on the dask runner: the memory output ends with the
    last chunk, as with the other runners."""
    pipe = Pipeline([node(_count_up, None, "n", name="gen"), node(int, "n", "last", name="keep")])
    result = DaskRunner(address=threads_cluster).run(pipe, DataCatalog())
    assert loaded(result) == {"last": 4}


def test_confirms_are_called_in_the_client(threads_cluster: str) -> None:
    """Kedro's test_confirms on the dask runner."""
    held = _Confirmable(3)
    pipe = Pipeline([node(int, "a", "b", name="n", confirms="a")])
    DaskRunner(address=threads_cluster).run(pipe, DataCatalog({"a": held}))
    assert held.confirmed == 1
