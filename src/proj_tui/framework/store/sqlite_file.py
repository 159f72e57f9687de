"""The SQLite store's file on disk: where it lives, how it is created, and the check before opening.

Kept apart from the connection because these steps touch the file itself (mkdir, flock, rename,
reading the header by hand), which is only safe under the rule of ``_CONNECTED`` below.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from proj_tui.framework.store.errors import StoreCorruptError, StoreError
from proj_tui.framework.store.schema import migrate
from proj_tui.framework.store.sqlite_errors import _corrupt

STORE_DIRNAME = ".proj-tui"
STORE_FILENAME = "sessions.db"

_SQLITE_MAGIC = b"SQLite format 3\x00"


def default_store_path(project_path: Path) -> Path:
    """``<project>/.proj-tui/sessions.db``: next to the code it describes, ignored by git."""
    return Path(project_path) / STORE_DIRNAME / STORE_FILENAME


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


def _create_file(path: Path) -> None:
    """Make the directory (0o700) and a database file (0o600): sessions hold env vars.

    The schema is built in a private temporary file that is then renamed into place under a
    creation lock, so a reader (the app, another CLI) sees either no database or a complete
    one, never one still being created.
    """
    parent = path.parent
    tmp = parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.new"
    try:
        if not parent.exists():
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(parent, 0o700)
            if parent.name == STORE_DIRNAME:
                ignore = "# created by proj-tui: local run history, not for git\n*\n"
                (parent / ".gitignore").write_text(ignore)
        with _creation_lock(parent):
            if path.exists():
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
            os.replace(tmp, path)  # atomic: readers see nothing, then the whole file
    except sqlite3.Error as exc:
        raise StoreError(
            f"Cannot create the session store {path}: {exc}. Make {parent} writable, "
            "or set SESSION_STORE_ARGS in settings.py to a writable path."
        ) from exc
    except OSError as exc:
        raise StoreError(
            f"Cannot create the session store {path}: {exc.strerror or exc}. Make "
            f"{parent} writable, or set SESSION_STORE_ARGS in settings.py to a writable path."
        ) from exc
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _check_file(path: Path) -> None:
    """Refuse a file that is not a database or is visibly truncated, before SQLite opens it.

    Skipped while this process has a connection to the file: one already opened it, and
    reading the header by hand would drop that connection's locks (see ``_CONNECTED``).

    Another process may be checkpointing or closing the store at this very moment, which
    changes its size and removes its WAL between our reads; real damage stays put, so a
    problem is reported only if it is still there a moment later.
    """
    with _CONNECTED_LOCK:
        if _CONNECTED[str(path)]:
            return
    for attempt in range(4):
        try:
            _check_file_once(path)
            return
        except StoreCorruptError:
            if attempt == 3:
                raise
            time.sleep(0.05 * (attempt + 1))


def _check_file_once(path: Path) -> None:
    try:
        size = path.stat().st_size
        if size == 0:
            return  # a fresh file (ours, or a crash right after creating it): SQLite fills it
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise StoreError(
            f"Cannot read the session store {path}: {exc.strerror or exc}. Check its permissions."
        ) from exc
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise _corrupt(path, "it is not a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _corrupt(path, f"its header has an impossible page size ({page_size})")
    try:
        if Path(f"{path}-wal").stat().st_size > 0:
            return  # pages may still be in the WAL, or a checkpoint is running: SQLite judges
    except FileNotFoundError:
        pass  # no WAL (or the last connection just removed it)
    if size % page_size:
        raise _corrupt(path, f"its size ({size} bytes) is not a whole number of pages")
    pages = int.from_bytes(header[28:32], "big")
    if header[24:28] == header[92:96] and pages and size < pages * page_size:
        expected = pages * page_size
        raise _corrupt(path, f"it is truncated ({size} bytes, its header says {expected})")
