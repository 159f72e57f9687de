"""Stored or streamed text made safe to show on a terminal: control characters are shown, not obeyed.

A node's log line, error or parameter may hold terminal escape sequences (by accident, or to attack
whoever reads the log): ``ESC ] 0 ; title BEL`` renames the terminal window, ``ESC [ 2 J`` clears the
screen, ``ESC ] 52 ; c ; … BEL`` writes the clipboard. Every place that shows such text (``sessions
show``, the run's plain display, the app's Logs tab) passes it through :func:`printable`, which writes
each C0/C1 control character (tab and newline excepted) as a visible ``\\x1b``-style escape. JSON
output needs nothing: JSON escapes control characters itself.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def printable(text: str) -> str:
    """``text`` with every control character but tab and newline written as ``\\xNN``."""
    if not _CONTROL.search(text):  # the common case: one scan, no copy
        return text
    return _CONTROL.sub(_escape, text)
