"""Theme files: validation, user themes, switching (key and palette) and remembering the choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.tui.themes import (
    DEFAULT_THEME,
    PACKAGED_DIR,
    STATUS_FALLBACKS,
    ThemeFileError,
    install_themes,
    load_themes,
    next_theme,
    parse_theme,
    register_themes,
    rich_colour,
    status_defaults,
)
from proj_tui.tui.user_config import load_user_config
from tui.pilot_helpers import settle
from tui.recording import RecordingApp

SIZE = (120, 40)
GOOD = 'name: mine\ndark: true\nprimary: "#123456"\nvariables:\n  status-failed: "#ff0000"\n'


def user_themes(tmp_path: Path) -> Path:
    folder = tmp_path / "xdg-config" / "proj-tui" / "themes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_packaged_themes_are_valid_and_complete() -> None:
    found = load_themes([PACKAGED_DIR])
    assert found.problems == []
    assert set(found.themes) == {"harbor-night", "paper-light", "ember", "high-contrast"}
    for theme in found.themes.values():
        assert set(STATUS_FALLBACKS) <= set(theme.variables), theme.name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("dark: true\nprimary: '#fff'\n", "required field 'name' is missing"),
        ("name: x\nprimary: '#fff'\n", "required field 'dark' is missing"),
        ("name: x\ndark: yes please\nprimary: '#fff'\n", "'dark' must be true or false"),
        ("name: x\ndark: true\nprimary: 'not-a-colour'\n", "'primary' is not a colour"),
        ("name: x\ndark: true\nprimary: '#fff'\nprimry: '#000'\n", "Did you mean 'primary'?"),
        ("name: x\ndark: true\nprimary: '#fff'\nvariables: [1]\n", "'variables' must be"),
        ("name: x\ndark: true\nprimary: '#fff'\nvariables: {a: 1}\n", "string to a string"),
        (
            "name: x\ndark: true\nprimary: '#fff'\nvariables: {status-failed: bogus}\n",
            "'variables.status-failed' is not a colour",
        ),
        ("name: [x\n", "line 1"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_invalid_files_name_file_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ThemeFileError) as info:
        parse_theme(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_a_bad_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "a-good.yaml").write_text(GOOD)
    (tmp_path / "b-bad.yaml").write_text("name: bad\ndark: true\n")
    found = load_themes([tmp_path])
    assert list(found.themes) == ["mine"]
    assert len(found.problems) == 1 and "b-bad.yaml" in found.problems[0]


def test_next_theme_wraps() -> None:
    assert next_theme(["a", "b", "c"], "c") == "a"
    assert next_theme(["a", "b"], "nord") == "a"


async def test_default_theme_user_themes_and_reported_problems(taxi: Path, tmp_path: Path) -> None:
    folder = user_themes(tmp_path)
    (folder / "mine.yaml").write_text(GOOD)
    (folder / "broken.yaml").write_text('name: broken\ndark: true\nprimary: "#zzz"\n')
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        assert "mine" in app.available_themes and "broken" not in app.available_themes
        messages = list(app.said)
        assert any("broken.yaml" in m and "'primary' is not a colour" in m for m in messages)
        # Our variables come from the theme file...
        assert app.theme_variables["status-succeeded"] == "#6cc38f"
        # ...and have fallbacks on Textual's built-in themes.
        app.theme = "nord"
        await pilot.pause()
        assert app.theme_variables["status-failed"] == app.theme_variables["error"]


async def test_ctrl_t_cycles_and_the_choice_is_remembered(taxi: Path, tmp_path: Path) -> None:
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not config.exists()  # applying the default writes nothing
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "high-contrast"  # ours in name order, after harbor-night
        assert load_user_config(config).theme == "high-contrast"
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "high-contrast"


async def test_palette_theme_command_and_unknown_remembered_theme(
    taxi: Path, tmp_path: Path
) -> None:
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('theme = "harbour-night"  # typo\n[keymap]\n"app.help" = "f1"\n')
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        messages = list(app.said)
        assert any("'harbour-night' is not available" in m for m in messages)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme: paper-light")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "paper-light"
    text = config.read_text()
    assert text == 'theme = "paper-light"  # typo\n[keymap]\n"app.help" = "f1"\n'


def test_every_theme_offered_gives_colours_rich_can_draw(taxi: Path) -> None:
    """Every variable of every theme the app offers becomes a colour Rich accepts (item 2)."""
    from rich.style import Style
    from textual.app import App

    app: App[None] = App()
    register_themes(app)
    assert {"ansi-dark", "ansi-light", "harbor-night", "nord"} <= set(app.available_themes)
    for name, theme in app.available_themes.items():
        variables = {**status_defaults(theme), **theme.to_color_system().generate()}
        for value in variables.values():
            Style(color=rich_colour(value) or None)  # raises ColorParseError if Rich refuses it
        assert rich_colour(variables["status-failed"]), name  # and a status is coloured


def test_rich_text_takes_theme_colours_only_through_theme_colour() -> None:
    """``app.theme_variables`` hold Textual colours; Rich code must convert them (item 2)."""
    tui = PACKAGED_DIR.parent / "tui"
    readers = sorted(
        str(path.relative_to(tui))
        for path in tui.rglob("*.py")
        if "theme_variables" in path.read_text() and path.name != "themes.py"
    )
    assert readers == [], readers


def test_a_theme_whose_colours_cannot_be_drawn_is_skipped_or_replaced(tmp_path: Path) -> None:
    from textual.app import App
    from textual.theme import Theme

    bad = tmp_path / "wide.yaml"
    bad.write_text('name: wide\ndark: true\nprimary: "#123456"\nluminosity_spread: .nan\n')
    with pytest.raises(ThemeFileError, match=r"wide\.yaml: its colours cannot be drawn"):
        parse_theme(bad)
    app: App[None] = App()
    app.register_theme(Theme(name="wide", primary="#123456", luminosity_spread=1e308))
    problems = install_themes(app, "wide")  # remembered from an earlier run, say
    assert app.theme == DEFAULT_THEME
    assert problems == [
        "Theme 'wide' cannot be used: its colours cannot be drawn (ValueError: cannot convert "
        f"float NaN to integer). Using {DEFAULT_THEME!r}."
    ]


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light"])
async def test_ansi_themes_draw_every_screen(taxi: Path, tmp_path: Path, theme: str) -> None:
    """Textual's ANSI themes name colours ``ansi_green``, which Rich refuses: History, the run
    table, the timeline, the error tab and the diff colour Rich text from the theme (item 2).
    The theme is the one remembered from the last run, as when the next launch froze."""
    from proj_tui.tui.components.history_table import HistoryTable
    from proj_tui.tui.screens.session_detail import SessionDetailScreen
    from proj_tui.tui.screens.session_diff import SessionDiffScreen

    from helpers import cli

    assert cli("run", "--pipeline", "data_processing", cwd=taxi).returncode == 0
    bad = ("--params", "cleaning.max_fare=x")
    assert cli("run", "--pipeline", "data_processing", *bad, cwd=taxi).returncode != 0
    config = tmp_path / "xdg-config" / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'theme = "{theme}"\n')
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == theme

        async def draw(where: str) -> None:
            await settle(pilot)
            app.save_screenshot(path=str(taxi), filename=f"{where}.svg")  # draws all of it
            assert not app.errors, app.errors

        await draw("project")
        await pilot.press("2")
        await draw("setup")
        await pilot.press("ctrl+r")
        await draw("runs")
        await pilot.press("4")
        await draw("history")
        assert len(app.screen.query_one(HistoryTable).sessions) == 3
        await pilot.press("down", "enter")  # the failed one: its Error tab colours the exception
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        for tab in range(4):
            await draw(f"detail-{tab}")
            await pilot.press("]")
        await pilot.press("escape", "space", "up", "d")
        await draw("diff")
        assert isinstance(app.screen, SessionDiffScreen)
    assert app.return_code in (None, 0)
