"""``proj-tui [PATH]``: open the app; the only CLI path that imports Textual."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proj_tui.cli.new import ensure_demo
from proj_tui.errors import ProjTuiError


def cmd_app(args: argparse.Namespace) -> int:
    from proj_tui.framework.startup import find_project_root

    if args.demo:
        project = ensure_demo()
    else:
        start = Path(args.path).expanduser() if args.path else Path.cwd()
        if args.path and not start.exists():
            raise ProjTuiError(f"'{start}' does not exist.")
        root = find_project_root(start)
        if root is None:
            return _no_project(start)
        project = root
    from proj_tui.tui.app import run_app

    return run_app(project)


def _no_project(start: Path) -> int:
    message = (
        f"No proj-tui project at or above '{start.resolve()}'.\n"
        "  proj-tui --demo          open the bundled demo project\n"
        "  proj-tui new PATH        create a project from the demo template\n"
        "  proj-tui PATH            open a project elsewhere\n"
    )
    if sys.stdin.isatty() and sys.stdout.isatty():
        sys.stdout.write(message)
        answer = input("Open the demo project now? [Y/n] ").strip().lower()
        if answer in ("", "y", "yes"):
            from proj_tui.tui.app import run_app

            return run_app(ensure_demo())
        return 1
    sys.stderr.write(message)
    return 2
