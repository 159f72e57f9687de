"""Log lines in schema 2: split into parts and joined again, and stores of schema 1 moved over.

``fixtures/store_v1.sql`` is a store written by the schema-1 writer (dumped with iterdump), so the
migration is checked on what the old code really wrote, not on a copy of its SQL kept in sync.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from storetest_helpers import run_python

from proj_tui.framework.store import LogLine, SQLiteSessionStore
from proj_tui.framework.store.schema import SCHEMA_VERSION, read_version
from proj_tui.framework.store.sqlite_logs import CHUNK_BYTES, PARTS, split_message

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.sql"


def _v1_store(path: Path) -> Path:
    """A schema-1 store file from the fixture, in WAL mode as the old writer left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return path


def _raw_v1_logs(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every line of a schema-1 store, read with plain SQL from its ``logs`` table."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT session_id, seq, ts, level, logger, message FROM logs ORDER BY session_id, seq"
    ).fetchall()
    conn.close()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for session_id, *line in rows:
        out.setdefault(session_id, []).append(tuple(line))
    return out


def _everything(store: SQLiteSessionStore) -> dict[str, Any]:
    """What a reader can see of every session: summaries, records, nodes and log lines."""
    summaries = store.list_sessions(limit=100)
    return {
        s.session_id: {
            "summary": s,
            "record": store.get_session(s.session_id).to_dict(),
            "nodes": store.nodes(s.session_id),
            "logs": [asdict(line) for line in store.logs(s.session_id)],
        }
        for s in summaries
    }


def _digest(path: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.glob(path.name + "*"))
    }


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return read_version(conn)
    finally:
        conn.close()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20000) | st.text(alphabet="aé€😀", max_size=9000))
def test_split_message_cuts_between_characters_and_joins_back(text: str) -> None:
    parts = split_message(text)
    assert "".join(parts) == text
    assert 1 <= len(parts) <= PARTS
    assert all(len(part.encode()) <= CHUNK_BYTES for part in parts[:-1])
    if len(parts) < PARTS:
        assert len(parts[-1].encode()) <= CHUNK_BYTES


@pytest.mark.parametrize(
    "message",
    [
        "",
        "short",
        "a" * CHUNK_BYTES,
        "a" * (CHUNK_BYTES + 1),
        "é" * CHUNK_BYTES,
        "x" * (CHUNK_BYTES * PARTS + 7),
        "😀" * 50_000,
        "line one\nline two\ttabbed \x00 nul",
    ],
    ids=["empty", "short", "one-part", "two-parts", "two-byte", "rest-in-last", "4-byte", "ctrl"],
)
def test_any_line_reads_back_as_written(store: SQLiteSessionStore, message: str) -> None:
    sid = store.create_session({"pipeline": "p"})
    lines = [LogLine(ts=1.5, level="INFO", logger="a", message="before"), LogLine()]
    lines[1] = LogLine(ts=2.5, level="WARNING", logger="b.c", message=message)
    store.append_logs(sid, lines)
    store.append_logs(sid, [LogLine(ts=3.5, level="ERROR", logger="a", message="after")])
    assert store.logs(sid) == [
        LogLine(1, 1.5, "INFO", "a", "before"),
        LogLine(2, 2.5, "WARNING", "b.c", message),
        LogLine(3, 3.5, "ERROR", "a", "after"),
    ]
    assert [line.seq for line in store.logs(sid, after=1, limit=1)] == [2]
    assert [line.seq for line in store.logs(sid, after=2)] == [3]


def test_text_search_finds_a_match_across_two_parts(store: SQLiteSessionStore) -> None:
    sid = store.create_session({"pipeline": "p"})
    split = "a" * (CHUNK_BYTES - 3) + "NeEdLe" + "b" * 5000  # the needle straddles parts 1 and 2
    assert split_message(split)[0].endswith("NeE")
    messages = ["no", split, "needle here", "c" * 3000, "x" * 3000 + "NEEDLE", "né"]
    store.append_logs(sid, [LogLine(ts=1.0, message=m) for m in messages])
    assert [line.seq for line in store.logs(sid, text="needle")] == [2, 3, 5]
    assert [line.seq for line in store.logs(sid, text="needle", limit=2)] == [2, 3]
    assert [line.seq for line in store.logs(sid, text="needle", after=2)] == [3, 5]
    assert [line.seq for line in store.logs(sid, text="NÉ")] == []  # LIKE folds ASCII only
    assert [line.seq for line in store.logs(sid, text="nÉ".lower())] == [6]
    assert store.logs(sid, text="50%") == []


def test_deleting_a_session_removes_its_lines_only(store: SQLiteSessionStore) -> None:
    first, second = store.create_session({}), store.create_session({})
    for sid in (first, second):
        store.append_logs(sid, [LogLine(ts=1.0, message=f"{sid} " + "z" * 3000)] * 3)
    store.delete_sessions([first])
    assert store.logs(first) == []
    assert [line.message[:24] for line in store.logs(second)] == [second] * 3
    rows = store._read(lambda conn: conn.execute("SELECT count(*) FROM log_lines").fetchone()[0])
    assert rows == 3 * len(split_message("x" * 3025))


def test_a_schema_1_store_is_migrated_with_nothing_lost(tmp_path: Path) -> None:
    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    raw = _raw_v1_logs(db)
    assert _version(db) == 1 and sum(map(len, raw.values())) == 47
    with SQLiteSessionStore(db, readonly=True) as old:  # read as it is, before the migration
        before = _everything(old)
    with SQLiteSessionStore(db) as store:
        after = _everything(store)
        tables = {
            row[0]
            for row in store._read(
                lambda conn: conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
            )
        }
        found = store.logs(next(iter(raw)), text="needle")
    assert _version(db) == SCHEMA_VERSION >= 2
    assert "logs" not in tables and {"log_lines", "log_sources"} <= tables
    assert after == before
    for session_id, lines in raw.items():
        assert [tuple(line.values()) for line in after[session_id]["logs"]] == lines
    assert [len(line.message) for line in found] == [5106]  # a 5 KB line, split and joined
    statuses = {sid: data["summary"].status for sid, data in after.items()}
    assert sorted(statuses.values()) == ["cancelled", "failed", "succeeded"]
    with SQLiteSessionStore(db) as again:  # opening again migrates nothing more
        assert _everything(again) == after
        sid = next(iter(raw))
        again.append_logs(sid, [LogLine(ts=9.0, message="new")])
        assert again.logs(sid)[-1] == LogLine(len(raw[sid]) + 1, 9.0, "INFO", "", "new")


def test_a_read_only_schema_1_store_is_read_as_it_is(tmp_path: Path) -> None:
    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    raw = _raw_v1_logs(db)
    digest = _digest(db)
    with SQLiteSessionStore(db, readonly=True) as store:
        seen = _everything(store)
        sid = next(iter(raw))
        assert [len(line.message) for line in store.logs(sid, text="needle")] == [5106]
        assert [line.seq for line in store.logs(sid, after=40, limit=2)] == [41, 42]
    for session_id, lines in raw.items():
        assert [tuple(line.values()) for line in seen[session_id]["logs"]] == lines
    assert _version(db) == 1
    assert _digest(db) == digest  # nothing written: no migration, no reaping


def test_a_read_only_reader_keeps_reading_while_another_process_migrates(tmp_path: Path) -> None:
    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    raw = _raw_v1_logs(db)
    sid = next(iter(raw))
    with SQLiteSessionStore(db, readonly=True) as reader:
        assert len(reader.logs(sid)) == len(raw[sid])
        migrated = run_python(
            """
            import sys
            from proj_tui.framework.store import SQLiteSessionStore
            SQLiteSessionStore(sys.argv[1]).close()
            """,
            str(db),
        )
        assert migrated.returncode == 0, migrated.stderr
        assert _version(db) == SCHEMA_VERSION
        assert [(line.seq, line.message) for line in reader.logs(sid)] == [
            (seq, message) for seq, _, _, _, message in raw[sid]
        ]


def test_concurrent_openers_migrate_once_and_store_every_line_once(tmp_path: Path) -> None:
    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    raw = _raw_v1_logs(db)
    sid = next(iter(raw))
    writer = """
        import sys
        from proj_tui.framework.store import LogLine, SQLiteSessionStore
        with SQLiteSessionStore(sys.argv[1]) as store:
            for i in range(20):
                store.append_logs(sys.argv[2], [LogLine(ts=1.0, message=f"{sys.argv[3]}-{i}")])
        """
    results: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_while_migrating() -> None:
        try:
            with SQLiteSessionStore(db, readonly=True) as reader:
                while not stop.is_set():
                    lines = reader.logs(sid)
                    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
                    assert len(lines) >= len(raw[sid])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read_while_migrating)] + [
        threading.Thread(
            target=lambda n=n: results.append(run_python(writer, str(db), sid, f"w{n}"))
        )
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    stop.set()
    threads[0].join()
    assert not errors, errors
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    with SQLiteSessionStore(db) as store:
        lines = store.logs(sid)
    assert [line.seq for line in lines] == list(range(1, len(raw[sid]) + 61))
    assert [tuple(asdict(line).values()) for line in lines[: len(raw[sid])]] == raw[sid]
    written = sorted(line.message for line in lines[len(raw[sid]) :])
    assert written == sorted(f"w{n}-{i}" for n in range(3) for i in range(20))


def test_history_free_text_finds_words_in_long_lines(store: SQLiteSessionStore) -> None:
    from proj_tui.framework.store import parse_query

    plain, long_one, split_one, other = (store.create_session({}) for _ in range(4))
    store.append_logs(plain, [LogLine(ts=1.0, message="found zebra here")])
    store.append_logs(long_one, [LogLine(ts=1.0, message="y" * 5000 + " zebra")])
    split = "a" * (CHUNK_BYTES - 2) + "zebra" + "b" * 900  # "ze|bra" across parts 1 and 2
    assert split_message(split)[0].endswith("ze")
    store.append_logs(split_one, [LogLine(ts=1.0, message=split)])
    store.append_logs(other, [LogLine(ts=1.0, message="z" * 3000), LogLine(ts=1.0, message="e")])
    query = parse_query("zebra")
    found = {s.session_id for s in store.list_sessions(query)}
    assert found == {plain, long_one, split_one}
    assert store.count_sessions(query) == 3


def test_history_free_text_in_a_read_only_schema_1_store(tmp_path: Path) -> None:
    from proj_tui.framework.store import parse_query

    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    first = next(iter(_raw_v1_logs(db)))
    with SQLiteSessionStore(db, readonly=True) as store:
        assert [s.session_id for s in store.list_sessions(parse_query("NEEDLE"))] == [first]
        assert store.count_sessions(parse_query("NEEDLE")) == 1
        SQLiteSessionStore(db).close()  # another opener migrates it under this reader
        assert [s.session_id for s in store.list_sessions(parse_query("NEEDLE"))] == [first]
        assert store.count_sessions(parse_query("NEEDLE")) == 1


def test_repair_of_a_schema_1_store_keeps_its_log_lines(tmp_path: Path) -> None:
    from proj_tui.cli.repair import repair_store

    db = _v1_store(tmp_path / ".proj-tui" / "sessions.db")
    raw = _raw_v1_logs(db)
    with SQLiteSessionStore(db, readonly=True) as old:
        before = _everything(old)
    report = repair_store(db)
    assert report["sessions"] == 3 and report["lost"] == 0
    assert _version(db) == SCHEMA_VERSION
    with SQLiteSessionStore(db) as store:
        assert _everything(store) == before
        for session_id, lines in raw.items():
            assert [tuple(asdict(line).values()) for line in store.logs(session_id)] == lines
