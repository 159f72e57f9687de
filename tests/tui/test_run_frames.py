"""A flooding run is folded into the UI a bounded amount per frame, and nothing is lost from view.

The tab's frame (``RunTab._show``) folds at most ``FRAME_EVENTS`` events; keys wait for at most
one frame, whatever the child's rate. Counted, not timed: each fold's size is recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components import run_tab
from proj_tui.tui.components.log_pane import LogPane
from proj_tui.tui.components.run_tab import RunTab
from tui.pilot_helpers import settle
from tui.test_app import until

LINES = 40_000  # far more than the pane keeps
BOUND = 500  # a small frame, so that the child is surely faster than the frames


async def test_a_flood_is_folded_in_bounded_frames_and_the_newest_lines_are_shown(
    taxi: Path, tmp_path: Path, fake_cli: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("log_max_lines = 1000\n")
    monkeypatch.setenv("FAKE_RUN", f"spam:{LINES}")
    monkeypatch.setattr(run_tab, "FRAME_EVENTS", BOUND)
    folded: list[int] = []
    original = run_tab.RunTab._apply_batch

    def counted(self: RunTab, events: list[object]) -> None:
        folded.append(len(events))
        original(self, events)  # type: ignore[arg-type]

    monkeypatch.setattr(run_tab.RunTab, "_apply_batch", counted)
    app = ProjTuiApp(taxi, cli=fake_cli, config_path=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(lambda: bool(app.screen.query(RunTab)), pilot)
        tab = app.screen.query_one(RunTab)
        await until(lambda: tab.state.done, pilot, timeout=60)
        pane = tab.query_one(LogPane)
        assert pane.received == LINES  # shown or dropped unseen, every line is counted
        assert max(folded) <= BOUND < sum(folded)
        numbers = [int(line.split("line ")[1].split()[0]) for line in pane.lines if "line " in line]
        assert len(numbers) == 1000
        assert numbers == list(range(LINES - 1000, LINES))  # the newest, in order, no gap
        assert tab.state.status == "succeeded"


async def test_the_app_hands_the_gil_over_within_a_millisecond(taxi: Path) -> None:
    """A run's reader thread parsing a flood may keep the GIL a whole switch interval each time
    the UI thread blocks; the app shortens the interval to ``SWITCH_INTERVAL`` as it loads,
    and gives the host process its own back when it ends."""
    from proj_tui.tui import app as app_module

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's default
    try:
        app = ProjTuiApp(taxi)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert sys.getswitchinterval() == pytest.approx(app_module.SWITCH_INTERVAL)
            assert app_module.SWITCH_INTERVAL <= 0.001
        assert sys.getswitchinterval() == pytest.approx(0.005)
    finally:
        sys.setswitchinterval(before)
