"""Cancelling a live session by its record (framework.live.cancel_session), with real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from live_project import make_live_project, start_run, wait_for
from proj_tui.framework.live import LiveSessionError, cancel_session, live_sessions
from proj_tui.framework.project import open_store
from proj_tui.framework.store import SQLiteSessionStore


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_live_project(tmp_path / "proj")


def _running_node(project: Path, node: str) -> str:
    """The id of the live session once ``node`` is running in it."""

    def find() -> str | None:
        if not (project / ".proj-tui" / "sessions.db").exists():
            return None
        with open_store(project) as store:
            for live in live_sessions(store):
                if any(
                    n.name == node and n.status == "running" for n in store.nodes(live.session_id)
                ):
                    return live.session_id
        return None

    return wait_for(find, what=f"node {node} running")


@pytest.fixture
def sleeper() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_run_is_cancelled_and_records_it_itself(project: Path) -> None:
    proc = start_run(project, "--pipeline", "hang")
    sid = _running_node(project, "hang")
    with open_store(project) as store:
        assert cancel_session(store, sid) == "cancelled"
        assert store.get_session(sid).status == "cancelled"
        assert store.get_session(sid).error["type"] == "Cancelled"
        assert [n.status for n in store.nodes(sid)] == ["cancelled"]
    assert proc.wait(timeout=60) == 130


def test_a_run_ignoring_sigint_and_sigterm_is_killed_and_recorded_crashed(project: Path) -> None:
    proc = start_run(project, "--pipeline", "stubborn")
    sid = _running_node(project, "stubborn")
    with open_store(project) as store:
        assert cancel_session(store, sid, grace_s=0.5) == "crashed"
        assert store.get_session(sid).status == "crashed"
        messages = [line.message for line in store.logs(sid)]
    assert proc.wait(timeout=60) < 0  # killed by a signal
    assert messages.count("ignored a cancellation") >= 2  # it got SIGINT and SIGTERM first


def test_a_reused_pid_is_never_signalled(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    db = tmp_path / "sessions.db"
    with SQLiteSessionStore(db) as store:
        # the record says: pid of the sleeper, but a process that started at another time
        sid = store.create_session({"pid": sleeper.pid, "pid_started": 1})
        assert cancel_session(store, sid, grace_s=0.1) == "crashed"  # its own process is gone
        assert store.get_session(sid).status == "crashed"
    assert sleeper.poll() is None  # not signalled


def test_without_a_recorded_start_time_nothing_is_signalled(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    with SQLiteSessionStore(tmp_path / "sessions.db") as store:
        sid = store.create_session({"pid": sleeper.pid, "pid_started": None})
        with pytest.raises(LiveSessionError, match="no recorded process start time"):
            cancel_session(store, sid, grace_s=0.1)
        assert store.get_session(sid).status == "running"
    assert sleeper.poll() is None


def test_a_session_of_another_host_is_refused(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    with SQLiteSessionStore(tmp_path / "sessions.db") as store:
        sid = store.create_session({"pid": sleeper.pid, "host": "far-away-host"})
        with pytest.raises(LiveSessionError, match=r"far-away-host.*Cancel it there"):
            cancel_session(store, sid)
    assert sleeper.poll() is None


def test_an_ended_session_is_left_alone(project: Path) -> None:
    assert start_run(project, "--pipeline", "flood", "--params", "live.flood=1").wait(60) == 0
    with open_store(project) as store:
        [summary] = store.list_sessions()
        assert cancel_session(store, summary.session_id) == "succeeded"


def test_a_pid_is_the_same_process_only_with_its_own_start_time(
    sleeper: subprocess.Popen[bytes],
) -> None:
    from proj_tui.framework.live import same_process
    from proj_tui.framework.store.process import _pid_started

    started = _pid_started(sleeper.pid)
    assert started is not None
    assert same_process(sleeper.pid, started)
    assert not same_process(sleeper.pid, started - 1)  # a reuse: another start time
    sleeper.kill()
    sleeper.wait()
    assert not same_process(sleeper.pid, started)  # gone


_SIGNALLING_STORE = """
import os
import signal

from proj_tui.framework.store import SQLiteSessionStore


class SignalledStore(SQLiteSessionStore):
    \"\"\"A store whose first row is followed at once by a SIGINT, as a canceller may send it.\"\"\"

    def create_session(self, record, *, now=None):
        session_id = super().create_session(record, now=now)
        os.kill(os.getpid(), signal.SIGINT)  # handled at the next bytecode: right here
        return session_id
"""


def test_a_cancel_right_after_the_row_is_written_is_recorded(project: Path) -> None:
    """A SIGINT between the store's commit of the new row and the code that records cancels
    (seen on a loaded machine: the canceller read the row while the run was in the commit)
    ends the session ``cancelled``, not left ``running`` to be found ``crashed``."""
    package = project / "src" / "liveproj"
    (package / "signalled_store.py").write_text(_SIGNALLING_STORE)
    (package / "settings.py").write_text(
        '"""Settings."""\nSESSION_STORE_CLASS = "liveproj.signalled_store.SignalledStore"\n'
    )
    proc = start_run(project, "--pipeline", "hang")
    assert proc.wait(timeout=60) == 130
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        (only,) = store.list_sessions()
        assert only.status == "cancelled"


def test_a_run_cancelled_while_it_starts_records_cancelled(project: Path) -> None:
    """The session is listed before the run can record a cancel: the cancel waits for that."""
    proc = start_run(project, "--pipeline", "hang")

    def listed() -> str | None:
        if not (project / ".proj-tui" / "sessions.db").exists():
            return None
        with open_store(project) as store:
            live = live_sessions(store)
        return live[0].session_id if live else None

    sid = wait_for(listed, timeout=60, what="the session's record")
    with open_store(project) as store:
        assert cancel_session(store, sid) == "cancelled"
    assert proc.wait(timeout=60) == 130
