"""The Runs screen's list of every live session of the project, whoever started it.

A k9s-style list: one row per running session (its id, which is also when it started, the
pipeline, env, who and where, pid, and the tab that shows it, if any), narrow enough for 80
columns; ``enter`` on a row asks to attach, which the Runs
screen answers with a tab (or by showing the tab it already has). The rows come from
``AppState.live`` (kept current by ``tui/live_watch.py``); the list itself reads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

if TYPE_CHECKING:
    from proj_tui.framework.live import LiveSession

COLUMNS = (  # key, label, width: 66 cells and 12 of padding fit an 80-column border
    ("session", "session (started)", 24),
    ("pipeline", "pipeline", 12),
    ("env", "env", 5),
    ("who", "user@host", 14),
    ("pid", "pid", 7),
    ("tab", "tab", 4),
)


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class LiveList(DataTable[Text | str]):
    """Every live session of the project, oldest first; ``enter`` asks to attach to one."""

    @dataclass
    class AttachRequested(Message):
        """Show this live session in a tab (attach, or switch to the tab that has it)."""

        session_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.border_title = "Live sessions"
        self.sessions: list[LiveSession] = []

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def show(self, sessions: list[LiveSession], tabs: Mapping[str, int]) -> None:
        """Show ``sessions`` (``tabs``: session id → the number of the tab showing it),
        keeping the cursor on the same session where it is still live."""
        keep = self.highlighted_id()
        self.sessions = list(sessions)
        self.clear()
        for s in self.sessions:
            self.add_row(*self._cells(s, tabs.get(s.session_id)), key=s.session_id)
        ids = [s.session_id for s in self.sessions]
        if keep in ids:
            self.move_cursor(row=ids.index(keep))
        count = len(self.sessions)
        self.border_title = f"Live sessions ({count})"
        self.border_subtitle = "enter attaches" if count else ""

    def _cells(self, s: LiveSession, tab: int | None) -> tuple[str, ...]:
        who = f"{s.user}@{s.host or '?'}" if s.user else s.host or "?"
        return (
            s.session_id,
            fit(s.pipeline or "__default__", 12),
            fit(s.env or "", 5),
            fit(who, 14),
            str(s.pid) if s.pid is not None else "?",
            f"#{tab}" if tab is not None else "",
        )

    def highlighted_id(self) -> str | None:
        if not self.sessions or self.cursor_row < 0 or self.cursor_row >= len(self.sessions):
            return None
        return self.sessions[self.cursor_row].session_id

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.AttachRequested(str(event.row_key.value)))


__all__ = ["LiveList"]
