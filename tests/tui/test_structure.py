"""The app's domain modules stay free of Textual, and the app's first screen comes up fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proj_tui.tui.app import ProjTuiApp

PURE = [
    "proj_tui.tui.model",
    "proj_tui.tui.params",
    "proj_tui.tui.run_spec",
    "proj_tui.tui.presets",
    "proj_tui.tui.state",
    "proj_tui.tui.supervisor",
    "proj_tui.tui.user_config",
]


@pytest.mark.parametrize("module", PURE)
def test_domain_modules_do_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; sys.exit(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


async def test_first_screen_before_data(taxi: Path) -> None:
    """The Project screen is up before any data arrives; loading starts after the first paint."""
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.first_screen_ready is not None
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.state.description is not None and app.state.config is not None
