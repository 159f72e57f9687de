"""``proj-tui new PATH``: a fresh project from the bundled demo template."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from proj_tui.errors import ProjTuiError

TEMPLATE = Path(__file__).resolve().parent.parent / "demo_template"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".proj-tui", "*.egg-info")


def create_project(target: Path) -> Path:
    """Copy the demo template to ``target`` (new or empty); refuses to overwrite anything."""
    target = target.expanduser().resolve()
    if target.exists():
        if not target.is_dir():
            raise ProjTuiError(f"'{target}' exists and is not a directory; choose another path.")
        if any(target.iterdir()):
            raise ProjTuiError(
                f"'{target}' already exists and is not empty; choose a new path so nothing "
                "is overwritten."
            )
    if not TEMPLATE.is_dir():
        raise ProjTuiError(f"The demo template is missing from the installation ({TEMPLATE}).")
    shutil.copytree(TEMPLATE, target, ignore=_SKIP, dirs_exist_ok=True)
    return target


def demo_path() -> Path:
    """Where ``proj-tui --demo`` keeps its copy of the demo (XDG data dir)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "proj-tui" / "demo"


def ensure_demo() -> Path:
    path = demo_path()
    if not (path / "pyproject.toml").is_file():
        create_project(path)
    return path


def cmd_new(args: argparse.Namespace) -> int:
    target = create_project(Path(args.path))
    sys.stdout.write(
        f"Created the demo project in {target}\n\n"
        f"  cd {target}\n"
        "  proj-tui run            # run every pipeline\n"
        "  proj-tui                # open the app\n"
    )
    return 0
