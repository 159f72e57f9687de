"""Interpolation, ported from Kedro's tests/config/test_omegaconf_config.py (globals, runtime
params, custom resolvers) plus the OmegaConf constructs Kedro projects use (nested, relative,
oc.select, oc.decode, oc.dict.keys, list indexing). Each test names where it comes from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kedro_parity._confkit import write_text, write_yaml
from proj_tui.config import ConfigError, ConfigLoader


def params(tmp_path: Path, config: dict, **kwargs) -> dict:
    write_yaml(tmp_path / "base" / "parameters.yml", config)
    return ConfigLoader(tmp_path, **kwargs)["parameters"]


def test_custom_resolvers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kedro: test_custom_resolvers — resolvers get typed arguments; a registered oc.env works in
    parameters (Kedro clears the built-in one, so registering it is how projects opt in)."""
    monkeypatch.setenv("VAR", "my_env_variable")
    result = params(
        tmp_path,
        {
            "model_options": {
                "param1": "${add: 3, 4}",
                "param2": "${plus_2: 1}",
                "param3": "${oc.env: VAR}",
            }
        },
        custom_resolvers={
            "add": lambda *x: sum(x),
            "plus_2": lambda x: x + 2,
            "oc.env": os.environ.get,
        },
    )
    assert result["model_options"] == {"param1": 7, "param2": 3, "param3": "my_env_variable"}


def test_globals(tmp_path: Path) -> None:
    """Kedro: test_globals — globals read like any key."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": 0})
    assert ConfigLoader(tmp_path)["globals"] == {"x": 0}


def test_globals_resolution(tmp_path: Path) -> None:
    """Kedro: test_globals_resolution — in parameters and catalog, with a default."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": 34, "dataset_type": "pandas.CSVDataset"})
    write_yaml(
        tmp_path / "base" / "catalog.yml",
        {"companies": {"type": "${globals:dataset_type}", "filepath": "data/companies.csv"}},
    )
    config = ConfigLoader(tmp_path)
    write_yaml(
        tmp_path / "base" / "parameters.yml",
        {"my_param": "${globals:x}", "my_param_default": "${globals:y,34}"},
    )
    assert config["parameters"] == {"my_param": 34, "my_param_default": 34}
    assert config["catalog"]["companies"]["type"] == "pandas.CSVDataset"


def test_globals_nested(tmp_path: Path) -> None:
    """Kedro: test_globals_nested — dotted keys reach into globals."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": 34, "nested": {"y": 42}})
    result = params(
        tmp_path, {"my_param": "${globals:x}", "my_nested_param": "${globals:nested.y}"}
    )
    assert result == {"my_param": 34, "my_nested_param": 42}


def test_globals_across_env(tmp_path: Path) -> None:
    """Kedro: test_globals_across_env — local globals override base globals for every env."""
    write_yaml(tmp_path / "base" / "parameters.yml", {"param1": "${globals:y}"})
    write_yaml(tmp_path / "local" / "parameters.yml", {"param2": "${globals:x}"})
    write_yaml(tmp_path / "base" / "globals.yml", {"x": 34, "y": 25})
    write_yaml(tmp_path / "local" / "globals.yml", {"y": 99})
    assert ConfigLoader(tmp_path)["parameters"] == {"param1": 99, "param2": 34}


def test_globals_default(tmp_path: Path) -> None:
    """Kedro: test_globals_default — int and quoted-string defaults, and a path through a value."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": {"DUMMY": 3}})
    result = params(
        tmp_path,
        {
            "int": "${globals:x.NOT_EXIST, 1}",
            "str": "${globals: x.NOT_EXIST, '2'}",
            "dummy": "${globals: x.DUMMY.DUMMY, '2'}",
        },
    )
    assert result == {"int": 1, "str": "2", "dummy": "2"}


def test_globals_default_none(tmp_path: Path) -> None:
    """Kedro: test_globals_default_none — 0 and null defaults, and a null global."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": {"z": 23, "y": None}})
    result = params(
        tmp_path,
        {
            "zero": "${globals: x.NOT_EXIST, 0}",
            "null": "${globals: x.NOT_EXIST, null}",
            "null2": "${globals: x.y}",
        },
    )
    assert result == {"zero": 0, "null": None, "null2": None}


def test_globals_missing_default(tmp_path: Path) -> None:
    """Kedro: test_globals_missing_default — a missing global with no default names the key."""
    write_yaml(tmp_path / "base" / "globals.yml", {"nested": {"y": 42}})
    with pytest.raises(ConfigError, match=r"'nested\.NOT_EXIST' is not defined in globals"):
        params(tmp_path, {"NOT_OK": "${globals:nested.NOT_EXIST}"})


def test_bad_globals_underscore(tmp_path: Path) -> None:
    """Kedro: test_bad_globals_underscore — '_' globals are private and cannot be referenced."""
    write_yaml(tmp_path / "base" / "globals.yml", {"_ignore": 45})
    with pytest.raises(ConfigError, match="_ignore"):
        params(tmp_path, {"param2": "${globals:_ignore}"})


def test_runtime_params_resolution(tmp_path: Path) -> None:
    """Kedro: test_runtime_params_resolution — in parameters and catalog, with a default."""
    runtime = {"x": 45, "dataset": {"type": "pandas.CSVDataset"}}
    write_yaml(
        tmp_path / "base" / "catalog.yml",
        {"companies": {"type": "${runtime_params:dataset.type}", "filepath": "c.csv"}},
    )
    write_yaml(
        tmp_path / "base" / "parameters.yml",
        {"my_runtime_param": "${runtime_params:x}", "my_param_default": "${runtime_params:y,34}"},
    )
    config = ConfigLoader(tmp_path, default_run_env="", runtime_params=runtime)
    assert config["parameters"]["my_runtime_param"] == 45
    assert config["parameters"]["my_param_default"] == 34
    assert config["catalog"]["companies"]["type"] == "pandas.CSVDataset"


def test_runtime_params_missing_default(tmp_path: Path) -> None:
    """Kedro: test_runtime_params_missing_default."""
    with pytest.raises(ConfigError, match="no runtime parameter 'NOT_EXIST'"):
        params(tmp_path, {"p": "${runtime_params:NOT_EXIST}"}, runtime_params={"x": 45})


def test_runtime_params_in_globals_not_allowed(tmp_path: Path) -> None:
    """Kedro: test_runtime_params_in_globals_not_allowed."""
    write_yaml(tmp_path / "base" / "globals.yml", {"my_global_var": "${runtime_params:x}"})
    with pytest.raises(ConfigError, match="cannot be used in globals"):
        ConfigLoader(tmp_path, runtime_params={"x": 45})["globals"]


def test_runtime_params_default_global(tmp_path: Path) -> None:
    """Kedro: test_runtime_params_default_global — a nested interpolation as the default."""
    write_yaml(tmp_path / "base" / "globals.yml", {"dataset": {"type": "pandas.CSVDataset"}})
    write_yaml(
        tmp_path / "base" / "catalog.yml",
        {
            "companies": {
                "type": "${runtime_params:type, ${globals:dataset.type, 'MemoryDataset'}}",
                "filepath": "c.csv",
            }
        },
    )
    catalog = ConfigLoader(tmp_path, runtime_params={"x": 45})["catalog"]
    assert catalog["companies"]["type"] == "pandas.CSVDataset"


def test_nested_default_falls_through_twice(tmp_path: Path) -> None:
    """The inner default applies when neither the runtime param nor the global exists."""
    result = params(tmp_path, {"t": "${runtime_params:type, ${globals:nope, 'MemoryDataset'}}"})
    assert result == {"t": "MemoryDataset"}


def test_runtime_params_default_none(tmp_path: Path) -> None:
    """Kedro: test_runtime_params_default_none."""
    result = params(
        tmp_path,
        {
            "zero": "${runtime_params: x.NOT_EXIST, 0}",
            "null": "${runtime_params: x.NOT_EXIST, null}",
            "null2": "${runtime_params: x.y}",
        },
        default_run_env="",
        runtime_params={"x": {"z": 23, "y": None}},
    )
    assert (result["zero"], result["null"], result["null2"]) == (0, None, None)


def test_unsupported_interpolation_globals(tmp_path: Path) -> None:
    """Kedro: test_unsupported_interpolation_globals — an unknown resolver is named, with the file."""
    path = write_yaml(
        tmp_path / "base" / "globals.yml", {"my_global_var": "${non_existent_resolver:33}"}
    )
    with pytest.raises(ConfigError, match="no resolver called 'non_existent_resolver'") as info:
        ConfigLoader(tmp_path)["globals"]
    assert info.value.location is not None and info.value.location.path == path


def test_override_globals(tmp_path: Path) -> None:
    """Kedro: test_override_globals — conf["globals"] = {...} is what ${globals:} sees."""
    write_yaml(tmp_path / "base" / "globals.yml", {"x": 45})
    write_yaml(
        tmp_path / "base" / "parameters.yml",
        {"my_global": "${globals:x}", "my_second_global": "${globals:new_key}"},
    )
    config = ConfigLoader(tmp_path, default_run_env="")
    config["globals"] = {"x": 89, "new_key": 24}
    assert config["parameters"] == {"my_global": 89, "my_second_global": 24}


# ------------------------------------------------- OmegaConf constructs Kedro projects rely on


def test_relative_interpolation(tmp_path: Path) -> None:
    """OmegaConf: ${.b} is a sibling, ${..b} the parent's sibling."""
    result = params(tmp_path, {"a": {"b": 1, "c": "${.b}", "d": {"e": "${..b}"}}})
    assert result == {"a": {"b": 1, "c": 1, "d": {"e": 1}}}


def test_relative_interpolation_cannot_climb_above_the_top(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="climbs above the top"):
        params(tmp_path, {"a": "${...b}"})


@pytest.mark.parametrize("ref", ["${lst[1]}", "${lst.1}"])
def test_list_indexing(tmp_path: Path, ref: str) -> None:
    """OmegaConf: list items by index, with brackets or a dotted number."""
    assert params(tmp_path, {"lst": [10, 20], "pick": ref})["pick"] == 20


def test_list_indexing_into_a_mapping_inside_a_list(tmp_path: Path) -> None:
    result = params(tmp_path, {"layers": [{"size": 3}, {"size": 5}], "last": "${layers[1].size}"})
    assert result["last"] == 5


def test_oc_select_with_default(tmp_path: Path) -> None:
    """OmegaConf: oc.select returns the key, or the default when it is missing."""
    result = params(tmp_path, {"a": 1, "x": "${oc.select:a, 7}", "y": "${oc.select:missing, 7}"})
    assert (result["x"], result["y"]) == (1, 7)


def test_oc_decode(tmp_path: Path) -> None:
    """OmegaConf: oc.decode types a string (here one built by interpolation)."""
    result = params(
        tmp_path, {"n": "12", "as_int": "${oc.decode:${n}}", "as_list": "${oc.decode:'[1, 2]'}"}
    )
    assert result["as_int"] == 12 and result["as_list"] == [1, 2]


def test_oc_dict_keys_and_values(tmp_path: Path) -> None:
    """OmegaConf: oc.dict.keys / oc.dict.values list a mapping's keys or values."""
    result = params(
        tmp_path,
        {
            "models": {"a": 1, "b": 2},
            "k": "${oc.dict.keys:models}",
            "v": "${oc.dict.values:models}",
        },
    )
    assert result["k"] == ["a", "b"] and result["v"] == [1, 2]


def test_string_interpolation_keeps_text(tmp_path: Path) -> None:
    """OmegaConf: an interpolation inside text becomes text; a whole one keeps its type."""
    write_yaml(tmp_path / "base" / "globals.yml", {"root": "data", "n": 3})
    result = params(tmp_path, {"path": "${globals:root}/raw_${globals:n}.csv", "n": "${globals:n}"})
    assert result == {"path": "data/raw_3.csv", "n": 3}


def test_escaped_interpolation(tmp_path: Path) -> None:
    r"""OmegaConf: \${...} is a literal."""
    write_text(tmp_path / "base" / "parameters.yml", "lit: '\\${not.a.ref}'\n")
    assert ConfigLoader(tmp_path)["parameters"] == {"lit": "${not.a.ref}"}


def test_custom_resolver_with_a_nested_argument(tmp_path: Path) -> None:
    write_yaml(tmp_path / "base" / "globals.yml", {"n": 4})
    result = params(
        tmp_path, {"twice": "${mul:${globals:n}, 2}"}, custom_resolvers={"mul": lambda a, b: a * b}
    )
    assert result == {"twice": 8}


def test_an_unsupported_construct_names_file_and_line(tmp_path: Path) -> None:
    """A resolver we do not have (oc.create) fails with the file and line of the value."""
    path = write_text(tmp_path / "base" / "parameters.yml", "a: 1\nb: '${oc.create:{x: 1}}'\n")
    with pytest.raises(ConfigError, match=r"no resolver called 'oc\.create'") as info:
        ConfigLoader(tmp_path)["parameters"]
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == (path, 2)


def test_circular_interpolation_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="circular"):
        params(tmp_path, {"a": "${b}", "b": "${a}"})


@pytest.mark.xfail(
    strict=True,
    reason="difference: OmegaConf resolvers beyond those in docs/config.md are an error",
)
def test_every_omegaconf_resolver(tmp_path: Path) -> None:
    """OmegaConf's oc.create builds a container from text; we name it as unsupported instead."""
    write_text(tmp_path / "base" / "parameters.yml", "b: '${oc.create:{x: 1}}'\n")
    assert ConfigLoader(tmp_path)["parameters"] == {"b": {"x": 1}}
