"""The run queue (key 5): what runs now and what waits, reordered and removed from the keyboard.

The queue lives in the store (framework/queue.py), so this screen is one more client of it, like
``proj-tui queue list``: every 0.5 s it asks the store whether any process wrote
(``change_token``, one PRAGMA) and reads the queue again in a worker only then. A move or remove is
a store write, done in a worker too; the worker process that runs the queue sees it on its next
look. Nothing here runs a session: the detached worker does, with or without the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from proj_tui.tui.components.history_table import STATUS_VARS
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.messages import SessionOpenRequested
from proj_tui.tui.state import app_state
from proj_tui.tui.themes import theme_colour
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from pathlib import Path

    from proj_tui.framework.store.sqlite_queue import QueueItem

POLL_SECONDS = 0.5
_MOVE = Binding.Group("Move", compact=True)
STATE_VARS = {"queued": "text-muted", "removed": "text-muted", "not started": "status-failed"}


class QueueLoaded(Message):
    """The queue as read from the store, with the worker's pid and the concurrency."""

    def __init__(self, items: list[QueueItem], worker: int | None, concurrency: int) -> None:
        super().__init__()
        self.items = items
        self.worker = worker
        self.concurrency = concurrency


def _read(project: Path, include_finished: bool) -> tuple[list[QueueItem], int | None, int]:
    import contextlib

    from proj_tui.framework.queue import open_queue, worker_pid

    queue = open_queue(project)
    with contextlib.closing(queue.store):
        items = queue.items(include_finished=include_finished, limit=200)
        concurrency = queue.concurrency()
    return items, worker_pid(project), concurrency


class QueueScreen(ReportsWorkerErrors, Screen[None]):
    """Running items first, then the queued ones in the order the worker takes them."""

    SUB_TITLE = "Queue"
    BINDINGS = [
        Binding("escape", "back", "Back", id="queue.back"),
        Binding("K", "move('up')", "Up", id="queue.up", group=_MOVE, tooltip="Move it up"),
        Binding("J", "move('down')", "Down", id="queue.down", group=_MOVE, tooltip="Move it down"),
        Binding("t", "move('top')", "Top", id="queue.top", tooltip="Run it next"),
        Binding("x", "remove", "Remove", id="queue.remove", tooltip="Take it out of the queue"),
        Binding("o", "open", "Open", id="queue.open", tooltip="Open the session it became"),
        Binding("v", "sweep", "Sweep", id="queue.sweep", tooltip="Compare the runs of its sweep"),
        Binding("w", "worker", "Worker", id="queue.worker", tooltip="Start a worker if none runs"),
        Binding("plus", "concurrency(1)", "More", show=False, id="queue.more"),
        Binding("minus", "concurrency(-1)", "Fewer", show=False, id="queue.fewer"),
        Binding("a", "toggle_all", "All", id="queue.all", tooltip="Show finished items too"),
        Binding("g", "refresh", "Refresh", show=False, id="queue.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[QueueItem] = []
        self.show_all = False
        self.worker: int | None = None
        self.concurrency = 1
        self._token: int | None = None
        self._keep: int | None = None

    @property
    def project(self) -> Path:
        return app_state(self).project_path

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="queue-head")
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one(DataTable)
        columns = (("id", "id"), ("state", "state"), ("#", "place"), ("session", "session"))
        for label, key in (*columns, ("run", "run")):
            table.add_column(label, key=key)
        table.focus()
        self.reload()
        self.set_interval(POLL_SECONDS, self._poll)

    # --- loading ---------------------------------------------------------------------------

    def _poll(self) -> None:
        if not self.is_current:
            return
        token = self._read_token()
        if token != self._token:
            self._token = token
            self.reload(keep=self.current_id())

    def _read_token(self) -> int | None:
        from proj_tui.framework.project import store_path

        path = store_path(self.project)
        if not path.exists():
            return None
        try:
            return path.stat().st_mtime_ns + (path.with_name(path.name + "-wal").stat().st_mtime_ns)
        except OSError:
            return path.stat().st_mtime_ns

    def reload(self, keep: int | None = None) -> None:
        self._keep = keep
        self._load(self.show_all)

    @work(thread=True, exclusive=True, group="queue-read")
    def _load(self, include_finished: bool) -> None:
        from proj_tui.framework.project import store_path

        if not store_path(self.project).exists():
            self.post_message(QueueLoaded([], None, 1))
            return
        self.post_message(QueueLoaded(*_read(self.project, include_finished)))

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        self.items, self.worker, self.concurrency = (
            message.items,
            message.worker,
            message.concurrency,
        )
        self._show()

    def _show(self) -> None:
        from proj_tui.framework.queue import RunRequest

        table: DataTable[Any] = self.query_one(DataTable)
        keep = self._keep if self._keep is not None else self.current_id()
        table.clear()
        place = 0
        for item in self.items:
            if item.state == "queued":
                place += 1
            state = item.state if item.state != "done" else str(item.outcome)
            colour = theme_colour(self.app, STATUS_VARS.get(state) or STATE_VARS.get(state, "text"))
            run = RunRequest.from_json(item.request).describe(item.sweep_values)
            if item.sweep_id:  # after what tells the sweep's items apart (describe)
                run = f"{run} · sweep {item.sweep_id}"
            if item.error:
                run += f" ({item.error})"
            table.add_row(
                str(item.id),
                Text(state, style=colour or ""),
                str(place) if item.state == "queued" else "",
                item.session_id or "",
                Text(run[:200], no_wrap=True, overflow="ellipsis"),
                key=str(item.id),
            )
        if keep is not None and str(keep) in {str(i.id) for i in self.items}:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._render_head()

    def _render_head(self) -> None:
        running = sum(1 for i in self.items if i.state == "running")
        waiting = sum(1 for i in self.items if i.state == "queued")
        worker = f"worker pid {self.worker}" if self.worker else "no worker running (w starts one)"
        parts = [f"{running} running", f"{waiting} queued", worker, f"{self.concurrency} at a time"]
        if not self.items:
            parts = [
                "Nothing queued: add a run from Run setup with ctrl+z, or proj-tui run --queue"
            ]
        self.query_one("#queue-head", Static).update(escape(" · ".join(parts)))

    # --- the cursor ------------------------------------------------------------------------

    def current_id(self) -> int | None:
        item = self.current_item()
        return None if item is None else item.id

    def current_item(self) -> QueueItem | None:
        table: DataTable[Any] = self.query_one(DataTable)
        if not self.items or table.cursor_row < 0 or table.cursor_row >= len(self.items):
            return None
        return self.items[table.cursor_row]

    def _say(self, text: str, error: bool = False) -> None:
        self.query_one("#queue-status", Static).update(
            f"[$error]{escape(text)}[/]" if error else escape(text)
        )

    # --- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.reload(keep=self.current_id())

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._say("Showing finished items too." if self.show_all else "Showing what waits or runs.")
        self.reload(keep=self.current_id())

    def action_move(self, where: str) -> None:
        item = self.current_item()
        if item is None or item.state != "queued":
            self._say("Only a queued item moves: put the cursor on one.", error=True)
            return
        self._write("move", item.id, where)

    def action_remove(self) -> None:
        item = self.current_item()
        if item is None:
            return
        self._write("remove", item.id, None)

    def action_concurrency(self, step: int) -> None:
        self._write("concurrency", max(1, self.concurrency + step), None)

    @work(thread=True, group="queue-write")
    def _write(self, what: str, item_id: int, where: Any) -> None:
        import contextlib

        from proj_tui.errors import ProjTuiError
        from proj_tui.framework.queue import open_queue

        queue = open_queue(self.project)
        try:
            with contextlib.closing(queue.store):
                if what == "move":
                    order = queue.move(item_id, where)
                    done = f"Item {item_id} is at place {order.index(item_id) + 1} of {len(order)}."
                elif what == "remove":
                    queue.remove(item_id)
                    done = f"Removed item {item_id}."
                else:
                    queue.set_concurrency(item_id)
                    done = f"The worker runs {item_id} at a time."
        except ProjTuiError as exc:
            self.app.call_from_thread(self._say, str(exc), True)
            return
        self.app.call_from_thread(self._say, done)
        self.app.call_from_thread(self.reload, item_id if what == "move" else None)

    def action_worker(self) -> None:
        self._start_worker()

    @work(thread=True, group="queue-write")
    def _start_worker(self) -> None:
        from proj_tui.framework.queue import ensure_worker

        pid = ensure_worker(self.project)
        text = f"Queue worker started (pid {pid})." if pid else "A queue worker is running already."
        self.app.call_from_thread(self._say, text)
        self.app.call_from_thread(self.reload, self.current_id())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter on a row opens it too
        self.action_open()

    def action_open(self) -> None:
        item = self.current_item()
        if item is None or item.session_id is None:
            self._say("This item has not started a session yet.", error=True)
            return
        self.post_message(SessionOpenRequested(item.session_id))

    def action_sweep(self) -> None:
        item = self.current_item()
        if item is None or item.sweep_id is None:
            self._say("This item is not part of a sweep.", error=True)
            return
        from proj_tui.tui.screens.sweep import SweepScreen

        self.app.push_screen(SweepScreen(item.sweep_id))
