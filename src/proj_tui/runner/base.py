"""What every runner shares: input checks, the per-node protocol, hooks, listener, release.

A runner's own cost per node must stay tiny next to the node's function (the budget is a
5000-node trivial chain in well under 0.3 s), so everything that can be decided once per run
is: which hooks have implementations, whether INFO logging is on, how many readers each
dataset has. The per-node path is then a few dict operations and direct calls.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, Protocol

from proj_tui.errors import ProjTuiError, did_you_mean
from proj_tui.io import DataCatalog, MemoryDataset
from proj_tui.pipeline import Node, Pipeline

logger = logging.getLogger("proj_tui.runner")


class RunListener(Protocol):
    """Told about each node as the run goes; the session turns these into its events.

    ``index`` is the node's 0-based position in the run plan (topological order), ``total`` the
    number of nodes the run executes, ``duration`` seconds. A pool runner calls it from its
    worker threads, so an implementation must be thread-safe; it runs on the per-node path, so
    it must be quick.
    """

    def node_started(self, node: Node, index: int, total: int) -> None: ...

    def node_finished(self, node: Node, index: int, total: int, duration: float) -> None: ...

    def node_failed(
        self, node: Node, index: int, total: int, duration: float, error: BaseException
    ) -> None:
        """The node raised ``error``, or was stopped part-way (then ``error`` says so)."""


_HOOK_NAMES = (
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_dataset_saved",
    "after_dataset_saved",
)


# Types seen as a node's output that are not iterators (most values a run ever sees).
_PLAIN_TYPES: set[type] = {int, float, str, bytes, bool, dict, list, tuple, set, type(None)}


class RunnerError(ProjTuiError, ValueError):
    """A run cannot start or could not finish for a reason other than a node's own exception.

    A ``ValueError`` like the one Kedro raises for inputs the catalog lacks, so ported
    ``except ValueError:`` clauses catch it.
    """


class RunCancelled(RunnerError):
    """The run was cancelled between nodes; ``done``/``not_run`` name the nodes on each side."""

    def __init__(
        self, message: str, *, done: list[str] | None = None, not_run: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.done = done or []
        self.not_run = not_run or []

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_cancelled, (self.message, self.done, self.not_run))


def _rebuild_cancelled(message: str, done: list[str], not_run: list[str]) -> RunCancelled:
    return RunCancelled(message, done=done, not_run=not_run)


class _Hooks:
    """The hook callers that have at least one implementation; None for the others."""

    __slots__ = _HOOK_NAMES

    before_node_run: Any
    after_node_run: Any
    on_node_error: Any
    before_dataset_loaded: Any
    after_dataset_loaded: Any
    before_dataset_saved: Any
    after_dataset_saved: Any

    def __init__(self, manager: Any) -> None:
        hook = getattr(manager, "hook", None) if manager is not None else None
        for name in _HOOK_NAMES:
            caller = getattr(hook, name, None) if hook is not None else None
            if caller is not None:
                get_impls = getattr(caller, "get_hookimpls", None)
                if get_impls is not None and not get_impls():
                    caller = None
            setattr(self, name, caller)


class _Run:
    """One run's state, shared by the scheduler and (for threads) its workers."""

    def __init__(
        self,
        plan: Pipeline,
        catalog: DataCatalog,
        hook_manager: Any,
        session_id: str | None,
        listener: RunListener | None,
        cancel: threading.Event | None,
    ) -> None:
        self.nodes = plan.nodes
        self.total = len(self.nodes)
        self.index = {n.name: i for i, n in enumerate(self.nodes)}
        self.catalog = catalog
        self.hooks = _Hooks(hook_manager)
        self.session_id = session_id
        self.listener = listener
        self.cancel = cancel
        self.log_info = logger.isEnabledFor(logging.INFO)
        self.log_debug = logger.isEnabledFor(logging.DEBUG)
        self.lock = threading.Lock()
        self.completed = 0
        self.done: list[int] = []
        # Per node: (inputs, outputs) as lists, read once instead of on every use.
        self.wiring = [(n.inputs, n.outputs) for n in self.nodes]
        # Readers left per dataset; at zero an intermediate is released (free inputs never are).
        free_inputs = plan.inputs()
        counts: dict[str, int] = {}
        for inputs, _ in self.wiring:
            for ds in inputs:
                if ds not in free_inputs:
                    counts[ds] = counts.get(ds, 0) + 1
        self.readers = counts
        # Outputs nobody reads under that name but that are not free outputs: the written form
        # of a transcoded dataset (B@pandas, read as B@spark). Kedro releases them once saved.
        self.spent_outputs: dict[int, list[str]] = {}
        if any("@" in ds for _, outputs in self.wiring for ds in outputs):
            free_outputs = plan.outputs()
            for i, (_, outputs) in enumerate(self.wiring):
                spent = [ds for ds in outputs if ds not in counts and ds not in free_outputs]
                if spent:
                    self.spent_outputs[i] = spent
        # _confirms, not .confirms: the property builds a list per node, on every run
        self.confirming = any(n._confirms for n in self.nodes)

    # -- the per-node protocol ---------------------------------------------------------------
    def load_inputs(self, i: int) -> dict[str, Any]:
        """Announce the node, load its inputs (with dataset hooks), apply before_node_run."""
        node = self.nodes[i]
        self.start(i)
        hooks = self.hooks
        catalog = self.catalog
        before, after = hooks.before_dataset_loaded, hooks.after_dataset_loaded
        inputs: dict[str, Any] = {}
        for ds in self.wiring[i][0]:
            if before is not None:
                before(dataset_name=ds, node=node)
            data = catalog.load(ds)
            if after is not None:
                after(dataset_name=ds, data=data, node=node)
            inputs[ds] = data
        if hooks.before_node_run is not None:
            for replaced in hooks.before_node_run(
                node=node,
                catalog=catalog,
                inputs=inputs,
                is_async=False,
                session_id=self.session_id,
            ):
                if replaced is None:
                    continue
                if not isinstance(replaced, dict):
                    raise RunnerError(
                        f"A before_node_run hook returned {type(replaced).__name__} for node "
                        f"'{node.name}'; it must return None or a dict of dataset name -> value."
                    )
                inputs.update(replaced)
        return inputs

    def save_outputs(
        self, i: int, inputs: dict[str, Any], outputs: dict[str, Any], duration: float
    ) -> None:
        """after_node_run, save (with dataset hooks), release spent inputs, announce the end."""
        node = self.nodes[i]
        hooks = self.hooks
        catalog = self.catalog
        if hooks.after_node_run is not None:
            hooks.after_node_run(
                node=node,
                catalog=catalog,
                inputs=inputs,
                outputs=outputs,
                is_async=False,
                session_id=self.session_id,
            )
        before, after = hooks.before_dataset_saved, hooks.after_dataset_saved
        for ds, data in outputs.items():
            # A generator node streams: every output an iterator. type() and `in` cost no call;
            # isinstance() against the Iterator ABC would cost three on every node of every run.
            if type(data) not in _PLAIN_TYPES and _all_streams(outputs):
                for name, chunk in _chunks(outputs):  # save each chunk as it comes
                    if before is not None:
                        before(dataset_name=name, data=chunk, node=node)
                    catalog.save(name, chunk)
                    if after is not None:
                        after(dataset_name=name, data=chunk, node=node)
                break
            if before is not None:
                before(dataset_name=ds, data=data, node=node)
            catalog.save(ds, data)
            if after is not None:
                after(dataset_name=ds, data=data, node=node)
        if self.confirming:
            self.confirm(i)
        self.finish(i, duration)

    def confirm(self, i: int) -> None:
        """``catalog.confirm()`` each dataset node ``i`` lists in ``confirms=`` (after its save)."""
        if self.confirming:
            for ds in self.nodes[i].confirms:
                self.catalog.confirm(ds)

    def start(self, i: int) -> None:
        """Announce that node ``i`` starts: the listener's ``node_started`` and the INFO line.

        Split out so a runner whose nodes load their own inputs elsewhere (dask) can announce
        the start without loading anything in this process.
        """
        if self.listener is not None:
            self.listener.node_started(self.nodes[i], i, self.total)
        if self.log_info:
            logger.info("Running node: %s", self.nodes[i].name)

    def finish(self, i: int, duration: float) -> None:
        """Book node ``i`` as done: release spent inputs, count it, announce the end."""
        node = self.nodes[i]
        catalog = self.catalog
        readers = self.readers
        with self.lock:
            released = []
            for ds in self.wiring[i][0]:
                left = readers.get(ds)
                if left is not None:
                    left -= 1
                    readers[ds] = left
                    if not left:
                        released.append(ds)
            self.completed += 1
            completed = self.completed
            self.done.append(i)
        spent = self.spent_outputs.get(i) if self.spent_outputs else None
        if spent:
            released += spent
        for ds in released:
            catalog.release(ds)
        if self.listener is not None:
            self.listener.node_finished(node, i, self.total, duration)
        if self.log_debug:  # progress travels as listener events; keep INFO to one line a node
            logger.debug("Completed %d out of %d tasks", completed, self.total)

    def fail(
        self, i: int, inputs: dict[str, Any] | None, error: BaseException, start: float
    ) -> None:
        """on_node_error and the listener; the caller re-raises ``error``."""
        node = self.nodes[i]
        if self.hooks.on_node_error is not None and isinstance(error, Exception):
            self.hooks.on_node_error(
                error=error,
                node=node,
                catalog=self.catalog,
                inputs=inputs if inputs is not None else {},
                is_async=False,
                session_id=self.session_id,
            )
        if self.listener is not None:
            self.listener.node_failed(node, i, self.total, time.perf_counter() - start, error)

    def execute(self, i: int) -> None:
        """Run node ``i`` entirely in the calling thread."""
        start = time.perf_counter()
        inputs = None
        try:
            inputs = self.load_inputs(i)
            outputs = self.nodes[i].run(inputs)
        except BaseException as exc:
            self.fail(i, inputs, exc, start)
            raise
        try:
            self.save_outputs(i, inputs, outputs, time.perf_counter() - start)
        except BaseException as exc:
            self.fail(i, inputs, exc, start)
            raise

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


class AbstractRunner(ABC):
    """Runs a pipeline against a catalog; subclasses only decide where each node executes."""

    def run(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook_manager: Any = None,
        session_id: str | None = None,
        only_missing_outputs: bool = False,
        cancel: threading.Event | None = None,
        listener: RunListener | None = None,
    ) -> dict[str, Any]:
        """Run ``pipeline``; return every free output, as a dataset (Kedro 1.x).

        ``result["x"].load()`` gives the value; a free output the catalog does not declare is a
        ``MemoryDataset`` made for the run, so it stays readable after the run.

        ``listener`` hears of each node's start and end (see :class:`RunListener`). Raises
        ``RunnerError`` before anything runs when a free input is not in the catalog,
        ``RunCancelled`` when ``cancel`` is set, and otherwise a failing node's own exception
        (after ``on_node_error`` and a WARNING that says how to resume).
        """
        plan = pipeline
        if only_missing_outputs:
            from proj_tui.runner.resume import missing_outputs_plan

            plan = missing_outputs_plan(pipeline, catalog)
            skipped = len(pipeline) - len(plan)
            if skipped:
                logger.info(
                    "Skipping %d of %d nodes: their persisted outputs exist.",
                    skipped,
                    len(pipeline),
                )
        check_inputs(plan, catalog)

        run_catalog = catalog.shallow_copy()
        missing = [ds for ds in plan.datasets() if ds not in catalog]
        if missing:
            run_catalog.add_feed_dict({ds: MemoryDataset() for ds in missing})

        run = _Run(plan, run_catalog, hook_manager, session_id, listener, cancel)
        try:
            self._run(run)
        except BaseException as exc:
            self._report_unrun(plan, catalog, run, exc)
            raise
        return {ds: run_catalog[ds] for ds in sorted(plan.outputs())}

    @abstractmethod
    def _run(self, run: _Run) -> None:
        """Execute every node of ``run.nodes`` respecting dependencies; raise on failure."""

    @staticmethod
    def _cancelled_error(run: _Run) -> RunCancelled:
        done = {run.nodes[i].name for i in run.done}
        not_run = [n.name for n in run.nodes if n.name not in done]
        return RunCancelled(
            f"The run was cancelled after {len(done)} of {run.total} nodes.",
            done=[run.nodes[i].name for i in run.done],
            not_run=not_run,
        )

    @staticmethod
    def _report_unrun(plan: Pipeline, catalog: DataCatalog, run: _Run, exc: BaseException) -> None:
        from proj_tui.runner.resume import resume_suggestion

        done = [run.nodes[i] for i in run.done]
        done_names = {n.name for n in done}
        unrun = [n.name for n in run.nodes if n.name not in done_names]
        if not done or not unrun or not logger.isEnabledFor(logging.WARNING):
            # nothing ran: the command that failed is the command to resume with
            return
        shown = ", ".join(unrun[:20]) + (
            f", ... ({len(unrun) - 20} more)" if len(unrun) > 20 else ""
        )
        message = f"{len(unrun)} of {run.total} nodes did not run: {shown}."
        try:
            suggestion = resume_suggestion(plan, catalog, done)
        except Exception as problem:  # the report must never hide the real error
            suggestion = None
            message += f" (No resume suggestion: {problem}.)"
        if suggestion:
            message += (
                " Resume from the nearest nodes with persisted inputs by adding this to the "
                f"command: {suggestion}"
            )
        logger.warning(message)


class MissingInputsError(RunnerError):
    """The run needs datasets the catalog lacks: found before any node runs (bad config)."""


def check_inputs(plan: Pipeline, catalog: DataCatalog) -> None:
    """Every free input must be in the catalog, or nothing should run (``MissingInputsError``)."""
    missing = sorted(ds for ds in plan.inputs() if ds not in catalog)
    if not missing:
        return
    known = list(catalog.keys())
    parts = []
    for ds in missing:
        readers = ", ".join(_named_at(n) for n in plan.consumers_of(ds))
        hint = did_you_mean(ds, known)
        parts.append(f"'{ds}', needed by {readers}" + (f".{hint}" if hint else ""))
    listed = "; ".join(parts)
    raise MissingInputsError(
        f"The pipeline needs input(s) that are not in the catalog: {listed}"
        + ("" if listed.endswith("?") else ".")
        + " Add them to the env's catalog.yml (or --params for params: inputs), or include "
        "the nodes that produce them in the run."
    )


def _named_at(node: Any) -> str:
    """``'name' at file:line``: a node and where its function is written."""
    where = node.source_location
    return f"'{node.name}'" + (f" at {where[0]}:{where[1]}" if where else "")


def _all_streams(outputs: dict[str, Any]) -> bool:
    """Whether every output is an iterator; remembers the types that are not."""
    for data in outputs.values():
        if not isinstance(data, Iterator):
            if len(_PLAIN_TYPES) < 1024:
                _PLAIN_TYPES.add(type(data))
            return False
    return True


def _chunks(streams: dict[str, Iterator[Any]]) -> Iterator[tuple[str, Any]]:
    """``(dataset, chunk)`` pairs taking one chunk from each output in turn, as Kedro saves a
    generator node's outputs; ends with the shortest stream."""
    keys = list(streams)
    iterators = list(streams.values())
    while True:
        for key, iterator in zip(keys, iterators, strict=True):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            yield key, chunk
