"""Every screen at 80x24 (the smallest terminal the app is made for) and at 120x40.

Same determinism as the other snapshot files: the demo at a fixed shown path (``shown_as``),
History sessions written through the store with fixed times and shown in UTC, runs from the
scripted CLI, toasts cleared, cursors still. Update with
``pytest tests/tui/test_snapshots_sizes.py --snapshot-update`` when a screen changes on purpose.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.config_view import ConfigViewScreen
from tui.pilot_helpers import steady
from tui.test_history import add_session
from tui.test_welcome import welcome

FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def project(
    snapshot_store: Callable[[str], tuple[Path, SQLiteSessionStore]],
) -> Path:
    """The demo with eight recorded sessions (one resumed from a failed one), shown in UTC."""
    project, store = snapshot_store("/tmp/proj-tui-snapshots-sizes")
    ids: list[str] = []
    for i in range(8):
        ids.append(
            add_session(
                store,
                i,
                project=project,
                status=("succeeded", "failed", "succeeded", "cancelled")[i % 4],
                env="prod" if i % 3 == 0 else "local",
                pipeline=("__default__", "data_science")[i % 2],
                lr=round(0.01 * (i + 1), 2),
                override=i % 2 == 0,
                parent=ids[1] if i == 6 else None,
                logs=6,
            )
        )
    store.set_pinned(ids[2], True)
    store.set_note(ids[4], "baseline")
    store.close()
    return project


def keys(*pressed: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot, skip=("runs",))
        for key in pressed:
            await pilot.press(key)
            await steady(pilot, skip=("runs",))

    return run


@pytest.mark.parametrize("size", SIZES)
def test_project(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    app = ProjTuiApp(project)
    assert snap_compare(app, terminal_size=size, run_before=keys("down", "down", "down"))


@pytest.mark.parametrize("size", SIZES)
def test_run_setup(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=keys("2"))


@pytest.mark.parametrize("size", SIZES)
def test_runs_failed(
    project: Path, size: tuple[int, int], snap_compare: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_RUN", "fail")

    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot, skip=("runs",))
        await pilot.press("ctrl+r")
        await pilot.pause()
        tab = pilot.app.screen.query_one(RunTab)
        for _ in range(300):
            if tab.state.done:
                break
            await pilot.pause(0.05)
        await steady(pilot, skip=("runs",))

    app = ProjTuiApp(project, cli=FAKE_CLI)
    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_history(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "space", "down")
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)


@pytest.mark.parametrize("size", SIZES)
def test_session_detail(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "enter")  # the resumed session: its parent shows
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)


@pytest.mark.parametrize("size", SIZES)
def test_session_lineage(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "enter", *["right_square_bracket"] * 5)
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)


@pytest.mark.parametrize("size", SIZES)
def test_session_diff(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "space", "up", "d")
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)


@pytest.mark.parametrize("size", SIZES)
def test_help(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=keys("question_mark"))


@pytest.mark.parametrize("size", SIZES)
def test_config_view(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        await keys("c")(pilot)
        for _ in range(200):
            if isinstance(pilot.app.screen, ConfigViewScreen):
                break
            await pilot.pause(0.05)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=go)


@pytest.mark.parametrize("size", SIZES)
def test_welcome(
    size: tuple[int, int],
    snap_compare: Any,
    monkeypatch: pytest.MonkeyPatch,
    shown_as: Callable[[str], Path],
) -> None:
    base = shown_as("/tmp/proj-tui-snapshots-sizes")
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))  # shown on screen
    start = base / "no-project"
    start.mkdir()

    async def still(pilot: Any) -> None:
        await pilot.pause()
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(welcome(start), terminal_size=size, run_before=still)
