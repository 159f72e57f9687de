"""Schema 3: code states, dataset fingerprints and shared blobs in a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from proj_tui.framework.store import (
    CodeState,
    DatasetRecord,
    LeftOut,
    SQLiteSessionStore,
    StoredFile,
)
from proj_tui.framework.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from proj_tui.framework.store.sqlite_repro import blob_digest


def _session(store: SQLiteSessionStore) -> str:
    return store.create_session({"env": "local", "pipeline": "__default__"})


def test_code_state_round_trips_and_blobs_are_stored_once(tmp_path: Path) -> None:
    patch = b"diff --git a/x.py b/x.py\n+print(1)\n" * 50
    digest = blob_digest(patch)
    state = CodeState(
        kind="git",
        commit="a" * 40,
        branch="main",
        dirty=True,
        patch=digest,
        patch_size=len(patch),
        untracked=(StoredFile("src/new.py", 3, blob_digest(b"x=1")),),
        left_out=(LeftOut("conf/local/credentials.yml", "a credentials or secrets file"),),
        roots=("src", "conf"),
    )
    with SQLiteSessionStore(tmp_path / "s.db") as store:
        first, second = _session(store), _session(store)
        for sid in (first, second):
            store.record_code_state(sid, state, {digest: patch, blob_digest(b"x=1"): b"x=1"})
        assert store.code_state(first) == state
        assert store.code_state(second) == state
        assert not state.exact  # a file was left out
        assert store.blob(digest) == patch
        count = store._read(lambda c: c.execute("SELECT count(*) FROM blobs").fetchone()[0])
        assert count == 2  # two sessions, one copy of each blob
        store.delete_sessions([first])
        assert store.blob(digest) == patch  # the other session still uses it
        store.delete_sessions([second])
        assert store.blob(digest) is None
        count = store._read(lambda c: c.execute("SELECT count(*) FROM blobs").fetchone()[0])
        assert count == 0


def test_datasets_keep_order_content_and_replace(tmp_path: Path) -> None:
    rows = [
        DatasetRecord(
            "ingest", "raw", "load", "CSVDataset", "/d/raw.csv", None, 10, 1.0, "ab", "whole"
        ),
        DatasetRecord(
            "train",
            "metrics",
            "save",
            "JSONDataset",
            "/d/m.json",
            "v1",
            12,
            2.0,
            "cd",
            "whole",
            content='{"rmse": 1.2}',
        ),
        DatasetRecord("push", "remote", "save", "X", "s3://b/k", note="not a local file"),
    ]
    with SQLiteSessionStore(tmp_path / "s.db") as store:
        sid = _session(store)
        assert store.datasets(sid) == []
        assert store.code_state(sid) is None
        store.record_datasets(sid, rows[:2])
        store.record_datasets(sid, rows[2:])
        assert store.datasets(sid) == rows
        store.record_datasets(sid, rows[1:2], replace=True)
        assert store.datasets(sid) == rows[1:2]
        assert store.datasets(sid)[0].content == '{"rmse": 1.2}'


def test_a_schema_2_store_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, 0, MIGRATIONS[:2])
    conn.execute("COMMIT")
    conn.execute(
        "INSERT INTO sessions (session_id, started_at, status) "
        "VALUES ('2026-01-01T00.00.00.000Z', 1, 'succeeded')"
    )
    conn.execute("INSERT INTO session_data (rid, data) VALUES (1, '{}')")
    conn.close()
    with SQLiteSessionStore(db, readonly=True) as reader:  # read as it is, not migrated
        assert reader.datasets("2026-01-01T00.00.00.000Z") == []
        assert reader.code_state("2026-01-01T00.00.00.000Z") is None
    with SQLiteSessionStore(db) as store:
        assert store._schema == SCHEMA_VERSION >= 3
        assert store.get_session("2026-01-01T00.00.00.000Z").status == "succeeded"
        store.record_datasets("2026-01-01T00.00.00.000Z", [DatasetRecord("n", "d", "save")])
        assert len(store.datasets("2026-01-01T00.00.00.000Z")) == 1


def test_repair_keeps_code_states_datasets_and_blobs(tmp_path: Path) -> None:
    from proj_tui.cli.repair import repair_store

    db = tmp_path / "s.db"
    patch = b"diff --git a/x b/x\n"
    state = CodeState(kind="git", commit="b" * 40, dirty=True, patch=blob_digest(patch))
    with SQLiteSessionStore(db) as store:
        sid = _session(store)
        store.record_code_state(sid, state, {blob_digest(patch): patch})
        store.record_datasets(sid, [DatasetRecord("n", "out", "save", content="a,b\n1,2\n")])
    repair_store(db)
    with SQLiteSessionStore(db) as store:
        assert store.code_state(sid) == state
        assert store.blob(blob_digest(patch)) == patch
        assert store.datasets(sid)[0].content == "a,b\n1,2\n"
