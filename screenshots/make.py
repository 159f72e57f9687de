"""Regenerate the README's screenshots: an SVG of every screen of the headless app on the demo.

    python screenshots/make.py                      # all of them, into screenshots/
    python screenshots/make.py --only project,help  # a few (names: --list)
    python screenshots/make.py --out /tmp/shots     # elsewhere

Why a script: the screens change with every feature, so the pictures must be cheap to redo. It
builds its own demo copy at a fixed path (paths show on screen), isolates the user's config and
data dirs, runs real sessions through the CLI so History has something to show, then drives
``ProjTuiApp`` with Pilot at a fixed size, cursors still and toasts cleared. Times and session
ids still differ between runs; everything else is stable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SIZE = (120, 36)
HERE = Path(__file__).resolve().parent
WORKDIR = Path(tempfile.gettempdir()) / "proj-tui-screenshots"
LONG_LIVED = ("runs", "watch", "reload")  # worker groups that never finish while the app runs

Step = Callable[[Any], Awaitable[None]]


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``proj-tui ARGS`` as a real child process, in the isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", *args, "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )


def prepare(workdir: Path) -> Path:
    """A fresh demo copy with a two-run sweep, then three sessions: two succeed, one fails."""
    from proj_tui.cli.new import create_project

    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    for name in ("config", "data"):
        (workdir / name).mkdir()
    os.environ["XDG_CONFIG_HOME"] = str(workdir / "config")
    os.environ["XDG_DATA_HOME"] = str(workdir / "data")
    os.environ["TZ"] = "UTC"
    os.environ.pop("PROJ_TUI_ENV", None)
    if hasattr(time, "tzset"):
        time.tzset()
    project = create_project(workdir / "taxi-fares")
    params = project / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text().replace("latency_s: 0.6", "latency_s: 0.0"))
    # first, so the three runs below stay History's newest: a sweep, drained here by the queue
    # worker in the foreground (the Queue and Sweep shots)
    for args in (("run", "--sweep", "cleaning.max_fare=100,200", "--no-worker"), ("queue", "work")):
        result = cli(project, *args)
        if result.returncode != 0:
            raise SystemExit(
                f"proj-tui {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
            )
    runs = [
        ((), 0),
        (("--env", "prod", "--params", "model_a.model_options.lr=0.1"), 0),
        (("--params", "model_b.model_options.lr=7"), 1),
    ]
    for args, expected in runs:
        result = cli(project, "run", *args)
        if result.returncode != expected:
            raise SystemExit(
                f"proj-tui run {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
            )
    return project


async def steady(pilot: Any) -> None:
    """Data loaded, short workers done, toasts gone, cursors still."""
    from textual.widgets import Input
    from textual.worker import WorkerCancelled, WorkerFailed

    app = pilot.app
    for _ in range(500):
        busy = [
            w
            for w in app.workers
            if w.is_running and not any(g in (w.group or "") for g in LONG_LIVED)
        ]
        if getattr(app, "first_screen_ready", 0) is not None and not busy:
            break
        # an exclusive worker replaced by a newer one is cancelled: no longer busy either
        with contextlib.suppress(WorkerFailed, WorkerCancelled):
            await app.workers.wait_for_complete(busy)
        await pilot.pause(0.02)
    await pilot.pause(0.05)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def keys(*pressed: str) -> Step:
    async def step(pilot: Any) -> None:
        await pilot.press(*pressed)

    return step


def call(fn: Callable[[Any], Any]) -> Step:
    async def step(pilot: Any) -> None:
        result = fn(pilot.app)
        if asyncio.iscoroutine(result):
            await result

    return step


async def run_finished(pilot: Any) -> None:
    """Start a run (ctrl+r, the real CLI) and wait for it to end."""
    from proj_tui.tui.components.run_tab import RunTab

    await pilot.press("ctrl+r")
    for _ in range(600):
        await pilot.pause(0.05)
        tabs = list(pilot.app.screen.query(RunTab))
        if tabs and tabs[0].state.done:
            break
    await pilot.pause(0.2)


async def edit_setup(pilot: Any) -> None:
    from textual.widgets import Input

    from proj_tui.tui.components.param_form import ParamRow

    rows = {r.field.key: r for r in pilot.app.screen.query(ParamRow)}
    rows["model_a.model_options.lr"].query_one(Input).focus()
    await pilot.press("ctrl+u", *"0.2")
    await pilot.pause()


def screens(project: Path, workdir: Path) -> dict[str, tuple[Callable[[], Any], list[Step]]]:
    """Name → (app factory, steps). The names are the SVG file names."""
    from proj_tui.cli.new import create_project, demo_path, ensure_demo
    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.screens.welcome import FirstRun, WelcomeApp
    from proj_tui.tui.themes import PACKAGED_DIR, load_themes

    first_run = FirstRun(create_project, ensure_demo, demo_path())

    def main(config: Path | None = None) -> Callable[[], Any]:
        return lambda: ProjTuiApp(project, config_path=config)

    found: dict[str, tuple[Callable[[], Any], list[Step]]] = {
        "project": (main(), [keys("down", "down")]),
        "run-setup": (main(), [keys("2"), call(lambda app: app.set_env("prod")), edit_setup]),
        "history": (main(), [keys("4")]),
        "session-detail": (main(), [keys("4"), keys("enter")]),  # the newest: the failed run
        "diff": (main(), [keys("4"), keys("space", "down", "d")]),  # failed vs the prod run
        "help": (main(), [keys("question_mark")]),
        "queue": (main(), [keys("5"), keys("a")]),  # with the finished items: the sweep's two
        "sweep": (main(), [keys("5"), keys("a"), keys("v")]),
        "runs": (main(), [run_finished]),  # after History's shots: it records a fourth session
        "welcome": (lambda: WelcomeApp(workdir / "empty", first_run), []),
    }
    (workdir / "empty").mkdir(exist_ok=True)
    for name in sorted(load_themes([PACKAGED_DIR]).themes):
        config = workdir / "config" / f"theme-{name}.toml"
        config.write_text(f'theme = "{name}"\n')
        found[f"theme-{name}"] = (main(config), [keys("down", "down")])
    return found


async def capture(factory: Callable[[], Any], steps: list[Step], out: Path, title: str) -> None:
    app = factory()
    async with app.run_test(size=SIZE) as pilot:
        await steady(pilot)
        for step in steps:
            await step(pilot)
            await steady(pilot)
        svg = app.export_screenshot(title=title)
        with contextlib.suppress(AttributeError):
            app.runs.kill_all()
    out.write_text(svg, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the SVGs")
    parser.add_argument("--only", default="", help="comma-separated screen names")
    parser.add_argument("--list", action="store_true", help="list the screen names and exit")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="scratch (wiped first)")
    args = parser.parse_args(argv)
    project = prepare(args.workdir)
    table = screens(project, args.workdir)
    if args.list:
        print("\n".join(table))
        return 0
    wanted = [n.strip() for n in args.only.split(",") if n.strip()] or list(table)
    unknown = [n for n in wanted if n not in table]
    if unknown:
        parser.error(f"unknown screen(s) {', '.join(unknown)}; --list shows them")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in wanted:
        factory, steps = table[name]
        out = args.out / f"{name}.svg"
        started = time.perf_counter()
        asyncio.run(capture(factory, steps, out, f"proj-tui · {name}"))
        print(f"{out}  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
