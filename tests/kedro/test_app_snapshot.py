"""The Project screen on the Kedro fixture project at 80x24 (pytest-textual-snapshot).

Update with ``pytest tests/kedro/test_app_snapshot.py --snapshot-update`` when its look changes on
purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from proj_tui.tui.app import ProjTuiApp
from tui.pilot_helpers import steady


def test_project_screen_of_a_kedro_project(kedro_project: Path, snap_compare: Any) -> None:
    async def browse(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        await pilot.press("down", "down", "down", "down", "down")  # reporting.summarize
        await steady(pilot)

    assert snap_compare(ProjTuiApp(kedro_project), terminal_size=(80, 24), run_before=browse)
