"""How the SQLite store tells what went wrong, and says it as a ``StoreError`` the user can act on.

Kept apart so the file checks (sqlite_file.py) and the connection (sqlite_connection.py) give the
same sentences for the same trouble: a locked, read-only, full, damaged or unopenable file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from proj_tui.framework.store.errors import StoreCorruptError, StoreError, StoreLockedError

_LOCK_ATTEMPTS = 3


def _transient(exc: BaseException) -> bool:
    text = str(exc.__cause__ or exc).lower()
    return "malformed" in text or "disk i/o error" in text


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_readonly_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "read only" in text


def _corrupt(path: Path, detail: str) -> StoreCorruptError:
    broken = path.with_name(path.name + ".broken")
    return StoreCorruptError(
        f"The session store {path} is damaged: {detail}. proj-tui will not reset it, so "
        f"no history is lost. Move it aside (mv '{path}' '{broken}', with any -wal and "
        "-shm files next to it); a new, empty store is created on the next run, and the old "
        "file can still be inspected with the sqlite3 tool. Or run 'proj-tui sessions "
        "repair', which backs the file up and keeps every session SQLite can still read."
    )


def _translate_error(exc: sqlite3.Error, path: Path, busy_timeout: float) -> StoreError:
    """Turn a SQLite error into a sentence about this file and what to do."""
    text = str(exc)
    lower = text.lower()
    if _is_locked(exc):
        return StoreLockedError(
            f"The session store {path} is still locked by another process after "
            f"{_LOCK_ATTEMPTS} waits of {busy_timeout:g} s ({text}). Wait for the other "
            "run to finish, or stop it, and try again."
        )
    if _is_readonly_error(exc):
        return StoreError(
            f"Cannot write the session store {path}: it is read-only ({text}). Make the "
            f"file and its directory {path.parent} writable, or open the store with "
            "readonly=True to only read it."
        )
    if "disk is full" in lower or "no space" in lower:
        return StoreError(
            f"Cannot write the session store {path}: the disk is full ({text}). Free "
            "some space there (or point SESSION_STORE_ARGS in settings.py at another disk) "
            "and run again; sessions already stored are kept."
        )
    if "malformed" in lower or "not a database" in lower or "corrupt" in lower:
        return _corrupt(path, text)
    if "unable to open" in lower:
        return StoreError(
            f"Cannot open the session store {path} ({text}). Check that "
            f"{path.parent} exists and is readable and writable (SQLite keeps -wal and "
            "-shm files next to the database)."
        )
    return StoreError(f"The session store {path} failed: {text}.")
