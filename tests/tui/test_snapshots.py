"""Snapshot of each screen (pytest-textual-snapshot), at a fixed size and project path.

The demo is copied to a directory of the test's own that the snapshots show as a fixed path
(``shown_as`` in conftest.py), so absolute paths in the command preview read the same each
run; runs use the scripted CLI (fixed timestamps and durations); toasts are cleared and cursors
do not blink. Update with ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.run_tab import RunTab
from tui.pilot_helpers import steady

SIZE = (120, 40)
FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]


@pytest.fixture
def project(snapshot_demo: Callable[[str], Path]) -> Path:
    return snapshot_demo("/tmp/proj-tui-snapshots")


def before(*steps: Callable[[Pilot[Any]], Any]) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot, skip=("runs",))
        for step in steps:
            result = step(pilot)
            if result is not None:
                await result
            await steady(pilot, skip=("runs",))

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
    # A broken config file is a banner now (issue 18, item 5); an env with no folder, which no
    # file fix resolves, is still a modal.
    async def go(pilot: Pilot[Any]) -> None:
        pilot.app.set_env("staging")  # type: ignore[attr-defined]

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(go))
