"""The writer and reader sides of one session's record."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from storetest_helpers import record

from proj_tui.framework.store import (
    LogLine,
    NodeRun,
    SessionStore,
    SQLiteSessionStore,
    StoreError,
    export_session,
    is_session_id,
)


def test_sqlite_store_follows_the_protocol(store: SQLiteSessionStore) -> None:
    assert isinstance(store, SessionStore)


def test_create_fills_what_the_store_owns(store: SQLiteSessionStore) -> None:
    before = time.time()
    session_id = store.create_session(record(env="prod", pipeline="train", note="first"))
    got = store.get_session(session_id)
    assert is_session_id(session_id)
    assert got.status == "running"
    assert before <= got.started_at <= time.time()
    assert got.heartbeat_at == pytest.approx(got.started_at)
    assert got.ended_at is None and got.duration is None
    assert got.pid is not None and got.host and got.user
    assert (got.env, got.pipeline, got.note, got.package_name) == ("prod", "train", "first", "demo")
    assert got.params["model"]["layers"] == [8, 4]
    assert got.git is not None and got.git["branch"] == "main"
    assert got.versions["python"] == "3.11"


def test_create_with_now_uses_it_for_id_and_start(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record(), now=1795547073.496)
    assert session_id == "2026-11-24T19.04.33.496Z"
    assert store.get_session(session_id).started_at == 1795547073.496


def test_taken_id_is_bumped_by_one_millisecond(store: SQLiteSessionStore) -> None:
    ids = [store.create_session(record(), now=1795547073.496) for _ in range(3)]
    assert ids == [
        "2026-11-24T19.04.33.496Z",
        "2026-11-24T19.04.33.497Z",
        "2026-11-24T19.04.33.498Z",
    ]
    later = store.create_session(record(), now=1795547073.497)
    assert later == "2026-11-24T19.04.33.499Z"


def test_create_refuses_fields_the_store_sets(store: SQLiteSessionStore) -> None:
    with pytest.raises(StoreError, match=r"sets session_id, status itself"):
        store.create_session(record(status="succeeded", session_id="x"))


def test_unknown_fields_are_kept_as_extra(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record(resume="--from-nodes a"))
    store.update_session(session_id, plugin_data={"mlflow_run": "abc"})
    got = store.get_session(session_id)
    assert got.extra == {"resume": "--from-nodes a", "plugin_data": {"mlflow_run": "abc"}}


def test_non_json_values_are_stored_as_text(store: SQLiteSessionStore, tmp_path: Path) -> None:
    session_id = store.create_session(record(cli={"path": tmp_path, "tags": {"b", "a"}}))
    assert store.get_session(session_id).cli == {"path": str(tmp_path), "tags": ["a", "b"]}


def test_update_merges_top_level_fields(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    store.update_session(
        session_id,
        pipeline="train",
        params={"model": {"lr": 0.5}},
        filters={"tags": ["x"]},
        runtime_params={"model": {"lr": 0.5}},
        git={"commit": "b" * 40, "dirty": True},
    )
    got = store.get_session(session_id)
    assert got.pipeline == "train"
    assert got.params == {"model": {"lr": 0.5}}
    assert got.filters == {"tags": ["x"]}
    assert got.runner == "sequential"  # untouched
    assert got.runtime_params == {"model": {"lr": 0.5}}
    summary = store.list_sessions()[0]
    assert summary.git_commit == "b" * 40 and summary.git_dirty is True
    assert summary.runtime_params == {"model": {"lr": 0.5}}


def test_update_checks_status(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    with pytest.raises(StoreError, match=r"Unknown session status 'faild'.*Did you mean 'failed'"):
        store.update_session(session_id, status="faild")


def test_finish_records_outcome_and_error(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    error = {"type": "ValueError", "message": "bad", "traceback": "Traceback ..."}
    store.finish_session(session_id, "failed", error=error, ended_at=time.time() + 5)
    got = store.get_session(session_id)
    assert got.status == "failed" and got.error == error
    assert got.duration is not None and got.duration > 4
    store.finish_session(session_id, "succeeded")  # a retry that worked
    got = store.get_session(session_id)
    assert got.status == "succeeded" and got.error is None


def test_finish_refuses_running_and_unknown_status(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    with pytest.raises(StoreError, match="Use one of succeeded, failed, cancelled, crashed"):
        store.finish_session(session_id, "running")
    with pytest.raises(StoreError, match="Did you mean 'cancelled'"):
        store.finish_session(session_id, "canceled")


def test_unknown_session_suggests_near_ids(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record(), now=1795547073.496)
    with pytest.raises(StoreError) as caught:
        store.get_session(session_id[:16])
    assert f"Did you mean '{session_id}'" in str(caught.value)
    assert str(store.path) in str(caught.value)
    with pytest.raises(StoreError, match="Did you mean"):
        store.get_session(session_id.replace("496", "469"))
    with pytest.raises(StoreError, match=r"No session 'nope'.*sessions list"):
        store.set_note("nope", "x")
    for call in (
        lambda: store.heartbeat("nope"),
        lambda: store.record_nodes("nope", [NodeRun("a", "running")]),
        lambda: store.append_logs("nope", [LogLine(message="x")]),
        lambda: store.finish_session("nope", "failed"),
        lambda: store.update_session("nope", note="x"),
        lambda: store.set_pinned("nope", True),
    ):
        with pytest.raises(StoreError, match="No session 'nope'"):
            call()


def test_nodes_are_upserted_by_name(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    store.record_nodes(session_id, [NodeRun("b", "running", 2.0), NodeRun("a", "running", 1.0)])
    store.record_nodes(
        session_id,
        [NodeRun("a", "succeeded", None, 1.5), NodeRun("b", "failed", None, 3.0, "KeyError: 'x'")],
    )
    assert store.nodes(session_id) == [
        NodeRun("a", "succeeded", 1.0, 1.5, None),
        NodeRun("b", "failed", 2.0, 3.0, "KeyError: 'x'"),
    ]
    assert store.nodes("other") == []


def test_logs_are_numbered_in_order_across_batches(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    store.append_logs(session_id, [LogLine(ts=1.0, message=f"a{i}") for i in range(3)])
    store.append_logs(session_id, [])
    store.append_logs(
        session_id, [LogLine(ts=2.0, level="WARNING", logger="x.y", message="Disk FULL")]
    )
    lines = store.logs(session_id)
    assert [line.seq for line in lines] == [1, 2, 3, 4]
    assert [line.message for line in lines] == ["a0", "a1", "a2", "Disk FULL"]
    assert lines[3] == LogLine(4, 2.0, "WARNING", "x.y", "Disk FULL")
    assert [line.seq for line in store.logs(session_id, after=2)] == [3, 4]
    assert [line.seq for line in store.logs(session_id, after=1, limit=2)] == [2, 3]
    assert [line.message for line in store.logs(session_id, text="disk full")] == ["Disk FULL"]
    assert store.logs(session_id, text="100%") == []


def test_a_large_batch_is_stored_whole_and_in_order(store: SQLiteSessionStore) -> None:
    # more than one multi-row INSERT (1,000 rows each), ending in a partial one
    session_id = store.create_session(record())
    store.append_logs(session_id, [LogLine(message="before")])
    batch = [
        LogLine(ts=float(i + 1), level="INFO", logger=f"n{i % 7}", message=f"m{i}")
        for i in range(2503)
    ]
    store.append_logs(session_id, batch)
    lines = store.logs(session_id)
    assert len(lines) == 2504
    assert [line.seq for line in lines] == list(range(1, 2505))
    assert lines[1] == LogLine(2, 1.0, "INFO", "n0", "m0")
    assert lines[1001] == LogLine(1002, 1001.0, "INFO", "n6", "m1000")
    assert lines[-1] == LogLine(2504, 2503.0, "INFO", "n3", "m2502")


def test_log_sequence_is_per_session(store: SQLiteSessionStore) -> None:
    first, second = store.create_session(record()), store.create_session(record())
    store.append_logs(first, [LogLine(message="x")] * 3)
    store.append_logs(second, [LogLine(message="y")])
    assert [line.seq for line in store.logs(second)] == [1]


def test_invalid_utf8_in_logs_is_replaced(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    broken = b"caf\xc3\xa9 \xff\xfe end".decode("utf-8", "surrogateescape")
    store.append_logs(
        session_id,
        [
            LogLine(message=broken),
            LogLine(message=b"raw \xff bytes"),  # type: ignore[arg-type]
            LogLine(message="naïve ✓"),
        ],
    )
    messages = [line.message for line in store.logs(session_id)]
    assert messages == ["café \ufffd\ufffd end", "raw \ufffd bytes", "naïve ✓"]


def test_writes_while_running_count_as_heartbeats(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record(), now=time.time() - 30)
    started = store.get_session(session_id).heartbeat_at
    store.append_logs(session_id, [LogLine(message="x")])
    beat = store.get_session(session_id).heartbeat_at
    assert started is not None and beat is not None and beat > started


def test_note_pin_and_delete(store: SQLiteSessionStore) -> None:
    keep, drop = store.create_session(record()), store.create_session(record())
    store.append_logs(drop, [LogLine(message="x")])
    store.record_nodes(drop, [NodeRun("a", "succeeded")])
    store.set_note(keep, "baseline")
    store.set_pinned(keep, True)
    got = store.get_session(keep)
    assert got.note == "baseline" and got.pinned is True
    store.set_note(keep, "")
    assert store.get_session(keep).note is None
    assert store.delete_sessions([drop, drop, "missing"]) == 1
    assert store.delete_sessions([]) == 0
    assert [s.session_id for s in store.list_sessions()] == [keep]
    assert store.logs(drop) == [] and store.nodes(drop) == []
    conn = __import__("sqlite3").connect(store.path)
    assert (
        conn.execute("SELECT count(*) FROM session_params").fetchone()[0] == 3
    )  # keep's lr, kind, seed
    conn.close()


def test_export_is_json_ready(store: SQLiteSessionStore) -> None:
    session_id = store.create_session(record())
    store.record_nodes(session_id, [NodeRun("a", "succeeded", 1.0, 2.0)])
    store.append_logs(session_id, [LogLine(ts=1.0, message="hello")])
    store.finish_session(session_id, "succeeded")
    exported = store.export(session_id)
    assert json.loads(json.dumps(exported)) == exported
    assert exported["session_id"] == session_id
    assert exported["nodes"][0]["name"] == "a"
    assert exported["logs"][0]["message"] == "hello"
    assert exported["duration"] is not None
    assert export_session(store, session_id) == exported
