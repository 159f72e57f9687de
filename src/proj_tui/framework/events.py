"""The event stream of a session (docs/events.md) as typed values, and its one JSON encoding.

A session hands these to its subscribers (the CLI's ``--events json`` writer, the progress bar);
``proj-tui run --events json`` writes them one JSON object a line; the app's supervisor reads
them back with :func:`event_from_dict`. Every producer and consumer goes through this module,
so the stream has one schema and ``tests/framework/test_events.py`` holds docs/events.md to it.

Each event has ``to_dict`` (the wire object, keys in the order the stream has always written
them), ``from_dict`` (strict: a missing field or a value of the wrong type is an
:class:`EventFormatError`; fields it does not know are ignored, since a newer writer may add
some) and ``to_json`` (one line of the stream).

The classes are plain (not frozen) slotted dataclasses, built positionally on the hot path: a
log line is most of the stream, and a frozen dataclass costs ~1.5 us more to build, a call by
keyword ~0.5 us more. Treat them as values all the same.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _json_str  # what JSONEncoder(ensure_ascii=False) uses
from typing import Any, ClassVar

from proj_tui.errors import ProjTuiError

FORMAT_VERSION = 1
"""``v`` on ``session_started``: bumped only if an existing field changes its meaning."""

# One encoder for the whole stream: json.dumps with options builds a new one on every call.
# default=str: a runtime parameter YAML typed as a date still goes out (as its text).
_encode = json.JSONEncoder(default=str, ensure_ascii=False, check_circular=False).encode


class EventFormatError(ProjTuiError):
    """A decoded object is not an event of docs/events.md: a field is missing or mistyped."""


# -- field readers for from_dict ----------------------------------------------------------------


def _get(data: Mapping[str, Any], kind: str, key: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise EventFormatError(
            f"The '{kind}' event has no '{key}' field; docs/events.md lists the fields of each "
            "event."
        ) from None


def _wrong(kind: str, key: str, what: str, value: Any) -> EventFormatError:
    return EventFormatError(
        f"The '{kind}' event's '{key}' must be {what}, not {type(value).__name__} ({value!r:.80})."
    )


def _str(data: Mapping[str, Any], kind: str, key: str) -> str:
    value = _get(data, kind, key)
    if not isinstance(value, str):
        raise _wrong(kind, key, "a string", value)
    return value


def _opt_str(data: Mapping[str, Any], kind: str, key: str) -> str | None:
    value = _get(data, kind, key)
    if value is not None and not isinstance(value, str):
        raise _wrong(kind, key, "a string or null", value)
    return value


def _int(data: Mapping[str, Any], kind: str, key: str) -> int:
    value = _get(data, kind, key)
    if type(value) is not int:
        raise _wrong(kind, key, "an integer", value)
    return value


def _float(data: Mapping[str, Any], kind: str, key: str) -> float:
    value = _get(data, kind, key)
    if type(value) not in (float, int):  # JSON writes 2.0 as 2.0, but a hand-made stream may not
        raise _wrong(kind, key, "a number", value)
    return float(value)


def _opt_float(data: Mapping[str, Any], kind: str, key: str) -> float | None:
    return None if _get(data, kind, key) is None else _float(data, kind, key)


def _str_list(data: Mapping[str, Any], kind: str, key: str) -> list[str]:
    value = _get(data, kind, key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong(kind, key, "a list of strings", value)
    return value


def _object(data: Mapping[str, Any], kind: str, key: str) -> dict[str, Any]:
    value = _get(data, kind, key)
    if not isinstance(value, dict):
        raise _wrong(kind, key, "an object", value)
    return value


def _check_kind(data: Mapping[str, Any], kind: str) -> None:
    if data.get("event") != kind:
        raise EventFormatError(f"Expected a '{kind}' event, got {data.get('event')!r}.")


def unreached_node_status(session_status: str) -> str:
    """What a node the run never reached ends as: ``skipped`` in a run that succeeded (nothing
    needed it), ``not_run`` in one that failed or was cancelled; the store and the app alike."""
    return "skipped" if session_status == "succeeded" else "not_run"


# -- the error payloads -------------------------------------------------------------------------


@dataclass(slots=True)
class ErrorSummary:
    """What ``node_failed`` says about the node's exception: its type name and message."""

    type: str
    message: str

    def describe(self) -> str:
        """``Type: message``, as the app shows it."""
        return f"{self.type}: {self.message}" if self.type else self.message

    @property
    def node_status(self) -> str:
        """The failed node's status: a KeyboardInterrupt is a person stopping the node (a
        cancel), not the node breaking; what the store records and the app shows alike."""
        return "cancelled" if self.type == "KeyboardInterrupt" else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message}

    @classmethod
    def from_dict(cls, data: Any, kind: str = "node_failed") -> ErrorSummary:
        if not isinstance(data, dict):
            raise _wrong(kind, "error", "an object {type, message}", data)
        return cls(_str(data, kind, "type"), _str(data, kind, "message"))


@dataclass(slots=True)
class ErrorDetail:
    """What ``session_finished`` says about the run's error; ``traceback`` is None on a cancel."""

    type: str
    message: str
    traceback: str | None

    def describe(self) -> str:
        """``Type: message``, as the app shows it."""
        return f"{self.type}: {self.message}" if self.type else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}

    @classmethod
    def from_dict(cls, data: Any, kind: str = "session_finished") -> ErrorDetail:
        if not isinstance(data, dict):
            raise _wrong(kind, "error", "an object {type, message, traceback} or null", data)
        return cls(
            _str(data, kind, "type"), _str(data, kind, "message"), _opt_str(data, kind, "traceback")
        )


# -- the events ---------------------------------------------------------------------------------


class _Event:
    """What every event offers; the concrete classes are the dataclasses below."""

    __slots__ = ()
    KIND: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> str:
        """This event as one line of the stream (no newline)."""
        return _encode(self.to_dict())


@dataclass(slots=True)
class SessionStarted(_Event):
    """The run's plan is known: which pipeline, and the nodes it will execute, in order."""

    KIND: ClassVar[str] = "session_started"
    session_id: str
    project_path: str
    package_name: str
    env: str
    pipeline: str
    runner: str
    runtime_params: dict[str, Any]
    nodes: list[str]
    pid: int
    ts: float = field(default_factory=time.time)
    v: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "v": self.v,
            "project_path": self.project_path,
            "package_name": self.package_name,
            "env": self.env,
            "pipeline": self.pipeline,
            "runner": self.runner,
            "runtime_params": self.runtime_params,
            "nodes": self.nodes,
            "pid": self.pid,
            "ts": self.ts,
            "session_id": self.session_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionStarted:
        k = cls.KIND
        _check_kind(data, k)
        return cls(
            session_id=_str(data, k, "session_id"),
            project_path=_str(data, k, "project_path"),
            package_name=_str(data, k, "package_name"),
            env=_str(data, k, "env"),
            pipeline=_str(data, k, "pipeline"),
            runner=_str(data, k, "runner"),
            runtime_params=_object(data, k, "runtime_params"),
            nodes=_str_list(data, k, "nodes"),
            pid=_int(data, k, "pid"),
            ts=_float(data, k, "ts"),
            v=_int(data, k, "v"),
        )


@dataclass(slots=True)
class NodeStarted(_Event):
    """Node ``node`` (at ``index`` of ``total`` in the run order) starts."""

    KIND: ClassVar[str] = "node_started"
    node: str
    index: int
    total: int
    ts: float
    session_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "ts": self.ts,
            "node": self.node,
            "index": self.index,
            "total": self.total,
            "session_id": self.session_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeStarted:
        k = cls.KIND
        _check_kind(data, k)
        return cls(
            _str(data, k, "node"),
            _int(data, k, "index"),
            _int(data, k, "total"),
            _float(data, k, "ts"),
            _str(data, k, "session_id"),
        )


@dataclass(slots=True)
class NodeFinished(_Event):
    """Node ``node`` succeeded after ``duration`` seconds (its outputs are saved)."""

    KIND: ClassVar[str] = "node_finished"
    node: str
    index: int
    total: int
    duration: float
    ts: float
    session_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "ts": self.ts,
            "node": self.node,
            "index": self.index,
            "total": self.total,
            "duration": self.duration,
            "session_id": self.session_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeFinished:
        k = cls.KIND
        _check_kind(data, k)
        return cls(
            _str(data, k, "node"),
            _int(data, k, "index"),
            _int(data, k, "total"),
            _float(data, k, "duration"),
            _float(data, k, "ts"),
            _str(data, k, "session_id"),
        )


@dataclass(slots=True)
class NodeFailed(_Event):
    """Node ``node`` raised ``error`` (or was stopped part-way) after ``duration`` seconds."""

    KIND: ClassVar[str] = "node_failed"
    node: str
    index: int
    total: int
    duration: float
    error: ErrorSummary
    ts: float
    session_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "ts": self.ts,
            "node": self.node,
            "index": self.index,
            "total": self.total,
            "duration": self.duration,
            "error": self.error.to_dict(),
            "session_id": self.session_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeFailed:
        k = cls.KIND
        _check_kind(data, k)
        return cls(
            _str(data, k, "node"),
            _int(data, k, "index"),
            _int(data, k, "total"),
            _float(data, k, "duration"),
            ErrorSummary.from_dict(_get(data, k, "error"), k),
            _float(data, k, "ts"),
            _str(data, k, "session_id"),
        )


@dataclass(slots=True)
class LogMessage(_Event):
    """One log record, already formatted (it may span lines); most of the stream is these.

    ``session_id`` is None only for lines a reader makes up itself (the supervisor turns a
    child's stderr into these); a session's own records always carry it.
    """

    KIND: ClassVar[str] = "log"
    ts: float
    level: str
    logger: str
    message: str
    session_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "log",
            "ts": self.ts,
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
            "session_id": self.session_id,
        }

    def to_json(self) -> str:
        """The generic encoder's text in a third of its time (~0.8 us instead of ~2.5 us).

        Each string goes through the function the encoder itself uses (``ensure_ascii=False``);
        anything unusual (a non-finite or non-float ``ts``, a field that is not a string) takes
        the generic path, so the text is always exactly what ``to_dict`` would encode to.
        """
        ts, session_id = self.ts, self.session_id
        if type(ts) is float and math.isfinite(ts) and session_id is not None:
            try:
                return (
                    f'{{"event": "log", "ts": {ts!r}, "level": {_json_str(self.level)}, '
                    f'"logger": {_json_str(self.logger)}, "message": {_json_str(self.message)}, '
                    f'"session_id": {_json_str(session_id)}}}'
                )
            except TypeError:  # a field that is not a string after all (bytes, None …)
                pass
        return _encode(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogMessage:
        try:  # the common case in one go: a reader decodes ~100k of these a second
            ts, level, logger = data["ts"], data["level"], data["logger"]
            message, session_id = data["message"], data["session_id"]
        except KeyError:
            pass
        else:
            if (
                type(ts) is float
                and type(level) is str
                and type(logger) is str
                and type(message) is str
                and (session_id is None or type(session_id) is str)
                and data.get("event") == "log"
            ):
                return cls(ts, level, logger, message, session_id)
        k = cls.KIND
        _check_kind(data, k)
        return cls(
            _float(data, k, "ts"),
            _str(data, k, "level"),
            _str(data, k, "logger"),
            _str(data, k, "message"),
            _opt_str(data, k, "session_id"),
        )


@dataclass(slots=True)
class SessionFinished(_Event):
    """The session ended; ``duration`` is None when the run's watchdog reports a dead process."""

    KIND: ClassVar[str] = "session_finished"
    session_id: str
    status: str
    duration: float | None
    error: ErrorDetail | None
    resume: str | None
    ts: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "status": self.status,
            "duration": self.duration,
            "error": self.error.to_dict() if self.error is not None else None,
            "resume": self.resume,
            "ts": self.ts,
            "session_id": self.session_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionFinished:
        k = cls.KIND
        _check_kind(data, k)
        error = _get(data, k, "error")
        return cls(
            session_id=_str(data, k, "session_id"),
            status=_str(data, k, "status"),
            duration=_opt_float(data, k, "duration"),
            error=ErrorDetail.from_dict(error, k) if error is not None else None,
            resume=_opt_str(data, k, "resume"),
            ts=_float(data, k, "ts"),
        )


@dataclass(slots=True)
class StartError(_Event):
    """The session could not start (bad config, unknown pipeline …); there is no session id."""

    KIND: ClassVar[str] = "error"
    message: str
    location: str | None
    ts: float = field(default_factory=time.time)
    session_id: None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.KIND,
            "ts": self.ts,
            "session_id": self.session_id,
            "message": self.message,
            "location": self.location,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StartError:
        k = cls.KIND
        _check_kind(data, k)
        if _get(data, k, "session_id") is not None:
            raise _wrong(k, "session_id", "null", data["session_id"])
        return cls(_str(data, k, "message"), _opt_str(data, k, "location"), _float(data, k, "ts"))


Event = (
    SessionStarted
    | NodeStarted
    | NodeFinished
    | NodeFailed
    | LogMessage
    | SessionFinished
    | StartError
)
"""Any event of the stream."""

EventListener = Callable[[Event], None]
"""What ``Session.subscribe`` takes: called synchronously with every event, in order."""

EVENT_TYPES: dict[str, type[Event]] = {
    cls.KIND: cls
    for cls in (
        SessionStarted,
        NodeStarted,
        NodeFinished,
        NodeFailed,
        LogMessage,
        SessionFinished,
        StartError,
    )
}
"""Each event class by its wire name (the ``event`` field)."""


def event_from_dict(data: Any) -> Event | None:
    """A decoded JSON object to its event; None for a kind this version does not know.

    An unknown kind comes from a newer writer and is skipped by readers; anything else that is not
    an event of docs/events.md raises :class:`EventFormatError` saying what is wrong.
    """
    if not isinstance(data, dict):
        raise EventFormatError(f"An event must be a JSON object, not {type(data).__name__}.")
    kind = data.get("event")
    if not isinstance(kind, str):
        raise EventFormatError(
            "An event must have an 'event' field naming its kind (a string), e.g. "
            f"'log'; got {kind!r}."
        )
    cls = EVENT_TYPES.get(kind)
    return cls.from_dict(data) if cls is not None else None


def event_from_json(line: str | bytes) -> Event | None:
    """One line of the stream to its event (see :func:`event_from_dict`)."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise EventFormatError(f"An event line must be one JSON object: {exc}.") from None
    return event_from_dict(data)
