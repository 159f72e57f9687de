"""Blame and env compare in the config layer, and the one rule for "the same value"."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from proj_tui.config import ConfigLoader, diff_config
from proj_tui.config.changes import same_value
from proj_tui.config.compare import (
    BlameRow,
    CompareRow,
    Overridden,
    UnknownConfigKeyError,
    blame,
    compare_envs,
)

WriteConf = Callable[[str, str], Path]


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (1, 1, True),
        (1, 1.0, False),  # an int and a float are different YAML values: `1` vs `1.0`
        (True, 1, False),  # a bool is not a number
        (False, 0, False),
        (None, False, False),
        ("1", 1, False),
        ([1, 2], [1, 2], True),
        ([1], [1.0], False),  # the rule holds inside lists ...
        ({"a": {"b": True}}, {"a": {"b": 1}}, False),  # ... and mappings
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),  # key order is not a difference
        (math.nan, math.nan, True),
        ([math.nan], [float("nan")], True),
        (0.1 + 0.2, 0.3, False),
        ("", None, False),
    ],
)
def test_same_value(a: Any, b: Any, same: bool) -> None:
    assert same_value(a, b) is same
    assert same_value(b, a) is same


_keys = st.text(alphabet="abxy_", min_size=1, max_size=3)
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="ab1 .", max_size=3),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=8,
)


def _twist(value: Any, flips: list[bool]) -> Any:
    """``value`` with some leaves turned into a value Python's ``==`` still calls equal."""
    if isinstance(value, dict):
        return {k: _twist(v, flips) for k, v in reversed(value.items())}
    if isinstance(value, list):
        return [_twist(v, flips) for v in value]
    if not (flips and flips.pop()):
        return copy.copy(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value)
    return value


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True)


@given(_values, st.lists(st.booleans(), max_size=8))
def test_same_value_means_the_same_yaml(value: Any, flips: list[bool]) -> None:
    """Same exactly when both are written as the same YAML (mapping keys sorted)."""
    other = _twist(value, flips)
    assert same_value(value, other) is (_yaml(value) == _yaml(other))
    assert same_value(value, yaml.safe_load(_yaml(value)))


@given(_values, _values)
def test_same_value_of_any_two_values(a: Any, b: Any) -> None:
    assert same_value(a, b) is (_yaml(a) == _yaml(b)) is same_value(b, a)


def test_a_reload_diff_uses_the_same_rule() -> None:
    changes = diff_config({"a": [1], "b": {"c": 1}}, {"a": [1.0], "b": {"c": 1}})
    assert changes.changed == {"a": ([1], [1.0])}


# --- blame -------------------------------------------------------------------------------------


def test_blame_names_env_file_and_what_was_overridden(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  lr: 0.1\n  layers: 3\n")
    write("local/parameters.yml", "model:\n  lr: 0.2\n")
    write("base/catalog.yml", "raw:\n  type: MemoryDataset\n")
    loader = ConfigLoader(conf, runtime_params={"model": {"layers": 4}})
    rows = blame(loader, conf.parent)
    assert rows == [
        BlameRow(
            "parameters",
            "model.lr",
            0.2,
            "local",
            "conf/local/parameters.yml",
            (Overridden("base", "conf/base/parameters.yml", 0.1),),
        ),
        BlameRow(
            "parameters",
            "model.layers",
            4,
            "runtime",
            None,
            (Overridden("base", "conf/base/parameters.yml", 3),),
        ),
        BlameRow("catalog", "raw.type", "MemoryDataset", "base", "conf/base/catalog.yml"),
    ]


def test_blame_of_a_key_a_prefix_and_a_section(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "raw:\n  n: 1\nmodel:\n  lr: 0.1\n")
    write("base/catalog.yml", "raw:\n  type: MemoryDataset\n")
    loader = ConfigLoader(conf)
    assert [r.key for r in blame(loader, key="model.lr")] == ["model.lr"]
    # a bare key found in parameters is not looked up in the catalog too
    assert [(r.section, r.key) for r in blame(loader, key="raw")] == [("parameters", "raw.n")]
    assert [(r.section, r.key) for r in blame(loader, key="catalog.raw")] == [
        ("catalog", "raw.type")
    ]
    with pytest.raises(UnknownConfigKeyError, match=r"Did you mean 'model\.lr'"):
        blame(loader, key="model.l")


# --- compare -----------------------------------------------------------------------------------


def test_compare_applies_the_rule_to_each_key(conf: Path, write: WriteConf) -> None:
    write(
        "base/parameters.yml",
        "n: 1\nflag: true\nsizes: [1, 2]\nopts: {a: 1, b: 2}\nname: x\nonly_base: 0\n",
    )
    write("prod/parameters.yml", "n: 1.0\nflag: 1\nsizes: [1.0, 2]\nopts: {b: 2, a: 1}\n")
    write("dev/parameters.yml", "only_dev: 0\n")
    rows = {r.key: r for r in compare_envs(ConfigLoader(conf, env="prod"), ConfigLoader(conf))}
    same = {key for key, row in rows.items() if row.same}
    assert same == {"opts.a", "opts.b", "name", "only_base"}
    assert rows["n"] == CompareRow("n", 1.0, 1, "prod", "base")

    sides = compare_envs(ConfigLoader(conf, env="prod"), ConfigLoader(conf, env="dev"))
    only = {r.key: r for r in sides if not (r.left_set and r.right_set)}
    assert only == {
        "only_dev": CompareRow("only_dev", None, 0, None, "dev", left_set=False),
    }
    assert not only["only_dev"].same


def test_blame_and_compare_show_an_interpolation_and_where_its_value_is_set(
    conf: Path, write: WriteConf
) -> None:
    """``currency: ${globals:report_currency}`` in base takes prod's globals in prod: say so,
    not "USD, set in base" (issue 18, item 8)."""
    write("base/globals.yml", "report_currency: EUR\n")
    write("prod/globals.yml", "report_currency: USD\n")
    write("base/parameters.yml", "reporting:\n  currency: ${globals:report_currency}\n  n: 1\n")
    prod = ConfigLoader(conf, env="prod")
    (row,) = blame(prod, conf.parent, "reporting.currency")
    assert (row.value, row.env, row.file) == ("USD", "base", "conf/base/parameters.yml")
    assert row.interpolation == "${globals:report_currency}"
    assert row.comes_from == (
        Overridden("prod", "conf/prod/globals.yml", "${globals:report_currency}"),
    )
    assert row.source == (
        "base: conf/base/parameters.yml as ${globals:report_currency}; "
        "${globals:report_currency} from prod: conf/prod/globals.yml"
    )
    (plain,) = blame(prod, conf.parent, "reporting.n")
    assert plain.interpolation is None and plain.source == "base: conf/base/parameters.yml"

    rows = {r.key: r for r in compare_envs(ConfigLoader(conf, env="base"), prod)}
    currency = rows["reporting.currency"]
    assert (currency.left, currency.right) == ("EUR", "USD")
    assert currency.left_env == "base via ${globals:report_currency}"
    assert currency.right_env == "prod via ${globals:report_currency}"
    assert rows["reporting.n"].left_env == "base"
