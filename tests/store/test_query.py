"""The filter language (parse_query) and how list_sessions / count_sessions apply it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from storetest_helpers import record

from proj_tui.framework.store import (
    ParamFilter,
    QueryError,
    SessionQuery,
    SQLiteSessionStore,
    StoreError,
    parse_query,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc).timestamp()


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


# ---------------------------------------------------------------- parsing


def test_empty_query_filters_nothing() -> None:
    assert parse_query("").is_empty
    assert parse_query("   ") == SessionQuery()


def test_all_term_kinds() -> None:
    query = parse_query(
        "status:failed,crashed env:prod pipeline:train user:ana since:2026-11-01 "
        "until:2026-11-20 model.lr>0.01 model.kind=rf is:pinned id:2026-11 sort:-duration "
        'some "free text"'
    )
    assert query.statuses == {"failed", "crashed"}
    assert query.envs == {"prod"} and query.pipelines == {"train"} and query.users == {"ana"}
    assert query.since == _utc("2026-11-01T00:00:00")
    assert query.until == _utc("2026-11-21T00:00:00")  # "until the 20th" includes the 20th
    assert query.params == (
        ParamFilter("model.lr", ">", 0.01),
        ParamFilter("model.kind", "=", "rf"),
    )
    assert query.pinned is True and query.id_prefixes == ("2026-11",)
    assert query.sort == "-duration"
    assert query.text == ("some", "free text")


@pytest.mark.parametrize("op", [">", ">=", "<", "<=", "=", "!="])
def test_param_operators(op: str) -> None:
    assert parse_query(f"a.b_c-d{op}2").params == (ParamFilter("a.b_c-d", op, 2.0),)
    assert parse_query(f"a{op}x").params == (ParamFilter("a", op, "x"),)


def test_numbers_compare_numerically_and_words_as_text() -> None:
    assert parse_query("lr=1e-3").params[0].value == 0.001
    assert parse_query("flag=true").params[0].value == "true"
    assert parse_query("x=nan").params[0].value == "nan"
    assert parse_query('path="a b"').params[0].value == "a b"


def test_times() -> None:
    assert parse_query("since:2026-11-24T10:30").since == _utc("2026-11-24T10:30:00")
    assert parse_query("since:2026-11-24T10:30:00+01:00").since == _utc("2026-11-24T09:30:00")
    assert parse_query("since:2026-11-24T10:30:00Z").since == _utc("2026-11-24T10:30:00")
    assert parse_query("until:2026-11-24T10:30").until == _utc("2026-11-24T10:30:00")
    assert parse_query("since:2026-11-24T19.04.33.496Z").since == _utc("2026-11-24T19:04:33.496")
    assert parse_query("since:2d", now=NOW).since == NOW - 2 * 86400
    assert parse_query("since:12h", now=NOW).since == NOW - 12 * 3600
    assert parse_query("since:1w", now=NOW).since == NOW - 7 * 86400
    assert parse_query("since:today", now=NOW).since == _utc("2026-11-24T00:00:00")
    assert parse_query("until:yesterday", now=NOW).until == _utc("2026-11-24T00:00:00")


def test_repeated_terms_all_hold() -> None:
    assert parse_query("env:a,b env:b").envs == {"b"}
    assert parse_query("env:a env:b").envs == frozenset()  # matches nothing
    assert parse_query("since:2026-11-01 since:2026-11-05").since == _utc("2026-11-05T00:00:00")


def test_words_with_colons_that_are_not_filters_stay_text() -> None:
    assert parse_query("19:04 http://x").text == ("19:04", "http://x")
    assert parse_query("Status:failed").statuses == {"failed"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stauts:failed", "Unknown filter 'stauts:'.*Did you mean 'status:'"),
        ("status:faild", "Unknown status 'faild'.*Did you mean 'failed'"),
        ("env:", "The filter 'env:' needs a value, for example env:prod"),
        ("since:yesterdayish", "'since:yesterdayish' is not a date or time"),
        ("until:2026-13-01", "'until:2026-13-01' is not a date or time"),
        ("model.lr>", "The comparison 'model.lr>' needs a value after '>'"),
        ("sort:fastest", "Unknown sort 'fastest'. Use one of"),
        ("is:running", "Use is:pinned or is:unpinned"),
        ('note:"unclosed', "unclosed quote"),
    ],
)
def test_bad_terms_say_what_would_work(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)
    assert issubclass(QueryError, StoreError)


# ---------------------------------------------------------------- applying


@pytest.fixture
def filled(store: SQLiteSessionStore) -> dict[str, str]:
    """Six sessions with known fields, a minute apart, oldest first."""
    base = _utc("2026-11-10T08:00:00")
    specs: list[tuple[str, dict[str, Any], str | None]] = [
        ("a", dict(env="local", pipeline="train", user="ana", lr=0.001, kind="rf"), "succeeded"),
        ("b", dict(env="prod", pipeline="train", user="bo", lr=0.05, kind="xgb"), "failed"),
        ("c", dict(env="prod", pipeline="report", user="ana", lr=0.1, kind="rf"), "crashed"),
        ("d", dict(env="dev", pipeline="ingest", user="chen", lr=0.01, kind="mlp"), "cancelled"),
        ("e", dict(env="local", pipeline="train", user="ana", lr=0.5, kind="rf"), "succeeded"),
        ("f", dict(env="local", pipeline="train", user="bo", lr=None, kind="rf"), None),
    ]
    ids: dict[str, str] = {}
    for index, (name, spec, status) in enumerate(specs):
        lr, kind = spec.pop("lr"), spec.pop("kind")
        params = {"model": {"lr": lr, "kind": kind, "deep": {"flag": index % 2 == 0}}}
        ids[name] = store.create_session(
            record(
                **spec,
                params=params,
                runtime_params={"model": {"kind": kind}},
                host="elsewhere",  # not reaped by pid: these are not real processes
            ),
            now=base + 60 * index,
        )
        if status is not None:
            store.finish_session(ids[name], status, ended_at=base + 60 * index + 10 * (index + 1))
        else:
            store.heartbeat(ids[name])
    store.set_note(ids["c"], "Regression after refactor")
    store.set_pinned(ids["e"], True)
    return ids


def _names(store: SQLiteSessionStore, filled: dict[str, str], text: str, **kw: int) -> str:
    by_id = {v: k for k, v in filled.items()}
    return "".join(by_id[s.session_id] for s in store.list_sessions(parse_query(text), **kw))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "fedcba"),
        ("sort:started", "abcdef"),
        ("status:failed,crashed", "cb"),
        ("status:running", "f"),
        ("env:prod", "cb"),
        ("env:local,dev", "feda"),
        ("pipeline:train user:ana", "ea"),
        ("model.lr>0.01", "ecb"),
        ("model.lr>=0.01", "edcb"),
        ("model.lr<0.05", "da"),
        ("model.lr<=0.05", "dba"),
        ("model.lr=0.1", "c"),
        ("model.lr!=0.1", "fedba"),
        ("model.lr=null", "f"),
        ("model.kind=rf", "feca"),
        ("model.kind!=rf", "db"),
        ("model.kind>r", "fecba"),
        ("model.deep.flag=true", "eca"),
        ("model.missing=1", ""),
        ("model.kind=rf env:prod", "c"),
        ("model.kind=rf model.lr>0.01", "ec"),
        ("is:pinned", "e"),
        ("is:unpinned", "fdcba"),
        ("regression", "c"),
        ("REGRESSION refactor", "c"),
        ("xgb", "b"),
        ("chen", "d"),
        ("100%", ""),
        ("sort:-duration", "edcbaf"),
        ("sort:duration", "fabcde"),
        ("sort:status status:succeeded,failed", "bea"),
        ("env:local env:prod", ""),
    ],
)
def test_filters(
    store: SQLiteSessionStore, filled: dict[str, str], text: str, expected: str
) -> None:
    assert _names(store, filled, text) == expected
    assert store.count_sessions(parse_query(text)) == len(expected)


def test_time_and_id_filters(store: SQLiteSessionStore, filled: dict[str, str]) -> None:
    assert _names(store, filled, "since:2026-11-10T08:02") == "fedc"
    assert _names(store, filled, "until:2026-11-10T08:02") == "ba"
    assert _names(store, filled, "until:2026-11-09") == ""
    assert _names(store, filled, "until:2026-11-10") == "fedcba"
    assert _names(store, filled, f"id:{filled['c'][:19]}") == "c"
    assert _names(store, filled, f"id:{filled['c']}") == "c"
    assert _names(store, filled, "id:2026-11-10T08.0") == "fedcba"
    assert _names(store, filled, f"{filled['d'][11:19]}") == "d"  # free text matches ids


def test_paging(store: SQLiteSessionStore, filled: dict[str, str]) -> None:
    assert _names(store, filled, "", limit=2) == "fe"
    assert _names(store, filled, "", limit=2, offset=2) == "dc"
    assert _names(store, filled, "", offset=5) == "a"
    assert store.count_sessions() == 6


def test_rare_and_common_param_filters_agree(store: SQLiteSessionStore) -> None:
    """A filter matching few sessions drives from its index; many, from the time index."""
    for i in range(2100):
        store.create_session(record(params={"n": i, "kind": "rare" if i % 700 == 0 else "common"}))
    assert store.count_sessions(parse_query("kind=rare")) == 3
    assert len(store.list_sessions(parse_query("kind=rare"))) == 3
    assert len(store.list_sessions(parse_query("kind=common"), limit=5000)) == 2097
    assert store.count_sessions(parse_query("kind=common n>=2000")) == 100
    newest = store.list_sessions(parse_query("n>=1000 kind=common"), limit=3)
    assert [store.get_session(s.session_id).params["n"] for s in newest] == [2099, 2098, 2097]
