"""One past session in full: overview, parameters (overrides highlighted), node timeline, logs, error,
lineage and the datasets it loaded and saved (the Data tab, ``components/outputs.py``).

Pushed from the History list with enter. The record and node runs are read in one worker; the logs
in another, in chunks written to a bounded ``Log``, and read again from the store (``logs(text=)``)
when the log filter changes, so a session with a million log lines opens as fast as a short one.

The History list keeps one installed instance (:func:`shared_detail`) and points it at the chosen
session (:meth:`SessionDetailScreen.show_session`) rather than building a screen per open:
composing and styling ~40 widgets was a third of the open's 100 ms budget (design §5).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widgets import Header, Input, Log, Static, TabbedContent, TabPane
from textual.worker import Worker

from proj_tui.framework.printable import printable
from proj_tui.framework.run_order import in_run_order
from proj_tui.tui.components.history_actions import RESUMABLE, HistoryActions
from proj_tui.tui.components.history_messages import (
    DiffCandidates,
    HistoryChanged,
    LineageLoaded,
    LogsLoaded,
    ResumePlanned,
    SessionLoaded,
)
from proj_tui.tui.components.history_store import require_reader
from proj_tui.tui.components.history_table import STATUS_VARS, fmt_duration, fmt_time
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.log_pane import WrapLog
from proj_tui.tui.components.outputs import DatasetsLoaded, render_datasets
from proj_tui.tui.components.timeline import Timeline
from proj_tui.tui.themes import theme_colour

if TYPE_CHECKING:
    from textual.app import App

    from proj_tui.framework.store import LogLine, NodeRun, SessionRecord

_TAB = Binding.Group("Tab", compact=True)
LOG_CHUNK = 5000
LOG_MAX_LINES = 200_000
TABS = (
    "tab-overview",
    "tab-params",
    "tab-timeline",
    "tab-logs",
    "tab-error",
    "tab-lineage",
    "tab-data",
)
_LAZY_TABS = {
    "tab-data": "detail-data",
    "tab-params": "detail-params",
    "tab-timeline": "detail-timeline",
    "tab-logs": "detail-log",
    "tab-error": "detail-error",
    "tab-lineage": "detail-lineage",
}
LINEAGE_DEPTH = 20  # ancestors followed (a chain of reruns of reruns)
LINEAGE_CHILDREN = 50
REDACTED = "<redacted>"
SHARED_NAME = "session-detail"


def format_log(line: LogLine) -> list[str]:
    """``12:04:33.120 INFO     logger: message``; continuation lines indented under it."""
    clock = dt.datetime.fromtimestamp(line.ts).strftime("%H:%M:%S.%f")[:-3]
    head = f"{clock} {line.level:<8} " + (f"{line.logger}: " if line.logger else "")
    first, *rest = line.message.split("\n")
    return [head + first, *("    " + more for more in rest)]


def _how(record: SessionRecord) -> str:
    """What kind of run a session was, for the lineage: a resume names its from-nodes."""
    flags = (record.cli or {}).get("flags") or {}
    start = fmt_time(record.started_at)
    if flags.get("from_nodes") or (record.filters or {}).get("from_nodes"):
        return f"{start} · resumed"
    return f"{start} · {record.pipeline or '—'} · {record.env or '—'}"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


class SessionDetailScreen(HistoryActions):
    """Everything recorded about one session, and what can be done with it."""

    SUB_TITLE = "Session"
    BINDINGS = [
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the History list"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", id="detail.prev_tab", group=_TAB),
        Binding("right_square_bracket", "tab(1)", "Next tab", id="detail.next_tab", group=_TAB),
        Binding("slash", "search_logs", "Logs", id="detail.search_logs", tooltip="Filter the logs"),
        Binding("d", "diff", "Diff", id="detail.diff", tooltip="Diff with the marked session"),
        Binding("r", "rerun", "Rerun", id="detail.rerun", tooltip="Run it again as-is"),
        Binding(
            "e",
            "rerun_edited",
            "Edit",
            id="detail.rerun_edited",
            tooltip="Open Run setup prefilled from this session",
        ),
        Binding("R", "resume", "Resume", id="detail.resume", tooltip="Resume where it stopped"),
        Binding(
            "x",
            "reproduce",
            "Reproduce",
            id="detail.reproduce",
            tooltip="Run its recorded code again and compare the outputs",
        ),
        Binding("P", "parent", "Parent", id="detail.parent", tooltip="Open the parent session"),
        Binding("p", "pin", "Pin", id="detail.pin", tooltip="Pin/unpin as a baseline"),
        Binding("n", "note", "Note", id="detail.note", tooltip="Add or edit the note"),
        Binding("delete", "delete", "Delete", id="detail.delete", tooltip="Delete it"),
        Binding(
            "v", "wrap_log", "Wrap", id="detail.wrap", tooltip="Wrap long log lines, or cut them"
        ),
        Binding(
            "y",
            "copy_command",
            "Copy command",
            show=False,
            id="detail.copy_command",
            tooltip="Copy the command line it recorded",
        ),
    ]

    def __init__(self, session_id: str, *, marked: list[str] | None = None) -> None:
        super().__init__()
        self.session_id = session_id
        self.marked = list(marked or [])
        self.record: SessionRecord | None = None
        self.nodes: list[NodeRun] = []
        self.log_generation = 0
        self.log_lines = 0
        self.logs_done = False
        self._logs_of: str | None = None  # the session the Logs tab shows
        self._built: set[str] = set()  # lazy tabs mounted
        self._mounting: set[str] = set()  # lazy tabs asked for

    def show_session(self, session_id: str, *, marked: list[str] | None = None) -> None:
        """Point this screen at another session: forget the last one and read the new one.

        Called on the shared instance before it is pushed again; the read overlaps the push.
        """
        self.session_id = session_id
        self.marked = list(marked or [])
        self.record, self.nodes = None, []
        self.log_generation += 1  # drops log chunks still on their way
        self.log_lines, self.logs_done = 0, False
        if not self.is_mounted:
            return  # on_mount reads it
        self.query_one("#detail-head", Static).update(f"Session {escape(session_id)} · loading…")
        self.query_one("#detail-overview", _Overview).show("")
        for pane_id in ("tab-params", "tab-data", "tab-error", "tab-lineage"):  # built earlier
            if pane_id in self._built:
                self.query_one(f"#{_LAZY_TABS[pane_id]}", Static).update("")
        if "tab-timeline" in self._built:
            self.query_one(Timeline).show([])
        self.set_focus(None)  # focus restored inside a pane on resume would show that tab again
        self.query_one(TabbedContent).active = "tab-overview"
        for scroll in self.query(".detail-scroll"):
            scroll.scroll_home(animate=False)
        if "tab-logs" in self._built:
            self._logs_of = None  # read again when the Logs tab is next shown
            self.query_one("#detail-log", Log).clear()
            with self.prevent(Input.Changed):
                self.query_one("#detail-log-filter", Input).value = ""
            self.query_one("#detail-log-status", Static).update("")
        self.load()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Session {escape(self.session_id)} · loading…", id="detail-head")
        # Only the Overview is built now; the other tabs are mounted (and their data read) when
        # first shown, so opening a session costs one tab, not five (design §5: ≤ 100 ms).
        with TabbedContent(id="detail-tabs", initial="tab-overview"):
            with TabPane("Overview", id="tab-overview"), VerticalScroll(classes="detail-scroll"):
                yield _Overview("", id="detail-overview")
            yield TabPane("Params", id="tab-params")
            yield TabPane("Timeline", id="tab-timeline")
            yield TabPane("Logs", id="tab-logs")
            yield TabPane("Error", id="tab-error")
            yield TabPane("Lineage", id="tab-lineage")
            yield TabPane("Data", id="tab-data")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()

    @on(TabbedContent.TabActivated, "#detail-tabs")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        await self.ensure_tab(event.pane.id or "")

    async def ensure_tab(self, pane_id: str) -> None:
        """Mount a tab's widgets the first time it is shown, then fill them from the record."""
        if pane_id == "tab-logs" and "tab-logs" in self._built and self._logs_of != self.session_id:
            self.reload_logs("")  # the shared screen shows another session now
        if pane_id in self._mounting or pane_id not in _LAZY_TABS:
            return
        self._mounting.add(pane_id)
        pane = self.query_one(f"#{pane_id}", TabPane)
        if pane_id == "tab-logs":
            await pane.mount_all(
                [
                    Input(placeholder="filter log lines (any case)", id="detail-log-filter"),
                    WrapLog(max_lines=LOG_MAX_LINES, auto_scroll=False, id="detail-log"),
                    Static("reading…", id="detail-log-status"),
                ]
            )
            self._built.add(pane_id)
            self.reload_logs("")
            return
        body = Timeline(id="detail-timeline") if pane_id == "tab-timeline" else Static("")
        if pane_id != "tab-timeline":
            body.id = _LAZY_TABS[pane_id]
        await pane.mount(VerticalScroll(body, classes="detail-scroll"))
        self._built.add(pane_id)
        if self.record is not None:
            self._show_tab(pane_id)
        if pane_id == "tab-lineage":
            self._load_lineage(self.session_id)

    # --- loading ---------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-detail",
        description="Read the session",
    )
    def load(self) -> None:
        store = require_reader(self.history)
        session_id = self.session_id
        record = store.get_session(session_id)
        self.post_message(SessionLoaded(record, in_run_order(store.nodes(session_id), record)))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-lineage",
        description="Read the session's lineage",
    )
    def _load_lineage(self, session_id: str) -> None:
        """The chain of parents (reruns of reruns) up to the first, and the direct children."""
        from proj_tui.framework.store import StoreError, parse_query

        store = require_reader(self.history)
        ancestors: list[tuple[str, SessionRecord | None]] = []
        seen = {session_id}
        parent = store.get_session(session_id).parent_id
        while parent and parent not in seen and len(ancestors) < LINEAGE_DEPTH:
            seen.add(parent)
            try:
                record = store.get_session(parent)
            except StoreError:  # deleted since: the chain stops there, and says so
                ancestors.append((parent, None))
                break
            ancestors.append((parent, record))
            parent = record.parent_id
        query = parse_query(f"parent:{session_id} sort:started")
        children = store.list_sessions(query, limit=LINEAGE_CHILDREN)
        self.post_message(LineageLoaded(session_id, ancestors[::-1], children))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-datasets",
        description="Read the session's datasets",
    )
    def _load_datasets(self, session_id: str) -> None:
        datasets = require_reader(self.history).datasets(session_id)
        self.post_message(DatasetsLoaded(session_id, datasets))

    def on_datasets_loaded(self, message: DatasetsLoaded) -> None:
        if message.session_id != self.session_id or "tab-data" not in self._built:
            return
        self.query_one("#detail-data", Static).update(render_datasets(message.datasets))

    def on_lineage_loaded(self, message: LineageLoaded) -> None:
        if message.session_id != self.session_id or "tab-lineage" not in self._built:
            return
        self.query_one("#detail-lineage", Static).update(self._lineage(message))

    def _lineage(self, message: LineageLoaded) -> str:
        def line(
            depth: int, session_id: str, status: str | None, what: str, me: bool = False
        ) -> str:
            shown = f"[{self._colour(status)}]{status}[/]" if status else "[dim]deleted[/]"
            mark = "▶ " if me else "  "
            return f"{'  ' * depth}{mark}{escape(session_id)}  {shown}  [dim]{escape(what)}[/]"

        lines = ["[b]Where this session comes from, and what was run from it[/b]", ""]
        for depth, (session_id, record) in enumerate(message.ancestors):
            what = _how(record) if record is not None else "no longer in the store"
            lines.append(line(depth, session_id, record.status if record else None, what))
        depth = len(message.ancestors)
        record = self.record
        this = _how(record) if record is not None else ""
        status = record.status if record is not None else None
        lines.append(f"[b]{line(depth, message.session_id, status, this, me=True)}[/b]")
        for child in message.children:
            lines.append(line(depth + 1, child.session_id, child.status, "rerun or resumed"))
        if not message.ancestors and not message.children:
            lines += ["", "No parent and no reruns: r reruns it, R resumes a failed one."]
        elif message.children:
            lines += ["", f"History filter parent:{escape(message.session_id)} lists the reruns."]
        return "\n".join(lines)

    def reload_logs(self, text: str) -> None:
        """Read the logs again (all, or those containing ``text``); older reads are dropped."""
        self.log_generation += 1
        self._logs_of = self.session_id
        self._load_logs(self.log_generation, self.session_id, text)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-logs",
        description="Read the session's logs",
    )
    def _load_logs(self, generation: int, session_id: str, text: str) -> None:
        store = require_reader(self.history)
        after, reset = 0, True
        while True:
            lines = store.logs(session_id, after=after, limit=LOG_CHUNK, text=text or None)
            done = len(lines) < LOG_CHUNK
            self.post_message(LogsLoaded(generation, lines, done, reset))
            if done or generation != self.log_generation:
                return
            after, reset = lines[-1].seq, False

    def on_session_loaded(self, message: SessionLoaded) -> None:
        if message.record.session_id != self.session_id:
            return  # read for the session this shared screen showed before
        self.record, self.nodes = message.record, message.nodes
        self._show()

    def on_logs_loaded(self, message: LogsLoaded) -> None:
        if message.generation != self.log_generation:
            return
        log = self.query_one("#detail-log", WrapLog)
        if message.reset:
            log.clear()
            self.log_lines = 0
        lines = [printable(text) for line in message.lines for text in format_log(line)]
        if lines:
            log.write_shown(lines)
        self.log_lines += len(message.lines)
        self.logs_done = message.done
        wanted = self.query_one("#detail-log-filter", Input).value
        what = f"matching '{wanted}'" if wanted else "in all"
        more = "" if message.done else " (reading…)"
        self.query_one("#detail-log-status", Static).update(
            escape(f"{self.log_lines:,} log line(s) {what}{more}")
        )

    def worker_failed(self, worker: Worker[Any]) -> bool:
        """A session that cannot be read says so in the header too (the modal still opens)."""
        if worker.group == "history-detail":
            self.query_one("#detail-head", Static).update(
                f"[$error]Cannot read session {escape(self.session_id)}: "
                f"{escape(str(worker.error))}[/]"
            )
        return False

    @on(Input.Changed, "#detail-log-filter")
    def _log_filter_changed(self, event: Input.Changed) -> None:
        self.reload_logs(event.value.strip())

    # --- rendering -------------------------------------------------------------------------

    def _colour(self, status: str) -> str:
        return f"${STATUS_VARS.get(status, 'text')}"

    def _show(self) -> None:
        record = self.record
        assert record is not None
        head = [
            f"[b]{escape(record.session_id)}[/b]",
            f"[b][{self._colour(record.status)}]{record.status.upper()}[/][/b]",
            f"pipeline [b]{escape(record.pipeline or '—')}[/b]",
            f"env [b]{escape(record.env or '—')}[/b]",
            f"started {fmt_time(record.started_at)}",
            f"took {fmt_duration(record.duration)}",
        ]
        if record.pinned:
            head.append("[$warning]★ pinned[/]")
        self.query_one("#detail-head", Static).update(" · ".join(head))
        self._render_overview()
        for pane_id in self._built:
            self._show_tab(pane_id)

    def _show_tab(self, pane_id: str) -> None:
        record = self.record
        assert record is not None
        if pane_id == "tab-params":
            self.query_one("#detail-params", Static).update(self._params(record))
        elif pane_id == "tab-timeline":
            self.query_one(Timeline).show(self.nodes)
        elif pane_id == "tab-error":
            self.query_one("#detail-error", Static).update(self._error(record))
        elif pane_id == "tab-data":
            self._load_datasets(record.session_id)

    def _render_overview(self) -> None:
        if self.record is not None:
            self.query_one("#detail-overview", _Overview).show(self._overview(self.record))

    def _overview(self, record: SessionRecord) -> str:
        def row(key: str, value: Any) -> str:
            return f"[b]{key:<10}[/b] {value}"

        cli = record.cli or {}
        lines = [row("command", escape(str(cli.get("command") or "—")))]
        flags = cli.get("flags") or {}
        if flags:
            lines.append(
                row("flags", escape(", ".join(f"--{k}={_value(v)}" for k, v in flags.items())))
            )
        if record.filters:
            shown = "; ".join(f"{k} {', '.join(map(str, v))}" for k, v in record.filters.items())
            lines.append(row("filters", escape(shown)))
        lines.append(row("runner", escape(record.runner or "—")))
        lines.append(row("started", fmt_time(record.started_at)))
        lines.append(row("ended", fmt_time(record.ended_at)))
        lines.append(row("duration", fmt_duration(record.duration)))
        git = record.git or {}
        if git:
            dirty = " [$warning](dirty: uncommitted changes)[/]" if git.get("dirty") else ""
            where = f"{git.get('branch') or '—'} {git.get('commit') or '—'}"
            lines.append(row("git", escape(where) + dirty))
        else:
            lines.append(row("git", "— (not a git checkout)"))
        who = f"{record.user or '—'}@{record.host or '—'}"
        lines.append(row("user", escape(f"{who} (pid {record.pid or '—'})")))
        lines.append(row("project", escape(record.project_path or "—")))
        versions = ", ".join(f"{k} {v}" for k, v in (record.versions or {}).items())
        lines.append(row("versions", escape(versions or "—")))
        parent = record.parent_id
        lines.append(row("parent", f"{escape(parent)} (P opens it)" if parent else "—"))
        lines.append(row("pinned", "[$warning]★ yes[/] (a baseline)" if record.pinned else "no"))
        lines.append(row("note", escape(record.note) if record.note else "— (n adds one)"))
        resume = (record.extra or {}).get("resume")
        if resume and record.status in RESUMABLE:
            lines.append(row("resume", escape(str(resume)) + " (R resumes)"))
        lines.append("")
        lines.append("[b]Environment variables[/b]")
        if record.env_vars:
            for key, value in sorted(record.env_vars.items()):
                shown = "[$warning]<redacted>[/]" if value == REDACTED else escape(str(value))
                lines.append(f"  {escape(key)}={shown}")
        else:
            lines.append("  — (none recorded)")
        return "\n".join(lines)

    def _params(self, record: SessionRecord) -> str:
        from proj_tui.config import flatten

        params = flatten(record.params or {})
        overrides = flatten(record.runtime_params or {})
        lines = [
            f"{len(params)} parameter(s); [$warning b]* runtime override[/] "
            f"({len(overrides)}: given with --params)",
            "",
        ]
        for key in sorted(params.keys() | overrides.keys()):
            value = escape(_value(params.get(key, overrides.get(key))))
            if key in overrides:
                lines.append(f"[$warning b]* {escape(key)} = {value}[/]")
            else:
                lines.append(f"  {escape(key)} = {value}")
        return "\n".join(lines)

    def _error(self, record: SessionRecord) -> Text | str:
        failed = [n for n in self.nodes if n.error]
        error = record.error
        if not error and not failed:
            return "No exception was recorded for this session."
        out = Text()
        colour = theme_colour(self.app, "error")
        if error:
            out.append(f"{error.get('type') or 'Error'}: {error.get('message') or ''}\n", colour)
            traceback = error.get("traceback")
            if traceback:
                out.append("\n" + str(traceback).rstrip() + "\n")
        for node in failed:
            out.append(f"\nnode {node.name}: ", "bold")
            out.append(f"{node.error}\n", colour)
        return out

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key stays shown: re-rendering the footer when the record arrives would cost
        tens of ms on the open (design §5); keys that do not apply say why instead."""
        return True

    def _loaded(self) -> SessionRecord | None:
        if self.record is None:
            self.notify("Still reading the session…", timeout=2)
        return self.record

    def action_back(self) -> None:
        self.dismiss()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        index = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(index + step) % len(TABS)]

    async def action_wrap_log(self) -> None:
        """Wrap the Logs tab's long lines (shown at once), or cut them again."""
        self.query_one(TabbedContent).active = "tab-logs"
        await self.ensure_tab("tab-logs")
        log = self.query_one("#detail-log", WrapLog)
        log.wrap = not log.wrap

    async def action_search_logs(self) -> None:
        self.query_one(TabbedContent).active = "tab-logs"
        await self.ensure_tab("tab-logs")
        self.set_focus(
            self.query_one("#detail-log-filter", Input)
        )  # now, not after the keys already queued (focus() waits a turn)

    def action_rerun(self) -> None:
        if (record := self._loaded()) is not None:
            self.launch_session(record)

    def action_rerun_edited(self) -> None:
        if (record := self._loaded()) is not None:
            self.rerun_edited(record)

    def action_resume(self) -> None:
        record = self._loaded()
        if record is not None:
            self.start_resume(record)  # says so when the session cannot be resumed

    def action_reproduce(self) -> None:
        from proj_tui.tui.components.outputs_reproduce import start_reproduce

        if (record := self._loaded()) is not None:
            start_reproduce(self, record)

    def on_resume_planned(self, message: ResumePlanned) -> None:
        if self._showing(message.record.session_id):  # not if the user has left since
            self.confirm_resume(message)

    def action_pin(self) -> None:
        if (record := self._loaded()) is not None:
            self.write_pinned(self.session_id, not record.pinned)

    def action_copy_command(self) -> None:
        """The recorded command line to the clipboard (a Kedro session's is its ``kedro run``)."""
        if (record := self._loaded()) is None:
            return
        command = str((record.cli or {}).get("command") or "")
        if not command:
            self.notify("This session recorded no command line.", severity="warning")
            return
        self.app.copy_to_clipboard(command)
        self.notify(command, title="Copied to clipboard", timeout=4)

    def action_note(self) -> None:
        if (record := self._loaded()) is not None:
            self.edit_note(self.session_id, record.note)

    def action_delete(self) -> None:
        if (record := self._loaded()) is not None:
            running = [self.session_id] if record.status == "running" else []
            self.confirm_delete([self.session_id], running)

    def on_history_changed(self, message: HistoryChanged) -> None:
        self.notify(message.text, timeout=3)
        if not self._showing(*message.ids):
            return  # written from an earlier visit: this screen has moved on (or was left)
        if message.deleted:
            self.dismiss()
        else:
            self.load()

    def _showing(self, *session_ids: str) -> bool:
        """Whether this screen is on top and shows (one of) ``session_ids``.

        The History list reuses this screen, and leaving it no longer drops the answers of the
        workers it started: a resume plan or diff choice that arrives after the user left, or for
        the session shown before, is dropped here as it was when the screen was thrown away.
        """
        return self.is_current and (not session_ids or self.session_id in session_ids)

    def action_parent(self) -> None:
        record = self._loaded()
        if record is None:
            return
        if not record.parent_id:
            self.notify(
                f"{record.session_id} has no parent: it was not started as a rerun or resume.",
                severity="warning",
            )
            return
        self._open_parent(record.session_id, record.parent_id)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-parent",
        description="Open the parent session",
    )
    def _open_parent(self, session_id: str, parent_id: str) -> None:
        """Open the parent once it is read: a deleted one is a toast, not an empty screen."""
        from proj_tui.framework.store import StoreError

        try:
            require_reader(self.history).get_session(parent_id)
        except StoreError:
            self.app.call_from_thread(
                self.notify,
                f"The parent of {session_id}, {parent_id}, is no longer in the store "
                "(it was deleted or pruned).",
                title="No parent session",
                severity="warning",
            )
            return
        self.app.call_from_thread(
            self.app.push_screen, SessionDetailScreen(parent_id, marked=self.marked)
        )

    def action_diff(self) -> None:
        from proj_tui.tui.screens.session_diff import SessionDiffScreen

        others = [m for m in self.marked if m != self.session_id]
        if others:
            self.app.push_screen(SessionDiffScreen(others[-1], self.session_id))
            return
        self._diff_candidates()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="history-candidates",
        description="Find sessions to compare with",
    )
    def _diff_candidates(self) -> None:
        from proj_tui.framework.store import parse_query

        store = require_reader(self.history)
        choices: list[str] = []
        if self.record is not None and self.record.parent_id:
            choices.append(self.record.parent_id)
        choices += [s.session_id for s in store.list_sessions(parse_query("is:pinned"), limit=10)]
        choices += [s.session_id for s in store.list_sessions(limit=30)]
        unique = [c for c in dict.fromkeys(choices) if c != self.session_id]
        self.post_message(DiffCandidates(self.session_id, unique))

    def on_diff_candidates(self, message: DiffCandidates) -> None:
        from proj_tui.tui.screens.modals import PickModal
        from proj_tui.tui.screens.session_diff import SessionDiffScreen

        if not self._showing(message.session_id):
            return
        if not message.choices:
            self.notify("No other session to compare with.", severity="warning")
            return

        def picked(choice: str | None) -> None:
            if choice:
                self.app.push_screen(SessionDiffScreen(choice, self.session_id))

        self.app.push_screen(
            PickModal("Diff with (parent, pinned, then newest)", message.choices), picked
        )


def shared_detail(app: App[Any], session_id: str, marked: list[str]) -> SessionDetailScreen:
    """The History list's detail screen, pointed at ``session_id``: one instance, installed.

    A fresh screen when the shared one is already on the stack (a detail opened from a detail).
    """
    if app.is_screen_installed(SHARED_NAME):
        screen = app.get_screen(SHARED_NAME)
        assert isinstance(screen, SessionDetailScreen)
        if screen not in app.screen_stack:
            screen.show_session(session_id, marked=marked)
            return screen
        return SessionDetailScreen(session_id, marked=marked)
    screen = SessionDetailScreen(session_id, marked=marked)
    app.install_screen(screen, SHARED_NAME)
    return screen


class _Overview(Static):
    """The Overview's rows, each value folded under its column at the widget's width."""

    _markup = ""

    def show(self, markup: str) -> None:
        self._markup = markup
        self._fold()

    def _fold(self) -> None:
        width = self.size.width or self.screen.size.width - 4  # not laid out yet
        self.update(_hanging(self._markup, width))

    def on_resize(self) -> None:
        """A new width (the terminal's, or a scrollbar that came) folds the values anew."""
        if self._markup:
            self._fold()


_KEY_WIDTH = 11
"""An Overview row's key column (10 characters and a space): wrapped values start under it."""


def _hanging(markup: str, width: int) -> Content:
    """``markup``'s lines folded to ``width``, a row's continuation under its value column.

    A long value (the flags, the versions) wrapped to the left edge at 80 columns, under the
    keys, which made the Overview hard to read.
    """
    rest = max(width - _KEY_WIDTH, 20)
    indent = Content(" " * _KEY_WIDTH)
    out: list[Content] = []
    for line in markup.split("\n"):
        content = Content.from_markup(line)
        if content.cell_length <= width:
            out.append(content)
            continue
        head, value = content[:_KEY_WIDTH], content[_KEY_WIDTH:]
        pieces = value.wrap(rest)
        out.append(head + pieces[0])
        out.extend(indent + piece for piece in pieces[1:])
    return Content("\n").join(out)
