"""One Dask run followed from the client: events in, listener, hooks, failure and cancel out.

``_Execution`` prepares the workers, has ``_Dataflow`` submit every node, then conducts: tasks
report "started" and their log records on a per-run event topic, completion comes from
``as_completed``, and each arrives here, where the same ``_Run`` as the other runners turns it
into listener events and the failure report. A failed node stops the nodes not yet started; a
cancel also cancels every pending future; a lost worker or scheduler is said so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from proj_tui.runner.base import AbstractRunner, RunCancelled, RunnerError, _Run
from proj_tui.runner.dask_dataflow import _Dataflow
from proj_tui.runner.dask_hooks import _hooks_at_finish, _hooks_at_start, _takes_data
from proj_tui.runner.dask_logs import _emit
from proj_tui.runner.dask_preflight import _prepare_workers
from proj_tui.runner.dask_task import _Context, _NotRun

if TYPE_CHECKING:
    from distributed import Client, Future

_POLL_SECONDS = 0.05  # how often the client loop looks at the cancel event
_LOG_DRAIN_SECONDS = 2.0  # how long the end of a run waits for the last forwarded log records


class _Execution:
    """One run on one client: prepare workers, submit every node, follow them to the end."""

    def __init__(self, run: _Run, client: Client, address: str | None, timeout: float) -> None:
        """``address`` is the scheduler's (None for a local cluster); ``timeout`` how long the
        workers may take to be ready, in seconds."""
        self.run = run
        self.client = client
        self.address, self.timeout = address, timeout
        self.where = address or "a local cluster"
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
        self.flow = _Dataflow(run, client, self.context, self.token)
        self.state = [0] * total  # 0 pending, 1 started, 2 finished, 3 failed or not run
        self.started_at = [0.0] * total
        self.durations: dict[int, float] = {}
        self.ended: set[int] = set()
        self.data_hooks = _takes_data(run.hooks)
        self.stopping = False
        self.cancelled = False
        self.failure: BaseException | None = None

    # -- the run ----------------------------------------------------------------------------
    def execute(self) -> None:
        client = self.client
        _prepare_workers(
            client,
            self.run,
            where=self.where,
            address=self.address,
            timeout=self.timeout,
            client_host=self.context.client_host,
            token=self.token,
        )
        specs = self.flow.specs()
        client.subscribe_topic(self.context.topic, self._on_event)
        try:
            try:
                self.flow.submit(specs)
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
            self.flow.gather_returned()
        finally:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(self.context.topic)

    def _collect(self) -> None:
        """Collector thread: hand each settled future to the client loop, as it completes."""
        from distributed import as_completed

        futures = self.flow.futures
        index = {f.key: i for i, f in enumerate(futures) if f is not None}
        # A generator, not a list: as_completed forgets each future once it is done, so the
        # client loop alone decides when upstream data may be released on the workers.
        pending = (f for f in futures if f is not None)
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

    def _settled(self, i: int, future: Future[Any]) -> None:
        status = future.status
        if status == "finished":
            if self.state[i] == 0:
                self._started(i)
            if self.state[i] != 1:
                return  # a start hook already failed the node
            duration = self.durations.get(i, time.perf_counter() - self.started_at[i])
            try:
                self._fire_finish(i)
                self.run.confirm(i)
            except Exception as exc:
                self._fail(i, exc)
                return
            self.state[i] = 2
            self.run.finish(i, duration)
            self.flow.release(i)
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
        if any(self.state[p] != 2 for p in self.flow.parents[i]):
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
        refs = self.flow.refs(self.run.wiring[i][0]) if self.data_hooks else {}
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
        # A node that finished before the cancel is done, though its "done" may still be queued
        # behind the start message that made the listener cancel (seen in CI: a finished
        # upstream node reported as cancelled while running).
        for i, future in enumerate(self.flow.futures):
            if future is not None and self.state[i] in (0, 1) and future.status == "finished":
                self._settled(i, future)
        self._stop()
        pending = [f for f in self.flow.futures if f is not None and not f.done()]
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
            run.listener.node_failed(run.nodes[i], i, run.total, duration, error)

    def _cancelled(self, how: str) -> RunCancelled:
        # DaskRunner inherits the staticmethod; naming the base keeps this module free of it.
        error = AbstractRunner._cancelled_error(self.run)
        if how == "interrupted":
            error = RunCancelled(
                str(error).replace("cancelled", "interrupted", 1),
                done=error.done,
                not_run=error.not_run,
            )
        return error

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

    # -- hooks -----------------------------------------------------------------------------
    def _fire_start(self, i: int) -> None:
        refs = self.flow.refs(self.run.wiring[i][0]) if self.data_hooks else {}
        _hooks_at_start(self.run, i, refs)

    def _fire_finish(self, i: int) -> None:
        inputs, outputs = self.run.wiring[i]
        refs_in = self.flow.refs(inputs) if self.data_hooks else {}
        refs_out = self.flow.refs(outputs) if self.data_hooks else {}
        _hooks_at_finish(self.run, i, refs_in, refs_out)


# -- the client side of losses ----------------------------------------------------------------


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
