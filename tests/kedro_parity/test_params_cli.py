"""``--params`` parsing, ported from Kedro's tests/framework/cli/test_cli.py (the run command's
``--params`` cases of ``_split_params``). Our parser is ``parse_params``; the CLI passes it through."""

from __future__ import annotations

from typing import Any

import pytest

from proj_tui.config import ParamsError, parse_params


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo=bar", {"foo": "bar"}),
        (
            "foo=123.45, bar=1a,baz=678,qux=1e-2,quux=0,quuz=",
            {"foo": 123.45, "bar": "1a", "baz": 678, "qux": 0.01, "quux": 0, "quuz": ""},
        ),
        ("foo=bar,baz=fizz=buzz", {"foo": "bar", "baz": "fizz=buzz"}),
        ("foo=fizz=buzz", {"foo": "fizz=buzz"}),
        ("foo=bar, baz= https://example.com", {"foo": "bar", "baz": "https://example.com"}),
        ("foo=bar, foo=fizz buzz", {"foo": "fizz buzz"}),
        ("foo=bar,baz=fizz buzz", {"foo": "bar", "baz": "fizz buzz"}),
        ("foo.nested=bar", {"foo": {"nested": "bar"}}),
        ("foo.nested=123.45", {"foo": {"nested": 123.45}}),
        (
            "foo.nested_1.double_nest=123.45,foo.nested_2=1a",
            {"foo": {"nested_1": {"double_nest": 123.45}, "nested_2": "1a"}},
        ),
        ("flag=true,off=false", {"flag": True, "off": False}),
        ("nothing=null", {"nothing": None}),
        ("xs=[1,2,3]", {"xs": [1, 2, 3]}),
        ("d={a: 1, b: [2, 3]}", {"d": {"a": 1, "b": [2, 3]}}),
        ("q='1,2'", {"q": "1,2"}),
        ("neg=-5,exp=2e3", {"neg": -5, "exp": 2000.0}),
        ("date=2026-01-02", {"date": "2026-01-02"}),
        ("a=1,", {"a": 1}),
    ],
)
def test_run_extra_params(text: str, expected: dict[str, Any]) -> None:
    """Kedro: TestRunCommand::test_run_extra_params (plus the typed values OmegaConf gives)."""
    assert parse_params(text) == expected


@pytest.mark.parametrize("bad", ["bad", "foo=bar,bad"])
def test_bad_extra_params_without_equals(bad: str) -> None:
    """Kedro: test_bad_extra_params — an item needs a key and a value separated by '='."""
    with pytest.raises(ParamsError, match="has no '='"):
        parse_params(bad)


@pytest.mark.parametrize("bad", ["=", "=value", "key1=val1,=value"])
def test_bad_params_key(bad: str) -> None:
    """Kedro: test_bad_params_key — a parameter key cannot be empty."""
    with pytest.raises(ParamsError, match="empty key"):
        parse_params(bad)


def test_params_error_is_a_value_error() -> None:
    """Kedro reports these through click as a usage error; ours is a ValueError subclass."""
    with pytest.raises(ValueError):
        parse_params("nokey")


def test_colon_separated_items_get_a_hint() -> None:
    """Kedro 0.17 used 'key:value'; the message says to use '='."""
    with pytest.raises(ParamsError, match="'=' between key and value"):
        parse_params("foo:bar")


def test_runtime_params_reach_the_cli_session(tmp_path, monkeypatch) -> None:
    """Kedro: test_run_extra_params end to end — the parsed values are the session's params."""
    from kedro_parity._confkit import make_project
    from proj_tui.framework.store import SQLiteSessionStore

    from helpers import cli

    project, _ = make_project(tmp_path / "proj")
    result = cli("run", "--params", "x=21,extra.deep=1a", cwd=project)
    assert result.returncode == 0, result.stderr
    store = SQLiteSessionStore.for_project(project, readonly=True)
    (summary,) = store.list_sessions()
    record = store.get_session(summary.session_id)
    assert record.runtime_params == {"x": 21, "extra": {"deep": "1a"}}
    store.close()
