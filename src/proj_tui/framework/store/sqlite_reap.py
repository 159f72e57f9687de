"""Crash detection: which running sessions are dead, and marking them crashed.

Kept apart from the store class so the rule (process gone on this host — also when its pid now
belongs to a process that started later —, or heartbeat stale) and the guarded update that applies
it can be read in one place; ``SQLiteSessionStore.reap_crashed`` runs them in a read and a write
transaction. A reader that may not write (a read-only store) applies the same rule to what it
shows (``_present_dead``), so no reader reports a dead session as running.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from proj_tui.framework.store.process import _pid_alive, _pid_started
from proj_tui.framework.store.sqlite_rows import _merge_data

HEARTBEAT_STALE_SECONDS = 60.0
"""A running session whose heartbeat is older than this is crashed; sessions beat every ~15 s."""

_CRASH_ERROR = {
    "type": "Crashed",
    "message": "The session's process ended without recording a result (killed, out of memory, "
    "or the machine stopped); it was found by its missing process or stale heartbeat.",
    "traceback": None,
}


def _running_sessions(conn: sqlite3.Connection) -> list[Any]:
    """``(rid, session_id, pid, host, last beat, pid start)`` of every running session."""
    return conn.execute(
        "SELECT s.rid, s.session_id, s.pid, s.host, coalesce(s.heartbeat_at, s.started_at), "
        "json_extract(d.data, '$.pid_started') FROM sessions AS s "
        "LEFT JOIN session_data AS d ON d.rid = s.rid WHERE s.status = 'running'"
    ).fetchall()


def _dead_sessions(
    running: list[Any], *, now: float, here: str, stale_after: float
) -> list[tuple[int, str, float]]:
    """``(rid, session_id, last beat)`` of those whose process is gone (this host) or stale."""
    return [
        (rid, session_id, last)
        for rid, session_id, pid, host, last, started in running
        if last < now - stale_after or (host == here and pid is not None and _gone(pid, started))
    ]


def _gone(pid: int, started: int | None) -> bool:
    """The session's process has ended, or its pid was reused by a process started later."""
    if not _pid_alive(int(pid)):
        return True
    return started is not None and _pid_started(int(pid)) not in (None, int(started))


def _mark_crashed(conn: sqlite3.Connection, dead: list[tuple[int, str, float]]) -> list[str]:
    """Mark ``dead`` crashed unless it beat again since it was read; return the ids marked."""
    reaped = []
    for rid, session_id, last in dead:
        cursor = conn.execute(
            "UPDATE sessions SET status = 'crashed', ended_at = ? WHERE rid = ? AND "
            "status = 'running' AND coalesce(heartbeat_at, started_at) <= ?",
            (last, rid, last),
        )
        if cursor.rowcount == 1:
            reaped.append(session_id)
            _merge_data(conn, rid, {"error": _CRASH_ERROR}, keep_existing=True)
            _settle_nodes(conn, session_id, last)
    return reaped


def _settle_nodes(conn: sqlite3.Connection, session_id: str, ended: float) -> None:
    """The node a crash interrupted is ``crashed``, the ones it never reached ``not_run``."""
    conn.execute(
        "UPDATE nodes SET status = 'crashed', ended_at = ? WHERE session_id = ? "
        "AND status = 'running'",
        (ended, session_id),
    )
    conn.execute(
        "UPDATE nodes SET status = 'not_run' WHERE session_id = ? AND status = 'pending'",
        (session_id,),
    )


def _present_dead(rows: list[Any], dead: dict[str, float], *, record: bool) -> list[Any]:
    """Summaries or records with each dead session shown as the reaper would have marked it."""
    out = []
    for row in rows:
        last = dead.get(row.session_id)
        if last is not None and row.status == "running":
            changes: dict[str, Any] = {"status": "crashed", "ended_at": last}
            if record and not getattr(row, "error", None):
                changes["error"] = dict(_CRASH_ERROR)
            row = replace(row, **changes)
        out.append(row)
    return out


def _present_dead_nodes(runs: list[Any], last: float) -> list[Any]:
    """A dead session's node runs as ``_settle_nodes`` would have left them."""
    settled = {"running": "crashed", "pending": "not_run"}
    return [
        replace(run, status=settled[run.status], ended_at=last if run.status == "running" else None)
        if run.status in settled
        else run
        for run in runs
    ]
