"""Opening a store: creation, permissions, WAL, schema versions, damaged and read-only files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from storetest_helpers import can_drop_privileges, record, run_python

from proj_tui.framework.store import (
    SQLiteSessionStore,
    StoreCorruptError,
    StoreError,
    StoreVersionError,
    default_store_path,
)
from proj_tui.framework.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, read_version


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_for_project_creates_private_dir_and_file(tmp_path: Path) -> None:
    store = SQLiteSessionStore.for_project(tmp_path)
    assert store.path == default_store_path(tmp_path) == tmp_path / ".proj-tui" / "sessions.db"
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert (store.path.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    store.close()


def test_database_uses_wal_and_records_schema_version(store: SQLiteSessionStore) -> None:
    store.create_session(record())
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert read_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {
        "sessions_started",
        "sessions_env_started",
        "sessions_status_started",
        "sessions_pipeline_started",
        "session_params_num",
        "session_params_text",
    } <= indexes
    conn.close()


def test_reopening_keeps_sessions(db_path: Path) -> None:
    with SQLiteSessionStore(db_path) as first:
        session_id = first.create_session(record())
    with SQLiteSessionStore(db_path) as second:
        assert second.get_session(session_id).env == "local"


def test_newer_schema_is_refused_with_file_and_versions(db_path: Path) -> None:
    SQLiteSessionStore(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreVersionError) as caught:
        SQLiteSessionStore(db_path)
    message = str(caught.value)
    assert str(db_path) in message
    assert "99" in message
    assert f"up to {SCHEMA_VERSION}" in message
    assert "Upgrade proj-tui" in message
    with pytest.raises(StoreVersionError):
        SQLiteSessionStore(db_path, readonly=True)


def test_old_schema_is_migrated_forward_on_open(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="needs an upgrade"):
        SQLiteSessionStore(db_path, readonly=True)
    with SQLiteSessionStore(db_path) as store:
        store.create_session(record())
    conn = sqlite3.connect(db_path)
    assert read_version(conn) == SCHEMA_VERSION
    conn.close()


def test_migrations_run_in_order_and_bump_the_version(db_path: Path) -> None:
    SQLiteSessionStore(db_path).close()

    def add_tags(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE sessions ADD COLUMN tags TEXT")

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, SCHEMA_VERSION, [*MIGRATIONS, add_tags])
    conn.execute("COMMIT")
    assert read_version(conn) == SCHEMA_VERSION + 1
    assert "tags" in {r[1] for r in conn.execute("PRAGMA table_info(sessions)")}
    conn.close()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is not a database, just some text\n" * 50, id="text"),
        pytest.param(os.urandom(8192), id="random-bytes"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 200, id="bad-header"),
    ],
)
def test_garbage_file_is_corrupt_and_left_untouched(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(StoreCorruptError) as caught:
        SQLiteSessionStore(db_path)
    message = str(caught.value)
    assert str(db_path) in message
    assert "Move it aside" in message and ".broken" in message
    assert "will not reset" in message
    assert db_path.read_bytes() == content
    with pytest.raises(StoreCorruptError):
        SQLiteSessionStore(db_path, readonly=True)
    assert db_path.read_bytes() == content


def _filled(db_path: Path, sessions: int = 300) -> None:
    with SQLiteSessionStore(db_path) as store:
        for i in range(sessions):
            store.create_session(record(note=f"session {i} " + "x" * 200), now=1_700_000_000 + i)
    assert not Path(f"{db_path}-wal").exists()  # checkpointed and removed on close


def test_truncated_file_is_corrupt_and_left_untouched(db_path: Path) -> None:
    _filled(db_path)
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    before = _digest(db_path)
    with pytest.raises(StoreCorruptError, match="truncated") as caught:
        SQLiteSessionStore(db_path)
    assert str(db_path) in str(caught.value)
    assert _digest(db_path) == before


def test_truncated_mid_page_is_corrupt(db_path: Path) -> None:
    _filled(db_path, sessions=5)
    data = db_path.read_bytes()
    db_path.write_bytes(data[:-100])
    with pytest.raises(StoreCorruptError, match="whole number of pages"):
        SQLiteSessionStore(db_path)


def test_damaged_pages_surface_as_corrupt_on_read(db_path: Path) -> None:
    _filled(db_path)
    data = bytearray(db_path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page, len(data), page):  # keep page 1 (header, schema) intact
        data[offset : offset + page] = os.urandom(page)
    db_path.write_bytes(bytes(data))
    before = _digest(db_path)
    with pytest.raises(StoreCorruptError) as caught:
        store = SQLiteSessionStore(db_path)
        try:
            store.list_sessions()
            store.count_sessions()
        finally:
            store.close()
    assert "Move it aside" in str(caught.value)
    assert _digest(db_path) == before


def test_readonly_store_reads_but_refuses_writes(db_path: Path) -> None:
    with SQLiteSessionStore(db_path) as writer:
        session_id = writer.create_session(record())
    with SQLiteSessionStore(db_path, readonly=True) as reader:
        assert [s.session_id for s in reader.list_sessions()] == [session_id]
        with pytest.raises(StoreError, match="read-only"):
            reader.set_note(session_id, "nope")
        assert reader.reap_crashed() == []


def test_readonly_store_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "sessions.db"
    with pytest.raises(StoreError, match="no session store at"):
        SQLiteSessionStore(missing, readonly=True)
    assert not missing.parent.exists()


def test_closed_store_says_so(store: SQLiteSessionStore) -> None:
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.list_sessions()


def test_in_memory_store_for_sessions_that_save_nothing(tmp_path: Path) -> None:
    with SQLiteSessionStore(":memory:") as store:
        session_id = store.create_session(record())
        assert store.get_session(session_id).status == "running"
    assert not (Path.cwd() / ":memory:").exists()


_WRITE = """
import sys
from proj_tui.framework.store import SQLiteSessionStore, StoreError
try:
    store = SQLiteSessionStore(sys.argv[1])
    store.create_session({"env": "x"})
except StoreError as exc:
    print("StoreError:", exc)
    sys.exit(3)
print("wrote")
"""
_READ = """
import sys
from proj_tui.framework.store import SQLiteSessionStore
print(len(SQLiteSessionStore(sys.argv[1], readonly=True).list_sessions()))
"""
needs_permissions = pytest.mark.skipif(
    sys.platform == "win32" or not can_drop_privileges(), reason="needs POSIX permissions"
)


@needs_permissions
def test_read_only_file_gives_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SQLiteSessionStore(path) as store:
        store.create_session(record())
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        result = run_python(_WRITE, str(path), unprivileged=True)
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 3, result.stdout + result.stderr
    assert str(path) in result.stdout
    assert "writable" in result.stdout
    assert "Traceback" not in result.stderr
    tmp_path.chmod(0o555)
    try:
        reader = run_python(_READ, str(path), unprivileged=True)
    finally:
        tmp_path.chmod(0o755)
    assert reader.stdout.strip() == "1", reader.stdout + reader.stderr


@needs_permissions
def test_read_only_directory_cannot_hold_a_new_store(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    path = tmp_path / ".proj-tui" / "sessions.db"
    try:
        result = run_python(_WRITE, str(path), unprivileged=True)
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Cannot create the session store" in result.stdout
    assert "writable" in result.stdout
