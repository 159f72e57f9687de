"""A tiny forked watcher that reports a ``proj-tui run`` whose process dies without a word.

Node code runs in the ``proj-tui run`` process itself (fast, and the app's supervisor already
isolates it), so a node that calls ``os._exit``, segfaults or is SIGKILLed takes the session's
``finally`` blocks with it: no message, no ``session_finished`` event, and the store row stays
``running`` until some later reader reaps it. The watcher is forked before any thread starts and
before any project code is imported; it only blocks on a pipe. The run writes what it knows
(store path, session id) into the pipe and ``done`` when it ends normally. End of file without
``done`` means the process died abruptly: the watcher marks the session ``crashed`` at once,
prints one clear error on stderr and, in ``--events json`` mode, ends the stream with a
``session_finished`` event whose status is ``crashed`` — so a reader never waits forever.

It ignores SIGINT/SIGTERM (a Ctrl+C or the app's cancel is the run's to handle) and dies with
the run's process group on SIGKILL, where the next reader of the store reaps the session instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

_DONE = b"done\n"


class Watchdog:
    """The run's end of the pipe to the watcher process."""

    def __init__(self, write_fd: int, pid: int) -> None:
        self._fd = write_fd
        self.pid = pid

    def announce(self, store_path: str, session_id: str) -> None:
        """Tell the watcher which session to mark if this process dies."""
        self._send(json.dumps({"store": store_path, "session_id": session_id}).encode() + b"\n")

    def done(self) -> None:
        """The run is ending normally: the watcher exits without a word."""
        self._send(_DONE)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = -1
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(self.pid, 0)

    def _send(self, data: bytes) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self._fd, data)


def start(events: bool) -> Watchdog | None:
    """Fork the watcher (POSIX only, and not when PROJ_TUI_NO_WATCHDOG is set)."""
    if os.name != "posix" or os.environ.get("PROJ_TUI_NO_WATCHDOG"):
        return None
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the watcher
        code = 0
        try:
            os.close(write_fd)
            _watch(read_fd, os.getppid(), events)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(read_fd)
    os.set_inheritable(write_fd, False)
    return Watchdog(write_fd, pid)


def _watch(read_fd: int, run_pid: int, events: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.chdir("/")  # never keep a directory (a mount point in tests) busy
    data = b""
    while True:
        try:
            chunk = os.read(read_fd, 4096)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if not chunk:
            break
        data += chunk
        if data.endswith(_DONE):
            return  # without waiting for EOF: process-pool workers may hold the pipe a while
    announced: dict[str, Any] = {}
    for line in data.splitlines():
        with contextlib.suppress(ValueError):
            announced = json.loads(line)
    _report(run_pid, announced, events)


def _report(run_pid: int, announced: dict[str, Any], events: bool) -> None:
    """Mark the session crashed and say so on stderr (and stdout in events mode)."""
    session_id = announced.get("session_id")
    node = None
    error: dict[str, Any] = {
        "type": "Crashed",
        "message": f"The proj-tui run process (pid {run_pid}) ended abruptly",
        "traceback": None,
    }
    if session_id and announced.get("store"):
        try:
            node = _mark_crashed(announced["store"], session_id, run_pid)
        except Exception as exc:  # the message below still goes out
            error["message"] += f" (and the session store could not be updated: {exc})"
    where = f" while node '{node}' was running" if node else ""
    error["message"] += (
        f"{where}: killed by a signal (SIGKILL, SIGSEGV, out of memory) or ended by code calling "
        "os._exit(). "
        + (f"Session {session_id} is recorded as crashed. " if session_id else "")
        + "Check the node's code, or run it with 'proj-tui run --nodes NAME' to reproduce."
    )
    with contextlib.suppress(OSError):
        os.write(2, f"Error: {error['message']}\n".encode("utf-8", "replace"))
    if events and session_id:
        event = {
            "event": "session_finished",
            "ts": time.time(),
            "session_id": session_id,
            "status": "crashed",
            "duration": None,
            "error": error,
            "resume": None,
        }
        # a leading newline ends any line the dead process left half-written
        with contextlib.suppress(OSError):
            os.write(1, b"\n" + json.dumps(event).encode() + b"\n")


def _mark_crashed(store_path: str, session_id: str, run_pid: int) -> str | None:
    """Reap the dead run's session now; return the node that was running, if any."""
    from proj_tui.framework.store import SQLiteSessionStore

    deadline = time.time() + 5
    while _alive(run_pid) and time.time() < deadline:  # a zombie until its parent waits
        time.sleep(0.01)
    with SQLiteSessionStore(store_path) as store:
        store.reap_crashed()
        running = [n.name for n in store.nodes(session_id) if n.status == "running"]
    return running[-1] if running else None


def _alive(pid: int) -> bool:
    from proj_tui.framework.store.process import _pid_alive

    return _pid_alive(pid)
