"""The whole story on the real demo with the real CLI: browse, set up, run twice, find both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.log_pane import LogPane
from proj_tui.tui.components.node_tree import NodeTree
from proj_tui.tui.components.param_form import ParamRow
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.runs import RunsScreen
from proj_tui.tui.supervisor import RunState
from tui.pilot_helpers import settle

from helpers import make_demo

pytestmark = pytest.mark.timeout(180)


async def until(
    predicate: Callable[[], bool], pilot, timeout: float = 60.0, why: object = None
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not reached in time: {why() if callable(why) else why}")


def param(app: ProjTuiApp, key: str) -> ParamRow:
    return next(r for r in app.screen.query(ParamRow) if r.field.key == key)


async def test_real_runs_cancel_one_let_one_succeed(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "taxi", latency=0.4)  # slow enough in `local` to cancel
    app = ProjTuiApp(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # browse and filter
        tree = app.screen.query_one(NodeTree)
        await pilot.press("down", "down")
        assert tree.node_at_cursor() is not None
        await pilot.press("slash", *"tag:report", "enter")
        assert app.state.description is not None
        await pilot.press("x", "escape")

        # set up: an invalid then a valid parameter, and env vars
        await pilot.press("2")
        await pilot.pause()
        zones = param(app, "reporting.top_zones")
        zones.query_one(Input).focus()
        await pilot.press("ctrl+u", *"three")
        assert "not a whole number" in app.state.invalid["reporting.top_zones"]
        await pilot.press("ctrl+u", "3")
        assert app.state.overrides == {"reporting.top_zones": 3}
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"PROJ_TUI_NOTE", "tab", *"from-the-app")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"API_TOKEN", "tab", *"s3cret")
        assert app.state.env_vars == {"PROJ_TUI_NOTE": "from-the-app", "API_TOKEN": "s3cret"}

        # run 1 in local (slow): watch logs arrive, then cancel it
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        first = app.screen.query_one(RunTab)
        await until(
            lambda: first.state.completed >= 2,
            pilot,
            why=lambda: (first.state, list(first.query_one(LogPane).lines)),
        )
        assert first.query_one(LogPane).line_count > 0
        assert first.state.session_id
        await pilot.press("c")
        await until(lambda: first.state.done, pilot)
        assert first.state.status == "cancelled"

        # run 2 in prod (no latency): let it succeed
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("escape", "ctrl+f", "down", "enter")
        await settle(pilot)
        assert app.state.env == "prod" and app.state.overrides == {"reporting.top_zones": 3}
        await pilot.press("ctrl+r")
        await pilot.pause()
        second = next(t for t in app.screen.query(RunTab) if t is not first)
        await until(lambda: second.state.done, pilot)
        assert second.state.status == "succeeded", second.state.error
        assert second.state.completed == second.state.total == 11

        # the History mode (issue 5's screen) opens on "4"; its contents are tested there
        await pilot.press("4")
        await pilot.pause()
        assert app.current_mode == "sessions"

    with SQLiteSessionStore.for_project(project, readonly=True) as store:
        records = {s.session_id: store.get_session(s.session_id) for s in store.list_sessions()}
    assert set(records) == {first.state.session_id, second.state.session_id}
    cancelled = records[first.state.session_id]
    succeeded = records[second.state.session_id]
    assert (cancelled.status, cancelled.env) == ("cancelled", "local")
    assert (succeeded.status, succeeded.env) == ("succeeded", "prod")
    for record in (cancelled, succeeded):
        assert record.runtime_params == {"reporting": {"top_zones": 3}}
        assert record.env_vars.get("PROJ_TUI_NOTE") == "from-the-app"
        assert record.env_vars.get("API_TOKEN") == "<redacted>"


async def test_eta_comes_from_past_runs(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "taxi", latency=0.05)
    app = ProjTuiApp(project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        first = app.screen.query_one(RunTab)
        await until(lambda: first.state.done, pilot)
        assert first.state.status == "succeeded" and first.state.expected == {}
        header = str(first.query_one(".run-header").render())
        assert "SUCCEEDED" in header
        await pilot.press("ctrl+r")
        await pilot.pause()
        second = next(t for t in app.screen.query(RunTab) if t is not first)
        await until(lambda: bool(second.state.expected), pilot, why=lambda: second.state)
        assert set(second.state.expected) == set(second.state.nodes)
        fresh = RunState(planned=list(second.state.nodes), expected=second.state.expected)
        eta = fresh.eta(0.0)  # what the header shows before any node has run
        assert eta is not None and eta > 0.05 * 3
        await until(lambda: second.state.done, pilot)
