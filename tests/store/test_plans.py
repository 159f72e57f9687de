"""Budget guards that do not depend on machine speed: the queries use the indexes, and the store
imports nothing heavy. (Timed figures at 100k sessions: benches/store.py.)"""

from __future__ import annotations

import sqlite3

import pytest
from storetest_helpers import record, run_python

from proj_tui.framework.store import SQLiteSessionStore, parse_query
from proj_tui.framework.store.sqlite_plan import _ORDER_BY, _plan
from proj_tui.framework.store.sqlite_rows import _SUMMARY_COLUMNS


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> SQLiteSessionStore:
    path = tmp_path_factory.mktemp("plans") / "sessions.db"
    store = SQLiteSessionStore(path)
    envs, statuses = ["local", "dev", "prod"], ["succeeded", "failed", "cancelled"]
    for i in range(3000):
        session_id = store.create_session(
            record(
                env=envs[i % 3],
                pipeline=f"p{i % 7}",
                params={"model": {"lr": i / 3000, "kind": "rare" if i % 1000 == 0 else "rf"}},
                host="elsewhere",
            ),
            now=1_700_000_000 + i,
        )
        store.finish_session(session_id, statuses[i % 3], ended_at=1_700_000_000 + i + i % 50)
    return store


def _plan_of(store: SQLiteSessionStore, text: str) -> str:
    query = parse_query(text)
    conn = store._connection()
    source, where, args = _plan(conn, query, counting=False)
    sql = (
        f"SELECT {_SUMMARY_COLUMNS} FROM {source}{where} ORDER BY {_ORDER_BY[query.sort]} LIMIT 100"
    )
    return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("", "sessions_started"),
        ("env:prod", "sessions_env_started"),
        ("status:failed", "sessions_status_started"),
        ("pipeline:p3", "sessions_pipeline_started"),
        ("since:2023-11-14", "sessions_started"),
        ("model.kind=rare", "session_params_text"),
        ("model.lr<0.001", "session_params_num"),
        ("sort:-duration", "sessions_duration"),
    ],
)
def test_list_queries_use_an_index(big: SQLiteSessionStore, text: str, index: str) -> None:
    plan = _plan_of(big, text)
    assert index in plan, plan
    assert "SCAN s " not in plan.replace("SCAN s USING INDEX", ""), plan


def test_common_param_filter_stops_early_on_the_time_index(big: SQLiteSessionStore) -> None:
    plan = _plan_of(big, "model.lr>0.2")  # 2400 of 3000 match
    assert "sessions_started" in plan and "PRIMARY KEY" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_newest_page_of_a_combined_filter_needs_no_sort(big: SQLiteSessionStore) -> None:
    # its speed is in benches/store.py; here, the plan that makes it fast
    assert len(big.list_sessions(parse_query("env:prod model.lr>0.1"))) == 100
    plan = _plan_of(big, "env:prod model.lr>0.1")
    assert "TEMP B-TREE" not in plan, plan


def test_reaping_only_reads_running_rows(big: SQLiteSessionStore) -> None:
    conn = sqlite3.connect(big.path)
    plan = " ".join(
        row[3]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT rid FROM sessions WHERE status = 'running'"
        )
    )
    conn.close()
    assert "sessions_status_started" in plan


def test_store_imports_stay_light() -> None:
    result = run_python(
        """
        import sys
        import proj_tui.framework.store, proj_tui.framework.redact, proj_tui.framework.gitinfo
        heavy = sorted(
            name for name in sys.modules
            if name.split(".")[0] in {"textual", "rich", "yaml", "pluggy", "watchfiles"}
            or name.startswith(("proj_tui.pipeline", "proj_tui.io", "proj_tui.runner",
                                "proj_tui.cli", "proj_tui.tui", "proj_tui.config"))
        )
        print(heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"  # what it costs to import is in benches/run_overhead.py


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> SQLiteSessionStore:
    """600 sessions with two metrics files each, both with an ``rmse`` (as the demo's are)."""
    from proj_tui.framework.store import DatasetRecord

    store = SQLiteSessionStore(tmp_path_factory.mktemp("outputs") / "sessions.db")
    for i in range(600):
        session_id = store.create_session(record(host="elsewhere"), now=1_700_000_000 + i)
        store.record_datasets(
            session_id,
            [
                DatasetRecord(f"eval_{m}", f"{m}.metrics", "save", "json.JSONDataset",
                              f"data/{m}_metrics.json", digest=f"{i}", scheme="whole",
                              content=f'{{"rmse": {(i * (7 if m == "model_a" else 13)) % 600}}}')
                for m in ("model_a", "model_b")
            ],
        )  # fmt: skip
        store.finish_session(session_id, "succeeded", ended_at=1_700_000_001 + i)
    return store


def _count_plan(store: SQLiteSessionStore, text: str) -> tuple[int, str]:
    """count_sessions(text) and the plan of the statement it ran to count."""
    conn = store._connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        count = store.count_sessions(parse_query(text))
    finally:
        conn.set_trace_callback(None)
    counting = [s for s in statements if s.startswith("SELECT count(")][-1]
    return count, " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + counting))


def test_an_output_value_term_is_one_range_of_its_key_name_and_value(
    outputs: SQLiteSessionStore,
) -> None:
    # the key (rmse) is in both metrics files: the range is of one name's values, and a term
    # alone is counted on the index without reading the sessions (as a parameter is)
    count, plan = _count_plan(outputs, "out:model_a.metrics.rmse<60")
    assert count == 60
    assert "output_values_key_name_num (key_id=? AND name_id=? AND num<?)" in plan, plan
    assert "sessions" not in plan, plan
    count, plan = _count_plan(outputs, "model.lr>0.5")
    assert count == 0 and "sessions" not in plan, plan
    assert outputs.count_sessions(parse_query("out:model_a.metrics.rmse<60 status:failed")) == 0
    for text in ("out:model_a.metrics.rmse<60", "out:metrics.rmse<60", "out:model_b.metrics"):
        listed = outputs.list_sessions(parse_query(text), limit=1000)
        assert outputs.count_sessions(parse_query(text)) == len(listed), text
    assert outputs.count_sessions(parse_query("out:metrics.rmse<60")) == 113  # either file
    assert "output_values_key_name_num" in _plan_of(outputs, "out:model_a.metrics.rmse<60")
