"""Session ids: UTC time to the millisecond, file-system safe and sortable as plain strings.

``2026-11-24T19.04.33.496Z``: ':' becomes '.', so the id can name a folder on any OS (it is also the
save version of versioned datasets), and string order is time order because every id has the same shape.
"""

from __future__ import annotations

import re
import time

_ID_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})\.(\d{2})\.(\d{2})\.(\d{3})Z$")


def new_session_id(now: float | None = None) -> str:
    """Return the id for a session starting at ``now`` (seconds since the epoch, default: now)."""
    return id_from_millis(int((time.time() if now is None else now) * 1000))


def id_from_millis(millis: int) -> str:
    """Format epoch milliseconds as a session id (floor, so an id never lies in the future)."""
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H.%M.%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def id_to_millis(session_id: str) -> int:
    """Parse a session id back to epoch milliseconds; raises ``ValueError`` for another shape."""
    match = _ID_RE.match(session_id)
    if match is None:
        raise ValueError(f"{session_id!r} is not a session id like '2026-11-24T19.04.33.496Z'.")
    year, month, day, hour, minute, second, ms = (int(g) for g in match.groups())
    import calendar  # only needed when an id collides, so kept off the import path

    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return seconds * 1000 + ms


def is_session_id(text: str) -> bool:
    """True if ``text`` has the exact shape of a session id."""
    return _ID_RE.match(text) is not None


def next_session_id(session_id: str) -> str:
    """The id one millisecond later: how a taken id is bumped so ids stay sortable and uniform."""
    return id_from_millis(id_to_millis(session_id) + 1)
