"""Live-session bench: the Supervisor's throughput (spool files vs the old pipes) and a follower's cost.

    .venv/bin/python benches/live.py [--lines 100000] [--repeat 5] [--baseline-ref REF]
                                     [--only stream|latency|follow]

1. **stream**: a real ``proj-tui run`` of one node logging ``--lines`` lines, supervised by the
   Supervisor of this tree (child output to spool files, ``framework.detach``) and by the
   Supervisor of ``--baseline-ref`` (loaded from git: the child's stdout/stderr are pipes), runs
   interleaved so load falls on both alike. Reported: lines/s handed to ``on_batch`` (first log
   line → last) and the supervising thread's CPU per line (``time.thread_time``: the figure load
   changes least). Budget (design §5, issue 17): no regression; the app streams ~50k lines/s from
   a real run (benches/app.py --real).
2. **latency**: a real ``proj-tui run`` whose node logs a line every 50 ms, followed from the store
   by a :class:`SessionFollower` polled at 20 Hz (as an attached app polls): line logged (its
   record's time) → the poll that returned it, median and p95. Budget: a line logged by a node
   shows in an attached app within 250 ms (issue 17); this is the store's share of it (the run's
   recorder flushes every 0.2 s), before the app draws.
3. **follow**: a :class:`SessionFollower` polled at 20 Hz on a session that is running but quiet,
   and on one logging ~2k lines/s: CPU of the polling thread as a share of one core. Budget:
   following costs <= 2% of a core at idle (issue 17).

Say what load you measured under: the bench prints ``uptime`` first.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIPES_REF = "a78a838f41dc48442e576c7b3acc029c74de9694"
"""The last commit whose Supervisor read its child through pipes (the baseline)."""
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benches"))

from app import SPAM_NODE, SPAM_REGISTRY  # noqa: E402 - the same producer benches/app.py uses

from proj_tui.framework.events import LogMessage  # noqa: E402

TICK_NODE = """
import logging
import time

log = logging.getLogger(__name__)


def tick(n):
    for i in range(n):
        log.info("tick %d", i)
        time.sleep(0.05)
    return n
"""

TICK_REGISTRY = """
from proj_tui.pipeline import Pipeline, node
from {package}.tick import tick


def register_pipelines():
    return {{"__default__": Pipeline([node(tick, "params:bench_lines", "ticked", name="tick")])}}
"""


def make_project(base: Path, lines: int, *, tick: bool = False) -> Path:
    from proj_tui.cli.new import create_project

    project = create_project(base / "taxi")
    package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())
    node, registry = (TICK_NODE, TICK_REGISTRY) if tick else (SPAM_NODE, SPAM_REGISTRY)
    (package / ("tick.py" if tick else "spam.py")).write_text(node)
    (package / "pipeline_registry.py").write_text(registry.format(package=package.name))
    params = project / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text() + f"\nbench_lines: {lines}\n")
    return project


def baseline_module(ref: str, folder: Path) -> ModuleType:
    """``tui/supervisor.py`` as it was at ``ref``, importable beside this tree's modules."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:src/proj_tui/tui/supervisor.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = folder / "baseline_supervisor.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_supervisor", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def stream_once(supervisor_cls: Any, project: Path, lines: int) -> tuple[float, float]:
    """(lines/s handed over, supervising thread's CPU µs per line) for one supervised run."""
    first: list[float] = []
    last = [0.0]
    count = [0]

    def on_batch(batch: list[Any]) -> None:
        n = sum(1 for e in batch if type(e) is LogMessage and e.session_id)
        if n:
            now = time.perf_counter()
            if not first:
                first.append(now)
            last[0] = now
            count[0] += n

    argv = [sys.executable, "-m", "proj_tui", "run", "--events", "json"]
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    sup = supervisor_cls(argv, cwd=project, on_batch=on_batch, env_vars=env)
    cpu0 = time.thread_time()
    code = sup.run()
    cpu = time.thread_time() - cpu0
    assert code == 0, code
    assert count[0] >= lines, (count[0], lines)
    return count[0] / (last[0] - first[0]), cpu / count[0] * 1e6


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    f = fmt.format
    return f"median {f(statistics.median(values))} ({f(min(values))} to {f(max(values))}, n={len(values)})"


def bench_stream(args: argparse.Namespace, base: Path) -> None:
    from proj_tui.tui.supervisor import Supervisor

    project = make_project(base / "stream", args.lines)
    old = baseline_module(args.baseline_ref, base).Supervisor
    results: dict[str, tuple[list[float], list[float]]] = {"files": ([], []), "pipes": ([], [])}
    for _ in range(args.repeat):  # interleaved: load falls on both alike
        for name, cls in (("files", Supervisor), ("pipes", old)):
            rate, cpu = stream_once(cls, project, args.lines)
            results[name][0].append(rate)
            results[name][1].append(cpu)
    print(f"stream: {args.lines} lines from a real `proj-tui run`, {args.repeat} runs each")
    for name, (rates, cpus) in results.items():
        label = (
            "this tree (spool files)" if name == "files" else f"{args.baseline_ref[:10]} (pipes)"
        )
        print(f"  {label:28} lines/s {spread(rates, '{:,.0f}')}")
        print(f"  {'':28} CPU µs/line {spread(cpus, '{:.2f}')}")
    ratio = statistics.median(results["files"][0]) / statistics.median(results["pipes"][0])
    print(f"  files/pipes lines/s: {ratio:.2f}x (budget: no regression, ~1.0x or better)")


def bench_latency(args: argparse.Namespace, base: Path) -> None:
    from proj_tui.framework.follow import SessionFollower
    from proj_tui.framework.live import live_sessions
    from proj_tui.framework.project import open_store

    ticks = max(20, int(args.seconds / 0.05))
    project = make_project(base / "latency", ticks, tick=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db = project / ".proj-tui" / "sessions.db"
    latencies: list[float] = []
    try:
        sid = None
        while sid is None:
            time.sleep(0.01)
            if db.exists():
                with open_store(project, readonly=True) as store:
                    live = live_sessions(store)
                sid = live[0].session_id if live else None
        with open_store(project, readonly=True) as store:
            follower = SessionFollower(store, sid, tail=0)
            while not follower.ended:
                got = time.time()
                events = follower.poll()
                latencies += [
                    got - e.ts
                    for e in events
                    if isinstance(e, LogMessage) and e.message.startswith("tick ")
                ]
                time.sleep(0.05)
    finally:
        proc.wait()
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"latency: {len(ms)} lines of a real run, logged every 50 ms, followed at 20 Hz")
    print(
        f"  line logged -> follower has it: median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms,"
        f" max {ms[-1]:.0f} ms (budget: shown in an attached app <= 250 ms)"
    )


def bench_follow(args: argparse.Namespace, base: Path) -> None:
    from proj_tui.framework.follow import SessionFollower
    from proj_tui.framework.store import LogLine, SQLiteSessionStore

    db = base / "follow.db"
    writer = SQLiteSessionStore(db)
    quiet = writer.create_session({"pipeline": "p", "pid": os.getpid()})
    busy = writer.create_session({"pipeline": "p", "pid": os.getpid()})
    print(
        f"follow: a SessionFollower polled at 20 Hz for {args.seconds:.0f} s (budget <= 2% of a core)"
    )
    for name, sid, rate in (("quiet session", quiet, 0), ("~2k lines/s, 5 commits/s", busy, 2000)):
        stop = threading.Event()

        def write(sid: str = sid, rate: int = rate, stop: threading.Event = stop) -> None:
            n = 0
            while not stop.wait(0.2):  # the recorder's flush interval
                if rate:
                    batch = [LogLine(message=f"line {n + i}") for i in range(rate // 5)]
                    writer.append_logs(sid, batch)
                    n += len(batch)

        thread = threading.Thread(target=write)
        thread.start()
        shares = []
        with SQLiteSessionStore(db, readonly=True) as reader:
            follower = SessionFollower(reader, sid)
            for _ in range(args.repeat):
                cpu0, wall0 = time.thread_time(), time.perf_counter()
                end = wall0 + args.seconds / args.repeat
                while time.perf_counter() < end:
                    follower.poll()
                    time.sleep(0.05)
                shares.append((time.thread_time() - cpu0) / (time.perf_counter() - wall0) * 100)
        stop.set()
        thread.join()
        print(f"  {name:28} CPU % of a core {spread(shares, '{:.2f}')}")
    writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baseline-ref", default=PIPES_REF)
    parser.add_argument("--only", choices=["stream", "latency", "follow"])
    args = parser.parse_args()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.only in (None, "stream"):
            bench_stream(args, base)
        if args.only in (None, "latency"):
            bench_latency(args, base)
        if args.only in (None, "follow"):
            bench_follow(args, base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
