"""Hooks of a Dask run, fired in the client in the sequential runner's order.

The node runs on a worker, so hooks fire here when its "started" message or its finished
future arrives. Where a hook receives data it gets a ``distributed.Future`` for each in-memory
dataset (the caller builds them, only when ``_takes_data`` says a hook wants them) and nothing
for persisted ones, which were read and written on the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from proj_tui.runner.base import RunnerError, _Hooks, _Run

if TYPE_CHECKING:
    from distributed import Future


def _takes_data(hooks: _Hooks) -> bool:
    """Whether any implemented hook receives datasets' data (so futures must be made for it)."""
    return any(
        h is not None
        for h in (
            hooks.before_node_run,
            hooks.after_node_run,
            hooks.on_node_error,
            hooks.after_dataset_loaded,
            hooks.before_dataset_saved,
            hooks.after_dataset_saved,
        )
    )


def _hooks_at_start(run: _Run, i: int, refs: Mapping[str, Future[Any]]) -> None:
    """Node ``i`` started on its worker: its dataset-loaded hooks, then ``before_node_run``."""
    hooks = run.hooks
    node = run.nodes[i]
    inputs = run.wiring[i][0]
    before, after = hooks.before_dataset_loaded, hooks.after_dataset_loaded
    for ds in inputs:
        if before is not None:
            before(dataset_name=ds, node=node)
        if after is not None:
            after(dataset_name=ds, data=refs.get(ds), node=node)
    if hooks.before_node_run is not None:
        for replaced in hooks.before_node_run(
            node=node,
            catalog=run.catalog,
            inputs=refs,
            is_async=False,
            session_id=run.session_id,
        ):
            if replaced is not None:
                raise RunnerError(
                    f"A before_node_run hook returned replacement inputs for node "
                    f"'{node.name}', but with the dask runner the node is already running on "
                    "a worker when the hook fires. Use another runner for this hook."
                )


def _hooks_at_finish(
    run: _Run, i: int, refs_in: Mapping[str, Future[Any]], refs_out: Mapping[str, Future[Any]]
) -> None:
    """Node ``i`` finished on its worker: ``after_node_run``, then its dataset-saved hooks."""
    hooks = run.hooks
    node = run.nodes[i]
    outputs = run.wiring[i][1]
    if hooks.after_node_run is not None:
        hooks.after_node_run(
            node=node,
            catalog=run.catalog,
            inputs=refs_in,
            outputs=refs_out,
            is_async=False,
            session_id=run.session_id,
        )
    before, after = hooks.before_dataset_saved, hooks.after_dataset_saved
    for ds in outputs:
        if before is not None:
            before(dataset_name=ds, data=refs_out.get(ds), node=node)
        if after is not None:
            after(dataset_name=ds, data=refs_out.get(ds), node=node)
