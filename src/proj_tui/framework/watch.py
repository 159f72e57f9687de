"""Which files of a project to watch, which changes matter, and a synchronous watch loop.

Shared by ``proj-tui run --watch`` and the app's live-config watcher. Nothing here imports the
project's code: the paths come from ``Project.watch_paths`` (``pyproject.toml`` and a static read
of ``settings.py``), so a watcher never runs user code. ``watchfiles`` is imported only inside
``iter_changes``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple

from proj_tui.config import is_config_file

__all__ = [
    "KINDS",
    "Change",
    "ChangeKind",
    "iter_changes",
    "project_watch_paths",
    "relevant_change",
]

logger = logging.getLogger(__name__)

ChangeKind = Literal["config", "code", "project"]
KINDS: tuple[ChangeKind, ...] = ("project", "code", "config")
"""Batch order: a project change (settings, pyproject) matters most, then code, then config."""

_IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        ".proj-tui",
        ".git",
        ".hg",
        ".svn",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".ipynb_checkpoints",
        ".idea",
        ".vscode",
        ".venv",
        "node_modules",
    }
)
_PROJECT_FILES = frozenset({"pyproject.toml", "settings.py"})


class Change(NamedTuple):
    """One kind of change in a batch and the files behind it (sorted)."""

    kind: ChangeKind
    paths: tuple[Path, ...]


def project_watch_paths(
    project_path: Path | str, conf_source: Path | str | None = None
) -> tuple[list[Path], Path]:
    """What to watch in a project folder without importing its code: (paths, conf source).

    For ``run --watch`` and the app's watcher, whose process must never import the project;
    ``Project.watch_paths`` says which paths those are.
    """
    from proj_tui.framework.project import Project

    project = Project.read(project_path, conf_source=conf_source)
    return project.watch_paths(), project.watched_conf_source()


def _is_temp_name(name: str) -> bool:
    """Editor and atomic-save droppings beyond what ``is_config_file`` already rejects."""
    lower = name.lower()
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", "#"))
        or "___jb_" in name  # JetBrains safe-write
        or lower.endswith((".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".part", ".crdownload"))
        or ".tmp" in lower  # atomic saves: parameters.yml.tmp.1234, settings.py.tmp12ab
        or name == "4913"  # Vim's write probe
        or lower.endswith((".pyc", ".pyo"))
    )


def relevant_change(path: str | Path, conf_source: str | Path | None = None) -> ChangeKind | None:
    """Classify a changed path: ``config``, ``code``, ``project``, or None to ignore it.

    ``pyproject.toml`` and ``settings.py`` are ``project``; ``*.py`` is ``code``; a file the
    config loader would read (``is_config_file``) is ``config`` — and, when ``conf_source`` is
    given, only under it, where hidden folders count only below it (a project may live under
    ``~/.local``). Caches, ``.proj-tui/``, ``__pycache__`` and editor temp files are None.
    """
    p = Path(path)
    if any(part in _IGNORED_DIRS for part in p.parts[:-1]) or _is_temp_name(p.name):
        return None
    if p.name in _PROJECT_FILES:
        return "project"
    if p.suffix == ".py":
        return "code"
    if is_config_file(p, conf_source):
        return "config"
    return None


def iter_changes(
    paths: Iterable[Path | str],
    *,
    debounce_ms: int = 50,
    stop_event: threading.Event | None = None,
    conf_source: Path | str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Iterator[list[Change]]:
    """Yield batches of relevant changes, one ``Change(kind, paths)`` per kind present.

    A batch closes after ``debounce_ms`` without new events (watchfiles' ``step``), so an atomic
    save's temp file and rename arrive as one batch. Stops when ``stop_event`` is set (checked
    every ``debounce_ms``); ``KeyboardInterrupt`` propagates. ``on_ready`` is called once the
    OS watches are in place, so a caller can say "watching" truthfully (and a test can edit).
    When a watched *file* (``pyproject.toml``) changes, the watcher restarts: an atomic save
    replaces the inode it was watching.
    """
    import watchfiles

    targets = [Path(p) for p in paths]
    files = {p.resolve() for p in targets if p.is_file()}
    stop = stop_event or threading.Event()

    def keep(_change: object, path: str) -> bool:
        return relevant_change(path, conf_source) is not None

    ready_sent = False
    while not stop.is_set():
        restart = False
        for raw in watchfiles.watch(
            *targets,
            watch_filter=keep,
            step=max(1, int(debounce_ms)),
            stop_event=stop,
            rust_timeout=max(50, int(debounce_ms) * 4),
            yield_on_timeout=True,
        ):
            if not ready_sent:
                ready_sent = True
                if on_ready is not None:
                    on_ready()
            if not raw:
                continue
            grouped: dict[ChangeKind, set[Path]] = {}
            for _, name in raw:
                kind = relevant_change(name, conf_source)
                if kind is not None:
                    grouped.setdefault(kind, set()).add(Path(name))
            if not grouped:
                continue
            yield [Change(kind, tuple(sorted(grouped[kind]))) for kind in KINDS if kind in grouped]
            if any(p.resolve() in files for group in grouped.values() for p in group):
                restart = True
                break
        if not restart:
            return
        logger.debug("Restarting the watcher after a watched file was replaced")
