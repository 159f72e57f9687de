"""How proj-tui starts itself again: the app's children, the queue worker and its runs,
``reproduce`` and ``run --watch`` all do.

This interpreter with ``-m proj_tui``, not a ``proj-tui`` found on PATH, so the child is the same
install (and virtual environment) as the parent. Kept free of imports: the CLI's start-up reads it.
"""

from __future__ import annotations

import sys


def proj_tui_command() -> list[str]:
    """The argv prefix that runs this install's ``proj-tui``."""
    return [sys.executable, "-m", "proj_tui"]
