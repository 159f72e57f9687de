"""History: every past session of the project, newest first, paged so 100k rows stay instant.

The list holds one page (``PAGE`` rows, drawn line by line); the filter box speaks the store's query
language (``status:failed env:prod lr>0.04 text``) and a bad query is explained under it.
A 0.5 s timer polls the store's ``change_token()`` (one ``PRAGMA``), and when another process has
written, the page is read again in a worker, keeping the cursor on the same session.
Enter opens the detail; space marks a session and ``d`` diffs it with another; ``r``/``e``/``R``
rerun, rerun edited and resume; ``x`` reproduces (the recorded code, outputs compared);
``p``/``n``/``delete`` pin, annotate and delete.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.message import Message
from textual.widgets import Header, Input, Static
from textual.worker import Worker

from proj_tui.tui.components.history_actions import RESUMABLE, HistoryActions
from proj_tui.tui.components.history_messages import (
    HistoryChanged,
    HistoryCounted,
    HistoryPageLoaded,
    ResumePlanned,
)
from proj_tui.tui.components.history_table import HistoryTable
from proj_tui.tui.components.key_footer import KeyFooter

if TYPE_CHECKING:
    from textual.app import App

    from proj_tui.framework.store import SessionQuery, SessionRecord, SessionSummary

PAGE = 100
POLL_SECONDS = 0.5
SORT_CYCLE = ("-started", "started", "-duration", "duration", "status")
SORT_LABELS = {
    "-started": "newest first",
    "started": "oldest first",
    "-duration": "longest first",
    "duration": "shortest first",
    "status": "by status",
}


_PAGE = Binding.Group("Page", compact=True)


class RecordFetched(Message):
    """A full record a list action needs (rerun, resume …), read in a worker."""

    def __init__(self, record: SessionRecord, purpose: str) -> None:
        super().__init__()
        self.record = record
        self.purpose = purpose


class SessionsScreen(HistoryActions):
    """The History mode (key 4): list, filter, sort, mark, and act on past sessions."""

    SUB_TITLE = "History"
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="history.filter", tooltip="Edit the filter"),
        Binding("enter", "open", "Open", id="history.open", tooltip="Open the session's detail"),
        Binding(
            "space",
            "mark",
            "Mark",
            id="history.mark",
            tooltip="Mark/unmark the session (for diff or delete)",
        ),
        Binding(
            "d",
            "diff",
            "Diff",
            id="history.diff",
            tooltip="Diff the marked session with this one (or the two marked)",
        ),
        Binding("r", "rerun", "Rerun", id="history.rerun", tooltip="Run the session again as-is"),
        Binding(
            "e",
            "rerun_edited",
            "Edit",
            id="history.rerun_edited",
            tooltip="Open Run setup prefilled from the session",
        ),
        Binding(
            "R",
            "resume",
            "Resume",
            id="history.resume",
            tooltip="Resume a failed/cancelled/crashed session where it stopped",
        ),
        Binding(
            "x",
            "reproduce",
            "Reproduce",
            id="history.reproduce",
            tooltip="Run the session's recorded code again and compare its outputs",
        ),
        Binding("p", "pin", "Pin", id="history.pin", tooltip="Pin/unpin as a baseline"),
        Binding("n", "note", "Note", id="history.note", tooltip="Add or edit the note"),
        Binding(
            "delete",
            "delete",
            "Delete",
            id="history.delete",
            tooltip="Delete this session (the marked ones, if it is marked), after asking",
        ),
        Binding("s", "sort", "Sort", id="history.sort", tooltip="Cycle the sort order"),
        Binding(
            "w",
            "sweep",
            "Sweep",
            id="history.sweep",
            tooltip="Compare the runs of the session's parameter sweep side by side",
        ),
        Binding(
            "left_square_bracket", "page(-1)", "Prev page", id="history.prev_page", group=_PAGE
        ),
        Binding(
            "right_square_bracket", "page(1)", "Next page", id="history.next_page", group=_PAGE
        ),
        Binding("g", "refresh", "Refresh", show=False, id="history.refresh"),
        Binding("escape", "leave_filter", "Back to list", show=False, id="history.leave_filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.sort = "-started"
        self.page_offset = 0
        self.total = 0
        self.rows: dict[str, SessionSummary] = {}
        self.marked: dict[str, SessionSummary] = {}
        self.generation = 0
        self.loaded_generation = -1
        self.counted = False
        self._token: int | None = None
        self._keep_id: str | None = None
        self._cursor_at: int | str = 0  # a row index, or "last"
        self._page_rows: list[SessionSummary] = []
        self._page_hints: list[str] = []  # why the page is empty (read with it, in the worker)
        self._page_error: str | None = None  # the last page read failed (shown once, g retries)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="history-top"):
            yield Input(
                placeholder="filter: status:failed env:prod since:2d lr>0.04 words in logs",
                id="history-filter",
            )
            yield Static(self._sort_text(), id="history-sort")
        error = Static("", id="history-error")
        error.display = False
        yield error
        yield HistoryTable(id="history-table")
        yield Static("", id="history-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        # Only direct children here: when the app is exiting as this screen is built unseen
        # (warm_history), Textual mounts the screen without waiting for the widgets inside
        # its containers, and a query for #history-sort raised NoMatches. compose draws the
        # sort label and hides the error line itself.
        self.query_one(HistoryTable).focus()
        # No store access here: the screen may be built unseen (warm_history); a mode's screen
        # is resumed when shown, and reads its page then.
        self.set_interval(POLL_SECONDS, self._poll)

    def on_screen_resume(self) -> None:
        if self.app.current_mode != "sessions":
            return  # built unseen by warm_history: nothing to read until it is shown
        if self._page_error is not None:
            return  # closing the error modal resumes us: reading again would reopen it (g retries)
        self._token = self._read_token()
        self.reload(keep=self.current_id())

    def worker_failed(self, worker: Worker[Any]) -> bool:
        """A page that cannot be read says so under the list too (the modal opens once)."""
        if worker.group == "history-page":
            self._page_error = str(worker.error)
            self.query_one("#history-status", Static).update(
                escape(f"Cannot read the session store (g tries again): {worker.error}")
            )
        return False

    # --- loading ---------------------------------------------------------------------------

    def effective_query(self) -> SessionQuery:
        """The typed filter, sorted by the chosen order unless the filter has its own sort:."""
        from proj_tui.framework.store import parse_query

        query = parse_query(self.query_text)
        if "sort:" in self.query_text.lower():
            return query
        return replace(query, sort=self.sort)

    def reload(
        self, *, offset: int | None = None, keep: str | None = None, at: int | str = 0
    ) -> None:
        """Read the page at ``offset`` (default: the current one) in a worker."""
        from proj_tui.framework.store import QueryError

        try:
            query = self.effective_query()
        except QueryError:
            return  # the filter box already says what is wrong; keep showing the last good page
        self.generation += 1
        self._keep_id, self._cursor_at = keep, at
        self._fetch(self.generation, query, self.page_offset if offset is None else offset)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-page",
        description="Read sessions from the store",
    )
    def _fetch(self, generation: int, query: SessionQuery, offset: int) -> None:
        store = self.history.reader()
        if store is None:
            self.post_message(HistoryPageLoaded(generation, [], 0, 0))
            return
        rows = store.list_sessions(query, limit=PAGE, offset=offset)
        if offset and not rows:  # past the end (sessions were deleted): count, then clamp
            total = store.count_sessions(query)
            offset = max(0, (max(total, 1) - 1) // PAGE * PAGE)
            rows = store.list_sessions(query, limit=PAGE, offset=offset)
            self.post_message(HistoryPageLoaded(generation, rows, total, offset))
            return
        hints: list[str] = []
        if not rows and not offset:  # why, from the store too (a key no session recorded)
            from proj_tui.framework.store import empty_result_hints

            hints = empty_result_hints(query, store.has_param_key)
        # the page first, the count after: counting a text search over 100k rows takes longer
        self.post_message(HistoryPageLoaded(generation, rows, None, offset, hints))
        self.post_message(HistoryCounted(generation, store.count_sessions(query)))

    def on_history_counted(self, message: HistoryCounted) -> None:
        if message.generation == self.generation:
            self.total, self.counted = message.total, True
            self._render_status()

    def on_history_page_loaded(self, message: HistoryPageLoaded) -> None:
        if message.generation != self.generation:
            return  # an answer to an older request
        self.loaded_generation = message.generation
        self._page_error = None
        same = message.rows == self._page_rows and message.offset == self.page_offset
        self.page_offset = message.offset
        if message.total is not None:
            self.total, self.counted = message.total, True
        else:
            self.counted = False
            self.total = message.offset + len(message.rows)  # at least; the count follows
        self.rows = {s.session_id: s for s in message.rows}
        self._page_hints = message.hints
        for session_id in list(self.marked):
            if session_id in self.rows:
                self.marked[session_id] = self.rows[session_id]
        if not same:
            self._page_rows = list(message.rows)
            self._fill(message.rows)
        self._render_status()

    def _fill(self, rows: list[SessionSummary]) -> None:
        keep = self._keep_id
        index = next((i for i, s in enumerate(rows) if s.session_id == keep), None)
        if index is None:
            at = self._cursor_at
            index = len(rows) - 1 if at == "last" else min(int(at), max(0, len(rows) - 1))
        self.query_one(HistoryTable).set_rows(rows, set(self.marked), index)

    def _render_status(self) -> None:
        status = self.query_one("#history-status", Static)
        if not self.rows and self.counted:
            if self.query_text.strip() and self.history.exists():
                text = " ".join(["No sessions match the filter.", *self._page_hints])
            else:
                text = "No sessions recorded yet: ctrl+r runs the current setup."
        elif not self.rows:
            text = "…"
        else:
            first, last = self.page_offset + 1, self.page_offset + len(self.rows)
            of = f"{self.total:,}" if self.counted else "… (counting)"
            text = f"rows {first:,}-{last:,} of {of}"
            pages = (self.total - 1) // PAGE + 1
            if self.counted and pages > 1:
                text += (
                    f" · page {self.page_offset // PAGE + 1:,}/{pages:,} ([ ] or ↑↓ past the edge)"
                )
        if self.marked:
            text += f" · marked: {', '.join(self.marked)}"
        status.update(escape(text))

    def _sort_text(self) -> str:
        if "sort:" in self.query_text.lower():
            label = "sort from filter"
        else:
            label = SORT_LABELS.get(self.sort, self.sort)
        return f"sort: {label} (s)"

    def _render_sort(self) -> None:
        self.query_one("#history-sort", Static).update(self._sort_text())

    def _read_token(self) -> int | None:
        from proj_tui.framework.store import StoreError

        try:
            return self.history.token()
        except StoreError:
            return None

    def _poll(self) -> None:
        """Reload the page when another process (or this one) wrote to the store."""
        if not self.is_current:
            return
        token = self._read_token()
        if token != self._token:
            self._token = token
            self.reload(keep=self.current_id(), at=self.query_one(HistoryTable).cursor_row)

    # --- filter and sort -------------------------------------------------------------------

    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        from proj_tui.framework.store import QueryError, parse_query

        self.query_text = event.value
        error = self.query_one("#history-error", Static)
        try:
            parse_query(event.value)
        except QueryError as exc:
            error.update(escape(str(exc)))
            error.display = True
            event.input.add_class("-invalid")
            return
        error.display = False
        event.input.remove_class("-invalid")
        self._render_sort()
        self.reload(offset=0)

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self) -> None:
        self.query_one(HistoryTable).focus()

    def action_focus_filter(self) -> None:
        self.set_focus(
            self.query_one("#history-filter", Input)
        )  # now, not after the keys already queued (focus() waits a turn)

    def action_leave_filter(self) -> None:
        self.set_focus(self.query_one(HistoryTable))

    def action_sort(self) -> None:
        index = SORT_CYCLE.index(self.sort) if self.sort in SORT_CYCLE else -1
        self.sort = SORT_CYCLE[(index + 1) % len(SORT_CYCLE)]
        self._render_sort()
        self.reload(offset=0)

    # --- paging ----------------------------------------------------------------------------

    def action_page(self, step: int) -> None:
        self._turn(step, at=0)

    def on_history_table_page_edge(self, event: HistoryTable.PageEdge) -> None:
        self._turn(event.step, at=0 if event.step > 0 else "last")

    def _turn(self, step: int, *, at: int | str) -> None:
        offset = self.page_offset + step * PAGE
        if offset < 0 or (step > 0 and len(self.rows) < PAGE):
            return
        if self.counted and offset >= self.total:
            return
        self.reload(offset=offset, at=at)

    def action_refresh(self) -> None:
        self._page_error = None
        self.reload(keep=self.current_id())

    # --- selection -------------------------------------------------------------------------

    def current_id(self) -> str | None:
        return self.query_one(HistoryTable).current_id()

    def current(self) -> SessionSummary | None:
        session_id = self.current_id()
        return None if session_id is None else self.rows.get(session_id)

    def applies(self, action: str) -> bool:
        """Whether ``action`` can act on the highlighted session (the palette lists only those).

        Not ``check_action``: that would rebuild the footer on every cursor move (tens of ms);
        keys that do not apply say why instead.
        """
        summary = self.current()
        if action == "diff":
            return summary is not None and bool(self.marked)
        if action == "resume":
            return summary is not None and summary.status in RESUMABLE
        if action in ("open", "mark", "rerun", "rerun_edited", "pin", "note", "delete"):
            return summary is not None
        return True

    def on_history_table_selected(self, event: HistoryTable.Selected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        session_id = self.current_id()
        if session_id is None:
            return
        from proj_tui.tui.screens.session_detail import shared_detail

        self.app.push_screen(shared_detail(self.app, session_id, list(self.marked)))

    def action_mark(self) -> None:
        summary = self.current()
        if summary is None:
            return
        if summary.session_id in self.marked:
            del self.marked[summary.session_id]
        else:
            self.marked[summary.session_id] = summary
        self.query_one(HistoryTable).set_marked(set(self.marked))
        self._render_status()

    def action_sweep(self) -> None:
        """The sweep the highlighted session ran in, side by side (tui/screens/sweep.py)."""
        current = self.current_id()
        if current is None:
            return
        self._find_sweep(current)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history-sweep")
    def _find_sweep(self, session_id: str) -> None:
        from proj_tui.framework.store.sqlite_queue import QueueStore
        from proj_tui.tui.state import app_state

        store = app_state(self).history.reader()
        sweep = None if store is None else QueueStore(store).sweep_ids([session_id]).get(session_id)
        self.app.call_from_thread(self._open_sweep, session_id, sweep)

    def _open_sweep(self, session_id: str, sweep: str | None) -> None:
        if sweep is None:
            self.notify(
                f"{session_id} is not part of a sweep (queue one with --sweep, or from Run "
                "setup's Sweep field).",
                severity="warning",
            )
            return
        from proj_tui.tui.screens.sweep import SweepScreen

        self.app.push_screen(SweepScreen(sweep))

    def action_diff(self) -> None:
        current = self.current_id()
        marked = list(self.marked)
        if len(marked) >= 2 and (current is None or current in marked):
            left, right = marked[-2], marked[-1]
        elif marked and current is not None and current != marked[-1]:
            left, right = marked[-1], current
        else:
            self.notify(
                "Mark a session with space, then press d on another one.", severity="warning"
            )
            return
        from proj_tui.tui.screens.session_diff import SessionDiffScreen

        self.app.push_screen(SessionDiffScreen(left, right))

    # --- actions that need the full record -------------------------------------------------

    def action_rerun(self) -> None:
        self._fetch_for("rerun")

    def action_rerun_edited(self) -> None:
        self._fetch_for("rerun_edited")

    def action_resume(self) -> None:
        summary = self.current()
        if summary is not None and summary.status not in RESUMABLE:
            self.notify(
                f"Session {summary.session_id} {summary.status}: only failed, cancelled or crashed "
                "sessions can be resumed (r reruns it).",
                severity="warning",
            )
            return
        self._fetch_for("resume")

    def action_reproduce(self) -> None:
        self._fetch_for("reproduce")

    def _fetch_for(self, purpose: str) -> None:
        session_id = self.current_id()
        if session_id is not None:
            self._fetch_record(session_id, purpose)

    @work(
        thread=True,
        exit_on_error=False,
        group="history-record",
        description="Read the session",
    )
    def _fetch_record(self, session_id: str, purpose: str) -> None:
        from proj_tui.tui.components.history_store import require_reader

        record = require_reader(self.history).get_session(session_id)
        self.post_message(RecordFetched(record, purpose))

    def on_record_fetched(self, message: RecordFetched) -> None:
        if message.purpose == "rerun":
            self.launch_session(message.record)
        elif message.purpose == "rerun_edited":
            self.rerun_edited(message.record)
        elif message.purpose == "resume":
            self.start_resume(message.record)
        elif message.purpose == "reproduce":
            from proj_tui.tui.components.outputs_reproduce import start_reproduce

            start_reproduce(self, message.record)

    def on_resume_planned(self, message: ResumePlanned) -> None:
        self.confirm_resume(message)

    def action_pin(self) -> None:
        summary = self.current()
        if summary is not None:
            self.write_pinned(summary.session_id, not summary.pinned)

    def action_note(self) -> None:
        summary = self.current()
        if summary is not None:
            self.edit_note(summary.session_id, summary.note)

    def action_delete(self) -> None:
        """Delete the row under the cursor, or the marked rows when the cursor is on one of them.

        A mark left from an earlier diff must not turn ``delete`` on another row into deleting
        the marked session: what is under the cursor is what the key acts on.
        """
        summary = self.current()
        if summary is None:
            return
        chosen: dict[str, Any] = (
            dict(self.marked)
            if summary.session_id in self.marked
            else {summary.session_id: summary}
        )
        running = [sid for sid, s in chosen.items() if s.status == "running"]
        self.confirm_delete(list(chosen), running)

    def on_history_changed(self, message: HistoryChanged) -> None:
        self.notify(message.text, timeout=3)
        if message.deleted:
            self.marked.clear()
        # Our own write: take its change token now, or the poll reads the page a second time
        # for the same change (and, exclusive, cancels this read half-way).
        self._token = self._read_token()
        self.reload(keep=self.current_id(), at=self.query_one(HistoryTable).cursor_row)


def warm_history(app: App[Any]) -> None:
    """Mount the History mode's screen unseen (design §5: History opens in ≤ 100 ms).

    Building it (compose, styles, first page) takes ~150 ms of the UI thread; done once in the
    background, pressing 4 is a screen switch. Textual has no public call to prepare a mode
    (``textual_compat.prepare_mode``).
    """
    from proj_tui.tui.textual_compat import prepare_mode

    prepare_mode(app, "sessions")


def history_help_sections() -> list[tuple[str, type]]:
    """The help (and keymap-id check) sections of the screens pushed from History."""
    from proj_tui.tui.components.history_actions import NoteModal
    from proj_tui.tui.screens.session_detail import SessionDetailScreen
    from proj_tui.tui.screens.session_diff import SessionDiffScreen

    return [
        ("Session detail", SessionDetailScreen),
        ("Session diff", SessionDiffScreen),
        ("Note", NoteModal),
    ]


def history_commands(app: App[Any]) -> list[tuple[str, Any, str]]:
    """Palette commands: the open History screen's actions (by their bindings), or shortcuts."""
    from functools import partial

    from proj_tui.tui.screens.help import _bindings
    from proj_tui.tui.screens.session_detail import SessionDetailScreen
    from proj_tui.tui.screens.session_diff import SessionDiffScreen

    screen = app.screen
    if isinstance(screen, SessionsScreen | SessionDetailScreen | SessionDiffScreen):
        commands = []
        for binding in _bindings(type(screen)):
            name, _, args = binding.action.partition("(")
            params = tuple(a.strip() for a in args.rstrip(")").split(",") if a.strip())
            usable = (
                screen.applies(name)
                if isinstance(screen, SessionsScreen)
                else screen.check_action(name, params) is True
            )
            if not binding.id or not usable:
                continue
            text = binding.tooltip or binding.description
            commands.append(
                (
                    f"History: {text}",
                    partial(screen.run_action, binding.action),
                    f"key {binding.key}",
                )
            )
        return commands
    return [
        (f"History: {label}", partial(_open_history, app, query), f"filter {query}")
        for label, query in (
            ("failed sessions", "status:failed,crashed"),
            ("pinned baselines", "is:pinned"),
            ("today's sessions", "since:today"),
        )
    ]


async def _open_history(app: App[Any], query: str) -> None:
    await app.switch_mode("sessions")
    screen = app.screen
    if isinstance(screen, SessionsScreen):
        screen.query_one("#history-filter", Input).value = query
