"""ConfigLoader: envs, layering, duplicates, runtime params, files() and provenance()."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from proj_tui.config import (
    ConfigError,
    ConfigLoader,
    MissingConfigError,
    Override,
    Provenance,
    UnknownEnvError,
)

WriteConf = Callable[[str, str], Path]


def test_is_a_mapping_of_known_keys(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    loader = ConfigLoader(conf)
    assert isinstance(loader, Mapping)
    assert set(loader) == {"catalog", "parameters", "credentials", "globals", "logging"}
    assert len(loader) == 5
    assert "parameters" in loader
    assert "spark" not in loader
    assert loader.get("spark") is None
    assert loader["parameters"] == {"a": 1}
    assert loader["catalog"] == {}
    assert loader["credentials"] == {}
    assert loader["logging"] == {}


def test_unknown_key_says_did_you_mean(conf: Path) -> None:
    with pytest.raises(MissingConfigError, match="Did you mean 'parameters'"):
        ConfigLoader(conf)["paramters"]
    with pytest.raises(KeyError):  # as Kedro's loader does, so Mapping.get works
        ConfigLoader(conf)["spark"]


def test_extra_key_from_config_patterns(conf: Path, write: WriteConf) -> None:
    write("base/spark.yml", "spark.executor.memory: 2g\n")
    write("base/spark/extra.yml", "other: 1\n")
    loader = ConfigLoader(conf, config_patterns={"spark": ["spark*", "spark*/**"]})
    assert loader["spark"] == {"spark.executor.memory": "2g", "other": 1}
    assert "spark" in loader
    assert loader.config_patterns["parameters"] == [
        "parameters*",
        "parameters*/**",
        "**/parameters*",
    ]


# --------------------------------------------------------------------------- envs


def test_run_env_defaults_to_local(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\nb: 1\n")
    write("local/parameters.yml", "a: 2\n")
    loader = ConfigLoader(conf)
    assert loader.env == "local"
    assert loader["parameters"] == {"a": 2, "b": 1}


def test_missing_local_is_fine(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    assert ConfigLoader(conf)["parameters"] == {"a": 1}


def test_env_argument_beats_env_var(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("base/parameters.yml", "a: 1\n")
    write("prod/parameters.yml", "a: prod\n")
    write("staging/parameters.yml", "a: staging\n")
    monkeypatch.setenv("PROJ_TUI_ENV", "staging")
    assert ConfigLoader(conf)["parameters"] == {"a": "staging"}
    assert ConfigLoader(conf, env="prod")["parameters"] == {"a": "prod"}
    monkeypatch.setenv("MY_ENV", "prod")
    assert ConfigLoader(conf, env_var="MY_ENV").env == "prod"


def test_explicit_unknown_env_lists_known_envs(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    write("prod/parameters.yml", "a: 2\n")
    (conf / ".git").mkdir()
    with pytest.raises(UnknownEnvError) as info:
        ConfigLoader(conf, env="prd")["parameters"]
    err = info.value
    assert err.env == "prd"
    assert err.known == ["prod"]  # base is layered under every env, not a choice
    assert "Known environments: prod" in err.message
    assert "Did you mean 'prod'?" in err.message
    assert str(conf / "prd") in err.message


def test_the_default_env_may_be_absent_even_when_named(conf: Path, write: WriteConf) -> None:
    """A rerun passes its recorded '--env local'; with no local folder that is still base."""
    write("base/parameters.yml", "a: 1\n")
    assert ConfigLoader(conf, env="local")["parameters"] == {"a": 1}
    with pytest.raises(UnknownEnvError):  # any other missing env is still an error
        ConfigLoader(conf, env="staging")["parameters"]


def test_unknown_env_from_env_var_says_so(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("base/parameters.yml", "a: 1\n")
    monkeypatch.setenv("PROJ_TUI_ENV", "nope")
    with pytest.raises(UnknownEnvError, match=r"set in \$PROJ_TUI_ENV"):
        ConfigLoader(conf)["parameters"]


def test_missing_base_names_the_path(conf: Path) -> None:
    (conf / "base").rmdir()
    (conf / "local").mkdir()
    with pytest.raises(MissingConfigError) as info:
        ConfigLoader(conf)["parameters"]
    assert str(conf / "base") in info.value.message


def test_missing_conf_source_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(MissingConfigError, match=str(tmp_path / "nowhere")):
        ConfigLoader(tmp_path / "nowhere")["catalog"]
    assert ConfigLoader(tmp_path / "nowhere").envs() == []


def test_custom_base_and_default_env(conf: Path, write: WriteConf) -> None:
    write("common/parameters.yml", "a: 1\n")
    write("dev/parameters.yml", "a: 2\n")
    loader = ConfigLoader(conf, base_env="common", default_run_env="dev")
    assert loader["parameters"] == {"a": 2}


def test_env_equal_to_base_reads_base_once(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    loader = ConfigLoader(conf, env="base")
    assert loader["parameters"] == {"a": 1}
    assert loader.files("parameters") == [conf / "base/parameters.yml"]


def test_envs_lists_folders(conf: Path, write: WriteConf) -> None:
    write("prod/catalog.yml", "{}")
    (conf / "local").mkdir()
    (conf / ".hidden").mkdir()
    (conf / "README.md").write_text("x")
    assert ConfigLoader(conf).envs() == ["base", "local", "prod"]


# --------------------------------------------------------------------------- merging


def test_parameters_merge_deeply_across_envs(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  lr: 0.1\n  layers: [1, 2]\nseed: 1\n")
    write("local/parameters.yml", "model:\n  lr: 0.5\n")
    assert ConfigLoader(conf)["parameters"] == {
        "model": {"lr": 0.5, "layers": [1, 2]},
        "seed": 1,
    }


def test_other_keys_replace_per_top_level_key(conf: Path, write: WriteConf) -> None:
    write("base/catalog.yml", "a:\n  type: x\n  filepath: f\nb:\n  type: y\n")
    write("local/catalog.yml", "a:\n  type: z\n")
    assert ConfigLoader(conf)["catalog"] == {"a": {"type": "z"}, "b": {"type": "y"}}


def test_merge_strategy_can_be_changed(conf: Path, write: WriteConf) -> None:
    write("base/catalog.yml", "a:\n  type: x\n  filepath: f\n")
    write("local/catalog.yml", "a:\n  type: z\n")
    write("base/parameters.yml", "m:\n  a: 1\n  b: 2\n")
    write("local/parameters.yml", "m:\n  a: 3\n")
    loader = ConfigLoader(conf, merge_strategy={"catalog": "soft", "parameters": "destructive"})
    assert loader["catalog"] == {"a": {"type": "z", "filepath": "f"}}
    assert loader["parameters"] == {"m": {"a": 3}}
    with pytest.raises(ConfigError, match="merge strategy 'deep'"):
        ConfigLoader(conf, merge_strategy={"catalog": "deep"})


def test_files_of_one_env_are_combined(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    write("base/parameters/model.yml", "model: {lr: 1}\n")
    write("base/pipelines/x/parameters_x.json", '{"x": {"n": 2}}')
    assert ConfigLoader(conf)["parameters"] == {"a": 1, "model": {"lr": 1}, "x": {"n": 2}}


def test_same_key_in_two_files_of_one_env_names_both(conf: Path, write: WriteConf) -> None:
    first = write("base/parameters.yml", "a: 1\nmodel:\n  lr: 1\n")
    second = write("base/parameters/model.yml", "b: 1\nmodel:\n  lr: 2\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["parameters"]
    err = info.value
    assert "'model.lr'" in err.message  # parameters clash on leaves, as in Kedro
    assert str(first) in err.message
    assert str(second) in err.message
    assert err.location is not None
    assert err.location.path == second
    assert err.location.line == 3


def test_private_keys_may_repeat_and_are_dropped_outside_parameters(
    conf: Path, write: WriteConf
) -> None:
    write("base/catalog.yml", "_root: data\na:\n  filepath: ${_root}/a.csv\n")
    write("base/catalog_b.yml", "_root: data\nb:\n  filepath: ${_root}/b.csv\n")
    write("base/parameters.yml", "_hidden: 1\nx: ${_hidden}\n")
    loader = ConfigLoader(conf)
    assert loader["catalog"] == {"a": {"filepath": "data/a.csv"}, "b": {"filepath": "data/b.csv"}}
    assert loader["parameters"] == {"_hidden": 1, "x": 1}


def test_broken_file_error_surfaces_through_loader(conf: Path, write: WriteConf) -> None:
    path = write("local/catalog.yml", "a: [\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["catalog"]
    assert info.value.location is not None
    assert info.value.location.path == path


def test_top_level_not_a_mapping_through_loader(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "- a\n")
    with pytest.raises(ConfigError, match=r"parameters\.yml must hold a mapping"):
        ConfigLoader(conf)["parameters"]


def test_result_is_a_fresh_copy(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "m:\n  layers: [1, 2]\n")
    loader = ConfigLoader(conf)
    first = loader["parameters"]
    first["m"]["layers"].append(3)
    first["m"]["new"] = 1
    assert loader["parameters"] == {"m": {"layers": [1, 2]}}


def test_edits_are_seen_on_next_access(conf: Path, write: WriteConf) -> None:
    path = write("base/parameters.yml", "a: 1\n")
    loader = ConfigLoader(conf)
    assert loader["parameters"] == {"a": 1}
    path.write_text("a: 2\nb: 3\n", encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert loader["parameters"] == {"a": 2, "b": 3}
    write("base/parameters_new.yml", "c: 4\n")
    assert loader["parameters"] == {"a": 2, "b": 3, "c": 4}


# --------------------------------------------------------------------------- runtime params


def test_runtime_params_beat_files_and_keep_siblings(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  lr: 0.1\n  layers: 2\nseed: 1\n")
    write("local/parameters.yml", "model:\n  lr: 0.5\n")
    loader = ConfigLoader(conf, runtime_params={"model": {"lr": 0.9}, "new": "x"})
    assert loader["parameters"] == {"model": {"lr": 0.9, "layers": 2}, "seed": 1, "new": "x"}
    assert loader["catalog"] == {}


def test_runtime_params_may_be_flat_dotted(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "model:\n  lr: 0.1\n  layers: 2\n")
    loader = ConfigLoader(conf, runtime_params={"model.lr": 0.3})
    assert loader["parameters"] == {"model": {"lr": 0.3, "layers": 2}}
    assert loader.runtime_params == {"model": {"lr": 0.3}}


def test_runtime_params_are_copied(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    given = {"m": {"x": [1]}}
    loader = ConfigLoader(conf, runtime_params=given)
    given["m"]["x"].append(2)
    assert loader["parameters"] == {"a": 1, "m": {"x": [1]}}


# --------------------------------------------------------------------------- files / provenance


def test_files_in_merge_order(conf: Path, write: WriteConf) -> None:
    b2 = write("base/parameters_b.yml", "b: 1\n")
    b1 = write("base/parameters.yml", "a: 1\n")
    b3 = write("base/parameters/z.yml", "z: 1\n")
    l1 = write("local/parameters.yml", "a: 2\n")
    write("base/catalog.yml", "{}\n")
    loader = ConfigLoader(conf)
    assert loader.files("parameters") == [b1, b3, b2, l1]
    assert loader.files("credentials") == []


def test_provenance_of_every_leaf(conf: Path, write: WriteConf) -> None:
    base = write("base/parameters.yml", "model:\n  lr: 0.1\n  layers: [1, 2]\nseed: 1\n")
    local = write("local/parameters.yml", "model:\n  lr: 0.5\n")
    loader = ConfigLoader(conf, runtime_params={"seed": 7})
    prov = loader.provenance("parameters")
    assert set(prov) == {"model.lr", "model.layers", "seed"}
    assert prov["model.lr"] == Provenance(
        "model.lr", 0.5, "local", local, [Override("base", base, 0.1)]
    )
    assert prov["model.layers"] == Provenance("model.layers", [1, 2], "base", base, [])
    seed = prov["seed"]
    assert (seed.env, seed.path, seed.value) == ("runtime", None, 7)
    assert seed.overridden == [("base", base, 1)]
    with pytest.raises(AttributeError):
        seed.value = 3  # type: ignore[misc]


def test_provenance_tracks_a_chain_of_overrides(conf: Path, write: WriteConf) -> None:
    base = write("base/parameters.yml", "a:\n  b: 1\n")
    local = write("local/parameters.yml", "a:\n  b: 2\n")
    prov = ConfigLoader(conf, runtime_params={"a": {"b": 3}}).provenance("parameters")
    assert prov["a.b"].overridden == [("base", base, 1), ("local", local, 2)]


def test_provenance_when_a_scalar_replaces_a_mapping(conf: Path, write: WriteConf) -> None:
    base = write("base/parameters.yml", "a:\n  b: 1\n  c: 2\n")
    write("local/parameters.yml", "a: 5\n")
    prov = ConfigLoader(conf).provenance("parameters")
    assert list(prov) == ["a"]
    assert prov["a"].overridden == [("base", base, 1), ("base", base, 2)]


def test_provenance_for_replaced_catalog_entries(conf: Path, write: WriteConf) -> None:
    base = write("base/catalog.yml", "a:\n  type: x\n  filepath: f\nb:\n  type: y\n")
    local = write("local/catalog.yml", "a:\n  type: z\n")
    prov = ConfigLoader(conf).provenance("catalog")
    assert set(prov) == {"a.type", "b.type"}
    assert prov["a.type"] == Provenance("a.type", "z", "local", local, [("base", base, "x")])
    assert prov["b.type"].path == base


def test_provenance_resolves_values(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "root: /data\n")
    base = write("base/parameters.yml", "p: ${globals:root}/a\n")
    write("local/parameters.yml", "p: ${globals:root}/b\n")
    prov = ConfigLoader(conf).provenance("parameters")
    assert prov["p"].value == "/data/b"
    assert prov["p"].overridden == [("base", base, "/data/a")]


def test_provenance_of_empty_mapping_override(conf: Path, write: WriteConf) -> None:
    base = write("base/parameters.yml", "a:\n  b: 1\n")
    write("local/parameters.yml", "a: {}\nc: {}\n")
    loader = ConfigLoader(conf)
    assert loader["parameters"] == {"a": {"b": 1}, "c": {}}
    prov = loader.provenance("parameters")
    assert prov["a.b"].path == base
    assert prov["c"].value == {}
    assert prov["c"].env == "local"
