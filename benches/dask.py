"""DaskRunner: per-node overhead against the process-pool runner, and speed-up on CPU-bound nodes.

    python benches/dask.py [--trivial 200] [--cpu-nodes 64] [--cpu-seconds 0.5] [--repeat 3]

1. Overhead: the same trivial pipeline (``--trivial`` nodes, as a chain and as independent
   nodes) on SequentialRunner (the named baseline), ParallelRunner (2 processes) and DaskRunner
   on an already running 2-process LocalCluster, plus bare Dask futures of the same shape (what
   Dask itself costs); per node = run time / nodes (best of ``--repeat``). The cost of starting
   a LocalCluster per run is measured on its own.
2. Speed-up: ``--cpu-nodes`` independent nodes, each a fixed busy loop calibrated to take
   ``--cpu-seconds`` on one core (CPU work, not sleep), on SequentialRunner (baseline) and on
   DaskRunner with 1, 2 (and, with more cores, more) single-threaded worker processes: the run
   on a started cluster, and with the cluster's start-up added (what ``proj-tui run --runner
   dask`` without an address pays).

Needs the extra: ``pip install 'proj-tui[dask]'``.
"""

from __future__ import annotations

import argparse
import logging
import operator
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# This file is named dask.py: drop its folder from the path, or `import dask` would find it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "src"))

from proj_tui.io import DataCatalog  # noqa: E402
from proj_tui.pipeline import Pipeline, node  # noqa: E402
from proj_tui.runner import AbstractRunner, ParallelRunner, SequentialRunner  # noqa: E402
from proj_tui.runner.dask_runner import DaskRunner  # noqa: E402


def busy(iterations: int) -> int:
    """CPU work only: a fixed number of loop steps (the GIL is held throughout)."""
    total = 0
    for i in range(iterations):
        total += i & 7
    return total


def calibrate(seconds: float) -> int:
    """Loop steps that take ``seconds`` on one core of this machine."""
    steps = 200_000
    while True:
        began = time.perf_counter()
        busy(steps)
        took = time.perf_counter() - began
        if took > 0.1:
            return int(steps * seconds / took)
        steps *= 4


def chain(n: int) -> Pipeline:
    nodes = [node(operator.pos, "d0", "d1", name="n0")]
    nodes += [node(operator.pos, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(1, n)]
    return Pipeline(nodes)


def independent(n: int, func: Callable[..., object] = operator.pos, source: str = "d0") -> Pipeline:
    return Pipeline([node(func, source, f"out{i}", name=f"n{i}") for i in range(n)])


def timed(runner: AbstractRunner, pipe: Pipeline, data: dict[str, object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        runner.run(pipe, DataCatalog(raw_data=data))
        best = min(best, time.perf_counter() - began)
    return best


def bare_dask(address: str, n: int, repeat: int) -> tuple[float, float]:
    """The same shapes as plain ``client.submit`` calls: what Dask itself costs per task."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        best_chain = best_wide = float("inf")
        for _ in range(repeat):
            began = time.perf_counter()
            future = client.submit(operator.pos, 1, pure=False)
            for _ in range(n - 1):
                future = client.submit(operator.pos, future, pure=False)
            future.result()
            best_chain = min(best_chain, time.perf_counter() - began)
            began = time.perf_counter()
            client.gather([client.submit(operator.pos, 1, pure=False) for _ in range(n)])
            best_wide = min(best_wide, time.perf_counter() - began)
    return best_chain, best_wide


def row(label: str, t_chain: float, t_wide: float, n: int) -> None:
    print(
        f"{label:40} {t_chain:9.3f}s {t_chain / n * 1e3:8.2f}ms "
        f"{t_wide:11.3f}s {t_wide / n * 1e3:8.2f}ms"
    )


def overhead(n: int, repeat: int) -> None:
    from distributed import LocalCluster

    began = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    startup = time.perf_counter() - began
    try:
        runners: list[tuple[str, AbstractRunner]] = [
            ("SequentialRunner (baseline)", SequentialRunner()),
            ("ParallelRunner, 2 processes", ParallelRunner(max_workers=2)),
            ("DaskRunner, 2 worker processes", DaskRunner(address=cluster.scheduler_address)),
        ]
        print(f"\n1. Per-node cost, {n} trivial nodes (best of {repeat})")
        print(f"{'runner':40} {'chain':>10} {'per node':>10} {'independent':>12} {'per node':>10}")
        for label, runner in runners:
            row(
                label,
                timed(runner, chain(n), {"d0": 1}, repeat),
                timed(runner, independent(n), {"d0": 1}, repeat),
                n,
            )
        row(
            "(Dask futures alone, same cluster)",
            *bare_dask(cluster.scheduler_address, n, repeat),
            n,
        )
    finally:
        cluster.close()
    print(
        f"Starting a 2-process LocalCluster (paid per run unless address= is given): {startup:.2f}s"
    )


def speedup(nodes: int, seconds: float) -> None:
    from distributed import LocalCluster

    steps = calibrate(seconds)
    pipe = independent(nodes, busy, "params:steps")
    data: dict[str, object] = {"params:steps": steps}
    cores = os.cpu_count() or 1
    counts = [1, 2] + [c for c in (4, 8, 16) if 2 < c <= cores]
    print(f"\n2. {nodes} independent CPU-bound nodes of ~{seconds}s each ({cores} cores)")
    print(f"{'runner':40} {'run':>8} {'speed-up':>9} {'+cluster start':>15} {'speed-up':>9}")
    base = timed(SequentialRunner(), pipe, data, 1)
    print(f"{'SequentialRunner (baseline)':40} {base:7.2f}s {1:8.2f}x")
    for count in counts:
        began = time.perf_counter()
        cluster = LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        startup = time.perf_counter() - began
        try:
            took = timed(DaskRunner(address=cluster.scheduler_address), pipe, data, 1)
        finally:
            cluster.close()
        label = f"DaskRunner, {count} worker process{'es' if count > 1 else ''}"
        total = took + startup
        print(f"{label:40} {took:7.2f}s {base / took:8.2f}x {total:14.2f}s {base / total:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trivial", type=int, default=200)
    parser.add_argument("--cpu-nodes", type=int, default=64)
    parser.add_argument("--cpu-seconds", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    overhead(args.trivial, args.repeat)
    speedup(args.cpu_nodes, args.cpu_seconds)


if __name__ == "__main__":
    main()
