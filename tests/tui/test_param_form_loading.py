"""The parameter form says when an env's parameters are still on the way.

A Kedro project's parameters come from a child process a second or two after Run setup opens;
the form said "This env defines no parameters." meanwhile, which is false and made the form
look finished (Tab then skipped it, and the keys typed next went to the app).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.param_form import ParamForm
from proj_tui.tui.params import build_fields
from tui.pilot_helpers import settle


class _FormApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ParamForm(id="params")


def _text(form: ParamForm) -> list[str]:
    return [str(w.render()) for w in form.query(Static)]


async def test_loading_then_none_then_rows() -> None:
    app = _FormApp()
    async with app.run_test() as pilot:
        form = app.query_one(ParamForm)
        await form.load([], {}, loading="prod")
        assert _text(form) == ["Loading the parameters of env prod…"]
        form.show([], {}, loading="")
        await pilot.pause()
        assert _text(form) == ["Loading the parameters…"]
        form.show([], {})  # loaded, and there are none
        await pilot.pause()
        assert _text(form) == ["This env defines no parameters."]
        form.show(build_fields({"lr": 0.1}, {}, None), {})
        await pilot.pause()
        assert [row.field.key for row in form.rows()] == ["lr"]


async def test_run_setup_shows_the_rows_once_loaded_not_a_loading_line(taxi: Path) -> None:
    app = ProjTuiApp(taxi)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        form = app.screen.query_one(ParamForm)
        assert form.rows() and not any("Loading" in text for text in _text(form))
