"""``proj-tui run`` on a real Kedro project: run by Kedro, recorded, the same events and exit codes.

Each test pays for real Kedro runs (seconds each), so each run is asked several questions.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from kedro_project import PACKAGE, SECRET, copy_project
from proj_tui.framework.events import (
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
    StartError,
)
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli, read_events

DATA_NODES = ["preprocess_companies", "create_model_input_table", "split_data"]


def _sessions(project: Path) -> list[dict[str, Any]]:
    done = cli("sessions", "list", "--json", "--project", str(project))
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def _record(project: Path, session_id: str) -> Any:
    store = SQLiteSessionStore.for_project(project, readonly=True)
    try:
        return store.get_session(session_id), store.nodes(session_id)
    finally:
        store.close()


def _outputs(project: Path) -> dict[str, Any]:
    """What a run leaves in data/ (the versioned split as its only version), as values."""
    data = project / "data"
    [version] = (data / "05_model_input" / "split_data.pkl").iterdir()
    return {
        "companies": pd.read_parquet(data / "02_intermediate" / "preprocessed_companies.parquet"),
        "table": pd.read_parquet(data / "03_primary" / "model_input_table.parquet"),
        "split": pickle.loads((version / "split_data.pkl").read_bytes()),
        "summary": pd.read_csv(data / "08_reporting" / "summary.csv"),
    }


def _same(left: dict[str, Any], right: dict[str, Any]) -> None:
    pd.testing.assert_frame_equal(left["companies"], right["companies"])
    pd.testing.assert_frame_equal(left["table"], right["table"])
    for part in ("train", "test"):
        pd.testing.assert_frame_equal(left["split"][part], right["split"][part])
    pd.testing.assert_frame_equal(left["summary"], right["summary"])


def test_run_is_kedros_recorded_with_the_kedro_command_and_events(
    kedro_project: Path, kedro_template: Path, tmp_path: Path
) -> None:
    # from elsewhere, as the app and scripts do: the run happens in the project all the same
    done = cli("run", "--project", str(kedro_project), "--events", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = read_events(done.stdout)

    # the stream: a native run's shape, with Kedro's node names
    started, finished = events[0], events[-1]
    assert isinstance(started, SessionStarted) and isinstance(finished, SessionFinished)
    assert finished.status == "succeeded" and finished.error is None
    session_id = started.session_id
    assert all(e.session_id == session_id for e in events if not isinstance(e, LogMessage))
    assert len(started.nodes) == 5 and started.nodes[-1] == "reporting.summarize"
    assert set(DATA_NODES) <= set(started.nodes)
    begun = [e.node for e in events if isinstance(e, NodeStarted)]
    ended = [e.node for e in events if isinstance(e, NodeFinished)]
    assert begun == ended == started.nodes
    assert [e.index for e in events if isinstance(e, NodeStarted)] == list(range(5))
    logs = [e for e in events if isinstance(e, LogMessage)]
    assert any("preprocessed 4 companies" in e.message for e in logs)  # the project's own log
    assert not any(SECRET in line for line in done.stdout.splitlines())
    assert "logging configuration" not in done.stderr  # Kedro's console is left to the events

    # recorded: the session is Kedro's run, its command the equivalent kedro run
    [listed] = _sessions(kedro_project)
    assert listed["session_id"] == session_id and listed["status"] == "succeeded"
    record, nodes = _record(kedro_project, session_id)
    assert record.cli["command"] == "kedro run"
    assert record.package_name == PACKAGE and record.versions["kedro"]
    assert [n.status for n in nodes] == ["succeeded"] * 5
    assert not {"PROJ_TUI_COMMAND", "PROJ_TUI_ENV_VARS"} & set(record.env_vars)  # own fields
    hooks = (kedro_project / "data" / "hook_fired.txt").read_text().split("\n")
    assert f"before_pipeline_run {session_id}" in hooks  # the project's hooks still fire
    assert f"after_pipeline_run {session_id}" in hooks

    # a plain kedro run, plugin off, makes the same outputs
    plain = copy_project(kedro_template, tmp_path / ".plain" / "space-lite")
    settings = plain / "src" / PACKAGE / "settings.py"
    settings.write_text(settings.read_text() + '\nDISABLE_HOOKS_FOR_PLUGINS = ("proj-tui",)\n')
    kedro = subprocess.run(
        [sys.executable, "-m", "kedro", "run"], cwd=plain, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert kedro.returncode == 0, kedro.stderr
    assert not (plain / ".proj-tui").exists()
    _same(_outputs(kedro_project), _outputs(plain))

    # a second run on the same data: Kedro's flags, intersected as Kedro does
    again = cli(
        "run", "--project", str(kedro_project), "--events", "json", "--from-nodes", "split_data",
        "--namespaces", "reporting", "--params", f"reporting.top_n=2,api_token={SECRET}",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    second = read_events(again.stdout)[0]
    assert isinstance(second, SessionStarted) and second.nodes == ["reporting.summarize"]
    record, _ = _record(kedro_project, second.session_id)
    assert record.cli["command"] == (
        "kedro run --params 'reporting.top_n=2,api_token=<redacted>' --from-nodes split_data "
        "--namespaces reporting"
    )
    assert record.filters == {"from_nodes": ["split_data"], "namespaces": ["reporting"]}
    assert record.runtime_params["reporting"] == {"top_n": 2}
    assert len(pd.read_csv(kedro_project / "data" / "08_reporting" / "summary.csv")) == 2


def test_a_failed_run_resumes_where_kedro_says(kedro_project: Path) -> None:
    local = kedro_project / "conf" / "local" / "parameters.yml"
    local.write_text("runtime:\n  fail_node: create_model_input_table\n  pause_s: 0\n")
    failed = cli("run", "--project", str(kedro_project), "--events", "json")
    assert failed.returncode == 1
    events = read_events(failed.stdout)
    assert isinstance(events[0], SessionStarted)
    [shuttles] = [n for n in events[0].nodes if n.startswith("preprocess_shuttles__")]  # hashed
    [node_failed] = [e for e in events if isinstance(e, NodeFailed)]
    assert node_failed.node == "create_model_input_table"
    assert node_failed.error.message == "boom in create_model_input_table"
    end = events[-1]
    assert isinstance(end, SessionFinished) and end.status == "failed"
    assert end.error is not None and end.error.type == "RuntimeError"

    # Kedro's hint: preprocessed_shuttles lived in memory, so its producer runs again
    plan = cli("sessions", "resume", end.session_id, "--project", str(kedro_project),
               "--dry-run", "--json")  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert planned["from_nodes"] == [shuttles]
    assert planned["nodes"] == [
        shuttles, "create_model_input_table", "split_data", "reporting.summarize"
    ]  # fmt: skip

    local.write_text("runtime:\n  fail_node: ''\n  pause_s: 0\n")  # the fix
    resumed = cli("sessions", "resume", end.session_id, "--project", str(kedro_project),
                  "--events", "json")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    events = read_events(resumed.stdout)
    assert events[0].nodes == planned["nodes"]  # type: ignore[union-attr]
    assert isinstance(events[-1], SessionFinished) and events[-1].status == "succeeded"
    record, _ = _record(kedro_project, events[0].session_id)
    assert record.parent_id == end.session_id
    assert record.cli["command"] == f"kedro run --env local --from-nodes {shuttles}"


def test_cancel_ends_the_kedro_session_cancelled(kedro_project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(kedro_project), "--events",
         "json", "--params", "runtime.pause_s=60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ},
    )  # fmt: skip
    assert proc.stdout is not None
    session_id = None
    for line in proc.stdout:  # until the paused node is under way
        data = json.loads(line)
        session_id = data.get("session_id") or session_id
        if data["event"] == "log" and "pausing" in data["message"]:
            break
    os.killpg(proc.pid, signal.SIGINT)  # what the app's cancel does
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    end = read_events(rest)[-1]
    assert isinstance(end, SessionFinished) and end.status == "cancelled"
    assert session_id is not None
    record, nodes = _record(kedro_project, session_id)
    assert record.status == "cancelled"
    assert "succeeded" not in {n.status for n in nodes if n.name.startswith("preprocess_shuttles")}


def test_a_run_kedro_refuses_is_an_error_event_and_exit_2(kedro_project: Path) -> None:
    done = cli("run", "--project", str(kedro_project), "--events", "json", "--nodes", "nope")
    assert done.returncode == 2
    [event] = read_events(done.stdout)
    assert isinstance(event, StartError)
    assert event.message == "ValueError: Pipeline does not contain nodes named ['nope']."
    assert "Pipeline does not contain nodes named ['nope']" in done.stderr
    assert not (kedro_project / ".proj-tui" / "sessions.db").exists()  # nothing ran

    # refused before Kedro is asked: what this command cannot hand to Kedro
    for argv, why in (
        (["--runner", "dask"], "'dask' is not a runner Kedro knows"),
        (["--watch"], "--watch is not available on a Kedro project"),
    ):
        done = cli("run", "--project", str(kedro_project), *argv)
        assert done.returncode == 2 and why in done.stderr
