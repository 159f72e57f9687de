"""``${...}`` interpolation through the loader, with the errors it can raise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from proj_tui.config import ConfigError, ConfigLoader

WriteConf = Callable[[str, str], Path]


def test_globals_whole_string_keeps_type(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "n: 3\nratio: 0.5\nflag: true\nlist: [1, 2]\nm: {a: 1}\n")
    write(
        "base/parameters.yml",
        """
        n: ${globals:n}
        ratio: ${globals:ratio}
        flag: "${globals:flag}"
        list: ${globals:list}
        m: ${globals:m}
        a: ${globals:m.a}
        """,
    )
    assert ConfigLoader(conf)["parameters"] == {
        "n": 3,
        "ratio": 0.5,
        "flag": True,
        "list": [1, 2],
        "m": {"a": 1},
        "a": 1,
    }


def test_embedded_interpolation_becomes_text(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "root: /data\nn: 3\n")
    write("base/catalog.yml", "ds:\n  filepath: ${globals:root}/x_${globals:n}.csv\n")
    assert ConfigLoader(conf)["catalog"] == {"ds": {"filepath": "/data/x_3.csv"}}


def test_interpolation_inside_lists(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "a: 1\n")
    write(
        "base/parameters.yml", "xs:\n  - ${globals:a}\n  - v${globals:a}\n  - k: '${globals:a}'\n"
    )
    assert ConfigLoader(conf)["parameters"] == {"xs": [1, "v1", {"k": 1}]}


def test_globals_defaults_are_typed(conf: Path, write: WriteConf) -> None:
    write(
        "base/parameters.yml",
        """
        a: ${globals:missing,5}
        b: ${globals:missing.deep,hello}
        c: ${globals:missing,[1, 2]}
        d: ${globals:missing,null}
        e: "${globals:missing,'x,y'}"
        """,
    )
    assert ConfigLoader(conf)["parameters"] == {
        "a": 5,
        "b": "hello",
        "c": [1, 2],
        "d": None,
        "e": "x,y",
    }


def test_globals_merge_base_then_env(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "paths:\n  raw: /base/raw\n  out: /base/out\n")
    write("local/globals.yml", "paths:\n  raw: /local/raw\n")
    write("base/parameters.yml", "raw: ${globals:paths.raw}\nout: ${globals:paths.out}\n")
    loader = ConfigLoader(conf)
    assert loader["globals"] == {"paths": {"raw": "/local/raw", "out": "/base/out"}}
    assert loader["parameters"] == {"raw": "/local/raw", "out": "/base/out"}


def test_globals_may_refer_to_themselves(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "root: /d\nraw: ${globals:root}/raw\nout: ${root}/out\n")
    assert ConfigLoader(conf)["globals"] == {"root": "/d", "raw": "/d/raw", "out": "/d/out"}


def test_runtime_params_resolver(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: ${runtime_params:x.y,1}\nb: ${runtime_params:z,2}\n")
    write("base/catalog.yml", "ds:\n  filepath: data/${runtime_params:run,default}.csv\n")
    loader = ConfigLoader(conf, runtime_params={"x": {"y": 10}, "run": "r1"})
    assert loader["parameters"] == {"a": 10, "b": 2, "x": {"y": 10}, "run": "r1"}
    assert loader["catalog"] == {"ds": {"filepath": "data/r1.csv"}}
    assert ConfigLoader(conf)["parameters"] == {"a": 1, "b": 2}


def test_missing_runtime_param_without_default(conf: Path, write: WriteConf) -> None:
    path = write("base/parameters.yml", "a: 1\nb: ${runtime_params:seed}\n")
    with pytest.raises(ConfigError, match="no runtime parameter 'seed' was given") as info:
        ConfigLoader(conf)["parameters"]
    assert str(path) in info.value.message
    assert info.value.location is not None
    assert info.value.location.line == 2


def test_runtime_params_not_allowed_in_globals(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "a: ${runtime_params:x,1}\n")
    with pytest.raises(ConfigError, match="cannot be used in globals"):
        ConfigLoader(conf, runtime_params={"x": 2})["globals"]


def test_self_reference_in_same_config(conf: Path, write: WriteConf) -> None:
    write(
        "base/parameters.yml",
        "model:\n  lr: 0.1\n  lrs: [1, 2]\nlr: ${model.lr}\nfirst: ${model.lrs.0}\n",
    )
    write("local/parameters.yml", "model:\n  lr: 0.5\n")
    assert ConfigLoader(conf)["parameters"]["lr"] == 0.5
    assert ConfigLoader(conf)["parameters"]["first"] == 1


def test_oc_select_with_default(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\nb: ${oc.select:a,0}\nc: ${oc.select:nope,0}\n")
    assert ConfigLoader(conf)["parameters"] == {"a": 1, "b": 1, "c": 0}


def test_oc_env_in_credentials(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    monkeypatch.delenv("DB_MISSING", raising=False)
    write(
        "base/credentials.yml",
        """
        db:
          password: ${oc.env:DB_PASSWORD}
          user: ${oc.env:DB_MISSING,admin}
          port: ${oc.env:DB_MISSING,5432}
          none: ${oc.env:DB_MISSING,null}
          url: postgres://${oc.env:DB_MISSING,admin}@host
        """,
    )
    assert ConfigLoader(conf)["credentials"] == {
        "db": {
            "password": "s3cret",
            "user": "admin",
            "port": "5432",
            "none": None,
            "url": "postgres://admin@host",
        }
    }


def test_oc_env_unset_without_default(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_X", raising=False)
    path = write("local/credentials.yml", "db:\n  password: ${oc.env:NOT_SET_X}\n")
    with pytest.raises(ConfigError, match="NOT_SET_X is not set") as info:
        ConfigLoader(conf)["credentials"]
    assert str(path) in info.value.message
    assert "credentials key 'db.password'" in info.value.message
    assert info.value.location is not None
    assert info.value.location.line == 2


@pytest.mark.parametrize("key", ["parameters", "catalog", "globals", "logging"])
def test_oc_env_only_in_credentials(
    conf: Path, write: WriteConf, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("HOME_X", "x")
    path = write(f"base/{key}.yml", "a:\n  b: ${oc.env:HOME_X}\n")
    with pytest.raises(ConfigError, match="only allowed in credentials") as info:
        ConfigLoader(conf)[key]
    assert str(path) in info.value.message
    assert f"{key} key 'a.b'" in info.value.message


def test_unresolvable_global_names_file_key_and_line(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "root: /d\n")
    path = write("local/catalog.yml", "ds:\n  type: x\n  filepath: ${globals:roots}/a\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["catalog"]
    err = info.value
    assert str(path) in err.message
    assert "catalog key 'ds.filepath'" in err.message
    assert "'roots' is not defined in globals" in err.message
    assert "Did you mean 'root'?" in err.message
    assert err.location is not None
    assert (err.location.path, err.location.line, err.location.column) == (path, 3, 3)


def test_error_in_a_list_item_names_its_index(conf: Path, write: WriteConf) -> None:
    path = write("base/parameters.yml", "xs:\n  - 1\n  - ${globals:nope}\n")
    with pytest.raises(ConfigError, match=r"parameters key 'xs\[1\]'") as info:
        ConfigLoader(conf)["parameters"]
    assert info.value.location is not None
    assert (info.value.location.path, info.value.location.line) == (path, 3)


def test_error_in_a_runtime_param(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: 1\n")
    with pytest.raises(ConfigError, match=r"runtime parameters \(--params\)"):
        ConfigLoader(conf, runtime_params={"a": "${globals:nope}"})["parameters"]


def test_missing_self_reference(conf: Path, write: WriteConf) -> None:
    path = write("base/parameters.yml", "model:\n  lr: 1\nx: ${model.lrr}\n")
    with pytest.raises(ConfigError, match=r"'model\.lrr' is not defined in parameters") as info:
        ConfigLoader(conf)["parameters"]
    assert "Did you mean 'model.lr'?" in info.value.message
    assert str(path) in info.value.message


def test_circular_references(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: ${b}\nb: ${c}\nc: ${a}\n")
    with pytest.raises(ConfigError, match=r"circular \(b -> c -> a -> b\)"):
        ConfigLoader(conf)["parameters"]


def test_unknown_resolver(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: ${global:x}\n")
    with pytest.raises(ConfigError, match=r"no resolver called 'global'\. Did you mean 'globals'"):
        ConfigLoader(conf)["parameters"]


def test_custom_resolvers(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: ${add:1,2}\nb: x${upper:hi}\nc: ${boom:}\n")

    def boom() -> Any:
        raise RuntimeError("bad")

    resolvers = {"add": lambda a, b: a + b, "upper": lambda s: s.upper(), "boom": boom}
    loader = ConfigLoader(conf, custom_resolvers=resolvers)
    with pytest.raises(ConfigError, match="'boom' raised RuntimeError: bad"):
        loader["parameters"]
    write("base/parameters.yml", "a: ${add:1,2}\nb: x${upper:hi}\n")
    assert loader["parameters"] == {"a": 3, "b": "xHI"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("${globals:a", "never closed"),
        ("${globals:${x}}", "'x' is not defined in parameters"),  # nesting is resolved
        ("${...a}", "climbs above the top"),
        ("${a..b}", "not a dotted key"),
        ("${globals:a,[1}", "default cannot be read"),
    ],
)
def test_malformed_interpolations(conf: Path, write: WriteConf, value: str, message: str) -> None:
    write("base/parameters.yml", f"k: '{value}'\n")
    with pytest.raises(ConfigError, match=message):
        ConfigLoader(conf)["parameters"]


def test_escaped_interpolation_is_literal(conf: Path, write: WriteConf) -> None:
    write("base/parameters.yml", "a: '\\${globals:x}'\nb: no interpolation $ {x}\n")
    assert ConfigLoader(conf)["parameters"] == {"a": "${globals:x}", "b": "no interpolation $ {x}"}


def test_broken_globals_only_matter_when_used(conf: Path, write: WriteConf) -> None:
    write("base/globals.yml", "a: [\n")
    write("base/parameters.yml", "x: 1\n")
    write("base/catalog.yml", "ds:\n  filepath: ${globals:a}\n")
    loader = ConfigLoader(conf)
    assert loader["parameters"] == {"x": 1}
    with pytest.raises(ConfigError, match=r"globals\.yml is not valid YAML"):
        loader["catalog"]
