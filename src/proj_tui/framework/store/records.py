"""Plain data the store hands out: no database handles, so the app can pass them between threads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES: tuple[str, ...] = ("running", "succeeded", "failed", "cancelled", "crashed")
FINISHED_STATUSES: tuple[str, ...] = STATUSES[1:]
SORTS: tuple[str, ...] = ("-started", "started", "-duration", "duration", "status")


@dataclass
class SessionRecord:
    """Everything recorded about one session (see docs/store.md)."""

    session_id: str
    status: str = "running"
    started_at: float = 0.0
    ended_at: float | None = None
    project_path: str | None = None
    package_name: str | None = None
    env: str | None = None
    pipeline: str | None = None
    user: str | None = None
    host: str | None = None
    pid: int | None = None
    heartbeat_at: float | None = None
    git: dict[str, Any] | None = None
    runtime_params: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    cli: dict[str, Any] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)
    runner: str | None = None
    error: dict[str, Any] | None = None
    parent_id: str | None = None
    note: str | None = None
    pinned: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields a plugin passed that the store does not know; kept so nothing is lost."""

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or None while running."""
        return None if self.ended_at is None else self.ended_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (what ``sessions show --json`` prints)."""
        return asdict(self)


@dataclass(frozen=True)
class SessionSummary:
    """The columns a history list shows, read without decoding the full record."""

    session_id: str
    status: str
    started_at: float
    ended_at: float | None
    env: str | None
    pipeline: str | None
    user: str | None
    host: str | None
    pid: int | None
    git_commit: str | None
    git_dirty: bool | None
    parent_id: str | None
    note: str | None
    pinned: bool
    runtime_params: dict[str, Any]

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or None while running."""
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True)
class NodeRun:
    """One node's run inside a session; ``error`` is a one-line "Type: message"."""

    name: str
    status: str
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class LogLine:
    """One log record; ``seq`` is assigned by the store (pass 0 when appending)."""

    seq: int = 0
    ts: float = 0.0
    level: str = "INFO"
    logger: str = ""
    message: str = ""


@dataclass(frozen=True)
class ParamFilter:
    """``key op value`` on a flattened parameter, e.g. ``model.lr > 0.01``."""

    key: str
    op: str
    value: float | str

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value}"


@dataclass(frozen=True)
class OutputFilter:
    """``out:NAME``, ``in:NAME`` or ``out:NAME.KEY op value`` (see framework/store/query.py).

    ``path`` is the dotted text as typed: which prefix names the dataset and which rest is the
    key in its content is resolved against what the store recorded (``sqlite_outputs``).
    """

    role: str
    """``save`` for ``out:``, ``load`` for ``in:``."""
    path: str
    op: str | None = None
    value: float | str | None = None

    def __str__(self) -> str:
        field = "out" if self.role == "save" else "in"
        compared = "" if self.op is None else f"{self.op}{self.value}"
        return f"{field}:{self.path}{compared}"


@dataclass(frozen=True)
class SessionQuery:
    """A parsed history filter; every set field must hold (AND).

    ``None`` means "no constraint"; an empty frozenset (``env:a env:b``) matches nothing.
    """

    statuses: frozenset[str] | None = None
    envs: frozenset[str] | None = None
    pipelines: frozenset[str] | None = None
    users: frozenset[str] | None = None
    since: float | None = None
    until: float | None = None
    params: tuple[ParamFilter, ...] = ()
    pinned: bool | None = None
    id_prefixes: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    """Sessions rerun or resumed from this one (``parent:ID``): their ``parent_id`` is it."""
    sweeps: tuple[str, ...] = ()
    """Sessions of a parameter sweep (``sweep:ID``, schema 3's ``sessions.sweep_id``)."""
    outputs: tuple[OutputFilter, ...] = ()
    """``out:``/``in:`` terms: datasets a session saved or loaded, and values in small outputs."""
    text: tuple[str, ...] = ()
    sort: str = "-started"

    @property
    def is_empty(self) -> bool:
        """True when the query filters nothing (the sort may still differ)."""
        return self == SessionQuery(sort=self.sort)
