"""Small helpers shared by the demo's nodes."""

from __future__ import annotations

import time


def pause(seconds: float) -> None:
    """Make a node take a moment so the demo's progress is visible."""
    if seconds > 0:
        time.sleep(seconds)
