"""Cancels held while a session's row is written, so none lands between the row and its handling.

``proj-tui run`` turns SIGINT and SIGTERM into ``KeyboardInterrupt``. A signal can be handled at
any bytecode, also the few between the store committing a new session row and the code that
records a cancel for it: the run then ended with its row still ``running`` (found ``crashed``),
most often on a loaded machine, where the canceller sees the row while the run waits on the
commit. Signal handlers that go through :func:`cancel` (the CLI's) wait while a hold is on;
the one held is raised when the hold is released, where it is recorded. Handlers of other
programs (Python's default one in a notebook) are not affected.
"""

from __future__ import annotations

_holds = 0
_pending: str | None = None


def cancel(reason: str) -> None:
    """Raise ``KeyboardInterrupt(reason)`` now, or when the current hold is released."""
    global _pending
    if _holds:
        _pending = _pending or reason
        return
    raise KeyboardInterrupt(reason)


def hold() -> None:
    """Hold cancels until the matching :func:`release` (holds nest)."""
    global _holds
    _holds += 1


def release() -> None:
    """End a hold; at the outermost, a cancel that came meanwhile is raised here."""
    global _holds, _pending
    _holds = max(_holds - 1, 0)
    if not _holds and _pending is not None:
        reason, _pending = _pending, None
        raise KeyboardInterrupt(reason)
