"""How the plugin turns Kedro's ``run_params`` into our record's fields (no Kedro run needed)."""

from __future__ import annotations

import dataclasses

import pytest

from proj_tui.kedro.session_record import (
    credential_leaves,
    plain,
    redact_argv,
    runner_name,
    selection,
)


@pytest.mark.parametrize(
    ("recorded", "name"),
    [
        ("None", "SequentialRunner"),  # Kedro records str(None) when the default runner is used
        ("<kedro.runner.thread_runner.ThreadRunner object at 0x7f3a2b1c>", "ThreadRunner"),
        ("<kedro.runner.parallel_runner.ParallelRunner object at 0x7f3a2b1c>", "ParallelRunner"),
        ("<my_pkg.runners.DaskRunner object at 0x7f3a2b1c>", "my_pkg.runners.DaskRunner"),
        ("custom", "custom"),
    ],
)
def test_the_runner_is_named_as_kedro_run_takes_it(recorded: str, name: str) -> None:
    assert runner_name(recorded) == name


def test_kedro_run_params_become_our_selection() -> None:
    run_params = {
        "run_id": "2026-12-02T01.44.55.183Z",
        "tags": ("model",),
        "from_nodes": [],
        "to_nodes": ["split_data"],
        "node_names": (),
        "from_inputs": [],
        "to_outputs": [],
        "load_versions": {"split_data": "2026-12-01T00.00.00.000Z"},
        "pipeline_names": ["data_processing", "reporting"],
        "namespaces": ["reporting"],
        "runner": "<kedro.runner.thread_runner.ThreadRunner object at 0x1>",
        "only_missing_outputs": True,
    }
    chosen = selection(run_params)
    assert chosen.pipeline_names == {"data_processing", "reporting"}
    assert chosen.tags == {"model"} and chosen.to_nodes == {"split_data"}
    assert chosen.namespaces == {"reporting"} and chosen.only_missing_outputs
    assert dict(chosen.load_versions) == {"split_data": "2026-12-01T00.00.00.000Z"}
    assert chosen.runner == "ThreadRunner"
    assert selection({"run_id": "x", "pipeline_names": [], "runner": "None"}).pipeline == (
        "__default__"
    )


def test_secrets_on_the_command_line_are_redacted_by_name_and_by_shape() -> None:
    argv = ["kedro", "run", "--params", "lr=0.1,db.password=hunter2x", "--env=prod"]
    assert redact_argv(argv) == [
        "kedro",
        "run",
        "--params",
        "lr=0.1,db.password=<redacted>",
        "--env=prod",
    ]
    token = "ghp_" + "a" * 36
    assert redact_argv(["kedro", "run", f"--params=api={token}"]) == [
        "kedro",
        "run",
        "--params=api=<redacted>",
    ]


@dataclasses.dataclass
class _Split:
    test_size: float
    seed: int


def test_typed_parameters_are_recorded_as_plain_data() -> None:
    assert plain({"split": _Split(0.25, 3), "tags": ("a", "b")}) == {
        "split": {"test_size": 0.25, "seed": 3},
        "tags": ["a", "b"],
    }


def test_every_credential_value_is_a_secret_to_scrub() -> None:
    creds = {"db": {"user": "me", "password": "pw-123456", "port": 5432}, "ok": True}
    assert sorted(credential_leaves(creds)) == ["5432", "me", "pw-123456"]
