"""One live (or finished) session: status, overall progress with ETA, per-node table, log.

A tab shows a session launched from this app (:meth:`RunTab.launch`: its worker supervises the
child process) or one attached from the Runs screen's live list (:meth:`RunTab.attach`: its
worker follows the session in the store, ``supervisor.AttachedSupervisor``); from there on both are the same
tab, the same keys and the same path for events. Events wait in an
:class:`~proj_tui.tui.supervisor.EventInbox`; a :class:`~proj_tui.tui.messages.RunBatch` wakes
the tab, which takes everything waiting and folds it into a plain
:class:`~proj_tui.tui.supervisor.RunState`, which the widgets render. The tab drains its inbox at
most :data:`FRAMES_PER_SECOND` times a second: a child that floods its output is shown at that
rate, in large cheap batches, and the UI keeps time between them for keys and the other tabs.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.markup import escape
from textual.widgets import DataTable, ProgressBar, Static, TabbedContent, TabPane
from textual.worker import Worker

from proj_tui.framework.events import LogMessage, SessionStarted
from proj_tui.framework.redact import redact_value
from proj_tui.tui.components.log_pane import MAX_LINES, LogPane
from proj_tui.tui.messages import ExpectedDurations, RunBatch
from proj_tui.tui.state import app_state
from proj_tui.tui.supervisor import (
    AttachedSupervisor,
    Event,
    EventInbox,
    NodeProgress,
    ProcessExited,
    RunState,
    Supervisor,
    typical_durations,
)
from proj_tui.tui.themes import theme_colour
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.notifications import SeverityLevel

    from proj_tui.framework.live import LiveSession
    from proj_tui.tui.run_spec import RunSpec

# The node table's columns: status and time keep their width, the node column takes what is left
# (its names cut with "…"), so at 80 columns "succeeded" and the time stay whole.
STATUS_WIDTH = 9  # "succeeded", "cancelled"
TIME_WIDTH = 6  # fmt_seconds: "9.99s", "119s", "59m59s"
NODE_MIN_WIDTH = 8
FRAMES_PER_SECOND = 30  # how often a streaming run's tab shows what arrived
# A frame folds events in chunks of at most FRAME_EVENTS, and starts no new chunk once it has
# spent FRAME_SECONDS: a flood waits in the tab's backlog rather than making one frame long, so
# a key waits behind a few milliseconds of drain at most, and between frames the UI is free.
FRAME_EVENTS = 2000
FRAME_SECONDS = 0.004
HEADER_EVERY = 1.0  # the header (elapsed, ETA) is drawn again at least this often (seconds)
TICK_SECONDS = 0.25  # how often the tab checks whether it is due (see RunTab._tick)

STATUS_STYLE = {
    "starting": "$text-muted",
    "running": "$status-running",
    "succeeded": "$status-succeeded",
    "failed": "$status-failed",
    "cancelled": "$status-cancelled",
    "cancelling": "$status-cancelled",
    "crashed": "$status-crashed",
    "skipped": "$text-muted",
    "not_run": "$text-muted",
    "pending": "$text-muted",
}


def status_cell(app: App[object], status: str) -> Text:
    """A status as a Rich ``Text`` coloured from the theme (DataTable cells are Rich, not markup)."""
    var = STATUS_STYLE.get(status, "").lstrip("$")
    colour = theme_colour(app, var) if var else None
    return Text(status, style=colour or "")


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class RunTab(ReportsWorkerErrors, TabPane):
    """A tab for one session: launched from the app, or attached to from the live list."""

    def __init__(
        self,
        number: int,
        *,
        project_path: Path,
        pipeline: str,
        env: str | None,
        planned: list[str],
        spec: RunSpec | None = None,
        argv: list[str] | None = None,
        live: LiveSession | None = None,
    ) -> None:
        super().__init__(self._label(number, pipeline, "running"), id=f"run-{number}")
        self.number = number
        self.project_path = project_path
        self.pipeline = pipeline
        self.env = env
        self.spec = spec
        self.argv = argv or []
        self.origin = live  # the live session attached to (None: launched here)
        self.state = RunState(planned=planned)
        self.launched = time.time() if live is None else live.started_at
        self.inbox = EventInbox()
        self._backlog: list[Event] = []  # taken from the inbox, not folded yet (FRAME_EVENTS)
        self._backlog_logs = 0  # how many of them are log lines
        self._frame_pending = False  # a frame timer will take the inbox: no wake needed
        self.supervisor: Supervisor | None = None
        self.attached: AttachedSupervisor | None = None
        self._cancel_requested = False  # an attached session's cancel is under way
        self._header_text: str | None = None
        self._header_at = 0.0  # time.monotonic() of the last _render_header
        self._released = threading.Event()  # the session ended, or the app stopped following
        if live is None:
            assert spec is not None
            self.supervisor = Supervisor(
                self.argv, cwd=project_path, on_batch=self._post_batch, env_vars=spec.child_env()
            )
        else:
            from proj_tui.framework.project import store_path

            self.state.session_id = live.session_id
            self.attached = AttachedSupervisor(
                store_path(project_path), live.session_id, on_batch=self._post_batch
            )

    @classmethod
    def launch(cls, number: int, spec: RunSpec, argv: list[str], planned: list[str]) -> RunTab:
        """A tab that starts ``argv`` (``proj-tui run …``) and supervises it."""
        return cls(
            number,
            project_path=spec.project_path,
            pipeline=spec.pipeline,
            env=spec.env,
            planned=planned,
            spec=spec,
            argv=argv,
        )

    @classmethod
    def attach(cls, number: int, project_path: Path, live: LiveSession) -> RunTab:
        """A tab that follows a live session from the store (started anywhere)."""
        return cls(
            number,
            project_path=project_path,
            pipeline=live.pipeline or "__default__",
            env=live.env,
            planned=[],
            live=live,
        )

    @staticmethod
    def _label(number: int, pipeline: str, status: str) -> str:
        mark = {"succeeded": "✓ ", "failed": "✗ ", "cancelled": "■ ", "crashed": "✗ "}.get(
            status, "▶ "
        )
        # short, so that a row of tabs holds seven at 140 columns (the header names the env)
        shown = pipeline if len(pipeline) <= 14 else pipeline[:13] + "…"
        return f"{mark}{number} {shown}"

    def compose(self) -> ComposeResult:
        yield Static("", classes="run-header")
        yield ProgressBar(total=max(1, len(self.state.nodes)), show_eta=False, classes="run-bar")
        with Horizontal(classes="run-body"):
            table: DataTable[Text | str] = DataTable(classes="run-nodes", cursor_type="row")
            yield table
            yield LogPane(id=f"log-{self.number}")

    def on_mount(self) -> None:
        self._node_width: int | None = None  # None: as wide as the longest name (not sized yet)
        self._add_columns()
        self._fill_table()
        self._render_header()
        self._ticker = self.set_interval(TICK_SECONDS, self._tick)
        self._supervise()
        self._load_expected()

    # --- workers ---------------------------------------------------------------------------

    def _post_batch(self, events: list[Event]) -> None:
        """The supervisor's thread: leave the events, and wake the tab if it is waiting."""
        if self.inbox.put(events):
            self.post_message(RunBatch())

    @work(thread=True, exit_on_error=False, group="runs", description="Run session")
    def _supervise(self) -> int:
        """Supervise (or follow) the session until it ends, or until the app stops following it.

        The reading runs in a daemon thread of its own, which this worker waits for: a run is
        a process of its own that may go on long after the app quit ("keep running"), and the
        app's thread pool is joined at exit, so a pool thread still reading would hold the app
        open until the run ended. Stopping (:meth:`stop_following`) returns -1 at once.
        """
        source: AttachedSupervisor | Supervisor | None = self.attached or self.supervisor
        assert source is not None
        outcome: list[int | BaseException] = []

        def pump() -> None:
            try:
                outcome.append(source.run())
            except BaseException as exc:  # handed to the worker, which reports it
                outcome.append(exc)
            finally:
                self._released.set()

        threading.Thread(target=pump, name=f"proj-tui-run-{self.number}", daemon=True).start()
        self._released.wait()
        if not outcome:
            return -1  # stopped following: the session goes on by itself
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    @work(thread=True, exit_on_error=False, group="eta", description="Read past run times")
    def _load_expected(self) -> None:
        durations = typical_durations(self.project_path, self.pipeline)
        self.post_message(ExpectedDurations(durations))

    def worker_failed(self, worker: Worker[object]) -> bool:
        """The run could not even start (or be followed): mark the tab failed (the modal says
        why); no ETA: a toast."""
        if worker.group == "eta":
            self.notify(f"No ETA: cannot read past runs ({worker.error})", severity="warning")
            return True  # no ETA is not worth a modal
        if worker.group == "runs":
            self.state.status = "failed"
            self.state.error = str(worker.error)
            self.state.returncode = -1
            self._finished()
        return False

    # --- events ----------------------------------------------------------------------------

    def on_expected_durations(self, message: ExpectedDurations) -> None:
        self.state.expected = message.durations
        self._render_header()

    def on_run_batch(self, message: RunBatch) -> None:
        message.stop()
        if not self._frame_pending:  # else the coming frame takes what woke us
            self._show(self.inbox.take())

    def _next_frame(self) -> None:
        """A frame after the last drain: show what came meanwhile, or wait for the next wake."""
        self._frame_pending = False
        self._show(self.inbox.take())

    def _show(self, events: list[Event]) -> None:
        """Fold the backlog oldest first, in chunks of ``FRAME_EVENTS``, until it is empty or
        the frame has spent ``FRAME_SECONDS``; the rest waits for the next frame.

        A backlog holding more log lines than the pane keeps drops the oldest of them as they
        arrive (they would be pruned as soon as shown; ``LogPane.received`` still counts them),
        so a child faster than the app is shown late by a bounded amount, never by a growing
        one. Each event is counted and dropped once, however many frames it waits: no frame
        walks the whole backlog.
        """
        backlog = self._backlog
        if events:
            backlog.extend(events)
            self._backlog_logs += list(map(type, events)).count(LogMessage)
            self._trim_backlog()
        if not backlog:
            return
        started = time.perf_counter()
        taken = 0
        while taken < len(backlog):
            chunk = backlog[taken : taken + FRAME_EVENTS]
            taken += len(chunk)
            self._backlog_logs -= list(map(type, chunk)).count(LogMessage)
            try:
                self._apply_batch(chunk)
            except Exception as exc:  # a bad event must not take the app (or other runs) down
                self.app.notify(
                    f"Run #{self.number}: could not show an event ({exc!r})", severity="error"
                )
            if time.perf_counter() - started >= FRAME_SECONDS:
                break
        del backlog[:taken]
        if self._backlog or not self.state.done:
            self._frame_pending = True
            self.set_timer(1 / FRAMES_PER_SECOND, self._next_frame, name="run-frame")

    def _trim_backlog(self) -> None:
        """Drop the oldest log lines waiting beyond what the pane keeps (the rest stay)."""
        pane = self.query_one(LogPane)
        extra = self._backlog_logs - (pane.max_lines or MAX_LINES)
        if extra <= 0:
            return
        pane.skipped(extra)
        self._backlog_logs -= extra
        backlog = self._backlog
        kept: list[Event] = []  # the other events among the dropped lines, kept in order
        cut = 0
        while extra:
            event = backlog[cut]
            cut += 1
            if type(event) is LogMessage:
                extra -= 1
            else:
                kept.append(event)
        backlog[:cut] = kept

    def _apply_batch(self, events: list[Event]) -> None:
        state = self.state
        logs: list[LogMessage] = []
        changed: dict[str, NodeProgress] = {}
        restructure = False
        ended = False
        for event in events:
            if isinstance(event, LogMessage):
                logs.append(event)
                continue
            node = state.apply(event)
            if node is not None:
                changed[node.name] = node
            elif isinstance(event, SessionStarted):
                restructure = True
            elif isinstance(event, ProcessExited):
                ended = True
        if logs:
            self.query_one(LogPane).add_records(logs)
        if restructure or ended:
            if not self._fit_columns():  # the node names may be others now
                self._fill_table()
        else:
            self._update_rows(changed.values())
        self._render_header()
        if ended:
            self._finished()

    def _add_columns(self) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        table.add_column("node", key="node", width=self._node_width)
        table.add_column("status", key="status", width=STATUS_WIDTH)
        table.add_column("time", key="time", width=TIME_WIDTH)

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> bool:
        """Give the node column the table's room less status and time; True if it rebuilt."""
        table: DataTable[Text | str] = self.query_one(DataTable)
        # room for a vertical scrollbar always: the table grows one as nodes arrive
        room = table.content_region.width - table.styles.scrollbar_size_vertical
        if room <= 0:  # a hidden tab: sized when shown
            return False
        fixed = STATUS_WIDTH + TIME_WIDTH + 6 * table.cell_padding
        longest = max((len(name) for name in self.state.nodes), default=NODE_MIN_WIDTH)
        width = max(NODE_MIN_WIDTH, min(longest, room - fixed))
        if width == self._node_width:
            return False
        self._node_width = width
        row = table.cursor_row
        table.clear(columns=True)
        self._add_columns()
        self._fill_table()
        if 0 <= row < table.row_count:
            table.move_cursor(row=row, animate=False)
        return True

    def _fill_table(self) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        table.clear()
        for node in self.state.nodes.values():
            table.add_row(*self._cells(node), key=node.name)
        self.query_one(ProgressBar).update(total=max(1, self.state.total))

    def _cells(self, node: NodeProgress) -> tuple[Text, Text, str]:
        return (
            Text(node.name, no_wrap=True, overflow="ellipsis"),
            status_cell(self.app, node.status),
            fmt_seconds(node.duration) if node.duration is not None else "",
        )

    def _update_rows(self, nodes: Iterable[NodeProgress]) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        for node in nodes:
            _, status, duration = self._cells(node)
            try:
                table.update_cell(node.name, "status", status)
                table.update_cell(node.name, "time", duration)
            except Exception:  # a node the plan did not list: rebuild once
                self._fill_table()
                return

    def _render_header(self) -> None:
        self._header_at = time.monotonic()
        state = self.state
        status = "cancelling" if self.cancelling and not state.done else state.status
        style = STATUS_STYLE.get(status, "")
        now = time.time()
        elapsed = state.duration if state.done and state.duration is not None else None
        if elapsed is None and not state.done:
            elapsed = now - (state.started_at or self.launched)
        eta = state.eta(now)
        parts = [
            f"[b][{style}]{status.upper()}[/][/b]",
            f"{state.completed}/{state.total} nodes",
            f"elapsed {fmt_seconds(elapsed)}",
        ]
        if not state.done:
            parts.append(f"ETA {fmt_seconds(eta)}" if eta is not None else "ETA — (no past runs)")
        parts.append(f"env {escape(self.env or 'default')}")
        if state.session_id:
            parts.append(f"session {escape(state.session_id)}")
        lines = [" · ".join(parts)]
        if self.origin is not None:
            origin = self.origin
            lines.append(
                escape(
                    f"attached: pid {origin.pid or '?'} by {origin.user or '?'}@{origin.host or '?'}"
                )
                + (
                    f" · [$text-muted]{escape(redact_value(origin.command))}[/]"
                    if origin.command
                    else ""
                )
            )
        if state.error:
            lines.append(f"[$error]{escape(state.error)}[/]")
        if state.resume:
            lines.append(f"resume: {escape(state.resume)}")
        self._show_header("\n".join(lines))
        self.query_one(ProgressBar).update(progress=state.completed)

    def _show_header(self, text: str) -> None:
        """Repaint the header only when its text changed, and lay the screen out again only
        when its length did (it may wrap onto another line): a header ticking once a second
        otherwise cost a full layout each time, most of what following an idle session cost."""
        shown = self._header_text
        if text == shown:
            return
        self._header_text = text
        layout = shown is None or len(text) != len(shown)
        self.query_one(".run-header", Static).update(text, layout=layout)

    def _finished(self) -> None:
        self._ticker.stop()
        with suppress(Exception):  # the tab may already be closing
            tabs = self.query_ancestor(TabbedContent)
            tabs.get_tab(self).label = self._label(self.number, self.pipeline, self.state.status)
        self._render_header()
        self.screen.refresh_bindings()
        status = self.state.status
        severity: SeverityLevel = "information" if status == "succeeded" else "warning"
        if status == "failed":
            severity = "error"
        # a cancel's error says only "Cancelled: …cancelled by SIGINT" (the header has it)
        detail = f": {self.state.error}" if self.state.error and status != "cancelled" else ""
        self.app.notify(
            f"Run #{self.number} ({self.pipeline}) {status}{detail}",
            title="Run finished",
            severity=severity,
            timeout=8,
        )
        if app_state(self).settings.notify_bell:
            self.app.bell()

    # --- actions ---------------------------------------------------------------------------

    def cancel(self) -> bool:
        """Cancel the run (SIGINT, then SIGTERM, then SIGKILL after a grace period); for an
        attached session, its pid checked against its recorded start time first."""
        if self.state.done or self.cancelling:
            return False
        if self.attached is not None:
            self._cancel_requested = True
            self.attached.cancel()
        elif self.supervisor is not None:
            self.supervisor.cancel()
        self._render_header()
        return True

    def _tick(self) -> None:
        """The elapsed time, once a second unless a batch drew the header meanwhile, and
        whether an attached session's cancel was refused (another host, another user: the
        supervisor gave up and said why in the log).

        A batch draws the header in the frame that shows it; a tick of its own at a fixed
        second would be a second frame a second for a session logging about once a second,
        each as dear as the log's (benches/follow.py: a third of what following cost). So the
        tick, four times a second, draws only when the header is ``HEADER_EVERY`` old: what
        is shown is at most ``HEADER_EVERY + TICK_SECONDS`` old.
        """
        attached = self.attached
        if self._cancel_requested and attached is not None and not attached.cancelling:
            self._cancel_requested = False
            if not self.state.done:
                self.app.notify(
                    f"Run #{self.number} was not cancelled: the log says why.",
                    title="Cancel",
                    severity="error",
                    timeout=10,
                )
                self.screen.refresh_bindings()
        if time.monotonic() - self._header_at >= HEADER_EVERY:
            self._render_header()

    def stop_following(self) -> None:
        """The app is going (or the tab closed): stop reading the session, which goes on."""
        if self.attached is not None:
            self.attached.kill()  # an attached session's kill only stops following it
        self._released.set()

    @property
    def cancelling(self) -> bool:
        source = self.attached or self.supervisor
        return source is not None and source.cancelling

    @property
    def live(self) -> bool:
        return not self.state.done
