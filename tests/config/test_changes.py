"""Config change summaries: what a reload toast says changed."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from proj_tui.config import ConfigChanges, diff_config


def test_diff_reports_added_removed_and_changed_dotted_keys() -> None:
    old = {"model": {"lr": 0.01, "layers": 3}, "gone": 1}
    new = {"model": {"lr": 0.02, "layers": 3, "dropout": 0.1}}
    changes = diff_config(old, new)
    assert changes.changed == {"model.lr": (0.01, 0.02)}
    assert changes.added == {"model.dropout": 0.1}
    assert changes.removed == {"gone": 1}
    assert changes.keys == ["gone", "model.dropout", "model.lr"]
    assert changes.touches("model") == ["model.dropout", "model.lr"]
    assert len(changes) == 3 and changes


def test_summary_is_one_short_line() -> None:
    changes = diff_config({"model": {"lr": 0.01}}, {"model": {"lr": 0.02, "x": 1}})
    assert changes.summary("parameters.yml") == "parameters.yml: model.lr 0.01 → 0.02, 1 key added"
    assert diff_config({}, {"a": 1}).summary() == "a added"
    assert diff_config({"a": 1}, {}).summary("f.yml") == "f.yml: a removed"
    assert diff_config({"a": 1}, {"a": 1}).summary("f.yml") == "f.yml: no changes"


def test_summary_truncates_long_lists_and_values() -> None:
    old = {f"k{i}": i for i in range(6)}
    new = {f"k{i}": i + 1 for i in range(6)}
    text = diff_config(old, new).summary("p.yml")
    assert text == "p.yml: k0 0 → 1, k1 1 → 2, k2 2 → 3, and 3 more changed"
    long = diff_config({"s": "x"}, {"s": "y" * 100}).summary()
    assert len(long) < 40 and long.endswith("…")


def test_a_type_change_is_a_change() -> None:
    assert diff_config({"a": 1}, {"a": 1.0}).changed == {"a": (1, 1.0)}
    assert diff_config({"a": 1}, {"a": True}).changed == {"a": (1, True)}
    assert not diff_config({"a": math.nan}, {"a": math.nan})


def test_to_dict_is_json_shaped() -> None:
    data = diff_config({"a": 1}, {"a": 2, "b": [1]}).to_dict()
    assert data == {"added": {"b": [1]}, "removed": {}, "changed": {"a": [1, 2]}}


_keys = st.text(alphabet="abcxyz_", min_size=1, max_size=4)
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(0, 3), max_size=3),
)
_configs = st.recursive(
    st.dictionaries(_keys, _leaves, max_size=4),
    lambda children: st.dictionaries(_keys, st.one_of(_leaves, children), max_size=4),
    max_leaves=12,
)


@given(_configs)
def test_diff_of_a_config_with_itself_is_empty(config: dict[str, Any]) -> None:
    assert diff_config(config, config) == ConfigChanges()
    assert diff_config(config, config).summary() == "no changes"


@given(_configs, _configs)
def test_applying_the_changes_reproduces_the_new_config(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    changes = diff_config(old, new)
    rebuilt = changes.apply(old)
    assert not diff_config(rebuilt, new), (rebuilt, new)
