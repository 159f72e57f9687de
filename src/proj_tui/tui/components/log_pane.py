"""The run log: a bounded Textual ``Log`` fed one batch of lines per event batch.

``Log.write_lines`` with ~1000 lines per call keeps 100k+ lines/s and the UI responsive; a line
per call would not (docs in /work/shared/style.md). A batch is made safe and measured as one
text, not line by line: the pane knows its lines are single and printable, so it appends them
without ``write_lines``' second split and per-line width worker (``append_log_lines``).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import Log

from proj_tui.framework.events import LogMessage
from proj_tui.framework.printable import printable
from proj_tui.tui.state import app_state
from proj_tui.tui.supervisor import STDERR_LEVEL
from proj_tui.tui.textual_compat import append_log_lines

if TYPE_CHECKING:
    from rich.style import Style
    from textual import events
    from textual.geometry import Region

MAX_LINES = 20_000
INDENT = "  "  # a wrapped line's continuation


def fold_lines(lines: list[str], width: int) -> list[str]:
    """Each line cut into pieces of ``width`` characters, the pieces after the first indented."""
    if width <= len(INDENT) + 1:
        return lines
    rest = width - len(INDENT)
    out: list[str] = []
    append = out.append
    for line in lines:
        if len(line) <= width:
            append(line)
            continue
        append(line[:width])
        for start in range(width, len(line), rest):
            append(INDENT + line[start : start + rest])
    return out


class WrapLog(Log):
    """A ``Log`` whose long lines can wrap to its width (``wrap``), for logs read in full.

    ``Log`` draws a line on one row and cuts it at the edge (a resume hint ended at
    "--from-nodes inge"). With ``wrap`` on, the pane keeps the lines as written and shows them
    folded to its width, folding again when the width changes; with it off (the default, and
    the fast path for a live log) lines go straight to ``Log``.
    """

    wrap: reactive[bool] = reactive(False, init=False)

    def __init__(self, *, max_lines: int, auto_scroll: bool, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=auto_scroll, id=id)
        self._raw: deque[str] | None = None  # the lines as written, while wrapping
        self._folded_at = 0
        self._render_style: Style | None = None  # ``rich_style`` during one render_lines

    @property
    def rich_style(self) -> Style:
        """``DOMNode.rich_style``, worked out once per render rather than once per line.

        ``Log`` asks for it for every line it draws, and each time it is computed afresh by
        walking the pane's ancestors (~0.1 ms): a log that scrolls by one line redraws every
        visible row, so this was a third of the frame that showed a followed session's line.
        Within one ``render_lines`` the styles cannot change, so the first answer is kept
        until it returns.
        """
        style = self._render_style
        return super().rich_style if style is None else style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._render_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._render_style = None

    def render_line(self, y: int) -> Strip:
        """A row of printable ASCII (a log's usual line) made straight into its strip.

        ``Log`` makes every row it draws a ``Text``, styles it, renders it through the console
        and crops and pads the result: ~80 us a row, most of a streaming frame. For a line of
        printable ASCII characters (one cell each, nothing to neutralise) the same segments
        are cut from the string, ~6x cheaper; any other line, a highlighted log or a row under
        a text selection takes ``Log``'s path.
        """
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        lines = self.lines
        if index >= len(lines) or self.highlight or self.text_selection is not None:
            return super().render_line(y)
        line = lines[index]
        if not (line.isascii() and line.isprintable()):
            return super().render_line(y)
        width = self.size.width
        style = self.rich_style
        text = line[scroll_x : scroll_x + width]
        segments = [Segment(text, style)] if text else []
        if len(text) < width:
            segments.append(Segment(" " * (width - len(text)), style))
        return Strip(segments, width).apply_offsets(scroll_x, index)

    def write_shown(self, lines: list[str], width: int | None = None) -> None:
        """Append printable single lines (the one way lines reach the pane).

        ``width``, the widest line's cells when the caller measured it, lets an unwrapped pane
        append without ``write_lines``' own split and measuring (``append_log_lines``).
        """
        if self._raw is None:
            if width is None:
                self.write_lines(lines)
            else:
                append_log_lines(self, lines, width)
            return
        self._raw.extend(lines)
        self.write_lines(fold_lines(lines, self._fold_width()))

    def clear(self) -> WrapLog:
        if self._raw is not None:
            self._raw.clear()
        super().clear()
        return self

    def _fold_width(self) -> int:
        return max(0, self.size.width - self.styles.scrollbar_size_vertical)

    def watch_wrap(self, wrap: bool) -> None:
        if wrap:
            self._raw = deque(self.lines, maxlen=self.max_lines)
            self._refold()
            return
        raw, self._raw = self._raw, None
        if raw is not None:
            super().clear()
            self.write_lines(list(raw))

    def _refold(self) -> None:
        if self._raw is None:
            return
        self._folded_at = self._fold_width()
        lines = list(self._raw)
        super().clear()
        self.write_lines(fold_lines(lines, self._folded_at))

    def on_resize(self, event: events.Resize) -> None:
        if self._raw is not None and self._fold_width() != self._folded_at:
            self._refold()


def record_head(level: str, logger: str) -> str:
    """What a record's line starts with: ``LEVEL logger: ``; nothing for what the run wrote to
    stderr, shown as a terminal would (a reproduce's verdict read ``STDERR   stderr: …``)."""
    if level == STDERR_LEVEL:
        return ""
    return f"{level:<8} {logger}: " if logger else f"{level:<8} "


def format_record(record: LogMessage) -> list[str]:
    """A record's lines as shown: ``LEVEL logger: message``, continuation lines indented."""
    head = record_head(record.level, record.logger)
    message = record.message
    if "\n" not in message:
        return [head + message]
    first, *rest = message.split("\n")
    return [head + first, *("    " + line for line in rest)]


_PLAIN = bytes(range(0x20, 0x7F)) + b"\n"  # printable ASCII, and the newlines joining lines


def shown_lines(lines: list[str]) -> tuple[list[str], int]:
    """``lines`` (none holding a newline) as the pane shows them, and the widest one's width.

    Control characters are shown as ``\\xNN``, not obeyed (``printable``), and any other line
    break Python knows (U+2028 …) splits a line, as ``Log.write_lines`` would. The common batch,
    plain printable ASCII, is recognised with a few C scans over the whole batch (about 0.3 us a
    line, where a regular expression per line took 0.7) and handed on as it is.
    """
    text = "\n".join(lines)
    if text.isascii() and not text.encode("ascii").translate(None, _PLAIN):
        return lines, max(map(len, lines), default=0)  # an ASCII character is one cell
    shown = [part for line in printable(text).split("\n") for part in line.splitlines() or [line]]
    return shown, max((cell_len(line.expandtabs()) for line in shown), default=0)


class LogPane(WrapLog):
    """Keeps the newest ``max_lines`` lines; follows the tail unless the user scrolled up.

    ``received`` counts every line handed to the pane, shown or not: of a batch longer than
    ``max_lines`` only the newest lines are made printable and appended (the rest would be
    pruned at once).
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, auto_scroll=True, id=id)
        self.received = 0

    def on_mount(self) -> None:
        """The bound comes from the user's ``log_max_lines`` setting."""
        self.max_lines = app_state(self).settings.log_max_lines

    def skipped(self, count: int) -> None:
        """``count`` lines arrived that will never be shown (newer ones push them out first)."""
        self.received += count

    def add_records(self, records: list[LogMessage]) -> None:
        lines: list[str] = []
        append = lines.append
        level = logger = head = ""
        for record in records:
            message = record.message
            if "\n" in message:
                lines.extend(format_record(record))
                continue
            if record.level != level or record.logger != logger or not level:
                # a run's records come from a few loggers: the prefix is made once per change
                level, logger = record.level, record.logger
                head = record_head(level, logger)
            append(head + message)
        self.received += len(lines)
        keep = self.max_lines or MAX_LINES
        if len(lines) > keep:
            lines = lines[-keep:]
        if not lines:
            return
        shown, width = shown_lines(lines)
        self.write_shown(shown, width)
