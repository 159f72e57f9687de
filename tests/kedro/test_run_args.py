"""``proj-tui run`` options → the ``kedro run`` argv → what Kedro's own CLI parser makes of it.

No Kedro run here: these check the mapping with Kedro's real parser (``kedro run``'s click
command and callbacks) in this process, so every selection field, ``--params`` value and runner
name means to Kedro exactly what it meant to proj-tui.
"""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proj_tui.cli.parser import build_parser
from proj_tui.framework.kedro_run import (
    KedroRunArgs,
    KedroRunError,
    kedro_params_text,
    kedro_runner,
    redact_kedro_params,
)
from proj_tui.framework.redact import REDACTED
from proj_tui.framework.selection import FIELDS, RunSelection
from proj_tui.kedro.launch import session_arguments
from proj_tui.kedro.run_compat import run_command

from helpers import cli

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=8)
_dotted = st.builds(lambda a, b: f"{a}.{b}", _name, _name) | _name
_names = st.frozensets(_dotted, max_size=3)


@st.composite
def selections(draw: st.DrawFn) -> RunSelection:
    values: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.kind == "names":
            values[spec.name] = draw(_names)
        elif spec.kind == "versions":
            values[spec.name] = draw(
                st.dictionaries(_name, st.just("2026-11-24T19.04.33.496Z"), max_size=2)
            )
        elif spec.kind == "switch":
            values[spec.name] = draw(st.booleans())
        else:
            values[spec.name] = draw(
                st.sampled_from([None, "sequential", "thread", "process", "ThreadRunner"])
            )
    return RunSelection(**values)


def kedro_parse(run_args: list[str]) -> dict[str, Any]:
    """``kedro run <run_args>`` as Kedro's CLI parses it (its callbacks split and type values)."""
    import click

    ctx = run_command().make_context(
        "run", list(run_args), parent=click.Context(click.Group("kedro"))
    )
    return dict(ctx.params)


def proj_tui_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


@settings(max_examples=60, deadline=None)
@given(selections())
def test_a_selection_means_the_same_to_kedro(selection: RunSelection) -> None:
    """RunSelection → kedro run argv → Kedro's parser → session.run keywords: the same run."""
    argv = KedroRunArgs(selection=selection).argv()
    assert argv[:2] == ["kedro", "run"]
    _create, run = session_arguments(kedro_parse(argv[2:]))
    expected = selection.run_kwargs()
    assert run["pipeline_names"] == expected["pipeline_names"] or (
        expected["pipeline_names"] == ["__default__"] and run["pipeline_names"] == []
    )
    for key in ("tags", "node_names", "from_nodes", "to_nodes", "from_inputs", "to_outputs"):
        assert sorted(run[key]) == (expected[key] or []), key  # type: ignore[literal-required]
    assert sorted(run["namespaces"]) == (expected["namespaces"] or [])
    assert run["load_versions"] == (expected["load_versions"] or {})
    assert run["only_missing_outputs"] is expected["only_missing_outputs"]
    runner_class = {None: "SequentialRunner", "sequential": "SequentialRunner"}.get(
        selection.runner, kedro_runner(selection.runner)
    )
    assert type(run["runner"]).__name__ == runner_class


def test_proj_tui_run_options_become_kedro_run_options() -> None:
    args = proj_tui_args(
        "--pipelines", "data_processing,reporting", "--env", "staging",
        "--params", "features.scale=3,runtime.pause_s=0.5", "--tags", "preprocessing",
        "--from-nodes", "preprocess_companies", "--namespaces", "reporting",
        "--load-versions", "split_data:2026-11-24T19.04.33.496Z", "--runner", "thread",
        "--runner-params", "max_workers=2", "--async", "--only-missing-outputs",
        "--conf-source", "conf",
    )  # fmt: skip
    assert KedroRunArgs.from_args(args).argv() == [
        "kedro", "run", "--env", "staging", "--params", "features.scale=3,runtime.pause_s=0.5",
        "--conf-source", "conf", "--pipelines", "data_processing,reporting",
        "--tags", "preprocessing", "--from-nodes", "preprocess_companies",
        "--namespaces", "reporting", "--load-versions", "split_data:2026-11-24T19.04.33.496Z",
        "--only-missing-outputs", "--runner", "ThreadRunner",
        "--runner-params", "max_workers=2", "--async",
    ]  # fmt: skip


def test_kedro_reads_the_non_selection_options_as_given(tmp_path: Any) -> None:
    run = KedroRunArgs(
        env="staging",
        params="features.scale=3,model.name=ridge,flag=true",
        conf_source=str(tmp_path),
        runner_params="max_workers=2",
        is_async=True,
        selection=RunSelection(runner="process"),
    )
    create, kwargs = session_arguments(kedro_parse(run.run_args()))
    assert create == {
        "env": "staging",
        "conf_source": str(tmp_path.resolve()),
        "runtime_params": {"features": {"scale": 3}, "model": {"name": "ridge"}, "flag": True},
    }
    runner = kwargs["runner"]
    assert type(runner).__name__ == "ParallelRunner" and runner._is_async is True
    assert runner._max_workers == 2


def test_pipeline_and_pipelines_together_are_refused_as_kedro_does() -> None:
    from proj_tui.kedro.launch import _StartFailed

    with pytest.raises(_StartFailed, match="cannot be used together"):
        session_arguments(kedro_parse(["--pipeline", "a", "--pipelines", "b"]))


@pytest.mark.parametrize(
    ("ours", "kedros"),
    [
        (None, None),
        ("sequential", None),
        ("thread", "ThreadRunner"),
        ("process", "ParallelRunner"),
        ("ParallelRunner", "ParallelRunner"),
        ("my_pkg.runners.MyRunner", "my_pkg.runners.MyRunner"),
    ],
)
def test_runner_names(ours: str | None, kedros: str | None) -> None:
    assert kedro_runner(ours) == kedros


def test_a_runner_kedro_does_not_have_is_refused_with_the_choices() -> None:
    with pytest.raises(KedroRunError, match="'dask' is not a runner Kedro knows") as info:
        kedro_runner("dask")
    assert "ParallelRunner" in str(info.value)
    with pytest.raises(KedroRunError, match="Did you mean 'thread'"):
        kedro_runner("thraed")


_scalar = (
    st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.booleans()
    | st.none()
    | st.text(alphabet="abcXYZ019 _-./'\":;!?%", min_size=1, max_size=10).filter(
        lambda s: s == s.strip()
    )
)
_params = st.recursive(
    st.dictionaries(_name, _scalar, min_size=1, max_size=3),
    lambda inner: st.dictionaries(_name, inner | _scalar, min_size=1, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(_params)
def test_stored_params_write_back_as_kedro_params(params: dict[str, Any]) -> None:
    """What a rerun passes as --params parses (by Kedro) back to the stored parameters."""
    parsed = kedro_parse(["--params", kedro_params_text(params)])["params"]
    assert parsed == params


@pytest.mark.parametrize("value", ["a,b", [1, 2], float("nan"), "${x}", "line\nbreak"])
def test_values_kedro_params_cannot_carry_are_refused_by_key(value: Any) -> None:
    with pytest.raises(KedroRunError, match=r"model\.opt"):
        kedro_params_text({"model": {"opt": value}})


def test_the_recorded_command_hides_secrets_in_kedro_syntax() -> None:
    run = KedroRunArgs(
        params="db.password=hunter2,api_token=abc123,url=https://u:pw@host/db,n=3",
        runner_params="max_workers=2",
    )
    shown = run.argv(redact=True)
    assert shown[shown.index("--params") + 1] == (
        f"db.password={REDACTED},api_token={REDACTED},url=https://u:{REDACTED}@host/db,n=3"
    )
    assert "hunter2" not in run.command() and "abc123" not in run.command()
    assert redact_kedro_params("a=1,b") == "a=1,b"  # Kedro's own parser reports the bad item


def test_async_on_a_native_project_is_refused(demo: Any) -> None:
    done = cli("run", "--project", str(demo), "--async")
    assert done.returncode == 2
    assert "--async is a Kedro runner option" in done.stderr


def test_run_setup_on_a_kedro_project_shows_the_kedro_run_command() -> None:
    from pathlib import Path

    from proj_tui.tui.run_spec import RunSpec

    spec = RunSpec(
        project_path=Path("/p"),
        env="local",
        overrides={"features.scale": 3, "db.password": "hunter2"},
        filters=RunSelection(tags=frozenset({"preprocessing"}), runner="thread"),
        env_vars={"API_TOKEN": "abc123", "MODE": "fast"},
        kedro=True,
    )
    # a secret env var is left to the shell's environment (never a pasted '<redacted>')
    assert spec.command() == (
        "MODE=fast kedro run --env local "
        f"--params 'db.password={REDACTED},features.scale=3' --tags preprocessing "
        "--runner ThreadRunner"
    )
    child = spec.child_argv(["proj-tui"])
    assert child[child.index("--params") + 1] == "db.password=hunter2,features.scale=3"
    assert "hunter2" not in spec.command()
