"""Live sessions: which sessions of a store are running now, and cancelling one from anywhere.

A session is a process of its own (docs/architecture.md, "Live sessions"): the app, a second app
or a shell only ever see it through the store. So "what is running" is a question to the store
(after the dead are reaped, so a killed run is never listed), and cancelling is a signal to the
recorded pid — but only after checking that pid still belongs to the run: the store keeps the
process's start time from /proc (``pid_started``, written by ``create_session``), and a pid whose
start time differs has been reused by another process, which is never signalled.

The run records its own ending: SIGINT and SIGTERM make ``proj-tui run`` record ``cancelled``;
a run that ignores both is SIGKILLed and found dead by the store's reaper (``crashed``), which
:func:`cancel_session` triggers itself so the store says so when it returns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proj_tui.errors import ProjTuiError
from proj_tui.framework.store import SessionQuery, SQLiteSessionStore
from proj_tui.framework.store.process import _hostname, _pid_alive, _pid_started

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionRecord, SessionStore

EXIT_CODES: dict[str, int] = {"succeeded": 0, "failed": 1, "crashed": 3, "cancelled": 130}
"""The exit code that stands for a session's final status: ``sessions logs --follow`` exits with
it, and an attached run's ``ProcessExited`` carries it (0, 1 and 130 are what ``proj-tui run``
itself exits with; 3 is a run that died without recording an ending). 2 stays a usage error."""

_RUNNING = SessionQuery(statuses=frozenset({"running"}))
_KILL_WAIT_S = 10.0
"""After SIGKILL: how long to wait for the store to say the session ended (reaper or watchdog)."""


class LiveSessionError(ProjTuiError):
    """A live session cannot be controlled from here (another host, no start time, no right)."""


@dataclass(frozen=True)
class LiveSession:
    """One running session, as a list of live sessions shows it (from any app, shell or Kedro)."""

    session_id: str
    pid: int | None
    host: str | None
    user: str | None
    started_at: float
    heartbeat_at: float | None
    pipeline: str | None
    env: str | None
    command: str | None
    """The recorded command line (secrets already redacted when it was recorded)."""

    @property
    def here(self) -> bool:
        """Whether the session runs on this host (so it can be cancelled from here)."""
        return self.host == _hostname()


def live_sessions(store: SessionStore) -> list[LiveSession]:
    """Every session of ``store`` whose status is running, newest first; the dead are reaped first.

    A read-only store cannot mark the dead crashed, but shows them crashed all the same
    (``sqlite_reap._present_dead``): they are left out either way.
    """
    running = [s for s in store.list_sessions(_RUNNING, limit=100_000) if s.status == "running"]
    out = []
    for summary in running:
        try:
            record = store.get_session(summary.session_id)
        except ProjTuiError:  # deleted between the two reads
            continue
        if record.status != "running":
            continue
        command = record.cli.get("command") if isinstance(record.cli, dict) else None
        out.append(
            LiveSession(
                session_id=record.session_id,
                pid=record.pid,
                host=record.host,
                user=record.user,
                started_at=record.started_at,
                heartbeat_at=record.heartbeat_at,
                pipeline=record.pipeline,
                env=record.env,
                command=command if isinstance(command, str) else None,
            )
        )
    return out


def exit_code(status: str) -> int:
    """:data:`EXIT_CODES` for ``status``; 1 for a status this version does not know."""
    return EXIT_CODES.get(status, 1)


# -- cancelling -----------------------------------------------------------------------------------


def process_start(store: SessionStore, session_id: str) -> int | None:
    """The recorded start time (clock ticks since boot, from /proc) of the session's process.

    Kept by the SQLite store beside the record for its own crash detection; another store
    class does not have it (None), and then nothing is signalled.
    """
    if not isinstance(store, SQLiteSessionStore):
        return None

    def read(conn: Any) -> Any:
        return conn.execute(
            "SELECT json_extract(d.data, '$.pid_started') FROM sessions AS s "
            "JOIN session_data AS d ON d.rid = s.rid WHERE s.session_id = ?",
            (session_id,),
        ).fetchone()

    row = store._read(read)
    return int(row[0]) if row is not None and row[0] is not None else None


def same_process(pid: int, started: int) -> bool:
    """Whether ``pid`` is alive and is the process that started at ``started`` (not a reuse)."""
    return _pid_alive(pid) and _pid_started(pid) == started


def cancel_session(
    store: SessionStore,
    session_id: str,
    *,
    grace_s: float = 5.0,
    kill_wait_s: float = _KILL_WAIT_S,
    notify: Callable[[str], None] | None = None,
) -> str:
    """Stop a live session of this host; return its recorded status once it ended.

    SIGINT, then SIGTERM after ``grace_s``, then SIGKILL after another ``grace_s``; before each
    signal the pid's start time is checked against the recorded one, so a reused pid is never
    signalled. A run in a process group of its own (launched by the app) is signalled as a
    group, so its own children stop too; a run started from a shell only as its pid.

    ``notify`` is told each step in a sentence (the CLI prints them).
    Returns the status the store has afterwards: ``cancelled`` (the run recorded it),
    ``crashed`` (it had to be killed, or was already dead) or whatever it ended with first.
    Raises :class:`LiveSessionError` for a session of another host, one whose process cannot be
    checked or signalled, or one still running after SIGKILL; ``StoreError`` for an unknown id.
    """
    record = store.get_session(session_id)  # reaps first: a dead run is already crashed
    if record.status != "running":
        return record.status
    pid, started = _target(store, record)
    _wait_until_ready(pid, started, grace_s)
    for sig, wait in (
        (signal.SIGINT, grace_s),
        (signal.SIGTERM, grace_s),
        (signal.SIGKILL, kill_wait_s),
    ):
        if not same_process(pid, started):
            break
        if notify is not None:
            then = f", waiting up to {wait:g} s for it to end" if sig != signal.SIGKILL else ""
            notify(f"Sending {signal.Signals(sig).name} to session {session_id} (pid {pid}){then}.")
        _send(pid, sig, session_id)
        status = _wait_for_end(store, session_id, pid, started, wait)
        if status is not None:
            return status
    status = _wait_for_end(store, session_id, pid, started, kill_wait_s)
    if status is not None:
        return status
    raise LiveSessionError(
        f"Session {session_id} (pid {pid}) is still recorded running after SIGKILL. Check the "
        f"process with `ps -o pid,lstart,cmd -p {pid}`; the store marks it crashed once it is gone."
    )


def _target(store: SessionStore, record: SessionRecord) -> tuple[int, int]:
    """The pid and start time to signal, or a refusal saying why it cannot be done from here."""
    sid, here = record.session_id, _hostname()
    if record.host != here:
        raise LiveSessionError(
            f"Session {sid} runs on host {record.host!r}, not on this one ({here!r}): a process "
            f"of another machine cannot be signalled from here. Cancel it there: "
            f"`proj-tui sessions cancel {sid}`."
        )
    if record.pid is None:
        raise LiveSessionError(f"Session {sid} has no recorded pid, so it cannot be signalled.")
    started = process_start(store, sid)
    if started is None:
        raise LiveSessionError(
            f"Session {sid} has no recorded process start time, so pid {record.pid} cannot be "
            "told from a later process that reused it; nothing was signalled. Stop it where it "
            f"runs (Ctrl+C), or check `ps -p {record.pid}` and use `kill -INT {record.pid}`."
        )
    return int(record.pid), started


def _wait_until_ready(pid: int, started: int, wait: float) -> None:
    """Give a run that is still starting up to ``wait`` seconds to install its signal handlers.

    ``proj-tui run`` records its session before it installs the handlers that turn SIGINT and
    SIGTERM into a recorded ``cancelled``; a SIGINT in between ends it with nothing recorded
    (``crashed``). Its handlers for SIGTERM and SIGHUP (installed last) are the sign (``SigCgt``
    in /proc/PID/status); a run that never installs them (another recorder) gets its signal
    after ``wait`` all the same.
    """
    deadline = time.monotonic() + wait
    while same_process(pid, started) and not (
        _catches(pid, signal.SIGTERM) and _catches(pid, signal.SIGHUP)
    ):
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


def _catches(pid: int, sig: int) -> bool:
    """Whether process ``pid`` has a handler of its own for ``sig`` (True where /proc is silent)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return True


def _send(pid: int, sig: int, session_id: str) -> None:
    """Signal the run (its group when it leads one of its own); a vanished process is fine."""
    try:
        group = os.getpgid(pid) == pid
    except ProcessLookupError:
        return
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        raise LiveSessionError(
            f"Session {session_id} runs as another user (pid {pid}): this user may not signal "
            "it. Cancel it as that user, or ask them to."
        ) from None


def _wait_for_end(
    store: SessionStore, session_id: str, pid: int, started: int, wait: float
) -> str | None:
    """The session's status once it is no longer running, or None after ``wait`` seconds.

    Once its process is gone the store's reaper marks a session that recorded nothing crashed;
    the reads here run it (``get_session`` reaps first on a writable store).
    """
    deadline = time.monotonic() + wait
    while True:
        gone = not same_process(pid, started)
        if gone:
            with contextlib.suppress(ProjTuiError):
                store.reap_crashed()
        status = store.get_session(session_id).status
        if status != "running":
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02 if gone else 0.05)
