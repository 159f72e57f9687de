"""Follow a session from its store record: the events it produces, rebuilt from what it stored.

A session outlives the app that launched it, and a run started from a shell never had a pipe to
any app, so an app (or ``sessions logs --follow``) that attaches to a live session reads the store
instead of the run's event stream. :class:`SessionFollower` turns what the run recorded — its
record, node rows and log lines — back into the same typed events (``framework.events``) the
supervisor hands the app, so one screen shows a launched run and an attached one alike.

Why a poll is cheap: it first asks the store whether anything was committed since the last one
(``change_token``: ``PRAGMA data_version`` for SQLite, a few microseconds); only then does it read
the status (one row), the node rows and the log lines after the last one seen (a range on the log
table's key). A run that dies without a word (SIGKILL) writes nothing, so every ``check_interval``
seconds the follower also asks the reaper whether the session is dead. ``benches/follow.py``
measures a follower's cost. About once a second a poll also renews the follower's mark beside the
store (``framework.followers``), so the run stores its lines every 0.1 s rather than 0.2 s while it
is followed.

Waking: a poll that finds nothing still costs its thread a wake-up (~60-80 us of CPU each on a
small VM, ten times the poll), so a follower that polled every 50 ms cost 0.4 % of a core at 1
line/s. :class:`StoreWrites` wakes its caller when the store's folder is written (inotify on
Linux), and at least every ``longest`` seconds for the reaper's check and the mark; elsewhere it
falls back to sleeping ``fallback`` seconds, the old poll.

Order: node events and log lines are merged by time, each keeping its own order; every log line is
handed over once, in ``seq`` order. The end (``SessionFinished``) comes only after the lines stored
before the status changed (the run stores its last lines, then its status).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import select
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.framework import followers
from proj_tui.framework.events import (
    ErrorDetail,
    ErrorSummary,
    Event,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
)
from proj_tui.framework.run_order import in_run_order, plan_order
from proj_tui.framework.store import NodeRun, SQLiteSessionStore

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionRecord, SessionStore

_FAILED_NODE = frozenset({"failed", "cancelled", "crashed"})
_NODE_MARGIN_S = 30.0
"""Node rows stamped this long before the newest stamp seen are read again (see _node_rows)."""
_DELETED = ErrorDetail(
    "Deleted", "The session was deleted from the store while it was being followed.", None
)


class SessionFollower:
    """The events of one session since the last :meth:`poll`, read from its store.

    ``tail`` is how many of the lines already stored the first poll hands over (None: all of
    them); ``batch`` bounds the lines one poll returns (the rest come with the next poll, which
    then does not wait for a change). ``StoreError`` (with "did you mean") for an unknown id.
    """

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        *,
        tail: int | None = 500,
        batch: int = 50_000,
        check_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.tail = tail
        self.batch = batch
        self.check_interval = check_interval
        self.ended = False
        """True once the session's ending was handed over: later polls return nothing."""
        self.status = store.get_session(session_id).status
        """The status as of the last poll."""
        self._started = False
        self._seq: int | None = None  # the last log line handed over; None before the first poll
        self._more = False  # the last poll stopped at ``batch`` lines
        self._token: int | None = None
        self._next_check = 0.0
        self._plan: list[str] = []
        self._seen: dict[str, tuple[str, float | None, float | None]] = {}
        self._index: dict[str, int] = {}
        self._node_mark = float("-inf")  # the newest node stamp seen (see _node_rows)
        self._announced: set[str] = set()
        self._mark = followers.mark_for(store, session_id)  # so the run stores sooner
        self._next_touch = 0.0

    # -- the one public step -------------------------------------------------------------------
    def poll(self) -> list[Event]:
        """Everything that happened since the last poll, in order; [] when nothing changed."""
        if self.ended:
            return []
        now = time.monotonic()
        if self._mark is not None and now >= self._next_touch:
            self._next_touch = now + followers.TOUCH_EVERY
            followers.touch(self._mark)
        token = self.store.change_token()  # before the reads: a write after them shows next time
        if token == self._token and not self._more and now < self._next_check:
            return []
        checking = now >= self._next_check
        if checking:
            self._next_check = now + self.check_interval
        self._token = token
        status = self._status(reap=checking)
        if status is None:  # pruned while followed
            self.ended = True
            return [SessionFinished(self.session_id, "crashed", None, _DELETED, None)]
        events: list[Event] = []
        record: SessionRecord | None = None
        if not self._started:
            record = self.store.get_session(self.session_id)
            status = record.status
            if record.pipeline is None and status == "running":
                self._token = None  # the run has not chosen its pipeline yet: ask again
                return []
            self._plan = plan_order(record)
            events.append(self._session_started(record))
            self._started = True
        elif not self._plan:
            self._plan = plan_order(self.store.get_session(self.session_id))
        nodes = self._node_events()
        logs = self._log_events()
        events.extend(heapq.merge(nodes, logs, key=_ts))
        self.status = status
        if status != "running" and not self._more:
            record = self.store.get_session(self.session_id)
            events.extend(self._node_events(full=True))  # the reaper may have settled them
            events.append(_finished(record))
            self.ended = True
            if self._mark is not None:
                followers.remove(self._mark)
        return events

    @property
    def behind(self) -> bool:
        """The last poll stopped at ``batch`` lines: poll again at once, without waiting."""
        return self._more

    # -- reading the store ---------------------------------------------------------------------
    def _status(self, *, reap: bool) -> str | None:
        """The session's status (one row); with ``reap``, after the dead were found."""
        store = self.store
        if not isinstance(store, SQLiteSessionStore):
            try:
                return store.get_session(self.session_id).status
            except Exception:
                return None
        sid = self.session_id
        row = store._read(
            lambda conn: conn.execute(
                "SELECT status FROM sessions WHERE session_id = ?", (sid,)
            ).fetchone()
        )
        if row is None:
            return None
        status = str(row[0])
        if reap and status == "running":
            if store.readonly:  # cannot mark it, but shows it as the reaper would
                if sid in store._dead():
                    return store.get_session(sid).status
            elif store.reap_crashed():
                return store.get_session(sid).status
        return status

    def _session_started(self, record: SessionRecord) -> SessionStarted:
        planned = self._plan or [
            run.name for run in in_run_order(self.store.nodes(record.session_id), record)
        ]
        return SessionStarted(
            session_id=record.session_id,
            project_path=record.project_path or "",
            package_name=record.package_name or "",
            env=record.env or "",
            pipeline=record.pipeline or "",
            runner=record.runner or "",
            runtime_params=dict(record.runtime_params),
            nodes=planned,
            pid=record.pid or 0,
            ts=record.started_at,
        )

    def _node_events(self, *, full: bool = False) -> list[Event]:
        """Events for node rows that changed since the last read, in the order they happened."""
        runs = self._node_rows(full=full)
        if len(self._index) != len(self._plan):
            self._index = {name: i for i, name in enumerate(self._plan)}
        out: list[Event] = []
        for run in runs:
            state = (run.status, run.started_at, run.ended_at)
            if self._seen.get(run.name) == state:
                continue
            self._seen[run.name] = state
            for ts in (run.started_at, run.ended_at):
                if ts is not None and ts > self._node_mark:
                    self._node_mark = ts
            total = len(self._plan) or len(self._seen)
            out.extend(self._events_of(run, self._index.get(run.name, len(self._index)), total))
        out.sort(key=_ts)
        return out

    def _node_rows(self, *, full: bool) -> list[NodeRun]:
        """The node rows that may have changed: for SQLite, those running or stamped lately.

        A 5000-node run's rows took 27 ms to read whole (``store.nodes``), 5 times a second
        while it logs; a row's change always sets its ``started_at`` or ``ended_at`` to the
        run's clock, so rows stamped before the newest stamp seen (less a margin for rows a
        flush stored late) have been seen. The reaper's ``crashed`` stamps the last heartbeat,
        which may be older: the last read, once the session ended, reads everything.
        """
        store = self.store
        if full or not isinstance(store, SQLiteSessionStore):
            return store.nodes(self.session_id)
        sid, since = self.session_id, self._node_mark - _NODE_MARGIN_S
        rows = store._read(
            lambda conn: conn.execute(
                "SELECT name, status, started_at, ended_at, error FROM nodes "
                "WHERE session_id = ? AND (status = 'running' OR "
                "coalesce(ended_at, started_at, -1) >= ?)",
                (sid, since),
            ).fetchall()
        )
        return [NodeRun(*row) for row in rows]

    def _events_of(self, run: NodeRun, index: int, total: int) -> list[Event]:
        sid, name = self.session_id, run.name
        out: list[Event] = []
        if run.started_at is not None and name not in self._announced and run.status != "pending":
            self._announced.add(name)
            out.append(NodeStarted(name, index, total, run.started_at, sid))
        if run.status in _FAILED_NODE or run.status == "succeeded":
            started = run.started_at if run.started_at is not None else run.ended_at
            ended = run.ended_at if run.ended_at is not None else started
            duration = (ended or 0.0) - (started or 0.0)
            ts = ended if ended is not None else time.time()
            if run.status == "succeeded":
                out.append(NodeFinished(name, index, total, duration, ts, sid))
            else:
                error = _node_error(run)
                out.append(NodeFailed(name, index, total, duration, error, ts, sid))
        return out

    def _log_events(self) -> list[Event]:
        """Lines after the last one handed over (the first time: the last ``tail`` stored)."""
        store, sid = self.store, self.session_id
        if self._seq is None:
            if self.tail is None:
                self._seq = 0
            else:
                last = _last_seq(store, sid)
                self._seq = max(0, last - self.tail) if last is not None else 0
        lines = store.logs(sid, after=self._seq, limit=self.batch)
        self._more = len(lines) >= self.batch
        if not lines:
            return []
        self._seq = lines[-1].seq
        return [LogMessage(ln.ts, ln.level, ln.logger, ln.message, sid) for ln in lines]


def _ts(event: Any) -> float:
    return float(event.ts)


def _node_error(run: NodeRun) -> ErrorSummary:
    """A node row's one-line ``Type: message`` as the stream's error payload."""
    if run.status == "crashed":
        return ErrorSummary("Crashed", run.error or "the session's process died in this node")
    kind, sep, message = (run.error or "").partition(": ")
    if not sep:
        return ErrorSummary("", run.error or run.status)
    return ErrorSummary(kind, message)


def _finished(record: SessionRecord) -> SessionFinished:
    """The ending the run's own stream would have had (the watchdog's for a dead process)."""
    error = record.error if isinstance(record.error, dict) else None
    detail = None
    if error is not None:
        detail = ErrorDetail(
            str(error.get("type") or ""),
            str(error.get("message") or ""),
            error.get("traceback") if isinstance(error.get("traceback"), str) else None,
        )
    resume = record.extra.get("resume")
    duration = None if record.status == "crashed" else record.duration
    return SessionFinished(
        session_id=record.session_id,
        status=record.status,
        duration=duration,
        error=detail,
        resume=resume if isinstance(resume, str) else None,
        ts=record.ended_at if record.ended_at is not None else time.time(),
    )


def _last_seq(store: SessionStore, session_id: str) -> int | None:
    """The number of the session's last stored log line (None: no lines yet).

    SQLite's store finds it with one index probe; another store is read whole, as the protocol
    has no cheaper way.
    """
    if isinstance(store, SQLiteSessionStore):
        return store.last_log_seq(session_id)
    lines = store.logs(session_id)
    return lines[-1].seq if lines else None


# -- waiting for a write ------------------------------------------------------------------------

_IN_MODIFY, _IN_CREATE, _IN_MOVED_TO = 0x2, 0x100, 0x80
_SETTLE_S = 0.01
"""After a wake-up, how long to let the write that woke us finish: a commit is several writes
to the WAL, each an event, and only the last one changes what a poll sees."""


class StoreWrites:
    """Wait until a file in ``folder`` (the store's) is written, or ``longest`` seconds pass.

    Linux's inotify on the folder, not on the WAL file, which SQLite removes and makes again;
    readers never write there (the ``-shm`` index is written through memory, which inotify does
    not see), so the wake-ups are the writers' commits. Where inotify is missing (another OS, the
    user's watch limit reached) :meth:`wait` sleeps ``fallback`` seconds, a poll as before.
    """

    def __init__(self, folder: Path, *, fallback: float = 0.05) -> None:
        self.fallback = fallback
        self._fd: int | None = None
        self._poller: select.poll | None = None
        if sys.platform.startswith("linux"):
            self._fd = _inotify_folder(folder)
        if self._fd is not None:
            self._poller = select.poll()
            self._poller.register(self._fd, select.POLLIN)

    @property
    def watching(self) -> bool:
        """Whether writes wake :meth:`wait` (False: it sleeps ``fallback``)."""
        return self._fd is not None

    def wait(self, longest: float, stop: threading.Event | None = None) -> None:
        """Return once the folder was written (a moment after, so the commit is whole), after
        ``longest`` seconds, or, without inotify, after ``fallback`` seconds; early once ``stop``
        is set (checked before and after)."""
        stop = stop or threading.Event()
        if stop.is_set():
            return
        if self._poller is None or self._fd is None:
            stop.wait(min(self.fallback, longest))
            return
        if self._poller.poll(max(0, int(longest * 1000))):
            stop.wait(_SETTLE_S)
            self._drain()

    def _drain(self) -> None:
        assert self._fd is not None
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while os.read(self._fd, 1 << 14):
                pass

    def close(self) -> None:
        fd, self._fd, self._poller = self._fd, None, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> StoreWrites:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _inotify_folder(folder: Path) -> int | None:
    """A non-blocking inotify descriptor watching ``folder``'s files for writes, or None."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    mask = _IN_MODIFY | _IN_CREATE | _IN_MOVED_TO
    if libc.inotify_add_watch(fd, os.fsencode(folder), mask) < 0:
        os.close(fd)
        return None
    return fd
