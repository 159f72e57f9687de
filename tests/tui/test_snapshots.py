"""Snapshot of each screen (pytest-textual-snapshot), at a fixed size and project path.

The demo is copied to a fixed directory so absolute paths in the command preview do not change
between runs; runs use the scripted CLI (fixed timestamps and durations); toasts are cleared and
cursors do not blink. Update with ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.run_tab import RunTab

from helpers import make_demo

SIZE = (120, 40)
FIXED = Path("/tmp/proj-tui-snapshots/taxi")
FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]


@pytest.fixture
def project() -> Path:
    shutil.rmtree(FIXED.parent, ignore_errors=True)
    return make_demo(FIXED, latency=0.0)


async def steady(pilot: Pilot[Any]) -> None:
    """Data loaded (workers start after the first paint), toasts gone, cursors still."""
    app = pilot.app
    for _ in range(400):
        busy = [w for w in app.workers if w.is_running and w.group != "runs"]
        if getattr(app, "first_screen_ready", None) is not None and not busy:
            break
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause(0.02)
    await pilot.pause()
    for field in app.screen.query(Input):
        field.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def before(*steps: Callable[[Pilot[Any]], Any]) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        for step in steps:
            result = step(pilot)
            if result is not None:
                await result
            await steady(pilot)

    return run


def test_project_screen(project: Path, snap_compare: Any) -> None:
    async def browse(pilot: Pilot[Any]) -> None:
        await pilot.press("down", "down", "t")

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(browse))


def test_project_screen_with_broken_pipeline(project: Path, snap_compare: Any) -> None:
    pipeline = project / "src" / "taxi_fares" / "pipelines" / "reporting" / "pipeline.py"
    pipeline.write_text("import no_such_module\n")
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before())


def test_run_setup_screen(project: Path, snap_compare: Any) -> None:
    async def edit(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await pilot.press("2")
        await pilot.pause()
        app.set_env("prod")  # type: ignore[attr-defined]

    async def fields(pilot: Pilot[Any]) -> None:
        app = pilot.app
        rows = {r.field.key: r for r in app.screen.query(ParamRow)}
        rows["runtime.latency_s"].query_one(Input).focus()
        await pilot.press("ctrl+u", *"0.2")
        rows["cleaning.max_fare"].query_one(Input).focus()
        await pilot.press("ctrl+u", *"12x")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"API_TOKEN", "tab", *"s3cret")

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(edit, fields))


def test_runs_screen_failed_run(
    project: Path, snap_compare: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN", "fail")

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+r")
        await pilot.pause()
        tab = pilot.app.screen.query_one(RunTab)
        for _ in range(300):
            if tab.state.done:
                break
            await pilot.pause(0.05)

    app = ProjTuiApp(project, cli=FAKE_CLI)
    assert snap_compare(app, terminal_size=SIZE, run_before=before(run))


def test_runs_screen_empty(project: Path, snap_compare: Any) -> None:
    assert snap_compare(ProjTuiApp(project), press=["3"], terminal_size=SIZE, run_before=before())


def test_help_modal(project: Path, snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        await pilot.press("question_mark")

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(go))


def test_error_modal(project: Path, snap_compare: Any) -> None:
    (project / "conf" / "prod" / "parameters.yml").write_text("cleaning:\n  max_fare: [1,\n")

    async def go(pilot: Pilot[Any]) -> None:
        pilot.app.set_env("prod")  # type: ignore[attr-defined]

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(go))
