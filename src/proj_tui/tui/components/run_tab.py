"""One live (or finished) session: status, overall progress with ETA, per-node table, log.

The tab owns the thread worker that supervises its child process. Events wait in an
:class:`~proj_tui.tui.supervisor.EventInbox`; a :class:`~proj_tui.tui.messages.RunBatch` wakes
the tab, which takes everything waiting and folds it into a plain
:class:`~proj_tui.tui.supervisor.RunState`, which the widgets render. The tab drains its inbox at
most :data:`FRAMES_PER_SECOND` times a second: a child that floods its output is shown at that
rate, in large cheap batches, and the UI keeps time between them for keys and the other tabs.
"""

from __future__ import annotations

import time
from contextlib import suppress
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.markup import escape
from textual.widgets import DataTable, ProgressBar, Static, TabbedContent, TabPane
from textual.worker import Worker

from proj_tui.framework.events import LogMessage, SessionStarted
from proj_tui.tui.components.log_pane import MAX_LINES, LogPane
from proj_tui.tui.messages import ExpectedDurations, RunBatch
from proj_tui.tui.state import app_state
from proj_tui.tui.supervisor import (
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

    from proj_tui.tui.run_spec import RunSpec

FRAMES_PER_SECOND = 30  # how often a streaming run's tab shows what arrived
# Events folded per frame (~5 ms of log lines on this machine): a flood waits in the tab's
# backlog rather than making one frame long, so a key is never queued behind a big drain.
FRAME_EVENTS = 5000

STATUS_STYLE = {
    "starting": "$text-muted",
    "running": "$status-running",
    "succeeded": "$status-succeeded",
    "failed": "$status-failed",
    "cancelled": "$status-cancelled",
    "cancelling": "$status-cancelled",
    "skipped": "$text-muted",
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
    """A tab for one session launched from the app."""

    def __init__(self, number: int, spec: RunSpec, argv: list[str], planned: list[str]) -> None:
        super().__init__(self._label(number, spec, "running"), id=f"run-{number}")
        self.number = number
        self.spec = spec
        self.argv = argv
        self.state = RunState(planned=planned)
        self.launched = time.time()
        self.inbox = EventInbox()
        self._backlog: list[Event] = []  # taken from the inbox, not folded yet (FRAME_EVENTS)
        self._frame_pending = False  # a frame timer will take the inbox: no wake needed
        self.supervisor = Supervisor(
            argv, cwd=spec.project_path, on_batch=self._post_batch, env_vars=spec.child_env()
        )

    @staticmethod
    def _label(number: int, spec: RunSpec, status: str) -> str:
        mark = {"succeeded": "✓ ", "failed": "✗ ", "cancelled": "■ "}.get(status, "▶ ")
        # short, so that a row of tabs holds seven at 140 columns (the header names the env)
        pipeline = spec.pipeline if len(spec.pipeline) <= 14 else spec.pipeline[:13] + "…"
        return f"{mark}{number} {pipeline}"

    def compose(self) -> ComposeResult:
        yield Static("", classes="run-header")
        yield ProgressBar(total=max(1, len(self.state.nodes)), show_eta=False, classes="run-bar")
        with Horizontal(classes="run-body"):
            table: DataTable[Text | str] = DataTable(classes="run-nodes", cursor_type="row")
            yield table
            yield LogPane(id=f"log-{self.number}")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("node", key="node")
        table.add_column("status", key="status", width=10)
        table.add_column("time", key="time", width=8)
        self._fill_table()
        self._render_header()
        self._ticker = self.set_interval(1.0, self._render_header)
        self._supervise()
        self._load_expected()

    # --- workers ---------------------------------------------------------------------------

    def _post_batch(self, events: list[Event]) -> None:
        """The supervisor's thread: leave the events, and wake the tab if it is waiting."""
        if self.inbox.put(events):
            self.post_message(RunBatch())

    @work(thread=True, exit_on_error=False, group="runs", description="Run session")
    def _supervise(self) -> int:
        return self.supervisor.run()

    @work(thread=True, exit_on_error=False, group="eta", description="Read past run times")
    def _load_expected(self) -> None:
        durations = typical_durations(self.spec.project_path, self.spec.pipeline)
        self.post_message(ExpectedDurations(durations))

    def worker_failed(self, worker: Worker[object]) -> bool:
        """The run could not even start: mark the tab failed (the modal says why); no ETA: a toast."""
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
        """Fold at most ``FRAME_EVENTS`` events (oldest first); the rest wait for the next frame.

        A backlog holding more log lines than the pane keeps drops the oldest of them (they
        would be pruned as soon as shown; ``LogPane.received`` still counts them), so a child
        faster than the app is shown late by a bounded amount, never by a growing one.
        """
        backlog = self._backlog
        backlog.extend(events)
        if not backlog:
            return
        chunk = backlog[:FRAME_EVENTS]
        del backlog[:FRAME_EVENTS]
        if backlog:
            self._trim_backlog()
        try:
            self._apply_batch(chunk)
        except Exception as exc:  # a bad event must not take the app (or other runs) down
            self.app.notify(
                f"Run #{self.number}: could not show an event ({exc!r})", severity="error"
            )
        if self._backlog or not self.state.done:
            self._frame_pending = True
            self.set_timer(1 / FRAMES_PER_SECOND, self._next_frame, name="run-frame")

    def _trim_backlog(self) -> None:
        pane = self.query_one(LogPane)
        keep = pane.max_lines or MAX_LINES
        if len(self._backlog) <= keep:
            return  # the common case: no count needed
        extra = sum(isinstance(e, LogMessage) for e in self._backlog) - keep
        if extra <= 0:
            return
        pane.skipped(extra)
        kept: list[Event] = []
        for event in self._backlog:
            if extra and isinstance(event, LogMessage):
                extra -= 1
                continue
            kept.append(event)
        self._backlog = kept

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
            self._fill_table()
        else:
            self._update_rows(changed.values())
        self._render_header()
        if ended:
            self._finished()

    def _fill_table(self) -> None:
        table: DataTable[Text | str] = self.query_one(DataTable)
        table.clear()
        for node in self.state.nodes.values():
            table.add_row(*self._cells(node), key=node.name)
        self.query_one(ProgressBar).update(total=max(1, self.state.total))

    def _cells(self, node: NodeProgress) -> tuple[Text, Text, str]:
        return (
            Text(node.name),
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
        state = self.state
        status = "cancelling" if self.supervisor.cancelling and not state.done else state.status
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
        parts.append(f"env {escape(self.spec.env or 'default')}")
        if state.session_id:
            parts.append(f"session {escape(state.session_id)}")
        lines = [" · ".join(parts)]
        if state.error:
            lines.append(f"[$error]{escape(state.error)}[/]")
        if state.resume:
            lines.append(f"resume: {escape(state.resume)}")
        self.query_one(".run-header", Static).update("\n".join(lines))
        self.query_one(ProgressBar).update(progress=state.completed)

    def _finished(self) -> None:
        self._ticker.stop()
        with suppress(Exception):  # the tab may already be closing
            tabs = self.query_ancestor(TabbedContent)
            tabs.get_tab(self).label = self._label(self.number, self.spec, self.state.status)
        self._render_header()
        self.screen.refresh_bindings()
        status = self.state.status
        severity: SeverityLevel = "information" if status == "succeeded" else "warning"
        if status == "failed":
            severity = "error"
        detail = f": {self.state.error}" if self.state.error else ""
        self.app.notify(
            f"Run #{self.number} ({self.spec.pipeline}) {status}{detail}",
            title="Run finished",
            severity=severity,
            timeout=8,
        )
        if app_state(self).settings.notify_bell:
            self.app.bell()

    # --- actions ---------------------------------------------------------------------------

    def cancel(self) -> bool:
        """Cancel the run (SIGINT, then SIGTERM, then SIGKILL after a grace period)."""
        if self.state.done:
            return False
        self.supervisor.cancel()
        self._render_header()
        return True

    @property
    def live(self) -> bool:
        return not self.state.done
