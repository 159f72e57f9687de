"""The run log pane: how lines get in (made printable, measured, bounded) without Log's per-line work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Log

from proj_tui.framework.events import LogMessage
from proj_tui.framework.printable import printable
from proj_tui.tui.components.log_pane import LogPane, shown_lines
from proj_tui.tui.state import AppState
from proj_tui.tui.user_config import UserConfig


def test_plain_ascii_lines_pass_through_as_they_are() -> None:
    lines = ["INFO     a: one", "INFO     a: a longer line"]
    shown, width = shown_lines(lines)
    assert shown is lines and width == len(lines[1])


def test_other_lines_are_shown_as_log_write_lines_would() -> None:
    """Escapes shown not obeyed, tabs expanded for the width, U+2028 breaks, wide characters."""
    lines = ["tab\there", "clear \x1b[2J screen", "bell\x07", "one\u2028two", "wide 日本語", "é"]
    shown, width = shown_lines(lines)
    expected = [part for line in lines for part in printable(line).splitlines()]
    assert shown == expected
    assert "\x1b" not in "".join(shown) and "\\x1b[2J" in shown[1]
    assert width == max(cell_len(line.expandtabs()) for line in expected)


class _Pane(App[None]):
    def __init__(self, tmp_path: Path, max_lines: int) -> None:
        super().__init__()
        self.state = AppState(project_path=tmp_path, settings=UserConfig(log_max_lines=max_lines))

    def compose(self) -> ComposeResult:
        yield LogPane(id="log-1")
        yield Log(id="reference")


def _record(message: str, logger: str = "pkg.node", level: str = "INFO") -> LogMessage:
    return LogMessage(0.0, level, logger, message, "s")


async def test_records_are_formatted_counted_and_bounded(tmp_path: Path) -> None:
    app = _Pane(tmp_path, max_lines=100)
    async with app.run_test() as pilot:
        pane = app.query_one(LogPane)
        pane.add_records([_record("first\nsecond"), _record("no logger", logger="")])
        pane.add_records([_record(f"line {i}", level="WARNING") for i in range(150)])
        await pilot.pause()
        assert pane.received == 3 + 150
        assert pane.line_count == 100  # the user's log_max_lines
        assert pane.lines[-1] == "WARNING  pkg.node: line 149"
        pane.clear()
        pane.add_records([_record("first\nsecond"), _record("no logger", logger="")])
        assert list(pane.lines) == [
            "INFO     pkg.node: first",
            "    second",
            "INFO     no logger",
        ]


async def test_the_pane_measures_its_width_like_a_log(tmp_path: Path) -> None:
    app = _Pane(tmp_path, max_lines=100)
    async with app.run_test() as pilot:
        pane, reference = app.query_one(LogPane), app.query_one("#reference", Log)
        records = [_record("short"), _record("wide 日本語 and a tab\there"), _record("x" * 90)]
        pane.add_records(records)
        reference.write_lines(list(pane.lines))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.virtual_size == reference.virtual_size


def _shown_text(app: App[None]) -> str:
    """What the terminal shows now (the screenshot's text, its spaces as spaces)."""
    return app.export_screenshot().replace("&#160;", " ")


async def test_a_full_pane_following_its_tail_shows_the_newest_lines(tmp_path: Path) -> None:
    """Once ``max_lines`` is reached every batch prunes as many lines as it adds: the rows all
    move up, so the whole pane is drawn again (it kept showing the lines of the batch that
    filled it, the new ones landing below its last row)."""
    app = _Pane(tmp_path, max_lines=50)
    async with app.run_test(size=(40, 20)) as pilot:
        pane = app.query_one(LogPane)
        pane.add_records([_record(f"line {i:03}") for i in range(60)])
        await pilot.pause()
        assert "line 059" in _shown_text(app)
        pane.add_records([_record(f"line {i:03}") for i in range(60, 63)])
        await pilot.pause()
        shown = _shown_text(app)
        assert pane.lines[-1].endswith("line 062")
        assert "line 062" in shown and "line 050" not in shown


async def test_rows_are_drawn_as_log_draws_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pane's own row drawing (printable ASCII cut straight from the string) gives the
    segments ``Log`` gives, scrolled sideways or not; only the other lines are made a Rich
    ``Text`` and rendered through the console as ``Log`` does for every row."""
    app = _Pane(tmp_path, max_lines=100)
    async with app.run_test(size=(40, 12)) as pilot:
        pane = app.query_one(LogPane)
        pane.write_lines(["short", "x" * 70, "tab\there", "wide 日本語", "y" * 45, "z" * 38])
        await app.workers.wait_for_complete()
        await pilot.pause()
        for scroll_x in (0, 3, 32):
            pane.scroll_to(x=scroll_x, y=0, animate=False, immediate=True)
            await pilot.pause()
            assert pane.scroll_offset.x == scroll_x
            rows = range(pane.size.height)
            assert [list(pane.render_line(y)) for y in rows] == [
                list(Log.render_line(pane, y)) for y in rows
            ]
        rendered: list[str] = []
        render = Text.render

        def counted(self: Text, *args: Any, **kwargs: Any) -> Any:
            rendered.append(self.plain)
            return render(self, *args, **kwargs)

        monkeypatch.setattr(Text, "render", counted)
        pane.scroll_to(x=0, y=0, animate=False, immediate=True)
        await pilot.pause()
        rendered.clear()  # what the screen drew meanwhile
        for y in range(pane.size.height):
            pane.render_line(y)
        assert rendered == ["tab     here", "wide 日本語"]


async def test_what_a_run_wrote_to_stderr_is_shown_as_written(tmp_path: Path) -> None:
    """A reproduce's verdict (our CLI's stderr) read 'STDERR   stderr: reproduced: …'."""
    from proj_tui.tui.supervisor import _stderr_lines

    app = _Pane(tmp_path, max_lines=100)
    async with app.run_test():
        pane = app.query_one(LogPane)
        verdict = "reproduced: the outputs are the same as the recorded session's"
        stderr = [e for e in _stderr_lines([verdict.encode()]) if isinstance(e, LogMessage)]
        pane.add_records([_record("before"), *stderr, _record("after")])
        assert list(pane.lines) == [
            "INFO     pkg.node: before",
            verdict,
            "INFO     pkg.node: after",
        ]
