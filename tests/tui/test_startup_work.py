"""The work the app's start-up and screens leave out, counted (not timed): benches/app.py times it.

Each test counts what Textual is asked to do (a re-parse of every stylesheet, a restyle of a
node) by wrapping Textual's own method for the test's duration, and checks what the user sees
is what the skipped work used to give (the theme's colours).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.widgets._footer import FooterKey

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.node_detail import NodeDetail
from proj_tui.tui.textual_compat import styles_current
from tui.pilot_helpers import settle


@pytest.fixture
def reparses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times any stylesheet was re-parsed from scratch (``Stylesheet.reparse``)."""
    calls: list[int] = []
    original = Stylesheet.reparse

    def counted(self: Stylesheet) -> None:
        calls.append(1)
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    yield calls


@pytest.fixture
def restyled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every node the app was asked to restyle after it was styled once (``App.update_styles``)."""
    nodes: list[Any] = []
    original = App.update_styles

    def counted(self: App[Any], node: Any, *args: Any, **kwargs: Any) -> None:
        nodes.append(node)
        original(self, node, *args, **kwargs)

    monkeypatch.setattr(App, "update_styles", counted)
    yield nodes


async def test_first_screen_is_not_reparsed_and_is_drawn_in_the_theme_colours(
    taxi: Path, tmp_path: Path, reparses: list[int]
) -> None:
    app = ProjTuiApp(taxi, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.first_screen_ready is not None
        assert styles_current(app.screen)
        assert reparses == [], "the first screen re-parsed every stylesheet"
        # Text drawn before the app itself was styled kept a colourless style (dark on dark).
        detail = app.screen.query_one(NodeDetail)
        assert detail.visual_style.foreground == app.styles.color
        await pilot.press("2")
        await pilot.press("1")  # back to the first mode: still no re-parse
        await pilot.pause()
        assert reparses == []


async def test_a_footer_rebuild_does_not_restyle_its_keys(
    taxi: Path, tmp_path: Path, restyled: list[Any]
) -> None:
    app = ProjTuiApp(taxi, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        before = list(footer.query(FooterKey))
        restyled.clear()
        await pilot.resize_terminal(80, 24)  # fewer columns: the keys go on more rows
        await settle(pilot)
        keys = list(footer.query(FooterKey))
        assert keys and set(keys).isdisjoint(before), "the footer was not rebuilt"
        assert all(key.has_class("-compact") for key in keys)
        assert not [node for node in restyled if isinstance(node, FooterKey)]


async def test_start_up_garbage_is_frozen_not_collected_while_a_run_is_live(
    taxi: Path, tmp_path: Path, fake_cli: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full collection's pause would hold every key typed into a streaming run, so it
    waits for the run's end; meanwhile what start-up made is frozen, so that the collections
    while the run is followed do not walk it all again (issue 17's CPU budget)."""
    import gc

    from proj_tui.tui.components.run_tab import RunTab
    from tui.test_app import until

    monkeypatch.setenv("FAKE_RUN", "hang")
    app = ProjTuiApp(taxi, cli=fake_cli, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(lambda: bool(app.screen.query(RunTab)), pilot)
        tab = app.screen.query_one(RunTab)
        await until(lambda: tab.state.nodes["train"].status == "running", pilot)
        before = app.settled_at  # the timer may have fired already on a slow machine
        made = [tab]  # something made after the first paint's freeze, before the settle
        app._settle()  # what the timer calls SETTLE_AFTER seconds after the first paint
        assert app.settled_at == before, "collected while a run was live"
        assert not any(o is made for o in gc.get_objects()), "not frozen while a run was live"
        await pilot.press("c")
        await until(lambda: tab.state.done, pilot)
        # the collection put off comes by itself once no run is live
        await until(lambda: app.settled_at is not None and app.settled_at != before, pilot)


async def test_start_up_garbage_is_collected_once_the_keys_are_quiet(
    taxi: Path, tmp_path: Path
) -> None:
    """Not in the middle of a screen switch: its pause (60-250 ms) fell inside whichever key
    was pressed SETTLE_AFTER seconds after the first paint."""
    from tui.test_app import until

    app = ProjTuiApp(taxi, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        before = app.settled_at  # the timer may have fired already on a slow machine
        app._settle()  # what the timer calls SETTLE_AFTER seconds after the first paint
        assert app.settled_at == before, "collected right after a key"
        await until(lambda: app.settled_at != before, pilot)  # once the keys are quiet


async def test_run_setup_is_laid_out_unseen_once_built_and_the_pipelines_shown(
    taxi: Path, tmp_path: Path
) -> None:
    """Its first layout was most of the first press of 2 (~290 ms of the UI thread)."""
    from proj_tui.tui.components.param_form import ParamRow
    from proj_tui.tui.screens.run_setup import RunSetupScreen
    from proj_tui.tui.textual_compat import mode_screen
    from tui.test_app import until

    app = ProjTuiApp(taxi, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = mode_screen(app, "setup")
        assert isinstance(screen, RunSetupScreen)
        await until(lambda: all(r.size.width > 0 for r in screen.query(ParamRow)), pilot)
        assert app.current_mode == "project" and app.state.description is not None
        await pilot.press("2")
        await pilot.pause()
        assert app.screen is screen
        assert "Parameters" in app.export_screenshot()


async def test_run_setup_is_built_unseen_once_its_parameters_are_loaded(
    taxi: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not on the key, and not empty first (then rebuilt when the parameters come)."""
    from proj_tui.tui import app as app_module
    from proj_tui.tui.components.param_form import ParamRow
    from proj_tui.tui.screens.run_setup import RunSetupScreen
    from proj_tui.tui.textual_compat import mode_prepared

    monkeypatch.setattr(app_module, "WARM_SETUP_AFTER", 600.0)  # only the parameters' arrival
    app = ProjTuiApp(taxi, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the parameters are loaded
        await pilot.pause()  # and a frame was drawn
        assert app.current_mode == "project"
        assert mode_prepared(app, "setup")
        await pilot.press("2")
        assert isinstance(app.screen, RunSetupScreen)
        rows = list(app.screen.query(ParamRow))
        assert len(rows) == len(app.state.fields) > 0
