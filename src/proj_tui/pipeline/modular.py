"""Modular pipelines: reuse one pipeline several times under different namespaces.

``pipeline(p, namespace="ns")`` prefixes node names and dataset names with ``ns.`` so two
copies never clash, except the datasets you map (``inputs``/``outputs``) which connect the
copy to the outside world, and parameters, which get the namespace unless mapped in ``parameters``.
Kedro 1.x takes the same arguments on ``Pipeline`` itself; both share ``_namespacing``.
"""

from __future__ import annotations

from collections.abc import Iterable

from proj_tui.pipeline._namespacing import Mapping_
from proj_tui.pipeline.errors import PipelineError
from proj_tui.pipeline.node import Node, TagsSpec
from proj_tui.pipeline.pipeline import Pipeline


def pipeline(
    pipe: Pipeline | Iterable[Node | Pipeline],
    *,
    inputs: Mapping_ = None,
    outputs: Mapping_ = None,
    parameters: Mapping_ = None,
    tags: TagsSpec = None,
    namespace: str | None = None,
    prefix_datasets_with_namespace: bool = True,
) -> Pipeline:
    """Copy ``pipe`` with names prefixed by ``namespace`` and mapped names swapped.

    ``inputs`` maps free inputs of ``pipe``, ``outputs`` maps datasets its nodes write and
    ``parameters`` maps ``params:`` inputs; a name that is not there is an error naming it.
    ``prefix_datasets_with_namespace=False`` puts only the nodes in the namespace and leaves
    every dataset and parameter name as it is (Kedro 1.x).
    """
    if pipe is None:
        raise PipelineError(
            "pipeline() needs a Pipeline or a list of nodes, got None. Did the function that "
            "builds the pipeline forget to return it?"
        )
    if isinstance(pipe, Pipeline) and not (inputs or outputs or parameters or namespace or tags):
        return pipe
    return Pipeline(
        pipe if isinstance(pipe, Pipeline) else list(pipe),
        inputs=inputs,
        outputs=outputs,
        parameters=parameters,
        tags=tags,
        namespace=namespace,
        prefix_datasets_with_namespace=prefix_datasets_with_namespace,
    )
