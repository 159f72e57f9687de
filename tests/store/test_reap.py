"""Crash detection: a session whose process died (SIGKILL) or went silent is marked crashed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from storetest_helpers import record

from proj_tui.framework.store import HEARTBEAT_STALE_SECONDS, SQLiteSessionStore

_RUNNING_CHILD = """
import sys, time
from proj_tui.framework.store import SQLiteSessionStore
store = SQLiteSessionStore(sys.argv[1])
print(store.create_session({"env": "child", "pipeline": "slow"}), flush=True)
time.sleep(120)
"""


def _start_child(db_path: Path) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _RUNNING_CHILD, str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    session_id = child.stdout.readline().strip()
    assert session_id, child.stderr.read() if child.stderr else ""
    return child, session_id


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("reap_child_first", [True, False], ids=["reaped", "zombie"])
def test_sigkilled_session_is_found_crashed(db_path: Path, reap_child_first: bool) -> None:
    SQLiteSessionStore(db_path).close()
    child, session_id = _start_child(db_path)
    try:
        with SQLiteSessionStore(db_path) as store:
            assert store.list_sessions()[0].status == "running"  # alive: not reaped
            assert store.reap_crashed() == []
            beat = store.get_session(session_id).heartbeat_at
            os.kill(child.pid, signal.SIGKILL)
            if reap_child_first:
                child.wait(timeout=10)
            else:  # still a zombie until we wait: it must count as gone too
                deadline = time.time() + 10
                while time.time() < deadline:
                    with open(f"/proc/{child.pid}/stat", "rb") as handle:
                        if handle.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                            break
                    time.sleep(0.01)
            summary = store.list_sessions()[0]
            assert summary.session_id == session_id
            assert summary.status == "crashed"
            assert summary.ended_at == beat
            got = store.get_session(session_id)
            assert got.error is not None and got.error["type"] == "Crashed"
            assert store.reap_crashed() == []  # once only
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def test_stale_heartbeat_on_any_host_is_crashed(store: SQLiteSessionStore) -> None:
    stale = store.create_session(record(host="build-7", pid=123))
    fresh = store.create_session(record(host="build-7", pid=124))
    old = time.time() - HEARTBEAT_STALE_SECONDS - 5
    store.update_session(stale, heartbeat_at=old)
    assert store.reap_crashed() == [stale]
    got = store.get_session(stale)
    assert got.status == "crashed" and got.ended_at == old
    assert store.get_session(fresh).status == "running"  # other host, recent beat: left alone


def test_dead_pid_on_this_host_is_crashed_at_once(store: SQLiteSessionStore) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    session_id = store.create_session(record(pid=proc.pid))
    assert store.reap_crashed() == [session_id]


def test_finished_sessions_are_never_reaped(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record(host="elsewhere"))
    store.finish_session(session_id, "succeeded", ended_at=time.time() - 3600)
    store.update_session(session_id, heartbeat_at=time.time() - 3600)
    assert store.reap_crashed() == []
    assert store.get_session(session_id).status == "succeeded"


def test_heartbeat_revives_own_session_reaped_by_mistake(store: SQLiteSessionStore) -> None:
    """A laptop suspended for minutes looks crashed; its next beat sets the record straight."""
    session_id = store.create_session(record())
    store.update_session(session_id, heartbeat_at=time.time() - 600)
    assert store.reap_crashed() == [session_id]
    store.heartbeat(session_id)
    got = store.get_session(session_id)
    assert got.status == "running" and got.ended_at is None
    other = store.create_session(record(host="elsewhere", pid=1))
    store.update_session(other, heartbeat_at=time.time() - 600)
    store.reap_crashed()
    store.heartbeat(other)  # not this process's session: stays crashed
    assert store.get_session(other).status == "crashed"


def test_finish_after_reap_still_records_the_outcome(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    store.update_session(session_id, heartbeat_at=time.time() - 600)
    store.reap_crashed()
    store.finish_session(session_id, "succeeded")
    got = store.get_session(session_id)
    assert got.status == "succeeded" and got.error is None
