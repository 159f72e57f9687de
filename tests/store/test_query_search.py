"""What a history filter reaches: a key's tail, the error, the log lines; and what it says on 0 rows."""

from __future__ import annotations

import pytest
from storetest_helpers import record

from proj_tui.framework.store import (
    LogLine,
    SQLiteSessionStore,
    empty_result_hints,
    parse_query,
)


@pytest.fixture
def two(store: SQLiteSessionStore) -> dict[str, str]:
    """The demo's shape: two namespaced learning rates; one failed session with logs."""
    ok = store.create_session(
        record(params={"model_a": {"options": {"lr": 0.05}}, "model_b": {"options": {"lr": 0.03}}})
    )
    store.finish_session(ok, "succeeded")
    store.append_logs(ok, [LogLine(message="Loaded 1200 trips from trips_raw")])
    bad = store.create_session(
        record(params={"model_a": {"options": {"lr": 0.01}}, "model_b": {"options": {"lr": 0.02}}})
    )
    error = {"type": "ValueError", "message": "could not convert 'oops'", "traceback": ""}
    store.finish_session(bad, "failed", error=error)
    store.append_logs(bad, [LogLine(message="Resume with --from-nodes ingest_trips")])
    return {"ok": ok, "bad": bad}


def _found(store: SQLiteSessionStore, text: str) -> set[str]:
    query = parse_query(text)
    rows = {s.session_id for s in store.list_sessions(query)}
    assert store.count_sessions(query) == len(rows)
    return rows


def test_a_short_key_matches_every_dotted_key_ending_in_it(
    store: SQLiteSessionStore, two: dict[str, str]
) -> None:
    assert _found(store, "lr>0.04") == {two["ok"]}  # model_a.options.lr = 0.05
    assert _found(store, "options.lr<0.025") == {two["bad"]}
    assert _found(store, "model_a.options.lr=0.01") == {two["bad"]}
    assert _found(store, "r>0") == set()  # a tail is whole dotted parts, not any suffix


def test_free_text_searches_the_error_and_the_logs(
    store: SQLiteSessionStore, two: dict[str, str]
) -> None:
    assert _found(store, "oops") == {two["bad"]}  # the error message
    assert _found(store, "ValueError") == {two["bad"]}  # its type
    assert _found(store, "1200 trips") == {two["ok"]}  # a log line
    assert _found(store, '"--from-nodes ingest"') == {two["bad"]}
    assert _found(store, "nowhere") == set()


def test_an_empty_result_says_which_terms_may_be_why() -> None:
    assert empty_result_hints(parse_query("status:failed text")) == []
    [text_cmp, key] = empty_result_hints(parse_query("lr>abc"))
    assert "compares text" in text_cmp and "lr>0.01" in text_cmp
    assert "dotted name or its tail" in key


def test_a_recorded_key_whose_values_do_not_match_is_not_told_to_check_its_name(
    store: SQLiteSessionStore, two: dict[str, str]
) -> None:
    """'lr>5' named a real key and was told it must be a recorded parameter's name."""
    assert store.has_param_key("lr") and store.has_param_key("model_a.options.lr")
    assert not store.has_param_key("r") and not store.has_param_key("depth")
    assert _found(store, "lr>5") == set()
    [hint] = empty_result_hints(parse_query("lr>5"), store.has_param_key)
    assert "dotted name" not in hint and "is recorded" in hint and "'lr>5.0'" in hint
    [unknown, recorded] = empty_result_hints(parse_query("depth>3 lr>5"), store.has_param_key)
    assert "(depth)" in unknown and "dotted name" in unknown
    assert "'lr>5.0'" in recorded and "depth" not in recorded
