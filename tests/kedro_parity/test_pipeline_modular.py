"""Kedro's pipeline and modular-pipeline tests (``tests/pipeline/test_pipeline.py``,
``test_modular_pipeline.py``, ``test_pipeline_namespaces.py``) against ``proj_tui.pipeline``.
Each test names the Kedro test it comes from."""

from __future__ import annotations

import pytest

from proj_tui.pipeline import (
    CircularDependencyError,
    OutputNotUniqueError,
    Pipeline,
    PipelineError,
    node,
    pipeline,
)


def identity(input1):
    return input1


def biconcat(input1, input2):
    return input1 + input2


def constant_output():
    return "output"


def names(p: Pipeline) -> set[str]:
    return {n.name for n in p.nodes}


@pytest.fixture
def branched() -> Pipeline:
    return Pipeline(
        [
            node(identity, "A", "B", name="node1"),
            node(identity, "B", "C", name="node2"),
            node(identity, "B", "D", name="node3", tags=["t"]),
            node(biconcat, ["C", "D"], "E", name="node4"),
        ]
    )


class TestValidPipeline:
    def test_nodes(self, branched):
        """test_pipeline.py::TestValidPipeline::test_nodes"""
        assert [n.name for n in branched.nodes] == ["node1", "node2", "node3", "node4"]

    def test_grouped_nodes(self, branched):
        """test_pipeline.py::TestValidPipeline::test_grouped_nodes"""
        assert [[n.name for n in g] for g in branched.grouped_nodes] == [
            ["node1"],
            ["node2", "node3"],
            ["node4"],
        ]

    def test_free_input_and_outputs(self, branched):
        """test_pipeline.py::TestValidPipeline::test_free_input / test_outputs"""
        assert branched.inputs() == {"A"}
        assert branched.outputs() == {"E"}
        assert branched.all_outputs() == {"B", "C", "D", "E"}

    def test_empty_case(self):
        """test_pipeline.py::TestValidPipeline::test_empty_case"""
        empty = Pipeline([])
        assert empty.nodes == [] and empty.inputs() == set() and empty.outputs() == set()

    def test_initialized_with_tags(self):
        """test_pipeline.py::TestValidPipeline::test_initialized_with_tags"""
        p = Pipeline([node(identity, "A", "B", tags=["node1", "p1"])], tags=["p1", "p2"])
        assert p.nodes[0].tags == {"node1", "p1", "p2"}

    def test_node_dependencies(self, branched):
        """test_pipeline.py::TestValidPipeline::test_node_dependencies"""
        deps = {n.name: {p.name for p in ps} for n, ps in branched.node_dependencies.items()}
        assert deps == {
            "node1": set(),
            "node2": {"node1"},
            "node3": {"node1"},
            "node4": {"node2", "node3"},
        }

    def test_pipeline_none_is_a_clear_error(self):
        """test_pipeline.py::TestInvalidPipeline::test_none_case"""
        with pytest.raises(ValueError, match=r"got None"):
            Pipeline(None)  # type: ignore[arg-type]

    def test_modular_pipeline_none_is_a_clear_error(self):
        """test_modular_pipeline.py::test_pipeline_none (Kedro: 'nodes' argument is None)"""
        with pytest.raises(ValueError, match=r"got None"):
            pipeline(None)  # type: ignore[arg-type]


class TestInvalidPipeline:
    def test_circle_case(self):
        """test_pipeline.py::TestInvalidPipeline::test_circle_case"""
        with pytest.raises(CircularDependencyError, match=r"circular dependency"):
            Pipeline([node(identity, "A", "B", name="x"), node(identity, "B", "A", name="y")])

    def test_circular_dependency_error_is_a_value_error(self):
        """Kedro's CircularDependencyError subclasses ValueError"""
        assert issubclass(CircularDependencyError, ValueError)
        assert issubclass(OutputNotUniqueError, ValueError)

    def test_unique_outputs(self):
        """test_pipeline.py::TestInvalidPipeline::test_duplicate_free_nodes"""
        with pytest.raises(OutputNotUniqueError, match=r"'B' is written by both"):
            Pipeline([node(identity, "A", "B", name="x"), node(identity, "C", "B", name="y")])

    def test_duplicate_node_names(self):
        """test_pipeline.py::TestInvalidPipeline::test_duplicate_node_confirms_and_names"""
        with pytest.raises(ValueError, match=r"Two different nodes are named 'same'"):
            Pipeline([node(identity, "A", "B", name="same"), node(identity, "C", "D", name="same")])

    def test_bad_combine_node(self):
        """test_pipeline.py::TestInvalidPipeline::test_bad_combine_node"""
        with pytest.raises(TypeError):
            Pipeline([node(identity, "A", "B")]) + node(identity, "B", "C")  # type: ignore[operator]

    def test_conflicting_names_on_add(self):
        """test_pipeline.py::TestInvalidPipeline::test_conflicting_names"""
        first = Pipeline([node(biconcat, ["input1", "input2"], "output1", name="a")])
        second = Pipeline([node(biconcat, ["input2", "input1"], "output1", name="a")])
        with pytest.raises(ValueError):
            first + second

    def test_not_a_list_of_nodes(self):
        """test_pipeline.py::TestInvalidPipeline::test_bad_node"""
        with pytest.raises(ValueError, match=r"not str"):
            Pipeline(["not a node"])  # type: ignore[list-item]


class TestPipelineOperators:
    def test_add_dedupes(self, branched):
        """test_pipeline.py::TestPipelineOperators::test_combine_add / test_combine_same_node"""
        assert len(branched + branched) == 4

    def test_sum_of_pipelines(self, branched):
        """test_pipeline.py::test_sum (pipelines summed with sum())"""
        assert len(sum([branched, Pipeline([node(identity, "E", "F", name="node5")])])) == 5

    def test_remove(self, branched):
        """test_pipeline.py::TestPipelineOperators::test_remove"""
        assert names(branched - Pipeline([branched.nodes[0]])) == {"node2", "node3", "node4"}

    def test_intersection(self, branched):
        """test_pipeline.py::TestPipelineOperators::test_intersection"""
        assert names(branched & Pipeline([branched.nodes[1]])) == {"node2"}

    def test_union(self, branched):
        """test_pipeline.py::TestPipelineOperators::test_union"""
        extra = Pipeline([node(identity, "E", "F", name="node5")])
        assert names(branched | extra) == {"node1", "node2", "node3", "node4", "node5"}


class TestPipelineFilters:
    def test_only_nodes(self, branched):
        """test_pipeline.py::TestPipelineFilterHelpers::test_only_nodes"""
        assert names(branched.only_nodes("node2", "node3")) == {"node2", "node3"}

    def test_only_nodes_unknown(self, branched):
        """test_pipeline.py::TestPipelineFilterHelpers::test_only_nodes_unknown"""
        with pytest.raises(ValueError, match=r"no node named 'node9'"):
            branched.only_nodes("node9")

    def test_only_nodes_with_tags(self, branched):
        """test_pipeline.py::test_only_nodes_with_tags"""
        assert names(branched.only_nodes_with_tags("t")) == {"node3"}

    def test_from_nodes(self, branched):
        """test_pipeline.py::test_from_nodes"""
        assert names(branched.from_nodes("node2")) == {"node2", "node4"}

    def test_to_nodes(self, branched):
        """test_pipeline.py::test_to_nodes"""
        assert names(branched.to_nodes("node2")) == {"node1", "node2"}

    def test_from_inputs(self, branched):
        """test_pipeline.py::test_from_inputs"""
        assert names(branched.from_inputs("D")) == {"node4"}

    def test_to_outputs(self, branched):
        """test_pipeline.py::test_to_outputs"""
        assert names(branched.to_outputs("C")) == {"node1", "node2"}

    def test_to_outputs_of_a_free_input_selects_nothing(self, branched):
        """test_pipeline.py::test_to_outputs (a known dataset no node writes)"""
        assert names(branched.to_outputs("A")) == set()

    def test_only_nodes_with_inputs_and_outputs(self, branched):
        """test_pipeline.py::test_only_nodes_with_inputs / test_only_nodes_with_outputs"""
        assert names(branched.only_nodes_with_inputs("B")) == {"node2", "node3"}
        assert names(branched.only_nodes_with_outputs("B")) == {"node1"}

    def test_filter_intersects(self, branched):
        """test_pipeline.py::TestPipelineFilter::test_filter"""
        assert names(branched.filter(from_nodes=["node2"], to_nodes=["node4"], tags=["t"])) == set()
        assert names(branched.filter(node_names=["node2", "node4"], from_inputs=["C"])) == {"node4"}


class TestNamespaces:
    @pytest.fixture
    def nested(self) -> Pipeline:
        inner = pipeline([node(identity, "a", "b", name="n")], namespace="inner")
        return pipeline([inner, node(identity, "b", "c", name="m")], namespace="outer")

    def test_only_nodes_with_namespaces(self, nested):
        """test_pipeline_namespaces.py::test_only_nodes_with_namespace"""
        assert names(nested.only_nodes_with_namespaces("outer.inner")) == {"outer.inner.n"}
        assert names(nested.only_nodes_with_namespaces("outer")) == {"outer.inner.n", "outer.m"}

    def test_only_nodes_with_unknown_namespace(self, nested):
        """test_pipeline_namespaces.py::test_only_nodes_with_namespace_unknown"""
        with pytest.raises(ValueError, match=r"no namespace 'other'"):
            nested.only_nodes_with_namespaces("other")

    def test_namespace_is_exact_not_a_prefix(self, nested):
        """Kedro 1.x: filtering by namespace matches whole levels, not string prefixes"""
        with pytest.raises(ValueError, match=r"no namespace 'out'"):
            nested.only_nodes_with_namespaces("out")

    def test_node_namespace_prefixes(self, nested):
        """test_node.py::test_namespace_prefixes (through pipeline())"""
        inner = next(n for n in nested.nodes if n.name == "outer.inner.n")
        assert inner.namespace_prefixes == ["outer", "outer.inner"]


class TestModularPipeline:
    def test_prefix_dataset_names(self):
        """test_modular_pipeline.py::test_prefix_dataset_names"""
        p = pipeline([node(identity, "A", "B", name="n")], namespace="PREFIX")
        assert p.nodes[0].inputs == ["PREFIX.A"]
        assert p.nodes[0].outputs == ["PREFIX.B"]
        assert p.nodes[0].name == "PREFIX.n"

    def test_prefixing_and_renaming(self):
        """test_modular_pipeline.py::test_prefixing_and_renaming"""
        p = pipeline([node(identity, "A", "B", name="n")], namespace="PREFIX", inputs={"A": "C"})
        assert p.nodes[0].inputs == ["C"]
        assert p.nodes[0].outputs == ["PREFIX.B"]

    @pytest.mark.parametrize("inputs", ["A", {"A"}, ["A"], {"A": "A"}])
    def test_prefix_exclude_free_inputs(self, inputs):
        """test_modular_pipeline.py::test_prefix_exclude_free_inputs"""
        p = pipeline([node(identity, "A", "B", name="n")], namespace="PREFIX", inputs=inputs)
        assert p.nodes[0].inputs == ["A"]

    def test_transform_params_prefix_and_parameters(self):
        """test_modular_pipeline.py::test_transform_params_prefix_and_parameters"""
        p = pipeline(
            [node(biconcat, ["params:x", "params:y"], "out", name="n")],
            namespace="PREFIX",
            parameters={"params:x": "params:new_x"},
        )
        assert p.nodes[0].inputs == ["params:new_x", "params:PREFIX.y"]

    def test_parameters_dict_is_never_namespaced(self):
        """test_modular_pipeline.py::test_parameters_left_intact_when_defined_as_str"""
        p = pipeline([node(biconcat, ["parameters", "A"], "B", name="n")], namespace="ds")
        assert p.nodes[0].inputs == ["parameters", "ds.A"]

    def test_parameters_dict_runs_after_namespacing(self):
        """The issue's case: pipeline(p, namespace="ds") with a 'parameters' input runs."""
        p = pipeline(
            [node(lambda params: params["lr"], "parameters", "lr", name="n")], namespace="ds"
        )
        assert p.nodes[0].run({"parameters": {"lr": 0.1}}) == {"ds.lr": 0.1}

    def test_prefix_datasets_with_namespace_false(self):
        """test_modular_pipeline.py::test_pipeline_with_prefix_datasets_with_namespace_false"""
        p = pipeline(
            [node(biconcat, ["A", "params:x"], "B", name="n")],
            namespace="ns",
            prefix_datasets_with_namespace=False,
        )
        assert p.nodes[0].name == "ns.n"
        assert p.nodes[0].inputs == ["A", "params:x"]
        assert p.nodes[0].outputs == ["B"]

    def test_prefix_datasets_false_still_maps(self):
        """...::test_pipeline_with_prefix_datasets_false_and_mappings"""
        p = pipeline(
            [node(identity, "A", "B", name="n")],
            namespace="ns",
            prefix_datasets_with_namespace=False,
            outputs={"B": "C"},
        )
        assert p.nodes[0].outputs == ["C"]

    def test_empty_input(self):
        """test_modular_pipeline.py::test_empty_input"""
        p = pipeline([node(constant_output, None, "A", name="n")], namespace="ns")
        assert p.nodes[0].outputs == ["ns.A"]

    def test_missing_dataset_name_no_suggestion(self):
        """test_modular_pipeline.py::test_missing_dataset_name_no_suggestion"""
        with pytest.raises(PipelineError, match=r"'Z' in inputs= is not an input"):
            pipeline([node(identity, "A", "B", name="n")], inputs={"Z": "X"})

    def test_missing_dataset_with_suggestion(self):
        """test_modular_pipeline.py::test_missing_dataset_with_suggestion"""
        with pytest.raises(ValueError, match=r"Did you mean 'raw_A1'"):
            pipeline([node(identity, "raw_A1", "B", name="n")], inputs={"raw_A2": "X"})

    def test_bad_outputs_mapping(self):
        """test_modular_pipeline.py::test_bad_outputs_mapping"""
        with pytest.raises(ValueError, match=r"'A' in outputs= is a free input"):
            pipeline([node(identity, "A", "B", name="n")], outputs={"A": "X"})

    def test_parameters_mapped_as_inputs(self):
        """test_modular_pipeline.py::test_parameters_specified_as_inputs"""
        with pytest.raises(ValueError, match=r"map it with parameters="):
            pipeline([node(identity, "params:x", "B", name="n")], inputs={"params:x": "params:y"})

    def test_non_existent_parameters_mapped(self):
        """test_modular_pipeline.py::test_non_existent_parameters_mapped"""
        with pytest.raises(ValueError, match=r"'params:z' in parameters= is not used"):
            pipeline(
                [node(identity, "params:x", "B", name="n")], parameters={"params:z": "params:y"}
            )

    def test_connect_existing_pipelines(self):
        """test_modular_pipeline.py::test_connect_existing_pipelines"""
        cook = pipeline([node(identity, "grilled", "food", name="eat")], inputs={"grilled": "meat"})
        prep = pipeline(
            [node(identity, "raw", "grilled", name="grill")], outputs={"grilled": "meat"}
        )
        assert names(cook + prep) == {"eat", "grill"}
        assert (cook + prep).inputs() == {"raw"}

    def test_reuse_same_pipeline_twice(self):
        """test_modular_pipeline.py::test_reuse_same_pipeline"""
        base = Pipeline([node(identity, "A", "B", name="n")])
        both = pipeline(base, namespace="one") + pipeline(base, namespace="two")
        assert names(both) == {"one.n", "two.n"}

    def test_tags_are_added(self):
        """test_modular_pipeline.py::test_pipeline_tags"""
        p = pipeline([node(identity, "A", "B", name="n", tags=["x"])], tags=["y"])
        assert p.nodes[0].tags == {"x", "y"}

    def test_confirms_follow_the_namespace(self):
        """test_modular_pipeline.py::test_node_confirms"""
        p = pipeline([node(identity, "A", "B", name="n", confirms="A")], namespace="ns")
        assert p.nodes[0].confirms == ["ns.A"]

    def test_default_node_names_survive_namespacing(self):
        """Kedro 1.x: a namespaced default name is '<namespace>.<function>__<hash>'"""
        p = pipeline([node(identity, "A", "B")], namespace="ns")
        assert p.nodes[0].name.startswith("ns.identity__")


class TestPipelineConstructorArguments:
    """Kedro 1.x moved the modular-pipeline arguments onto ``Pipeline`` itself
    (tests/pipeline/test_pipeline.py::TestPipelineNamespacing and test_modular_pipeline.py)."""

    def test_namespace(self):
        p = Pipeline([node(identity, "A", "B", name="n")], namespace="ns")
        assert p.nodes[0].name == "ns.n"
        assert p.nodes[0].inputs == ["ns.A"]

    def test_inputs_outputs_parameters(self):
        p = Pipeline(
            [node(biconcat, ["A", "params:x"], "B", name="n")],
            namespace="ns",
            inputs={"A": "raw"},
            outputs={"B": "out"},
            parameters={"x": "shared.x"},
        )
        assert p.nodes[0].inputs == ["raw", "params:shared.x"]
        assert p.nodes[0].outputs == ["out"]

    def test_prefix_datasets_with_namespace_false(self):
        p = Pipeline(
            [node(identity, "A", "B", name="n")],
            namespace="ns",
            prefix_datasets_with_namespace=False,
        )
        assert (p.nodes[0].name, p.nodes[0].inputs, p.nodes[0].outputs) == ("ns.n", ["A"], ["B"])

    def test_same_as_pipeline_function(self):
        nodes = [node(identity, "A", "B", name="n"), node(identity, "B", "C", name="m")]
        assert Pipeline(nodes, namespace="ns", tags=["t"]) == pipeline(
            nodes, namespace="ns", tags=["t"]
        )

    def test_bad_mapping_is_an_error(self):
        with pytest.raises(ValueError, match=r"'Z' in inputs= is not an input"):
            Pipeline([node(identity, "A", "B", name="n")], inputs={"Z": "Y"})

    def test_nested_namespaces(self):
        inner = Pipeline([node(identity, "A", "B", name="n")], namespace="inner")
        outer = Pipeline([inner], namespace="outer")
        assert outer.nodes[0].name == "outer.inner.n"
        assert outer.nodes[0].inputs == ["outer.inner.A"]
