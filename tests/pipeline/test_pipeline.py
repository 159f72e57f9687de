from __future__ import annotations

import cProfile
import pstats

import pytest

from proj_tui.pipeline import (
    CircularDependencyError,
    OutputNotUniqueError,
    Pipeline,
    PipelineError,
    node,
    pipeline,
)


def identity(x):
    return x


def combine(*args):
    return sum(args)


@pytest.fixture
def diamond() -> Pipeline:
    #   raw -> a -> (b, c) -> d
    return Pipeline(
        [
            node(identity, "b_out", "unused_sink", name="sink", tags="report"),
            node(combine, ["b_out", "c_out"], "d_out", name="d", tags=["model", "report"]),
            node(identity, "a_out", "c_out", name="c", tags="model"),
            node(identity, "a_out", "b_out", name="b"),
            node(identity, "raw", "a_out", name="a", tags="prep"),
        ]
    )


class TestStructure:
    def test_topological_order_is_levelled_and_sorted_by_name(self, diamond):
        assert [n.name for n in diamond.nodes] == ["a", "b", "c", "d", "sink"]
        assert [[n.name for n in level] for level in diamond.grouped_nodes] == [
            ["a"],
            ["b", "c"],
            ["d", "sink"],
        ]

    def test_order_is_deterministic_whatever_the_input_order(self, diamond):
        reversed_ = Pipeline(list(reversed(diamond.nodes)))
        assert reversed_.nodes == diamond.nodes

    def test_inputs_outputs_datasets(self, diamond):
        assert diamond.inputs() == {"raw"}
        assert diamond.outputs() == {"d_out", "unused_sink"}
        assert diamond.all_inputs() == {"raw", "a_out", "b_out", "c_out"}
        assert diamond.all_outputs() == {"a_out", "b_out", "c_out", "d_out", "unused_sink"}
        assert diamond.datasets() == diamond.all_inputs() | diamond.all_outputs()

    def test_node_dependencies(self, diamond):
        deps = {n.name: {p.name for p in ps} for n, ps in diamond.node_dependencies.items()}
        assert deps == {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "sink": {"b"}}

    def test_producer_and_consumers(self, diamond):
        assert diamond.producer_of("b_out").name == "b"
        assert diamond.producer_of("raw") is None
        assert {n.name for n in diamond.consumers_of("b_out")} == {"d", "sink"}

    def test_describe(self, diamond):
        text = diamond.describe()
        assert "Inputs: raw" in text
        assert "Outputs: d_out, unused_sink" in text
        assert text.index("\na\n") < text.index("\nd\n")

    def test_to_dict_is_json_ready(self, diamond):
        data = diamond.to_dict()
        first = data["nodes"][0]
        assert first["name"] == "a"
        assert first["inputs"] == ["raw"]
        assert first["source"][0] == __file__

    def test_pipeline_tags_are_added_to_every_node(self):
        p = Pipeline([node(identity, "a", "b", name="n", tags="own")], tags=["extra"])
        assert p.nodes[0].tags == {"own", "extra"}

    def test_rejects_non_nodes(self):
        with pytest.raises(PipelineError, match=r"built from nodes and pipelines"):
            Pipeline([identity])  # type: ignore[list-item]


class TestValidation:
    def test_two_nodes_writing_one_dataset(self):
        with pytest.raises(OutputNotUniqueError) as info:
            Pipeline(
                [node(identity, "a", "x", name="first"), node(identity, "b", "x", name="second")]
            )
        message = str(info.value)
        assert "'x'" in message and "'first'" in message and "'second'" in message

    def test_duplicate_names_of_different_nodes(self):
        with pytest.raises(PipelineError, match=r"Two different nodes are named 'n'"):
            Pipeline([node(identity, "a", "b", name="n"), node(identity, "c", "d", name="n")])

    def test_equal_nodes_are_deduplicated(self):
        p = Pipeline([node(identity, "a", "b"), node(identity, "a", "b")])
        assert len(p) == 1

    def test_cycle_names_the_nodes_on_it(self):
        nodes = [
            node(identity, "start", "x", name="outside"),
            node(combine, ["x", "c"], "a", name="n1"),
            node(identity, "a", "b", name="n2"),
            node(identity, "b", "c", name="n3"),
        ]
        with pytest.raises(CircularDependencyError) as info:
            Pipeline(nodes)
        message = str(info.value)
        for name in ("n1", "n2", "n3"):
            assert f"'{name}'" in message
        assert "outside" not in message
        assert "'n1' -[a]-> 'n2' -[b]-> 'n3' -[c]-> 'n1'" in message


class TestAlgebra:
    def test_sum_difference_and_or(self, diamond):
        extra = Pipeline([node(identity, "d_out", "final", name="final")])
        total = diamond + extra
        assert len(total) == 6
        assert total.nodes[-1].name == "final"
        assert (total - extra) == diamond
        assert (total & extra).nodes == extra.nodes
        assert (diamond | extra) == total
        assert sum([diamond, extra]) == total

    def test_sum_with_itself_dedupes(self, diamond):
        assert len(diamond + diamond) == len(diamond)

    def test_sum_detects_conflicts(self, diamond):
        with pytest.raises(OutputNotUniqueError, match=r"'a_out'"):
            diamond + Pipeline([node(identity, "other", "a_out", name="again")])


class TestFilters:
    def names(self, p: Pipeline) -> list[str]:
        return [n.name for n in p.nodes]

    def test_only_nodes(self, diamond):
        assert self.names(diamond.only_nodes("d", "a")) == ["a", "d"]

    def test_unknown_node_has_suggestion(self, diamond):
        with pytest.raises(PipelineError, match=r"no node named 'sinkk'. Did you mean 'sink'"):
            diamond.only_nodes("sinkk")

    def test_tags_match_any(self, diamond):
        assert self.names(diamond.only_nodes_with_tags("prep", "report")) == ["a", "d", "sink"]

    def test_from_and_to_nodes(self, diamond):
        assert self.names(diamond.from_nodes("b")) == ["b", "d", "sink"]
        assert self.names(diamond.to_nodes("d")) == ["a", "b", "c", "d"]

    def test_from_inputs_and_to_outputs(self, diamond):
        assert self.names(diamond.from_inputs("c_out")) == ["d"]
        assert self.names(diamond.to_outputs("c_out")) == ["a", "c"]
        with pytest.raises(PipelineError, match=r"no dataset 'rawx'. Did you mean 'raw'"):
            diamond.from_inputs("rawx")
        # Kedro: a known dataset that no node writes selects nothing (filter() then says so)
        assert len(diamond.to_outputs("raw")) == 0

    def test_filter_intersects(self, diamond):
        p = diamond.filter(from_nodes=["b"], to_nodes=["d"], tags=["model", "prep"])
        assert self.names(p) == ["d"]
        assert self.names(diamond.filter(node_names="b")) == ["b"]
        assert diamond.filter() is diamond
        assert len(diamond.filter(tags=["nope"])) == 0

    def test_namespaces(self):
        inner = Pipeline([node(identity, "a", "b", name="n")])
        p = pipeline(inner, namespace="outer.inner") + pipeline(inner, namespace="other")
        assert p.namespaces() == {"outer", "outer.inner", "other"}
        assert self.names(p.only_nodes_with_namespaces("outer")) == ["outer.inner.n"]
        assert self.names(p.filter(node_namespaces=["other"])) == ["other.n"]
        with pytest.raises(PipelineError, match=r"no namespace 'othr'. Did you mean 'other'"):
            p.only_nodes_with_namespaces("othr")


def test_large_pipeline_is_linear():
    """Build, sort and filter 1000 and 5000 nodes: the work grows linearly (no O(N²) step).

    Work is counted as function calls (cProfile's count is the same on every run, however busy
    the machine), so this cannot flake; benches/run_overhead.py measures the seconds.
    """

    def calls(size: int) -> int:
        nodes = [node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(size)]
        profile = cProfile.Profile()
        profile.enable()
        p = Pipeline(nodes)
        p.filter(from_nodes=[f"n{size // 10}"], to_nodes=[f"n{size - 10}"])
        p.from_inputs("d5")
        profile.disable()
        return pstats.Stats(profile).total_calls

    small, big = calls(1000), calls(5000)
    assert big < small * 6, (small, big)  # 5x the nodes: linear ~5x, quadratic ~25x
