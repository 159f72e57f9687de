"""The SQLite store's one connection per process: opening it, and running reads and writes on it.

Kept apart from ``SQLiteSessionStore`` (sqlite.py), which builds on it, so the store's methods only
say what they read or write; how a connection is opened, checked, kept across a fork, retried
while locked or settling, and closed is all here.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from proj_tui.framework.store.errors import StoreCorruptError, StoreError, StoreVersionError
from proj_tui.framework.store.schema import (
    OLDEST_READABLE,
    SCHEMA_VERSION,
    migrate,
    read_version,
)
from proj_tui.framework.store.sqlite_errors import (
    _LOCK_ATTEMPTS,
    _is_locked,
    _is_readonly_error,
    _transient,
    _translate_error,
)
from proj_tui.framework.store.sqlite_file import (
    _CONNECTED,
    _CONNECTED_LOCK,
    _check_file,
    _create_file,
)

_T = TypeVar("_T")

_SETTLE_ATTEMPTS = 5  # reconnects while a just-created store settles


class SQLiteConnection:
    """A SQLite store file and this process's connection to it; the base of SQLiteSessionStore."""

    def __init__(
        self, path: str | Path, *, readonly: bool = False, busy_timeout: float = 5.0
    ) -> None:
        self.in_memory = str(path) == ":memory:"
        self.path = Path(":memory:") if self.in_memory else Path(path).expanduser().absolute()
        self.readonly = readonly
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._conn_pid = 0
        self._counted = False  # this store's connection is in _CONNECTED
        self._closed = False
        self._token = 0
        self._data_version: int | None = None
        self._immutable = False
        self._schema = SCHEMA_VERSION
        """The file's schema: older only for a read-only store, which is read as it is."""
        self._open()

    # ------------------------------------------------------------------ opening

    def _open(self) -> None:
        """Open the store, retrying briefly while a just-created file settles.

        A reader that opens the store in the instant its first writer creates or first closes
        it can get a transient "malformed" or "disk I/O" error from SQLite; a damaged file gives
        the same error every time, so only a file younger than a few seconds is retried.
        """
        for attempt in range(5):
            try:
                self._open_once()
                return
            except (StoreCorruptError, StoreError) as exc:
                if attempt == 4 or not self._just_created() or not _transient(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _just_created(self) -> bool:
        if self.in_memory:
            return False
        try:
            return time.time() - self.path.stat().st_mtime < 5.0
        except OSError:
            return False

    def _open_once(self) -> None:
        """Create or check the file, connect, and bring the schema up to date."""
        if self.in_memory:
            pass  # a throw-away store (save_on_close=False): nothing on disk to check
        elif self.readonly:
            if not self.path.is_file():
                raise StoreError(
                    f"There is no session store at {self.path}. Run a session in the project "
                    "first, or check the path."
                )
            if self.path.stat().st_size == 0:
                raise StoreError(
                    f"The session store {self.path} is empty. Run a session in the project first."
                )
        elif not self.path.exists():
            _create_file(self.path)
        if not self.in_memory:
            _check_file(self.path)
        conn = self._connect()
        try:
            version = self._retry(lambda: read_version(conn, self.path))
            if self.readonly and version == 0 and _no_tables(conn):
                version = self._wait_for_schema(conn)
            if version > SCHEMA_VERSION:
                raise self._too_new(version)
            if version < SCHEMA_VERSION:
                if self.readonly and version >= OLDEST_READABLE:
                    pass  # read as it is: the store's readers know every layout since then
                elif self.readonly:
                    raise StoreError(
                        f"The session store {self.path} has schema version {version} and needs "
                        f"an upgrade to {SCHEMA_VERSION}, which a read-only store cannot do. Open "
                        "it once read-write (any 'proj-tui run' does) and try again."
                    )
                else:
                    self._write(self._migrate)
                    version = SCHEMA_VERSION
            self._schema = version
            self._data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            self._drop_connection()
            raise self._translate(exc) from exc
        except BaseException:
            self._drop_connection()
            raise

    def _wait_for_schema(self, conn: sqlite3.Connection) -> int:
        """A reader that opens a store the first run is still creating waits for its schema."""
        deadline = time.monotonic() + min(self.busy_timeout, 2.0)
        while time.monotonic() < deadline:
            time.sleep(0.02)
            version = self._retry(lambda: read_version(conn, self.path))
            if version or not _no_tables(conn):
                return version
        raise StoreError(
            f"The session store {self.path} is empty. Run a session in the project first."
        )

    def _too_new(self, version: int) -> StoreVersionError:
        return StoreVersionError(
            f"The session store {self.path} has schema version {version}, but this proj-tui only "
            f"knows versions up to {SCHEMA_VERSION}: a newer proj-tui wrote it. Upgrade proj-tui "
            "(pip install -U proj-tui), or point the store at another file."
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = read_version(
            conn, self.path
        )  # again, under the write lock: another process may have won
        if version > SCHEMA_VERSION:
            raise self._too_new(version)
        if version < SCHEMA_VERSION:
            migrate(conn, version)

    def _connect(self) -> sqlite3.Connection:
        """Open this process's connection and set the per-connection pragmas."""
        try:
            if self.in_memory:
                target = ":memory:"
            elif self.readonly:
                target = self.path.as_uri() + (
                    "?mode=ro&immutable=1" if self._immutable else "?mode=ro"
                )
            else:
                target = str(self.path)
            conn = sqlite3.connect(
                target,
                uri=self.readonly and not self.in_memory,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        self._conn, self._conn_pid = conn, os.getpid()
        if not self.in_memory:
            with _CONNECTED_LOCK:
                _CONNECTED[str(self.path)] += 1
            self._counted = True
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not self.readonly and not self.in_memory:
                mode = self._retry(lambda: conn.execute("PRAGMA journal_mode").fetchone()[0])
                if str(mode).lower() != "wal":
                    self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -16000")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema
        except sqlite3.OperationalError as exc:
            self._drop_connection()
            cannot_open = "unable to open" in str(exc).lower() or _is_readonly_error(exc)
            if self.readonly and not self._immutable and cannot_open:
                # a read-only directory cannot hold the -shm file WAL readers need; nobody can
                # write there either, so read the file as the immutable snapshot it is
                self._immutable = True
                return self._connect()
            raise self._translate(exc) from exc
        except sqlite3.Error as exc:
            self._drop_connection()
            raise self._translate(exc) from exc
        except BaseException:
            self._drop_connection()
            raise
        return conn

    def _drop_connection(self) -> None:
        if self._conn is not None and self._conn_pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            if self._counted:
                with _CONNECTED_LOCK:
                    _CONNECTED[str(self.path)] -= 1
        self._counted = False
        self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"The session store {self.path} is closed; open a new one to use it.")
        if self._conn is None or (self._conn_pid != os.getpid() and not self.in_memory):
            # after a fork the parent's file connection must not be touched; an in-memory
            # store has no file and nothing to share, so the child keeps its copy
            self._conn = None
            return self._connect()
        return self._conn

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._drop_connection()
            self._closed = True

    # ------------------------------------------------------------------ plumbing

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        """Turn a SQLite error into a sentence about this file and what to do."""
        return _translate_error(exc, self.path, self.busy_timeout)

    def _retry(self, action: Callable[[], _T]) -> _T:
        """Run ``action``, retrying on "database is locked" beyond SQLite's own busy wait."""
        for attempt in range(_LOCK_ATTEMPTS):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or attempt == _LOCK_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction, with lock retries."""
        if self.readonly:
            raise StoreError(
                f"The session store {self.path} is open read-only, so nothing in it can be "
                "changed here: make the file and its folder writable (and open it without "
                "readonly=True) to pin, annotate or delete sessions."
            )
        with self._lock:
            conn = self._connection()
            for attempt in range(_SETTLE_ATTEMPTS):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(conn)
                        conn.execute("COMMIT")
                    except BaseException:
                        if conn.in_transaction:
                            with contextlib.suppress(sqlite3.Error):
                                conn.execute("ROLLBACK")
                        raise
                except sqlite3.Error as exc:
                    if attempt < _SETTLE_ATTEMPTS - 1 and self._settling(exc):
                        conn = self._connection()
                        continue
                    if _is_locked(exc) and attempt < _LOCK_ATTEMPTS - 1:
                        time.sleep(0.05 * (attempt + 1))
                        continue
                    raise self._translate(exc) from exc
                self._token += 1
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run a read under the lock, translating SQLite errors."""
        with self._lock:
            for attempt in range(_SETTLE_ATTEMPTS):
                conn = self._connection()
                try:
                    return self._retry(lambda conn=conn: work(conn))  # type: ignore[misc]
                except sqlite3.Error as exc:
                    if self._settling(exc) and attempt < _SETTLE_ATTEMPTS - 1:
                        continue
                    raise self._translate(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _settling(self, exc: BaseException) -> bool:
        """A transient error on a just-created store: reconnect and try again (see _open)."""
        if not (_transient(exc) and self._just_created()):
            return False
        self._drop_connection()  # a connection that saw the WAL change under it stays broken
        time.sleep(0.05)
        return True


def _no_tables(conn: sqlite3.Connection) -> bool:
    """A database with no schema at all: one a first run has created but not yet filled."""
    return not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
