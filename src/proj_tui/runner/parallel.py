"""Thread and process runners on one dependency-driven scheduler.

The scheduler submits a node as soon as its last parent finished (not level by level, so a
slow node does not hold back unrelated branches), keeps at most ``max_workers`` nodes in
flight, checks ``cancel`` while it waits, and after a failure lets running nodes finish but
starts no new ones.

``ParallelRunner`` keeps the catalog in the parent: the parent loads inputs and saves outputs,
a worker process only calls the node's function. So in-memory datasets work, hooks run in
one process, and a value that cannot cross the process boundary is reported by name.
"""

from __future__ import annotations

import heapq
import multiprocessing
import os
import pickle
import time
from abc import abstractmethod
from collections.abc import Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any

from proj_tui.pipeline import Node
from proj_tui.runner.base import AbstractRunner, RunnerError, _Run

_POLL_SECONDS = 0.05  # how often a waiting scheduler looks at the cancel event


class _PoolRunner(AbstractRunner):
    """The shared scheduler; subclasses say how a node is submitted and collected."""

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers < 1):
            raise RunnerError(
                f"max_workers must be a positive integer, got {max_workers!r}. "
                "Leave it unset to use one worker per CPU."
            )
        self._max_workers = max_workers or self._default_workers()

    @property
    def max_workers(self) -> int:
        return self._max_workers

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_workers={self._max_workers})"

    @staticmethod
    @abstractmethod
    def _default_workers() -> int: ...

    @abstractmethod
    def _executor(self, workers: int) -> Executor: ...

    @abstractmethod
    def _submit(self, pool: Executor, run: _Run, i: int, pending: dict[int, Any]) -> Future[Any]:
        """Start node ``i``; raise (after reporting the failure) if it cannot start."""

    @abstractmethod
    def _collect(self, run: _Run, i: int, future: Future[Any], pending: dict[int, Any]) -> None:
        """Finish node ``i`` from its future; raise (after reporting) if it failed."""

    def _run(self, run: _Run) -> None:
        total = run.total
        if not total:
            return
        producer: dict[str, int] = {}
        for i, (_, outputs) in enumerate(run.wiring):
            for ds in outputs:
                producer[ds] = i
        waiting = [0] * total
        children: list[list[int]] = [[] for _ in range(total)]
        for i, (inputs, _) in enumerate(run.wiring):
            parents = {producer[ds] for ds in inputs if ds in producer}
            waiting[i] = len(parents)
            for p in parents:
                children[p].append(i)
        ready = [i for i in range(total) if not waiting[i]]  # ascending: already a heap
        workers = min(self._max_workers, total)
        running: dict[Future[Any], int] = {}
        pending: dict[int, Any] = {}
        failure: BaseException | None = None
        cancelled = False
        poll = _POLL_SECONDS if run.cancel is not None else None

        with self._executor(workers) as pool:
            while True:
                if failure is None and not cancelled and run.cancelled():
                    cancelled = True
                while ready and failure is None and not cancelled and len(running) < workers:
                    i = heapq.heappop(ready)
                    try:
                        running[self._submit(pool, run, i, pending)] = i
                    except BaseException as exc:
                        failure = exc
                if not running:
                    break
                finished, _ = wait(running, timeout=poll, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = running.pop(future)
                    try:
                        self._collect(run, i, future, pending)
                    except BaseException as exc:
                        if failure is None:
                            failure = exc
                        continue
                    for child in children[i]:
                        waiting[child] -= 1
                        if not waiting[child]:
                            heapq.heappush(ready, child)
        if failure is not None:
            raise failure
        if cancelled:
            raise self._cancelled_error(run)


class ThreadRunner(_PoolRunner):
    """Nodes run in a thread pool: good for I/O-bound nodes; catalog and hooks are shared."""

    @staticmethod
    def _default_workers() -> int:
        return min(32, (os.cpu_count() or 1) + 4)

    def _executor(self, workers: int) -> Executor:
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proj-tui-node")

    def _submit(self, pool: Executor, run: _Run, i: int, pending: dict[int, Any]) -> Future[Any]:
        return pool.submit(run.execute, i)

    def _collect(self, run: _Run, i: int, future: Future[Any], pending: dict[int, Any]) -> None:
        future.result()  # execute() already reported a failure; this re-raises it


class ParallelRunner(_PoolRunner):
    """Node functions run in worker processes; the parent does all catalog I/O and hooks.

    ``mp_context`` picks the start method ("fork", "spawn", "forkserver" or a context); the
    default is the platform's. Functions must be picklable: defined at module level, not
    lambdas or nested functions.
    """

    def __init__(
        self, max_workers: int | None = None, mp_context: str | BaseContext | None = None
    ) -> None:
        super().__init__(max_workers)
        if isinstance(mp_context, str):
            try:
                mp_context = multiprocessing.get_context(mp_context)
            except ValueError:
                raise RunnerError(
                    f"Unknown multiprocessing start method {mp_context!r}; use one of "
                    f"{', '.join(multiprocessing.get_all_start_methods())}."
                ) from None
        self._mp_context = mp_context

    @staticmethod
    def _default_workers() -> int:
        return min(61, os.cpu_count() or 1)  # 61: the Windows limit of ProcessPoolExecutor

    def _executor(self, workers: int) -> Executor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self._mp_context)

    def _submit(self, pool: Executor, run: _Run, i: int, pending: dict[int, Any]) -> Future[Any]:
        start = time.perf_counter()
        inputs = None
        try:
            inputs = run.load_inputs(i)
            payload = _pack(run.nodes[i], inputs)
            future = pool.submit(_call_node, run.nodes[i].name, payload)
        except BaseException as exc:
            run.fail(i, inputs, exc, start)
            raise
        pending[i] = (inputs, start)
        return future

    def _collect(self, run: _Run, i: int, future: Future[Any], pending: dict[int, Any]) -> None:
        inputs, start = pending.pop(i)
        try:
            try:
                outputs = pickle.loads(future.result())
                if outputs and all(isinstance(data, _Chunks) for data in outputs.values()):
                    outputs = {ds: iter(data.items) for ds, data in outputs.items()}
            except BrokenProcessPool as exc:
                raise RunnerError(
                    f"The worker process running node '{run.nodes[i].name}' died unexpectedly "
                    f"({exc}). It may have run out of memory or crashed in native code; try "
                    "the sequential runner to see the node's own error."
                ) from exc
            run.save_outputs(i, inputs, outputs, time.perf_counter() - start)
        except BaseException as exc:
            run.fail(i, inputs, exc, start)
            raise


class _Chunks:
    """A generator output's chunks, collected in the worker process."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Chunks, (self.items,))


def _pack(node: Node, inputs: dict[str, Any]) -> bytes:
    """Pickle what a worker needs; on failure say which part cannot cross the boundary."""
    try:
        return pickle.dumps((node, inputs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        problem = exc
    try:
        pickle.dumps(node, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        func = node.func
        label = getattr(func, "__qualname__", None) or repr(func)
        raise RunnerError(
            f"Node '{node.name}' cannot run in a worker process: its function '{label}' cannot "
            f"be pickled ({type(exc).__name__}: {exc}). Define the function at module level "
            "(lambdas and functions nested in other functions cannot be sent to another "
            "process), or use the thread or sequential runner."
        ) from exc
    for name, value in inputs.items():
        try:
            pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise RunnerError(
                f"Node '{node.name}' cannot run in a worker process: its input dataset "
                f"'{name}' holds a {type(value).__name__} that cannot be pickled "
                f"({type(exc).__name__}: {exc}). Use the thread or sequential runner for "
                "this pipeline."
            ) from exc
    raise RunnerError(
        f"Node '{node.name}' cannot be sent to a worker process: {type(problem).__name__}: "
        f"{problem}. Use the thread or sequential runner."
    ) from problem


def _call_node(name: str, payload: bytes) -> bytes:
    """Worker side: unpack, call the function, pickle the outputs (naming any that cannot be)."""
    try:
        node, inputs = pickle.loads(payload)
    except Exception as exc:
        raise RunnerError(
            f"Node '{name}' could not be unpacked in the worker process "
            f"({type(exc).__name__}: {exc}). Its function must be importable by name from a "
            "module on sys.path (not defined in __main__ or inside another function)."
        ) from None
    outputs = node.run(inputs)
    if outputs and all(isinstance(data, Iterator) for data in outputs.values()):
        # a generator cannot cross the process boundary: send its chunks; the parent saves
        # them one by one as the sequential runner would
        outputs = {ds: _Chunks(list(data)) for ds, data in outputs.items()}
    try:
        return pickle.dumps(outputs, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        problem: Exception = exc
    for dataset, value in outputs.items():
        try:
            pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            problem = exc
            raise RunnerError(
                f"Node '{name}' ran in a worker process, but its output dataset '{dataset}' "
                f"holds a {type(value).__name__} that cannot be pickled back to the parent "
                f"({type(exc).__name__}: {exc}). Use the thread or sequential runner for this "
                "pipeline."
            ) from None
    raise RunnerError(
        f"Node '{name}' ran in a worker process, but its outputs cannot be pickled back: "
        f"{type(problem).__name__}: {problem}."
    ) from None
