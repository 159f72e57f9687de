"""Runs screen: one tab per session launched from this app, live or finished."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Header, Static, TabbedContent

from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.log_pane import LogPane
from proj_tui.tui.components.run_tab import RunTab
from proj_tui.tui.screens.mode_screen import ModeScreen

if TYPE_CHECKING:
    from proj_tui.tui.run_spec import RunSpec


_TAB = Binding.Group("Tab", compact=True)


class RunsScreen(ModeScreen):
    """Live sessions; several can run at once."""

    @dataclass
    class TabClosed(Message):
        """The tab of a finished run was closed (the app stops tracking it)."""

        tab: RunTab

    SUB_TITLE = "Runs"
    BINDINGS = [
        Binding(
            "c",
            "cancel",
            "Cancel",
            id="runs.cancel",
            tooltip="Cancel the run in this tab (SIGINT, then SIGTERM, then SIGKILL)",
        ),
        Binding(
            "w",
            "close_tab",
            "Close",
            id="runs.close",
            tooltip="Close this tab once its run has ended",
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
            tooltip="Show the log at full width (the node table hidden), or both again",
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
        yield Static(
            "No runs yet. Press [b]ctrl+r[/b] to run the current setup "
            "(pipeline, filters, env and parameters from the Project and Setup screens).",
            id="runs-empty",
        )
        yield TabbedContent(id="runs-tabs")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._sync_empty()

    def _sync_empty(self) -> None:
        has_tabs = self.query_one(TabbedContent).tab_count > 0
        self.query_one("#runs-empty").display = not has_tabs
        self.query_one(TabbedContent).display = has_tabs

    async def start_run(self, spec: RunSpec, argv: list[str], planned: list[str]) -> RunTab:
        """Open a tab for a new session; the tab starts and supervises the child process."""
        self._count += 1
        tab = RunTab(self._count, spec, argv, planned)
        tabs = self.query_one(TabbedContent)
        await tabs.add_pane(tab)
        tab.query_one(LogPane).wrap = self.has_class("-wrap")
        tabs.active = tab.id or ""
        self._sync_empty()
        return tab

    def current(self) -> RunTab | None:
        pane = self.query_one(TabbedContent).active_pane
        return pane if isinstance(pane, RunTab) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.current()
        if action == "cancel":
            return tab is not None and tab.live
        if action == "close_tab":
            return tab is not None and not tab.live
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

    async def action_close_tab(self) -> None:
        tab = self.current()
        if tab is None or tab.live:
            return
        self.post_message(self.TabClosed(tab))
        await self.query_one(TabbedContent).remove_pane(tab.id or "")
        self._sync_empty()

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
        """The log alone, at the screen's width, in every tab (80 columns left it 28)."""
        self.toggle_class("-log-only")

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
