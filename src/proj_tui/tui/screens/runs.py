"""Runs screen: every live session of the project, and a tab per session shown here.

The live list on top (``components/live_list.py``) has every running session of the project,
whoever started it (this app, another app, a shell's ``proj-tui run``, ``kedro run``); ``enter``
(or ``a``) attaches a tab to one. Attaching is explicit, as in k9s or lazygit (a list, and enter
to go into an item): a project with a queue or a sweep can have many sessions live, and a tab
opened for each by itself would bury the ones the user opened. Runs launched from this app
(ctrl+r) open their tab at once, as they always did. Below the list, one tab per session, live
or finished; cancel works on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Header, Static, TabbedContent

from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.live_list import LiveList
from proj_tui.tui.components.log_pane import LogPane
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.mode_screen import ModeScreen
from proj_tui.tui.state import app_state

if TYPE_CHECKING:
    from proj_tui.framework.live import LiveSession
    from proj_tui.tui.run_spec import RunSpec
    from proj_tui.tui.state import Topic


_TAB = Binding.Group("Tab", compact=True)


class RunsScreen(ModeScreen):
    """Live sessions; several can run at once."""

    @dataclass
    class TabClosed(Message):
        """The tab of a finished run was closed (the app stops tracking it)."""

        tab: RunTab

    @dataclass
    class TabOpened(Message):
        """A tab was attached to a live session here (the app tracks it, for quitting)."""

        tab: RunTab

    SUB_TITLE = "Runs"
    BINDINGS = [
        Binding(
            "a",
            "attach",
            "Attach",
            id="runs.attach",
            tooltip="Show the live session under the list's cursor in a tab (enter on the list)",
        ),
        Binding(
            "s",
            "focus_live",
            "Live list",
            show=False,
            id="runs.live",
            tooltip="Move to the list of live sessions (every app, shell and kedro run)",
        ),
        Binding(
            "c",
            "cancel",
            "Cancel",
            id="runs.cancel",
            tooltip="Cancel the session in this tab, wherever it was started "
            "(SIGINT, then SIGTERM, then SIGKILL)",
        ),
        Binding(
            "w",
            "close_tab",
            "Close",
            id="runs.close",
            tooltip="Close this tab once its run has ended (an attached session's at any time: "
            "the session goes on, and the live list still has it)",
        ),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", id="runs.prev", group=_TAB),
        Binding("right_square_bracket", "tab(1)", "Next tab", id="runs.next", group=_TAB),
        Binding(
            "W",
            "close_ended",
            "Close ended",
            id="runs.close_ended",
            tooltip="Close every tab whose run has ended",
        ),
        Binding("l", "focus_log", "Log", id="runs.log", tooltip="Focus the log to scroll it"),
        Binding(
            "z",
            "zoom_log",
            "Zoom",
            id="runs.zoom",
            tooltip="Show the log alone (the node table and the live list hidden), or all again",
        ),
        Binding(
            "v", "wrap_log", "Wrap", id="runs.wrap", tooltip="Wrap long log lines, or cut them"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._count = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield LiveList(id="live-list")
        yield Static("", id="runs-empty")
        yield TabbedContent(id="runs-tabs")
        yield KeyFooter()

    def on_mount(self) -> None:
        app_state(self).subscribe(self, self._state_changed)
        self._show_live()
        self._sync_empty()

    def _state_changed(self, topic: Topic) -> None:
        if topic == "live":
            self._show_live()

    def _show_live(self) -> None:
        """The live list from the state, with the tab that shows each session."""
        live = self.query_one(LiveList)
        sessions = app_state(self).live
        had_focus = live.has_focus
        live.show(sessions, self._tab_numbers(sessions))
        live.set_class(not sessions, "-empty")
        if not sessions and had_focus:
            self.focus_next()
        elif sessions and self.focused is None:
            live.focus()
        self._sync_empty()
        self.refresh_bindings()

    def _tab_numbers(self, sessions: list[LiveSession]) -> dict[str, int]:
        numbers: dict[str, int] = {}
        for s in sessions:
            tab = self.tab_for(s)
            if tab is not None:
                numbers[s.session_id] = tab.number
        return numbers

    def tab_for(self, session: LiveSession) -> RunTab | None:
        """The tab showing ``session``: by id, or (a run launched here whose first event is not
        in yet) by the child's pid."""
        for tab in self.query(RunTab):
            if tab.state.session_id == session.session_id:
                return tab
            proc = tab.supervisor.proc if tab.supervisor is not None else None
            if tab.state.session_id is None and proc is not None and proc.pid == session.pid:
                return tab
        return None

    def _sync_empty(self) -> None:
        has_tabs = self.query_one(TabbedContent).tab_count > 0
        empty = self.query_one("#runs-empty", Static)
        empty.display = not has_tabs
        self.query_one(TabbedContent).display = has_tabs
        if has_tabs:
            return
        if app_state(self).live:
            empty.update(
                "No tab open. [b]enter[/b] on a live session above shows it here (its progress, "
                "its log as it grows, [b]c[/b] cancels it); [b]ctrl+r[/b] starts a run."
            )
        else:
            empty.update(
                "No runs yet. Press [b]ctrl+r[/b] to run the current setup "
                "(pipeline, filters, env and parameters from the Project and Setup screens). "
                "Sessions started elsewhere (a shell, another app) show up here while they run."
            )

    async def start_run(self, spec: RunSpec, argv: list[str], planned: list[str]) -> RunTab:
        """Open a tab for a new session; the tab starts and supervises the child process."""
        self._count += 1
        return await self._open(RunTab.launch(self._count, spec, argv, planned))

    async def attach(self, session_id: str) -> RunTab | None:
        """Show a live session in a tab: the one that has it, or a new tab following it."""
        state = app_state(self)
        session = next((s for s in state.live if s.session_id == session_id), None)
        if session is None:
            self.notify(f"Session {session_id} is no longer live.", severity="warning")
            return None
        tab = self.tab_for(session)
        if tab is None:
            self._count += 1
            tab = await self._open(RunTab.attach(self._count, state.project_path, session))
            self.post_message(self.TabOpened(tab))
        else:
            self.query_one(TabbedContent).active = tab.id or ""
        self._show_live()
        return tab

    async def _open(self, tab: RunTab) -> RunTab:
        tabs = self.query_one(TabbedContent)
        await tabs.add_pane(tab)
        tab.query_one(LogPane).wrap = self.has_class("-wrap")
        tabs.active = tab.id or ""
        self._sync_empty()
        return tab

    def current(self) -> RunTab | None:
        """The shown run tab; None also while the screen has no children (the footer asks for its
        keys on idle, which can come before compose or during shutdown). Among the screen's own
        children only: the footer asks once per binding, and a query of the whole screen each
        time was ~20 ms of the first press of 3."""
        tabs = next(iter(self.query_children(TabbedContent)), None)
        pane = tabs.active_pane if tabs is not None else None
        return pane if isinstance(pane, RunTab) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.current()
        if action in ("attach", "focus_live"):
            live = next(iter(self.query_children(LiveList)), None)
            return live is not None and bool(live.sessions) and not self.has_class("-log-only")
        if action == "cancel":
            return tab is not None and tab.live and not tab.cancelling
        if action == "close_tab":
            return tab is not None and self._closable(tab)
        if action in ("tab", "focus_log", "zoom_log", "wrap_log"):
            return tab is not None
        if action == "close_ended":
            return any(not t.live for t in self.query(RunTab))
        return True

    def action_cancel(self) -> None:
        tab = self.current()
        if tab is not None and tab.cancel():
            self.notify(f"Cancelling run #{tab.number}…", timeout=3)
        self.refresh_bindings()

    async def action_attach(self) -> None:
        session_id = self.query_one(LiveList).highlighted_id()
        if session_id is not None:
            await self.attach(session_id)

    def action_focus_live(self) -> None:
        self.query_one(LiveList).focus()

    async def on_live_list_attach_requested(self, message: LiveList.AttachRequested) -> None:
        await self.attach(message.session_id)

    @staticmethod
    def _closable(tab: RunTab) -> bool:
        """An ended run's tab, or an attached one: closing it only stops following the session."""
        return not tab.live or tab.origin is not None

    async def action_close_tab(self) -> None:
        tab = self.current()
        if tab is None or not self._closable(tab):
            return
        self.post_message(self.TabClosed(tab))  # the app forgets it, and it stops following
        await self.query_one(TabbedContent).remove_pane(tab.id or "")
        self._sync_empty()
        self._show_live()

    async def action_close_ended(self) -> None:
        """Close every tab whose run has ended, in one go (the live ones stay)."""
        tabs = self.query_one(TabbedContent)
        ended = [t for t in self.query(RunTab) if not t.live]
        for tab in ended:
            self.post_message(self.TabClosed(tab))
            await tabs.remove_pane(tab.id or "")
        self._sync_empty()
        self.refresh_bindings()
        if ended:
            self.notify(f"Closed {len(ended)} ended run(s).", timeout=2)

    def action_zoom_log(self) -> None:
        """The log alone, at the screen's width and height, in every tab (80 columns left it
        28): the node table and the live list are hidden meanwhile."""
        self.toggle_class("-log-only")
        self.refresh_bindings()

    def action_wrap_log(self) -> None:
        wrap = not self.has_class("-wrap")
        self.set_class(wrap, "-wrap")
        for pane in self.query(LogPane):
            pane.wrap = wrap
        self.notify("Long log lines wrap." if wrap else "Long log lines are cut.", timeout=2)

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        panes = [p.id for p in tabs.query(RunTab) if p.id]
        if not panes:
            return
        current = tabs.active
        index = panes.index(current) if current in panes else 0
        tabs.active = panes[(index + step) % len(panes)]

    def action_focus_log(self) -> None:
        tab = self.current()
        if tab is not None:
            self.set_focus(tab.query_one(LogPane))

    def on_tabbed_content_tab_activated(self) -> None:
        self.refresh_bindings()
