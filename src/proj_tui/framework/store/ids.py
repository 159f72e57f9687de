"""Session ids: UTC time to the millisecond, file-system safe and sortable as plain strings.

``2026-11-24T19.04.33.496Z``: ':' becomes '.', so the id can name a folder on any OS (it is also the
save version of versioned datasets), and string order is time order because every id has the same shape.
"""

from __future__ import annotations

import re
import threading
import time

_ID_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})\.(\d{2})\.(\d{2})\.(\d{3})Z$")


_issued_lock = threading.Lock()
_last_issued_ms = 0  # the newest id this process handed to a live session, as epoch ms


def new_session_id(now: float | None = None) -> str:
    """Return the id for a session starting at ``now`` (seconds since the epoch, default: now).

    Without ``now`` the id is a live one (see ``live_session_id``): never one this process gave out.
    """
    if now is None:
        return live_session_id(time.time())
    return id_from_millis(int(now * 1000))


def live_session_id(started: float) -> str:
    """The id for a session starting now: ``started`` to the ms, bumped past every earlier live id.

    Unique within the process whatever store records it, so two sessions started from two threads in
    one millisecond never share a save version, even when each has its own in-memory store. Across
    processes a file store's own check (the next free id in the database) keeps them apart.
    """
    global _last_issued_ms
    with _issued_lock:
        millis = max(int(started * 1000), _last_issued_ms + 1)
        _last_issued_ms = millis
    return id_from_millis(millis)


def note_issued(session_id: str) -> None:
    """Record that ``session_id`` went to a live session (a store may bump past the first offer)."""
    global _last_issued_ms
    millis = id_to_millis(session_id)
    with _issued_lock:
        _last_issued_ms = max(_last_issued_ms, millis)


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
