"""The run log pane: how lines get in (made printable, measured, bounded) without Log's per-line work."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
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
