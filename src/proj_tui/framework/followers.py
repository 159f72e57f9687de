"""A follower's mark beside the store, so that a followed run stores its lines sooner.

A run's recorder stores what it buffered every ``flush_interval`` (0.2 s, ``framework.recorder``),
which is most of a followed line's way to a screen (issue 17: within 250 ms). Storing twice as
often would cost every run twice the transactions, and only a run someone follows needs it. So a
follower (``framework.follow.SessionFollower``) touches a file named after the session in
``followers/`` beside the store about once a second (:func:`touch`), and the run's recorder looks
at its age once a second (:func:`fresh`): while it is younger than :data:`FRESH_S`, the recorder
stores every :data:`FOLLOWED_FLUSH_INTERVAL`. A run nobody follows pays one failed ``stat`` a
second. A follower that may not write there (another user's project) is not seen, and the run
keeps its usual pace. The recorder removes the mark when its session ends; a follower that sees
the end removes it too (it may have touched it again meanwhile).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

FOLLOWED_FLUSH_INTERVAL = 0.1
"""Seconds between a followed run's stores (the usual interval is the recorder's own)."""
TOUCH_EVERY = 1.0
"""How often a follower renews its mark, and how often a recorder looks at it (seconds)."""
FRESH_S = 3.0
"""A mark older than this is a follower that stopped (or died)."""


def mark_for(store: Any, session_id: str) -> Path | None:
    """The mark's path for ``session_id`` of ``store``; None for a store that is not a file."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path) or getattr(store, "in_memory", False):
        return None
    return path.parent / "followers" / session_id


def touch(mark: Path) -> None:
    """Say that a follower is there (best effort: a directory it may not write is no error)."""
    try:
        os.utime(mark)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            mark.parent.mkdir(exist_ok=True)
            mark.touch()
    except OSError:
        pass


def fresh(mark: Path, now: float) -> bool:
    """Whether a follower touched ``mark`` within the last :data:`FRESH_S` seconds (``now``:
    ``time.time()``)."""
    try:
        return now - os.stat(mark).st_mtime < FRESH_S
    except OSError:
        return False


def remove(mark: Path) -> None:
    with contextlib.suppress(OSError):
        mark.unlink()
