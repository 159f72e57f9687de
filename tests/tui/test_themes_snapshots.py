"""The Project screen in each packaged theme (pytest-textual-snapshot, fixed size).

The theme is picked the way a user's choice is remembered: ``theme = …`` in config.toml.
Update with ``pytest tests/tui/test_themes_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from proj_tui.tui.app import ProjTuiApp
from tui.pilot_helpers import settle, steady

SIZE = (120, 40)


async def on_a_node(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "down")
    await steady(pilot)


@pytest.mark.parametrize("theme", ["harbor-night", "paper-light", "ember", "high-contrast"])
def test_project_screen_theme(
    theme: str, tmp_path: Path, snap_compare: Any, snapshot_demo: Callable[[str], Path]
) -> None:
    project = snapshot_demo("/tmp/proj-tui-snapshots")
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'theme = "{theme}"\n')
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=on_a_node)
