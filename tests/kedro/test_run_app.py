"""The app on a real Kedro project: run from Run setup (ctrl+r), see it in History, rerun it.

The app launches ``proj-tui run … --events json`` as on a native project; Kedro runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.runs import RunsScreen
from proj_tui.tui.screens.session_detail import SessionDetailScreen
from proj_tui.tui.screens.sessions import SessionsScreen
from tui.pilot_helpers import settle

pytestmark = pytest.mark.timeout(300)


async def until(pilot: Pilot[Any], predicate: Callable[[], bool], why: Any = None) -> None:
    for _ in range(int(120 / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not reached in time: {why() if callable(why) else why}")


async def test_run_from_setup_then_rerun_from_history(kedro_project: Path) -> None:
    app = ProjTuiApp(kedro_project)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Run setup: Kedro's parameters, one edited
        await settle(pilot)
        row = next(r for r in app.screen.query(ParamRow) if r.field.key == "features.scale")
        row.query_one(Input).focus()
        await pilot.press("ctrl+u", "5")
        assert app.state.overrides == {"features.scale": 5}
        assert app.state.spec().command() == "kedro run --env local --params features.scale=5"

        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        first = app.screen.query_one(RunTab)
        await until(pilot, lambda: first.state.done, why=lambda: first.state)
        assert first.state.status == "succeeded", first.state.error
        assert first.state.completed == first.state.total == 5
        original = first.state.session_id
        assert original is not None

        await pilot.press("4")  # History: the session Kedro ran, newest first
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        await until(pilot, lambda: screen.total == 1)
        assert screen.current_id() == original
        await pilot.press("r")  # rerun as-is
        await until(pilot, lambda: len(app.screen.query(RunTab)) == 2)
        tab = next(t for t in app.screen.query(RunTab) if t is not first)
        await until(pilot, lambda: not tab.live, why=lambda: tab.state)
        assert tab.state.status == "succeeded", tab.state.error

        await pilot.press("4")  # rerun edited: Run setup filled from the original
        await settle(pilot)
        await until(pilot, lambda: app.screen.total == 2)  # type: ignore[attr-defined]
        assert app.screen.current_id() == original  # type: ignore[attr-defined]
        await pilot.press("enter")  # its detail shows the kedro run command; y copies it
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        await pilot.press("y")
        assert app.clipboard == "kedro run --env local --params features.scale=5"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert app.current_mode == "setup" and app.state.parent == original
        assert app.state.overrides == {"features.scale": 5}
        assert app.state.spec().command() == "kedro run --env local --params features.scale=5"

    with SQLiteSessionStore.for_project(kedro_project, readonly=True) as store:
        [newest, first_record] = [store.get_session(s.session_id) for s in store.list_sessions()]
    assert first_record.session_id == original
    assert newest.parent_id == original
    for record in (first_record, newest):
        assert record.status == "succeeded"
        assert record.runtime_params == {"features": {"scale": 5}}
        assert record.cli["command"] == "kedro run --env local --params features.scale=5"
