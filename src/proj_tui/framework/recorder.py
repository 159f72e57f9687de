"""Collects what a running session produces (node timings, log records) and writes it out in batches.

Writing every node event and log line to SQLite as it happens would put a transaction on the hot path of
every node. Instead the recorder buffers in memory and a background thread flushes to the store every
``flush_interval`` seconds (and heartbeats), so readers follow a live session with a short delay and a
5000-node run pays a few microseconds a node. Listeners (the CLI's ``--events json`` writer) get each
event synchronously; one that buffers (has a ``flush`` method) is flushed by the same thread every
``listener_flush_interval`` seconds, so a last log line before a long quiet spell still goes out promptly.

A log line is the hot path (a node may log 100k lines a second), so ``log`` and ``RecordingHandler`` do
only what each line needs: see ``benches/producer.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from proj_tui.framework.store import LogLine, NodeRun
from proj_tui.framework.store.sqlite_rows import _clean_text

if TYPE_CHECKING:
    from proj_tui.framework.redact import Redactor
    from proj_tui.framework.store import SessionStore
    from proj_tui.pipeline import Node

Listener = Callable[[dict[str, Any]], None]

logger = logging.getLogger(__name__)


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
        self.listeners: list[Listener] = []
        self._flush_interval = flush_interval
        self._listener_flush_interval = listener_flush_interval
        self._heartbeat_interval = heartbeat_interval
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._nodes: dict[str, NodeRun] = {}
        self._dirty: dict[str, NodeRun] = {}
        self._logs: deque[LogLine] = deque()  # appended without the lock: see log()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_heartbeat = time.time()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background flusher; idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"proj-tui-recorder-{self.session_id}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the flusher and write whatever is still buffered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        tick = min(self._flush_interval, self._listener_flush_interval)
        next_flush = time.monotonic() + self._flush_interval
        while not self._stop.wait(tick):
            try:
                if time.monotonic() < next_flush:  # events promptly, the store a little later
                    self._flush_listeners()
                    continue
                next_flush = time.monotonic() + self._flush_interval
                self.flush()
                now = time.time()
                if now - self._last_heartbeat >= self._heartbeat_interval:
                    self.store.heartbeat(self.session_id)
                    self._last_heartbeat = now
            except Exception:  # never kill the run because a flush failed; the final flush reports
                logger.debug(
                    "Background flush of session %s failed", self.session_id, exc_info=True
                )

    # -- producers -------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        """Hand an event to every listener; ``ts`` and ``session_id`` are filled in."""
        if not self.listeners:
            return
        event.setdefault("ts", time.time())
        event["session_id"] = self.session_id
        for listener in self.listeners:
            listener(event)

    def plan(self, node_names: list[str]) -> None:
        """Record the nodes a run will execute, so a failure can say which never ran."""
        with self._lock:
            for name in node_names:
                run = NodeRun(
                    name=name, status="pending", started_at=None, ended_at=None, error=None
                )
                self._nodes[name] = run
                self._dirty[name] = run

    def node_event(
        self,
        event: str,
        node: Node,
        index: int,
        total: int,
        duration: float | None,
        error: BaseException | None,
    ) -> None:
        """Runner listener: keep per-node status and timings, forward the event."""
        now = time.time()
        name = node.name
        with self._lock:
            previous = self._nodes.get(name)
            if event == "node_started":
                run = NodeRun(
                    name=name, status="running", started_at=now, ended_at=None, error=None
                )
            else:
                started = previous.started_at if previous and previous.started_at else now
                message = None
                if error is not None:
                    message = self.redactor.scrub(f"{type(error).__name__}: {error}")
                run = NodeRun(
                    name=name,
                    status="succeeded" if event == "node_finished" else "failed",
                    started_at=started,
                    ended_at=now,
                    error=message,
                )
            self._nodes[name] = run
            self._dirty[name] = run
        if self.listeners:
            payload: dict[str, Any] = {
                "event": event,
                "ts": now,
                "node": name,
                "index": index,
                "total": total,
            }
            if event != "node_started":
                payload["duration"] = duration
            if error is not None:
                payload["error"] = {
                    "type": type(error).__name__,
                    "message": self.redactor.scrub(str(error)),
                }
            self.emit(payload)

    def settle_nodes(self, status: str) -> None:
        """Give nodes still pending a final status (``skipped`` or ``not_run``)."""
        with self._lock:
            for name, run in self._nodes.items():
                if run.status == "pending":
                    settled = NodeRun(
                        name=name, status=status, started_at=None, ended_at=None, error=None
                    )
                    self._nodes[name] = settled
                    self._dirty[name] = settled

    def node_runs(self) -> list[NodeRun]:
        with self._lock:
            return list(self._nodes.values())

    def log(self, record: logging.LogRecord, message: str) -> None:
        """Store a formatted log record (secrets scrubbed) and forward it.

        The text is made valid UTF-8 first (lone surrogates and smuggled bytes become U+FFFD), so
        the events stream and the store hold the same line and neither chokes on it.
        """
        message = self.redactor.scrub(_clean_text(message))
        ts, level, name = record.created, record.levelname, record.name
        # deque.append is atomic and flush() only pops from the other end: no lock per line
        self._logs.append(LogLine(seq=0, ts=ts, level=level, logger=name, message=message))
        if self.listeners:
            # built whole, as emit() would complete it: this runs once per log line
            event = {
                "event": "log",
                "ts": ts,
                "level": level,
                "logger": name,
                "message": message,
                "session_id": self.session_id,
            }
            for listener in self.listeners:
                listener(event)

    # -- consumer --------------------------------------------------------------------------
    def flush(self) -> None:
        """Write buffered node runs and logs, in order, from one thread at a time."""
        with self._flush_lock:
            with self._lock:
                dirty, self._dirty = list(self._dirty.values()), {}
            logs = [self._logs.popleft() for _ in range(len(self._logs))]
            if dirty:
                self.store.record_nodes(self.session_id, dirty)
            if logs:
                self.store.append_logs(self.session_id, logs)
            self._flush_listeners()

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
