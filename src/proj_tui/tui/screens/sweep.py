"""One parameter sweep side by side: a row per run, a column per swept key, status and duration.

History finds a sweep's sessions with ``sweep:ID`` (``sessions.sweep_id``); this screen shows them
as the comparison a sweep is for, plus the combinations still waiting in the queue (they have no
session yet). Space marks a session and ``d`` opens the ordinary session diff
(tui/screens/session_diff.py) between the marked one and the one under the cursor, so the diff
works across a sweep exactly as elsewhere. Read in a worker; read again when the store changes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from proj_tui.tui.components.history_store import require_reader
from proj_tui.tui.components.history_table import STATUS_VARS, fmt_duration
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.messages import SessionOpenRequested
from proj_tui.tui.state import app_state
from proj_tui.tui.themes import theme_colour
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from pathlib import Path

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class SweepRun:
    """One combination of a sweep: its values, and the session it became (if it ran yet)."""

    values: dict[str, Any]
    session_id: str | None
    status: str
    duration: float | None


class SweepLoaded(Message):
    def __init__(self, runs: list[SweepRun], keys: list[str]) -> None:
        super().__init__()
        self.runs = runs
        self.keys = keys


def read_sweep(project: Path, store: Any, sweep_id: str) -> tuple[list[SweepRun], list[str]]:
    """The sweep's runs (sessions first, oldest first; then what still waits) and its keys."""
    from proj_tui.framework.store import parse_query
    from proj_tui.framework.store.sqlite_queue import QueueStore

    runs: list[SweepRun] = []
    keys: list[str] = []
    seen: set[str] = set()
    query = parse_query(f"sweep:{sweep_id} sort:started")
    for summary in store.list_sessions(query, limit=1000):
        record = store.get_session(summary.session_id)
        values = dict((record.extra.get("sweep") or {}).get("values") or {})
        keys += [k for k in values if k not in keys]
        seen.add(summary.session_id)
        end = summary.ended_at if summary.ended_at is not None else time.time()
        runs.append(SweepRun(values, summary.session_id, summary.status, end - summary.started_at))
    with contextlib.suppress(Exception):  # a read-only or older store has no queue
        for item in QueueStore(store).sweep_items(sweep_id):
            keys += [k for k in item.sweep_values if k not in keys]
            if item.session_id in seen or item.state == "removed":
                continue
            status = item.state if item.state != "done" else str(item.outcome)
            runs.append(SweepRun(dict(item.sweep_values), item.session_id, status, None))
    return runs, keys


class SweepScreen(ReportsWorkerErrors, Screen[None]):
    """The runs of sweep ``sweep_id``: swept values, status and duration of each."""

    SUB_TITLE = "Sweep"
    BINDINGS = [
        Binding("escape", "back", "Back", id="sweep.back"),
        Binding("o", "open", "Open", id="sweep.open", tooltip="Open the session's detail"),
        Binding("space", "mark", "Mark", id="sweep.mark", tooltip="Mark it for a diff"),
        Binding("d", "diff", "Diff", id="sweep.diff", tooltip="Diff the marked run with this one"),
        Binding("g", "refresh", "Refresh", show=False, id="sweep.refresh"),
    ]

    def __init__(self, sweep_id: str) -> None:
        super().__init__()
        self.sweep_id = sweep_id
        self.runs: list[SweepRun] = []
        self.keys: list[str] = []
        self.marked: str | None = None
        self._token: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"sweep {escape(self.sweep_id)} · loading…", id="sweep-head")
        yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sweep-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()
        self.set_interval(POLL_SECONDS, self._poll)

    def _poll(self) -> None:
        from proj_tui.framework.store import StoreError

        if not self.is_current:
            return
        try:
            token = app_state(self).history.token()  # History's own cheap check
        except StoreError:
            return
        if token != self._token:
            self._token = token
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-read")
    def load(self) -> None:
        state = app_state(self)
        store = require_reader(state.history)
        self.post_message(SweepLoaded(*read_sweep(state.project_path, store, self.sweep_id)))

    def on_sweep_loaded(self, message: SweepLoaded) -> None:
        self.runs, self.keys = message.runs, message.keys
        self._show()

    def _show(self) -> None:
        from proj_tui.framework.sweep import format_value

        table: DataTable[Any] = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(" ", key="mark")
        # the session first, as in History: at 80 columns the swept values, not the id, are cut
        table.add_column("session", key="session")
        table.add_column("status", key="status")
        table.add_column("duration", key="duration")
        for key in self.keys:
            table.add_column(key, key=f"v:{key}")
        for run in self.runs:
            colour = theme_colour(self.app, STATUS_VARS.get(run.status, "text-muted"))
            marked = run.session_id is not None and run.session_id == self.marked
            table.add_row(
                "●" if marked else " ",
                run.session_id or "(not run yet)",
                Text(run.status, style=colour or ""),
                fmt_duration(run.duration) if run.session_id else "—",
                *(format_value(run.values[k]) if k in run.values else "—" for k in self.keys),
            )
        if self.runs:
            table.move_cursor(row=min(max(keep, 0), len(self.runs) - 1))
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.query_one("#sweep-head", Static).update(
            escape(f"sweep {self.sweep_id} · {len(self.runs)} runs · {tally or 'none yet'}")
        )

    def current(self) -> SweepRun | None:
        table: DataTable[Any] = self.query_one(DataTable)
        if not self.runs or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    def _say(self, text: str) -> None:
        self.query_one("#sweep-status", Static).update(escape(text))

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on a row opens it too
        self.action_open()

    def action_open(self) -> None:
        run = self.current()
        if run is None or run.session_id is None:
            self._say("This combination has not run yet.")
            return
        self.post_message(SessionOpenRequested(run.session_id))

    def action_mark(self) -> None:
        run = self.current()
        if run is None or run.session_id is None:
            self._say("Only a run with a session can be marked.")
            return
        self.marked = None if self.marked == run.session_id else run.session_id
        self._say(f"Marked {self.marked}: d diffs it with another run." if self.marked else "")
        self._show()

    def action_diff(self) -> None:
        run = self.current()
        if self.marked is None or run is None or run.session_id in (None, self.marked):
            self._say("Mark a run with space, then put the cursor on another and press d.")
            return
        from proj_tui.tui.screens.session_diff import SessionDiffScreen

        assert run.session_id is not None
        self.app.push_screen(SessionDiffScreen(self.marked, run.session_id))
