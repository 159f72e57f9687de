"""Producer cost per log line: what `proj-tui run --events json` pays for each line a node logs.

    .venv/bin/python benches/producer.py [--lines 100000] [--repeat 5]

The app streams every log line of a session from a child ``proj-tui run --events json`` (see
docs/events.md), so the producer's cost per line caps what ``benches/app.py --real`` can show. This
builds a project whose one node logs ``--lines`` lines (``log.info("line %d of %d: %s", ...)``, like
``benches/app.py --real``) and reports:

1. **Whole process**: ``proj-tui run --events json > /dev/null``, wall time (best and median of
   ``--repeat``) and CPU time of the process (start-up included, ~0.3 s).
2. **Per line, in-process**, CPU microseconds (best of ``--repeat``, so other load on the machine
   counts less), each row adding one piece to the one above:
   stdlib logging alone (a LogRecord and a no-op handler: the floor, paid by any handler);
   the session's RecordingHandler and Recorder with a store that discards (format, scrub, buffer);
   plus the ``--events json`` writer to /dev/null (JSON line, batching);
   plus the real SQLite store, written by the recorder's thread (the whole producer).

Baseline, before the log path was trimmed (2-core machine, load ~1, Python 3.11, 100k lines): whole
process best 1.61 s (62k lines/s), CPU 1.60 s; per line 2.7 / 6.3 / 10.6 / 13.5 us CPU for the four
rows. After (same conditions): best 1.34 s (75k lines/s), CPU 1.32 s; 2.7 / 5.7 / 7.9 / 10.8 us.
The goal is the app's budget in benches/app.py (>= 50k lines/s shown), which needs a producer well
above that: the app alone takes ~80k lines/s.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def make_project(base: Path, lines: int) -> Path:
    """The same project as ``benches/app.py --real``: one node logging ``lines`` lines."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from app import make_project as app_project

    return app_project(base, real=True, lines=lines)


def whole_process(project: Path, repeat: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "proj_tui",
                "run",
                "--project",
                str(project),
                "--events",
                "json",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        )
    return walls, cpus


def per_line(project: Path, lines: int, repeat: int) -> list[tuple[str, float, float]]:
    """(label, best CPU us/line, best wall us/line) for each cumulative piece."""
    from proj_tui.cli.run import EventWriter
    from proj_tui.framework.session import Session

    # what `proj-tui run --events json` sets before any project code runs (cli/run.py)
    logging._srcfile = None
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    log = logging.getLogger("taxi.spam")
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    devnull = open(os.devnull, "w", encoding="utf-8", errors="replace", buffering=1 << 16)  # noqa: SIM115

    def spam() -> None:
        for i in range(lines):
            log.info("line %d of %d: %s", i, lines, "x" * 48)

    class NoOp(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            pass

    class Discard:
        def append_logs(self, session_id: str, lines: list[Any]) -> None:
            pass

        def record_nodes(self, session_id: str, nodes: list[Any]) -> None:
            pass

        def heartbeat(self, session_id: str) -> None:
            pass

    def stdlib() -> None:
        handler = NoOp()
        root.addHandler(handler)
        try:
            spam()
        finally:
            root.removeHandler(handler)

    def session_run(discard: bool, writer: bool) -> Callable[[], None]:
        def run() -> None:
            session = Session.create(project_path=project)
            if discard:  # the recorder's store, for log lines only
                session._recorder.store = Discard()  # type: ignore[assignment]
            if writer:
                session.subscribe(EventWriter(devnull))
            session.load_context()  # credentials known: the redactor has secrets to scrub
            with session:
                spam()
                session._recorder.stop()  # the store holds every line: part of the cost

        return run

    cases = [
        ("stdlib logging, no-op handler", stdlib),
        ("+ RecordingHandler, Recorder (store discards)", session_run(True, False)),
        ("+ --events json writer to /dev/null", session_run(True, True)),
        ("+ SQLite store (the whole producer)", session_run(False, True)),
    ]
    results = []
    for label, case in cases:
        cpu, wall = [], []
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            case()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - t0)
        results.append((label, min(cpu) / lines * 1e6, min(wall) / lines * 1e6))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="proj-tui-bench-producer-"))
    try:
        project = make_project(base, args.lines)
        print(
            f"proj-tui producer benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
            f"load average {os.getloadavg()[0]:.2f} at start: other work on the machine skews it)"
        )
        walls, cpus = whole_process(project, args.repeat)
        best, median = min(walls), statistics.median(walls)
        print(
            f"whole process, `proj-tui run --events json > /dev/null`, {args.lines} lines: "
            f"best {best:.2f} s ({args.lines / best:,.0f} lines/s), median {median:.2f} s "
            f"({args.lines / median:,.0f} lines/s); CPU best {min(cpus):.2f} s"
        )
        print("per line, in-process (best of repeats):")
        for label, cpu_us, wall_us in per_line(project, args.lines, args.repeat):
            print(f"  {label:48s} {cpu_us:5.1f} us CPU  {wall_us:5.1f} us wall")
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
