"""A run launched the way the app launches it (the Supervisor) outlives its launcher.

The launcher is a real process on a pseudo-terminal of its own, as the app is over SSH: it is
SIGKILLed, or its terminal hangs up, while the run waits at a gate; the run then goes on and
ends ``succeeded`` with every log line stored (with pipes to the launcher it died of
BrokenPipeError on its next line). Also: the spool files, and following an attached run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest

from live_project import child_env, make_live_project, wait_for
from proj_tui.framework.detach import SPOOL_DIR, clean_spool
from proj_tui.framework.events import LogMessage, NodeFinished, SessionStarted
from proj_tui.framework.live import live_sessions
from proj_tui.framework.project import open_store
from proj_tui.tui.supervisor import AttachedSupervisor, Event, ProcessExited, Supervisor

_LAUNCHER = """
import sys
from pathlib import Path

from proj_tui.tui.supervisor import Supervisor

project, gate = Path(sys.argv[1]), sys.argv[2]
argv = [sys.executable, "-m", "proj_tui", "run", "--pipeline", "gated", "--params",
        f"live.gate={gate}", "--events", "json"]


def show(batch):
    print(f"batch of {len(batch)}", flush=True)  # to the terminal, as the app draws


Supervisor(argv, cwd=project, on_batch=show).run()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_live_project(tmp_path / "proj")


def _launch_in_terminal(
    project: Path, gate: Path, tmp_path: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """The launcher as the session leader of a new pseudo-terminal (its controlling terminal)."""
    script = tmp_path / "launcher.py"
    script.write_text(textwrap.dedent(_LAUNCHER))
    master, slave = pty.openpty()

    def own_terminal() -> None:
        # A launcher in a real terminal dies of a hang-up; the test runner itself may have been
        # started under nohup (SIGHUP ignored, inherited), which would make this test meaningless.
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, str(script), str(project), str(gate)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=child_env(),
        preexec_fn=own_terminal,
    )
    os.close(slave)
    os.set_blocking(master, False)
    return proc, master


def _drain(master: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(master, 65536):
            pass


def _at_the_gate(project: Path, master: int) -> str:
    def find() -> str | None:
        _drain(master)  # a terminal is read, or the launcher would block writing to it
        if not (project / ".proj-tui" / "sessions.db").exists():
            return None
        with open_store(project) as store:
            for live in live_sessions(store):
                if any("waiting for the gate" in ln.message for ln in store.logs(live.session_id)):
                    return live.session_id
        return None

    return wait_for(find, what="the supervised run at its gate")


def _ended(project: Path, sid: str) -> str:
    def status() -> str | None:
        with open_store(project) as store:
            found = store.get_session(sid).status
        return None if found == "running" else found

    return wait_for(status, timeout=120, what="the run to end")


def _assert_whole(project: Path, sid: str) -> None:
    with open_store(project) as store:
        record = store.get_session(sid)
        messages = [line.message for line in store.logs(sid)]
        nodes = {n.name: n.status for n in store.nodes(sid)}
    assert record.status == "succeeded", record.error
    assert nodes == {"first": "succeeded", "wait_for_gate": "succeeded", "last": "succeeded"}
    for word in ("before", "after", "closing"):
        assert [m for m in messages if m.startswith(word + " ")] == [
            f"{word} {i}" for i in range(5)
        ]
    assert not any("BrokenPipe" in m for m in messages)


@pytest.mark.parametrize("how", ["sigkill", "hangup"])
def test_a_supervised_run_outlives_its_launcher(project: Path, tmp_path: Path, how: str) -> None:
    gate = tmp_path / "gate"
    launcher, master = _launch_in_terminal(project, gate, tmp_path)
    try:
        sid = _at_the_gate(project, master)
        if how == "sigkill":
            os.killpg(launcher.pid, signal.SIGKILL)  # the app and everything in its group
        else:
            os.close(master)  # the terminal goes away: the kernel hangs up its session
            master = -1
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGHUP)  # and the launcher's group is told so
        launcher.wait(timeout=60)
        assert launcher.returncode < 0  # it died of the signal
        with open_store(project) as store:
            assert [s.session_id for s in live_sessions(store)] == [sid]  # still running
        gate.touch()
        assert _ended(project, sid) == "succeeded"
    finally:
        gate.touch()
        if master >= 0:
            os.close(master)
        with contextlib.suppress(ProcessLookupError):
            launcher.kill()
        launcher.wait(timeout=60)
    _assert_whole(project, sid)
    # the launcher never cleaned up its spool files; once the run ended they go
    spool = project / SPOOL_DIR
    assert sorted(p.suffix for p in spool.iterdir()) == [".err", ".events", ".pid"]
    # (the store says succeeded a moment before the process has exited)
    assert len(wait_for(lambda: clean_spool(spool), what="the run's process to exit")) == 1
    assert list(spool.iterdir()) == []


def test_a_supervisor_that_read_its_run_to_the_end_removes_its_spool(project: Path) -> None:
    batches: list[Event] = []
    argv = [sys.executable, "-m", "proj_tui", "run", "--pipeline", "flood", "--events", "json"]
    sup = Supervisor(argv, cwd=project, on_batch=batches.extend, env_vars=child_env())
    assert sup.run() == 0
    lines = [e.message for e in batches if isinstance(e, LogMessage) and e.session_id]
    assert [m for m in lines if m.startswith("flood ")] == [f"flood {i}" for i in range(20000)]
    assert isinstance(batches[-1], ProcessExited) and batches[-1].finished
    assert list((project / SPOOL_DIR).iterdir()) == []


def test_a_spool_of_a_running_launch_is_kept(project: Path, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    gate = tmp_path / "gate"
    argv = [sys.executable, "-m", "proj_tui", "run", "--params", f"live.gate={gate}"]
    sup = Supervisor(argv, cwd=project, on_batch=lambda batch: None, spool=spool)
    sup.start()
    try:
        assert clean_spool(spool) == []  # its process is alive
        assert len(list(spool.iterdir())) == 3
    finally:
        gate.touch()
        assert sup.run() == 0
    assert list(spool.iterdir()) == []


def test_an_attached_supervisor_follows_a_shell_run_to_its_exit(
    project: Path, tmp_path: Path
) -> None:
    from live_project import start_run

    gate = tmp_path / "gate"
    proc = start_run(project, "--params", f"live.gate={gate}")  # a run from a shell
    try:
        master = os.open(os.devnull, os.O_RDONLY)
        sid = _at_the_gate(project, master)
        os.close(master)
        batches: list[list[Event]] = []

        def on_batch(batch: list[Event]) -> None:
            batches.append(batch)
            if any(isinstance(e, SessionStarted) for e in batch):
                gate.touch()  # attached: now let it go on

        attached = AttachedSupervisor(project / ".proj-tui" / "sessions.db", sid, on_batch)
        assert attached.run() == 0
    finally:
        gate.touch()
        proc.wait(timeout=120)
    events = [e for batch in batches for e in batch]
    assert isinstance(events[0], SessionStarted) and events[0].session_id == sid
    assert [e.node for e in events if isinstance(e, NodeFinished)] == [
        "first",
        "wait_for_gate",
        "last",
    ]
    assert isinstance(events[-1], ProcessExited) and events[-1].returncode == 0
    assert events[-1].finished and not attached.alive


def test_an_attached_supervisor_cancels_the_run(project: Path) -> None:
    from live_project import start_run

    proc = start_run(project, "--pipeline", "hang")
    try:
        batches: list[Event] = []

        def find() -> str | None:
            if not (project / ".proj-tui" / "sessions.db").exists():
                return None
            with open_store(project) as store:
                for live in live_sessions(store):
                    if any(n.status == "running" for n in store.nodes(live.session_id)):
                        return live.session_id
            return None

        sid = wait_for(find, what="a live session in its node")
        attached = AttachedSupervisor(project / ".proj-tui" / "sessions.db", sid, batches.extend)
        attached.cancel()
        assert attached.cancelling
        assert attached.run() == 130
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == 130
    assert isinstance(batches[-1], ProcessExited) and batches[-1].returncode == 130


def test_a_detached_supervisor_returns_and_the_run_goes_on(project: Path, tmp_path: Path) -> None:
    import threading

    from proj_tui.tui.supervisor import DETACHED

    gate = tmp_path / "gate"
    argv = [sys.executable, "-m", "proj_tui", "run", "--params", f"live.gate={gate}"]
    argv += ["--events", "json"]
    batches: list[Event] = []
    sup = Supervisor(argv, cwd=project, on_batch=batches.extend, env_vars=child_env())
    sup.start()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(sup.run()))
    thread.start()
    try:
        master = os.open(os.devnull, os.O_RDONLY)
        sid = _at_the_gate(project, master)
        os.close(master)
        sup.detach()  # the app quits, keeping the run
        thread.join(timeout=60)
        assert result == [DETACHED] and sup.alive  # the run is still going
        assert not any(isinstance(e, ProcessExited) for e in batches)
        gate.touch()
        assert _ended(project, sid) == "succeeded"
    finally:
        gate.touch()
        assert sup.proc is not None
        sup.proc.wait(timeout=120)
    _assert_whole(project, sid)
    spool = project / SPOOL_DIR
    assert len(clean_spool(spool)) == 1 and list(spool.iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="woken by inotify on Linux")
def test_an_attached_supervisor_is_woken_by_the_store_s_writes_not_a_timer(
    tmp_path: Path,
) -> None:
    """Polling every 50 ms cost the app 0.4 % of a core following 1 line/s (issue 17): the
    supervisor sleeps until the store is written, so even with an hour between polls (and
    between the forced ones) a stored line reaches it, and so does the session's end."""
    import threading
    import time

    from proj_tui.framework.store import LogLine, SQLiteSessionStore

    path = tmp_path / "store" / "sessions.db"
    path.parent.mkdir()
    with SQLiteSessionStore(path) as store:
        sid = store.create_session({"pipeline": "p"})
        started, written = threading.Event(), threading.Event()
        batches: list[Event] = []

        def on_batch(batch: list[Event]) -> None:
            batches.extend(batch)
            if any(isinstance(e, SessionStarted) for e in batch):
                started.set()
            if any(isinstance(e, LogMessage) and e.message == "written" for e in batch):
                written.set()

        attached = AttachedSupervisor(
            path, sid, on_batch, flush_interval=3600.0, longest_wait=3600.0, tail=None
        )
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(attached.run()), daemon=True)
        thread.start()
        assert started.wait(60), "the first poll did not come"
        store.append_logs(sid, [LogLine(ts=time.time(), message="written")])
        assert written.wait(60), "a stored line did not wake the supervisor"
        store.finish_session(sid, "succeeded")
        thread.join(60)
    assert result == [0]
    assert isinstance(batches[-1], ProcessExited) and batches[-1].returncode == 0
