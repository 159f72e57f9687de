"""Staleness: after editing a parameter, a node's code or a catalog entry, exactly the right nodes
(plus everything downstream) are reported, in a real project with real runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework import fingerprints
from proj_tui.framework.fingerprints import run_fingerprints
from proj_tui.framework.staleness import stale_nodes
from proj_tui.pipeline import Pipeline, node

from helpers import DEMO_NODES, cli, make_demo

ALL = DEMO_NODES
AFTER_FEATURES = [n for n in ALL if n not in ("ingest_trips", "clean_trips", "zone_report")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A demo project with one succeeded full run (fingerprints recorded)."""
    path = make_demo(tmp_path / "demo")
    result = cli("run", cwd=path)
    assert result.returncode == 0, result.stderr
    return path


def _stale(project: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("pipelines", "stale", "--json", *args, cwd=project)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_without_any_run_every_node_is_new(tmp_path: Path) -> None:
    path = make_demo(tmp_path / "demo")
    code, report = _stale(path)
    assert code == 1
    assert report["baseline_session"] is None
    assert [s["name"] for s in report["stale"]] == ALL
    assert all(s["new"] for s in report["stale"])
    assert report["run_args"] == ["--from-nodes", "ingest_trips"]


def test_right_after_a_run_nothing_is_stale(project: Path) -> None:
    code, report = _stale(project)
    assert code == 0
    assert report["to_run"] == [] and report["stale"] == [] and report["command"] is None
    text = cli("pipelines", "stale", cwd=project)
    assert text.returncode == 0 and "All 11 nodes are up to date" in text.stdout


def test_a_parameter_edit_marks_its_readers_and_a_partial_rerun_clears_it(project: Path) -> None:
    _edit(project / "conf/base/parameters.yml", "top_zones: 5", "top_zones: 3")
    report = stale_nodes(project)
    assert [s.name for s in report.stale] == ["zone_report"]
    assert report.stale[0].changed == ("params",)
    assert report.stale[0].details == ("params reporting.top_zones: 5 → 3",)
    assert report.to_run == ["zone_report"]  # its input trips_clean is persisted
    assert report.filters == {"from_nodes": ["zone_report"]}
    assert report.param_changes.changed == {"reporting.top_zones": (5, 3)}
    assert report.command() == "proj-tui run --env local --from-nodes zone_report"

    rerun = cli("run", *report.run_args, cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    # the partial session covers zone_report; the older full run still covers the rest
    code, after = _stale(project)
    assert code == 0, after


def test_an_edit_upstream_of_an_in_memory_dataset_reruns_its_producer(project: Path) -> None:
    _edit(project / "conf/base/parameters.yml", "max_fare: 250.0", "max_fare: 99.0")
    code, report = _stale(project)
    assert code == 1
    assert [s["name"] for s in report["stale"]] == ["clean_trips"]
    # trips_typed is a MemoryDataset: ingest_trips must run again to feed clean_trips
    assert report["upstream"] == ["ingest_trips"]
    assert report["downstream"] == [n for n in ALL if n not in ("ingest_trips", "clean_trips")]
    assert report["to_run"] == ALL
    text = cli("pipelines", "stale", cwd=project).stdout
    assert "cleaning.max_fare: 250.0 → 99.0" in text
    assert "proj-tui run --env local --from-nodes ingest_trips" in text


def test_a_code_edit_marks_only_that_node_and_downstream(project: Path) -> None:
    nodes = project / "src/taxi_fares/pipelines/data_science/nodes.py"
    text = nodes.read_text()
    marker = "def evaluate_model("
    assert marker in text
    start = text.index(marker)
    body_start = text.index('"""', text.index(":\n", start))
    nodes.write_text(text[:body_start] + "# reviewed\n    " + text[body_start:])
    code, report = _stale(project)
    assert code == 1
    assert [s["name"] for s in report["stale"]] == [
        "model_a.evaluate_model",
        "model_b.evaluate_model",
    ]
    assert {tuple(s["changed"]) for s in report["stale"]} == {("code",)}
    assert any("evaluate_model" in d for d in report["stale"][0]["details"])
    # "test" is in memory: split_data reruns to feed it; "model" is persisted: train_model does not
    assert report["upstream"] == ["model_a.split_data", "model_b.split_data"]
    assert report["downstream"] == ["compare_models"]
    assert "model_a.train_model" not in report["to_run"]
    # --from-nodes split_data would also rerun train_model, so the exact list is given
    assert report["run_args"] == ["--nodes", ",".join(report["to_run"])]
    rerun = cli("run", *report["run_args"], cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    assert _stale(project)[0] == 0


def test_editing_a_helper_marks_the_nodes_that_call_it(project: Path) -> None:
    nodes = project / "src/taxi_fares/pipelines/data_science/nodes.py"
    # _standardise is called by train_model; predict by evaluate_model, inside a comprehension
    _edit(nodes, "    stats = {}\n", "    stats = {}  # mean and spread per column\n")
    _, report = _stale(project)
    stale = {s["name"]: s["changed"] for s in report["stale"]}
    assert stale == {"model_a.train_model": ["code"], "model_b.train_model": ["code"]}
    details = next(s["details"] for s in report["stale"] if s["name"] == "model_a.train_model")
    assert any("or of what it calls: _standardise" in d for d in details)  # where to look
    assert cli("run", *report["run_args"], cwd=project).returncode == 0
    assert _stale(project)[0] == 0

    _edit(nodes, '    total = model["bias"]\n', '    total = model["bias"]  # then each weight\n')
    _, report = _stale(project)
    assert [s["name"] for s in report["stale"]] == [
        "model_a.evaluate_model",
        "model_b.evaluate_model",
    ]


def test_a_catalog_edit_marks_writer_and_readers(project: Path) -> None:
    _edit(project / "conf/base/catalog.yml", "03_features/features.pkl", "03_features/f2.pkl")
    report = stale_nodes(project)
    stale = {s.name: s.changed for s in report.stale}
    assert stale == {
        "build_features": ("outputs",),
        "model_a.split_data": ("inputs",),
        "model_b.split_data": ("inputs",),
    }
    assert report.to_run == AFTER_FEATURES
    assert report.upstream == []
    assert report.filters == {"from_nodes": ["build_features"]}


def test_runtime_params_and_envs_count(project: Path) -> None:
    code, report = _stale(project, "--params", "reporting.top_zones=2")
    assert code == 1 and report["to_run"] == ["zone_report"]
    assert "--params" in report["command"]
    # no succeeded run in prod yet: everything is new there
    code, report = _stale(project, "--env", "prod")
    assert code == 1 and all(s["new"] for s in report["stale"])


def test_a_failed_run_is_not_a_baseline(project: Path) -> None:
    _edit(project / "conf/base/parameters.yml", "top_zones: 5", "top_zones: 4")
    reporting = project / "src/taxi_fares/pipelines/reporting/nodes.py"
    original = reporting.read_text()
    doc = '    """Average fare and trip count per pickup zone, busiest first."""\n'
    _edit(reporting, doc, doc + "    raise RuntimeError('boom')\n")
    failed = cli("run", "--from-nodes", "zone_report", cwd=project)
    assert failed.returncode == 1
    reporting.write_text(original)
    code, report = _stale(project)
    assert code == 1 and [s["name"] for s in report["stale"]] == ["zone_report"]


def test_unknown_pipeline_is_an_error_with_a_hint(project: Path) -> None:
    result = cli("pipelines", "stale", "--pipeline", "reportin", cwd=project)
    assert result.returncode == 2
    assert "Did you mean 'reporting'" in result.stderr


def test_fingerprints_hash_each_function_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """5000 nodes over two functions read two sources (the cost is in benches/run_overhead.py)."""

    def start() -> int:
        return 0

    def inc(x: int) -> int:
        return x + 1

    n = 5000
    nodes = [node(start, None, "d0", name="n0")]
    nodes += [node(inc, f"d{i - 1}", f"d{i}", name=f"n{i}") for i in range(1, n)]
    pipe = Pipeline(nodes)
    calls: list[Any] = []
    real = fingerprints._source
    monkeypatch.setattr(fingerprints, "_source", lambda code: calls.append(code) or real(code))
    fingerprints._code_cache.clear()
    prints = run_fingerprints(pipe, {"a": 1}, {})
    assert len(calls) == 2  # two functions, 5000 nodes
    run_fingerprints(pipe, {"a": 2}, {})
    assert len(calls) == 2  # and cached across runs in one process
    assert (
        len(fingerprints.decode_fingerprints(prints)["nodes"]) == n
        and prints["datasets"] == {}
        and len(prints["code"]) == 2
    )


def test_wiring_changes_are_seen() -> None:
    def f(x: int) -> int:
        return x

    decode = fingerprints.decode_fingerprints
    before = decode(run_fingerprints(Pipeline([node(f, "a", "b", name="n")]), {}, {}))
    moved = Pipeline([node(f, "c", "b", name="n")])
    after = decode(run_fingerprints(moved, {}, {}))
    changed, _ = fingerprints.compare_node(moved.nodes[0], before, after)
    assert changed == ("wiring",)
