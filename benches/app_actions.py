"""App actions benchmark: every screen switch and the slow actions of issue 18, against 300 ms.

    .venv/bin/python benches/app_actions.py [--repeat 7] [--sessions 200] [--size 120x40]

The real app on a fresh copy of the demo (no per-node pause), driven in-process through
Textual's headless driver (``App.run_test``) with Pilot: each action is a key press, timed from
the press to the app being idle again (no worker running, every message they posted handled,
the screen refreshed), so it includes the workers an action starts (reading the store,
loading parameters) but not a terminal's own drawing, nor the two kinds of background work
that follow some actions without holding the screen: a live run's supervisor and the check of
which nodes are stale (a child process, whose answer only adds markers). The store holds
``--sessions`` recorded sessions (real runs of the demo's CLI would take minutes; they are
written through the store API with the demo's parameters) and one real failed run, so History,
rerun-edited and the detail read what a user's store holds.

Timed, each ``--repeat`` times in a fresh app (so "first" really is the first in that process):
the first switch to each mode (1 Project, 2 Run setup, 3 Runs, 4 History) and a later one,
Enter (a session's detail) and Esc back, ``e`` (rerun edited: Run setup prefilled), a preset
load (ctrl+o, Enter) and ``/`` (the filter focused). Printed: median, min and max in ms, and
whether the median is within the 300 ms budget (design §5: every screen switch or action).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

BUDGET_MS = 300.0
BACKGROUND = ("runs", "stale")  # a run's supervisor; the stale-node check (a child process)
VERBOSE = False


def make_project(base: Path, sessions: int) -> Path:
    """The demo without its pause, a preset, a real failed run and ``sessions`` stored ones."""
    from proj_tui.framework.store import SQLiteSessionStore

    from helpers import make_demo

    project = make_demo(base / "taxi", latency=0.0)
    cli = [sys.executable, "-m", "proj_tui"]
    subprocess.run(
        [*cli, "run", "--params", "model_a.model_options.lr=oops"],
        cwd=project,
        capture_output=True,
        check=False,
    )
    presets = project / ".proj-tui" / "presets"
    presets.mkdir(parents=True, exist_ok=True)
    (presets / "prod-fast.yml").write_text(
        "env: prod\nparams: {model_a.model_options.lr: 0.1}\ntags: [training]\n"
    )
    store = SQLiteSessionStore.for_project(project)
    real = store.list_sessions(limit=1)[0]
    record = store.get_session(real.session_id)
    template = {
        k: v
        for k, v in record.to_dict().items()
        if k
        not in ("session_id", "status", "started_at", "ended_at", "duration", "pid", "heartbeat_at")
    }
    start = time.time() - sessions * 60
    for i in range(sessions):
        sid = store.create_session({**template, "host": "bench"}, now=start + i * 60)
        store.finish_session(sid, "succeeded", ended_at=start + i * 60 + 4)
    store.close()
    return project


async def one_app(project: Path, size: tuple[int, int]) -> dict[str, float]:
    """One fresh app: each timed action once, in a user's order. Returns ms per action."""
    from textual.pilot import Pilot

    from proj_tui.tui.app import ProjTuiApp
    from tui.pilot_helpers import settle

    times: dict[str, float] = {}
    app = ProjTuiApp(project)

    async def timed(name: str, pilot: Pilot[Any], *keys: str) -> None:
        began = time.perf_counter()
        await pilot.press(*keys)
        await pilot.pause()
        times[name + " shown"] = (time.perf_counter() - began) * 1000
        busy = sorted({f"{w.group}" for w in app.workers if not w.is_finished})
        await settle(pilot, skip=BACKGROUND)
        await pilot.pause()
        times[name] = (time.perf_counter() - began) * 1000
        if VERBOSE:
            print(name, busy, file=sys.stderr)

    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await timed("2 Run setup (first)", pilot, "2")
        await timed("3 Runs (first)", pilot, "3")
        await timed("4 History (first)", pilot, "4")
        await timed("1 Project", pilot, "1")
        await timed("2 Run setup", pilot, "2")
        await timed("4 History", pilot, "4")
        await timed("/ filter focused", pilot, "slash")
        await pilot.press("escape")
        await settle(pilot)
        await timed("enter (detail)", pilot, "enter")
        await timed("esc (back to list)", pilot, "escape")
        await timed("e (rerun edited)", pilot, "e")
        await timed("ctrl+o (preset list)", pilot, "ctrl+o")
        await timed("enter (preset loaded)", pilot, "enter")
        await timed("3 Runs", pilot, "3")
        await timed("1 Project (back)", pilot, "1")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    base = Path(tempfile.mkdtemp(prefix="proj-tui-actions-"))
    try:
        project = make_project(base, args.sessions)
        runs: defaultdict[str, list[float]] = defaultdict(list)
        for _ in range(args.repeat):
            for name, ms in asyncio.run(one_app(project, (width, height))).items():
                runs[name].append(ms)
        print(f"{'action':<26} {'median':>8} {'min':>8} {'max':>8}  (ms, {args.repeat} apps)")
        worst = 0.0
        for name, values in runs.items():
            median = statistics.median(values)
            worst = max(worst, median)
            verdict = "ok" if median <= BUDGET_MS else "OVER"
            print(f"{name:<26} {median:8.0f} {min(values):8.0f} {max(values):8.0f}  {verdict}")
        print(f"budget {BUDGET_MS:.0f} ms per action; slowest median {worst:.0f} ms")
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
