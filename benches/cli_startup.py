"""Whole-process timings of the command line against its budgets (issue 20), side by side.

    python benches/cli_startup.py [--repeat 5] [--kedro-nodes 1000] [--no-kedro]

Each round runs every command once, in turn (``python -c pass``, ``proj-tui --help``,
``proj-tui sessions list``, ``proj-tui run`` of a 1-node project, then ``proj-tui run`` and
``kedro run`` of a 1000-node trivial chain), so a machine whose speed drifts slows all of them
alike; each figure is the median of ``--repeat`` rounds with the fastest and slowest beside it.
Output goes to a pipe, as from a script, and bytecode is cached (one warm-up round first).

Budgets: ``run`` of 1 node <= 0.12 s; ``sessions list`` <= 0.07 s; ``--help`` <= 0.035 s and
<= 3x ``python -c pass``; ``run`` of the 1000-node chain >= 50x faster than ``kedro run``
(Kedro 1.x importable by this Python, or ``--kedro-python``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run_overhead import write_project


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed in {cwd}:\n{result.stderr.decode(errors='replace')[-2000:]}"
        )
    return elapsed


def _kedro_importable(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import kedro"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--kedro-nodes", type=int, default=1000)
    parser.add_argument("--kedro-python", default=os.environ.get("KEDRO_PYTHON", sys.executable))
    parser.add_argument("--no-kedro", action="store_true", help="skip the kedro run comparison")
    args = parser.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # people run with cached bytecode
    env.pop("PROJ_TUI_ENV", None)
    env["KEDRO_DISABLE_TELEMETRY"] = "true"
    ours = [sys.executable, "-m", "proj_tui"]
    with tempfile.TemporaryDirectory(prefix="proj-tui-cli-bench-") as tmp:
        root = Path(tmp)
        one = write_project(root, 1, "proj_tui")
        chain = write_project(root, args.kedro_nodes, "proj_tui")
        commands: dict[str, tuple[list[str], Path]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], one),
            "proj-tui --help": ([*ours, "--help"], one),
            "proj-tui sessions list": ([*ours, "sessions", "list"], one),
            "proj-tui run, 1 node": ([*ours, "run"], one),
            f"proj-tui run, {args.kedro_nodes} nodes": ([*ours, "run"], chain),
        }
        kedro_label = f"kedro run, {args.kedro_nodes} nodes"
        if not args.no_kedro and _kedro_importable(args.kedro_python):
            kproject = write_project(root, args.kedro_nodes, "kedro")
            commands[kedro_label] = ([args.kedro_python, "-m", "kedro", "run"], kproject)
        times: dict[str, list[float]] = {label: [] for label in commands}
        _timed([*ours, "run"], one, env)  # a store for sessions list to read
        for argv, cwd in commands.values():  # warm-up: .pyc files, page cache
            _timed(argv, cwd, env)
        for _ in range(args.repeat):
            for label, (argv, cwd) in commands.items():
                times[label].append(_timed(argv, cwd, env))

    def med(label: str) -> float:
        return statistics.median(times[label])

    print(f"whole process, median of {args.repeat} rounds (min-max), output to a pipe")
    budgets = {
        "proj-tui --help": 0.035,
        "proj-tui sessions list": 0.07,
        "proj-tui run, 1 node": 0.12,
    }
    for label, values in times.items():
        budget = budgets.get(label)
        verdict = ""
        if budget is not None:
            verdict = f"budget <= {budget:.3f} s: {'ok' if med(label) <= budget else 'OVER'}"
        print(
            f"  {label:<28} {med(label):7.3f} s  ({min(values):.3f}-{max(values):.3f})  {verdict}"
        )
    help_ratio = [
        h / p for h, p in zip(times["proj-tui --help"], times["python -c pass"], strict=True)
    ]
    ratio = statistics.median(help_ratio)
    print(
        f"  --help / python -c pass      {ratio:7.2f}x  ({min(help_ratio):.2f}-"
        f"{max(help_ratio):.2f})  budget <= 3x: {'ok' if ratio <= 3 else 'OVER'}"
    )
    ours_chain = f"proj-tui run, {args.kedro_nodes} nodes"
    if kedro_label in times:
        speedups = [k / o for k, o in zip(times[kedro_label], times[ours_chain], strict=True)]
        speedup = statistics.median(speedups)
        print(
            f"  kedro run / proj-tui run     {speedup:7.1f}x  ({min(speedups):.1f}-"
            f"{max(speedups):.1f}), pair by pair  budget >= 50x: "
            f"{'ok' if speedup >= 50 else 'OVER'}"
        )
    else:
        print("  (kedro run not measured: no Kedro importable; see --kedro-python)")


if __name__ == "__main__":
    main()
