"""Config files read once: parsed YAML/JSON cached by (path, mtime_ns, size), in memory and on disk.

The parsing itself, with errors that name the file, line and column, is ``yaml_parse``: importing
PyYAML costs ~25 ms (its regexes), more than the rest of a ``proj-tui run`` start-up together, so
it is imported only when a file must really be parsed. The app reloads config often (the
in-memory cache), and one run after another reads the same unchanged files (the disk cache, which
the framework turns on per project with :func:`use_disk_cache`: ``.proj-tui/config-cache``).

The disk cache holds a file only when its content is safe to copy (the framework's ``keep``
test: no credentials file, no secret-looking value) and was last changed more than
``RACY_SECONDS`` before it was read, so an edit within one file-system timestamp tick is never
mistaken for the cached content (git's "racy clean" rule). An entry counts only while the file's
mtime, size and inode are unchanged; an unreadable or foreign cache file is ignored.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from proj_tui.config.errors import ConfigError
from proj_tui.errors import Location

__all__ = ["find_key_location", "load_config_file", "parse_value", "use_disk_cache"]

_CACHE_SIZE = 1024
_cache: OrderedDict[str, tuple[int, int, dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()

RACY_SECONDS = 2.0
"""A file changed this recently is parsed each time and not kept on disk (mtime granularity)."""
_DISK_VERSION = 1
_DISK_ENTRIES = 256

_Stamp = tuple[int, int, int]


class _DiskCache:
    """Parsed files kept in one marshal file: ``{path: (mtime_ns, size, inode, data)}``."""

    def __init__(self, path: Path, keep: Callable[[Path, dict[str, Any]], bool]) -> None:
        self.path = path
        self.keep = keep
        self._entries: dict[str, tuple[int, int, int, dict[str, Any]]] | None = None

    def get(self, key: str, stamp: _Stamp) -> dict[str, Any] | None:
        hit = self._load().get(key)
        return hit[3] if hit is not None and hit[:3] == stamp else None

    def put(self, key: str, stamp: _Stamp, data: dict[str, Any], path: Path) -> None:
        if time.time() - stamp[0] / 1e9 < RACY_SECONDS or not self.keep(path, data):
            return
        entries = self._load()
        entries.pop(key, None)
        entries[key] = (*stamp, data)
        while len(entries) > _DISK_ENTRIES:
            del entries[next(iter(entries))]
        try:
            blob = marshal.dumps((_DISK_VERSION, entries))
        except ValueError:  # a value marshal cannot hold: this file is parsed every time
            del entries[key]
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, self.path)
        except OSError:  # a read-only project: the cache is only a shortcut
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _load(self) -> dict[str, tuple[int, int, int, dict[str, Any]]]:
        if self._entries is None:
            self._entries = {}
            with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
                version, entries = marshal.loads(self.path.read_bytes())
                if version == _DISK_VERSION and isinstance(entries, dict):
                    self._entries = entries
        return self._entries


_disk: _DiskCache | None = None


def use_disk_cache(
    path: Path | None, keep: Callable[[Path, dict[str, Any]], bool] | None = None
) -> None:
    """Keep parsed files in ``path`` across processes (None: stop). ``keep(file, data)`` says
    whether a file's content may be copied there; without it nothing is kept."""
    global _disk
    if path is None or keep is None:
        _disk = None
    elif _disk is None or _disk.path != path:
        _disk = _DiskCache(path, keep)


def _parser() -> Any:
    from proj_tui.config import yaml_parse

    return yaml_parse


def load_config_file(path: Path) -> dict[str, Any]:
    """Parse one YAML/JSON config file into a dict; an empty file is ``{}``.

    The result comes from a shared cache and must be treated as read-only: callers build new
    containers when they merge or resolve. Raises ``ConfigError`` with the file, line and column.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(
            f"Could not read {path}: {exc.strerror or exc}. Check that it exists and is readable.",
            location=Location(path),
        ) from exc
    key = os.fspath(path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            _cache.move_to_end(key)
            return hit[2]
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    disk = _disk
    data = disk.get(key, stamp) if disk is not None else None
    if data is None:
        parsed: dict[str, Any] = _parser().parse_file(Path(path))
        data = parsed
        if disk is not None:
            disk.put(key, stamp, data, Path(path))
    with _cache_lock:
        _cache[key] = (st.st_mtime_ns, st.st_size, data)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def parse_value(text: str) -> Any:
    """Type a value the way YAML would, for ``--params`` and interpolation defaults.

    A plain word is typed only by the implicit scalar rules (``1`` int, ``1.5`` float, ``true``
    bool, ``null`` None), so ``a: b`` or ``#x`` stay strings instead of becoming a mapping or a
    comment. Text starting with ``[``, ``{`` or a quote is read as a YAML flow value. An empty
    value is an empty string. Raises ``ValueError`` with a sentence when a flow value is broken.
    """
    return _parser().parse_value(text)


def find_key_location(path: Path, keys: Sequence[str | int]) -> Location:
    """Best-effort place of ``keys`` (a path of mapping keys / list indexes) inside ``path``.

    Only used to decorate an error, so it re-reads the file with marks and never raises: when a
    key cannot be found it returns the deepest place it did find, or just the file.
    """
    location: Location = _parser().find_key_location(path, keys)
    return location
