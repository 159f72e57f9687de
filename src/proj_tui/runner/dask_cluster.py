"""Setting up and tearing down the Dask client (and ``LocalCluster``) a run uses.

Kept apart from the run itself: connecting, starting a cluster for one run, closing both, and
keeping Dask's own start-up chatter out of the session log are the same whatever is submitted.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from proj_tui.runner.base import RunnerError

if TYPE_CHECKING:
    from distributed import Client


@contextlib.contextmanager
def _open_client(
    address: str | None,
    n_workers: int | None,
    threads_per_worker: int | None,
    processes: bool,
    timeout: float,
) -> Iterator[Client]:
    """A client on the given scheduler, or on a LocalCluster that lives for this run."""
    from distributed import Client, LocalCluster

    _quiet_dask_logging()
    cluster = None
    if address is None:
        options: dict[str, Any] = {"processes": processes, "dashboard_address": ":0"}
        if n_workers is not None:
            options["n_workers"] = n_workers
        if threads_per_worker is not None:
            options["threads_per_worker"] = threads_per_worker
        cluster = LocalCluster(**options)
    try:
        try:
            client = Client(
                cluster if cluster is not None else address,
                timeout=timeout,
                set_as_default=False,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunnerError(
                f"Cannot reach the Dask scheduler at {address!r} within "
                f"{timeout:g} s ({type(exc).__name__}: {exc}). Check the address "
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
