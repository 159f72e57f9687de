from __future__ import annotations

import pytest

from proj_tui.pipeline import OutputNotUniqueError, Pipeline, PipelineError, node, pipeline


def identity(x):
    return x


def train(data, lr):
    return data * lr


@pytest.fixture
def base() -> Pipeline:
    return Pipeline(
        [
            node(identity, "raw", "clean", name="prep", tags="prep"),
            node(train, ["clean", "params:model.lr"], "model", name="train"),
            node(identity, "model", "report", name="report"),
        ]
    )


def wiring(p: Pipeline) -> dict[str, tuple[list[str], list[str]]]:
    return {n.name: (n.inputs, n.outputs) for n in p.nodes}


def test_namespace_prefixes_nodes_datasets_and_params(base):
    p = pipeline(base, namespace="ds")
    assert wiring(p) == {
        "ds.prep": (["ds.raw"], ["ds.clean"]),
        "ds.train": (["ds.clean", "params:ds.model.lr"], ["ds.model"]),
        "ds.report": (["ds.model"], ["ds.report"]),
    }
    assert all(n.namespace == "ds" for n in p.nodes)
    assert p.nodes[0].short_name == "prep"


def test_mapped_inputs_and_outputs_are_not_prefixed(base):
    p = pipeline(base, namespace="ds", inputs={"raw": "shared_raw"}, outputs={"report"})
    assert wiring(p)["ds.prep"] == (["shared_raw"], ["ds.clean"])
    assert wiring(p)["ds.report"] == (["ds.model"], ["report"])
    assert p.inputs() == {"shared_raw", "params:ds.model.lr"}


def test_inputs_as_str_and_set(base):
    assert pipeline(base, namespace="x", inputs="raw").inputs() == {"raw", "params:x.model.lr"}
    assert pipeline(base, namespace="x", inputs={"raw"}).inputs() == {"raw", "params:x.model.lr"}


def test_mapped_parameters_escape_the_namespace(base):
    p = pipeline(base, namespace="ds", parameters={"params:model.lr": "params:ds_lr"})
    assert "params:ds_lr" in p.inputs()
    shared = pipeline(base, namespace="ds", parameters={"model": "model"})
    assert "params:model.lr" in shared.inputs()
    p = pipeline(base, parameters={"model": "other_model"})  # short form, prefix rename
    assert p.inputs() == {"raw", "params:other_model.lr"}


def test_nested_namespaces(base):
    p = pipeline(pipeline(base, namespace="inner"), namespace="outer")
    assert p.nodes[0].name == "outer.inner.prep"
    assert p.nodes[0].namespace == "outer.inner"
    assert p.inputs() == {"outer.inner.raw", "params:outer.inner.model.lr"}


def test_two_copies_do_not_clash(base):
    both = pipeline(base, namespace="a") + pipeline(base, namespace="b")
    assert len(both) == 6


def test_copies_without_namespace_clash(base):
    with pytest.raises(OutputNotUniqueError):
        pipeline(base, outputs={"report": "r"}) + pipeline(
            Pipeline([node(identity, "x", "r", name="other")])
        )


def test_tags_are_added(base):
    p = pipeline(base, tags="extra", namespace="n")
    assert all("extra" in n.tags for n in p.nodes)
    assert p.nodes[0].tags == {"prep", "extra"}


def test_accepts_a_list_of_nodes():
    p = pipeline([node(identity, "a", "b", name="n")], namespace="ns")
    assert p.nodes[0].name == "ns.n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": {"clean": "x"}}, "'clean' is written by a node of this pipeline"),
        ({"inputs": {"rawx": "x"}}, "'rawx' in inputs= is not an input.*Did you mean 'raw'"),
        ({"inputs": {"params:model.lr": "x"}}, "is a parameter; map it with parameters="),
        ({"outputs": {"raw": "x"}}, "'raw' in outputs= is a free input, not an output"),
        ({"outputs": {"nope": "x"}}, "'nope' in outputs= is not an output"),
        ({"parameters": {"model.lrr": "x"}}, "'params:model.lrr' in parameters= is not used"),
    ],
)
def test_bad_mappings_name_the_dataset(base, kwargs, message):
    with pytest.raises(PipelineError, match=message):
        pipeline(base, namespace="ns", **kwargs)


def test_bad_namespace(base):
    with pytest.raises(PipelineError, match=r"Namespace 'a b'"):
        pipeline(base, namespace="a b")
