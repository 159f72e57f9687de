"""A worker that fails on any screen reaches the error modal (``Worker.StateChanged`` does not bubble).

Each case breaks a real input — a garbage store file, a broken YAML file, a child command that
does not exist, an id the store does not hold — and checks that the app shows the error modal
and carries on. Nothing of ours is patched. The last test checks that every ``@work`` method in
the tui package lives on a class that routes its failures (the app, or ``ReportsWorkerErrors``).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

import proj_tui.tui as tui_package
from proj_tui.framework.store import default_store_path
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.modals import ErrorModal
from proj_tui.tui.screens.runs import RunsScreen
from proj_tui.tui.screens.session_detail import SessionDetailScreen
from proj_tui.tui.screens.session_diff import SessionDiffScreen
from proj_tui.tui.screens.sessions import SessionsScreen
from proj_tui.tui.textual_compat import mode_prepared
from proj_tui.tui.workers import ReportsWorkerErrors
from tui.pilot_helpers import settle

from helpers import cli

SIZE = (120, 40)


def garbage_store(project: Path) -> None:
    db = default_store_path(project)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a SQLite database, it is garbage\n" * 200)


async def close_start_up_errors(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    while isinstance(pilot.app.screen, ErrorModal):
        await pilot.press("escape")
    pilot.app.errors.clear()  # type: ignore[attr-defined]


def shown(app: ProjTuiApp, title: str) -> ErrorModal:
    screen = app.screen
    assert isinstance(screen, ErrorModal), f"no error modal; errors: {app.errors}"
    assert screen.title_text == title
    return screen


async def test_broken_yaml_at_start_is_a_banner_not_a_modal_that_takes_the_keys(
    taxi: Path,
) -> None:
    """A config file broken at start shows as a broken save does: banner + toast. A modal took
    every key and, under load, sat unseen: the app looked frozen (issue 18, item 5)."""
    from proj_tui.tui.components.config_banner import ConfigBanner

    params = taxi / "conf" / "base" / "parameters.yml"
    good = params.read_text()
    params.write_text("cleaning: {max_fare: [1,\n")
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, ErrorModal), app.screen
        banner = app.screen.query_one(ConfigBanner)
        assert banner.display and "conf/base/parameters.yml:2" in str(banner.render())
        assert any("parameters.yml" in e for e in app.errors)
        await pilot.press("2")  # keys work at once
        await settle(pilot)
        assert app.current_mode == "setup" and app.screen.query_one(ConfigBanner).display
        await pilot.press("ctrl+r")  # and a run is refused, saying why
        await settle(pilot)
        assert app.current_mode == "setup"
        params.write_text(good)  # fixed: live reload loads it and the banner goes
        for _ in range(400):
            if app.state.fields and app.state.config_error is None:
                break
            await pilot.pause(0.05)
        assert app.state.fields and not app.screen.query_one(ConfigBanner).display


async def test_garbage_store_on_the_history_list(taxi: Path) -> None:
    garbage_store(taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await close_start_up_errors(pilot)
        await pilot.press("4")
        await settle(pilot)
        modal = shown(app, "Read sessions from the store")
        assert "sessions.db" in modal.message
        await pilot.press("escape")
        await pilot.pause()
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen) and len(app.errors) == 1  # shown once
        assert "Cannot read the session store" in str(
            app.screen.query_one("#history-status").render()
        )


async def test_garbage_store_is_not_reported_before_history_is_shown(taxi: Path) -> None:
    """The History screen is built unseen after start-up; it must not read (or complain) then."""
    garbage_store(taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await close_start_up_errors(pilot)
        await pilot.pause(1.5)  # past the background build of the History screen
        await settle(pilot)
        assert mode_prepared(app, "sessions")
        assert not isinstance(app.screen, ErrorModal) and not app.errors


async def test_garbage_store_on_the_detail_and_diff_screens(taxi: Path) -> None:
    garbage_store(taxi)
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await close_start_up_errors(pilot)
        await app.push_screen(SessionDetailScreen("20250101T000000.000Z-aaaa"))
        await settle(pilot)
        shown(app, "Read the session")
        await pilot.press("escape")
        head = app.screen.query_one("#detail-head").render()
        assert "Cannot read session" in str(head)
        await pilot.press("escape")
        await app.push_screen(SessionDiffScreen("a", "b"))
        await settle(pilot)
        shown(app, "Compare sessions")


async def test_unknown_session_on_the_detail_screen(taxi: Path) -> None:
    assert cli("run", "--pipeline", "data_processing", cwd=taxi).returncode == 0
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await close_start_up_errors(pilot)
        await app.push_screen(SessionDetailScreen("no-such-session"))
        await settle(pilot)
        modal = shown(app, "Read the session")
        assert "no-such-session" in modal.message


async def test_run_that_cannot_start_on_the_runs_screen(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await close_start_up_errors(pilot)
        await pilot.press("3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        missing = str(taxi / "no-such-proj-tui")
        tab = await screen.start_run(app.state.spec(), [missing, "run"], [])
        await settle(pilot)
        modal = shown(app, "Run session")
        assert "no-such-proj-tui" in modal.message
        await pilot.press("escape")
        assert isinstance(tab, RunTab) and tab.state.status == "failed" and not tab.live


def _worker_owners() -> list[tuple[str, str]]:
    """(module, class) of every class in the tui package with a ``@work`` method."""
    owners = []
    root = Path(inspect.getfile(tui_package)).parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for deco in item.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if isinstance(target, ast.Name) and target.id == "work":
                        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
                        owners.append((f"proj_tui.{module}", node.name))
    return sorted(set(owners))


def test_every_worker_owner_routes_errors() -> None:
    import importlib

    owners = _worker_owners()
    assert ("proj_tui.tui.app", "ProjTuiApp") in owners  # the scan finds them
    unrouted = []
    for module, name in owners:
        cls = getattr(importlib.import_module(module), name)
        if issubclass(cls, ProjTuiApp) or issubclass(cls, ReportsWorkerErrors):
            continue
        unrouted.append(f"{module}.{name}")
    assert not unrouted, f"workers whose failures would be silent: {unrouted}"
