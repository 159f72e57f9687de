"""``proj-tui sessions logs [--follow]`` and ``sessions cancel`` against real runs, as real processes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from live_project import SECRET, child_env, cli, make_live_project, start_run, wait_for
from proj_tui.framework.live import EXIT_CODES, live_sessions
from proj_tui.framework.project import open_store


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_live_project(tmp_path / "proj")


class _Reader:
    """A ``proj-tui`` child whose stdout is read on a thread, so a test can wait for a line."""

    def __init__(self, project: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "proj_tui", *args],
            cwd=project,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=120)
        self._thread.join(timeout=30)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


def _live(project: Path, predicate: str = "") -> str:
    def find() -> str | None:
        if not (project / ".proj-tui" / "sessions.db").exists():
            return None
        with open_store(project) as store:
            for live in live_sessions(store):
                if not predicate or any(
                    predicate in ln.message for ln in store.logs(live.session_id)
                ):
                    return live.session_id
        return None

    return wait_for(find, what=f"a live session logging {predicate!r}")


def _messages(project: Path, sid: str) -> list[str]:
    with open_store(project, readonly=True) as store:
        return [line.message for line in store.logs(sid)]


def test_logs_follow_prints_every_line_once_and_exits_with_the_status(
    project: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    run = start_run(project, "--params", f"live.gate={gate}")
    try:
        sid = _live(project, "waiting for the gate")
        follow = _Reader(project, "sessions", "logs", sid, "--follow")
        wait_for(lambda: any("waiting for the gate" in ln for ln in follow.lines), what="the tail")
        gate.touch()
        code, err = follow.finish()
    finally:
        gate.touch()
        run.wait(timeout=120)
    assert code == EXIT_CODES["succeeded"] == 0
    printed = [line.rstrip("\n")[28:] for line in follow.lines]  # after time and level
    assert printed == _messages(project, sid)  # every stored line once, in order
    assert f"Session {sid} succeeded (exit code 0)" in err
    assert "\x1b[" not in "".join(follow.lines)  # piped: plain lines


def test_cancel_from_another_process_is_recorded_and_ends_the_follower(project: Path) -> None:
    run = start_run(project, "--pipeline", "hang")
    sid = _live(project, "hanging until cancelled")
    follow = _Reader(project, "sessions", "logs", sid, "--follow")
    wait_for(lambda: follow.lines, what="the follower's first line")
    cancelled = cli(project, "sessions", "cancel", sid)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"Session {sid} cancelled" in cancelled.stdout
    assert "Sending SIGINT" in cancelled.stderr and "SIGTERM" not in cancelled.stderr
    code, _ = follow.finish()
    assert code == EXIT_CODES["cancelled"] == 130
    assert run.wait(timeout=60) == 130
    with open_store(project, readonly=True) as store:
        assert store.get_session(sid).status == "cancelled"
    again = cli(project, "sessions", "cancel", sid)
    assert again.returncode == 0 and "already ended (cancelled)" in again.stdout


def test_a_run_ignoring_cancellation_is_killed_and_recorded_crashed(project: Path) -> None:
    run = start_run(project, "--pipeline", "stubborn")
    sid = _live(project, "ignoring cancellation")
    cancelled = cli(project, "sessions", "cancel", sid, "--grace", "0.5")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "crashed" in cancelled.stdout and "SIGKILL" in cancelled.stderr
    assert run.wait(timeout=60) < 0
    with open_store(project, readonly=True) as store:
        assert store.get_session(sid).status == "crashed"
    follow = cli(project, "sessions", "logs", sid, "--follow")
    assert follow.returncode == EXIT_CODES["crashed"] == 3


def test_cancel_refuses_a_session_of_another_host(project: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        with open_store(project) as store:
            sid = store.create_session({"pid": sleeper.pid, "host": "far-away-host"})
        refused = cli(project, "sessions", "cancel", sid)
        assert refused.returncode == 2
        assert "far-away-host" in refused.stderr and "Cancel it there" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_logs_neutralise_control_sequences_and_never_show_a_secret(project: Path) -> None:
    for pipeline in ("escapes", "leak"):
        assert start_run(project, "--pipeline", pipeline).wait(timeout=120) == 0
    with open_store(project, readonly=True) as store:
        leak, escapes = (s.session_id for s in store.list_sessions())
    shown = cli(project, "sessions", "logs", escapes)
    assert shown.returncode == 0
    assert "\x1b" not in shown.stdout and "\\x1b]0;PWNED\\x07" in shown.stdout
    assert " WARNING a warning" in shown.stdout
    leaked = cli(project, "sessions", "logs", leak)
    assert "connecting with" in leaked.stdout and SECRET not in leaked.stdout
    tail = cli(project, "sessions", "logs", escapes, "--tail", "1")
    assert tail.stdout.count("\n") == 1 and "a warning" in tail.stdout


def test_logs_of_an_unknown_session_exit_2_with_a_suggestion(project: Path) -> None:
    assert start_run(project, "--pipeline", "flood", "--params", "live.flood=1").wait(120) == 0
    with open_store(project, readonly=True) as store:
        [summary] = store.list_sessions()
    result = cli(project, "sessions", "logs", summary.session_id[:-2], "--follow")
    assert result.returncode == 2 and "Did you mean" in result.stderr
    bad = cli(project, "sessions", "logs", summary.session_id, "--tail", "-1")
    assert bad.returncode == 2 and "--tail -1" in bad.stderr


def test_logs_colour_levels_in_a_terminal_and_still_neutralise_escapes(project: Path) -> None:
    import os
    import pty

    assert start_run(project, "--pipeline", "escapes").wait(timeout=120) == 0
    with open_store(project, readonly=True) as store:
        [summary] = store.list_sessions()
    master, slave = pty.openpty()
    env = {k: v for k, v in child_env().items() if k != "CI"}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "sessions", "logs", summary.session_id],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other side closed: all of it was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = shown.decode("utf-8")
    assert "\x1b[33mWARNING\x1b[0m a warning" in text  # the level coloured
    assert "\x1b]0;PWNED" not in text and "\\x1b]0;PWNED\\x07" in text  # the message's, shown
