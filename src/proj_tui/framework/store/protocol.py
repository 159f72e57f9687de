"""What a pluggable session store implements (``settings.SESSION_STORE_CLASS``).

The app, the CLI and plugins only use these methods, so a store backed by something else (a shared
database, a web service) can replace the SQLite one without touching them.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from proj_tui.framework.store.records import (
        LogLine,
        NodeRun,
        SessionQuery,
        SessionRecord,
        SessionSummary,
    )


@runtime_checkable
class SessionStore(Protocol):
    """The session store interface; see docs/store.md for each method's contract."""

    path: Path

    def create_session(self, record: Mapping[str, Any], *, now: float | None = None) -> str: ...
    def update_session(self, session_id: str, **fields: Any) -> None: ...
    def record_nodes(self, session_id: str, nodes: list[NodeRun]) -> None: ...
    def append_logs(self, session_id: str, lines: list[LogLine]) -> None: ...
    def heartbeat(self, session_id: str) -> None: ...
    def finish_session(
        self,
        session_id: str,
        status: str,
        *,
        error: dict[str, Any] | None = None,
        ended_at: float | None = None,
    ) -> None: ...
    def list_sessions(
        self, query: SessionQuery | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[SessionSummary]: ...
    def count_sessions(self, query: SessionQuery | None = None) -> int: ...
    def get_session(self, session_id: str) -> SessionRecord: ...
    def nodes(self, session_id: str) -> list[NodeRun]: ...
    def logs(
        self,
        session_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        text: str | None = None,
    ) -> list[LogLine]: ...
    def reap_crashed(self) -> list[str]: ...
    def change_token(self) -> int: ...
    def set_note(self, session_id: str, note: str | None) -> None: ...
    def set_pinned(self, session_id: str, pinned: bool) -> None: ...
    def delete_sessions(self, session_ids: list[str]) -> int: ...
    def close(self) -> None: ...


def prunable_sessions(
    store: SessionStore,
    *,
    older_than: float | None = None,
    keep: int | None = None,
    now: float | None = None,
) -> list[str]:
    """Ids retention would delete (``sessions prune``): finished, unpinned sessions that started
    more than ``older_than`` seconds ago or are not among the ``keep`` newest unpinned ones.

    Pinned and running sessions are never candidates. Built from protocol methods only.
    """
    if older_than is None and keep is None:
        return []
    cutoff = (time.time() if now is None else now) - older_than if older_than is not None else None
    candidates: list[SessionSummary] = []
    offset = 0
    while True:  # newest first, a page at a time
        page = store.list_sessions(limit=5000, offset=offset)
        candidates += [s for s in page if not s.pinned and s.status != "running"]
        if len(page) < 5000:
            break
        offset += len(page)
    return [
        s.session_id
        for index, s in enumerate(candidates)
        if (keep is not None and index >= keep) or (cutoff is not None and s.started_at < cutoff)
    ]


def export_session(store: SessionStore, session_id: str, *, logs: bool = True) -> dict[str, Any]:
    """One session as JSON-ready data: the record, its duration, nodes and (``logs``) log lines.

    Built from protocol methods only, so ``sessions show --json`` works with any store.
    """
    record = store.get_session(session_id)
    data = record.to_dict()
    data["duration"] = record.duration
    data["nodes"] = [asdict(node) for node in store.nodes(session_id)]
    if logs:  # 100k lines took 3 s: only read when asked for
        data["logs"] = [asdict(line) for line in store.logs(session_id)]
    return data
