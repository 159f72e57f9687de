"""The base of the four mode screens (Project, Run setup, Runs, History): quick to switch to.

Textual re-applies every style rule to every widget of a screen each time it is shown again
(``ScreenResume.refresh_styles``), though ``switch_mode`` has already refreshed the CSS when the
theme or stylesheet changed since the screen was last styled. On Run setup (~150 widgets) that
restyle was about half of pressing 2. A mode screen whose styles are current skips it.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen

from proj_tui.tui.textual_compat import styles_current


class ModeScreen(Screen[None]):
    """A screen shown with ``switch_mode``: styled again only when the stylesheet moved on."""

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # runs before Screen's own handler, which restyles only when asked to
        if styles_current(self):
            event.refresh_styles = False
