"""The last description of a project's pipelines, shown the moment the app opens it again.

Describing runs a child ``proj-tui pipelines describe --json`` (fresh imports of the project's
code, see ``model.describe_pipelines``): a few hundred milliseconds after the first screen. The
answer depends on the files live reload watches (``Project.watch_paths``: the package's code,
``settings.py``, ``pyproject.toml``, the conf source), so it is kept with the size and mtime of
each of them, under ``$XDG_CACHE_HOME/proj-tui/describe/``. When every file is as it was, the
app shows the kept description at once; it still describes afresh right after and shows the new
answer if it differs (a library the pipelines come from may have changed), so the cache only
ever decides what is shown for that moment. A description with errors is never kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from proj_tui.framework.json_cache import file_stamp, read_json, write_json
from proj_tui.tui.file_cache import cache_dir
from proj_tui.tui.model import ProjectDescription

_VERSION = 1


def project_stamps(project_path: Path) -> dict[str, list[int]] | None:
    """Size and mtime of every file live reload watches in the project; None if unreadable."""
    from proj_tui.errors import ProjTuiError
    from proj_tui.framework.project import Project
    from proj_tui.framework.watch import relevant_change

    try:
        project = Project.read(project_path)
        roots, conf = project.watch_paths(), project.watched_conf_source()
    except (ProjTuiError, OSError, ValueError):
        return None
    stamps: dict[str, list[int]] = {}
    for root in roots:
        paths = [root] if root.is_file() else _files(root)
        for path in paths:
            if relevant_change(path, conf) is None and path not in roots:
                continue
            stamp = file_stamp(path)
            if stamp is not None:
                stamps[str(path)] = stamp
    return stamps


def _files(folder: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
        out.extend(Path(dirpath, name) for name in filenames)
    return out


class DescribeCache:
    """The kept description of one project, as one CLI describes it."""

    def __init__(self, project_path: Path, cli: Sequence[str], folder: Path | None = None) -> None:
        from proj_tui import __version__

        key = json.dumps([str(project_path), list(cli), __version__])
        name = hashlib.sha256(key.encode()).hexdigest()[:24]
        self.path = (folder or cache_dir() / "describe") / f"{name}.json"

    def load(self, stamps: dict[str, list[int]] | None) -> ProjectDescription | None:
        """The kept description if it was made from files exactly as ``stamps`` finds them."""
        if stamps is None:
            return None
        data = read_json(self.path)
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return None
        if data.get("stamps") != stamps or not isinstance(data.get("description"), dict):
            return None
        description = ProjectDescription.from_json(data["description"])
        return None if description.errors else description

    def save(self, stamps: dict[str, list[int]] | None, described: dict[str, Any]) -> None:
        """Keep ``described`` (the CLI's JSON) for files as ``stamps`` found them before."""
        if stamps is None:
            return
        write_json(self.path, {"version": _VERSION, "stamps": stamps, "description": described})


__all__ = ["DescribeCache", "project_stamps"]
