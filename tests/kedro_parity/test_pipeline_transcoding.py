"""Kedro's transcoding tests (``tests/pipeline/test_pipeline_with_transcoding.py``) against
``proj_tui.pipeline``: ``B@pandas`` and ``B@spark`` are one dataset ``B`` read and written through
two types, so the graph links them. Each test names the Kedro test it comes from."""

from __future__ import annotations

from itertools import chain

import pytest

from proj_tui.pipeline import (
    CircularDependencyError,
    OutputNotUniqueError,
    Pipeline,
    node,
    pipeline,
)
from proj_tui.pipeline.node import strip_transcoding


def constant_output():
    return "output"


def identity(input1):
    return input1


def biconcat(input1, input2):
    return input1 + input2


def triconcat(input1, input2, input3):
    return input1 + input2 + input3


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


TRANSCODED_NAMES = {
    "nodes": [
        node(identity, "A", "B@pandas", name="node1"),
        node(identity, "B@pandas", "C", name="node2"),
        node(identity, "B@spark", "D", name="node3"),
    ],
    "groups": [{"node1"}, {"node2", "node3"}],
    "free_inputs": {"A"},
    "outputs": {"C", "D"},
}
TRANSCODED_FREE_INPUT = {
    "nodes": [
        node(identity, "B@pandas", "C", name="node1"),
        node(identity, "C", "D", name="node2"),
    ],
    "groups": [{"node1"}, {"node2"}],
    "free_inputs": {"B@pandas"},
    "outputs": {"D"},
}
DUPLICATE_TRANSCODED_INPUTS = {
    "nodes": [
        node(identity, "A", "B@pandas", name="node1"),
        node(biconcat, ["B@spark", "B@pandas"], "C", name="node2"),
    ],
    "groups": [{"node1"}, {"node2"}],
    "free_inputs": {"A"},
    "outputs": {"C"},
}
CASES = [TRANSCODED_NAMES, TRANSCODED_FREE_INPUT, DUPLICATE_TRANSCODED_INPUTS]
IDS = ["transcoded_names", "transcoded_free_input", "duplicate_transcoded_inputs"]


@pytest.fixture
def complex_pipeline() -> Pipeline:
    """Kedro's TestComplexPipelineWithTranscoding graph: 10 nodes, H and B transcoded."""
    return pipeline(
        [
            node(triconcat, ["H@node1", "I", "M"], "N", name="node1"),
            node(identity, "H@node2", "I", name="node2"),
            node(identity, "F", ["G", "M"], name="node3"),
            node(identity, "E", ["F", "H@node4"], name="node4"),
            node(identity, "D", None, name="node5"),
            node(identity, "C", "D", name="node6"),
            node(identity, "B@node7", ["C", "E"], name="node7"),
            node(identity, "A", ["B@node8", "L"], name="node8"),
            node(constant_output, None, "A", name="node9"),
            node(identity, "B@node10", None, name="node10"),
        ]
    )


class TestValidPipeline:
    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_grouped_nodes(self, case):
        """test_pipeline_with_transcoding.py::TestValidPipeline::test_grouped_nodes"""
        p = pipeline(case["nodes"])
        grouped = p.grouped_nodes
        assert p.nodes == list(chain.from_iterable(grouped))
        assert [{n.name for n in g} for g in grouped] == case["groups"]

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_free_input(self, case):
        """test_pipeline_with_transcoding.py::TestValidPipeline::test_free_input"""
        assert pipeline(case["nodes"]).inputs() == case["free_inputs"]

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_outputs(self, case):
        """test_pipeline_with_transcoding.py::TestValidPipeline::test_outputs"""
        assert pipeline(case["nodes"]).outputs() == case["outputs"]

    @pytest.mark.parametrize("case", CASES, ids=IDS)
    def test_pipeline_to_json(self, case):
        """test_pipeline_with_transcoding.py::TestValidPipeline::test_pipeline_to_json"""
        described = pipeline(case["nodes"]).to_dict()
        listed = {n["name"]: n for n in described["nodes"]}
        for n in case["nodes"]:
            assert listed[n.name]["inputs"] == n.inputs
            assert listed[n.name]["outputs"] == n.outputs


class TestInvalidPipeline:
    def test_transcoded_inputs_outputs(self):
        """test_pipeline_with_transcoding.py::TestInvalidPipeline::test_transcoded_inputs_outputs"""
        with pytest.raises(ValueError, match=r"'B' are used with a transcoding suffix"):
            pipeline(
                [
                    node(identity, "A", "B", name="node1"),
                    node(identity, "B@pandas", "C", name="node2"),
                    node(identity, "B@spark", "D", name="node3"),
                    node(biconcat, ["A", "D"], "E", name="node4"),
                ]
            )

    def test_duplicates_in_transcoded_outputs(self):
        """test_pipeline_with_transcoding.py::TestInvalidPipeline::test_duplicates_in_transcoded_outputs"""
        with pytest.raises(OutputNotUniqueError, match=r"'B' is written by both"):
            pipeline(
                [
                    node(identity, "A", "B@pandas", name="node1"),
                    node(identity, "A", "B@spark", name="node2"),
                ]
            )

    def test_transcoded_cycle_is_detected(self):
        """test_pipeline.py::TestInvalidPipeline::test_circle_case (with transcoded names)"""
        with pytest.raises(CircularDependencyError, match=r"circular dependency"):
            Pipeline(
                [
                    node(identity, "A@pandas", "B", name="one"),
                    node(identity, "B", "A@spark", name="two"),
                ]
            )

    def test_node_reading_its_own_transcoded_output(self):
        """test_node.py::test_bad_node (input_same_as_output, transcoded, Kedro 0.19+)"""
        with pytest.raises(ValueError, match=r"transcoded names count as one"):
            node(identity, "A@pandas", "A@spark")


class TestComplexPipelineWithTranscoding:
    def test_from_nodes_transcoded_names(self, complex_pipeline):
        """...::TestComplexPipelineWithTranscoding::test_from_nodes_transcoded_names"""
        assert names(complex_pipeline.from_nodes("node8")) == {
            f"node{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 10)
        }

    def test_to_nodes_transcoded_names(self, complex_pipeline):
        """...::test_to_nodes_transcoded_names"""
        assert names(complex_pipeline.to_nodes("node7")) == {"node7", "node8", "node9"}

    def test_only_nodes_with_inputs(self, complex_pipeline):
        """...::test_only_nodes_with_inputs"""
        assert names(complex_pipeline.only_nodes_with_inputs("H@node2")) == {"node2"}

    def test_only_nodes_with_inputs_transcoded_name(self, complex_pipeline):
        """...::test_only_nodes_with_inputs_transcoded_name"""
        assert names(complex_pipeline.only_nodes_with_inputs("H")) == {"node1", "node2"}

    def test_only_nodes_with_inputs_duplicate_transcoded_names(self, complex_pipeline):
        """...::test_only_nodes_with_inputs_duplicate_transcoded_names"""
        assert names(complex_pipeline.only_nodes_with_inputs("H", "H@node1")) == names(
            complex_pipeline.only_nodes_with_inputs("H")
        )

    def test_only_nodes_with_inputs_inexistent_inputs(self, complex_pipeline):
        """...::test_only_nodes_with_inputs_inexistent_inputs"""
        with pytest.raises(ValueError, match=r"no dataset 'Z'"):
            complex_pipeline.only_nodes_with_inputs("Z")

    def test_from_inputs(self, complex_pipeline):
        """...::test_from_inputs"""
        assert names(complex_pipeline.from_inputs("H@node1")) == {"node1"}
        assert names(complex_pipeline.from_inputs("H@node2")) == {"node1", "node2"}

    def test_from_inputs_traverses_transcoded(self, complex_pipeline):
        """...::test_from_inputs_traverses_transcoded"""
        assert names(complex_pipeline.from_inputs("E")) == {"node4", "node3", "node2", "node1"}

    def test_from_inputs_traverses_transcoded_on_correct_branch(self, complex_pipeline):
        """...::test_from_inputs_traverses_transcoded_on_correct_branch"""
        assert names(complex_pipeline.from_inputs("B@node7", "L")) == {
            f"node{i}" for i in range(1, 8)
        }

    def test_from_inputs_transcode_compatible_name(self, complex_pipeline):
        """...::test_from_inputs_transcode_compatible_name"""
        assert names(complex_pipeline.from_inputs("H")) == {"node1", "node2"}

    def test_from_inputs_duplicate_transcoded_names(self, complex_pipeline):
        """...::test_from_inputs_duplicate_transcoded_names"""
        assert names(complex_pipeline.from_inputs("H", "H@node4")) == names(
            complex_pipeline.from_inputs("H")
        )

    def test_from_inputs_inexistent_inputs(self, complex_pipeline):
        """...::test_from_inputs_inexistent_inputs"""
        with pytest.raises(ValueError, match=r"no dataset 'Z'"):
            complex_pipeline.from_inputs("Z")

    def test_only_nodes_with_outputs(self, complex_pipeline):
        """...::test_only_nodes_with_outputs"""
        assert names(complex_pipeline.only_nodes_with_outputs("H@node4")) == {"node4"}
        assert names(complex_pipeline.only_nodes_with_outputs("H@node2")) == set()

    def test_only_nodes_with_outputs_transcode_compatible_name(self, complex_pipeline):
        """...::test_only_nodes_with_outputs_transcode_compatible_name"""
        assert names(complex_pipeline.only_nodes_with_outputs("H")) == {"node4"}

    def test_only_nodes_with_outputs_duplicate_transcoded_names(self, complex_pipeline):
        """...::test_only_nodes_with_outputs_duplicate_transcoded_names"""
        assert names(complex_pipeline.only_nodes_with_outputs("H", "H@node4")) == names(
            complex_pipeline.only_nodes_with_outputs("H")
        )

    def test_only_nodes_with_outputs_inexistent_outputs(self, complex_pipeline):
        """...::test_only_nodes_with_outputs_inexistent_outputs"""
        with pytest.raises(ValueError, match=r"no dataset 'Z'"):
            complex_pipeline.only_nodes_with_outputs("Z")

    def test_to_outputs(self, complex_pipeline):
        """...::test_to_outputs"""
        assert names(complex_pipeline.to_outputs("H@node4")) == {
            "node4",
            "node7",
            "node8",
            "node9",
        }
        assert names(complex_pipeline.to_outputs("H@node2")) == set()

    def test_to_outputs_traverses_transcoded(self, complex_pipeline):
        """...::test_to_outputs_traverses_transcoded"""
        assert names(complex_pipeline.to_outputs("H@node4", "D")) == {
            "node4",
            "node6",
            "node7",
            "node8",
            "node9",
        }

    def test_to_outputs_transcoded_name(self, complex_pipeline):
        """...::test_to_outputs_transcoded_name"""
        assert names(complex_pipeline.to_outputs("H")) == {"node4", "node7", "node8", "node9"}

    def test_to_outputs_duplicate_transcoded_names(self, complex_pipeline):
        """...::test_to_outputs_duplicate_transcoded_names"""
        assert names(complex_pipeline.to_outputs("H", "H@node4")) == names(
            complex_pipeline.to_outputs("H")
        )

    def test_to_outputs_inexistent_outputs(self, complex_pipeline):
        """...::test_to_outputs_inexistent_outputs"""
        with pytest.raises(ValueError, match=r"no dataset 'Z'"):
            complex_pipeline.to_outputs("Z")

    def test_dependencies_link_transcoded_forms(self, complex_pipeline):
        """test_pipeline.py::test_node_dependencies (on the transcoded graph)"""
        deps = {
            n.name: {p.name for p in ps} for n, ps in complex_pipeline.node_dependencies.items()
        }
        assert deps["node7"] == {"node8"}  # B@node7 is written as B@node8
        assert deps["node10"] == {"node8"}
        assert deps["node1"] == {"node2", "node3", "node4"}


class TestGetTranscodeCompatibleName:
    def test_get_transcode_compatible_name(self):
        """...::TestGetTranscodeCompatibleName::test_get_transcode_compatible_name"""
        assert strip_transcoding("mydata@pandas") == "mydata"

    def test_get_transcode_compatible_name_no_separator(self):
        """...::test_get_transcode_compatible_name_no_separator"""
        assert strip_transcoding("mydata") == "mydata"

    def test_get_transcode_compatible_name_multiple_separators(self):
        """...::test_get_transcode_compatible_name_multiple_separators"""
        with pytest.raises(ValueError, match=r"more than one '@'"):
            strip_transcoding("mydata@formA@formB")


class TestTranscodingInModularPipelines:
    """tests/pipeline/test_modular_pipeline.py::test_transcoding (namespaces and mappings)"""

    def test_namespace_prefixes_the_dataset_not_the_suffix(self):
        p = pipeline([node(identity, "A@pandas", "B@spark", name="n")], namespace="ns")
        assert p.nodes[0].inputs == ["ns.A@pandas"]
        assert p.nodes[0].outputs == ["ns.B@spark"]

    def test_mapping_a_dataset_maps_all_its_forms(self):
        p = pipeline(
            [node(identity, "A@pandas", "B", name="n1"), node(identity, "A@spark", "C", name="n2")],
            inputs={"A": "raw"},
            namespace="ns",
        )
        assert sorted(ds for n in p.nodes for ds in n.inputs) == ["raw@pandas", "raw@spark"]
