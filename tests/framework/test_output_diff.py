"""Small outputs as flat leaves, and their diff: what History's Data tab, diff and ``out:`` agree on."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from proj_tui.framework.output_content import (
    MAX_LEAVES,
    ContentError,
    content_format,
    content_leaves,
    file_stem,
)
from proj_tui.framework.output_diff import MAX_CHANGES, diff_content, output_rows, short_digest
from proj_tui.framework.store import parse_query


@dataclass(frozen=True)
class _Dataset:
    """The fields of a recorded dataset the diff reads (the store's record has them all)."""

    name: str
    role: str
    path: str | None
    digest: str | None
    content: str | None = None


def test_json_leaves_are_dotted_and_lists_numbered() -> None:
    content = json.dumps({"rmse": 1.25, "scores": {"r2": 0.9}, "zones": [{"fare": 12}], "ok": True})
    assert content_leaves(content, "json") == {
        "rmse": 1.25,
        "scores.r2": 0.9,
        "zones.0.fare": 12,
        "ok": True,
    }


def test_yaml_leaves_match_json_and_a_scalar_file_is_one_leaf() -> None:
    assert content_leaves("currency: EUR\nzones:\n  - zone: north\n", "yaml") == {
        "currency": "EUR",
        "zones.0.zone": "north",
    }
    assert content_leaves("3.5\n", "yaml") == {"(value)": 3.5}


def test_csv_rows_are_named_by_a_unique_first_column_else_numbered() -> None:
    named = "model,rmse,mae\nmodel_a,1.20,0.9\nmodel_b,1.4,1\n"
    assert content_leaves(named, "csv") == {
        "model_a.rmse": 1.2,
        "model_a.mae": 0.9,
        "model_b.rmse": 1.4,
        "model_b.mae": 1,
    }
    repeated = "zone,fare\nnorth,10\nnorth,12\n"
    assert content_leaves(repeated, "csv") == {
        "1.zone": "north",
        "1.fare": 10,
        "2.zone": "north",
        "2.fare": 12,
    }


def test_secrets_in_content_are_redacted_by_key_and_by_shape() -> None:
    content = json.dumps(
        {"api_key": "abc123456", "db": "postgres://ana:hunter22@db/x", "rmse": 1.0}
    )
    leaves = content_leaves(content, "json")
    assert leaves["api_key"] == "<redacted>"
    assert leaves["db"] == "postgres://ana:<redacted>@db/x"
    csv_leaves = content_leaves("name,token\nx,ghp_" + "a" * 30 + "\n", "csv")
    assert csv_leaves == {"x.token": "<redacted>"}
    shaped_name = content_leaves("name,n\nghp_" + "b" * 30 + ",1\n", "csv")
    assert shaped_name == {"<redacted>.n": 1}


def test_bad_content_says_which_format_and_where() -> None:
    with pytest.raises(ContentError, match="not valid JSON"):
        content_leaves("{", "json")
    with pytest.raises(ContentError, match=r"not valid YAML at line 2"):
        content_leaves("a: 1\n  b: [\n", "yaml")


def test_leaves_are_bounded() -> None:
    content = json.dumps(list(range(MAX_LEAVES + 50)))
    assert len(content_leaves(content, "json")) == MAX_LEAVES


def test_formats_and_stems_come_from_the_path() -> None:
    assert content_format("data/05_reporting/model_a_metrics.json") == "json"
    assert content_format("r.YML") == "yaml"
    assert content_format("t.csv") == "csv"
    assert content_format("m.pkl") is None
    assert content_format(None) is None
    assert file_stem("data/05_reporting/model_a_metrics.json") == "model_a_metrics"
    assert short_digest("sha256:0123456789abcdef") == "0123456789"


def test_json_diff_lists_changed_added_and_removed_keys_in_file_order() -> None:
    old = json.dumps({"rmse": 1.5, "mae": 1.0, "gone": 1})
    new = json.dumps({"rmse": 1.25, "mae": 1.0, "r2": 0.8})
    diff = diff_content(old, new, "json")
    assert diff.changes == (("rmse", 1.5, 1.25), ("gone", 1, None), ("r2", None, 0.8))
    assert diff.total == 3 and diff.hidden == 0 and diff.error is None


def test_csv_diff_summarises_rows_cells_and_columns() -> None:
    old = "id,fare,zone\n1,10,north\n2,12,south\n3,9,east\n"
    new = "id,fare,zone,tip\n1,10,north,0\n2,13,south,1\n4,20,west,2\n"
    diff = diff_content(old, new, "csv")
    assert diff.summary == (
        "2 of 3 row(s) changed (3 cell(s)); 1 added (4); 1 removed (3); column(s) added: tip"
    )
    assert diff.changes == (("1.tip", None, 0), ("2.fare", 12, 13), ("2.tip", None, 1))


def test_a_big_diff_is_cut_and_counted() -> None:
    old = json.dumps({f"k{i}": i for i in range(60)})
    new = json.dumps({f"k{i}": i + 1 for i in range(60)})
    diff = diff_content(old, new, "json")
    assert len(diff.changes) == MAX_CHANGES and diff.total == 60 and diff.hidden == 60 - MAX_CHANGES


def test_unparsable_content_is_a_digest_only_diff_that_says_why() -> None:
    diff = diff_content("{", "{}", "json")
    assert diff.changes == () and diff.error is not None and "JSON" in diff.error


def test_output_rows_compare_digests_and_open_changed_small_outputs() -> None:
    metrics = "data/05_reporting/model_a_metrics.json"
    left = [
        _Dataset("trips_raw", "load", "data/01_raw/trips.csv", "sha256:aaaa"),
        _Dataset("model_a.metrics", "save", metrics, "sha256:1111", '{"rmse": 1.5}'),
        _Dataset("model_a.model", "save", "m.pkl", "sha256:2222"),
        _Dataset("old_only", "save", "o.txt", "sha256:3333"),
    ]
    right = [
        _Dataset("trips_raw", "load", "data/01_raw/trips.csv", "sha256:aaaa"),
        _Dataset("model_a.metrics", "save", metrics, "sha256:1112", '{"rmse": 1.25}'),
        _Dataset("model_a.model", "save", "m.pkl", "sha256:2222"),
    ]
    rows = output_rows(left, right)
    changed = [(r.section, r.key, r.left, r.right) for r in rows if r.changed]
    assert changed == [
        ("outputs", "model_a.metrics", "1111", "1112"),
        ("output model_a.metrics", "rmse", 1.5, 1.25),
        ("outputs", "old_only", "3333", None),
    ]
    unchanged = {(r.section, r.key) for r in rows if not r.changed}
    assert unchanged == {("outputs", "model_a.model"), ("inputs", "trips_raw")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("out:metrics<1.5", "name a key inside it after a dot"),
        ("in:trips.x<1", "in: takes a dataset name only"),
        ("out:metrics.rmse<", "needs a value after '<'"),
        ("out:metrics..rmse", "is not a dataset name or a comparison"),
        ("out:metrics.rmse<<1", "has two operators"),
        ("out:", "needs a value, for example out:"),
    ],
)
def test_malformed_output_terms_say_what_is_wrong(text: str, message: str) -> None:
    from proj_tui.framework.store import QueryError

    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_query(text)


def test_output_terms_parse_to_filters() -> None:
    query = parse_query("out:metrics.rmse<1.5 out:model_a.model in:trips_raw out:r.title=north")
    assert [str(f) for f in query.outputs] == [
        "out:metrics.rmse<1.5",
        "out:model_a.model",
        "in:trips_raw",
        "out:r.title=north",
    ]
    assert query.outputs[0].value == 1.5 and query.outputs[2].role == "load"
    assert not query.is_empty
