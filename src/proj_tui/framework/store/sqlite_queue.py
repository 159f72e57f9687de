"""The run queue's rows in the session store (schema 3's ``queue`` table).

Why in the store and not a file of its own: the queue must be seen and edited by every app and
CLI of the project and drained by a worker that outlives all of them, and the store is already the
one file every process of the project opens safely at once (WAL, ``BEGIN IMMEDIATE`` writes). A
claim (``claim_next``) is one write transaction, so two workers never take the same item.

Only this module writes the table; ``framework.queue`` holds the rules (what a request is, the
worker, reconciliation) and calls these methods.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from proj_tui.framework.store.errors import StoreError
from proj_tui.framework.store.process import _hostname, _username
from proj_tui.framework.store.sqlite import SQLiteSessionStore

QUEUE_STATES = ("queued", "running", "done", "removed")
ACTIVE_STATES = ("queued", "running")
DEFAULT_CONCURRENCY = 1
_CONCURRENCY_KEY = "queue_concurrency"
_COLUMNS = (
    "id, position, state, request, sweep_id, sweep_values, queued_by, queued_at, pid, started_at, "
    "session_id, ended_at, outcome, error"
)


@dataclass(frozen=True)
class QueueItem:
    """One queued run request and what became of it."""

    id: int
    position: float
    state: str
    request: dict[str, Any]
    sweep_id: str | None = None
    sweep_values: dict[str, Any] = field(default_factory=dict)
    queued_by: str | None = None
    queued_at: float = 0.0
    pid: int | None = None
    started_at: float | None = None
    session_id: str | None = None
    ended_at: float | None = None
    outcome: str | None = None
    """The session's end status (``succeeded`` …), or ``not started`` when no session began."""
    error: str | None = None


def _item(row: tuple[Any, ...]) -> QueueItem:
    (item_id, position, state, request, sweep_id, sweep_values, queued_by, queued_at, pid,
     started_at, session_id, ended_at, outcome, error) = row  # fmt: skip
    return QueueItem(
        id=int(item_id),
        position=float(position),
        state=str(state),
        request=json.loads(request),
        sweep_id=sweep_id,
        sweep_values=json.loads(sweep_values) if sweep_values else {},
        queued_by=queued_by,
        queued_at=float(queued_at),
        pid=pid,
        started_at=started_at,
        session_id=session_id,
        ended_at=ended_at,
        outcome=outcome,
        error=error,
    )


class QueueStore:
    """The queue table of one project's store (a ``SQLiteSessionStore``)."""

    def __init__(self, store: SQLiteSessionStore) -> None:
        if not isinstance(store, SQLiteSessionStore):
            raise StoreError(
                f"The run queue lives in proj-tui's SQLite store, not in {type(store).__name__}."
            )
        self.store = store

    # ------------------------------------------------------------------ reading

    def items(self, *, include_finished: bool = False, limit: int = 1000) -> list[QueueItem]:
        """Running items first (oldest start first), then queued ones in order; then, with
        ``include_finished``, the latest finished or removed ones."""

        def work(conn: sqlite3.Connection) -> list[QueueItem]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE state = 'running' ORDER BY started_at, id"
            ).fetchall()
            rows += conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE state = 'queued' ORDER BY position, id"
            ).fetchall()
            if include_finished:
                rows += conn.execute(
                    f"SELECT {_COLUMNS} FROM queue WHERE state IN ('done', 'removed') "
                    "ORDER BY coalesce(ended_at, queued_at) DESC, id DESC LIMIT ?",
                    (limit,),
                ).fetchall()
            return [_item(row) for row in rows[:limit]]

        return self.store._read(work)

    def get(self, item_id: int) -> QueueItem:
        def work(conn: sqlite3.Connection) -> QueueItem:
            return self._require(conn, item_id)

        return self.store._read(work)

    def _require(self, conn: sqlite3.Connection, item_id: int) -> QueueItem:
        row = conn.execute(f"SELECT {_COLUMNS} FROM queue WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            waiting = [
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM queue WHERE state IN ('queued', 'running') ORDER BY position"
                )
            ]
            known = (
                f" Queued or running: {', '.join(waiting)}." if waiting else " The queue is empty."
            )
            raise StoreError(f"No queue item {item_id}.{known} See: proj-tui queue list")
        return _item(row)

    def concurrency(self) -> int:
        """How many queued runs the worker runs at once (kept in the store's ``meta``)."""

        def work(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (_CONCURRENCY_KEY,)
            ).fetchone()
            try:
                return max(1, int(row[0])) if row else DEFAULT_CONCURRENCY
            except ValueError:
                return DEFAULT_CONCURRENCY

        return self.store._read(work)

    def sweep_ids(self, session_ids: Iterable[str]) -> dict[str, str]:
        """``{session id: sweep id}`` of those of ``session_ids`` that belong to a sweep."""
        wanted = list(dict.fromkeys(session_ids))
        if not wanted:
            return {}

        def work(conn: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                found.update(
                    conn.execute(
                        f"SELECT session_id, sweep_id FROM sessions WHERE session_id IN ({marks}) "
                        "AND sweep_id IS NOT NULL",
                        chunk,
                    ).fetchall()
                )
            return found

        try:
            return self.store._read(work)
        except StoreError:  # an older read-only store has no sweep_id column: no sweeps in it
            return {}

    def sweep_items(self, sweep_id: str) -> list[QueueItem]:
        """Every queue item of a sweep, in the order they were queued."""

        def work(conn: sqlite3.Connection) -> list[QueueItem]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE sweep_id = ? ORDER BY id", (sweep_id,)
            ).fetchall()
            return [_item(row) for row in rows]

        return self.store._read(work)

    def sweep_sessions(self, sweep_id: str) -> list[str]:
        """The ids of a sweep's sessions, oldest first."""

        def work(conn: sqlite3.Connection) -> list[str]:
            return [
                str(r[0])
                for r in conn.execute(
                    "SELECT session_id FROM sessions WHERE sweep_id = ? ORDER BY started_at",
                    (sweep_id,),
                )
            ]

        return self.store._read(work)

    def session_by_pid(self, pid: int, since: float) -> str | None:
        """The session process ``pid`` of this host started at or after ``since`` (a queued run's
        child records its own pid, whether it runs natively or execs into Kedro)."""

        def work(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT session_id FROM sessions WHERE pid = ? AND host = ? AND started_at >= ? "
                "ORDER BY started_at LIMIT 1",
                (pid, _hostname(), since - 1.0),
            ).fetchone()
            return None if row is None else str(row[0])

        return self.store._read(work)

    # ------------------------------------------------------------------ writing

    def add(
        self,
        requests: Sequence[tuple[Mapping[str, Any], str | None, Mapping[str, Any]]],
        *,
        now: float | None = None,
    ) -> list[int]:
        """Append ``(request, sweep id, swept values)`` items at the end, in one transaction."""
        stamp = time.time() if now is None else now
        who = f"{_username()}@{_hostname()}"

        def work(conn: sqlite3.Connection) -> list[int]:
            last = conn.execute("SELECT max(position) FROM queue WHERE state = 'queued'").fetchone()
            position = float(last[0] or 0.0)
            ids = []
            for request, sweep_id, values in requests:
                position += 1.0
                cursor = conn.execute(
                    "INSERT INTO queue (position, state, request, sweep_id, sweep_values, "
                    "queued_by, queued_at) VALUES (?, 'queued', ?, ?, ?, ?, ?)",
                    (
                        position,
                        json.dumps(dict(request), sort_keys=True),
                        sweep_id,
                        json.dumps(dict(values), sort_keys=True) if values else None,
                        who,
                        stamp,
                    ),
                )
                assert cursor.lastrowid is not None
                ids.append(int(cursor.lastrowid))
            return ids

        return self.store._write(work)

    def move(self, item_id: int, where: str | int) -> list[int]:
        """Move a queued item ``up``, ``down``, to the ``top`` or to place N (1 is next);
        returns the queued ids in their new order."""

        def work(conn: sqlite3.Connection) -> list[int]:
            item = self._require(conn, item_id)
            if item.state != "queued":
                raise StoreError(
                    f"Queue item {item_id} is {item.state}, not queued: only a waiting item can "
                    "be moved."
                )
            order = [
                int(r[0])
                for r in conn.execute(
                    "SELECT id FROM queue WHERE state = 'queued' ORDER BY position, id"
                )
            ]
            index = order.index(item_id)
            order.pop(index)
            if where == "up":
                target = max(0, index - 1)
            elif where == "down":
                target = min(len(order), index + 1)
            elif where == "top":
                target = 0
            elif where == "bottom":
                target = len(order)
            elif isinstance(where, int):
                if where < 1:
                    raise StoreError(f"Place {where} is not in the queue: places start at 1.")
                target = min(len(order), where - 1)
            else:
                raise StoreError(
                    f"Cannot move to {where!r}: use up, down, top, bottom or a place N."
                )
            order.insert(target, item_id)
            conn.executemany(
                "UPDATE queue SET position = ? WHERE id = ?",
                [(float(place + 1), qid) for place, qid in enumerate(order)],
            )
            return order

        return self.store._write(work)

    def remove(self, item_id: int) -> QueueItem:
        """Take a queued item out (kept as ``removed``, so the list can say what happened)."""

        def work(conn: sqlite3.Connection) -> QueueItem:
            item = self._require(conn, item_id)
            if item.state == "running":
                raise StoreError(
                    f"Queue item {item_id} is already running as session {item.session_id or '…'}"
                    f"; cancel the session instead (proj-tui sessions cancel "
                    f"{item.session_id or 'ID'})."
                )
            if item.state != "queued":
                raise StoreError(f"Queue item {item_id} is {item.state}: nothing to remove.")
            conn.execute(
                "UPDATE queue SET state = 'removed', ended_at = ? WHERE id = ?",
                (time.time(), item_id),
            )
            return item

        return self.store._write(work)

    def clear(self) -> int:
        """Remove every queued item (running ones go on); returns how many."""

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE queue SET state = 'removed', ended_at = ? WHERE state = 'queued'",
                (time.time(),),
            )
            return int(cursor.rowcount)

        return self.store._write(work)

    def set_concurrency(self, value: int) -> None:
        if value < 1:
            raise StoreError(f"--concurrency {value}: the worker runs at least 1 item at a time.")

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_CONCURRENCY_KEY, str(value)),
            )

        self.store._write(work)

    def claim_next(self) -> QueueItem | None:
        """Mark the first queued item running and return it (None when none waits)."""

        def work(conn: sqlite3.Connection) -> QueueItem | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM queue WHERE state = 'queued' ORDER BY position, id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            item = _item(row)
            now = time.time()
            conn.execute(
                "UPDATE queue SET state = 'running', started_at = ? WHERE id = ?", (now, item.id)
            )
            return QueueItem(**{**item.__dict__, "state": "running", "started_at": now})

        return self.store._write(work)

    def started(self, item_id: int, pid: int) -> None:
        """Record the child process a running item became."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE queue SET pid = ? WHERE id = ?", (pid, item_id))

        self.store._write(work)

    def link(self, item: QueueItem, session_id: str) -> None:
        """Tie a running item to its session, and the session to the item's sweep."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE queue SET session_id = ? WHERE id = ?", (session_id, item.id))
            if item.sweep_id is not None:
                conn.execute(
                    "UPDATE sessions SET sweep_id = ? WHERE session_id = ?",
                    (item.sweep_id, session_id),
                )

        self.store._write(work)
        if item.sweep_id is not None:
            self.store.update_session(
                session_id, sweep={"id": item.sweep_id, "values": item.sweep_values}
            )

    def finish(
        self, item_id: int, outcome: str, *, session_id: str | None = None, error: str | None = None
    ) -> None:
        """Mark a running item done with the session's end status (or why none began)."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE queue SET state = 'done', ended_at = ?, outcome = ?, error = ?, "
                "session_id = coalesce(?, session_id) WHERE id = ? AND state = 'running'",
                (time.time(), outcome, error, session_id, item_id),
            )

        self.store._write(work)
