"""One JSON document kept to skip work next time: read leniently, written atomically, never fatal.

Three caches are such a document, each checked against the size and mtime of the files it was
made from: the app's parsed files (``tui/file_cache.py``), its kept pipeline description
(``tui/describe_cache.py``) and Kedro's kept answer (``framework/kedro_describe.py``). A reader
must see a whole document or none (another process may be writing it), and a cache that cannot be
read or written only means the work is done again, so nothing here raises. Unlike
``io.core.atomic_write`` (datasets) there is no fsync: a cache lost in a crash is just a miss.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def file_stamp(path: Path) -> list[int] | None:
    """``[mtime_ns, size]`` of ``path`` (what a kept entry is checked against); None if absent."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def read_json(path: Path) -> Any:
    """The document at ``path``, or None when it is absent, unreadable or not whole JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, doc: Any, *, default: Callable[[Any], Any] | None = None) -> bool:
    """Write ``doc`` to ``path`` through a temp file renamed over it; False if it could not be.

    The temp file is named per process and thread, so two writers never share one; the last
    rename wins, and a reader sees the old document or the new one.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        text = json.dumps(doc, default=default)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


__all__ = ["file_stamp", "read_json", "write_json"]
