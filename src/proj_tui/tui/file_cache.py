"""What the app reads from files at start-up, kept between runs and invalidated by those files.

Parsing is cheap next to what its parser costs to import: the theme files are YAML, and importing
PyYAML alone was ~5% of the time to the first screen. A :class:`FileCache` keeps each file's
parsed content as JSON under ``$XDG_CACHE_HOME/proj-tui/`` with the file's size and modification
time (in nanoseconds); a file whose stat differs, or a cache that cannot be read, is parsed
afresh. Content JSON cannot hold as it is (dates, sets …) is simply not cached. Nothing here may
fail the app: an unwritable cache folder only means the files are parsed every time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from proj_tui.framework.json_cache import file_stamp, read_json, write_json

_VERSION = 1


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/proj-tui`` (default ``~/.cache/proj-tui``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "proj-tui"


class FileCache:
    """Parsed contents of files by path, each valid while its file's size and mtime stay.

    ``depends_on``: files whose change voids every entry (e.g. the module of a library whose
    answer is cached along with the content).
    """

    def __init__(
        self, name: str, folder: Path | None = None, depends_on: tuple[Path, ...] = ()
    ) -> None:
        self.path = (folder or cache_dir()) / f"{name}.json"
        self._entries: dict[str, Any] = {}
        self._changed = False
        self._depends = {str(p): file_stamp(p) for p in depends_on}
        data = read_json(self.path)
        if (
            isinstance(data, dict)
            and data.get("version") == _VERSION
            and data.get("depends_on") == self._depends
        ):
            entries = data.get("files")
            self._entries = entries if isinstance(entries, dict) else {}

    def get(self, path: Path) -> tuple[bool, Any]:
        """(True, content) when ``path`` is cached and unchanged since, else (False, None)."""
        entry = self._entries.get(str(path))
        if isinstance(entry, dict) and "data" in entry and entry.get("stamp") == file_stamp(path):
            return True, entry["data"]
        return False, None

    def put(self, path: Path, data: Any) -> None:
        """Remember ``data`` as ``path``'s parsed content (skipped if JSON cannot hold it)."""
        stamp = file_stamp(path)
        if stamp is None:
            return
        try:
            same = json.loads(json.dumps(data)) == data  # e.g. a tuple or an int key would not
        except (TypeError, ValueError):
            same = False
        if same:
            self._entries[str(path)] = {"stamp": stamp, "data": data}
            self._changed = True

    def save(self) -> None:
        """Write the cache if anything was added (atomically; a failure is ignored)."""
        if not self._changed:
            return
        doc = {"version": _VERSION, "depends_on": self._depends, "files": self._entries}
        if write_json(self.path, doc):
            self._changed = False


__all__ = ["FileCache", "cache_dir"]
