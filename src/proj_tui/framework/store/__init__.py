"""The session store: where every run is recorded, and what the history screen reads.

``SQLiteSessionStore`` is the default (``<project>/.proj-tui/sessions.db``); any class that follows
``SessionStore`` can replace it through ``settings.SESSION_STORE_CLASS``. See docs/store.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proj_tui.framework.store.errors import (
    QueryError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from proj_tui.framework.store.ids import is_session_id, new_session_id
from proj_tui.framework.store.protocol import SessionStore, export_session
from proj_tui.framework.store.records import (
    STATUSES,
    LogLine,
    NodeRun,
    ParamFilter,
    SessionQuery,
    SessionRecord,
    SessionSummary,
)
from proj_tui.framework.store.repro_records import CodeState, DatasetRecord, LeftOut, StoredFile
from proj_tui.framework.store.sqlite import SQLiteSessionStore
from proj_tui.framework.store.sqlite_file import default_store_path
from proj_tui.framework.store.sqlite_reap import HEARTBEAT_STALE_SECONDS

if TYPE_CHECKING:
    from proj_tui.framework.store.query import empty_result_hints, parse_query

__all__ = [
    "HEARTBEAT_STALE_SECONDS",
    "STATUSES",
    "CodeState",
    "DatasetRecord",
    "LeftOut",
    "LogLine",
    "NodeRun",
    "ParamFilter",
    "QueryError",
    "SQLiteSessionStore",
    "SessionQuery",
    "SessionRecord",
    "SessionStore",
    "SessionSummary",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "StoredFile",
    "default_store_path",
    "empty_result_hints",
    "export_session",
    "is_session_id",
    "new_session_id",
    "parse_query",
]


def __getattr__(name: str) -> Any:
    """``parse_query`` and ``empty_result_hints``, from ``query`` once one is asked for: a run
    records a session and never parses a history filter (five regexes, ``datetime``)."""
    if name not in ("parse_query", "empty_result_hints"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from proj_tui.framework.store import query

    value = getattr(query, name)
    globals()[name] = value
    return value
