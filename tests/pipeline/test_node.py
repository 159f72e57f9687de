from __future__ import annotations

import functools
import pickle
import re

import pytest

from proj_tui.pipeline import PipelineError, node


def identity(x):
    return x


def add(a, b):
    return a + b


def split(x):
    return x, x * 2


def as_dict(x):
    return {"low": x, "high": x * 10}


def constant():
    return 42


class TestCreation:
    def test_default_name_follows_kedro_1x_shape(self):
        # Kedro 1.x: "<function>__<8 hex digits>"; the description moved to str(node).
        assert re.fullmatch(r"add__[0-9a-f]{8}", node(add, ["a", "b"], "c").name)
        assert node(add, ["a", "b"], "c").name == node(add, ["a", "b"], "c").name
        assert node(add, ["a", "b"], "c").name != node(add, ["a", "b"], "d").name
        assert str(node(constant, None, "c")) == "constant(None) -> [c]"
        assert str(node(identity, "a", None)) == "identity([a]) -> None"

    def test_explicit_name_and_namespace(self):
        n = node(identity, "a", "b", name="copy", namespace="ns.inner")
        assert n.name == "ns.inner.copy"
        assert n.short_name == "copy"
        assert n.namespace == "ns.inner"

    def test_inputs_outputs_are_lists_in_order(self):
        n = node(add, {"b": "y", "a": "x"}, {"low": "l", "high": "h"})
        assert n.inputs == ["x", "y"]  # dict inputs follow the function's parameters
        assert n.outputs == ["l", "h"]
        assert n.input_spec == {"a": "x", "b": "y"}

    def test_params_inputs_are_plain_dataset_names(self):
        n = node(add, ["params:model.lr", "x"], "y")
        assert n.inputs == ["params:model.lr", "x"]

    @pytest.mark.parametrize("bad", ["has space", "a,b", "quote'", "", 'x"y'])
    def test_bad_node_names_are_rejected(self, bad):
        with pytest.raises(PipelineError, match=r"Node name .* is not valid"):
            node(identity, "a", "b", name=bad)

    def test_bad_tag_and_namespace_are_rejected(self):
        with pytest.raises(PipelineError, match=r"Tag 'a b' of node 'n'"):
            node(identity, "a", "b", name="n", tags=["ok", "a b"])
        with pytest.raises(PipelineError, match=r"Namespace"):
            node(identity, "a", "b", namespace="x y")

    def test_not_callable(self):
        with pytest.raises(PipelineError, match=r"callable"):
            node("nope", "a", "b")  # type: ignore[arg-type]

    def test_bad_inputs_type(self):
        with pytest.raises(PipelineError, match=r"must be None, a dataset name"):
            node(identity, 3, "b")  # type: ignore[arg-type]
        with pytest.raises(PipelineError, match=r"non-empty string"):
            node(identity, [""], "b")

    def test_duplicate_outputs(self):
        with pytest.raises(PipelineError, match=r"lists the output\(s\) \['b'\] more than once"):
            node(split, "a", ["b", "b"])

    def test_self_dependency(self):
        with pytest.raises(PipelineError, match=r"reads and writes the same dataset"):
            node(identity, "a", "a")

    def test_tags(self):
        n = node(identity, "a", "b", tags="t1")
        assert n.tags == frozenset({"t1"})
        tagged = n.tag(["t2", "t3"])
        assert tagged.tags == {"t1", "t2", "t3"}
        assert n.tags == {"t1"}


class TestIdentity:
    def test_immutable(self):
        n = node(identity, "a", "b")
        with pytest.raises(AttributeError):
            n.name = "x"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            n.inputs = []  # type: ignore[misc]
        n.inputs.append("sneaky")
        assert n.inputs == ["a"]

    def test_equal_by_content_and_hashable(self):
        a = node(identity, "a", "b")
        b = node(identity, "a", "b")
        c = node(identity, "a", "c")
        assert a == b and hash(a) == hash(b)
        assert a != c
        assert len({a, b, c}) == 2

    def test_pickle_round_trip(self):
        n = node(add, {"a": "x", "b": "y"}, "z", name="adder", tags="t", namespace="ns")
        back = pickle.loads(pickle.dumps(n))
        assert back == n
        assert back.tags == n.tags
        assert back.run({"x": 1, "y": 2}) == {"z": 3}

    def test_source_location(self):
        loc = node(identity, "a", "b").source_location
        assert loc is not None
        assert loc[0] == __file__
        assert loc[1] == identity.__code__.co_firstlineno
        partial_loc = node(functools.partial(add, 1), "a", "b").source_location
        assert partial_loc == (__file__, add.__code__.co_firstlineno)
        assert node(len, "a", "b").source_location is None


class TestRun:
    def test_single_list_dict_and_none_inputs(self):
        assert node(identity, "a", "b").run({"a": 1}) == {"b": 1}
        assert node(add, ["a", "b"], "c").run({"a": 1, "b": 2}) == {"c": 3}
        assert node(add, {"b": "x", "a": "y"}, "c").run({"x": "1", "y": "2"}) == {"c": "21"}
        assert node(constant, None, "c").run({}) == {"c": 42}
        with pytest.warns(UserWarning, match=r"declares no outputs"):
            assert node(identity, "a", None).run({"a": 1}) == {}

    def test_list_and_dict_outputs(self):
        assert node(split, "a", ["x", "y"]).run({"a": 2}) == {"x": 2, "y": 4}
        out = node(as_dict, "a", {"high": "h", "low": "l"}).run({"a": 1})
        assert out == {"h": 10, "l": 1}

    def test_missing_input_names_node(self):
        with pytest.raises(PipelineError, match=r"Node 'n' was run without its input\(s\) \['b'\]"):
            node(add, ["a", "b"], "c", name="n").run({"a": 1})

    def test_wrong_number_of_outputs(self):
        n = node(split, "a", ["x", "y", "z"], name="splitter")
        with pytest.raises(
            PipelineError, match=r"Node 'splitter' declares 3 outputs .* returned 2"
        ):
            n.run({"a": 1})

    def test_not_a_sequence_for_list_outputs(self):
        n = node(identity, "a", ["x", "y"], name="one")
        with pytest.raises(PipelineError, match=r"Node 'one' .* returned a int"):
            n.run({"a": 1})

    def test_dict_outputs_wrong_keys(self):
        n = node(as_dict, "a", {"low": "l", "mid": "m"}, name="d")
        with pytest.raises(PipelineError, match=r"missing \['mid'\]; unexpected \['high'\]"):
            n.run({"a": 1})
        with pytest.raises(PipelineError, match=r"returned a int"):
            node(identity, "a", {"k": "v"}, name="d2").run({"a": 1})

    def test_signature_mismatch_is_found_when_the_node_is_made(self):
        with pytest.raises(
            PipelineError, match=r"The inputs \['a'\] do not fit node function 'add'"
        ):
            node(add, ["a"], "c", name="short")

    def test_type_error_inside_function_is_kept(self):
        n = node(add, ["a", "b"], "c")
        with pytest.raises(TypeError, match=r"unsupported operand"):
            n.run({"a": 1, "b": "x"})
