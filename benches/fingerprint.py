"""What recording code and data as they were costs a run (issue 19), beside the run's own time.

    .venv/bin/python benches/fingerprint.py [--repeat 5] [--big-mb 500]

1. **Demo** (``proj-tui new``, in git): ``--repeat`` real ``proj-tui run`` s; per run, the session's
   duration from the store, and the fingerprinting of every dataset it recorded, timed again here on
   the same files (``data_fingerprint.Fingerprinter``, as the session does after its run). Also the
   code state on a clean tree (nothing past ``git status``) and on a dirty one (a patch and an
   untracked file: ``git rev-parse``, ``git diff``, ``git ls-files``), and the two store writes
   (code state, dataset rows) into a scratch store.
2. **A 500 MB output**: the demo with one more pipeline whose node writes ``--big-mb`` MB to a
   pickle; the run's duration beside the fingerprint of that file (``sampled-v1``: 64 blocks of 64
   KiB) and, for comparison, a whole-file BLAKE2b of it (what the ``whole`` scheme would cost).

Baseline: the run itself. Budget: fingerprinting <= 5% of the run's time. Medians and spread
(min-max) of the repeats; runs are interleaved with the measurements, so a change in the machine's
load falls on both. Wall-clock figures on a loaded machine are noisy: the ratio is what to read;
``uptime`` is printed first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from proj_tui.cli.new import create_project
from proj_tui.framework.code_state import capture_code_state
from proj_tui.framework.data_fingerprint import Fingerprinter, fingerprint_path
from proj_tui.framework.gitinfo import describe_git
from proj_tui.framework.store import SQLiteSessionStore

BUDGET = 0.05

BIG_PIPELINE = """
from proj_tui.pipeline import Pipeline, node


def write_big(size_mb: int) -> bytes:
    return bytes(range(256)) * (size_mb * 4096)


def create_pipeline() -> Pipeline:
    return Pipeline([node(write_big, "params:big_mb", "big_output", name="write_big")])
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@e", *args],
        check=True,
        capture_output=True,
    )


def _run(project: Path, *extra: str) -> tuple[str, float]:
    env = {**os.environ, "PROJ_TUI_NO_WATCHDOG": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(project), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run failed:\n{done.stderr[-2000:]}")
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        summary = store.list_sessions(limit=1)[0]
    return summary.session_id, float(summary.duration or 0.0)


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _store_writes(project: Path, session_id: str, scratch: Path) -> float:
    """Writing this session's code state and dataset rows again, into a scratch store."""
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        rows = store.datasets(session_id)
        state = store.code_state(session_id)
    assert state is not None
    with SQLiteSessionStore(scratch) as target:
        sid = target.create_session({"env": "local"})
        start = time.perf_counter()
        target.record_code_state(sid, state, {})
        target.record_datasets(sid, rows, replace=True)
        return time.perf_counter() - start


def _fingerprint_session(project: Path, session_id: str) -> float:
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        rows = store.datasets(session_id)

    def work() -> None:
        fingerprinter = Fingerprinter()
        for r in rows:
            fingerprinter.record(r.node, r.name, r.role, r.type, r.path, r.version)

    return _timed(work)


def _stats(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"median {statistics.median(values) * 1000:8.1f} ms  (spread {low:.1f}-{high:.1f})"


def _verdict(cost: list[float], run: list[float]) -> str:
    ratio = statistics.median(cost) / statistics.median(run)
    verdict = "ok" if ratio <= BUDGET else "OVER"
    return f"{ratio * 100:5.2f}% of the run  (budget {BUDGET * 100:.0f}%: {verdict})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big-mb", type=int, default=500)
    args = parser.parse_args()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="bench-fingerprint-") as tmp:
        demo = create_project(Path(tmp) / "taxi")
        params = demo / "conf" / "base" / "parameters.yml"
        params.write_text(
            params.read_text().replace("latency_s: 0.6", "latency_s: 0") + "\nbig_mb: 1\n"
        )
        big = demo / "src" / "taxi_fares" / "pipelines" / "big"
        big.mkdir()
        (big / "__init__.py").write_text("from .pipeline import create_pipeline  # noqa: F401\n")
        (big / "pipeline.py").write_text(BIG_PIPELINE)
        with open(demo / "conf" / "base" / "catalog.yml", "a") as catalog:
            catalog.write(
                "\nbig_output:\n  type: pickle.PickleDataset\n"
                "  filepath: ${globals:data_root}/04_models/big.pkl\n"
            )
        _git(demo, "init", "-q")
        _git(demo, "add", "-A")
        _git(demo, "commit", "-q", "-m", "bench")

        print("\n1. demo: its 11 nodes plus write_big at 1 MB (__default__ takes every pipeline)")
        run_times, fp_times, clean, dirty, writes = [], [], [], [], []
        roots = (demo / "src", demo / "conf")
        for _ in range(args.repeat):
            session_id, duration = _run(demo, "--pipeline", "__default__", "--params", "big_mb=1")
            run_times.append(duration)
            fp_times.append(_fingerprint_session(demo, session_id))
            writes.append(_store_writes(demo, session_id, Path(tmp) / "scratch.db"))
            clean.append(_timed(lambda: capture_code_state(demo, roots, describe_git(demo))))
        nodes = demo / "src" / "taxi_fares" / "pipelines" / "reporting" / "nodes.py"
        nodes.write_text(nodes.read_text() + "\n# dirty\n")
        (demo / "src" / "taxi_fares" / "scratch.py").write_text("X = 1\n")
        for _ in range(args.repeat):
            dirty.append(_timed(lambda: capture_code_state(demo, roots, describe_git(demo))))
        print(f"   run (baseline)              {_stats(run_times)}")
        print(f"   dataset fingerprints        {_stats(fp_times)}  {_verdict(fp_times, run_times)}")
        print(f"   store writes (2 commits)    {_stats(writes)}  {_verdict(writes, run_times)}")
        print(f"   code state, clean tree      {_stats(clean)}  (git status included)")
        print(f"   code state, dirty tree      {_stats(dirty)}  {_verdict(dirty, run_times)}")

        print(f"\n2. one node writing {args.big_mb} MB (pickle)")
        big_runs, sampled, whole = [], [], []
        out = demo / "data" / "04_models" / "big.pkl"
        for _ in range(max(1, min(args.repeat, 3))):
            _, duration = _run(demo, "--pipeline", "big", "--params", f"big_mb={args.big_mb}")
            big_runs.append(duration)
            sampled.append(_timed(lambda: fingerprint_path(out)))
            whole.append(_timed(lambda: hashlib.file_digest(open(out, "rb"), "blake2b")))  # noqa: SIM115
        size = out.stat().st_size
        print(
            f"   output size                 {size / 1e6:.0f} MB, scheme {fingerprint_path(out).scheme}"
        )
        print(f"   run (baseline)              {_stats(big_runs)}")
        print(f"   fingerprint (sampled-v1)    {_stats(sampled)}  {_verdict(sampled, big_runs)}")
        print(f"   whole-file BLAKE2b, for ref {_stats(whole)}  {_verdict(whole, big_runs)}")
        shutil.rmtree(demo / "data" / "04_models", ignore_errors=True)


if __name__ == "__main__":
    main()
