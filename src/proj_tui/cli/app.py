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
        # In the app: create the demo here, open the shared demo, or type another path.
        from proj_tui.cli.new import create_project, demo_path
        from proj_tui.tui.app import run_app, run_welcome

        project = run_welcome(
            start, create=create_project, shared_demo=ensure_demo, demo_location=demo_path()
        )
        if project is None:
            return 1
        return run_app(project)
    sys.stderr.write(message)
    return 2
