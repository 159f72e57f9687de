"""Supervise one ``proj-tui run --events json`` child: start, read, batch, cancel, reap.

The app never runs user code itself (docs/architecture.md). A worker thread calls
:meth:`Supervisor.run`, which tails the child's stdout (JSON events) and stderr (human output) and
hands the events on in batches at most every ``flush_interval`` seconds — cheap enough for 100k
log lines/s — and escalates a cancel on time. The child writes to spool files, never to a pipe
(``framework.detach``): it runs in a session of its own, so when the app is killed or its terminal
hangs up, the run goes on and records everything in the store. :class:`AttachedSupervisor` offers
the same surface for a session the app did not start (another app's, a shell's): its events come
from the store (``framework.follow``), and its ``ProcessExited`` from the recorded status.
This module knows nothing of Textual: it calls ``on_batch`` and the caller posts messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proj_tui.framework.detach import DetachedRun, spawn_detached
from proj_tui.framework.events import Event as StreamEvent
from proj_tui.framework.events import (
    EventFormatError,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
    StartError,
    event_from_dict,
    unreached_node_status,
)

# --- events (docs/events.md, framework.events) -----------------------------------------------


@dataclass(slots=True)
class ProcessExited:
    """Always the last event: how the child process ended (the supervisor's own, not the stream's)."""

    returncode: int
    finished: bool  # whether a session_finished or error event was seen first
    ts: float


DETACHED = -1000
"""What :meth:`Supervisor.run` returns after :meth:`Supervisor.detach`: no exit code, the run goes on."""

Event = StreamEvent | ProcessExited
"""What ``on_batch`` receives: the child's events, its other output as log lines, then the exit."""


def _unreadable(reason: str, text: str) -> LogMessage:
    """A line that is not an event of the stream, reported in the run's log instead of lost."""
    shown = text if len(text) <= 200 else text[:200] + "…"
    return LogMessage(
        time.time(), "WARNING", __name__, f"Unreadable event from the run ({reason}): {shown}", None
    )


def _typed(data: Any) -> Event | None:
    """A decoded JSON value to its event; None for a kind from a newer writer."""
    try:
        return event_from_dict(data)
    except EventFormatError as exc:
        return _unreadable(str(exc), json.dumps(data, ensure_ascii=False, default=str))


def parse_event(line: bytes | str) -> Event | None:
    """One line to its event: a non-JSON line becomes a log line (never lost), a malformed event
    a warning in the log, and an event kind this version does not know is skipped (None)."""
    try:
        data = json.loads(line)
    except ValueError:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        text = text.rstrip("\r\n")
        return LogMessage(time.time(), "STDOUT", "stdout", text, None) if text else None
    return _typed(data)


PARSE_CHUNK = 1000  # lines decoded per json.loads: ~1 ms, which holds the GIL throughout


def parse_lines(lines: list[bytes]) -> list[Event]:
    """Many JSON lines at once: parsed as JSON arrays (about twice as fast as line by line).

    Lines of a JSON stream never contain raw newlines, so joining them with commas gives a valid
    array; if any line is not JSON its chunk is parsed line by line instead and nothing is lost.
    An array holds at most ``PARSE_CHUNK`` lines: decoding runs in C without letting the UI
    thread have the GIL, and one array of a flood's 100k lines kept keys waiting ~80 ms.
    """
    lines = [line for line in lines if line.strip()]
    events: list[Event] = []
    for at in range(0, len(lines), PARSE_CHUNK):
        chunk = lines[at : at + PARSE_CHUNK]
        try:
            items = json.loads(b"[" + b",".join(chunk) + b"]")
        except ValueError:
            events.extend(e for e in map(parse_event, chunk) if e is not None)
            continue
        events.extend(_typed_all(items))
    return events


def _typed_all(items: list[Any]) -> list[Event]:
    """Decoded values to events; log records, most of any stream, go straight to their class.

    Skipping the generic dispatch for them halves the cost per line (~2.4 us to ~1.1 us),
    which is what a flood of 100k lines/s is made of. Anything else, or a log record the
    class refuses, takes the generic path and its error handling.
    """
    events: list[Event] = []
    append = events.append
    log = LogMessage.from_dict
    for data in items:
        if type(data) is dict and data.get("event") == "log":
            try:
                append(log(data))
                continue
            except EventFormatError:
                pass
        event = _typed(data)
        if event is not None:
            append(event)
    return events


# --- the supervisor -------------------------------------------------------------------------


@dataclass
class Supervisor:
    """Runs one child process and streams its events to ``on_batch`` in timed batches.

    ``spool`` is where the child's output files go (default ``<cwd>/.proj-tui/live``).
    """

    argv: Sequence[str]
    cwd: Path
    on_batch: Callable[[list[Event]], None]
    env_vars: Mapping[str, str] = field(default_factory=dict)
    flush_interval: float = 0.05
    max_batch: int = 20_000
    grace: float = 3.0
    spool: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    detached: DetachedRun | None = field(default=None, init=False)
    _tails: tuple[_Tail, _Tail] | None = field(default=None, init=False)
    _detached: threading.Event = field(default_factory=threading.Event, init=False)
    _cancel_at: float | None = field(default=None, init=False)
    _stage: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def start(self) -> None:
        """Start the child in a session of its own, its output to spool files (no pipes)."""
        env = dict(os.environ)
        env.update(self.env_vars)
        env["PYTHONUNBUFFERED"] = "1"
        self.detached = spawn_detached(self.argv, cwd=self.cwd, env=env, spool=self.spool)
        self.proc = self.detached.proc
        # opened now: once the child has exited another launch may delete its spool files
        self._tails = (_Tail(self.detached.events_path), _Tail(self.detached.err_path))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def cancelling(self) -> bool:
        return self._cancel_at is not None

    def cancel(self) -> None:
        """Ask the run to stop: SIGINT now, SIGTERM then SIGKILL if it ignores us (see run)."""
        with self._lock:
            if self._cancel_at is None:
                self._cancel_at = time.monotonic()
                self._stage = 1
                self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Stop at once (the app is quitting): SIGTERM now, SIGKILL after a short grace."""
        with self._lock:
            self._signal(signal.SIGTERM)
            self.grace = min(self.grace, 0.5)
            self._stage = 3
            self._cancel_at = time.monotonic()

    def detach(self) -> None:
        """Stop reading and leave the run going (the app quits, keeping it): :meth:`run`
        returns ``DETACHED`` within a moment, without a ``ProcessExited``. The run's spool files
        stay until it ends (``framework.detach.clean_spool``); the store has all of it."""
        self._detached.set()

    def _signal(self, sig: int) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def _escalate(self, now: float) -> None:
        with self._lock:
            if self._cancel_at is None:
                return
            waited = now - self._cancel_at
            if self._stage == 1 and waited >= self.grace:
                self._stage = 2
                self._signal(signal.SIGTERM)
            elif self._stage >= 2 and waited >= 2 * self.grace:
                self._stage = 4
                self._signal(signal.SIGKILL)

    def run(self) -> int:
        """Tail the child's output until it has exited and all of it is read; return its exit code.

        The spool files are read in large chunks whenever they grew; when neither did, the
        thread sleeps a fraction of ``flush_interval``. Once the child has exited, what it wrote
        last is read, then the files are deleted.
        """
        if self.proc is None:
            self.start()
        proc, spool, tails = self.proc, self.detached, self._tails
        assert proc is not None and spool is not None and tails is not None
        out, err = tails
        try:
            return self._pump(proc, out, err)
        finally:
            out.close()
            err.close()
            if not self._detached.is_set() or proc.poll() is not None:
                spool.remove()

    def _pump(self, proc: subprocess.Popen[bytes], out: _Tail, err: _Tail) -> int:
        """Read, then parse and hand on at most every ``flush_interval``: raw event lines wait
        in ``raw`` and are parsed in one go per batch (one JSON array: far cheaper per line
        than many small ones, which reading a file as it grows would otherwise make)."""
        batch: list[Event] = []
        raw: list[bytes] = []
        finished = False
        last_flush = time.monotonic()
        idle = min(0.02, self.flush_interval / 2)
        exited = False

        def parse_raw() -> None:
            nonlocal finished, raw
            if raw:
                events = parse_lines(raw)
                raw = []
                batch.extend(events)
                if not finished and any(
                    isinstance(e, (SessionFinished, StartError)) for e in events
                ):
                    finished = True

        while True:
            if self._detached.is_set():
                parse_raw()
                if batch:
                    self.on_batch(batch)
                return DETACHED
            read_any = False
            lines = out.read()
            if lines is not None:
                read_any = True
                raw.extend(lines)
            lines = err.read()
            if lines is not None:
                read_any = True
                parse_raw()  # what the run wrote on stdout before, first
                batch.extend(_stderr_lines(lines))
            now = time.monotonic()
            self._escalate(now)
            pending = len(raw) + len(batch)
            if pending and (now - last_flush >= self.flush_interval or pending >= self.max_batch):
                parse_raw()
                if batch:
                    self.on_batch(batch)
                    batch = []
                last_flush = now
            if not read_any:
                if exited:  # exited, and nothing more was written since: all of it is read
                    break
                if proc.poll() is not None:
                    exited = True  # one more round reads what it wrote last
                    continue
            if not read_any or pending < self.max_batch:
                time.sleep(idle)  # let more accumulate: a batch is parsed in one go
        raw.extend(out.rest())
        parse_raw()
        batch.extend(_stderr_lines(err.rest()))
        returncode = proc.wait()
        batch.append(ProcessExited(returncode, finished, time.time()))
        self.on_batch(batch)
        return returncode


STDERR_LEVEL = "STDERR"
"""The level of a run's stderr lines: shown as written, with no level or logger before them."""


def _stderr_lines(lines: list[bytes]) -> list[Event]:
    """The run's stderr (human output, a traceback) as log lines of level STDERR."""
    now_ts = time.time()
    out: list[Event] = []
    for line in lines:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if text.strip():
            out.append(LogMessage(now_ts, STDERR_LEVEL, "stderr", text, None))
    return out


class _Tail:
    """Reads what a spool file gained since the last read, as whole lines."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        self._rest = b""

    def read(self) -> list[bytes] | None:
        """The whole lines written since the last call; None when the file did not grow."""
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            return None
        parts = [chunk]
        while len(parts[-1]) == 1 << 20 and len(parts) < 8:  # a full read: there may be more
            parts.append(os.read(self.fd, 1 << 20))
        chunk = b"".join(parts) if len(parts) > 1 else chunk
        lines = (self._rest + chunk).split(b"\n")
        self._rest = lines.pop()
        return lines

    def rest(self) -> list[bytes]:
        """An unterminated last line (the child died mid-line), if any."""
        rest, self._rest = self._rest, b""
        return [rest] if rest.strip() else []

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


@dataclass
class AttachedSupervisor:
    """A session the app did not start, followed from the store with the Supervisor's surface.

    Another app's run, a shell's ``proj-tui run`` or a run whose launching app died: the app is
    not its parent and cannot wait for it, so its events are rebuilt from the store
    (:class:`~proj_tui.framework.follow.SessionFollower`) and the last one is a
    :class:`ProcessExited` whose ``returncode`` stands for the recorded status
    (``framework.live.EXIT_CODES``). :meth:`cancel` cancels the session by its checked pid
    (``framework.live.cancel_session``); :meth:`kill` only stops following: a quitting app
    leaves a run it merely watched alone.
    """

    store_path: Path
    session_id: str
    on_batch: Callable[[list[Event]], None]
    flush_interval: float = 0.05  # the poll's pace where the store's writes cannot wake it
    longest_wait: float = 0.5  # a poll at least this often (the reaper's check, the mark)
    tail: int | None = 500
    grace: float = 3.0
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _cancelling: bool = field(default=False, init=False)
    _ended: bool = field(default=False, init=False)

    @property
    def alive(self) -> bool:
        return not self._ended and not self._stop.is_set()

    @property
    def cancelling(self) -> bool:
        return self._cancelling

    def run(self) -> int:
        """Follow the session until it ends (or :meth:`kill`); return its status's exit code."""
        from proj_tui.framework.follow import SessionFollower, StoreWrites
        from proj_tui.framework.live import exit_code
        from proj_tui.framework.store import SQLiteSessionStore

        writes = StoreWrites(self.store_path.parent, fallback=self.flush_interval)
        with SQLiteSessionStore(self.store_path, readonly=True) as store, writes:
            follower = SessionFollower(store, self.session_id, tail=self.tail)
            while not self._stop.is_set():
                events: list[Event] = list(follower.poll())
                if follower.ended:
                    self._ended = True
                    code = exit_code(follower.status)
                    self.on_batch([*events, ProcessExited(code, True, time.time())])
                    return code
                if events:
                    self.on_batch(events)
                if not follower.behind:
                    writes.wait(self.longest_wait, self._stop)
        return exit_code(follower.status)

    def cancel(self) -> None:
        """Cancel the session (SIGINT, SIGTERM, SIGKILL, the pid checked) in the background."""
        if self._cancelling:
            return
        self._cancelling = True
        threading.Thread(target=self._cancel, name="proj-tui-cancel", daemon=True).start()

    def _cancel(self) -> None:
        from proj_tui.errors import ProjTuiError
        from proj_tui.framework.live import cancel_session
        from proj_tui.framework.store import SQLiteSessionStore, StoreError

        try:
            try:  # writable, so a run that had to be killed is recorded crashed at once
                store = SQLiteSessionStore(self.store_path)
            except StoreError:
                store = SQLiteSessionStore(self.store_path, readonly=True)
            with store:
                cancel_session(store, self.session_id, grace_s=self.grace)
        except ProjTuiError as exc:  # another host, another user …: say so in the run's log
            self._cancelling = False
            self.on_batch([LogMessage(time.time(), "ERROR", __name__, str(exc), None)])

    def kill(self) -> None:
        """Stop following (the app is quitting); the session itself goes on."""
        self._stop.set()


class EventInbox:
    """Where the supervisor's thread leaves events for the UI, which drains them at its own pace.

    However fast a child floods it, the UI is woken at most once per drain: :meth:`put` says
    whether to wake it (only when it found nothing at its last :meth:`take`), and everything
    that arrives meanwhile waits here, to be taken in one go. The UI's queue of messages never
    grows with the flood, and the UI decides how often it shows what came (its frame rate).
    """

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._waiting = True  # the consumer wants a wake-up with the next events

    def put(self, events: list[Event]) -> bool:
        """Add events (any thread); True when the consumer must be woken to take them."""
        with self._lock:
            self._events.extend(events)
            wake, self._waiting = self._waiting, False
        return wake

    def take(self) -> list[Event]:
        """Everything that arrived so far, oldest first; when nothing did, the next :meth:`put`
        wakes the consumer (until then it is awake and takes again when it likes)."""
        with self._lock:
            events, self._events = self._events, []
            if not events:
                self._waiting = True
        return events


# --- the state of one run, as the UI shows it -------------------------------------------------


@dataclass
class NodeProgress:
    name: str
    status: str = "pending"  # pending | running | succeeded | failed | skipped
    started: float | None = None
    duration: float | None = None
    error: str | None = None


def signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


@dataclass
class RunState:
    """What one run has done so far, folded from its events; the tab renders this."""

    planned: list[str] = field(default_factory=list)
    session_id: str | None = None
    status: str = "starting"  # starting | running | succeeded | failed | cancelled
    nodes: dict[str, NodeProgress] = field(default_factory=dict)
    started_at: float | None = None
    duration: float | None = None
    error: str | None = None
    resume: str | None = None
    returncode: int | None = None
    expected: dict[str, float] = field(default_factory=dict)  # node -> typical duration

    def __post_init__(self) -> None:
        for name in self.planned:
            self.nodes.setdefault(name, NodeProgress(name))

    @property
    def done(self) -> bool:
        return self.returncode is not None

    @property
    def total(self) -> int:
        return len(self.nodes)

    @property
    def completed(self) -> int:
        """Nodes that ran to the end: a failed one is not done, so its bar is never full."""
        return sum(1 for n in self.nodes.values() if n.status == "succeeded")

    def apply(self, event: Event) -> NodeProgress | None:
        """Fold one event in; returns the node whose row changed, if any."""
        if isinstance(event, NodeStarted):
            node = self.nodes.setdefault(event.node, NodeProgress(event.node))
            node.status, node.started = "running", event.ts
            self.status = "running"
            return node
        if isinstance(event, NodeFinished):
            node = self.nodes.setdefault(event.node, NodeProgress(event.node))
            node.status, node.duration = "succeeded", event.duration
            return node
        if isinstance(event, NodeFailed):
            node = self.nodes.setdefault(event.node, NodeProgress(event.node))
            node.status, node.duration = event.error.node_status, event.duration
            node.error = event.error.describe()
            return node
        if isinstance(event, SessionStarted):
            self.session_id = event.session_id
            self.started_at = event.ts
            self.status = "running"
            if event.nodes:
                self.nodes = {n: self.nodes.get(n) or NodeProgress(n) for n in event.nodes}
        elif isinstance(event, SessionFinished):
            self.status = event.status
            self.duration = event.duration
            self.error = event.error.describe() if event.error is not None else None
            self.resume = event.resume
            self._skip_pending()
        elif isinstance(event, StartError):
            self.status = "failed"
            self.error = f"{event.location}: {event.message}" if event.location else event.message
        elif isinstance(event, ProcessExited):
            self.returncode = event.returncode
            if not event.finished:
                self.status = "failed"
                how = (
                    f"killed by {signal_name(event.returncode)}"
                    if event.returncode < 0
                    else f"exit code {event.returncode}"
                )
                self.error = f"the run process ended without finishing the session ({how})"
                if self.started_at is not None:
                    self.duration = event.ts - self.started_at
                for node in self.nodes.values():
                    if node.status == "running":
                        node.status = "failed"
                self._skip_pending()
        return None

    def _skip_pending(self) -> None:
        for node in self.nodes.values():
            if node.status == "pending":
                node.status = unreached_node_status(self.status)
            elif node.status == "running":
                node.status = "failed" if self.status == "failed" else "cancelled"

    def eta(self, now: float) -> float | None:
        """Seconds left, from typical per-node durations of past runs; None without history."""
        if not self.expected or self.done:
            return None
        known = list(self.expected.values())
        fallback = sum(known) / len(known)
        left = 0.0
        for node in self.nodes.values():
            typical = self.expected.get(node.name, fallback)
            if node.status == "pending":
                left += typical
            elif node.status == "running" and node.started is not None:
                left += max(0.0, typical - (now - node.started))
        return left


def typical_durations(project_path: Path, pipeline: str | None, runs: int = 5) -> dict[str, float]:
    """Median per-node durations over the last few succeeded sessions of the same pipeline.

    Read from the session store in a worker; an absent or unreadable store just means no ETA.
    """
    try:
        from proj_tui.framework.store import SQLiteSessionStore, default_store_path, parse_query
    except ImportError:
        return {}
    if not default_store_path(project_path).exists():
        return {}
    store = SQLiteSessionStore.for_project(project_path, readonly=True)
    try:
        query = "status:succeeded" + (f" pipeline:{pipeline}" if pipeline else "")
        samples: dict[str, list[float]] = {}
        for summary in store.list_sessions(parse_query(query), limit=runs):
            for node in store.nodes(summary.session_id):
                if node.status == "succeeded" and node.started_at and node.ended_at:
                    samples.setdefault(node.name, []).append(node.ended_at - node.started_at)
    finally:
        store.close()
    return {name: sorted(v)[len(v) // 2] for name, v in samples.items()}
