"""The default session store: one SQLite file per project, safe for one writer and many readers.

Why it is built this way:
- WAL mode lets the app and any number of CLIs read while a running session writes. Writes take
  ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing half-way, and a
  "database is locked" that outlives the timeout is retried before it becomes ``StoreLockedError``.
- A damaged file is reported, never reset: the history is the user's record of what ran.
- One connection per store object, guarded by a lock, so a store can be shared between threads;
  after a fork (process runner) the child opens its own instead of reusing the parent's.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from proj_tui.errors import did_you_mean
from proj_tui.framework.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
)
from proj_tui.framework.store.ids import new_session_id, next_session_id
from proj_tui.framework.store.records import (
    FINISHED_STATUSES,
    STATUSES,
    LogLine,
    NodeRun,
    ParamFilter,
    SessionQuery,
    SessionRecord,
    SessionSummary,
)
from proj_tui.framework.store.schema import SCHEMA_VERSION, migrate, read_version

_T = TypeVar("_T")

STORE_DIRNAME = ".proj-tui"
STORE_FILENAME = "sessions.db"
HEARTBEAT_STALE_SECONDS = 60.0
"""A running session whose heartbeat is older than this is crashed; sessions beat every ~15 s."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_LOCK_ATTEMPTS = 3
_SETTLE_ATTEMPTS = 5  # reconnects while a just-created store settles
_MAX_PARAM_TEXT = 200
_DRIVE_FROM_PARAM_BELOW = 2000
"""A parameter filter matching fewer sessions than this drives the query from its index."""

_COLUMNS = (
    "env", "pipeline", "user", "host", "pid", "parent_id", "note", "pinned", "package_name",
    "project_path", "started_at", "ended_at", "heartbeat_at", "status",
)  # fmt: skip
_DATA_DEFAULTS: dict[str, Any] = {
    "git": None, "params": {}, "cli": {}, "env_vars": {}, "versions": {}, "filters": {},
    "runner": None, "error": None,
}  # fmt: skip
_OWNED_BY_STORE = ("session_id", "status", "started_at", "ended_at", "heartbeat_at")
_SUMMARY_COLUMNS = (
    "s.session_id, s.status, s.started_at, s.ended_at, s.env, s.pipeline, s.user, s.host, "
    "s.pid, s.git_commit, s.git_dirty, s.parent_id, s.note, s.pinned, s.runtime_params"
)
_ORDER_BY = {
    "-started": "s.started_at DESC, s.rid DESC",
    "started": "s.started_at ASC, s.rid ASC",
    "-duration": "(s.ended_at - s.started_at) DESC, s.started_at DESC",
    "duration": "(s.ended_at - s.started_at) ASC, s.started_at DESC",
    "status": "s.status ASC, s.started_at DESC",
}
_CRASH_ERROR = {
    "type": "Crashed",
    "message": "The session's process ended without recording a result (killed, out of memory, "
    "or the machine stopped); it was found by its missing process or stale heartbeat.",
    "traceback": None,
}


def default_store_path(project_path: Path) -> Path:
    """``<project>/.proj-tui/sessions.db``: next to the code it describes, ignored by git."""
    return Path(project_path) / STORE_DIRNAME / STORE_FILENAME


def _transient(exc: BaseException) -> bool:
    text = str(exc.__cause__ or exc).lower()
    return "malformed" in text or "disk i/o error" in text


# SQLite locks the file with POSIX advisory locks, which belong to the process: closing *any*
# descriptor of the database file drops every lock the process holds on it, for all its
# connections. A writer closing in another process then takes our readers for gone, checkpoints
# and deletes the WAL they still map: they stop seeing new sessions, and the next store opened
# here finds the file "malformed" (tests/store/test_same_process.py). So the one place that opens
# the file by hand, the header check, runs only while this process has no connection to it.
_CONNECTED: collections.Counter[str] = collections.Counter()
_CONNECTED_LOCK = threading.Lock()


@contextlib.contextmanager
def _creation_lock(directory: Path) -> Iterator[None]:
    """Serialise store creation between processes (flock on a file beside the store)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: creation is rare, take the small risk
        yield
        return
    fd = os.open(directory / ".create.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class SQLiteSessionStore:
    """Sessions, node runs and log lines in one SQLite file (see docs/store.md)."""

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
        self._open()

    @classmethod
    def for_project(cls, project_path: Path, **kwargs: Any) -> SQLiteSessionStore:
        """The store of the project at ``project_path``."""
        return cls(default_store_path(project_path), **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, readonly={self.readonly})"

    def __enter__(self) -> SQLiteSessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            self._create_file()
        if not self.in_memory:
            self._check_file()
        conn = self._connect()
        try:
            version = self._retry(lambda: read_version(conn))
            if self.readonly and version == 0 and _no_tables(conn):
                version = self._wait_for_schema(conn)
            if version > SCHEMA_VERSION:
                raise self._too_new(version)
            if version < SCHEMA_VERSION:
                if self.readonly:
                    raise StoreError(
                        f"The session store {self.path} has schema version {version} and needs "
                        f"an upgrade to {SCHEMA_VERSION}, which a read-only store cannot do. Open "
                        "it once read-write (any 'proj-tui run' does) and try again."
                    )
                self._write(self._migrate)
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
            version = self._retry(lambda: read_version(conn))
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
        version = read_version(conn)  # again, under the write lock: another process may have won
        if version > SCHEMA_VERSION:
            raise self._too_new(version)
        if version < SCHEMA_VERSION:
            migrate(conn, version)

    def _create_file(self) -> None:
        """Make the directory (0o700) and a database file (0o600): sessions hold env vars.

        The schema is built in a private temporary file that is then renamed into place under a
        creation lock, so a reader (the app, another CLI) sees either no database or a complete
        one, never one still being created.
        """
        parent = self.path.parent
        tmp = parent / f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.new"
        try:
            if not parent.exists():
                parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(parent, 0o700)
                if parent.name == STORE_DIRNAME:
                    ignore = "# created by proj-tui: local run history, not for git\n*\n"
                    (parent / ".gitignore").write_text(ignore)
            with _creation_lock(parent):
                if self.path.exists():
                    return  # another process created it while we waited for the lock
                fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.close(fd)
                conn = sqlite3.connect(str(tmp), isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("BEGIN IMMEDIATE")
                    migrate(conn, 0)
                    conn.execute("COMMIT")
                finally:
                    conn.close()  # the last connection checkpoints and removes tmp-wal/-shm
                os.replace(tmp, self.path)  # atomic: readers see nothing, then the whole file
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot create the session store {self.path}: {exc}. Make {parent} writable, "
                "or set SESSION_STORE_ARGS in settings.py to a writable path."
            ) from exc
        except OSError as exc:
            raise StoreError(
                f"Cannot create the session store {self.path}: {exc.strerror or exc}. Make "
                f"{parent} writable, or set SESSION_STORE_ARGS in settings.py to a writable path."
            ) from exc
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _check_file(self) -> None:
        """Refuse a file that is not a database or is visibly truncated, before SQLite opens it.

        Skipped while this process has a connection to the file: one already opened it, and
        reading the header by hand would drop that connection's locks (see ``_CONNECTED``).

        Another process may be checkpointing or closing the store at this very moment, which
        changes its size and removes its WAL between our reads; real damage stays put, so a
        problem is reported only if it is still there a moment later.
        """
        with _CONNECTED_LOCK:
            if _CONNECTED[str(self.path)]:
                return
        for attempt in range(4):
            try:
                self._check_file_once()
                return
            except StoreCorruptError:
                if attempt == 3:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _check_file_once(self) -> None:
        try:
            size = self.path.stat().st_size
            if size == 0:
                return  # a fresh file (ours, or a crash right after creating it): SQLite fills it
            with open(self.path, "rb") as handle:
                header = handle.read(100)
        except OSError as exc:
            raise StoreError(
                f"Cannot read the session store {self.path}: {exc.strerror or exc}. Check its "
                "permissions."
            ) from exc
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise self._corrupt("it is not a SQLite database")
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            raise self._corrupt(f"its header has an impossible page size ({page_size})")
        try:
            if Path(f"{self.path}-wal").stat().st_size > 0:
                return  # pages may still be in the WAL, or a checkpoint is running: SQLite judges
        except FileNotFoundError:
            pass  # no WAL (or the last connection just removed it)
        if size % page_size:
            raise self._corrupt(f"its size ({size} bytes) is not a whole number of pages")
        pages = int.from_bytes(header[28:32], "big")
        if header[24:28] == header[92:96] and pages and size < pages * page_size:
            expected = pages * page_size
            raise self._corrupt(f"it is truncated ({size} bytes, its header says {expected})")

    def _corrupt(self, detail: str) -> StoreCorruptError:
        broken = self.path.with_name(self.path.name + ".broken")
        return StoreCorruptError(
            f"The session store {self.path} is damaged: {detail}. proj-tui will not reset it, so "
            f"no history is lost. Move it aside (mv '{self.path}' '{broken}', with any -wal and "
            "-shm files next to it); a new, empty store is created on the next run, and the old "
            "file can still be inspected with the sqlite3 tool. Or run 'proj-tui sessions "
            "repair', which backs the file up and keeps every session SQLite can still read."
        )

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
        text = str(exc)
        lower = text.lower()
        if _is_locked(exc):
            return StoreLockedError(
                f"The session store {self.path} is still locked by another process after "
                f"{_LOCK_ATTEMPTS} waits of {self.busy_timeout:g} s ({text}). Wait for the other "
                "run to finish, or stop it, and try again."
            )
        if _is_readonly_error(exc):
            return StoreError(
                f"Cannot write the session store {self.path}: it is read-only ({text}). Make the "
                f"file and its directory {self.path.parent} writable, or open the store with "
                "readonly=True to only read it."
            )
        if "disk is full" in lower or "no space" in lower:
            return StoreError(
                f"Cannot write the session store {self.path}: the disk is full ({text}). Free "
                "some space there (or point SESSION_STORE_ARGS in settings.py at another disk) "
                "and run again; sessions already stored are kept."
            )
        if "malformed" in lower or "not a database" in lower or "corrupt" in lower:
            return self._corrupt(text)
        if "unable to open" in lower:
            return StoreError(
                f"Cannot open the session store {self.path} ({text}). Check that "
                f"{self.path.parent} exists and is readable and writable (SQLite keeps -wal and "
                "-shm files next to the database)."
            )
        return StoreError(f"The session store {self.path} failed: {text}.")

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
                f"The session store {self.path} was opened read-only; open it without "
                "readonly=True to change it."
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

    def _require(self, conn: sqlite3.Connection, session_id: str) -> tuple[int, str]:
        """``(rid, status)`` of ``session_id``, or a StoreError that suggests a near id."""
        row = conn.execute(
            "SELECT rid, status FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise self._not_found(conn, session_id)
        return int(row[0]), str(row[1])

    def _not_found(self, conn: sqlite3.Connection, session_id: str) -> StoreError:
        """ "No session" with the ids next to it in sort order as suggestions (cheap at 100k)."""
        after = conn.execute(
            "SELECT session_id FROM sessions WHERE session_id >= ? ORDER BY session_id LIMIT 3",
            (session_id,),
        ).fetchall()
        before = conn.execute(
            "SELECT session_id FROM sessions WHERE session_id < ? ORDER BY session_id DESC LIMIT 3",
            (session_id,),
        ).fetchall()
        candidates = [r[0] for r in after + before]
        prefixed = sorted(c for c in candidates if c.startswith(session_id))
        if prefixed:
            hint = " Did you mean " + " or ".join(repr(c) for c in prefixed) + "?"
        else:
            hint = did_you_mean(session_id, candidates) or " List them with: proj-tui sessions list"
        return StoreError(f"No session '{session_id}' in {self.path}.{hint}")

    def _param_rows(
        self, conn: sqlite3.Connection, rid: int, params: Mapping[str, Any]
    ) -> list[tuple[int, int, float | None, str | None]]:
        """Rows for ``session_params``, interning new key names in ``param_keys``."""
        flat = _flatten_params(params)
        if not flat:
            return []
        keys = sorted({key for key, _, _ in flat})
        conn.executemany("INSERT OR IGNORE INTO param_keys (key) VALUES (?)", [(k,) for k in keys])
        ids: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            ids.update(
                (key, key_id)
                for key_id, key in conn.execute(
                    f"SELECT id, key FROM param_keys WHERE key IN ({marks})", chunk
                )
            )
        return [(rid, ids[key], num, text) for key, num, text in flat]

    # ------------------------------------------------------------------ writer side

    def create_session(self, record: Mapping[str, Any], *, now: float | None = None) -> str:
        """Insert a running session; return its id, unique and sortable (+1 ms while taken)."""
        owned = sorted(set(record) & set(_OWNED_BY_STORE))
        if owned:
            raise StoreError(
                f"create_session() sets {', '.join(owned)} itself: leave it out of the record "
                "(pass now= to choose the start time)."
            )
        started = time.time() if now is None else float(now)
        fields = dict(record)
        for name, default in (("pid", os.getpid), ("host", _hostname), ("user", _username)):
            if fields.get(name) is None:
                fields[name] = default()
        columns, data = _split_fields(fields)
        columns.update(status="running", started_at=started, heartbeat_at=started)
        full_data = {**_DATA_DEFAULTS, **data}
        data_json = _dumps(full_data)
        params = full_data.get("params") or {}
        first_id = new_session_id(started)

        def work(conn: sqlite3.Connection) -> str:
            session_id = first_id
            cursor = conn.execute(
                "SELECT session_id FROM sessions WHERE session_id >= ? ORDER BY session_id",
                (session_id,),
            )
            for (taken,) in cursor:
                if taken != session_id:
                    break
                session_id = next_session_id(session_id)
            cursor.close()
            names = ["session_id", *columns]
            cursor = conn.execute(
                f"INSERT INTO sessions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [session_id, *columns.values()],
            )
            rid = cursor.lastrowid
            assert rid is not None
            conn.execute("INSERT INTO session_data (rid, data) VALUES (?, ?)", (rid, data_json))
            conn.executemany(
                "INSERT INTO session_params VALUES (?, ?, ?, ?)",
                self._param_rows(conn, rid, params),
            )
            return session_id

        return self._write(work)

    def update_session(self, session_id: str, **fields: Any) -> None:
        """Merge ``fields`` into the record (top-level keys replace); new params are re-indexed."""
        if "status" in fields and fields["status"] not in STATUSES:
            raise StoreError(_bad_status(fields["status"], STATUSES))
        columns, data = _split_fields(fields)

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            if columns:
                assignments = ", ".join(f"{name} = ?" for name in columns)
                conn.execute(
                    f"UPDATE sessions SET {assignments} WHERE rid = ?", [*columns.values(), rid]
                )
            if data:
                _merge_data(conn, rid, data)
            if "params" in data:
                conn.execute("DELETE FROM session_params WHERE rid = ?", (rid,))
                conn.executemany(
                    "INSERT INTO session_params VALUES (?, ?, ?, ?)",
                    self._param_rows(conn, rid, data["params"] or {}),
                )

        self._write(work)

    def record_nodes(self, session_id: str, nodes: list[NodeRun]) -> None:
        """Upsert node runs by (session, name); a later event may leave ``started_at`` out."""
        rows = [(session_id, n.name, n.status, n.started_at, n.ended_at, n.error) for n in nodes]
        now = time.time()

        def work(conn: sqlite3.Connection) -> None:
            self._touch(conn, session_id, now)
            conn.executemany(
                "INSERT INTO nodes (session_id, name, status, started_at, ended_at, error) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, name) DO UPDATE SET "
                "status = excluded.status, "
                "started_at = coalesce(excluded.started_at, nodes.started_at), "
                "ended_at = excluded.ended_at, error = excluded.error",
                rows,
            )

        self._write(work)

    def append_logs(self, session_id: str, lines: list[LogLine]) -> None:
        """Append log lines in order; the store numbers them (``seq``) after the last one."""
        if not lines:
            return
        now = time.time()
        prepared = [
            (line.ts or now, str(line.level), str(line.logger), _clean_text(line.message))
            for line in lines
        ]

        def work(conn: sqlite3.Connection) -> None:
            self._touch(conn, session_id, now)
            last = conn.execute(
                "SELECT max(seq) FROM logs WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            start = (last or 0) + 1
            conn.executemany(
                "INSERT INTO logs (session_id, seq, ts, level, logger, message) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(session_id, start + i, *row) for i, row in enumerate(prepared)],
            )

        self._write(work)

    def _touch(self, conn: sqlite3.Connection, session_id: str, now: float) -> None:
        """Check the session exists, and count the write as a heartbeat while it runs."""
        rid, status = self._require(conn, session_id)
        if status == "running":
            conn.execute("UPDATE sessions SET heartbeat_at = ? WHERE rid = ?", (now, rid))

    def heartbeat(self, session_id: str) -> None:
        """Say the process is alive; revives a session wrongly reaped (e.g. after a suspend)."""
        now = time.time()

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(
                "UPDATE sessions SET heartbeat_at = ?, status = 'running', ended_at = NULL "
                "WHERE rid = ? AND (status = 'running' OR "
                "(status = 'crashed' AND pid = ? AND host = ?))",
                (now, rid, os.getpid(), _hostname()),
            )

        self._write(work)

    def finish_session(
        self,
        session_id: str,
        status: str,
        *,
        error: dict[str, Any] | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Record the outcome; ``succeeded`` clears an error left by an earlier failed attempt."""
        if status not in FINISHED_STATUSES:
            raise StoreError(_bad_status(status, FINISHED_STATUSES))
        end = time.time() if ended_at is None else float(ended_at)

        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(
                "UPDATE sessions SET status = ?, ended_at = ?, heartbeat_at = ? WHERE rid = ?",
                (status, end, end, rid),
            )
            if error is not None or status == "succeeded":
                _merge_data(conn, rid, {"error": error})

        self._write(work)

    def set_note(self, session_id: str, note: str | None) -> None:
        """Attach a free-text note (None or "" removes it)."""
        self._set_column(session_id, "note", note or None)

    def set_pinned(self, session_id: str, pinned: bool) -> None:
        """Pin a session so it is easy to find again (``is:pinned``)."""
        self._set_column(session_id, "pinned", int(bool(pinned)))

    def _set_column(self, session_id: str, column: str, value: Any) -> None:
        def work(conn: sqlite3.Connection) -> None:
            rid, _ = self._require(conn, session_id)
            conn.execute(f"UPDATE sessions SET {column} = ? WHERE rid = ?", (value, rid))

        self._write(work)

    def delete_sessions(self, session_ids: list[str]) -> int:
        """Delete sessions with their data, params, nodes and logs; returns how many existed."""
        unique = list(dict.fromkeys(session_ids))

        def work(conn: sqlite3.Connection) -> int:
            found = []
            for session_id in unique:
                row = conn.execute(
                    "SELECT rid FROM sessions WHERE session_id = ?", (session_id,)
                ).fetchone()
                if row is not None:
                    found.append((row[0], session_id))
            rids = [(rid,) for rid, _ in found]
            ids = [(sid,) for _, sid in found]
            for table in ("sessions", "session_data", "session_params"):
                conn.executemany(f"DELETE FROM {table} WHERE rid = ?", rids)
            for table in ("nodes", "logs"):
                conn.executemany(f"DELETE FROM {table} WHERE session_id = ?", ids)
            return len(found)

        return self._write(work) if unique else 0

    # ------------------------------------------------------------------ reader side

    def list_sessions(
        self, query: SessionQuery | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[SessionSummary]:
        """Sessions matching ``query``, newest first unless ``query.sort`` says otherwise."""
        self._reap_if_writable()
        query = query or SessionQuery()

        def work(conn: sqlite3.Connection) -> list[Any]:
            source, where, args = _plan(conn, query, counting=False)
            sql = (
                f"SELECT {_SUMMARY_COLUMNS} FROM {source}{where} "
                f"ORDER BY {_ORDER_BY[query.sort]} LIMIT ? OFFSET ?"
            )
            return conn.execute(sql, [*args, limit, offset]).fetchall()

        return [_summary(row) for row in self._read(work)]

    def count_sessions(self, query: SessionQuery | None = None) -> int:
        """How many sessions match ``query`` (for a pager's "1-100 of 97 312")."""
        query = query or SessionQuery()

        def work(conn: sqlite3.Connection) -> int:
            only_param = query.params[0] if len(query.params) == 1 else None
            if (
                only_param is not None
                and only_param.op != "!="
                and query == SessionQuery(params=query.params, sort=query.sort)
            ):
                # one parameter filter and nothing else: count its index range directly
                cond, args = _param_condition(conn, only_param, "p")
                sql = f"SELECT count(*) FROM session_params AS p WHERE {cond}"
                return int(conn.execute(sql, args).fetchone()[0])
            source, where, args = _plan(conn, query, counting=True)
            return int(conn.execute(f"SELECT count(*) FROM {source}{where}", args).fetchone()[0])

        return self._read(work)

    def get_session(self, session_id: str) -> SessionRecord:
        """The full record; a StoreError with "did you mean" if there is no such session."""
        self._reap_if_writable()

        def work(conn: sqlite3.Connection) -> SessionRecord:
            row = conn.execute(
                "SELECT s.session_id, s.status, s.started_at, s.ended_at, s.project_path, "
                "s.package_name, s.env, s.pipeline, s.user, s.host, s.pid, s.heartbeat_at, "
                "s.parent_id, s.note, s.pinned, s.runtime_params, d.data FROM sessions AS s "
                "LEFT JOIN session_data AS d ON d.rid = s.rid WHERE s.session_id = ?",
                (session_id,),
            ).fetchone()
            if row is None:
                raise self._not_found(conn, session_id)
            return _record(row)

        return self._read(work)

    def nodes(self, session_id: str) -> list[NodeRun]:
        """The session's node runs in the order they started."""
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT name, status, started_at, ended_at, error FROM nodes WHERE session_id = ? "
                "ORDER BY started_at IS NULL, started_at, name",
                (session_id,),
            ).fetchall()
        )
        return [NodeRun(*row) for row in rows]

    def logs(
        self,
        session_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        text: str | None = None,
    ) -> list[LogLine]:
        """Log lines with ``seq > after`` in order; ``text`` keeps lines containing it (any case)."""
        sql = "SELECT seq, ts, level, logger, message FROM logs WHERE session_id = ? AND seq > ?"
        args: list[Any] = [session_id, after]
        if text:
            sql += " AND message LIKE ? ESCAPE '\\'"
            args.append(_like(text))
        sql += " ORDER BY seq LIMIT ?"
        args.append(-1 if limit is None else limit)
        rows = self._read(lambda conn: conn.execute(sql, args).fetchall())
        return [LogLine(*row) for row in rows]

    def export(self, session_id: str) -> dict[str, Any]:
        """The record with its nodes and logs as JSON-ready data (``sessions show --json``)."""
        from proj_tui.framework.store.protocol import export_session

        return export_session(self, session_id)

    def change_token(self) -> int:
        """A number that changes whenever any process (this one included) commits a write."""
        with self._lock:
            conn = self._connection()
            try:
                version = conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            if version != self._data_version:
                self._data_version = version
                self._token += 1
            return self._token

    # ------------------------------------------------------------------ crash detection

    def _reap_if_writable(self) -> None:
        """Reap before a read, but never let reaping keep a reader from its answer."""
        if self.readonly:
            return
        try:
            self.reap_crashed()
        except StoreCorruptError as exc:
            if not (_transient(exc) and self._just_created()):
                raise
            _logger().debug("Store %s is still settling; reaping skipped: %s", self.path, exc)
        except StoreError as exc:  # e.g. a file this user may read but not write
            _logger().debug("Could not mark crashed sessions in %s: %s", self.path, exc)

    def reap_crashed(self, *, stale_after: float = HEARTBEAT_STALE_SECONDS) -> list[str]:
        """Mark running sessions whose process is gone (this host) or heartbeat is stale crashed.

        Only ``status = 'running'`` rows are read (through the status index), so this is cheap
        enough to run before every list. ``ended_at`` becomes the last heartbeat: the last moment
        the session was known alive. A read-only store reaps nothing.
        """
        if self.readonly:
            return []
        now = time.time()
        here = _hostname()
        running = self._read(
            lambda conn: conn.execute(
                "SELECT rid, session_id, pid, host, coalesce(heartbeat_at, started_at) "
                "FROM sessions WHERE status = 'running'"
            ).fetchall()
        )
        dead = [
            (rid, session_id, last)
            for rid, session_id, pid, host, last in running
            if last < now - stale_after
            or (host == here and pid is not None and not _pid_alive(int(pid)))
        ]
        if not dead:
            return []

        def work(conn: sqlite3.Connection) -> list[str]:
            reaped = []
            for rid, session_id, last in dead:
                cursor = conn.execute(
                    "UPDATE sessions SET status = 'crashed', ended_at = ? WHERE rid = ? AND "
                    "status = 'running' AND coalesce(heartbeat_at, started_at) <= ?",
                    (last, rid, last),
                )
                if cursor.rowcount == 1:
                    reaped.append(session_id)
                    _merge_data(conn, rid, {"error": _CRASH_ERROR}, keep_existing=True)
            return reaped

        return self._write(work)


# ---------------------------------------------------------------------- helpers


def _logger() -> Any:
    import logging  # only on this rare path: keeps the import cost of the store down

    return logging.getLogger(__name__)


def _no_tables(conn: sqlite3.Connection) -> bool:
    """A database with no schema at all: one a first run has created but not yet filled."""
    return not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_readonly_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "read only" in text


def _bad_status(status: object, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    hint = did_you_mean(str(status), allowed)
    return f"Unknown session status {status!r}. Use one of {', '.join(allowed)}.{hint}"


def _json_default(value: Any) -> Any:
    """Keep records writable whatever a plugin put in them: paths, sets, dates become text."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return repr(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def _split_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort record fields into ``sessions`` columns and the JSON document (unknown keys too)."""
    columns: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _COLUMNS:
            if name == "pinned":
                value = int(bool(value))
            elif name == "project_path" and value is not None:
                value = str(value)
            columns[name] = value
        elif name == "runtime_params":
            columns[name] = _dumps(value or {})
        else:
            data[name] = value
            if name == "git":
                columns["git_commit"], columns["git_dirty"] = _git_columns(value)
    return columns, data


def _git_columns(git: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    if not git:
        return None, None
    dirty = git.get("dirty")
    return git.get("commit"), None if dirty is None else int(bool(dirty))


def _merge_data(
    conn: sqlite3.Connection, rid: int, values: Mapping[str, Any], *, keep_existing: bool = False
) -> None:
    """Replace top-level keys of a session's JSON document (``keep_existing``: only fill gaps)."""
    row = conn.execute("SELECT data FROM session_data WHERE rid = ?", (rid,)).fetchone()
    data = json.loads(row[0]) if row else dict(_DATA_DEFAULTS)
    for key, value in values.items():
        if not (keep_existing and data.get(key)):
            data[key] = value
    conn.execute(
        "INSERT OR REPLACE INTO session_data (rid, data) VALUES (?, ?)", (rid, _dumps(data))
    )


def _flatten_params(
    params: Mapping[str, Any], prefix: str = ""
) -> list[tuple[str, float | None, str | None]]:
    """Scalar leaves as (dotted key, number, text): what ``model.lr>0.01`` filters on.

    Booleans and None are text ("true", "false", "null") so ``flag=true`` works; lists are skipped;
    long strings are cut so the index stays small.
    """
    rows: list[tuple[str, float | None, str | None]] = []
    for name, value in params.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            rows.extend(_flatten_params(value, key + "."))
        elif isinstance(value, bool):
            rows.append((key, None, "true" if value else "false"))
        elif isinstance(value, (int, float)):
            number = float(value)
            rows.append((key, number, None) if math.isfinite(number) else (key, None, str(value)))
        elif value is None:
            rows.append((key, None, "null"))
        elif isinstance(value, str):
            rows.append((key, None, value[:_MAX_PARAM_TEXT]))
    return rows


def _clean_text(message: object) -> str:
    """Log text SQLite accepts: bytes decoded and lone surrogates replaced (U+FFFD)."""
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    text = message if isinstance(message, str) else str(message)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # bytes smuggled in by surrogateescape (os.fsdecode, subprocess output)
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # any other lone surrogate
            raw = text.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
    return text


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _param_condition(
    conn: sqlite3.Connection, param: ParamFilter, alias: str
) -> tuple[str, list[Any]]:
    """SQL on ``session_params AS alias`` for one filter; ``0`` if no session has the key."""
    row = conn.execute("SELECT id FROM param_keys WHERE key = ?", (param.key,)).fetchone()
    if row is None:
        return "0", []
    column = f"{alias}.num" if isinstance(param.value, float) else f"{alias}.text"
    negated = param.op == "!="  # a value of the other type (text vs number) differs too
    condition = f"({column} IS NULL OR {column} != ?)" if negated else f"{column} {param.op} ?"
    return f"{alias}.key_id = ? AND {condition}", [row[0], param.value]


def _plan(
    conn: sqlite3.Connection, query: SessionQuery, *, counting: bool
) -> tuple[str, str, list[Any]]:
    """FROM source, WHERE clause and arguments for a query, shaped for the indexes.

    Parameter filters are the hard part: checking one per session (EXISTS) is cheap when many
    sessions match, because the newest-first scan stops after ``limit`` hits, but scans everything
    when few match. So each filter's matches are counted up to a bound first, and a filter matching
    fewer than ``_DRIVE_FROM_PARAM_BELOW`` sessions drives the query from its own index instead.
    """
    clauses: list[str] = []
    args: list[Any] = []
    source = "sessions AS s"
    source_args: list[Any] = []
    probes: list[tuple[int, ParamFilter, str, list[Any]]] = []
    for param in query.params:
        cond, cond_args = _param_condition(conn, param, "p")
        if cond == "0":
            return source, " WHERE 0", []
        matches = _DRIVE_FROM_PARAM_BELOW
        if param.op != "!=" and not counting:
            matches = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM session_params AS p WHERE {cond} LIMIT ?)",
                [*cond_args, _DRIVE_FROM_PARAM_BELOW],
            ).fetchone()[0]
        probes.append((matches, param, cond, cond_args))
    probes.sort(key=lambda probe: probe[0])
    for index, (matches, param, cond, cond_args) in enumerate(probes):
        if index == 0 and matches < _DRIVE_FROM_PARAM_BELOW:
            source = f"session_params AS p CROSS JOIN sessions AS s ON s.rid = p.rid AND {cond}"
            source_args = cond_args
        elif counting and param.op != "!=":
            inner, cond_args = _param_condition(conn, param, "q")
            clauses.append(f"s.rid IN (SELECT q.rid FROM session_params AS q WHERE {inner})")
            args.extend(cond_args)
        else:
            inner, cond_args = _param_condition(conn, param, "q")
            clauses.append(
                f"EXISTS (SELECT 1 FROM session_params AS q WHERE q.rid = s.rid AND {inner})"
            )
            args.extend(cond_args)
    for column, values in (
        ("status", query.statuses),
        ("env", query.envs),
        ("pipeline", query.pipelines),
        ("user", query.users),
    ):
        if values is None:
            continue
        if not values:
            clauses.append("0")
        else:
            clauses.append(f"s.{column} IN ({', '.join('?' * len(values))})")
            args.extend(sorted(values))
    if query.since is not None:
        clauses.append("s.started_at >= ?")
        args.append(query.since)
    if query.until is not None:
        clauses.append("s.started_at < ?")
        args.append(query.until)
    if query.pinned is not None:
        clauses.append("s.pinned = 1" if query.pinned else "s.pinned = 0")  # literal: partial index
    for prefix in query.id_prefixes:
        clauses.append("s.session_id >= ? AND s.session_id < ?")
        args.extend((prefix, prefix + "\U0010ffff"))
    for word in query.text:
        clauses.append("s.search LIKE ? ESCAPE '\\'")
        args.append(_like(word))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return source, where, [*source_args, *args]


def _summary(row: tuple[Any, ...]) -> SessionSummary:
    (sid, status, started, ended, env, pipeline, user, host, pid, commit, dirty, parent, note,
     pinned, runtime) = row  # fmt: skip
    return SessionSummary(
        session_id=sid,
        status=status,
        started_at=started,
        ended_at=ended,
        env=env,
        pipeline=pipeline,
        user=user,
        host=host,
        pid=pid,
        git_commit=commit,
        git_dirty=None if dirty is None else bool(dirty),
        parent_id=parent,
        note=note,
        pinned=bool(pinned),
        runtime_params=json.loads(runtime) if runtime else {},
    )


def _record(row: tuple[Any, ...]) -> SessionRecord:
    (sid, status, started, ended, project_path, package_name, env, pipeline, user, host, pid, beat,
     parent, note, pinned, runtime, data_json) = row  # fmt: skip
    data = {**_DATA_DEFAULTS, **(json.loads(data_json) if data_json else {})}
    return SessionRecord(
        session_id=sid,
        status=status,
        started_at=started,
        ended_at=ended,
        project_path=project_path,
        package_name=package_name,
        env=env,
        pipeline=pipeline,
        user=user,
        host=host,
        pid=pid,
        heartbeat_at=beat,
        git=data["git"],
        runtime_params=json.loads(runtime) if runtime else {},
        params=data["params"] or {},
        cli=data["cli"] or {},
        env_vars=data["env_vars"] or {},
        versions=data["versions"] or {},
        filters=data["filters"] or {},
        runner=data["runner"],
        error=data["error"],
        parent_id=parent,
        note=note,
        pinned=bool(pinned),
        extra={k: v for k, v in data.items() if k not in _DATA_DEFAULTS},
    )


_HOSTNAME: str | None = None
_USERNAME: str | None = None


def _hostname() -> str:
    """This machine's name, without importing socket on POSIX (start-up cost)."""
    global _HOSTNAME
    if _HOSTNAME is None:
        uname = getattr(os, "uname", None)
        if uname is not None:
            _HOSTNAME = str(uname().nodename)
        else:  # pragma: no cover - Windows
            import socket

            _HOSTNAME = socket.gethostname()
    return _HOSTNAME


def _username() -> str:
    """The login name as getpass finds it, without failing in odd containers."""
    global _USERNAME
    if _USERNAME is None:
        for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
            if os.environ.get(name):
                _USERNAME = os.environ[name]
                break
        else:
            try:
                import pwd

                _USERNAME = pwd.getpwuid(os.getuid()).pw_name
            except (ImportError, KeyError, OSError):  # pragma: no cover - exotic systems
                _USERNAME = "unknown"
    return _USERNAME


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists but belongs to someone else
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return True
    fields = stat.rsplit(b")", 1)[-1].split()
    return not (fields and fields[0] == b"Z")
