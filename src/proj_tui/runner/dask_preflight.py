"""What the client checks and sets up on the Dask workers before anything is submitted.

Persisted datasets are loaded and saved on the workers and node functions are imported there,
so a run first waits for a worker, puts the project's source folders on the workers' paths and
refuses dataset paths some worker cannot reach. Both sides live here: the client's checks and
the small functions it runs on every worker (``_prepare_worker``, ``_visible``), which are
module-level so a worker can import them by name.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.runner.base import RunnerError, _Run

if TYPE_CHECKING:
    from distributed import Client

_PROBE_PREFIX = ".proj-tui-probe-"


def _prepare_workers(
    client: Client,
    run: _Run,
    *,
    where: str,
    address: str | None,
    timeout: float,
    client_host: str,
    token: str,
) -> None:
    """Wait for a worker, put the project's source on worker paths, check dataset paths."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError) as exc:
        raise RunnerError(
            f"The Dask scheduler at {where} has no workers (waited "
            f"{timeout:g} s: {exc}). Start some with `dask worker "
            f"{address or 'tcp://host:8786'}`."
        ) from None
    roots = _source_roots(node.func for node in run.nodes)
    try:
        info: dict[str, dict[str, Any]] = client.run(_prepare_worker, roots)
    except Exception as exc:  # typically: proj_tui cannot be imported on a worker
        raise RunnerError(
            f"Could not prepare the Dask workers at {where} ({type(exc).__name__}: "
            f"{exc}). Each worker needs proj-tui installed (the same version as here) and "
            "the project's dependencies; see docs/dask.md."
        ) from exc
    hosts = sorted({w["host"] for w in info.values()})
    paths = _persisted_paths(run)
    visible: dict[str, set[str]] | None = None
    if paths and any(host != client_host for host in hosts):
        visible = _probe(client, paths, info, token)
    check_dataset_paths(paths, client_host, hosts, visible)


def _probe(
    client: Client, paths: Mapping[str, str], info: Mapping[str, Any], token: str
) -> dict[str, set[str]]:
    """Which folders the workers of each host see: a file made here must be visible there."""
    folders = {_existing_folder(path) for path in paths.values() if Path(path).is_absolute()}
    probes: dict[str, str] = {}
    try:
        for folder in folders:
            probe = Path(folder, f"{_PROBE_PREFIX}{token}")
            try:
                probe.touch()
            except OSError:
                continue  # this process cannot write there either; the save will say so
            probes[str(probe)] = folder
        seen: dict[str, list[str]] = client.run(_visible, sorted(probes))
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
