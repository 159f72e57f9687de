"""Two sessions side by side: only what differs by default (``a`` shows every compared field).

The comparison is ``framework.output_diff.compare_sessions`` — the same rows ``proj-tui sessions
diff`` prints — over params, overrides, filters, CLI flags, env vars, git, versions, the node set,
per-node times, then every output and input by digest and, for a changed small JSON/YAML/CSV
output, its changed keys with old and new values (section ``output NAME``); read in a worker.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from proj_tui.framework.output_diff import output_summary
from proj_tui.tui.components.history_messages import DiffLoaded
from proj_tui.tui.components.history_store import require_reader
from proj_tui.tui.components.history_table import STATUS_VARS, fmt_duration, fmt_time
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.messages import SessionOpenRequested
from proj_tui.tui.state import app_state
from proj_tui.tui.themes import theme_colour
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from proj_tui.framework.diff import DiffRow
    from proj_tui.framework.store import SessionRecord


_OPEN = Binding.Group("Open", compact=True)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def _shown_key(row: DiffRow) -> tuple[str, str]:
    """A changed output's key as ``output`` + ``NAME · KEY``: narrow columns leave room at 80x24
    for both values (the rows keep ``output NAME`` as their section, as the CLI prints it)."""
    if row.section.startswith("output "):
        return "output", f"{row.section.removeprefix('output ')} · {row.key}"
    return row.section, row.key


def _shown_value(row: DiffRow, value: Any) -> Any:
    """A commit as its first 12 characters (enough to tell apart; the detail has it whole)."""
    if row.section == "git" and row.key == "commit" and isinstance(value, str):
        return value[:12]
    return value


class SessionDiffScreen(ReportsWorkerErrors, Screen[None]):
    """What changed from ``left`` (usually the baseline) to ``right``."""

    SUB_TITLE = "Diff"
    BINDINGS = [
        Binding("escape", "back", "Back", id="diff.back"),
        Binding(
            "a",
            "toggle_all",
            "All",
            id="diff.all",
            tooltip="Show every compared field, not only the differences",
        ),
        Binding("s", "swap", "Swap", id="diff.swap", tooltip="Swap the left and right sessions"),
        Binding("o", "open(0)", "Open left", id="diff.open_left", group=_OPEN),
        Binding("O", "open(1)", "Open right", id="diff.open_right", group=_OPEN),
    ]

    def __init__(self, left: str, right: str) -> None:
        super().__init__()
        self.left_id, self.right_id = left, right
        self.show_all = False
        self.rows: list[DiffRow] = []
        self.records: tuple[SessionRecord, SessionRecord] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{escape(self.left_id)} → {escape(self.right_id)} · loading…", id="diff-head")
        yield DataTable(id="diff-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="diff-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        table.add_column("section", key="section")
        table.add_column("key", key="key")
        table.add_column("left", key="left")
        table.add_column("right", key="right")
        table.focus()
        self.load()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-diff",
        description="Compare sessions",
    )
    def load(self) -> None:
        from proj_tui.framework.output_diff import compare_sessions

        store = require_reader(app_state(self).history)
        left = store.get_session(self.left_id)
        right = store.get_session(self.right_id)
        self.post_message(DiffLoaded(left, right, compare_sessions(store, left, right)))

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        self.records = (message.left, message.right)
        self.rows = message.rows
        self._show()

    def _side(self, record: SessionRecord) -> str:
        colour = STATUS_VARS.get(record.status, "text")
        return (
            f"[b]{escape(record.session_id)}[/b] [${colour}]{record.status}[/] "
            f"{fmt_time(record.started_at)} ({fmt_duration(record.duration)})"
        )

    def _show(self) -> None:
        if self.records is None:
            return
        left, right = self.records
        self.query_one("#diff-head", Static).update(
            f"left  {self._side(left)}\nright {self._side(right)}"
        )
        changed = [r for r in self.rows if r.changed]
        shown = self.rows if self.show_all else changed
        table: DataTable[Any] = self.query_one(DataTable)
        table.clear()
        old, new = theme_colour(self.app, "error"), theme_colour(self.app, "success")
        for row in shown:
            style_left, style_right = (old, new) if row.changed else ("", "")
            section, key = _shown_key(row)
            table.add_row(
                Text(section, style="bold" if row.changed else "dim"),
                key,
                Text(_cell(_shown_value(row, row.left)), style=style_left),
                Text(_cell(_shown_value(row, row.right)), style=style_right),
            )
        what = "every compared field" if self.show_all else "only differences"
        if not changed:
            summary = "No differences" + ("" if self.show_all else " (a shows every field)")
        else:
            summary = f"{len(changed)} difference(s) of {len(self.rows)} compared fields"
        outputs = output_summary(self.rows)
        summary += f" · {outputs}" if outputs else ""
        self.query_one("#diff-status", Static).update(escape(f"{summary} · showing {what}"))

    def action_back(self) -> None:
        self.dismiss()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._show()

    def action_swap(self) -> None:
        self.left_id, self.right_id = self.right_id, self.left_id
        self.load()

    def action_open(self, side: int) -> None:
        self.post_message(SessionOpenRequested((self.left_id, self.right_id)[side]))
