"""Collects what a running session produces (node timings, log records) and writes it out in batches.

Writing every node event and log line to SQLite as it happens would put a transaction on the hot path of
every node. Instead the recorder buffers in memory and a background thread flushes to the store every
``flush_interval`` seconds (and heartbeats), so readers follow a live session with a short delay and a
5000-node run pays a few microseconds a node. While an app or ``sessions logs --follow`` follows the
session, it flushes every ``followers.FOLLOWED_FLUSH_INTERVAL`` instead (``framework.followers``).
The recorder is also the runner's listener and turns what the runner tells it into the session's
events (``framework.events``). Listeners (the CLI's ``--events json`` writer) get each event
synchronously; one that buffers (has a ``flush`` method) is flushed by the
same thread every ``listener_flush_interval`` seconds, so a last log line before a long quiet spell
still goes out promptly.

A log line is the hot path (a node may log 100k lines a second), so ``log`` and ``RecordingHandler`` do
only what each line needs: see ``benches/producer.py``.

Nothing is dropped because a write failed (a full disk, a locked file): lines taken from the buffer
wait in a backlog until a flush stores them, in batches so a nearly full disk still takes some. A
backlog past ``MAX_BACKLOG`` lines gives up its oldest lines and the store gets one line saying how
many; what is still unwritten when the session stops is saved to a file beside the system's temp
dir, and ``stop`` returns a sentence saying all of it (the CLI prints it and exits non-zero).

A ``CrashWitness`` (the CLI's watchdog process) is handed every node status as it changes and the
log lines as they leave the buffer, and told how many of them are stored: if the process dies with
no word (``os._exit``, a segfault), the witness writes what the store is missing. Each hand-over
(lines, then the node status, one frame) runs under the recorder's lock, and whatever the store is
given, the witness has been told first.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Protocol, TypeAlias

from proj_tui.framework import followers
from proj_tui.framework.events import (
    ErrorSummary,
    Event,
    EventListener,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
)
from proj_tui.framework.store import LogLine, NodeRun
from proj_tui.framework.store.sqlite_rows import _clean_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from proj_tui.framework.redact import Redactor
    from proj_tui.framework.store import SessionStore

logger = logging.getLogger(__name__)

LOG_BATCH = 2000
"""Log lines per store transaction: a nearly full disk still takes the batches that fit."""
MAX_BACKLOG = 500_000
"""Unstored lines kept in memory while the store cannot be written; older ones are counted, not kept."""

LogRow: TypeAlias = tuple[float, str, str, str]
"""A log line as the recorder keeps it: ``(ts, level, logger, message)``, the message scrubbed and
valid UTF-8. A tuple, not a ``LogLine``: a frozen dataclass costs ~1.5 us to build, five times a
Kedro node; the store takes the tuples as they are (``record_progress``)."""

NodeState: TypeAlias = tuple[str, str, float | None, float | None, str | None]
"""A node's status as the recorder keeps it: ``NodeRun``'s fields in order (name, status,
started_at, ended_at, error). A tuple, not a ``NodeRun``: two are made a node, and a frozen
dataclass costs ~1 us each to build; ``NodeRun(*state)`` when one goes to the store."""


class NamedNode(Protocol):
    """What the recorder needs of a node: its name (ours, or a Kedro node in the Kedro plugin)."""

    @property
    def name(self) -> str: ...


class CrashWitness(Protocol):
    """Something outside this process that can finish the record if the process dies."""

    def node(self, state: NodeState) -> None:
        """A node's status changed (called on the node's thread, synchronously)."""

    def logs(self, lines: list[LogRow], then: Sequence[NodeState] = ()) -> None:
        """These lines left the buffer, in order, and are not yet stored; ``then`` are the node
        statuses that changed right after them, in order (one hand-over for all, per node)."""

    def stored(self, count: int) -> None:
        """The oldest ``count`` lines handed over and not yet confirmed are now in the store."""

    def flush(self) -> None:
        """Pass on what was handed over since the last call (called every flush tick)."""


class Recorder:
    """Buffers node runs and log lines of one session and flushes them to its store."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        redactor: Redactor,
        *,
        flush_interval: float = 0.2,
        listener_flush_interval: float = 0.05,
        heartbeat_interval: float = 5.0,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.redactor = redactor
        self.listeners: list[EventListener] = []
        self._flush_interval = flush_interval
        self._listener_flush_interval = listener_flush_interval
        self._heartbeat_interval = heartbeat_interval
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._nodes: dict[str, NodeState] = {}
        self._dirty: dict[str, NodeState] = {}
        self._logs: deque[LogRow] = deque()  # appended without the lock: see log()
        self._backlog: deque[LogRow] = deque()  # taken from _logs under _lock, not yet stored
        # the store's one-transaction write of a flush, where it has one (SQLite's)
        self._progress = getattr(store, "record_progress", None)
        self.witness: CrashWitness | None = None
        self._failure: BaseException | None = None  # the last write error, None once writes work
        self._failed_writes = 0
        self._dropped = 0  # lines given up while the backlog was full, not yet told to the store
        self._lost = 0  # every line given up, for the final report
        self._spilled: tuple[int, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_heartbeat = time.time()
        self._follow_mark = followers.mark_for(store, session_id)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background flusher; idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"proj-tui-recorder-{self.session_id}", daemon=True
            )
            self._thread.start()

    def stop(self) -> str | None:
        """Stop the flusher and write whatever is still buffered.

        Returns None when the store holds everything, else a sentence saying what it is missing
        and where the unwritten lines were saved.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if not self.flush():
            self._spill()
        if self._follow_mark is not None:
            followers.remove(self._follow_mark)
        return self.problem()

    def problem(self) -> str | None:
        """What the store is missing because writing it failed, or None."""
        if self._failure is None and not self._lost and self._spilled is None:
            return None
        parts = []
        if self._spilled is not None:
            count, where = self._spilled
            parts.append(f"{count} log line(s) could not be written to the session store; {where}")
        if self._lost:
            parts.append(f"{self._lost} log line(s) were lost while the store could not be written")
        with self._lock:
            pending_nodes = len(self._dirty)
        if pending_nodes:
            parts.append(f"the status of {pending_nodes} node(s) could not be stored")
        if not parts:
            return None
        cause = f" ({self._failure})" if self._failure is not None else ""
        return (
            f"The record of session {self.session_id} is incomplete{cause}: "
            + "; ".join(parts)
            + "."
        )

    def _loop(self) -> None:
        """Sleep until something is due, do it, sleep again.

        Due are: the store's flush (every ``flush_interval``, or ``FOLLOWED_FLUSH_INTERVAL``
        while a follower's mark is fresh), a look at that mark (once a second, taken with a
        flush when one comes first), and, only while there are listeners, their flush every
        ``listener_flush_interval``. Nothing else wakes this thread: each wake-up takes the GIL
        from the run's thread (a thread switch each way), so a plain ``kedro run`` pays one
        every ``flush_interval``, not every tick of the shortest interval.
        """
        mark = self._follow_mark
        followed_interval = min(self._flush_interval, followers.FOLLOWED_FLUSH_INTERVAL)
        interval = self._flush_interval
        now = time.monotonic()
        next_flush = now + interval
        next_look = now if mark is not None else float("inf")  # for a follower's mark
        next_tick = now + self._listener_flush_interval
        while True:
            due = min(next_flush, next_look)
            if self.listeners or (self.witness is not None and self._logs):
                due = min(due, next_tick)
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            try:
                now = time.monotonic()
                flushing = now >= next_flush
                # a look due before the next flush is taken with this one: no wake-up of its own
                if mark is not None and (
                    now >= next_look or (flushing and now + interval > next_look)
                ):
                    next_look = now + followers.TOUCH_EVERY  # someone follows: store sooner
                    followed = followers.fresh(mark, time.time())
                    interval = followed_interval if followed else self._flush_interval
                    next_flush = min(next_flush, now + interval)
                if not flushing and now < next_flush:  # events promptly, the store a little later
                    next_tick = now + self._listener_flush_interval
                    self._tick()
                    continue
                next_flush = now + interval
                next_tick = now + self._listener_flush_interval
                flushed = self.flush()
                if self.witness is not None:
                    self.witness.flush()
                if not flushed:
                    continue  # no heartbeat: the write it needs failed just now
                wall = time.time()
                if wall - self._last_heartbeat >= self._heartbeat_interval:
                    self.store.heartbeat(self.session_id)
                    self._last_heartbeat = wall
            except Exception:  # never kill the run because a flush failed; the final flush reports
                logger.debug(
                    "Background flush of session %s failed", self.session_id, exc_info=True
                )

    def _tick(self) -> None:
        """Between flushes: lines to the witness, buffered events to the listeners."""
        if self.witness is not None:
            with self._lock:
                self._hand_over_locked()
            self.witness.flush()
        self._flush_listeners()

    # -- producers -------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        """Hand an event to every listener, in the order they subscribed."""
        for listener in self.listeners:
            listener(event)

    def plan(self, node_names: list[str]) -> None:
        """Record the nodes a run will execute, so a failure can say which never ran."""
        with self._lock:
            for name in node_names:
                state = (name, "pending", None, None, None)
                self._nodes[name] = state
                self._dirty[name] = state

    # -- the runner's listener (runner.RunListener) --------------------------------------------
    def node_started(self, node: NamedNode, index: int, total: int) -> None:
        """Book the node as running and announce it."""
        now = time.time()
        name = node.name
        state = (name, "running", now, None, None)
        with self._lock:
            self._nodes[name] = state
            self._dirty[name] = state
            if self.witness is not None:
                self._hand_over_locked(state)
        if self.listeners:
            self.emit(NodeStarted(name, index, total, now, self.session_id))

    def node_finished(self, node: NamedNode, index: int, total: int, duration: float) -> None:
        """Book the node as succeeded and announce it."""
        now = self._settle(node.name, "succeeded", None)
        if self.listeners:
            self.emit(NodeFinished(node.name, index, total, duration, now, self.session_id))

    def node_failed(
        self, node: NamedNode, index: int, total: int, duration: float, error: BaseException
    ) -> None:
        """Book the node as failed, or cancelled on a Ctrl+C (its error scrubbed), and announce it."""
        kind = type(error).__name__
        summary = ErrorSummary(kind, self.redactor.scrub(str(error)))
        now = self._settle(node.name, summary.node_status, self.redactor.scrub(f"{kind}: {error}"))
        if self.listeners:
            self.emit(NodeFailed(node.name, index, total, duration, summary, now, self.session_id))

    def _settle(self, name: str, status: str, error: str | None) -> float:
        now = time.time()
        with self._lock:
            previous = self._nodes.get(name)
            started = previous[2] if previous is not None and previous[2] else now
            state = (name, status, started, now, error)
            self._nodes[name] = state
            self._dirty[name] = state
            if self.witness is not None:
                self._hand_over_locked(state)
        return now

    def _hand_over_locked(self, state: NodeState | None = None) -> None:
        """Move buffered lines to the backlog and tell the witness of them, then of ``state``,
        in one hand-over (the caller holds ``_lock``).

        Every path to the store passes here first (``flush``), so the witness never knows less
        than the store: a crash record never turns a stored success back into ``running``.
        """
        then = () if state is None else (state,)
        witness = self.witness
        logs = self._logs
        if logs:
            moved = [logs.popleft() for _ in range(len(logs))]
            if witness is not None:  # the lines first, so a crash record keeps them in order
                witness.logs(moved, then)
            # into the backlog only once told: the flusher (without this lock) may store them
            # at once, and a 'stored' reaching the witness before the lines would undercount
            self._backlog.extend(moved)
            excess = len(self._backlog) - MAX_BACKLOG
            if excess > 0:  # memory is finite: the oldest go, and the store is told how many
                for _ in range(excess):
                    self._backlog.popleft()
                self._dropped += excess
                self._lost += excess
                if witness is not None:
                    witness.stored(excess)  # nor should the witness write them later
        elif state is not None and witness is not None:
            witness.node(state)

    def settle_nodes(self, status: str) -> None:
        """Give nodes still pending a final status (``skipped`` or ``not_run``)."""
        with self._lock:
            for name, state in self._nodes.items():
                if state[1] == "pending":
                    settled = (name, status, None, None, None)
                    self._nodes[name] = settled
                    self._dirty[name] = settled

    def node_runs(self) -> list[NodeRun]:
        with self._lock:
            states = list(self._nodes.values())
        return [NodeRun(*state) for state in states]

    def log(self, record: logging.LogRecord, message: str) -> None:
        """Store a formatted log record (secrets scrubbed) and forward it.

        The text is made valid UTF-8 first (lone surrogates and smuggled bytes become U+FFFD), so
        the events stream and the store hold the same line and neither chokes on it.
        """
        message = self.redactor.scrub(_clean_text(message))
        ts, level, name = record.created, record.levelname, record.name
        # deque.append is atomic and flush() only pops from the other end: no lock per line
        self._logs.append((ts, level, name, message))
        if self.listeners:
            event = LogMessage(ts, level, name, message, self.session_id)  # positional: hot path
            for listener in self.listeners:
                listener(event)

    # -- consumer --------------------------------------------------------------------------
    def flush(self) -> bool:
        """Write buffered node runs and logs, in order, from one thread at a time.

        Returns whether the store now holds everything; on a failed write what was not written
        stays queued for the next flush (and the first failure is logged as a warning).
        """
        with self._flush_lock:
            with self._lock:
                self._hand_over_locked()
                dirty, self._dirty = list(self._dirty.values()), {}
            try:
                self._write_backlog([NodeRun(*state) for state in dirty])
            except Exception as exc:
                if dirty:
                    with self._lock:  # a newer status that arrived meanwhile wins
                        for state in dirty:
                            self._dirty.setdefault(state[0], state)
                self._write_failed(exc)
                ok = False
            else:
                self._failure = None
                ok = True
            self._flush_listeners()
            return ok

    def _write_backlog(self, nodes: list[NodeRun]) -> None:
        """Store ``nodes`` and the backlog in batches, the nodes with the first; a batch leaves
        the backlog only once it is written."""
        backlog = self._backlog
        while nodes or backlog or self._dropped:
            batch = list(islice(backlog, LOG_BATCH))
            rows = batch
            if self._dropped:
                gap = (
                    time.time(),
                    "ERROR",
                    "proj_tui.recorder",
                    f"[proj-tui] {self._dropped} log line(s) are missing here: the store "
                    f"could not be written ({self._failure}).",
                )
                rows = [gap, *batch]
            self._store(nodes, rows)
            self._dropped = 0
            nodes = []
            for _ in range(len(batch)):
                backlog.popleft()
            if self.witness is not None and batch:
                self.witness.stored(len(batch))

    def _store(self, nodes: list[NodeRun], rows: list[LogRow]) -> None:
        """One write of node statuses and log lines: one transaction where the store can."""
        if self._progress is not None:
            self._progress(self.session_id, nodes, rows)
            return
        if nodes:
            self.store.record_nodes(self.session_id, nodes)
        if rows:
            self.store.append_logs(self.session_id, [LogLine(0, *row) for row in rows])

    def _write_failed(self, exc: BaseException) -> None:
        first = self._failure is None
        self._failure = exc
        self._failed_writes += 1
        if first:  # loud once, not once per flush; the final report says the rest
            logger.warning(
                "Session %s: the store could not be written (%s); %d log line(s) are kept in "
                "memory and retried.",
                self.session_id,
                exc,
                len(self._backlog),
            )

    def _spill(self) -> None:
        """Save the lines the store would not take to a file (0600), so they are not lost."""
        with self._lock:
            lines = list(self._backlog)
            self._backlog.clear()
        if not lines:
            return
        import tempfile  # only when the store failed: its import costs every run ~3 ms

        path = os.path.join(tempfile.gettempdir(), f"proj-tui-unsaved-{self.session_id}.jsonl")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for line in lines:
                    handle.write(json.dumps(list(line)) + "\n")
        except OSError as exc:
            self._spilled = (len(lines), f"saving them to {path} failed too ({exc})")
            return
        self._spilled = (
            len(lines),
            f"they were saved to {path} (JSON: ts, level, logger, message)",
        )

    def _flush_listeners(self) -> None:
        for listener in self.listeners:
            flush = getattr(listener, "flush", None)
            if flush is not None:
                flush()


class _MessageFormatter(logging.Formatter):
    """Formats like ``Formatter("%(message)s")`` (traceback and stack included), minus the %-template.

    The template and the asctime check are two thirds of the generic formatter's cost per record.
    """

    def usesTime(self) -> bool:
        return False

    def formatMessage(self, record: logging.LogRecord) -> str:
        return record.message


class RecordingHandler(logging.Handler):
    """A logging handler that feeds the session's recorder."""

    def __init__(self, recorder: Recorder, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.recorder = recorder
        self.setFormatter(_MessageFormatter())

    def handle(self, record: logging.LogRecord) -> bool:
        """``Handler.handle`` without the handler's lock: ``Recorder.log`` is thread-safe itself."""
        rv = self.filter(record)
        if isinstance(rv, logging.LogRecord):  # Python 3.12+: a filter may return a new record
            record = rv
        if rv:
            self.emit(record)
        return bool(rv)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.recorder.log(record, message)
