"""``proj-tui config blame`` and ``config compare`` on the demo project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers import cli, make_demo


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("config") / "demo")


def _json(project: Path, *args: str) -> Any:
    result = cli(*args, "--json", cwd=project, env={"PROJ_TUI_ENV": ""})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_blame_names_the_file_and_env_and_what_was_overridden(project: Path) -> None:
    doc = _json(project, "config", "blame", "model_a.model_options.epochs")
    assert doc["env"] == "local"
    (row,) = doc["keys"]
    assert row == {
        "section": "parameters",
        "key": "model_a.model_options.epochs",
        "value": 200,
        "env": "local",
        "file": "conf/local/parameters.yml",
        "overrode": [
            {"env": "base", "file": "conf/base/parameters/data_science.yml", "value": 300}
        ],
        "interpolation": None,
        "comes_from": [],
        "source": "local: conf/local/parameters.yml",
    }


def test_blame_and_compare_say_where_an_interpolated_value_comes_from(project: Path) -> None:
    """reporting.currency is ${globals:report_currency}: in prod its USD is prod's globals,
    not "set in base" (issue 18, item 8)."""
    (row,) = _json(project, "config", "blame", "reporting.currency", "--env", "prod")["keys"]
    assert row["value"] == "USD" and row["interpolation"] == "${globals:report_currency}"
    assert row["comes_from"] == [
        {"ref": "${globals:report_currency}", "env": "prod", "file": "conf/prod/globals.yml"}
    ]
    shown = cli("config", "blame", "reporting.currency", "--env", "prod", cwd=project).stdout
    assert "conf/prod/globals.yml" in shown
    doc = _json(project, "config", "compare", "base", "prod")
    (currency,) = [k for k in doc["keys"] if k["key"] == "reporting.currency"]
    assert currency["prod"]["env"] == "prod via ${globals:report_currency}"


def test_blame_of_another_env_and_runtime_params(project: Path) -> None:
    doc = _json(project, "config", "blame", "cleaning.max_fare", "--env", "prod")
    assert [(r["env"], r["value"]) for r in doc["keys"]] == [("prod", 150.0)]
    doc = _json(project, "config", "blame", "cleaning.max_fare", "--params", "cleaning.max_fare=9")
    (row,) = doc["keys"]
    assert row["env"] == "runtime" and row["file"] is None and row["value"] == 9
    assert row["overrode"][0]["value"] == 250.0


def test_blame_a_prefix_and_catalog_keys(project: Path) -> None:
    keys = [r["key"] for r in _json(project, "config", "blame", "cleaning")["keys"]]
    assert keys == ["cleaning.max_fare", "cleaning.min_distance_km", "cleaning.drop_missing"]
    rows = _json(project, "config", "blame", "catalog.trips_raw")["keys"]
    assert {r["key"]: r["value"] for r in rows} == {
        "trips_raw.type": "csv.CSVDataset",
        "trips_raw.filepath": "data/01_raw/trips.csv",
    }
    assert {r["section"] for r in rows} == {"catalog"}
    everything = _json(project, "config", "blame")["keys"]
    assert {r["section"] for r in everything} == {"parameters", "catalog"}


def test_blame_text_and_unknown_key(project: Path) -> None:
    result = cli("config", "blame", "model_a.model_options.epochs", cwd=project)
    assert result.returncode == 0
    assert "conf/local/parameters.yml" in result.stdout and "= 300" in result.stdout
    bad = cli("config", "blame", "cleaning.max_far", cwd=project)
    assert bad.returncode == 2
    assert "Did you mean 'cleaning.max_fare'" in bad.stderr


def test_compare_shows_only_differences_by_default(project: Path) -> None:
    doc = _json(project, "config", "compare", "local", "prod")
    assert doc["envs"] == ["local", "prod"]
    keys = {row["key"]: row for row in doc["keys"]}
    assert set(keys) == {
        "cleaning.max_fare",
        "model_a.model_options.epochs",
        "model_b.model_options.epochs",
        "reporting.currency",
    }
    epochs = keys["model_a.model_options.epochs"]
    assert epochs["local"] == {"value": 200, "set": True, "env": "local"}
    assert epochs["prod"] == {"value": 600, "set": True, "env": "prod"}
    assert not any(row["same"] for row in doc["keys"])


def test_compare_all_and_errors(project: Path) -> None:
    doc = _json(project, "config", "compare", "base", "prod", "--all")
    same = [row["key"] for row in doc["keys"] if row["same"]]
    assert "cleaning.min_distance_km" in same
    text = cli("config", "compare", "local", "prod", cwd=project)
    assert text.returncode == 0 and "cleaning.max_fare" in text.stdout
    assert cli("config", "compare", "local", "local", cwd=project).returncode == 2
    unknown = cli("config", "compare", "local", "staging", cwd=project)
    assert unknown.returncode == 2 and "Known environments" in unknown.stderr


def test_compare_json_is_the_config_layers_rows(tmp_path: Path) -> None:
    """The CLI prints the rows the app shows: one rule for same (``1`` vs ``1.0`` differ)."""
    from proj_tui.config import ConfigLoader
    from proj_tui.config.compare import compare_envs

    project = make_demo(tmp_path / "demo")
    conf = project / "conf"
    (conf / "base" / "parameters_types.yml").write_text("types: {n: 1, flag: true, same: [1]}\n")
    (conf / "prod" / "parameters_types.yml").write_text("types: {n: 1.0, flag: 1, same: [1]}\n")
    doc = _json(project, "config", "compare", "base", "prod", "--all")
    rows = compare_envs(ConfigLoader(conf, env="base"), ConfigLoader(conf, env="prod"))
    assert [(r["key"], r["same"]) for r in doc["keys"]] == [(r.key, r.same) for r in rows]
    same = {r["key"]: r["same"] for r in doc["keys"] if r["key"].startswith("types.")}
    assert same == {"types.n": False, "types.flag": False, "types.same": True}
