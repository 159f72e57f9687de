"""The History list: one page of sessions, drawn a line at a time.

The store is read a page at a time (``list_sessions(limit, offset)``), and moving the cursor past
either end of a page asks the screen for the neighbouring page, so the list scrolls through 100k
sessions as if they were all there. The page is drawn by ``render_line`` from pre-formatted cells
(one ``Strip`` per visible line) rather than by ``DataTable``: measured here, a DataTable spends
~0.2 ms rendering *each cell* through Rich, i.e. 100+ ms to repaint one page at 160x50, over the
100 ms budget for opening and filtering; this widget repaints a page in a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from proj_tui.tui.themes import theme_colour

if TYPE_CHECKING:
    from textual import events

    from proj_tui.framework.store import SessionSummary

# Most telling first, so 80 columns show id, status, duration, pipeline and env. The id is the
# UTC start time to the millisecond: a "started" column repeated it (the detail has local time).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("mark", " "),
    ("id", "session (UTC start)"),
    ("status", "status"),
    ("duration", "duration"),
    ("pipeline", "pipeline"),
    ("env", "env"),
    ("parent", "parent"),
    ("overrides", "overrides"),
    ("user", "user"),
    ("git", "git"),
    ("note", "note"),
)
RIGHT_ALIGNED = frozenset({"duration"})
MAX_WIDTH = {"overrides": 40, "note": 30, "pipeline": 16, "user": 12, "env": 10, "parent": 24}
STATUS_VARS = {  # the themes' status-* variables (fallbacks: App.get_theme_variable_defaults)
    "running": "status-running",
    "succeeded": "status-succeeded",
    "failed": "status-failed",
    "cancelled": "status-cancelled",
    "crashed": "status-crashed",
    "not_run": "text-muted",
    "skipped": "text-muted",
}


def fmt_time(ts: float | None) -> str:
    """Local wall-clock time to the second (ids carry the UTC time to the millisecond)."""
    if ts is None:
        return "—"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(seconds: float | None) -> str:
    """Short and sortable by eye: ``0.42s``, ``12.3s``, ``4m05s``, ``2h03m``."""
    if seconds is None:
        return "…"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def short_overrides(params: dict[str, Any] | None, width: int = 48) -> str:
    """``a.b=1, c=x`` cut to ``width`` characters: enough to tell runs apart in a list."""
    if not params:
        return ""
    from proj_tui.config import flatten

    text = ", ".join(f"{k}={v}" for k, v in sorted(flatten(params).items()))
    return text if len(text) <= width else text[: width - 1] + "…"


def git_text(commit: str | None, dirty: bool | None) -> str:
    """The short commit, ``*`` when the tree had uncommitted changes."""
    if not commit:
        return "—"
    return commit[:8] + ("*" if dirty else "")


def parent_text(session_id: str, parent_id: str | None) -> str:
    """The session this one reran or resumed, without the date both ids share: ``↳01.39.07.094Z``."""
    if not parent_id:
        return ""
    day = session_id[:11]  # "2026-12-02T"
    short = parent_id[11:] if parent_id.startswith(day) and len(parent_id) > 11 else parent_id
    return "↳" + short


def row_cells(s: SessionSummary, marked: bool) -> list[str]:
    """The cells of one session's row, in ``COLUMNS`` order, as plain text."""
    mark = ("●" if marked else " ") + ("★" if s.pinned else " ")
    note = (s.note or "").splitlines()[0] if s.note else ""
    return [
        mark,
        s.session_id,
        s.status,
        fmt_duration(s.duration),
        s.pipeline or "—",
        s.env or "—",
        parent_text(s.session_id, s.parent_id),
        short_overrides(s.runtime_params),
        s.user or "—",
        git_text(s.git_commit, s.git_dirty),
        note,
    ]


def _fit(text: str, width: int, right: bool = False) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.rjust(width) if right else text.ljust(width)


class HistoryTable(ScrollView, can_focus=True):
    """One page of sessions with a row cursor; leaving the page at either end asks for the next."""

    COMPONENT_CLASSES = {"history--header", "history--cursor", "history--zebra"}
    BINDINGS = [
        Binding("enter", "select", "Open", tooltip="Open the session's detail"),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class PageEdge(Message):
        """The cursor tried to leave the page: ``step`` is +1 (next page) or -1 (previous)."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Selected(Message):
        """Enter (or a click on the highlighted row) on a session."""

        def __init__(self, session_id: str) -> None:
            super().__init__()
            self.session_id = session_id

    class Highlighted(Message):
        """The cursor moved to another session."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[SessionSummary] = []
        self.marked: set[str] = set()
        self._cells: list[list[str]] = []
        self._widths: list[int] = [len(label) for _, label in COLUMNS]

    # --- data ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.sessions)

    def ids(self) -> list[str]:
        return [s.session_id for s in self.sessions]

    def set_rows(self, sessions: list[SessionSummary], marked: set[str], cursor: int) -> None:
        """Show ``sessions`` (one page) with the cursor on row ``cursor``."""
        self.sessions = list(sessions)
        self.marked = set(marked)
        self._cells = [row_cells(s, s.session_id in marked) for s in self.sessions]
        widths = [len(label) for _, label in COLUMNS]
        for cells in self._cells:
            for i, cell in enumerate(cells):
                if len(cell) > widths[i]:
                    widths[i] = len(cell)
        self._widths = [
            min(w, MAX_WIDTH.get(key, w)) for w, (key, _) in zip(widths, COLUMNS, strict=True)
        ]
        total = sum(self._widths) + 2 * len(self._widths)
        self.virtual_size = Size(total, len(self.sessions) + 1)
        self.cursor_row = max(0, min(cursor, len(self.sessions) - 1))
        self.refresh()

    def set_marked(self, marked: set[str]) -> None:
        self.marked = set(marked)
        self._cells = [row_cells(s, s.session_id in marked) for s in self.sessions]
        self.refresh()

    def current_id(self) -> str | None:
        """The session id under the cursor, or None on an empty page."""
        if not self.sessions:
            return None
        return self.sessions[self.cursor_row].session_id

    def line_text(self, row: int) -> str:
        """Row ``row`` as drawn (for tests and screen readers)."""
        return "".join(seg.text for seg in self._row_segments(row, Style()))

    # --- drawing ---------------------------------------------------------------------------

    def watch_cursor_row(self, row: int) -> None:
        top = round(self.scroll_offset.y)
        visible = max(1, self.size.height - 1)
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False, immediate=True)
        self.refresh()
        if self.sessions:
            self.post_message(self.Highlighted())

    def _row_segments(self, row: int, base: Style) -> list[Segment]:
        cells = self._cells[row]
        status = self.sessions[row].status
        segments = []
        for i, ((key, _), width) in enumerate(zip(COLUMNS, self._widths, strict=True)):
            text = " " + _fit(cells[i], width, key in RIGHT_ALIGNED) + " "
            style = base
            if key == "status":
                colour = theme_colour(self.app, STATUS_VARS.get(status, ""))
                if colour:
                    style = base + Style(color=colour)
            elif key == "mark" and cells[i].strip():
                style = base + Style(bold=True)
            elif key == "note":
                style = base + Style(italic=True)
            segments.append(Segment(text, style))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = round(self.scroll_offset.x)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("history--header")
            text = "".join(
                " " + _fit(label, w, key in RIGHT_ALIGNED) + " "
                for (key, label), w in zip(COLUMNS, self._widths, strict=True)
            )
            fill = base + header
            strip = Strip([Segment(text, fill)])
        else:
            row = round(self.scroll_offset.y) + y - 1
            if row >= len(self.sessions):
                return Strip.blank(width, base)
            fill = base
            if row == self.cursor_row:
                fill = base + self.get_component_rich_style("history--cursor")
            elif row % 2:
                fill = base + self.get_component_rich_style("history--zebra")
            strip = Strip(self._row_segments(row, fill))
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    # --- keys and mouse --------------------------------------------------------------------

    def _move(self, row: int, step: int) -> None:
        if not self.sessions:
            return
        if row > len(self.sessions) - 1:
            if self.cursor_row == len(self.sessions) - 1:
                self.post_message(self.PageEdge(+1))
                return
            row = len(self.sessions) - 1
        elif row < 0:
            if self.cursor_row == 0:
                self.post_message(self.PageEdge(-1))
                return
            row = 0
        self.cursor_row = row

    def action_cursor_down(self) -> None:
        self._move(self.cursor_row + 1, +1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor_row - 1, -1)

    def action_page_down(self) -> None:
        self._move(self.cursor_row + max(1, self.size.height - 2), +1)

    def action_page_up(self) -> None:
        self._move(self.cursor_row - max(1, self.size.height - 2), -1)

    def action_first(self) -> None:
        if self.sessions:
            self.cursor_row = 0

    def action_last(self) -> None:
        if self.sessions:
            self.cursor_row = len(self.sessions) - 1

    def action_select(self) -> None:
        session_id = self.current_id()
        if session_id is not None:
            self.post_message(self.Selected(session_id))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0 or not self.sessions:
            return
        row = round(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self.sessions):
            if row == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.cursor_row = row
