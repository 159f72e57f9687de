"""Which run tabs exist and which are still live: the app asks before quitting with runs in flight.

Kept apart from the run tab so the app can hold it without importing the Runs screen at start-up.
The app registers each tab it opens (a run launched, a live session attached) and forgets each one
the Runs screen closes; the tab itself knows nothing of this. Sessions are processes of their own:
the app going away only stops its reading of them (:meth:`RunRegistry.stop_following`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from proj_tui.tui.components.run_tab import RunTab


class RunRegistry:
    """Which run tabs exist and which are still live; kept on the app for quit and commands."""

    def __init__(self) -> None:
        self.tabs: list[RunTab] = []

    def register(self, tab: RunTab) -> None:
        if tab not in self.tabs:
            self.tabs.append(tab)

    def live(self) -> list[RunTab]:
        return [t for t in self.tabs if t.live]

    def remove(self, tab: RunTab) -> None:
        if tab in self.tabs:
            tab.stop_following()
            self.tabs.remove(tab)

    def stop_following(self) -> None:
        """Stop reading every session (the app is going); none of them is signalled."""
        for tab in self.tabs:
            tab.stop_following()

    def kill_all(self) -> None:
        """Stop every run launched here at once (tools that must leave nothing behind, e.g.
        the screenshot script); the app itself never does this on quit."""
        for tab in self.live():
            if tab.supervisor is not None:
                tab.supervisor.kill()
