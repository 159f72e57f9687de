"""The task a node becomes on a Dask worker, and the records the client hands it.

A worker imports this module by name to run ``_node_task`` (the client pickles only a
reference to it), so it stays small and imports ``distributed`` and ``cloudpickle`` inside
functions only. ``_Spec`` and ``_Context`` are what each task receives; ``_NotRun`` is what it
raises when the run was stopped before its node ran, and the client recognises it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from proj_tui.io import AbstractDataset
from proj_tui.runner.base import RunnerError
from proj_tui.runner.dask_logs import _install_forwarding, _local

_STOP_CHECK_SECONDS = 0.05  # a worker asks the scheduler about the stop event at most this often

# Where a task finds each input: the value of a positional future that holds an upstream
# node's output dict (pick the dataset from it), a positional scattered value, or a dataset
# object to load on the worker.
_FROM_PARENT, _FROM_SCATTER, _FROM_DATASET = 0, 1, 2


@dataclass(frozen=True)
class _Spec:
    """What a node's task needs besides its positional futures; pickled once per node."""

    index: int
    name: str
    node: bytes  # cloudpickled Node: lambdas and closures travel by value
    inputs: tuple[tuple[str, int, Any], ...]  # (dataset, _FROM_*, position or dataset object)
    outputs: tuple[tuple[str, AbstractDataset | None], ...]  # None: in memory, returned


@dataclass(frozen=True)
class _Context:
    """Per-run facts every task shares."""

    topic: str  # event topic: "start"/"end"/"log" messages to the client
    stop: str  # name of the distributed.Event that stops the run
    client_pid: int  # tasks running in the client's own process need no log forwarding
    client_host: str
    log_level: int


class _NotRun(RunnerError):
    """A task saw the stop event before its node ran (the run failed or was cancelled)."""


# -- what runs on the workers -------------------------------------------------------------

_stop_seen: dict[str, tuple[float, bool]] = {}


def _stopped(context: _Context) -> bool:
    """Whether the run's stop event is set; asks the scheduler at most every 50 ms a process."""
    now = time.monotonic()
    seen = _stop_seen.get(context.stop)
    if seen is not None and (seen[1] or now - seen[0] < _STOP_CHECK_SECONDS):
        return seen[1]
    from distributed import Event

    try:
        is_set = bool(Event(context.stop).is_set())
    except Exception:  # no scheduler to ask: the run is over anyway
        is_set = True
    if len(_stop_seen) > 1000:  # one entry per run: keep a long-lived worker's memory flat
        _stop_seen.clear()
    _stop_seen[context.stop] = (now, is_set)
    return is_set


def _node_task(spec: _Spec, context: _Context, *args: Any) -> dict[str, Any]:
    """One node on a worker: load inputs, run, save persisted outputs, return in-memory ones.

    Checks the stop event before each step, so a cancelled or failed run stops here without
    starting the next step.
    """
    import cloudpickle
    from distributed import get_worker

    if _stopped(context):
        raise _NotRun(f"Node '{spec.name}' did not run: the run was stopped.")
    worker = get_worker()
    started = time.perf_counter()
    worker.log_event(context.topic, ["start", spec.index])
    forward = os.getpid() != context.client_pid
    if forward:
        _install_forwarding(context.log_level)
        _local.target = (worker, context.topic, spec.name)
    try:
        try:
            node = cloudpickle.loads(spec.node)
        except Exception as exc:
            raise RunnerError(
                f"Node '{spec.name}' could not be unpacked on Dask worker "
                f"{worker.address} ({socket.gethostname()}): {type(exc).__name__}: {exc}. The "
                "project's source must be importable there: same checkout on a shared file "
                "system, on PYTHONPATH, or sent with client.upload_file (see docs/dask.md)."
            ) from None
        inputs: dict[str, Any] = {}
        for ds, kind, ref in spec.inputs:
            if kind == _FROM_PARENT:
                inputs[ds] = args[ref][ds]
            elif kind == _FROM_SCATTER:
                inputs[ds] = args[ref]
            else:
                inputs[ds] = ref.load()
        if _stopped(context):
            raise _NotRun(f"Node '{spec.name}' did not run: the run was stopped.")
        outputs = node.run(inputs)
        if _stopped(context):
            raise _NotRun(f"Node '{spec.name}' ran but was not saved: the run was stopped.")
        returned: dict[str, Any] = {}
        if outputs and all(isinstance(data, Iterator) for data in outputs.values()):
            # a generator node: save each chunk; an in-memory output keeps the last, as it would
            streams = {ds: list(data) for ds, data in outputs.items()}
            for ds, dataset in spec.outputs:
                if dataset is None:
                    if streams[ds]:
                        returned[ds] = streams[ds][-1]
                else:
                    for chunk in streams[ds]:
                        dataset.save(chunk)
        else:
            for ds, dataset in spec.outputs:
                if dataset is None:
                    returned[ds] = outputs[ds]
                else:
                    dataset.save(outputs[ds])
    finally:
        if forward:
            _local.target = None
    worker.log_event(context.topic, ["end", spec.index, time.perf_counter() - started])
    return returned
