"""deep_merge, nest_dotted and flatten."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from proj_tui.config import deep_merge, flatten, nest_dotted


def test_deep_merge_keeps_siblings_and_override_wins() -> None:
    base = {"model": {"lr": 0.1, "layers": [1, 2]}, "seed": 1}
    override = {"model": {"lr": 0.5}, "new": True}
    assert deep_merge(base, override) == {
        "model": {"lr": 0.5, "layers": [1, 2]},
        "seed": 1,
        "new": True,
    }


def test_deep_merge_replaces_lists_and_scalars_with_dicts() -> None:
    assert deep_merge({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert deep_merge({"a": {"b": 2}}, {"a": None}) == {"a": None}


def test_deep_merge_does_not_touch_inputs() -> None:
    base = {"a": {"b": {"c": 1}}}
    override = {"a": {"b": {"d": 2}}}
    result = deep_merge(base, override)
    result["a"]["b"]["c"] = 99
    result["a"]["b"]["d"] = 99
    assert base == {"a": {"b": {"c": 1}}}
    assert override == {"a": {"b": {"d": 2}}}


def test_nest_dotted() -> None:
    assert nest_dotted({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    assert nest_dotted({"a": 1, "a.b": 2}) == {"a": {"b": 2}}
    assert nest_dotted({"a.b": 2, "a": 1}) == {"a": 1}


def test_flatten() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": [1]}}, "e": {}}) == {"a.b": 1, "a.c.d": [1], "e": {}}
    assert flatten({"a": {"b": 1}}, prefix="p") == {"p.a.b": 1}


_keys = st.text(alphabet="abcxyz_", min_size=1, max_size=4)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_trees: st.SearchStrategy[dict[str, Any]] = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=4),
    lambda children: st.dictionaries(_keys, st.one_of(_scalars, children), max_size=4),
    max_leaves=20,
)


@given(_trees)
def test_nest_dotted_inverts_flatten(tree: dict[str, Any]) -> None:
    assert nest_dotted(flatten(tree)) == tree


@given(_trees, _trees)
def test_deep_merge_leaves_are_override_then_base(
    base: dict[str, Any], over: dict[str, Any]
) -> None:
    merged = flatten(deep_merge(base, over))
    for key, value in flatten(over).items():
        if value != {}:
            assert merged[key] == value
    assert deep_merge(base, {}) == base
    assert deep_merge({}, over) == over
