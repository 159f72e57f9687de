"""The app under test, keeping the text of every toast it showed.

A toast expires after its timeout (5-10 s); on a loaded machine more than that can pass between
the toast and the assertion about it, so tests read what was said, not what is still shown.
"""

from __future__ import annotations

from typing import Any

from proj_tui.tui.app import ProjTuiApp


class RecordingApp(ProjTuiApp):
    """``ProjTuiApp`` with ``said``: every toast's message, in order (``titled``: with its title)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.said: list[str] = []
        self.titled: list[tuple[str, str]] = []

    def notify(self, message: str, **kwargs: Any) -> None:
        self.said.append(str(message))
        self.titled.append((str(kwargs.get("title") or ""), str(message)))
        super().notify(message, **kwargs)
