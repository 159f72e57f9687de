"""Every subcommand, as a real child process against a real copy of the demo project."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proj_tui.framework.events import (
    LogMessage,
    NodeFailed,
    NodeFinished,
    SessionFinished,
    SessionStarted,
    StartError,
)
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli, make_demo, read_events


def test_run_succeeds_and_records(demo: Path) -> None:
    result = cli(
        "run", "--pipeline", "data_processing", "--params", "cleaning.max_fare=120", cwd=demo
    )
    assert result.returncode == 0, result.stderr
    assert "succeeded" in result.stderr
    store = SQLiteSessionStore.for_project(demo)
    [summary] = store.list_sessions()
    record = store.get_session(summary.session_id)
    assert record.runtime_params == {"cleaning": {"max_fare": 120}}
    assert record.cli["flags"]["pipeline"] == "data_processing"
    assert "--params" in record.cli["command"]


def test_events_stream_schema(demo: Path) -> None:
    result = cli("run", "--project", str(demo), "--pipeline", "data_processing", "--events", "json")
    assert result.returncode == 0, result.stderr
    events = read_events(result.stdout)  # every line is an event of docs/events.md
    start, end = events[0], events[-1]
    assert isinstance(start, SessionStarted) and isinstance(end, SessionFinished)
    assert start.v == 1 and start.pipeline == "data_processing" and start.pid > 0
    assert start.nodes == ["ingest_trips", "clean_trips", "build_features"]
    finished = [e for e in events if isinstance(e, NodeFinished)]
    assert [e.node for e in finished] == start.nodes
    assert all(e.total == 3 and e.duration >= 0 for e in finished)
    logs = [e for e in events if isinstance(e, LogMessage)]
    assert any("Ingested 600 trips" in e.message for e in logs)
    assert end.status == "succeeded" and end.error is None
    assert {e.session_id for e in events} == {start.session_id}


def test_events_on_failure_and_resume_command(demo: Path) -> None:
    result = cli(
        "run", "--project", str(demo), "--params", "model_a.model_options.lr=5", "--events", "json"
    )
    assert result.returncode == 1
    events = read_events(result.stdout)
    failed = [e for e in events if isinstance(e, NodeFailed)]
    assert failed[0].node == "model_a.train_model"
    assert failed[0].error.type == "ValueError"
    end = events[-1]
    assert isinstance(end, SessionFinished) and end.status == "failed"
    assert end.error is not None and end.error.type == "ValueError"
    assert end.resume is not None and end.resume.startswith("proj-tui run")
    assert "--from-nodes" in end.resume


def test_prints_in_events_mode_become_logs(demo: Path) -> None:
    nodes = demo / "src" / "taxi_fares" / "pipelines" / "data_processing" / "nodes.py"
    nodes.write_text(
        nodes.read_text().replace(
            '    logger.info("Ingested %d trips", len(trips))',
            '    print("hello from print")\n    logger.info("Ingested %d trips", len(trips))',
        )
    )
    result = cli("run", "--project", str(demo), "--pipeline", "data_processing", "--events", "json")
    assert result.returncode == 0, result.stderr
    events = read_events(result.stdout)  # every stdout line is an event
    assert any(isinstance(e, LogMessage) and e.message == "hello from print" for e in events)


def test_bad_params_is_a_clear_error(demo: Path) -> None:
    result = cli("run", "--params", "model_a.lr", cwd=demo)
    assert result.returncode == 2
    assert "Error:" in result.stderr and "Traceback" not in result.stderr
    assert "=" in result.stderr


def test_unknown_env_and_pipeline(demo: Path) -> None:
    result = cli("run", "--env", "prdo", cwd=demo)
    assert result.returncode == 2
    assert "prod" in result.stderr and "Traceback" not in result.stderr
    result = cli("run", "--pipeline", "reportin", cwd=demo)
    assert result.returncode == 2
    assert "Did you mean 'reporting'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_pipelines_runs_the_union_and_rerun_repeats_it(demo: Path) -> None:
    result = cli("run", "--pipelines", "data_processing,reporting", "--tags", "etl", cwd=demo)
    assert result.returncode == 0, result.stderr
    store = SQLiteSessionStore.for_project(demo)
    first = store.get_session(store.list_sessions(limit=1)[0].session_id)
    assert first.extra["pipeline_names"] == ["data_processing", "reporting"]
    assert first.cli["flags"]["pipelines"] == "data_processing,reporting"
    dry = cli("sessions", "rerun", first.session_id, "--dry-run", cwd=demo)
    assert dry.returncode == 0, dry.stderr
    assert "--pipelines data_processing,reporting --tags etl" in dry.stdout
    bad = cli("run", "--pipelines", "data_processing,reportin", cwd=demo)
    assert bad.returncode == 2
    assert "Did you mean 'reporting'" in bad.stderr and "Traceback" not in bad.stderr


def test_error_event_when_session_cannot_start(demo: Path) -> None:
    (demo / "conf" / "base" / "parameters.yml").write_text("a: [1, 2\n")
    result = cli("run", "--events", "json", cwd=demo)
    assert result.returncode == 2
    events = read_events(result.stdout)
    assert events and isinstance(events[-1], (StartError, SessionFinished))
    assert "parameters.yml" in result.stderr and "Traceback" not in result.stderr


def test_node_failure_exit_code_and_user_traceback(demo: Path) -> None:
    result = cli("run", "--params", "model_a.model_options.lr=5", cwd=demo)
    assert result.returncode == 1
    assert "nodes.py" in result.stderr  # the user's frame
    assert "proj-tui run" in result.stderr and "--from-nodes" in result.stderr


def test_sigint_records_cancelled(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "slow", latency=1.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(project), "--events", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until a node is running
        if json.loads(line)["event"] == "node_started":
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    end = read_events(rest)[-1]
    assert isinstance(end, SessionFinished) and end.status == "cancelled"
    assert end.error is not None and end.error.type == "Cancelled"
    assert end.error.message in (
        "The run was cancelled by SIGINT.",
        "The run was cancelled after 0 of 11 nodes.",
        "The run was cancelled after 1 of 11 nodes.",
    )
    [summary] = SQLiteSessionStore.for_project(project).list_sessions()
    assert summary.status == "cancelled"


def test_sigkill_is_found_as_crashed(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "slow", latency=2.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(project), "--events", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "node_started":
            break
    time.sleep(0.5)  # let the recorder flush the running node
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    store = SQLiteSessionStore.for_project(project)
    [summary] = store.list_sessions()
    assert summary.status == "crashed"
    record = store.get_session(summary.session_id)
    assert record.ended_at is not None
    result = cli("sessions", "list", "--json", cwd=project)
    assert json.loads(result.stdout)[0]["status"] == "crashed"


def test_two_processes_write_the_store_at_once(demo: Path) -> None:
    # data_science needs the features: build them, then run both model pipelines at once
    assert cli("run", "--pipeline", "data_processing", cwd=demo).returncode == 0
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proj_tui",
                "run",
                "--project",
                str(demo),
                "--pipeline",
                "data_science",
                "--namespaces",
                ns,
                "--events",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ns in ("model_a", "model_b")
    ]
    outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    assert [p.returncode for p in procs] == [0, 0]
    store = SQLiteSessionStore.for_project(demo)
    for out in outputs:
        events = read_events(out)
        sid = events[0].session_id
        assert sid is not None
        logged = [e.message for e in events if isinstance(e, LogMessage)]
        stored = [line.message for line in store.logs(sid)]
        assert stored == logged
        assert store.get_session(sid).status == "succeeded"


def test_sessions_list_show_diff(demo: Path) -> None:
    assert cli("run", "--pipeline", "data_processing", cwd=demo).returncode == 0
    assert (
        cli(
            "run",
            "--pipeline",
            "data_processing",
            "--env",
            "prod",
            "--params",
            "cleaning.max_fare=90",
            cwd=demo,
        ).returncode
        == 0
    )
    listed = json.loads(cli("sessions", "list", "--json", cwd=demo).stdout)
    assert [s["env"] for s in listed] == ["prod", "local"]
    newest, oldest = listed[0]["session_id"], listed[1]["session_id"]
    filtered = json.loads(
        cli("sessions", "list", "--json", "--filter", "env:prod", cwd=demo).stdout
    )
    assert [s["session_id"] for s in filtered] == [newest]
    by_param = json.loads(
        cli("sessions", "list", "--json", "--filter", "cleaning.max_fare<100", cwd=demo).stdout
    )
    assert [s["session_id"] for s in by_param] == [newest]
    text = cli("sessions", "list", cwd=demo).stdout
    assert newest in text and oldest in text

    shown = cli("sessions", "show", newest, cwd=demo)
    assert shown.returncode == 0
    assert "*cleaning.max_fare = 90" in shown.stdout
    data = json.loads(cli("sessions", "show", "latest", "--json", "--logs", cwd=demo).stdout)
    assert data["session_id"] == newest and data["logs"]

    diff = json.loads(cli("sessions", "diff", oldest, newest, "--json", cwd=demo).stdout)
    changed = {(r["section"], r["key"]) for r in diff["rows"]}
    assert ("session", "env") in changed
    assert ("params", "cleaning.max_fare") in changed
    assert ("params", "cleaning.drop_missing") not in changed
    missing = cli("sessions", "show", "2000-01-01", cwd=demo)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_sessions_rerun_and_resume(demo: Path) -> None:
    failed = cli("run", "--params", "model_b.model_options.lr=7", cwd=demo)
    assert failed.returncode == 1
    sid = json.loads(cli("sessions", "list", "--json", cwd=demo).stdout)[0]["session_id"]
    dry = cli("sessions", "resume", sid, "--dry-run", cwd=demo)
    assert dry.returncode == 0, dry.stderr
    assert "--from-nodes" in dry.stdout and f"--parent {sid}" in dry.stdout
    resumed = cli("sessions", "rerun", sid, "--params", "model_b.model_options.lr=0.03", cwd=demo)
    assert resumed.returncode == 0, resumed.stderr
    newest = json.loads(cli("sessions", "list", "--json", cwd=demo).stdout)[0]
    assert newest["parent_id"] == sid and newest["status"] == "succeeded"
    assert newest["runtime_params"] == {"model_b": {"model_options": {"lr": 0.03}}}


def test_pipelines_list_and_describe(demo: Path) -> None:
    listed = json.loads(cli("pipelines", "list", "--json", cwd=demo).stdout)
    assert listed == {"__default__": 11, "data_processing": 3, "data_science": 6, "reporting": 2}
    doc = json.loads(cli("pipelines", "describe", "data_science", "--json", cwd=demo).stdout)
    nodes = doc["pipelines"]["data_science"]["nodes"]
    first = nodes[0]
    assert first["namespace"] in ("model_a", "model_b")
    assert first["source"].endswith(".py:" + first["source"].rsplit(":", 1)[1])
    assert "params:runtime" in [i for n in nodes for i in n["inputs"]]
    human = cli("pipelines", "describe", cwd=demo)
    assert "model_b.train_model" in human.stdout


def test_new_creates_a_runnable_project(tmp_path: Path) -> None:
    target = tmp_path / "fresh"
    result = cli("new", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "pyproject.toml").is_file()
    again = cli("new", str(target))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_no_project_here(tmp_path: Path) -> None:
    result = cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "proj-tui new" in result.stderr


@pytest.mark.parametrize("args", [["--version"], ["run", "--help"], ["sessions", "--help"]])
def test_help_and_version(args: list[str]) -> None:
    assert cli(*args).returncode == 0


def test_sessions_rerun_and_resume_set_the_sessions_env_vars_again(demo: Path) -> None:
    """A rerun is the same run: its --env-var variables are set again, a redacted secret is
    taken from the rerun's own environment (and it says so), never as "<redacted>" (item 3)."""
    env = {"API_TOKEN": "s3cret-token-value"}
    first = cli(
        "run", "--pipeline", "data_processing", "--env-var", "REGION=eu", "--env-var", "API_TOKEN",
        cwd=demo, env=env,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    store = SQLiteSessionStore.for_project(demo)
    sid = store.list_sessions(limit=1)[0].session_id
    assert store.get_session(sid).env_vars["API_TOKEN"] == "<redacted>"

    dry = cli("sessions", "rerun", sid, "--dry-run", cwd=demo)
    assert "--env-var API_TOKEN --env-var REGION=eu" in dry.stdout, dry.stdout
    assert "<redacted>" not in dry.stdout

    refused = cli("sessions", "rerun", sid, cwd=demo)  # API_TOKEN is not set here
    assert refused.returncode == 2
    assert f"Session {sid} was given API_TOKEN, whose value the store does not keep" in (
        refused.stderr
    )
    assert len(store.list_sessions(limit=10)) == 1  # nothing started

    again = cli("sessions", "rerun", sid, cwd=demo, env={"API_TOKEN": "s3cret-token-value"})
    assert again.returncode == 0, again.stderr
    assert "API_TOKEN: taken from this environment" in again.stderr
    rerun = store.get_session(store.list_sessions(limit=1)[0].session_id)
    assert rerun.parent_id == sid
    assert rerun.env_vars["REGION"] == "eu" and rerun.env_vars["API_TOKEN"] == "<redacted>"
    assert rerun.cli["flags"]["env_var"] == ["API_TOKEN", "REGION"]
    store.close()


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--env", "nope"), "nope"),
        (("--pipeline", "data_procesing"), "Did you mean 'data_processing'"),
        (("--nodes", "zone_repor"), "zone_repor"),
        (("--tags", "no-such-tag"), "no nodes left after the filters"),
        (("--pipeline", "data_processing", "--from-nodes", "zone_report"), "zone_report"),
    ],
)
def test_a_run_that_cannot_start_records_no_session(
    demo: Path, flags: tuple[str, ...], says: str
) -> None:
    """One rule for every flag (issue 18, item 4): a session that could not start is not a
    session. A bad --env always left none; bad --pipeline/--nodes/--tags left a failed one."""
    result = cli("run", *flags, cwd=demo)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    sessions = cli("sessions", "list", "--json", cwd=demo)
    assert json.loads(sessions.stdout or "[]") == [], sessions.stdout


def test_bad_catalog_and_missing_input_exit_2_naming_file_line_and_key(demo: Path) -> None:
    """README: bad config exits 2 with a message that names the file, line and key (item 9)."""
    catalog = demo / "conf" / "base" / "catalog.yml"
    good = catalog.read_text()
    catalog.write_text(good.replace("type: csv.CSVDataset", "type: csv.CSVDatasett", 1))
    result = cli("run", "--pipeline", "data_processing", cwd=demo)
    assert result.returncode == 2, result.stderr
    line = 1 + good.splitlines().index("trips_raw:")
    assert f"conf/base/catalog.yml:{line}: Dataset 'trips_raw' has unknown type" in result.stderr
    assert "Did you mean 'csv.CSVDataset'" in result.stderr and "Traceback" not in result.stderr

    _assert_no_sessions(demo)  # checked before the session starts (framework.preflight)

    catalog.write_text(good.replace("trips_raw:", "trips_rawx:", 1))
    result = cli("run", "--pipeline", "data_processing", cwd=demo)
    assert result.returncode == 2, result.stderr
    nodes_py = demo / "src" / "taxi_fares" / "pipelines" / "data_processing" / "nodes.py"
    assert f"'trips_raw', needed by 'ingest_trips' at {nodes_py}:" in result.stderr
    assert ". Did you mean 'trips_rawx'" in result.stderr
    assert "? Add them to the env's catalog.yml" in result.stderr
    assert "?." not in result.stderr and "Traceback" not in result.stderr
    _assert_no_sessions(demo)


def _assert_no_sessions(project: Path) -> None:
    sessions = cli("sessions", "list", "--json", cwd=project)
    assert json.loads(sessions.stdout or "[]") == [], sessions.stdout


@pytest.mark.parametrize("events", [False, True])
def test_a_catalog_that_does_not_load_records_no_session(demo: Path, events: bool) -> None:
    """A catalog.yml broken at run time is a run that cannot start: exit 2 naming the file and
    line, no session row (it used to record a failed one); --events json says so as start_error."""
    catalog = demo / "conf" / "base" / "catalog.yml"
    lines = catalog.read_text().splitlines()
    catalog.write_text("\n".join([*lines, "broken: [", ""]))
    result = cli("run", *(["--events", "json"] if events else []), cwd=demo)
    assert result.returncode == 2, result.stderr
    assert "conf/base/catalog.yml is not valid YAML" in result.stderr
    assert f"line {len(lines) + 2}" in result.stderr and "Traceback" not in result.stderr
    if events:
        kinds = [type(event) for event in read_events(result.stdout)]
        assert kinds == [StartError], result.stdout
    _assert_no_sessions(demo)


def test_a_pipeline_with_a_cycle_cannot_start_and_records_no_session(demo: Path) -> None:
    registry = demo / "src" / "taxi_fares" / "pipeline_registry.py"
    registry.write_text(
        "from proj_tui.pipeline import Pipeline, node\n\n\n"
        "def step(x):\n    return x\n\n\n"
        "def register_pipelines():\n"
        "    return {'__default__': Pipeline([node(step, 'a', 'b', name='one'), "
        "node(step, 'b', 'a', name='two')])}\n"
    )
    result = cli("run", cwd=demo)
    assert result.returncode == 2, result.stderr
    assert f"'one' at {registry}:4" in result.stderr and f"'two' at {registry}:4" in result.stderr
    assert "Traceback" not in result.stderr
    _assert_no_sessions(demo)


def test_a_cycle_names_the_files_of_its_nodes(tmp_path: Path) -> None:
    from proj_tui.pipeline import CircularDependencyError, node, pipeline

    def step(x: int) -> int:
        return x

    with pytest.raises(CircularDependencyError) as info:
        pipeline([node(step, "a", "b", name="one"), node(step, "b", "a", name="two")])
    text = str(info.value)
    assert "'one' -[a]-> 'two' -[b]-> 'one'" in text or "'one' -[b]-> 'two'" in text
    assert f"'one' at {__file__}:" in text and f"'two' at {__file__}:" in text
