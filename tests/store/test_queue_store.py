"""The queue table (schema 3): order, moves, claims, and an older store migrated in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from proj_tui.framework.store import SQLiteSessionStore, StoreError
from proj_tui.framework.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, read_version
from proj_tui.framework.store.sqlite_queue import QueueStore


def _queue(tmp_path: Path) -> QueueStore:
    return QueueStore(SQLiteSessionStore(tmp_path / "sessions.db"))


def test_items_run_in_position_order_and_moves_renumber(tmp_path: Path) -> None:
    queue = _queue(tmp_path)
    a, b, c = queue.add([({"n": n}, None, {}) for n in range(3)])
    assert [i.id for i in queue.items()] == [a, b, c]
    assert queue.move(c, "top") == [c, a, b]
    assert queue.move(c, "down") == [a, c, b]
    assert queue.move(a, 3) == [c, b, a]
    assert queue.move(b, "up") == [b, c, a]
    assert queue.move(b, "bottom") == [c, a, b]
    with pytest.raises(StoreError, match="places start at 1"):
        queue.move(a, 0)
    claimed = queue.claim_next()
    assert claimed is not None and claimed.id == c and claimed.state == "running"
    assert [i.state for i in queue.items()] == ["running", "queued", "queued"]
    with pytest.raises(StoreError, match="already running"):
        queue.remove(c)
    with pytest.raises(StoreError, match="only a waiting item can be moved"):
        queue.move(c, "up")
    queue.finish(c, "succeeded", session_id="2026-12-02T07.00.00.000Z")
    assert queue.get(c).outcome == "succeeded"
    assert queue.clear() == 2
    assert queue.claim_next() is None
    assert [i.state for i in queue.items(include_finished=True)] == ["removed", "removed", "done"]


def test_concurrency_is_kept_in_the_store(tmp_path: Path) -> None:
    queue = _queue(tmp_path)
    assert queue.concurrency() == 1
    queue.set_concurrency(3)
    assert QueueStore(SQLiteSessionStore(tmp_path / "sessions.db")).concurrency() == 3
    with pytest.raises(StoreError, match="at least 1"):
        queue.set_concurrency(0)


def test_a_v3_store_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, 0, MIGRATIONS[:3])  # a store as proj-tui wrote it before the queue
    conn.execute(
        "INSERT INTO sessions (session_id, started_at, status) "
        "VALUES ('2026-01-01T00.00.00.000Z', 1.0, 'succeeded')"
    )
    conn.execute("COMMIT")
    assert read_version(conn) == 3
    conn.close()
    with SQLiteSessionStore(db, readonly=True) as old:  # read as it is: no sweeps in it
        assert [s.session_id for s in old.list_sessions()] == ["2026-01-01T00.00.00.000Z"]
        assert QueueStore(old).sweep_ids(["2026-01-01T00.00.00.000Z"]) == {}
    queue = _queue(tmp_path)  # a writer migrates it
    assert queue.add([({}, "sw-1", {"a": 1})]) == [1]
    assert queue.store.list_sessions()[0].session_id == "2026-01-01T00.00.00.000Z"
    assert read_version(sqlite3.connect(db)) == SCHEMA_VERSION >= 4
