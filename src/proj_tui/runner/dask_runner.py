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
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import operator
import os
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.io import AbstractDataset
from proj_tui.runner.base import AbstractRunner, RunCancelled, RunnerError, _Run

if TYPE_CHECKING:
    from distributed import Client, Future

# Fail at import without the extra, so `runner_from_name("dask")` says how to install it
# instead of a run failing later; finding the spec does not import Dask.
if importlib.util.find_spec("distributed") is None:
    raise ModuleNotFoundError("No module named 'distributed'", name="distributed")

logger = logging.getLogger("proj_tui.runner")

_POLL_SECONDS = 0.05  # how often the client loop looks at the cancel event
_STOP_CHECK_SECONDS = 0.05  # a worker asks the scheduler about the stop event at most this often
_LOG_DRAIN_SECONDS = 2.0  # how long the end of a run waits for the last forwarded log records
_PROBE_PREFIX = ".proj-tui-probe-"

# Where a task finds each input: the value of a positional future that holds an upstream
# node's output dict (pick the dataset from it), a positional scattered value, or a dataset
# object to load on the worker.
_FROM_PARENT, _FROM_SCATTER, _FROM_DATASET = 0, 1, 2


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
            _Execution(self, run, client).execute()

    @contextlib.contextmanager
    def _client(self) -> Iterator[Client]:
        """A client on the given scheduler, or on a LocalCluster that lives for this run."""
        from distributed import Client, LocalCluster

        _quiet_dask_logging()
        cluster = None
        if self.address is None:
            options: dict[str, Any] = {"processes": self.processes, "dashboard_address": ":0"}
            if self.n_workers is not None:
                options["n_workers"] = self.n_workers
            if self.threads_per_worker is not None:
                options["threads_per_worker"] = self.threads_per_worker
            cluster = LocalCluster(**options)
        try:
            try:
                client = Client(
                    cluster if cluster is not None else self.address,
                    timeout=self.timeout,
                    set_as_default=False,
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise RunnerError(
                    f"Cannot reach the Dask scheduler at {self.address!r} within "
                    f"{self.timeout:g} s ({type(exc).__name__}: {exc}). Check the address "
                    "(tcp://host:8786), that `dask scheduler` runs there and that this machine "
                    "can reach its port; or leave out address to start a local cluster."
                ) from None
            try:
                yield client
            finally:
                with contextlib.suppress(Exception):
                    client.close()
        finally:
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()


_quieted = False


def _quiet_dask_logging() -> None:
    """Keep Dask's INFO chatter out of the session log, once per process; warnings still pass.

    When ``distributed`` is imported into a process whose root logger already has handlers (a
    session's), it sends its records there instead of to its own stderr handler, so every
    scheduler start, worker registration and client connection would become a session log line.
    Not restored after the run: Dask logs asynchronously while closing (an in-process
    scheduler reports the client leaving after ``close()`` returned). Set the ``distributed``
    logger's level after the first run to see them again.
    """
    global _quieted
    if _quieted:
        return
    _quieted = True
    chatter = logging.getLogger("distributed")
    if chatter.propagate and chatter.getEffectiveLevel() < logging.WARNING:
        chatter.setLevel(logging.WARNING)


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


class _Execution:
    """One run on one client: prepare workers, submit every node, follow them to the end."""

    def __init__(self, runner: DaskRunner, run: _Run, client: Client) -> None:
        self.runner = runner
        self.run = run
        self.client = client
        self.where = runner.address or "a local cluster"
        token = uuid.uuid4().hex
        self.context = _Context(
            topic=f"proj-tui-run-{token}",
            stop=f"proj-tui-stop-{token}",
            client_pid=os.getpid(),
            client_host=socket.gethostname(),
            log_level=logging.getLogger().getEffectiveLevel(),
        )
        self.token = token[:12]
        self.events: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        total = run.total
        self.futures: list[Future | None] = [None] * total
        self.state = [0] * total  # 0 pending, 1 started, 2 finished, 3 failed or not run
        self.started_at = [0.0] * total
        self.durations: dict[int, float] = {}
        self.ended: set[int] = set()
        self.producer: dict[str, int] = {}
        for i, (_, outputs) in enumerate(run.wiring):
            for ds in outputs:
                self.producer[ds] = i
        self.parents: list[list[int]] = [
            sorted({self.producer[ds] for ds in inputs if ds in self.producer})
            for inputs, _ in run.wiring
        ]
        self.children_left = [0] * total
        for parents in self.parents:
            for p in parents:
                self.children_left[p] += 1
        self.scattered: dict[str, Future] = {}
        self.keep: set[int] = set()  # nodes whose in-memory outputs are returned at the end
        self.persisted: set[str] = set()
        self.terminal: set[str] = set()
        hooks = run.hooks
        self.data_hooks = any(
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
        self.stopping = False
        self.cancelled = False
        self.failure: BaseException | None = None

    # -- the run ----------------------------------------------------------------------------
    def execute(self) -> None:
        client = self.client
        self._prepare_workers()
        specs = self._specs()
        client.subscribe_topic(self.context.topic, self._on_event)
        try:
            try:
                self._submit(specs)
                collector = threading.Thread(
                    target=self._collect, name="proj-tui-dask-collector", daemon=True
                )
                collector.start()
                self._follow()
            except KeyboardInterrupt as exc:
                self._cancel()
                raise self._cancelled("interrupted") from exc
            if self.cancelled:
                raise self._cancelled("cancelled")
            if self.failure is not None:
                raise self.failure
            self._drain_logs()
            self._gather_returned()
        finally:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(self.context.topic)

    def _prepare_workers(self) -> None:
        """Wait for a worker, put the project's source on worker paths, check dataset paths."""
        client = self.client
        try:
            client.wait_for_workers(1, timeout=self.runner.timeout)
        except (TimeoutError, OSError) as exc:
            raise RunnerError(
                f"The Dask scheduler at {self.where} has no workers (waited "
                f"{self.runner.timeout:g} s: {exc}). Start some with `dask worker "
                f"{self.runner.address or 'tcp://host:8786'}`."
            ) from None
        roots = _source_roots(node.func for node in self.run.nodes)
        try:
            info: dict[str, dict[str, Any]] = client.run(_prepare_worker, roots)
        except Exception as exc:  # typically: proj_tui cannot be imported on a worker
            raise RunnerError(
                f"Could not prepare the Dask workers at {self.where} ({type(exc).__name__}: "
                f"{exc}). Each worker needs proj-tui installed (the same version as here) and "
                "the project's dependencies; see docs/dask.md."
            ) from exc
        hosts = sorted({w["host"] for w in info.values()})
        paths = _persisted_paths(self.run)
        visible: dict[str, set[str]] | None = None
        if paths and any(host != self.context.client_host for host in hosts):
            visible = self._probe(paths, info)
        check_dataset_paths(paths, self.context.client_host, hosts, visible)

    def _probe(self, paths: Mapping[str, str], info: Mapping[str, Any]) -> dict[str, set[str]]:
        """Which folders the workers of each host see: a file made here must be visible there."""
        folders = {_existing_folder(path) for path in paths.values() if Path(path).is_absolute()}
        probes: dict[str, str] = {}
        try:
            for folder in folders:
                probe = Path(folder, f"{_PROBE_PREFIX}{self.token}")
                try:
                    probe.touch()
                except OSError:
                    continue  # this process cannot write there either; the save will say so
                probes[str(probe)] = folder
            seen: dict[str, list[str]] = self.client.run(_visible, sorted(probes))
        finally:
            for made in probes:
                with contextlib.suppress(OSError):
                    os.unlink(made)
        visible: dict[str, set[str]] = {}
        for address, found in seen.items():
            host = info[address]["host"]
            folders_seen = {probes[p] for p in found}
            if host in visible:
                visible[host] &= folders_seen
            else:
                visible[host] = folders_seen
        unprobed = folders - set(probes.values())
        for host in visible:
            visible[host] |= unprobed
        return visible

    def _specs(self) -> list[_Spec]:
        """Pickle each node (naming one that cannot be) and wire its inputs; scatter free data."""
        import cloudpickle

        run = self.run
        catalog = run.catalog
        free_memory: dict[str, Any] = {}
        datasets: dict[str, AbstractDataset] = {}
        for inputs, outputs in run.wiring:
            for ds in (*inputs, *outputs):
                if ds in datasets or ds in free_memory:
                    continue
                dataset = catalog[ds]
                if dataset.is_persisted:
                    datasets[ds] = dataset
                elif ds not in self.producer:
                    free_memory[ds] = catalog.load(ds)
        for ds, dataset in datasets.items():
            try:
                cloudpickle.dumps(dataset)
            except Exception as exc:
                raise RunnerError(
                    f"Dataset '{ds}' ({type(dataset).__name__}) cannot be sent to a Dask worker: "
                    f"{type(exc).__name__}: {exc}. Datasets are loaded and saved on the workers, "
                    "so they must be picklable; use another runner for this pipeline."
                ) from exc
        if free_memory:
            self.scattered = self.client.scatter(free_memory, hash=False)
        self.persisted = set(datasets)
        consumed = {ds for inputs, _ in run.wiring for ds in inputs}
        terminal = {ds for _, outputs in run.wiring for ds in outputs} - consumed
        self.terminal = terminal
        specs = []
        for i, node in enumerate(run.nodes):
            try:
                payload = cloudpickle.dumps(node)
            except Exception as exc:
                raise RunnerError(
                    f"Node '{node.name}' cannot be sent to a Dask worker: its function cannot "
                    f"be pickled ({type(exc).__name__}: {exc})."
                ) from exc
            inputs, outputs = run.wiring[i]
            wiring: list[tuple[str, int, Any]] = []
            for ds in inputs:
                if ds in datasets:
                    wiring.append((ds, _FROM_DATASET, datasets[ds]))
                elif ds in self.producer:
                    wiring.append((ds, _FROM_PARENT, self.producer[ds]))
                else:
                    wiring.append((ds, _FROM_SCATTER, ds))
            outs = tuple((ds, datasets.get(ds)) for ds in outputs)
            if any(ds in terminal and dataset is None for ds, dataset in outs):
                self.keep.add(i)
            specs.append(_Spec(i, node.name, payload, tuple(wiring), outs))
        return specs

    def _submit(self, specs: list[_Spec]) -> None:
        """Submit every node in topological order; futures of parents are its arguments."""
        client = self.client
        context = self.context
        for spec in specs:
            i = spec.index
            args: list[Any] = []
            position: dict[Any, int] = {}
            for p in self.parents[i]:  # every parent, also those writing persisted data: order
                position[("node", p)] = len(args)
                args.append(self.futures[p])
            wiring = []
            for ds, kind, ref in spec.inputs:
                if kind == _FROM_PARENT:
                    ref = position[("node", ref)]
                elif kind == _FROM_SCATTER:
                    if ("data", ds) not in position:
                        position[("data", ds)] = len(args)
                        args.append(self.scattered[ds])
                    ref = position[("data", ds)]
                wiring.append((ds, kind, ref))
            spec = _Spec(i, spec.name, spec.node, tuple(wiring), spec.outputs)
            self.futures[i] = client.submit(
                _node_task,
                spec,
                context,
                *args,
                key=f"{spec.name}-{self.token}",
                pure=False,
            )

    def _collect(self) -> None:
        """Collector thread: hand each settled future to the client loop, as it completes."""
        from distributed import as_completed

        index = {f.key: i for i, f in enumerate(self.futures) if f is not None}
        # A generator, not a list: as_completed forgets each future once it is done, so the
        # client loop alone decides when upstream data may be released on the workers.
        pending = (f for f in self.futures if f is not None)
        try:
            for future in as_completed(pending, loop=self.client.loop):
                self.events.put(("done", index[future.key], future))
        except Exception as exc:  # the client went away: let the loop report it
            self.events.put(("lost", exc))

    def _on_event(self, event: tuple[float, Any]) -> None:
        """Topic handler, on the client's event loop: just queue the message."""
        self.events.put(tuple(event[1]))

    def _follow(self) -> None:
        """The client loop: hooks, listener and bookkeeping for each event, until all settled."""
        run = self.run
        left = run.total
        while left:
            if not self.cancelled and run.cancelled():
                self._cancel()
                return
            try:
                event = self.events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            kind = event[0]
            if kind == "start":
                self._started(event[1])
            elif kind == "end":
                self.durations[event[1]] = event[2]
                self.ended.add(event[1])
            elif kind == "log":
                _emit(event[1])
            elif kind == "done":
                self._settled(event[1], event[2])
                left -= 1
            elif kind == "lost":
                self._lose(None, event[1])
                return

    def _started(self, i: int) -> None:
        if self.state[i] != 0:
            return  # a late start message for a node already settled
        self.state[i] = 1
        self.started_at[i] = time.perf_counter()
        run = self.run
        run.start(i)
        try:
            self._fire_start(i)
        except Exception as exc:
            self._fail(i, exc)

    def _settled(self, i: int, future: Future) -> None:
        status = future.status
        if status == "finished":
            if self.state[i] == 0:
                self._started(i)
            if self.state[i] != 1:
                return  # a start hook already failed the node
            duration = self.durations.get(i, time.perf_counter() - self.started_at[i])
            try:
                self._fire_finish(i)
            except Exception as exc:
                self._fail(i, exc)
                return
            self.state[i] = 2
            self.run.finish(i, duration)
            self._release_parents(i)
            if not self.children_left[i] and i not in self.keep:
                self.futures[i] = None  # a leaf: nothing downstream needs its data
            return
        self.state[i] = 3
        if status == "cancelled":
            if not self.stopping:
                self._lose(i, None)
            return
        raised: BaseException = future.exception()
        if isinstance(raised, _NotRun):
            if self.started_at[i]:  # stopped after it started: it must not stay "running"
                self._interrupted(i, raised)
            return
        if any(self.state[p] != 2 for p in self.parents[i]):
            return  # an upstream failure Dask passed down: the node never ran
        error: BaseException | None = _explain_loss(raised, self.run.nodes[i].name, self.where)
        if error is None:
            tb = future.traceback()
            error = raised.with_traceback(tb) if tb is not None else raised
        self._fail(i, error)

    def _fail(self, i: int, error: BaseException) -> None:
        """Report node ``i``'s failure (hooks, listener) and stop the nodes not yet started."""
        self.state[i] = 3
        start = self.started_at[i] or time.perf_counter()
        refs = self._refs(self.run.wiring[i][0]) if self.data_hooks else {}
        with contextlib.suppress(Exception):  # the node's own error is the one to report
            self.run.fail(i, refs, error, start)
        if self.failure is None:
            self.failure = error
            self._stop()

    def _lose(self, i: int | None, exc: BaseException | None) -> None:
        """The scheduler or the connection to it went away: fail the run saying so."""
        detail = f" before node '{self.run.nodes[i].name}' finished" if i is not None else ""
        cause = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
        if self.failure is None:
            self.failure = RunnerError(
                f"Lost the Dask scheduler at {self.where}{detail}{cause}: its futures were "
                "cancelled. Check that the scheduler is still running, then resume the run."
            )
        self.stopping = True

    def _stop(self) -> None:
        """Let running nodes finish but start no others (as the pool runners do)."""
        if not self.stopping:
            self.stopping = True
            from distributed import Event

            with contextlib.suppress(Exception):
                Event(self.context.stop, client=self.client).set()

    def _cancel(self) -> None:
        """Stop at once: set the stop event for running tasks, cancel every pending future."""
        self.cancelled = True
        self._stop()
        pending = [f for f in self.futures if f is not None and not f.done()]
        if pending:
            with contextlib.suppress(Exception):
                self.client.cancel(pending)
        for i, state in enumerate(self.state):
            if state == 1:
                name = self.run.nodes[i].name
                self._interrupted(i, RunCancelled(f"Node '{name}' was cancelled while running."))

    def _interrupted(self, i: int, error: BaseException) -> None:
        """A node stopped part-way: report it as failed (no on_node_error: not its fault)."""
        self.state[i] = 3
        run = self.run
        if run.listener is not None:
            duration = time.perf_counter() - self.started_at[i]
            run.listener("node_failed", run.nodes[i], i, run.total, duration, error)

    def _cancelled(self, how: str) -> RunCancelled:
        error = DaskRunner._cancelled_error(self.run)
        if how == "interrupted":
            error = RunCancelled(
                str(error).replace("cancelled", "interrupted", 1),
                done=error.done,
                not_run=error.not_run,
            )
        return error

    def _release_parents(self, i: int) -> None:
        """Drop our reference to an upstream future once its last reader finished."""
        for p in self.parents[i]:
            self.children_left[p] -= 1
            if not self.children_left[p] and p not in self.keep:
                self.futures[p] = None

    def _drain_logs(self) -> None:
        """Wait (briefly) for each finished task's end message: its log records came first."""
        deadline = time.monotonic() + _LOG_DRAIN_SECONDS
        finished = {i for i, state in enumerate(self.state) if state == 2}
        while not finished <= self.ended and time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if event[0] == "end":
                self.ended.add(event[1])
            elif event[0] == "log":
                _emit(event[1])

    def _gather_returned(self) -> None:
        """Fetch the in-memory outputs no node read: the run returns them, as other runners do."""
        if not self.keep:
            return
        kept = sorted(self.keep)
        results = self.client.gather([self.futures[i] for i in kept])
        catalog = self.run.catalog
        for outputs in results:
            for ds, data in outputs.items():
                if ds in self.terminal:
                    catalog.save(ds, data)

    # -- hooks -----------------------------------------------------------------------------
    def _refs(self, names: list[str]) -> dict[str, Future]:
        """Futures of in-memory data for hooks; persisted data never came to this process."""
        refs: dict[str, Future] = {}
        for ds in names:
            if ds in self.scattered:
                refs[ds] = self.scattered[ds]
                continue
            p = self.producer.get(ds)
            future = self.futures[p] if p is not None else None
            if future is not None and ds not in self.persisted:
                refs[ds] = self.client.submit(operator.getitem, future, ds)
        return refs

    def _fire_start(self, i: int) -> None:
        run = self.run
        hooks = run.hooks
        node = run.nodes[i]
        inputs = run.wiring[i][0]
        refs = self._refs(inputs) if self.data_hooks else {}
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

    def _fire_finish(self, i: int) -> None:
        run = self.run
        hooks = run.hooks
        node = run.nodes[i]
        inputs, outputs = run.wiring[i]
        refs_in = self._refs(inputs) if self.data_hooks else {}
        refs_out = self._refs(outputs) if self.data_hooks else {}
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


# -- checks the client makes before submitting ---------------------------------------------


def check_dataset_paths(
    paths: Mapping[str, str],
    client_host: str,
    worker_hosts: Collection[str],
    visible: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Raise ``RunnerError`` when a persisted dataset's path is not reachable by every worker.

    ``paths`` maps dataset names to file paths as this process sees them. Workers on the
    client's own host share its file system. For other hosts a relative path is never right
    (it depends on each worker's working directory), and an absolute one must lie in a folder
    that ``visible[host]`` lists (what the probe found there); without ``visible`` absolute
    paths are trusted.
    """
    remote = sorted(host for host in set(worker_hosts) if host != client_host)
    if not remote or not paths:
        return
    problems = []
    for name, path in sorted(paths.items()):
        if not Path(path).is_absolute():
            problems.append(
                f"'{name}' has the relative path '{path}', which workers on "
                f"{', '.join(remote)} resolve against their own working directory"
            )
            continue
        if visible is None:
            continue
        folder = _existing_folder(path)
        blind = [host for host in remote if folder not in visible.get(host, ())]
        if blind:
            problems.append(
                f"'{name}' at '{path}' is not visible from workers on {', '.join(blind)} "
                f"(a file created in '{folder}' on {client_host} did not appear there)"
            )
    if problems:
        raise RunnerError(
            "Persisted datasets must be reachable from every Dask worker, but "
            + "; ".join(problems)
            + ". Put the data on a file system every worker mounts at the same absolute path "
            "(and give catalog.yml absolute paths or run from that shared checkout), or use a "
            "local cluster (leave out address)."
        )


def _persisted_paths(run: _Run) -> dict[str, str]:
    """Dataset name -> file path for the persisted datasets this run touches."""
    paths: dict[str, str] = {}
    catalog = run.catalog
    for inputs, outputs in run.wiring:
        for ds in (*inputs, *outputs):
            if ds in paths:
                continue
            dataset = catalog.get(ds)
            if dataset is None or not dataset.is_persisted:
                continue
            path = getattr(dataset, "filepath", None) or dataset.describe().get("filepath")
            if path:
                paths[ds] = str(path)
    return paths


def _existing_folder(path: str) -> str:
    """The nearest folder at or above ``path``'s parent that exists here (where a probe can go)."""
    folder = Path(path).parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return str(folder)


def _source_roots(funcs: Iterator[Any]) -> list[str]:
    """The sys.path folders the node functions' top-level packages were imported from.

    Only the project's own code: folders inside this interpreter's installation (stdlib,
    site-packages) are left to each worker's environment.
    """
    prefixes = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
    roots: set[str] = set()
    seen: set[str] = set()
    for func in funcs:
        top = (getattr(func, "__module__", None) or "").partition(".")[0]
        if not top or top in seen:
            continue
        seen.add(top)
        module = sys.modules.get(top)
        file = getattr(module, "__file__", None)
        if file:
            path = Path(file).resolve()
            root = path.parent.parent if path.name == "__init__.py" else path.parent
        else:
            locations = list(getattr(module, "__path__", []) or [])
            if not locations:
                continue
            root = Path(locations[0]).resolve().parent
        if not str(root).startswith(prefixes):
            roots.add(str(root))
    return sorted(roots)


# -- what runs on the workers -------------------------------------------------------------

_local = threading.local()
_handler_lock = threading.Lock()
_handler_installed = False
_stop_seen: dict[str, tuple[float, bool]] = {}


def _prepare_worker(roots: list[str]) -> dict[str, Any]:
    """On each worker: add the project's source folders that exist there; say where we are."""
    added = []
    for root in roots:
        if root not in sys.path and os.path.isdir(root):
            sys.path.insert(0, root)
            added.append(root)
    if added:
        importlib.invalidate_caches()
    return {"host": socket.gethostname(), "pid": os.getpid(), "added": added}


def _visible(probes: list[str]) -> list[str]:
    """On each worker: which of the client's probe files exist here."""
    return [p for p in probes if os.path.exists(p)]


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


class _ForwardingHandler(logging.Handler):
    """Ships records from threads running a node to the client as events on the run's topic.

    Only the thread running a node forwards (its run's topic is thread-local), so records of
    Dask's own machinery, or of another client's tasks on a shared cluster, stay on the worker.
    """

    def emit(self, record: logging.LogRecord) -> None:
        target = getattr(_local, "target", None)
        if target is None or getattr(_local, "busy", False):
            return
        worker, topic, node = target
        _local.busy = True  # log_event must not feed back into this handler
        try:
            exc_text = record.exc_text
            if record.exc_info and not exc_text:
                exc_text = logging.Formatter().formatException(record.exc_info)
            message = record.getMessage()
            if exc_text:
                message = f"{message}\n{exc_text}"
            worker.log_event(
                topic,
                [
                    "log",
                    {
                        "name": record.name,
                        "msg": message,
                        "levelno": record.levelno,
                        "levelname": record.levelname,
                        "created": record.created,
                        "msecs": record.msecs,
                        "pathname": record.pathname,
                        "filename": record.filename,
                        "module": record.module,
                        "lineno": record.lineno,
                        "funcName": record.funcName,
                        "process": record.process,
                        "threadName": record.threadName,
                        "node": node,
                        "worker": worker.address,
                    },
                ],
            )
        except Exception:
            self.handleError(record)
        finally:
            _local.busy = False


def _install_forwarding(level: int) -> None:
    """Once per worker process: the forwarding handler on the root logger, at the client's level."""
    global _handler_installed
    root = logging.getLogger()
    if root.getEffectiveLevel() > level:
        root.setLevel(level)  # else INFO records of node code are never created on the worker
    if _handler_installed:
        return
    with _handler_lock:
        if not _handler_installed:
            root.addHandler(_ForwardingHandler())
            _handler_installed = True


# -- the client side of log records and losses ----------------------------------------------


def _emit(payload: dict[str, Any]) -> None:
    """Hand a forwarded record to the client's logger of the same name (so the session sees it)."""
    target = logging.getLogger(payload.get("name"))
    if not target.isEnabledFor(payload.get("levelno", logging.INFO)):
        return
    record = logging.makeLogRecord(payload)
    record.args = None
    target.handle(record)


def _explain_loss(exc: BaseException | None, node: str, where: str) -> RunnerError | None:
    """A RunnerError for a lost worker or scheduler; None for the node's own exception."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError

    if isinstance(exc, KilledWorker):
        return RunnerError(
            f"Node '{node}' was running on Dask workers that died ({exc}). A worker may have "
            "run out of memory or crashed in native code; check the worker logs on "
            f"{where}, then resume the run."
        )
    if isinstance(exc, CommClosedError | FutureCancelledError):
        return RunnerError(
            f"Lost the connection to the Dask scheduler at {where} while node '{node}' ran "
            f"({type(exc).__name__}: {exc}). Check that the scheduler still runs, then resume."
        )
    return None
