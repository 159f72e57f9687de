"""The run log: a bounded Textual ``Log`` fed one batch of lines per event batch.

``Log.write_lines`` with ~1000 lines per call keeps 100k+ lines/s and the UI responsive; a line
per call would not (docs in /work/shared/style.md).
"""

from __future__ import annotations

from textual.widgets import Log

from proj_tui.framework.events import LogMessage
from proj_tui.framework.printable import printable
from proj_tui.tui.state import app_state

MAX_LINES = 20_000


def format_record(record: LogMessage) -> list[str]:
    """A record's lines as shown: ``LEVEL logger: message``, continuation lines indented."""
    head = f"{record.level:<8} {record.logger}: " if record.logger else f"{record.level:<8} "
    message = record.message
    if "\n" not in message:
        return [head + message]
    first, *rest = message.split("\n")
    return [head + first, *("    " + line for line in rest)]


class LogPane(Log):
    """Keeps the newest ``MAX_LINES`` lines; follows the tail unless the user scrolled up."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, auto_scroll=True, id=id)
        self.received = 0

    def on_mount(self) -> None:
        """The bound comes from the user's ``log_max_lines`` setting."""
        self.max_lines = app_state(self).settings.log_max_lines

    def add_records(self, records: list[LogMessage]) -> None:
        lines: list[str] = []
        for record in records:
            if "\n" in record.message:
                lines.extend(format_record(record))
            else:
                lines.append(
                    f"{record.level:<8} {record.logger}: {record.message}"
                    if record.logger
                    else f"{record.level:<8} {record.message}"
                )
        self.received += len(lines)
        if len(lines) > MAX_LINES:
            lines = lines[-MAX_LINES:]
        self.write_lines([printable(line) for line in lines])  # escapes shown, not obeyed
