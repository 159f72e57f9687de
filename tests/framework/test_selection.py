"""``RunSelection``: one value for what a run executes, and its conversions to every surface."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from proj_tui.framework.selection import (
    DEFAULT_PIPELINE,
    FIELD_NAMES,
    FIELDS,
    RunKwargs,
    RunSelection,
    SelectionError,
    UnknownPipelineError,
    add_arguments,
    resume_command,
)
from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.pipeline import Pipeline, node

_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.", min_size=1, max_size=8)
_names = st.frozensets(_name, max_size=3)


@st.composite
def selections(draw: st.DrawFn) -> RunSelection:
    values: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.kind == "names":
            values[spec.name] = draw(_names)
        elif spec.kind == "versions":
            values[spec.name] = draw(st.dictionaries(_name, _name, max_size=2))
        elif spec.kind == "switch":
            values[spec.name] = draw(st.booleans())
        else:
            values[spec.name] = draw(
                st.sampled_from([None, "sequential", "thread", "process", "dask", "pkg.MyRunner"])
            )
    return RunSelection(**values)


@settings(max_examples=150, deadline=None)
@given(selections())
def test_every_conversion_round_trips(selection: RunSelection) -> None:
    """argv -> selection -> run kwargs -> store JSON -> preset file -> selection is the identity."""
    from_argv = RunSelection.from_argv(selection.to_argv())
    assert from_argv == selection
    from_kwargs = RunSelection.from_run_kwargs(**from_argv.run_kwargs())
    assert from_kwargs == selection
    stored = json.loads(json.dumps(from_kwargs.to_store()))  # what the store's document holds
    from_store = RunSelection.from_store(stored)
    assert from_store == selection
    text = yaml.safe_dump(from_store.to_preset())
    assert RunSelection.from_preset(yaml.safe_load(text), "p.yml") == selection


def test_the_field_table_is_the_dataclass_and_the_run_keywords() -> None:
    assert tuple(f.name for f in fields(RunSelection)) == FIELD_NAMES
    assert tuple(get_type_hints(RunKwargs, localns={"AbstractRunner": object})) == FIELD_NAMES


def test_names_are_sets_so_order_and_repeats_do_not_matter() -> None:
    assert RunSelection(tags=["b", "a", "a"]) == RunSelection(tags=frozenset({"a", "b"}))  # type: ignore[arg-type]
    assert RunSelection(pipeline_names=frozenset({DEFAULT_PIPELINE})) == RunSelection()
    with pytest.raises(SelectionError, match="not the string 'etl'"):
        RunSelection(tags="etl")  # type: ignore[arg-type]


def test_argv_spells_one_pipeline_with_pipeline_and_several_with_pipelines() -> None:
    assert RunSelection().to_argv() == []
    assert RunSelection(pipeline_names=frozenset({"dp"})).to_argv() == ["--pipeline", "dp"]
    two = RunSelection(pipeline_names=frozenset({"ds", "dp"}))
    assert two.to_argv() == ["--pipelines", "dp,ds"]
    assert RunSelection.from_argv(["-p", "dp", "--pipelines", "ds"]) == two
    assert RunSelection.from_argv(["--nodes", " a , b,,", "--env", "prod"]).node_names == {"a", "b"}


def test_a_bad_load_versions_item_says_how_to_write_it() -> None:
    with pytest.raises(SelectionError, match="'trips' must look like DATASET:VERSION"):
        RunSelection.from_argv(["--load-versions", "trips"])
    pinned = RunSelection.from_argv(["--load-versions", "trips:2026-01-01T00.00.00.000Z"])
    assert dict(pinned.load_versions) == {"trips": "2026-01-01T00.00.00.000Z"}


def test_add_arguments_gives_the_run_options_their_help() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    text = parser.format_help()
    for spec in FIELDS:
        assert spec.flag in text
    assert "--pipeline NAME" in text and "-n N1,N2" in text


def test_run_kwargs_accept_kedros_pipeline_name_and_a_runner_object() -> None:
    class FakeRunner:  # stands in for any AbstractRunner: only its name is recorded
        name = "ThreadRunner"

    selection = RunSelection.from_run_kwargs(
        "dp", pipeline_names=["ds"], runner=FakeRunner(), namespaces=("eu",)
    )
    assert selection.pipelines == ["dp", "ds"]
    assert selection.runner == "ThreadRunner"
    assert selection.namespaces == {"eu"}
    with pytest.raises(TypeError, match="Did you mean 'node_names'"):
        RunSelection.from_run_kwargs(node_name=["a"])


def test_old_store_records_still_load(tmp_path: Path) -> None:
    """The shape the store holds from before RunSelection: ``node_namespaces``, class-named runner."""
    store = SQLiteSessionStore(tmp_path / "sessions.db")
    session_id = store.create_session({"env": "local", "runtime_params": {}})
    store.update_session(
        session_id,
        pipeline="data_processing",
        filters={
            "tags": ["etl"],
            "node_names": ["clean"],
            "from_inputs": ["raw_trips"],
            "to_outputs": ["zones"],
            "node_namespaces": ["eu"],
        },
        runner="ThreadRunner",
        params={},
        load_versions={"trips": "v1"},
        only_missing_outputs=True,
    )
    old_default = store.create_session({"env": "local"})
    store.update_session(
        old_default,
        pipeline="__default__",
        filters={},
        runner="SequentialRunner",
        load_versions=None,
        only_missing_outputs=False,
    )
    record = store.get_session(session_id)
    assert RunSelection.from_record(record) == RunSelection(
        pipeline_names=frozenset({"data_processing"}),
        tags=frozenset({"etl"}),
        node_names=frozenset({"clean"}),
        from_inputs=frozenset({"raw_trips"}),
        to_outputs=frozenset({"zones"}),
        namespaces=frozenset({"eu"}),
        load_versions={"trips": "v1"},
        only_missing_outputs=True,
        runner="thread",
    )
    assert RunSelection.from_record(store.get_session(old_default)) == RunSelection(
        runner="sequential"
    )


def test_a_new_record_is_written_with_kedros_spelling(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "sessions.db")
    session_id = store.create_session({"env": "local"})
    selection = RunSelection(
        pipeline_names=frozenset({"a", "b"}), namespaces=frozenset({"eu"}), runner="thread"
    )
    store.update_session(session_id, **selection.to_store())
    record = store.get_session(session_id)
    assert record.pipeline == "a,b"
    assert record.filters == {"namespaces": ["eu"]}
    assert record.extra["pipeline_names"] == ["a", "b"]
    assert RunSelection.from_record(record) == selection


def test_old_preset_keys_still_load() -> None:
    """Preset files written before RunSelection say ``pipeline`` and ``nodes``."""
    data = {"pipeline": "dp", "nodes": ["a"], "tags": [], "namespaces": ["eu"]}
    assert RunSelection.from_preset(data, "old.yml") == RunSelection(
        pipeline_names=frozenset({"dp"}),
        node_names=frozenset({"a"}),
        namespaces=frozenset({"eu"}),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tags": "etl"}, "p.yml: 'tags' must be a list of strings, not 'etl'"),
        ({"nodes": [True]}, "'nodes' must be a list of strings, not [True] (quote words"),
        ({"only_missing_outputs": "yes"}, "'only_missing_outputs' must be true or false"),
        ({"load_versions": ["a"]}, "'load_versions' must be a mapping of dataset names"),
        ({"runner": ["thread"]}, "'runner' must be a string"),
    ],
)
def test_a_bad_preset_value_names_the_file_and_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectionError) as caught:
        RunSelection.from_preset(data, "p.yml")
    assert message in str(caught.value)


def _identity(x: Any) -> Any:
    return x


def _pipelines() -> dict[str, Pipeline]:
    clean = node(_identity, "raw", "clean", name="clean", tags=["etl"])
    train = node(_identity, "clean", "model", name="train", namespace="ml")
    report = node(_identity, "model", "report", name="report")
    etl, ml = Pipeline([clean]), Pipeline([train, report])
    return {DEFAULT_PIPELINE: etl + ml, "etl": etl, "ml": ml}


def test_select_runs_the_union_of_the_pipelines_then_the_filters() -> None:
    pipelines = _pipelines()
    both = RunSelection(pipeline_names=frozenset({"etl", "ml"}))
    assert [n.name for n in both.select(pipelines).nodes] == ["clean", "ml.train", "report"]
    from_model = RunSelection(from_inputs=frozenset({"model"}))
    assert [n.name for n in from_model.select(pipelines).nodes] == ["report"]
    in_ml = RunSelection(pipeline_names=frozenset({"ml"}), namespaces=frozenset({"ml"}))
    assert [n.name for n in in_ml.select(pipelines).nodes] == ["ml.train"]


def test_select_refuses_an_unknown_pipeline_with_a_suggestion() -> None:
    with pytest.raises(
        UnknownPipelineError, match=r"Pipeline 'mll' is not registered\. Did you mean 'ml'"
    ):
        RunSelection(pipeline_names=frozenset({"etl", "mll"})).select(_pipelines())


def test_describe_toggle_and_filters() -> None:
    selection = RunSelection().toggle("tags", "etl").toggle("to_outputs", "model")
    assert selection.describe() == "tags etl; to outputs model"
    assert selection.toggle("tags", "etl").describe() == "to outputs model"
    assert RunSelection(runner="thread").is_empty()
    assert RunSelection(runner="thread", tags=frozenset({"a"})).only_filters() == RunSelection(
        tags=frozenset({"a"})
    )


def test_resume_command_is_quoted_and_keeps_every_filter() -> None:
    selection = RunSelection(
        pipeline_names=frozenset({"dp"}),
        from_nodes=frozenset({"train"}),
        from_inputs=frozenset({"raw trips"}),
    )
    command = resume_command(selection, env="prod", params={"a": {"b": 1}}, parent="S1")
    assert command == (
        "proj-tui run --env prod --params a.b=1 --pipeline dp --from-nodes train "
        "--from-inputs 'raw trips' --parent S1"
    )
