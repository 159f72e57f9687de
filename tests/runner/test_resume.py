from __future__ import annotations

import json
from pathlib import Path

import pytest

from proj_tui.io import DataCatalog, JSONDataset
from proj_tui.pipeline import Pipeline, node
from proj_tui.runner import SequentialRunner, missing_outputs_plan, resume_suggestion


def inc(x):
    return x + 1


def add(a, b):
    return a + b


def report(x):
    return None


def json_catalog(tmp_path: Path, *names: str, **raw: object) -> DataCatalog:
    return DataCatalog(
        {name: JSONDataset(filepath=str(tmp_path / f"{name}.json")) for name in names},
        raw_data=raw,
    )


@pytest.fixture
def pipe() -> Pipeline:
    # raw -> A -> m1 (memory) -> B -> p1 (persisted) -> C -> m2 (memory) -> D -> out
    #                               \-> E (reads m1 and p1) -> e_out
    return Pipeline(
        [
            node(inc, "raw", "m1", name="A"),
            node(inc, "m1", "p1", name="B"),
            node(inc, "p1", "m2", name="C"),
            node(inc, "m2", "out", name="D"),
            node(add, ["m1", "p1"], "e_out", name="E"),
        ]
    )


class TestResumeSuggestion:
    def test_nothing_to_resume(self, pipe, tmp_path):
        assert resume_suggestion(pipe, json_catalog(tmp_path), pipe.nodes) is None

    def test_resume_from_the_failed_node_when_its_input_is_persisted(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", raw=1)
        assert resume_suggestion(pipe, catalog, ["A", "B", "E"]) == '--from-nodes "C"'

    def test_walks_up_through_memory_inputs(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", raw=1)
        # D failed: m2 was in memory, so C must run again; p1 is persisted, so stop there.
        assert resume_suggestion(pipe, catalog, ["A", "B", "C", "E"]) == '--from-nodes "C"'
        # E failed: it reads m1 (memory) -> A must rerun.
        assert resume_suggestion(pipe, catalog, ["A", "B", "C", "D"]) == '--from-nodes "A"'

    def test_several_independent_starts(self, tmp_path):
        pipe = Pipeline(
            [
                node(inc, "x", "x1", name="x_first"),
                node(inc, "x1", "x2", name="x_second"),
                node(inc, "y", "y1", name="y_first"),
                node(inc, "y1", "y2", name="y_second"),
            ]
        )
        catalog = json_catalog(tmp_path, "x1", x=1, y=1)
        suggestion = resume_suggestion(pipe, catalog, ["x_first", "y_first"])
        assert suggestion == '--from-nodes "y_first,x_second"'  # run order

    def test_default_names_are_quoted_for_the_shell(self, tmp_path):
        pipe = Pipeline([node(inc, "a", "b"), node(inc, "b", "c")])
        suggestion = resume_suggestion(pipe, json_catalog(tmp_path, a=1), [])
        assert suggestion == f'--from-nodes "{pipe.nodes[0].name}"'  # Kedro 1.x: inc__<hash>


class TestOnlyMissingOutputs:
    def names(self, p: Pipeline) -> list[str]:
        return [n.name for n in p.nodes]

    def test_first_run_runs_everything(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", "out", "e_out", raw=1)
        assert missing_outputs_plan(pipe, catalog) is pipe

    def test_second_run_skips_everything(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", "out", "e_out", raw=1)
        SequentialRunner().run(pipe, catalog)
        assert self.names(missing_outputs_plan(pipe, catalog)) == []
        assert SequentialRunner().run(pipe, catalog, only_missing_outputs=True) == {}

    def test_missing_output_reruns_producer_and_memory_parents(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", "out", "e_out", raw=1)
        SequentialRunner().run(pipe, catalog)
        (tmp_path / "out.json").unlink()
        # D must run; its input m2 is in memory, so C runs too; p1 exists, so B and A do not.
        assert self.names(missing_outputs_plan(pipe, catalog)) == ["C", "D"]
        SequentialRunner().run(pipe, catalog, only_missing_outputs=True)
        assert json.loads((tmp_path / "out.json").read_text()) == 5

    def test_upstream_that_runs_makes_downstream_run(self, pipe, tmp_path):
        catalog = json_catalog(tmp_path, "p1", "out", "e_out", raw=1)
        SequentialRunner().run(pipe, catalog)
        (tmp_path / "p1.json").unlink()
        # B must run (p1 missing) -> C, D, E are downstream of it; A feeds B from memory.
        assert self.names(missing_outputs_plan(pipe, catalog)) == ["A", "B", "C", "E", "D"]

    def test_nodes_without_outputs_always_run(self, tmp_path):
        pipe = Pipeline(
            [node(inc, "raw", "mem", name="make"), node(report, "mem", None, name="show")]
        )
        catalog = json_catalog(tmp_path, raw=1)
        assert self.names(missing_outputs_plan(pipe, catalog)) == ["make", "show"]
