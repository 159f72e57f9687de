"""The one exception family every layer raises, so the CLI and the app can show any of them cleanly.

Messages are full sentences that say how to fix the problem. ``location`` carries file/line/column
when the problem has a place, so a front end can render it without parsing the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a file, 1-based like editors show it."""

    path: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = str(self.path)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class ProjTuiError(Exception):
    """Base of every error proj-tui raises on purpose; anything else is a bug."""

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is not None and str(self.location.path) not in self.message:
            return f"{self.location}: {self.message}"
        return self.message


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Return `` Did you mean 'x'?`` for the closest known names, or an empty string."""
    import difflib  # only on the error path: keeps start-up light

    matches = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not matches:
        return ""
    quoted = " or ".join(repr(m) for m in matches)
    return f" Did you mean {quoted}?"
