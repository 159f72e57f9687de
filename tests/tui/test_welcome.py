"""First run without a project: the welcome app creates the demo, opens it, or opens a path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from proj_tui.cli.new import create_project, demo_path, ensure_demo
from proj_tui.tui.screens.welcome import FirstRun, WelcomeApp, WelcomeScreen

from helpers import cli, make_demo

SIZE = (100, 34)


def welcome(start: Path) -> WelcomeApp:
    """The app as the CLI starts it: ``proj-tui new`` and ``--demo`` semantics."""
    return WelcomeApp(start, FirstRun(create_project, ensure_demo, demo_path()))


def error_text(app: WelcomeApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_create_the_demo_where_the_user_says(tmp_path: Path) -> None:
    start = tmp_path / "empty"
    start.mkdir()
    app = welcome(start)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("enter")  # the default: ./taxi-fares
        await pilot.pause()
    assert app.return_value == start / "taxi-fares"
    assert (start / "taxi-fares" / "pyproject.toml").is_file()


async def test_a_non_empty_target_is_refused_in_place(tmp_path: Path) -> None:
    (tmp_path / "taxi-fares").mkdir()
    (tmp_path / "taxi-fares" / "keep.txt").write_text("mine")
    app = welcome(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and "not empty" in error_text(app, "#new-error")
        await pilot.press("ctrl+a", "ctrl+k", *"other")
        await pilot.pause()
        assert error_text(app, "#new-error") == ""
        await pilot.press("ctrl+n")
        await pilot.pause()
    assert app.return_value == tmp_path / "other"
    assert (tmp_path / "taxi-fares" / "keep.txt").read_text() == "mine"


async def test_open_the_shared_demo(tmp_path: Path) -> None:
    app = welcome(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.return_value == demo_path()  # under the test's XDG_DATA_HOME
    assert (demo_path() / "pyproject.toml").is_file()


async def test_open_a_path_with_validation(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "elsewhere")
    (tmp_path / "plain").mkdir()
    app = welcome(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#open-path").focus()
        await pilot.press(*"plain", "enter")
        await pilot.pause()
        assert app.is_running and "No proj-tui project" in error_text(app, "#open-error")
        await pilot.press("ctrl+a", "ctrl+k", *"nowhere", "enter")
        await pilot.pause()
        assert "does not exist" in error_text(app, "#open-error")
        await pilot.press("ctrl+a", "ctrl+k", *"elsewhere/src", "enter")
        await pilot.pause()
    assert app.return_value == project


async def test_escape_leaves_without_a_project(tmp_path: Path) -> None:
    app = welcome(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_value is None


def test_without_a_terminal_the_cli_prints_the_hint(tmp_path: Path) -> None:
    result = cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "proj-tui --demo" in result.stderr and "No proj-tui project" in result.stderr


def test_welcome_snapshot(
    snap_compare: Any, monkeypatch: pytest.MonkeyPatch, shown_as: Callable[[str], Path]
) -> None:
    base = shown_as("/tmp/proj-tui-snapshots")
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "xdg-data"))  # shown on screen
    start = base / "no-project"
    start.mkdir()

    async def still(pilot: Any) -> None:
        await pilot.pause()
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(welcome(start), terminal_size=SIZE, run_before=still)
