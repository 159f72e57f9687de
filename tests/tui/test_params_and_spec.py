"""Parameter typing and validation, provenance from the real config layer, and the run command."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.config import parse_params
from proj_tui.tui.model import RunFilters
from proj_tui.tui.params import InvalidValue, build_fields, flatten_params, kind_of, parse, to_text
from proj_tui.tui.run_spec import RunSpec, format_params, is_secret_name
from proj_tui.tui.state import load_param_fields, load_project_config


def test_kinds_and_flattening() -> None:
    assert [kind_of(v) for v in (True, 1, 1.5, "x", [1], {"a": 1}, None)] == [
        "bool",
        "int",
        "float",
        "str",
        "yaml",
        "yaml",
        "yaml",
    ]
    assert flatten_params({"a": {"b": 1, "c": {"d": [1]}}, "e": {}}) == {
        "a.b": 1,
        "a.c.d": [1],
        "e": {},
    }


@pytest.mark.parametrize(
    ("text", "kind", "base", "expected"),
    [
        ("42", "int", 1, 42),
        ("1_000", "int", 1, 1000),
        ("0.5", "float", 1.0, 0.5),
        ("3", "float", 1.0, 3.0),
        ("off", "bool", True, False),
        ("a b", "str", "", "a b"),
        ("[1, 2]", "yaml", [], [1, 2]),
        ("{a: 1}", "yaml", {}, {"a": 1}),
        ("7", "yaml", None, 7),
    ],
)
def test_parse_valid(text: str, kind: str, base: object, expected: object) -> None:
    assert parse(text, kind, base) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "base", "reason"),
    [
        ("4.5", "int", 1, "not a whole number"),
        ("abc", "float", 1.0, "not a number"),
        ("maybe", "bool", True, "true or false"),
        ("[1, 2", "yaml", [], "YAML"),
        ("{a: 1}", "yaml", [], "expected a YAML list"),
    ],
)
def test_parse_invalid_says_why(text: str, kind: str, base: object, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        parse(text, kind, base)  # type: ignore[arg-type]


def test_yaml_fields_round_trip_through_their_text() -> None:
    value = {"a": [1, 2], "b": "x y"}
    assert parse(to_text(value, "yaml"), "yaml", {}) == value


def test_fields_carry_file_and_what_they_overrode(taxi: Path) -> None:
    config = load_project_config(taxi)
    assert "prod" in config.envs and "local" in config.envs and "base" not in config.envs
    fields = {f.key: f for f in load_param_fields(config, "prod")}
    fare = fields["cleaning.max_fare"]
    assert fare.value == 150.0
    assert fare.source == "conf/prod/parameters.yml"
    assert fare.overrode == "250.0 (conf/base/parameters.yml)"
    assert fields["cleaning.min_distance_km"].source == "conf/base/parameters.yml"


def test_groups_stay_together() -> None:
    fields = build_fields({"a": {"x": 1}, "b": 2, "a2": {"y": {"z": 1, "w": 2}}}, {}, None)
    assert [f.key for f in fields] == ["a.x", "b", "a2.y.z", "a2.y.w"]


def test_params_string_reads_back_with_the_same_types() -> None:
    overrides = {"model.lr": 0.5, "model.name": "a,b", "flag": True, "xs": [1, 2], "s": "true"}
    assert parse_params(format_params(overrides)) == {
        "model": {"lr": 0.5, "name": "a,b"},
        "flag": True,
        "xs": [1, 2],
        "s": "true",
    }


def test_command_and_child_argv(tmp_path: Path) -> None:
    spec = RunSpec(
        project_path=tmp_path,
        pipeline="etl",
        env="prod",
        overrides={"a.b": 2},
        filters=RunFilters(tags=frozenset({"t2", "t1"}), node_names=frozenset({"n"})),
        env_vars={"API_TOKEN": "s3cret", "REGION": "eu"},
    )
    command = spec.command()
    assert command.startswith(f"proj-tui run --project {tmp_path} --env prod --params a.b=2")
    assert "--pipeline etl" in command
    assert "--params a.b=2" in command and "--tags t1,t2" in command and "--nodes n" in command
    # a secret is named, never shown: pasted, the command takes it from the shell (issue 18, item 3)
    assert "--env-var API_TOKEN " in command and "s3cret" not in command
    assert "<redacted>" not in command
    assert "--env-var REGION=eu" in command
    argv = spec.child_argv(["proj-tui"])
    assert argv[-2:] == ["--events", "json"] and "API_TOKEN" in argv and "REGION" in argv
    assert not any("s3cret" in arg or arg.endswith("=eu") for arg in argv)  # values: environment


def test_secret_names() -> None:
    assert (
        is_secret_name("API_TOKEN")
        and is_secret_name("db_password")
        and is_secret_name("AWS_SECRET_ACCESS_KEY")
    )
    assert not is_secret_name("REGION")
