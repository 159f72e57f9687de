"""Whole-process cost of running trivial chain pipelines: proj-tui vs Kedro 1.7.

    python benches/run_overhead.py [--sizes 1,100,1000,5000] [--repeat 3]
                                   [--kedro-python /path/to/venv/bin/python]
                                   [--vs-python /path/to/baseline/venv/bin/python]

For each size N it writes an N-node chain project (node i adds one to the output of node i-1) for proj-tui
and, when a Python with ``kedro`` importable is given (``--kedro-python`` or ``$KEDRO_PYTHON``), an equivalent
Kedro project, and times ``proj-tui run`` / ``kedro run`` as whole processes (best of ``--repeat``).
Without Kedro it compares against the figures measured for Kedro 1.7.0 on this project's 2-core machine.
With ``--vs-python`` (a Python whose ``proj_tui`` is another checkout, e.g. a ``git worktree`` of the
baseline commit with its own venv) each size also runs that checkout on a copy of the project, in turn
with this one (A B A B ...), and prints the median and spread of ``--repeat`` runs of each and of the
ratio taken pair by pair: the side-by-side check that a change did not make runs slower.
With ``--instructions`` as well, each side's run is counted instead under ``valgrind --tool=callgrind``
(instructions of the ``proj-tui run`` process, hash seed fixed), which a loaded machine does not
change: the per-node figure is the difference to the smallest size divided by the extra nodes.
Budgets (issue 2): at 1000 nodes >= 30x faster than Kedro, at 5000 >= 200x, and 1000 -> 5000 costs <= 6x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Kedro 1.7.0, `kedro run` of a trivial chain, whole process, 2-core machine (design notes, §5).
KEDRO_BASELINE = {1: 0.43, 100: 0.89, 1000: 6.5, 5000: 118.0}
PLAIN_LOOP_5000 = 0.035  # a plain Python process looping over the same 5000 functions

PIPELINE_CODE = """
from {node_module} import node, Pipeline


def start():
    return 0


def inc(x):
    return x + 1


def register_pipelines():
    nodes = [node(start, None, "d0", name="n0")]
    for i in range(1, {n}):
        nodes.append(node(inc, "d%d" % (i - 1), "d%d" % i, name="n%d" % i))
    pipe = Pipeline(nodes)
    return {{"__default__": pipe}}
"""


def write_project(root: Path, n: int, flavour: str) -> Path:
    """A chain project of ``n`` nodes for ``flavour`` ("proj_tui" or "kedro")."""
    project = root / f"{flavour}_{n}"
    if project.exists():
        shutil.rmtree(project)
    pkg = project / "src" / "chain"
    pkg.mkdir(parents=True)
    for env in ("base", "local"):
        (project / "conf" / env).mkdir(parents=True)
    (project / "conf" / "base" / "parameters.yml").write_text("{}\n")
    (project / "conf" / "base" / "catalog.yml").write_text("{}\n")
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text("")
    if flavour == "kedro":
        table = (
            '[tool.kedro]\npackage_name = "chain"\nproject_name = "chain"\n'
            'kedro_init_version = "1.7.0"\nsource_dir = "src"\n'
        )
        node_module = "kedro.pipeline"
    else:
        table = '[tool.proj_tui]\npackage_name = "chain"\nproject_name = "chain"\n'
        node_module = "proj_tui.pipeline"
    (project / "pyproject.toml").write_text(table)
    (pkg / "pipeline_registry.py").write_text(PIPELINE_CODE.format(node_module=node_module, n=n))
    an_hour_ago = time.time() - 3600  # config as a project has it: not written a moment ago
    for path in (project / "conf").rglob("*.yml"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return project


def time_command(argv: list[str], cwd: Path, repeat: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{result.stderr[-2000:]}")
        best = min(best, elapsed)
    return best


def time_pairs(
    a: list[str], a_cwd: Path, b: list[str], b_cwd: Path, repeat: int, env: dict[str, str]
) -> tuple[list[float], list[float]]:
    """``repeat`` runs of ``a`` and of ``b`` in turn (after one warm-up run of each)."""
    time_command(a, a_cwd, 1, env)
    time_command(b, b_cwd, 1, env)
    a_times, b_times = [], []
    for _ in range(repeat):
        a_times.append(time_command(a, a_cwd, 1, env))
        b_times.append(time_command(b, b_cwd, 1, env))
    return a_times, b_times


def _spread(values: list[float], digits: int = 3) -> str:
    return (
        f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-"
        f"{max(values):.{digits}f})"
    )


def side_by_side(sizes: list[int], repeat: int, vs_python: str, env: dict[str, str]) -> None:
    """This checkout (A) against the one ``vs_python`` imports (B), size by size."""
    print(f"side by side: A = {sys.executable}, B = {vs_python}; {repeat} runs each, in turn")
    print(f"{'nodes':>6} {'A s median (min-max)':>24} {'B s median (min-max)':>24} {'A/B':>20}")
    with tempfile.TemporaryDirectory(prefix="proj-tui-bench-vs-") as tmp:
        root = Path(tmp)
        for n in sizes:
            a_project = write_project(root / "a", n, "proj_tui")
            b_project = write_project(root / "b", n, "proj_tui")
            a_times, b_times = time_pairs(
                [sys.executable, "-m", "proj_tui", "run"],
                a_project,
                [vs_python, "-m", "proj_tui", "run"],
                b_project,
                repeat,
                env,
            )
            ratios = [x / y for x, y in zip(a_times, b_times, strict=True)]
            print(f"{n:>6} {_spread(a_times):>24} {_spread(b_times):>24} {_spread(ratios, 2):>20}")


def count_instructions(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Instructions the process ``argv`` executes (its own, not its children's)."""
    with tempfile.TemporaryDirectory(prefix="proj-tui-callgrind-") as tmp:
        out = Path(tmp) / "cg.%p"
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
            cwd=cwd,
            env={**env, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed under valgrind:\n{result.stderr[-2000:]}")
        main_pid = result.stderr.split("==", 2)[1]  # valgrind's first line names the process
        for line in result.stderr.splitlines():
            if line.startswith(f"=={main_pid}== Collected"):
                return int(line.split(":")[1].replace(",", "").strip())
    raise SystemExit("valgrind printed no instruction count")


def side_by_side_instructions(sizes: list[int], vs_python: str, env: dict[str, str]) -> None:
    """Instructions of this checkout (A) and of ``vs_python``'s (B), one counted run each."""
    print(f"instructions (callgrind): A = {sys.executable}, B = {vs_python}")
    print(f"{'nodes':>6} {'A Minstr':>10} {'B Minstr':>10} {'A/B':>6} {'A/node':>8} {'B/node':>8}")
    first: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="proj-tui-bench-vs-") as tmp:
        root = Path(tmp)
        for n in sizes:
            counts = {}
            for side, python in (("a", sys.executable), ("b", vs_python)):
                project = write_project(root / side, n, "proj_tui")
                argv = [python, "-m", "proj_tui", "run"]
                time_command(argv, project, 2, env)  # a store, .pyc files and the config cache
                counts[side] = count_instructions(argv, project, env)
                first.setdefault(side, counts[side])
            a, b = counts["a"], counts["b"]
            extra = max(n - sizes[0], 1)
            per = {k: (counts[k] - first[k]) / extra / 1e3 for k in counts}
            print(
                f"{n:>6} {a / 1e6:>10.1f} {b / 1e6:>10.1f} {a / b:>6.3f} "
                + (f"{per['a']:>7.1f}k {per['b']:>7.1f}k" if n != sizes[0] else "")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,100,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kedro-python", default=os.environ.get("KEDRO_PYTHON"))
    parser.add_argument(
        "--kedro-max",
        type=int,
        default=1000,
        help="largest N to run Kedro at (Kedro's cost grows with N^2)",
    )
    parser.add_argument(
        "--vs-python",
        help="a Python whose proj_tui is the baseline checkout: compare side by side instead",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="with --vs-python: count instructions under valgrind instead of timing",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # people run with cached bytecode
    env.pop("PROJ_TUI_ENV", None)
    if args.vs_python and args.instructions:
        side_by_side_instructions(sizes, args.vs_python, env)
        return
    if args.vs_python:
        side_by_side(sizes, args.repeat, args.vs_python, env)
        return
    with tempfile.TemporaryDirectory(prefix="proj-tui-bench-") as tmp:
        root = Path(tmp)
        ours: dict[int, float] = {}
        kedro: dict[int, tuple[float, str]] = {}
        for n in sizes:
            project = write_project(root, n, "proj_tui")
            argv = [sys.executable, "-m", "proj_tui", "run", "--project", str(project)]
            time_command(argv, project, 1, env)  # warm the page cache and .pyc files
            ours[n] = time_command(argv, project, args.repeat, env)
            if args.kedro_python and n <= args.kedro_max:
                kproject = write_project(root, n, "kedro")
                kargv = [args.kedro_python, "-m", "kedro", "run"]
                kedro[n] = (time_command(kargv, kproject, 1, env), "measured")
            elif n in KEDRO_BASELINE:
                kedro[n] = (KEDRO_BASELINE[n], "bench notes")
        print(f"proj-tui run vs kedro run, trivial chain, whole process, best of {args.repeat}")
        print(
            f"{'nodes':>6} {'proj-tui s':>11} {'kedro s':>9} {'(source)':<12} {'speed-up':>9} "
            f"{'per node µs':>12}"
        )
        for n in sizes:
            k, source = kedro.get(n, (float("nan"), "n/a"))
            base = ours[sizes[0]] if sizes[0] < n else 0.0
            per_node = (ours[n] - base) / max(n - (sizes[0] if sizes[0] < n else 0), 1) * 1e6
            print(
                f"{n:>6} {ours[n]:>11.3f} {k:>9.2f} {source:<12} {k / ours[n]:>8.0f}x "
                f"{per_node:>12.1f}"
            )
        if 1000 in ours and 5000 in ours:
            ratio = ours[5000] / ours[1000]
            print(
                f"\n1000 -> 5000 nodes costs {ratio:.2f}x (budget <= 6x: "
                f"{'ok' if ratio <= 6 else 'OVER'})"
            )
        if 5000 in ours:
            per_node_ours = (ours[5000] - ours[sizes[0]]) / (5000 - sizes[0])
            per_node_loop = PLAIN_LOOP_5000 / 5000
            print(
                f"per-node overhead vs a plain Python loop: {per_node_ours / per_node_loop:.1f}x "
                "(design budget <= 20x)"
            )
        for n, budget in ((1000, 30), (5000, 200)):
            if n in ours and n in kedro:
                speed = kedro[n][0] / ours[n]
                print(
                    f"{n} nodes: {speed:.0f}x faster than kedro (budget >= {budget}x: "
                    f"{'ok' if speed >= budget else 'OVER'})"
                )


if __name__ == "__main__":
    main()
