"""``out:``/``in:`` on a real SQLite store: which names match, values compared, rows deleted."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from proj_tui.framework.store import DatasetRecord, SQLiteSessionStore, parse_query

METRICS = "data/05_reporting/{ns}_metrics.json"


def _session(store: SQLiteSessionStore, at: float, rmse_a: float, rmse_b: float) -> str:
    sid = store.create_session({"pipeline": "__default__"}, now=at)
    datasets = [
        DatasetRecord("clean", "trips_raw", "load", "csv.CSVDataset", "data/01_raw/trips.csv",
                      digest="aa" * 16, scheme="whole"),
        DatasetRecord("eval_a", "model_a.metrics", "save", "json.JSONDataset",
                      METRICS.format(ns="model_a"), digest=f"{rmse_a}", scheme="whole",
                      content=json.dumps({"rmse": rmse_a, "scores": {"mae": 1.0}, "kind": "lin"})),
        DatasetRecord("eval_b", "model_b.metrics", "save", "json.JSONDataset",
                      METRICS.format(ns="model_b"), digest=f"{rmse_b}", scheme="whole",
                      content=json.dumps({"rmse": rmse_b})),
        DatasetRecord("report", "zones", "save", "csv.CSVDataset", "data/05_reporting/z.csv",
                      digest="cc", scheme="whole", content="zone,fare\nnorth,10\nsouth,12\n"),
    ]  # fmt: skip
    store.record_datasets(sid, datasets)
    store.finish_session(sid, "succeeded", ended_at=at + 1)
    return sid


@pytest.fixture
def filled(tmp_path: Path) -> tuple[SQLiteSessionStore, list[str]]:
    store = SQLiteSessionStore(tmp_path / "s.db")
    ids = [
        _session(store, 1000.0, 1.2, 2.0),
        _session(store, 2000.0, 1.6, 1.4),
        _session(store, 3000.0, 2.5, 3.0),
    ]
    bare = store.create_session({"pipeline": "other"}, now=4000.0)
    store.finish_session(bare, "succeeded", ended_at=4001.0)
    return store, [*ids, bare]


def _ids(store: SQLiteSessionStore, text: str) -> list[str]:
    query = parse_query(text)
    found = [s.session_id for s in store.list_sessions(query, limit=100)]
    assert store.count_sessions(query) == len(found), text  # the count agrees with the list
    return sorted(found)


def test_names_match_whole_by_tail_and_by_file_stem(
    filled: tuple[SQLiteSessionStore, list[str]],
) -> None:
    store, (a, b, c, _) = filled
    assert _ids(store, "out:model_a.metrics") == [a, b, c]
    assert _ids(store, "out:metrics") == [a, b, c]  # the last dotted part
    assert _ids(store, "out:model_b_metrics") == [a, b, c]  # the file's stem
    assert _ids(store, "in:trips_raw") == [a, b, c]
    assert _ids(store, "out:trips_raw") == []  # loaded, not saved
    assert _ids(store, "out:nothing_like_it") == []
    assert _ids(store, "out:etrics") == []  # a tail is whole dotted parts, not a suffix


def test_values_compare_numerically_with_every_name_and_key_split(
    filled: tuple[SQLiteSessionStore, list[str]],
) -> None:
    store, (a, b, c, _) = filled
    assert _ids(store, "out:model_a.metrics.rmse<1.5") == [a]
    assert _ids(store, "out:model_a_metrics.rmse<1.5") == [a]  # by stem
    assert _ids(store, "out:metrics.rmse<1.5") == [a, b]  # model_a's or model_b's
    assert _ids(store, "out:model_a.metrics.rmse>=1.6") == [b, c]
    assert _ids(store, "out:model_a.metrics.rmse=1.60") == [b]
    assert _ids(store, "out:metrics.mae=1") == [a, b, c]  # the tail of scores.mae
    assert _ids(store, "out:metrics.scores.mae!=1") == []
    assert _ids(store, "out:metrics.kind=lin") == [a, b, c]  # text
    assert _ids(store, "out:zones.south.fare>11") == [a, b, c]  # a CSV row by its first column
    assert _ids(store, "out:metrics.rmse<1.5 out:model_b.metrics.rmse<1.5") == [b]
    assert _ids(store, "out:metrics.nokey<1") == []


def test_out_terms_combine_with_the_other_filters(
    filled: tuple[SQLiteSessionStore, list[str]],
) -> None:
    store, (a, _, _, bare) = filled
    assert _ids(store, "out:metrics.rmse<1.5 pipeline:__default__ until:1970-01-01T00:25") == [a]
    assert _ids(store, "pipeline:other") == [bare]


def test_deleting_a_session_drops_its_index_rows(
    filled: tuple[SQLiteSessionStore, list[str]],
) -> None:
    store, (a, b, c, _) = filled
    store.delete_sessions([a])
    assert _ids(store, "out:metrics.rmse<1.5") == [b]
    assert _ids(store, "in:trips_raw") == [b, c]
    orphans = store._read_current(  # nothing of the deleted session is left in the index
        lambda conn: conn.execute(
            "SELECT (SELECT count(*) FROM session_outputs WHERE rid NOT IN "
            "(SELECT rid FROM sessions)) + (SELECT count(*) FROM output_values WHERE rid NOT IN "
            "(SELECT rid FROM sessions))"
        ).fetchone()[0]
    )
    assert orphans == 0


def test_a_replaced_record_is_indexed_again(filled: tuple[SQLiteSessionStore, list[str]]) -> None:
    store, (a, b, c, _) = filled
    store.record_datasets(
        a,
        [
            DatasetRecord(
                "eval_a",
                "model_a.metrics",
                "save",
                path=METRICS.format(ns="model_a"),
                digest="x",
                content='{"rmse": 9.0}',
            )
        ],
        replace=True,
    )
    assert _ids(store, "out:model_a.metrics.rmse>5") == [a]
    assert _ids(store, "in:trips_raw") == [b, c]


def test_a_schema_4_store_is_indexed_when_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with SQLiteSessionStore(db) as store:
        sid = _session(store, 1000.0, 1.2, 2.0)
    conn = sqlite3.connect(db)  # back to schema 4: recorded datasets, no index yet
    for table in ("session_outputs", "output_values", "output_names", "output_keys"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with SQLiteSessionStore(db, readonly=True) as reader:  # not migrated: no index, no match
        assert reader.list_sessions(parse_query("out:metrics.rmse<1.5")) == []
        assert reader.list_sessions(parse_query("status:succeeded"))[0].session_id == sid
    with SQLiteSessionStore(db) as store:
        assert _ids(store, "out:metrics.rmse<1.5") == [sid]
        assert _ids(store, "in:trips_raw") == [sid]


def test_a_schema_5_store_gets_the_key_name_value_indexes_when_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with SQLiteSessionStore(db) as store:
        sid = _session(store, 1000.0, 1.2, 2.0)
    conn = sqlite3.connect(db)  # back to schema 5: value indexes on (key, value)
    conn.execute("DROP INDEX output_values_key_name_num")
    conn.execute("DROP INDEX output_values_key_name_text")
    conn.execute(
        "CREATE INDEX output_values_num ON output_values (key_id, num) WHERE num IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX output_values_text ON output_values (key_id, text) WHERE text IS NOT NULL"
    )
    conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with SQLiteSessionStore(db, readonly=True) as reader:  # not migrated: read as it is
        assert [
            s.session_id for s in reader.list_sessions(parse_query("out:metrics.rmse<1.5"))
        ] == [sid]
    with SQLiteSessionStore(db) as store:
        assert _ids(store, "out:metrics.rmse<1.5") == [sid]
        assert _ids(store, "out:metrics.kind=lin") == [sid]
    conn = sqlite3.connect(db)
    indexes = {
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    conn.close()
    assert {"output_values_key_name_num", "output_values_key_name_text"} <= indexes
    assert not {"output_values_num", "output_values_text"} & indexes
