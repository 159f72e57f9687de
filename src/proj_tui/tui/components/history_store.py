"""The History screens' way into the session store, shared by the list, detail and diff screens.

One handle per app (``AppState.history``) holds two connections: a *reader* used
only from worker threads (it may also write notes, pins and deletions, and it marks crashed sessions
as it reads, as the store does for any writable reader), and a *watcher* that the UI thread polls
for ``change_token()`` — a single ``PRAGMA`` that never waits for a worker's query. Nothing here
imports Textual.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proj_tui.framework.store import SQLiteSessionStore


@dataclass
class HistoryStore:
    """Lazily opened connections to one project's session store."""

    project_path: Path
    _reader: SQLiteSessionStore | None = None
    _watcher: SQLiteSessionStore | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        from proj_tui.framework.project import store_path

        self.path = store_path(self.project_path)

    def exists(self) -> bool:
        """Whether any session was ever recorded (the file appears with the first run)."""
        return self.path.exists()

    def reader(self) -> SQLiteSessionStore | None:
        """The worker-side store, or None while the project has no store file yet."""
        with self._lock:
            if self._reader is None:
                if not self.exists():
                    return None
                from proj_tui.framework.project import open_store
                from proj_tui.framework.store import StoreError

                try:
                    self._reader = open_store(self.project_path)
                except StoreError:
                    # a store this user may read but not write (a read-only mount, an immutable
                    # file, someone else's files): History reads it as `sessions list` does, and
                    # pin, note and delete say the store is read-only
                    self._reader = open_store(self.project_path, readonly=True)
            return self._reader

    def token(self) -> int | None:
        """Changes whenever any process commits to the store; None while it does not exist."""
        if self._watcher is None:
            if not self.exists():
                return None
            from proj_tui.framework.project import open_store

            self._watcher = open_store(self.project_path, readonly=True)
        return self._watcher.change_token()

    def close(self) -> None:
        with self._lock:
            for store in (self._reader, self._watcher):
                if store is not None:
                    store.close()
            self._reader = self._watcher = None


def require_reader(handle: HistoryStore) -> SQLiteSessionStore:
    """The reader, or a ``StoreError`` that says no session was recorded yet."""
    store = handle.reader()
    if store is None:
        from proj_tui.framework.project import no_store_error

        raise no_store_error(handle.project_path, "Run the pipeline first (ctrl+r).")
    return store
