"""A run whose whole process group is gone, or whose terminal closed: every reader tells the truth."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

from faults._project import EventReader, cli_env, kill_group, popen_cli, run_cli, store_path
from proj_tui.framework.store import SQLiteSessionStore


def test_sigkilled_group_is_crashed_for_read_only_readers(
    fault_project: Path, fault_report
) -> None:
    proc = popen_cli("run", "--events", "json", "--pipeline", "hang", cwd=fault_project)
    reader = EventReader(proc)
    assert reader.wait_for(lambda e: e["event"] == "node_started")
    sid = next(reader.events())["session_id"]
    kill_group(proc)  # the run and its watchdog: nobody is left to say a word
    proc.wait(timeout=10)
    reader.join()
    db = store_path(fault_project)
    with SQLiteSessionStore(db, readonly=True) as store:  # a reader that cannot write
        assert store.get_session(sid).status == "crashed"
        assert store.get_session(sid).error["type"] == "Crashed"
        assert [s.status for s in store.list_sessions() if s.session_id == sid] == ["crashed"]
    listed = json.loads(run_cli("sessions", "list", "--json", cwd=fault_project).stdout)
    assert [s["status"] for s in listed if s["session_id"] == sid] == ["crashed"]
    shown = run_cli("sessions", "show", sid, "--json", cwd=fault_project)
    assert json.loads(shown.stdout)["status"] == "crashed"
    fault_report(
        "crash safety",
        "SIGKILL of the whole process group (run and watchdog), then read-only readers "
        "(store opened readonly, `sessions list/show`)",
        detail="every reader shows crashed at once (pid gone), without writing",
    )


def test_a_reused_pid_does_not_keep_a_session_running(tmp_path: Path, fault_report) -> None:
    """The recorded pid belongs to a live process now, but one that started later."""
    db = tmp_path / "sessions.db"
    with SQLiteSessionStore(db) as store:
        sid = store.create_session({"pid": os.getpid(), "pid_started": 1})  # not our start
        live = store.create_session({"pid": os.getpid()})  # ours: really alive
    with SQLiteSessionStore(db, readonly=True) as store:
        statuses = {s.session_id: s.status for s in store.list_sessions()}
    assert statuses == {sid: "crashed", live: "running"}
    with SQLiteSessionStore(db) as store:
        assert store.reap_crashed() == [sid]
    fault_report(
        "crash safety",
        "a running session whose pid was reused by a later process",
        detail="crashed (pid start time differs); a session whose process is alive stays running",
    )


def _in_a_terminal(args: list[str], cwd: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``proj-tui ARGS`` as the session leader of a new pseudo-terminal."""
    master, slave = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=cli_env(),
        preexec_fn=own_terminal,
    )
    os.close(slave)
    return proc, master


def test_closed_terminal_is_recorded_and_the_run_goes_on(fault_project: Path, fault_report) -> None:
    db = store_path(fault_project)
    with SQLiteSessionStore(db) as store:
        before = {s.session_id for s in store.list_sessions(limit=10_000)}
    proc, master = _in_a_terminal(
        ["run", "--params", "step.sleep=0.6,step.lines=2"], cwd=fault_project
    )
    seen = b""
    deadline = time.monotonic() + 30
    while b"Running node: first" not in seen and time.monotonic() < deadline:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
    os.close(master)  # the terminal goes away: the kernel sends SIGHUP
    assert proc.wait(timeout=30) == 0
    with SQLiteSessionStore(db) as store:
        [sid] = {s.session_id for s in store.list_sessions(limit=10_000)} - before
        record = store.get_session(sid)
        messages = [line.message for line in store.logs(sid)]
    assert record.status == "succeeded"
    assert any("terminal hung up (SIGHUP)" in m for m in messages)
    assert sum("step line" in m for m in messages) == 6  # the run finished every node
    fault_report(
        "crash safety",
        "the terminal running `proj-tui run` is closed (pty master closed: SIGHUP)",
        detail="the run goes on and succeeds; the hang-up is a WARNING line in its stored log",
    )


def test_sighup_is_not_fatal_to_the_watchdog(fault_project: Path) -> None:
    proc = popen_cli("run", "--events", "json", "--pipeline", "hang", cwd=fault_project)
    reader = EventReader(proc)
    assert reader.wait_for(lambda e: e["event"] == "node_started")
    kill_group(proc, signal.SIGHUP)
    assert reader.wait_for(lambda e: "SIGHUP" in e.get("message", ""), timeout=10), reader.lines
    proc.send_signal(signal.SIGKILL)  # now only the run: the watchdog must still report it
    proc.wait(timeout=10)
    reader.join()
    last = list(reader.events())[-1]
    assert last["event"] == "session_finished" and last["status"] == "crashed"
