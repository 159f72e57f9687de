"""What must (re)run given what is already persisted: resume after a failure, skip done work.

Both questions walk the graph once and ask the catalog only about the datasets on the way,
so they stay linear and never touch storage for nodes that are not involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from proj_tui.io import DataCatalog
from proj_tui.pipeline import Node, Pipeline

_SAFE_IN_DOUBLE_QUOTES = re.compile(r'[^"$`\\!]*\Z')


def resume_suggestion(
    pipeline: Pipeline, catalog: DataCatalog, done_nodes: Iterable[Node | str]
) -> str | None:
    """The ``--from-nodes "a,b"`` argument that resumes a failed run, or None if all ran."""
    starts = resume_start_nodes(pipeline, catalog, done_nodes)
    return "--from-nodes " + _quote(",".join(starts)) if starts else None


def resume_start_nodes(
    pipeline: Pipeline, catalog: DataCatalog, done_nodes: Iterable[Node | str]
) -> list[str]:
    """The nodes a resumed run starts from (``--from-nodes``); empty when every node ran.

    Pass the pipeline that was run and the nodes that finished. Walks upstream from the nodes
    that did not run, through in-memory inputs (lost with the failed process) to their
    producers, until every input on the way is persisted or a free input. The answer is the
    smallest set of those nodes from which ``--from-nodes`` reaches all the others.
    """
    done = {n if isinstance(n, str) else n.name for n in done_nodes}
    unrun = [n.name for n in pipeline.nodes if n.name not in done]
    if not unrun:
        return []
    persisted: dict[str, bool] = {}

    def is_persisted(ds: str) -> bool:
        known = persisted.get(ds)
        if known is None:
            known = persisted[ds] = catalog.is_persisted(ds)
        return known

    return start_nodes(pipeline, with_memory_producers(pipeline, unrun, is_persisted))


def with_memory_producers(
    pipeline: Pipeline, names: Iterable[str], is_persisted: Callable[[str], bool]
) -> set[str]:
    """``names`` plus every node that must run again to make an in-memory input they need.

    Walks upstream from those nodes through inputs that are not persisted (lost with the process
    that made them) to their producers, until every input on the way is persisted or a free
    input (one the catalog provides, parameters included). Shared by resume and staleness.
    """
    by_name = {n.name: n for n in pipeline.nodes}
    to_run = set(names)
    stack = [by_name[name] for name in to_run]
    while stack:
        for ds in stack.pop().inputs:
            if is_persisted(ds):
                continue
            producer = pipeline.producer_of(ds)  # None: a free input, provided by the catalog
            if producer is not None and producer.name not in to_run:
                to_run.add(producer.name)
                stack.append(producer)
    return to_run


def start_nodes(pipeline: Pipeline, names: set[str]) -> list[str]:
    """The nodes of ``names`` with no parent in ``names``, in run order.

    Every other node of ``names`` is downstream of one of them (walk its parents inside
    ``names`` until one has none), so ``--from-nodes`` of these reaches all of ``names``.
    """
    starts = [
        n.name
        for n, parents in pipeline.node_dependencies.items()
        if n.name in names and not any(p.name in names for p in parents)
    ]
    order = {n.name: i for i, n in enumerate(pipeline.nodes)}
    starts.sort(key=order.__getitem__)
    return starts


def _quote(value: str) -> str:
    """Double quotes as people type them, unless the text needs stronger shell quoting."""
    if _SAFE_IN_DOUBLE_QUOTES.match(value):
        return f'"{value}"'
    return "'" + value.replace("'", "'\"'\"'") + "'"


def missing_outputs_plan(pipeline: Pipeline, catalog: DataCatalog) -> Pipeline:
    """The nodes an ``only_missing_outputs`` run executes.

    A node runs when it has no outputs, when one of its persisted outputs does not exist, or
    when a node upstream of it runs for one of those reasons (so its outputs are not stale).
    A node that would be skipped still runs when a running node reads one of its in-memory
    or missing outputs. Everything else is skipped.
    """
    nodes = pipeline.nodes
    dependencies = pipeline.node_dependencies
    available: dict[str, bool] = {}

    def exists_persisted(ds: str) -> bool:
        """True for a persisted dataset that has data; memory or unknown data is never there."""
        known = available.get(ds)
        if known is None:
            known = available[ds] = catalog.is_persisted(ds) and catalog.exists(ds)
        return known

    runs: set[str] = set()
    for n in nodes:
        outputs = n.outputs
        if (
            not outputs
            or any(catalog.is_persisted(ds) and not exists_persisted(ds) for ds in outputs)
            or any(p.name in runs for p in dependencies[n])
        ):
            runs.add(n.name)

    needed_by_runs: set[str] = set()
    for n in reversed(nodes):
        if n.name in runs:
            needed_by_runs.update(ds for ds in n.inputs if not exists_persisted(ds))
        elif any(ds in needed_by_runs for ds in n.outputs):
            runs.add(n.name)
            needed_by_runs.update(ds for ds in n.inputs if not exists_persisted(ds))
    return pipeline.only_nodes(*runs) if len(runs) < len(nodes) else pipeline
