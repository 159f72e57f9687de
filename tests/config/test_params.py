"""``--params`` parsing and its inverse."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from proj_tui.config import ParamsError, format_params, parse_params
from proj_tui.config.merge import set_dotted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1,b.c=2", {"a": 1, "b": {"c": 2}}),
        ("", {}),
        ("   ", {}),
        ("a=1.5", {"a": 1.5}),
        ("a=true,b=false", {"a": True, "b": False}),
        ("a=null", {"a": None}),
        ("a=[1,2]", {"a": [1, 2]}),
        ("a=[1, 2], b=3", {"a": [1, 2], "b": 3}),
        ("a={x: 1, y: [2, 3]},b=2", {"a": {"x": 1, "y": [2, 3]}, "b": 2}),
        ('a="x,y",b=2', {"a": "x,y", "b": 2}),
        ("a='x,y',b=2", {"a": "x,y", "b": 2}),
        ('a="1"', {"a": "1"}),
        ("a=it's,b=1", {"a": "it's", "b": 1}),
        ("  a  =  hello world  ,  b . c = 2 ", {"a": "hello world", "b": {"c": 2}}),
        ("a=", {"a": ""}),
        ("a=b=c", {"a": "b=c"}),
        ("url=http://x:8080/p?q=1", {"url": "http://x:8080/p?q=1"}),
        ("a=1,", {"a": 1}),
        ("a=2024-01-01", {"a": "2024-01-01"}),
        ("a=1e-3", {"a": 1e-3}),
    ],
)
def test_parse_params(text: str, expected: dict[str, Any]) -> None:
    assert parse_params(text) == expected


def test_later_key_wins() -> None:
    assert parse_params("a=1,a=2") == {"a": 2}
    assert parse_params("b=1,b.c=2") == {"b": {"c": 2}}
    assert parse_params("b.c=2,b=1") == {"b": 1}
    assert parse_params("b={x: 1},b.c=2") == {"b": {"x": 1, "c": 2}}
    assert parse_params("b.c=1,b.d=2,b.c=3") == {"b": {"c": 3, "d": 2}}


def test_item_without_equals() -> None:
    with pytest.raises(ParamsError, match=r"'a' has no '='; write it as key=value"):
        parse_params("a")


def test_colon_separator_is_refused_with_a_hint() -> None:
    with pytest.raises(ParamsError, match=r"use '=' between key and value, not ':'"):
        parse_params("a:1")


def test_empty_key() -> None:
    with pytest.raises(ParamsError, match="has an empty key"):
        parse_params("=1")
    with pytest.raises(ParamsError, match="has an empty key"):
        parse_params("a=1,  =2")


@pytest.mark.parametrize("text", ["a..b=1", ".a=1", "a.=1", "a. .b=1"])
def test_empty_dotted_part(text: str) -> None:
    with pytest.raises(ParamsError, match="empty part between dots"):
        parse_params(text)


@pytest.mark.parametrize("text", ["a=[1,2", "a={x: 1", 'a="open', "a=[1]]x", "a={x: 1, x: 2}"])
def test_broken_value(text: str) -> None:
    with pytest.raises(ParamsError, match="Could not read the value of runtime parameter 'a'"):
        parse_params(text)


def test_format_params_examples() -> None:
    assert format_params({"a": 1, "b": {"c": 2}}) == "a=1,b.c=2"
    assert format_params({}) == ""
    assert format_params({"s": "x,y", "t": "true", "u": " pad", "v": "plain words"}) == (
        's="x,y",t="true",u=" pad",v=plain words'
    )
    assert format_params({"n": None, "f": 1.5, "l": [1, "a"], "e": {}}) == (
        "n=null,f=1.5,l=[1, a],e={}"
    )


@pytest.mark.parametrize(
    "params",
    [{"a.b": 1}, {"a,b": 1}, {"": 1}, {" a": 1}, {1: 2}, {"a": object()}, {"a[0]": 1}],
)
def test_format_params_refuses_what_cannot_round_trip(params: dict[Any, Any]) -> None:
    with pytest.raises(ParamsError):
        format_params(params)


# --------------------------------------------------------------------------- properties

_key_part = st.text(alphabet=st.characters(blacklist_characters=".,=[]{}"), min_size=1).filter(
    lambda s: s == s.strip()
)
_floats = st.floats(allow_nan=False)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), _floats, st.text())
_params: st.SearchStrategy[dict[str, Any]] = st.recursive(
    st.dictionaries(_key_part, _scalars, max_size=4),
    lambda children: st.dictionaries(_key_part, st.one_of(_scalars, children), max_size=4),
    max_leaves=25,
)


@given(_params)
@example({"k": "a, b"})
@example({"k": "'q'"})
@example({"k": "\x85x"})
@example({"k": "[x"})
@example({"k": -0.0, "i": math.inf, "j": -math.inf})
@example({"k": "\\${x}"})
def test_format_params_round_trips(params: dict[str, Any]) -> None:
    assert parse_params(format_params(params)) == params


_simple_keys = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3)
_plain_values = st.one_of(
    st.integers(), st.booleans(), st.none(), st.text(alphabet="xyz", min_size=1)
)


@given(st.lists(st.tuples(_simple_keys, _plain_values), max_size=8))
def test_later_items_win_in_order(items: list[tuple[list[str], Any]]) -> None:
    text = ",".join(f"{'.'.join(parts)}={format_params({'v': v})[2:]}" for parts, v in items)
    expected: dict[str, Any] = {}
    for parts, value in items:
        set_dotted(expected, parts, value)
    assert parse_params(text) == expected


@given(st.text())
@example("a=[" * 50)
@example("a={x: 1, x: 2}")
@example("a=" + "9" * 5000)
@example("a=[" + "9" * 5000 + "]")
@example("a=&x [*x]")
@example("a='\x00'")
def test_arbitrary_text_only_ever_raises_params_error(text: str) -> None:
    try:
        result = parse_params(text)
    except ParamsError as exc:
        assert str(exc)
    else:
        assert isinstance(result, dict)


@given(st.text(alphabet="ab1=.,:[]{}'\"\\ #&*!%-\t\n"))
def test_params_like_text_only_ever_raises_params_error(text: str) -> None:
    try:
        result = parse_params(text)
    except ParamsError:
        pass
    else:
        assert isinstance(result, dict)
