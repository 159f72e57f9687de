"""One Kedro run recorded in the project's store, as a native session records itself.

The plugin (``plugin.py``) makes a :class:`KedroRecording` when Kedro calls
``before_pipeline_run`` and ends it from ``after_pipeline_run`` / ``on_pipeline_error``, or, for the
ends Kedro reports to no hook (Ctrl+C, ``sys.exit`` in a node), from ``endings.py``. In between it
is the native machinery: the session's ``Recorder`` (node rows and log lines in batches, the
events for listeners), the ``Redactor`` and the crash witness (``framework.watchdog``).

The session id is Kedro's run id, which is also the save version of versioned datasets; both
have our ids' shape (``framework/store/ids.py``), so the record is created at the id's moment.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    unreached_node_status,
)
from proj_tui.framework.gitinfo import describe_git
from proj_tui.framework.recorder import Recorder, RecordingHandler
from proj_tui.framework.redact import (
    Redactor,
    param_secrets,
    redact_params,
    secret_env_values,
)
from proj_tui.framework.store.ids import id_to_millis
from proj_tui.framework.store.records import NodeRun
from proj_tui.kedro import endings, session_record, workers

if TYPE_CHECKING:
    from proj_tui.framework.events import EventListener
    from proj_tui.framework.recorder import NamedNode
    from proj_tui.framework.store import SessionStore
    from proj_tui.framework.watchdog import Watchdog

logger = logging.getLogger(__name__)

REPRODUCE = "kedro run --nodes NAME"
FLUSH_INTERVAL = 0.2
"""Seconds between the recorder's writes to the store (the native recorder's default)."""


class KedroLogHandler(RecordingHandler):
    """The recorder's handler on Kedro's root logger, without a Formatter for a plain line.

    Kedro logs five INFO lines a node; a line with no traceback or stack to append is just
    ``record.getMessage()``, which is all ``RecordingHandler``'s formatter would produce, so the
    formatter's machinery is skipped for it (a line with ``exc_info`` or ``stack_info``, or a
    handler given filters, takes the general path). The line is stored and shown as before.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        if self.filters or record.exc_info or record.exc_text or record.stack_info:
            return super().handle(record)
        # Kedro's console handler, before this one on the root logger, formatted the record and
        # left ``getMessage()`` in ``record.message``: the same text, without the %-formatting again
        message = record.__dict__.get("message")
        if not isinstance(message, str):
            try:
                message = record.getMessage()
            except Exception:
                self.handleError(record)
                return True
        self.recorder.log(record, message)
        return True


@dataclass(frozen=True)
class RunStart:
    """What the hooks before the run learned: Kedro's ``run_params``, the plan and the config."""

    run_params: Mapping[str, Any]
    node_names: list[str]
    package_name: str
    kedro_version: str
    parameters: Mapping[str, Any]
    credentials: Mapping[str, Any]
    parallel: bool
    click_context: Any = None
    nodes: tuple[Any, ...] = ()
    """Kedro's nodes of the run, in its order (for the fingerprints staleness compares)."""
    catalog_config: Mapping[str, Any] | None = None
    """``config_loader["catalog"]`` as the project's loader gives it (None: not known)."""


@dataclass(frozen=True)
class _Named:
    """A node known only by name (one the run left running when it ended)."""

    name: str


def open_project_store(project_path: str | Path) -> SessionStore:
    """The project's history file, as every reader opens it (``framework.project.open_store``)."""
    from proj_tui.framework.project import open_store

    return open_store(Path(project_path))


class KedroRecording:
    """The record of one Kedro run, written by the process that runs it."""

    def __init__(
        self,
        store: SessionStore,
        session_id: str,
        redactor: Redactor,
        start: RunStart,
        listeners: list[EventListener],
        started_at: float | None = None,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.pid = os.getpid()
        self.parallel = start.parallel
        self.interrupted = False
        self.redactor = redactor
        self._listeners = listeners
        self._index = {name: i for i, name in enumerate(start.node_names)}
        self._total = len(start.node_names)
        self._t0: dict[str, float] = {}
        # the row's start (Kedro's session, from its run id): the duration told is the stored one
        self._started = time.time() if started_at is None else started_at
        self._finish_lock = threading.Lock()
        self.finished = False
        # Parallel runs: node events happen in the workers, so the relay (endings.py) reads them
        # back from the store and hands them out; the recorder then tells listeners nothing.
        # Nobody to hand events to (a plain ``kedro run``): the flusher wakes only to store, not
        # every 50 ms for listeners; each wake-up takes the GIL from the node's thread.
        quiet = {} if listeners else {"listener_flush_interval": FLUSH_INTERVAL}
        self.recorder = Recorder(
            store, session_id, redactor, flush_interval=FLUSH_INTERVAL, **quiet
        )
        self.recorder.listeners = [] if start.parallel else listeners
        self._handler = KedroLogHandler(self.recorder)
        self.witness: Watchdog | None = None
        self._relay_lock = threading.Lock()
        self._relayed: dict[str, str] = {}
        self._relayed_seq = 0

    # -- start ---------------------------------------------------------------------------------
    @classmethod
    def begin(
        cls, start: RunStart, listeners: list[EventListener], *, witness: bool = True
    ) -> KedroRecording:
        """Create the session row (status ``running``), plan the nodes and start recording."""
        run_params = start.run_params
        project_path = str(run_params.get("project_path") or Path.cwd())
        run_id = str(run_params["run_id"])
        selection = session_record.selection(run_params)
        runtime_params = session_record.plain(run_params.get("runtime_params") or {})
        params = session_record.plain(start.parameters)
        redactor = Redactor(session_record.credential_leaves(start.credentials))
        redactor.add(secret_env_values(os.environ))
        redactor.add(param_secrets(params))
        redactor.add(param_secrets(runtime_params))
        record: dict[str, Any] = {
            "project_path": project_path,
            "package_name": start.package_name,
            "env": run_params.get("env") or "local",
            "runtime_params": redact_params(runtime_params),
            "params": redact_params(params),
            "cli": session_record.command_line(run_params, start.click_context),
            "env_vars": session_record.env_vars(),
            "git": describe_git(project_path),
            "user": session_record.user(),
            "host": _hostname(),
            "pid": os.getpid(),
            "versions": session_record.versions(start.kedro_version),
            "parent_id": os.environ.get(session_record.PARENT_VAR) or None,
            "kedro_run_id": run_id,
            **selection.to_store(),
        }
        fingerprints = _fingerprints(start, params)
        if fingerprints is not None:
            record["fingerprints"] = fingerprints
        store = open_project_store(project_path)
        moment = _id_moment(run_id)
        session_id = store.create_session(record, now=moment)
        if session_id != run_id:  # another session of this project took the same millisecond
            logger.warning(
                "proj-tui recorded Kedro run %s as session %s: the store already held a session "
                "started in the same millisecond.",
                run_id,
                session_id,
            )
        started = moment if session_id == run_id else None
        recording = cls(store, session_id, redactor, start, listeners, started_at=started)
        recording.recorder.plan(start.node_names)
        recording.recorder.flush()  # before any worker writes a row the plan must not overwrite
        if start.parallel:
            workers.announce(session_id, str(store.path), project_path, run_params.get("env"))
        if witness:
            recording._start_witness()
        root = logging.getLogger()
        root.addHandler(recording._handler)
        recording.recorder.start()
        recording._emit(
            SessionStarted(
                session_id=session_id,
                project_path=project_path,
                package_name=start.package_name,
                env=record["env"],
                pipeline=selection.pipeline,
                runner=selection.runner or "SequentialRunner",
                runtime_params=record["runtime_params"],
                nodes=list(start.node_names),
                pid=os.getpid(),
            )
        )
        return recording

    def _start_witness(self) -> None:
        from proj_tui.framework import watchdog

        path = getattr(self.store, "path", None)
        if path is None or str(path) == ":memory:":
            return
        dog = watchdog.spawn()
        if dog is None:
            return
        dog.announce(str(path), self.session_id, process="Kedro run", reproduce=REPRODUCE)
        self.witness = dog
        self.recorder.witness = dog

    # -- nodes (called on the node's thread) -----------------------------------------------------
    def node_started(self, node: NamedNode) -> None:
        name = node.name
        self._t0[name] = time.perf_counter()
        self.recorder.node_started(node, self._index.get(name, -1), self._total)

    def node_finished(self, node: NamedNode) -> None:
        name = node.name
        duration = time.perf_counter() - self._t0.pop(name, time.perf_counter())
        self.recorder.node_finished(node, self._index.get(name, -1), self._total, duration)

    def node_failed(self, node: NamedNode, error: BaseException) -> None:
        name = node.name
        duration = time.perf_counter() - self._t0.pop(name, time.perf_counter())
        self.recorder.node_failed(node, self._index.get(name, -1), self._total, duration, error)

    # -- the end ---------------------------------------------------------------------------------
    def succeed(self) -> None:
        self.finish("succeeded", None)

    def fail(self, error: BaseException) -> None:
        self.finish("failed", self._error_of(error))

    def finish(self, status: str, error: dict[str, Any] | None) -> None:
        """Settle the nodes, write the outcome, tell the listeners; once, from any thread."""
        with self._finish_lock:
            if self.finished:
                return
            self.finished = True
        try:
            self._finish(status, error)
        finally:
            logging.getLogger().removeHandler(self._handler)
            endings.unwatch(self)
            if self.parallel:
                workers.withdraw(self.session_id)
            if self.witness is not None:
                self.witness.done()
            self._safely(self.store.close)

    def forsake(self) -> None:
        """In a forked worker: let go of what belongs to the parent's process, touching nothing."""
        logging.getLogger().removeHandler(self._handler)
        if self.witness is not None:
            self.witness.detach()

    def _finish(self, status: str, error: dict[str, Any] | None) -> None:
        if error is not None:
            self._safely(self.store.update_session, self.session_id, error=error)
        self._settle_nodes(status)
        problem = self.recorder.stop()
        if problem is not None and status == "succeeded":  # the run worked, its record did not
            status = "failed"
            error = {"type": "RecordIncomplete", "message": problem, "traceback": None}
        if self.parallel:
            self.relay()  # what the workers stored, before the end is announced
        ended = time.time()
        try:
            self.store.finish_session(self.session_id, status, error=error, ended_at=ended)
        finally:
            self._emit(
                SessionFinished(
                    session_id=self.session_id,
                    status=status,
                    duration=ended - self._started,
                    error=ErrorDetail(**error) if error is not None else None,
                    resume=None,
                )
            )

    def relay(self) -> None:
        """Hand listeners what this run's processes stored since the last call (parallel runs).

        Node rows become the native node events (a row first seen finished gets its start
        too), stored lines become log events; together in time order. Called by the monitor
        (``endings``) every tick and once more at the end.
        """
        if not self._listeners:
            return
        with self._relay_lock:
            runs = self.store.nodes(self.session_id)
            lines = self.store.logs(self.session_id, after=self._relayed_seq)
            events: list[Event] = []
            for run in runs:
                seen = self._relayed.get(run.name, "pending")
                if run.status == seen or run.status in ("pending", "not_run", "skipped"):
                    continue
                index = self._index.get(run.name, -1)
                if seen == "pending" and run.status != "running":
                    events += relayed_events(
                        replace(run, status="running"), index, self._total, self.session_id
                    )
                events += relayed_events(run, index, self._total, self.session_id)
                self._relayed[run.name] = run.status
            for line in lines:
                events.append(
                    LogMessage(line.ts, line.level, line.logger, line.message, self.session_id)
                )
                self._relayed_seq = line.seq
            events.sort(key=lambda event: event.ts)
            for event in events:
                self._emit(event)

    def _settle_nodes(self, status: str) -> None:
        """Nodes left running end with the run; the ones it never reached did not run."""
        self.recorder.flush()
        try:
            runs = self.store.nodes(self.session_id)  # the workers' rows too
        except Exception:
            logger.debug("Could not read back the nodes of %s", self.session_id, exc_info=True)
            return
        stop: BaseException = (
            KeyboardInterrupt()
            if status == "cancelled"
            else RuntimeError("the run ended while this node was running")
        )
        pending = unreached_node_status(status)
        settled = []
        for run in runs:
            if run.status == "running":
                self.recorder.node_failed(
                    _Named(run.name),
                    self._index.get(run.name, -1),
                    self._total,
                    _since(run.started_at),
                    stop,
                )
            elif run.status == "pending":
                settled.append(NodeRun(run.name, pending, None, None, None))
        if settled:
            self._safely(self.store.record_nodes, self.session_id, settled)

    def _error_of(self, exc: BaseException) -> dict[str, Any]:
        scrub = self.redactor.scrub
        return {
            "type": type(exc).__name__,
            "message": scrub(str(exc)) or type(exc).__name__,
            "traceback": scrub(
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            ),
        }

    def _emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)

    def _safely(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            write(*args, **kwargs)
        except Exception:  # the record must never break the run; the final flush reports
            logger.warning("proj-tui could not update session %s", self.session_id, exc_info=True)


def relayed_events(run: NodeRun, index: int, total: int, session_id: str) -> list[Event]:
    """The events a native run would have emitted for a node row (the relay's translation)."""
    started = run.started_at or time.time()
    events: list[Event] = []
    if run.status == "running":
        return [NodeStarted(run.name, index, total, started, session_id)]
    ended = run.ended_at or started
    if run.status == "succeeded":
        events.append(NodeFinished(run.name, index, total, ended - started, ended, session_id))
    elif run.status in ("failed", "cancelled"):
        kind, _, message = (run.error or "").partition(": ")
        summary = ErrorSummary(kind, message)
        events.append(
            NodeFailed(run.name, index, total, ended - started, summary, ended, session_id)
        )
    return events


def _fingerprints(start: RunStart, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """What each node depended on (``framework.fingerprints``), as a native run records it."""
    if start.catalog_config is None:
        return None
    from proj_tui.framework.fingerprints import run_fingerprints

    try:
        return run_fingerprints(start.nodes, params, start.catalog_config)
    except Exception:  # staleness is a convenience: never fail the run over it
        logger.debug("Could not fingerprint the nodes of this run", exc_info=True)
        return None


def _since(started: float | None) -> float:
    return time.time() - started if started else 0.0


def _id_moment(run_id: str) -> float | None:
    """The start time that gives ``run_id`` back as the session id (None: not our shape)."""
    try:
        return (id_to_millis(run_id) + 0.5) / 1000  # mid-millisecond: no float rounding down
    except ValueError:
        return None


def _hostname() -> str:
    import socket

    return socket.gethostname()
