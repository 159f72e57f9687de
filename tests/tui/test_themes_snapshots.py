"""The Project screen in each packaged theme (pytest-textual-snapshot, fixed size and path).

The theme is picked the way a user's choice is remembered: ``theme = …`` in config.toml.
Update with ``pytest tests/tui/test_themes_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerFailed

from proj_tui.tui.app import ProjTuiApp

from helpers import make_demo

SIZE = (120, 40)
FIXED = Path("/tmp/proj-tui-snapshots/taxi")


async def steady(pilot: Pilot[Any]) -> None:
    app = pilot.app
    for _ in range(400):
        busy = [w for w in app.workers if w.is_running]
        if getattr(app, "first_screen_ready", None) is not None and not busy:
            break
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.press("down", "down")
    await pilot.pause()
    for field in app.screen.query(Input):
        field.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("theme", ["harbor-night", "paper-light", "ember", "high-contrast"])
def test_project_screen_theme(theme: str, tmp_path: Path, snap_compare: Any) -> None:
    shutil.rmtree(FIXED.parent, ignore_errors=True)
    project = make_demo(FIXED, latency=0.0)
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'theme = "{theme}"\n')
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=steady)
