"""The app as a client of live sessions, with real processes: a ``proj-tui run`` started from a
shell shows up in a running app, attaching follows its log, cancel ends it ``cancelled``, and
quitting asks — "keep" leaves the run going to ``succeeded``.

Each run is the ticker project's (``ticker_project.py``): a real session that logs a line every
0.1 s until the test creates its stop file. Every wait is for a condition, with a generous limit.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework.store import SQLiteSessionStore, default_store_path
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.live_list import LiveList
from proj_tui.tui.components.log_pane import LogPane
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.modals import QuitModal
from proj_tui.tui.screens.runs import RunsScreen
from tui.pilot_helpers import settle
from tui.ticker_project import make_ticker_project, start_shell_run, stop_file

pytestmark = pytest.mark.timeout(240)

SIZE = (120, 40)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_ticker_project(tmp_path / "ticker")


@pytest.fixture
def shell_runs(project: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Shell runs started by a test; any still going at the end is stopped and reaped."""
    runs: list[subprocess.Popen[bytes]] = []
    yield runs
    stop_file(project).touch()
    for proc in runs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def until(pilot: Any, predicate: Callable[[], object], why: Callable[[], object]) -> None:
    """Wait for ``predicate`` (a generous minute on a loaded machine); say what was seen if not."""
    for _ in range(1200):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"condition not reached: {why()}")


def running_ids(project: Path) -> list[str]:
    from proj_tui.framework.store import parse_query

    with SQLiteSessionStore.for_project(project, readonly=True) as store:
        return [s.session_id for s in store.list_sessions(parse_query("status:running"))]


def status_of(project: Path, session_id: str) -> str:
    with SQLiteSessionStore.for_project(project, readonly=True) as store:
        return store.get_session(session_id).status


def wait_recorded(project: Path, count: int = 1) -> list[str]:
    """Block until ``count`` sessions run (outside an app: the shell run has started)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if default_store_path(project).exists():
            ids = running_ids(project)
            if len(ids) >= count:
                return ids
        time.sleep(0.05)
    raise AssertionError("the shell run never recorded a running session")


def ticks(tab: RunTab) -> list[str]:
    return [line for line in tab.query_one(LogPane).lines if " tick " in f" {line}"]


async def attach_first(pilot: Any, app: ProjTuiApp) -> RunTab:
    """Switch to Runs, wait for the live list to show a session, and attach with enter."""
    await pilot.press("3")
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    live = screen.query_one(LiveList)
    await until(pilot, lambda: live.sessions and live.display, lambda: app.state.live)
    live.focus()
    await pilot.press("enter")
    await until(pilot, lambda: list(screen.query(RunTab)), lambda: app.errors)
    return screen.query_one(RunTab)


async def test_a_shell_run_shows_up_attach_follows_it_and_cancel_ends_it(
    project: Path, shell_runs: list[subprocess.Popen[bytes]]
) -> None:
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.live == []
        shell_runs.append(start_shell_run(project))  # started while the app runs
        tab = await attach_first(pilot, app)
        (session_id,) = running_ids(project)
        assert tab.state.session_id == session_id and tab.origin is not None
        assert app.runs.live() == [tab]
        # the tail, then new lines as the session logs them
        await until(pilot, lambda: len(ticks(tab)) >= 2, lambda: list(tab.query_one(LogPane).lines))
        seen = len(ticks(tab))
        await until(pilot, lambda: len(ticks(tab)) > seen + 3, lambda: ticks(tab))
        assert tab.state.nodes["tick"].status == "running"
        live = app.screen.query_one(LiveList)
        assert live.get_row(session_id)[-1] == f"#{tab.number}"  # the list names its tab
        await pilot.press("w")  # close the tab: following stops, the session goes on
        await until(pilot, lambda: not app.screen.query(RunTab), lambda: app.runs.tabs)
        assert app.runs.tabs == [] and live.get_row(session_id)[-1] == ""
        assert shell_runs[0].poll() is None and status_of(project, session_id) == "running"
        live.focus()
        await pilot.press("a")  # attach again: the tail, then new lines
        await until(pilot, lambda: list(app.screen.query(RunTab)), lambda: app.errors)
        tab = app.screen.query_one(RunTab)
        await until(pilot, lambda: len(ticks(tab)) >= 2, lambda: list(tab.query_one(LogPane).lines))
        await pilot.press("c")
        await until(pilot, lambda: tab.state.done, lambda: (tab.state, tab.cancelling))
        assert tab.state.status == "cancelled"
        assert status_of(project, session_id) == "cancelled"
        assert shell_runs[0].wait(timeout=30) != 0
        await until(pilot, lambda: not live.display, lambda: app.state.live)
        assert app.is_running


async def test_opening_the_app_while_a_run_is_live_shows_it(
    project: Path, shell_runs: list[subprocess.Popen[bytes]]
) -> None:
    shell_runs.append(start_shell_run(project))
    (session_id,) = wait_recorded(project)
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.state.live, lambda: app.errors)
        assert [s.session_id for s in app.state.live] == [session_id]
        texts = [str(n.message) for n in app._notifications]
        assert any("1 session(s) of this project are running" in t for t in texts), texts
        await pilot.press("3")
        live = app.screen.query_one(LiveList)
        await until(pilot, lambda: live.sessions, lambda: app.state.live)
        assert live.display and live.highlighted_id() == session_id


async def test_quit_with_a_live_run_asks_and_keep_leaves_it_to_succeed(
    project: Path, shell_runs: list[subprocess.Popen[bytes]]
) -> None:
    shell_runs.append(start_shell_run(project))
    (session_id,) = wait_recorded(project)
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tab = await attach_first(pilot, app)
        await until(pilot, lambda: ticks(tab), lambda: list(tab.query_one(LogPane).lines))
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitModal), lambda: app.screen)
        await pilot.press("escape")  # stay
        assert app.is_running and not isinstance(app.screen, QuitModal)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitModal), lambda: app.screen)
        await pilot.press("k")  # keep running, and quit
    assert app.return_code == 0
    assert shell_runs[0].poll() is None  # the run goes on without the app
    assert status_of(project, session_id) == "running"
    stop_file(project).touch()
    assert shell_runs[0].wait(timeout=60) == 0
    assert status_of(project, session_id) == "succeeded"


async def test_a_run_launched_here_is_kept_running_after_quit_and_succeeds(project: Path) -> None:
    """The run of ctrl+r is a process of its own: "keep" quits at once, and the run goes on
    (its output goes to spool files, not to the app) and records ``succeeded``."""
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: list(app.screen.query(RunTab)), lambda: app.errors)
        tab = app.screen.query_one(RunTab)
        await until(pilot, lambda: ticks(tab), lambda: (tab.state, app.errors))
        session_id = tab.state.session_id
        assert session_id is not None and tab.supervisor is not None
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitModal), lambda: app.screen)
        await pilot.press("enter")  # the default: keep running
    assert status_of(project, session_id) == "running"
    stop_file(project).touch()
    for _ in range(1200):  # a minute: the run ends by itself, recorded by itself
        if status_of(project, session_id) != "running":
            break
        time.sleep(0.05)
    assert status_of(project, session_id) == "succeeded"
    with SQLiteSessionStore.for_project(project, readonly=True) as store:
        messages = [line.message for line in store.logs(session_id)]
    assert any(m.startswith("ticker done after") for m in messages)


async def test_quit_and_cancel_cancels_the_runs_first(
    project: Path, shell_runs: list[subprocess.Popen[bytes]]
) -> None:
    shell_runs.append(start_shell_run(project))
    (session_id,) = wait_recorded(project)
    app = ProjTuiApp(project)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tab = await attach_first(pilot, app)
        await until(pilot, lambda: ticks(tab), lambda: list(tab.query_one(LogPane).lines))
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, QuitModal), lambda: app.screen)
        await pilot.press("c")
        await until(pilot, lambda: not app.is_running, lambda: (tab.state, app.runs.live()))
    assert shell_runs[0].wait(timeout=30) != 0
    assert status_of(project, session_id) == "cancelled"


def test_the_footer_may_ask_for_keys_before_the_runs_screen_has_children() -> None:
    """Textual's footer asks ``check_action`` on idle, which can come before compose or during
    shutdown (a CI run failed with NoMatches for 'TabbedContent'): no tab, no live list, no error."""
    screen = RunsScreen()
    assert screen.current() is None
    for action in ("attach", "focus_live", "cancel", "close_tab", "tab", "close_ended", "help"):
        assert screen.check_action(action, ()) in (True, False)
    assert screen.check_action("cancel", ()) is False
