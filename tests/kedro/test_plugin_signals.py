"""Ends Kedro reports to no hook: Ctrl+C (in ``kedro run`` and in a notebook) and SIGKILL.

Each test waits for the paused node to be recorded as running by polling the store (read-only:
a reader that reaps would hide what the crash witness writes), never for a fixed time.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kedro_project import kedro_env
from proj_tui.framework.project import store_path
from proj_tui.framework.store import SessionRecord, SQLiteSessionStore

# real Kedro runs: a minute or more each on a loaded machine
pytestmark = pytest.mark.timeout(600)

PAUSED = "preprocess_shuttles__"  # the node that sleeps runtime.pause_s seconds
DEADLINE = 300.0


def _poll(what: str, check: Callable[[], object], proc: subprocess.Popen[bytes] | None) -> object:
    """Poll ``check`` until it gives something truthy (the child must not end meanwhile)."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended (rc {proc.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _record(project: Path) -> SessionRecord | None:
    if not store_path(project).exists():
        return None
    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        sessions = store.list_sessions()
        return store.get_session(sessions[0].session_id) if sessions else None


def _runs_paused(store: SQLiteSessionStore, session_id: str) -> bool:
    return any(n.name.startswith(PAUSED) and n.status == "running" for n in store.nodes(session_id))


def _paused_node_running(project: Path) -> bool:
    record = _record(project)
    if record is None:
        return False
    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        return _runs_paused(store, record.session_id)


def _paused_node_logged(project: Path) -> bool:
    """The paused node runs and its "pausing" line is stored: it is in its sleep, not before it.

    Its status alone can be stored before the node's first line is even logged (seen at load
    10): a SIGKILL then is right to leave no such line.
    """
    record = _record(project)
    if record is None:
        return False
    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        sid = record.session_id
        return _runs_paused(store, sid) and "pausing 60 s" in [m.message for m in store.logs(sid)]


def _kedro(project: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--params", "runtime.pause_s=60"],
        cwd=project,
        env=kedro_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def _statuses(project: Path, session_id: str) -> dict[str, str]:
    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        return {n.name.split("__")[0]: n.status for n in store.nodes(session_id)}


def test_ctrl_c_on_kedro_run_records_a_cancelled_session(
    kedro_project: Path, tmp_path: Path
) -> None:
    proc = _kedro(kedro_project, tmp_path / "stderr.txt")
    try:
        _poll("the paused node to run", lambda: _paused_node_running(kedro_project), proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    record = _record(kedro_project)
    assert record is not None
    assert record.status == "cancelled"
    assert record.error == {
        "type": "Cancelled",
        "message": "The run was cancelled (Ctrl+C).",
        "traceback": None,
    }
    assert _statuses(kedro_project, record.session_id) == {
        "preprocess_companies": "succeeded",
        "preprocess_shuttles": "cancelled",
        "create_model_input_table": "not_run",
        "split_data": "not_run",
        "reporting.summarize": "not_run",
    }


def test_sigkill_is_recorded_crashed_by_the_witness_naming_the_running_node(
    kedro_project: Path, tmp_path: Path
) -> None:
    stderr = tmp_path / "stderr.txt"
    proc = _kedro(kedro_project, stderr)
    try:
        _poll("the paused node to sleep", lambda: _paused_node_logged(kedro_project), proc)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    def witnessed() -> SessionRecord | None:
        record = _record(kedro_project)  # a read-only reader reaps nothing itself
        message = (record.error or {}).get("message", "") if record else ""
        return record if "ended abruptly" in message else None

    record = _poll("the crash witness to write the record", witnessed, None)
    assert isinstance(record, SessionRecord)
    assert record.status == "crashed"
    assert record.error is not None
    assert f"while node '{PAUSED}" in record.error["message"]
    assert "'kedro run --nodes NAME'" in record.error["message"]
    assert _statuses(kedro_project, record.session_id) == {
        "preprocess_companies": "succeeded",
        "preprocess_shuttles": "crashed",
        "create_model_input_table": "not_run",
        "split_data": "not_run",
        "reporting.summarize": "not_run",
    }
    with SQLiteSessionStore(store_path(kedro_project), readonly=True) as store:
        # what was stored stays: the witness's writes add to the record, never replace it
        assert "pausing 60 s" in [line.message for line in store.logs(record.session_id)]
    _poll(
        "the witness's one line on stderr",
        lambda: "Error: The Kedro run process" in stderr.read_text(encoding="utf-8"),
        None,
    )


_NOTEBOOK = """\
import json, os, signal, sys, time
from pathlib import Path

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from proj_tui.framework.project import store_path
from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.kedro.plugin import hooks

project = Path(sys.argv[1])
bootstrap_project(project)
events = []


def listener(event):
    events.append(event.to_dict())
    if event.KIND == "node_started" and event.node.startswith("preprocess_shuttles"):
        os.kill(os.getpid(), signal.SIGINT)  # the person presses Ctrl+C in the notebook


hooks.add_listener(listener)
session = KedroSession.create(project_path=project, runtime_params={"runtime": {"pause_s": 60}})
try:
    session.run()
except KeyboardInterrupt:
    pass
# the kernel lives on: the record must still end, without a hook and without the exit
deadline = time.monotonic() + 60
with SQLiteSessionStore(store_path(project), readonly=True) as store:
    while store.list_sessions()[0].status == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    status = store.list_sessions()[0].status
print(json.dumps({"status": status, "events": events}))
sys.stdout.flush()
os._exit(0)  # no atexit: only the monitor can have ended the record
"""


def test_ctrl_c_in_a_notebook_ends_the_record_while_the_kernel_lives_on(
    kedro_project: Path, tmp_path: Path
) -> None:
    script = tmp_path / "notebook.py"
    script.write_text(textwrap.dedent(_NOTEBOOK), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(kedro_project)],
        cwd=tmp_path,
        env={**kedro_env(), "PROJ_TUI_NO_WATCHDOG": "1"},  # os._exit must not read as a crash
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "cancelled"
    kinds = [e["event"] for e in out["events"]]
    assert kinds[-1] == "session_finished"
    assert out["events"][-1]["status"] == "cancelled"
    failed = [e for e in out["events"] if e["event"] == "node_failed"]
    assert [e["node"].split("__")[0] for e in failed] == ["preprocess_shuttles"]
