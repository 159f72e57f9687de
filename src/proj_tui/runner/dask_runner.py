"""``DaskRunner``: each node is a task on a Dask ``distributed`` cluster, for runs that outgrow one machine.

The whole plan is submitted at once: a node's task takes its upstream nodes' futures as
arguments, so Dask schedules it the moment they finish and in-memory data moves between
workers, never through this process. Persisted datasets are loaded and saved by the task on
its worker (it receives the dataset object), which is why their paths must be reachable from
every worker; that is checked before anything is submitted.

This process stays the conductor: tasks report "started" and their log records through a
per-run event topic, completion comes from ``as_completed``, and the listener, hooks, cancel
and the failure report all happen here, through the same ``_Run`` as the other runners.

``distributed`` is imported inside functions only, so ``import proj_tui.runner`` never pulls in
Dask; worker-side helpers are module-level so a worker can import them by name.

This module holds the runner class, its public API; the rest of the family, one job each:

- ``dask_cluster``: the client, and the ``LocalCluster`` started for a run; their teardown.
- ``dask_preflight``: workers ready and dataset paths reachable, before anything is submitted.
- ``dask_dataflow``: nodes as futures, the dependency bookkeeping, scattering and gathering.
- ``dask_execution``: following the run from the client: events, failures, cancel.
- ``dask_hooks``: hooks fired in the client, with futures for in-memory data.
- ``dask_task``: the task a node becomes on a worker and what it receives.
- ``dask_logs``: log records of node code, from the worker to the client's loggers.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from typing import TYPE_CHECKING

from proj_tui.runner.base import AbstractRunner, RunnerError, _Run
from proj_tui.runner.dask_cluster import _open_client
from proj_tui.runner.dask_execution import _Execution

if TYPE_CHECKING:
    from distributed import Client

# Fail at import without the extra, so `runner_from_name("dask")` says how to install it
# instead of a run failing later; finding the spec does not import Dask. It stays in this
# module: the test for it re-imports only this one, with its siblings already loaded.
if importlib.util.find_spec("distributed") is None:
    raise ModuleNotFoundError("No module named 'distributed'", name="distributed")

logger = logging.getLogger("proj_tui.runner")


class DaskRunner(AbstractRunner):
    """Runs each node as a task on a Dask cluster: an existing one, or a ``LocalCluster``.

    With ``address`` (``tcp://host:8786``) it connects to a running scheduler, waiting at most
    ``timeout`` seconds. Without it, a ``LocalCluster`` is started for the run with
    ``n_workers``, ``threads_per_worker`` and ``processes`` (threads by default: cheap to start,
    no pickling between nodes of one worker) and closed afterwards.
    """

    def __init__(
        self,
        address: str | None = None,
        n_workers: int | None = None,
        threads_per_worker: int | None = None,
        processes: bool = False,
        timeout: float = 10,
    ) -> None:
        for label, value in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise RunnerError(
                    f"{label} must be a positive integer, got {value!r}. Leave it unset to let "
                    "Dask choose from the number of CPUs."
                )
        if address is not None and (n_workers is not None or threads_per_worker is not None):
            raise RunnerError(
                "n_workers and threads_per_worker size a local cluster; with address="
                f"{address!r} the cluster's own workers are used. Drop one or the other."
            )
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise RunnerError(f"timeout must be a positive number of seconds, got {timeout!r}.")
        self.address = address
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.processes = bool(processes)
        self.timeout = float(timeout)

    def __repr__(self) -> str:
        if self.address is not None:
            return f"DaskRunner(address={self.address!r})"
        return (
            f"DaskRunner(n_workers={self.n_workers}, threads_per_worker="
            f"{self.threads_per_worker}, processes={self.processes})"
        )

    def _run(self, run: _Run) -> None:
        if not run.total:
            return
        with self._client() as client:
            _Execution(run, client, self.address, self.timeout).execute()

    def _client(self) -> contextlib.AbstractContextManager[Client]:
        """A client on the given scheduler, or on a LocalCluster that lives for this run."""
        return _open_client(
            self.address, self.n_workers, self.threads_per_worker, self.processes, self.timeout
        )
