"""Plan preview and node filtering, on node lists shaped like `pipelines describe --json`."""

from __future__ import annotations

from pathlib import Path

from proj_tui.tui.model import (
    NodeInfo,
    ProjectDescription,
    RunFilters,
    describe_pipelines,
)


def plan(nodes: list[NodeInfo], selection: RunFilters) -> list[NodeInfo]:
    return selection.plan(nodes)


def unknown_names(nodes: list[NodeInfo], selection: RunFilters) -> list[tuple[str, list[str]]]:
    return selection.unknown_names(nodes)


def _node(name: str, ins: list[str], outs: list[str], tags: list[str] = (), ns: str | None = None):  # type: ignore[assignment]
    return NodeInfo.from_json(
        {
            "name": name,
            "namespace": ns,
            "func": f"m.{name}",
            "source": f"/p/src/m.py:{len(name)}",
            "inputs": ins,
            "outputs": outs,
            "tags": list(tags),
        }
    )


CHAIN = [
    _node("ingest", ["raw"], ["typed"], ["etl"]),
    _node("clean", ["typed", "params:c"], ["clean"], ["etl"]),
    _node("a.train", ["clean"], ["a.model"], ["train"], ns="a"),
    _node("b.train", ["clean"], ["b.model"], ["train"], ns="b"),
    _node("report", ["a.model", "b.model"], ["report"], ["report"]),
]


def names(nodes: list[NodeInfo]) -> list[str]:
    return [n.name for n in nodes]


def test_no_filters_is_the_whole_pipeline_in_run_order() -> None:
    assert names(plan(CHAIN, RunFilters())) == [n.name for n in CHAIN]


def test_filters_intersect_like_session_run() -> None:
    f = RunFilters(tags=frozenset({"etl", "train"}))
    assert names(plan(CHAIN, f)) == ["ingest", "clean", "a.train", "b.train"]
    f = RunFilters(tags=frozenset({"train"}), namespaces=frozenset({"a"}))
    assert names(plan(CHAIN, f)) == ["a.train"]


def test_from_and_to_nodes_follow_the_data() -> None:
    assert names(plan(CHAIN, RunFilters(from_nodes=frozenset({"a.train"})))) == [
        "a.train",
        "report",
    ]
    assert names(plan(CHAIN, RunFilters(to_nodes=frozenset({"a.train"})))) == [
        "ingest",
        "clean",
        "a.train",
    ]
    both = RunFilters(from_nodes=frozenset({"clean"}), to_nodes=frozenset({"b.train"}))
    assert names(plan(CHAIN, both)) == ["clean", "b.train"]


def test_from_inputs_and_to_outputs_follow_the_data_like_pipeline_filter() -> None:
    from proj_tui.pipeline import Pipeline, node

    assert names(plan(CHAIN, RunFilters(from_inputs=frozenset({"clean"})))) == [
        "a.train",
        "b.train",
        "report",
    ]
    assert names(plan(CHAIN, RunFilters(to_outputs=frozenset({"typed"})))) == ["ingest"]
    both = RunFilters(from_inputs=frozenset({"typed"}), to_outputs=frozenset({"a.model"}))
    assert names(plan(CHAIN, both)) == ["clean", "a.train"]
    # the same answers as the engine's own filter on the same graph
    real = Pipeline([node(lambda *a: a[0], n.inputs, n.outputs, name=n.name) for n in CHAIN])
    for filters in (both, RunFilters(from_inputs=frozenset({"clean"}))):
        kwargs = filters.pipeline_filter_kwargs()
        assert names(plan(CHAIN, filters)) == [n.name for n in real.filter(**kwargs).nodes]


def test_unknown_names_use_the_same_namespace_rule_as_the_plan() -> None:
    nested = [*CHAIN, _node("eu.a.score", ["a.model"], ["eu.score"], ns="eu.a")]
    filters = RunFilters(
        node_names=frozenset({"clean", "old"}),
        from_nodes=frozenset({"gone"}),
        namespaces=frozenset({"eu", "eu.a", "e", "c"}),  # a parent selects; a prefix does not
    )
    assert unknown_names(nested, filters) == [
        ("nodes", ["gone", "old"]),
        ("namespaces", ["c", "e"]),
    ]
    assert names(plan(nested, RunFilters(namespaces=frozenset({"eu"})))) == ["eu.a.score"]
    assert names(plan(nested, RunFilters(namespaces=frozenset({"e"})))) == []
    assert unknown_names(nested, RunFilters(tags=frozenset({"nope"}))) == []


def test_toggle_adds_then_removes() -> None:
    f = RunFilters().toggle("tags", "etl")
    assert f.tags == {"etl"} and "tags etl" in f.describe()
    assert f.toggle("tags", "etl").is_empty()


def test_filter_text_matches_name_tag_and_dataset() -> None:
    clean = CHAIN[1]
    assert clean.matches("cle") and clean.matches("etl") and clean.matches("params:c")
    assert clean.matches("tag:et") and not clean.matches("tag:clean")
    assert clean.matches("ds:typed") and not clean.matches("ds:report")


def test_source_is_shown_relative_to_the_project() -> None:
    assert CHAIN[0].source_relative_to(Path("/p")) == "src/m.py:6"
    assert CHAIN[0].source_relative_to(Path("/elsewhere")) == "/p/src/m.py:6"


def test_describe_json_with_errors() -> None:
    desc = ProjectDescription.from_json(
        {
            "project": {},
            "pipelines": {"z": {"nodes": []}, "__default__": {"nodes": []}},
            "errors": [{"message": "boom", "location": "src/x.py:3:1"}],
        }
    )
    assert desc.pipeline_names() == ["__default__", "z"]
    assert str(desc.errors[0]) == "src/x.py:3:1: boom"


def test_describe_the_real_demo(taxi: Path) -> None:
    desc = describe_pipelines(taxi)
    assert not desc.errors
    assert "__default__" in desc.pipelines and len(desc.pipelines["__default__"]) > 5
    first = desc.pipelines["__default__"][0]
    assert first.source and first.source_relative_to(taxi).startswith("src/")


def test_describe_reports_a_broken_pipeline_with_its_file(taxi: Path) -> None:
    pipeline = next((taxi / "src").glob("*/pipelines/data_science/pipeline.py"))
    pipeline.write_text(pipeline.read_text() + "\nthis is not python\n")
    desc = describe_pipelines(taxi)
    assert desc.errors
    assert "pipeline.py" in str(desc.errors[0])


def test_describe_survives_a_missing_cli(tmp_path: Path) -> None:
    desc = describe_pipelines(tmp_path, cli=[str(tmp_path / "no-such-cli")])
    assert desc.errors and "Could not describe" in desc.errors[0].message
