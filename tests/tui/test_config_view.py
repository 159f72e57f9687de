"""Snapshots of the config view (blame, compare envs) and of the broken-config banner.

The demo is copied to a fixed directory of its own (paths show on screen); toasts are cleared
and cursors do not blink. Update with ``pytest tests/tui/test_config_view.py --snapshot-update``.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.screens.config_view import ConfigViewScreen

from helpers import make_demo

SIZE = (120, 40)
FIXED = Path("/tmp/proj-tui-snapshots-reload/taxi")


@pytest.fixture
def project() -> Path:
    shutil.rmtree(FIXED.parent, ignore_errors=True)
    return make_demo(FIXED, latency=0.0)


async def until(predicate: Callable[[], object], pilot: Pilot[Any], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


async def steady(pilot: Pilot[Any]) -> None:
    app: ProjTuiApp = pilot.app  # type: ignore[assignment]
    await until(lambda: app.first_screen_ready is not None, pilot)
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause(0.05)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def test_config_view_compare(project: Path, snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        app.open_config_view("compare")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)


def test_config_view_blame(project: Path, snap_compare: Any) -> None:
    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        row = next(
            r for r in app.screen.query(ParamRow) if r.field.key.endswith("a.model_options.epochs")
        )
        row.query_one(Input).focus()
        await pilot.press("ctrl+l")
        await until(lambda: isinstance(app.screen, ConfigViewScreen), pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)


def test_broken_config_banner(project: Path, snap_compare: Any) -> None:
    params = project / "conf" / "base" / "parameters.yml"

    async def go(pilot: Pilot[Any]) -> None:
        app: ProjTuiApp = pilot.app  # type: ignore[assignment]
        await steady(pilot)
        await pilot.press("2")
        await until(lambda: app.screen.query(ParamRow), pilot)
        await until(lambda: app.watch_ready, pilot)
        params.write_text(params.read_text().replace("  max_fare: 250.0", "  max_fare: [250.0"))
        await until(lambda: app.screen.query_one(ConfigBanner).display, pilot)
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=go)
