"""Which run tabs exist and which are still live: the app asks before quitting with runs in flight.

Kept apart from the run tab so the app can hold it without importing the Runs screen at start-up.
The app registers each tab it opens and forgets each one the Runs screen closes; the tab itself
knows nothing of this.
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
        self.tabs.append(tab)

    def live(self) -> list[RunTab]:
        return [t for t in self.tabs if t.live]

    def remove(self, tab: RunTab) -> None:
        if tab in self.tabs:
            self.tabs.remove(tab)

    def kill_all(self) -> None:
        for tab in self.live():
            tab.supervisor.kill()
