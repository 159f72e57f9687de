"""The renaming behind modular pipelines: namespaces, mapped inputs/outputs and parameters.

Kept apart from ``Pipeline`` so both ``Pipeline(nodes, namespace=...)`` (Kedro 1.x) and
``pipeline(...)`` use one implementation; it works on any graph that lists its datasets, so it
needs no import of ``Pipeline``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from proj_tui.errors import did_you_mean
from proj_tui.pipeline.errors import PipelineError
from proj_tui.pipeline.node import Node, TagsSpec, _check_name, _parse_tags, strip_transcoding

_PARAMS = "params:"
_ALL_PARAMS = "parameters"

Mapping_ = str | Iterable[str] | Mapping[str, str] | None


class _Graph(Protocol):
    @property
    def nodes(self) -> list[Node]: ...
    def inputs(self) -> set[str]: ...
    def all_outputs(self) -> set[str]: ...
    def datasets(self) -> set[str]: ...


def _is_param(name: str) -> bool:
    return name == _ALL_PARAMS or name.startswith(_PARAMS)


def _as_mapping(value: Mapping_, what: str) -> dict[str, str]:
    """``"a"`` and ``{"a"}`` keep the name as is; a dict renames."""
    if value is None:
        return {}
    if isinstance(value, str):
        result = {value: value}
    elif isinstance(value, Mapping):
        result = dict(value)
    else:
        result = {name: name for name in value}
    for key, new in result.items():
        if not isinstance(key, str) or not isinstance(new, str) or not key or not new:
            raise PipelineError(
                f"The {what} mapping {key!r} -> {new!r} is not valid; names must be non-empty "
                "strings."
            )
    return result


def _as_params(value: Mapping_) -> dict[str, str]:
    """Accept ``"x"`` or ``"params:x"`` on either side; store the ``params:`` form."""

    def full(name: str) -> str:
        return name if _is_param(name) else _PARAMS + name

    return {full(k): full(v) for k, v in _as_mapping(value, "parameters").items()}


def wants_renaming(
    inputs: Mapping_, outputs: Mapping_, parameters: Mapping_, namespace: str | None
) -> bool:
    """Whether any of Kedro's modular-pipeline arguments asks for a change."""
    return bool(inputs or outputs or parameters or namespace is not None)


def renamed_nodes(
    base: _Graph,
    *,
    inputs: Mapping_ = None,
    outputs: Mapping_ = None,
    parameters: Mapping_ = None,
    tags: TagsSpec = None,
    namespace: str | None = None,
    prefix_datasets_with_namespace: bool = True,
) -> list[Node] | None:
    """The nodes of ``base`` with names prefixed by ``namespace`` and mapped names swapped;
    None when nothing is to be renamed (tags aside). Mapping a name that is not there is an
    error naming it."""
    in_map = _as_mapping(inputs, "inputs")
    out_map = _as_mapping(outputs, "outputs")
    param_map = _as_params(parameters)
    if namespace is not None:
        _check_name("Namespace", namespace, " given to pipeline()")

    _check_mappings(base, in_map, out_map, param_map)
    if not (in_map or out_map or param_map or namespace):
        return None

    mapping = {**in_map, **out_map}
    extra_tags = _parse_tags(tags, where=" given to pipeline()")
    prefix = f"{namespace}." if namespace and prefix_datasets_with_namespace else ""
    cache: dict[str, str] = {}

    def rename(name: str) -> str:
        new = cache.get(name)
        if new is not None:
            return new
        if name in mapping:
            new = mapping[name]
        elif name == _ALL_PARAMS:
            new = name  # the whole parameters dict has no namespace to take
        elif _is_param(name):
            new = _rename_param(name, param_map, prefix)
        elif "@" in name:
            # a transcoded name follows its dataset: B@pandas maps with B
            base_name, _, suffix = name.partition("@")
            new = f"{rename(base_name)}@{suffix}"
        else:
            new = prefix + name
        cache[name] = new
        return new

    nodes = []
    for n in base.nodes:
        ns = n._namespace
        if namespace:
            ns = f"{namespace}.{ns}" if ns else namespace
        nodes.append(
            n._replace(
                inputs=tuple(rename(ds) for ds in n._inputs),
                outputs=tuple(rename(ds) for ds in n._outputs),
                confirms=tuple(rename(ds) for ds in n._confirms),
                namespace=ns,
                tags=n._tags | extra_tags if extra_tags else None,
            )
        )
    return nodes


def _rename_param(name: str, param_map: dict[str, str], prefix: str) -> str:
    """Exact match first, then the longest mapped parent (``params:a`` renames ``params:a.b``).

    Unmapped parameters get the namespace, as in Kedro 0.19+: ``params:lr`` in namespace ``ds``
    reads ``params:ds.lr``, so each instance of a modular pipeline has its own parameters.
    """
    if name in param_map:
        return param_map[name]
    key = name
    while "." in key:
        key = key.rpartition(".")[0]
        if key in param_map:
            return param_map[key] + name[len(key) :]
    return _PARAMS + prefix + name[len(_PARAMS) :]


def _check_mappings(
    base: _Graph,
    in_map: dict[str, str],
    out_map: dict[str, str],
    param_map: dict[str, str],
) -> None:
    problems: list[str] = []
    # a mapping names a dataset, not one of its transcoded forms
    free_inputs = {strip_transcoding(ds) for ds in base.inputs()}
    all_outputs = {strip_transcoding(ds) for ds in base.all_outputs()}
    known = {strip_transcoding(ds) for ds in base.datasets()}
    for name in in_map:
        if _is_param(name):
            problems.append(f"'{name}' is a parameter; map it with parameters=, not inputs=")
        elif strip_transcoding(name) in free_inputs:
            continue
        elif strip_transcoding(name) in all_outputs:
            problems.append(
                f"'{name}' is written by a node of this pipeline, so it is not a free input "
                "and cannot be mapped in inputs= (map it in outputs=)"
            )
        else:
            problems.append(
                f"'{name}' in inputs= is not an input of this pipeline."
                + did_you_mean(name, free_inputs)
            )
    for name in out_map:
        if _is_param(name):
            problems.append(f"'{name}' is a parameter; map it with parameters=, not outputs=")
        elif strip_transcoding(name) not in all_outputs:
            reason = (
                "is a free input, not an output"
                if strip_transcoding(name) in known
                else "is not an output"
            )
            problems.append(
                f"'{name}' in outputs= {reason} of this pipeline." + did_you_mean(name, all_outputs)
            )
    params = {name for name in free_inputs if name.startswith(_PARAMS)}
    for name in param_map:
        if name in params or any(p.startswith(name + ".") for p in params):
            continue
        problems.append(
            f"'{name}' in parameters= is not used by this pipeline.{did_you_mean(name, params)}"
        )
    if problems:
        text = "; ".join(problems)
        raise PipelineError(
            "Cannot map datasets onto the pipeline: "
            + (text if text.endswith(("?", ".")) else text + ".")
        )
