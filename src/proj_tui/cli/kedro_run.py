"""``proj-tui run`` on a Kedro project: hand the run to Kedro, in the project's own interpreter.

This process turns its options into the equivalent ``kedro run`` options
(``framework.kedro_run.KedroRunArgs``) and replaces itself (``exec``) with
``python -m proj_tui.kedro.launch`` in the project's interpreter, which runs the session with
proj-tui's plugin recording it. Replacing rather than supervising keeps one process per run: the
app's cancel (SIGINT to the process group), the exit code and the ``--events json`` stream are the
Kedro process's own, with nothing in between to forward or lose them.

The plugin learns what only this command knows from the child's environment: the command line to
record (``PROJ_TUI_COMMAND``, the equivalent ``kedro run``, redacted), the session a rerun or
resume comes from (``PROJ_TUI_PARENT``) and the variables ``--env-var`` set (``PROJ_TUI_ENV_VARS``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from proj_tui.cli.common import EXIT_USAGE
from proj_tui.cli.output import UsageError, error
from proj_tui.errors import ProjTuiError

if TYPE_CHECKING:
    import argparse

    from proj_tui.framework.kedro_run import KedroRunArgs


def kedro_project(args: argparse.Namespace) -> Path | None:
    """The Kedro project this run is for, or None when it is a native one (or none at all,
    which the native path reports). A native run refuses Kedro's ``--async``."""
    from proj_tui.framework.project import Project, find_path

    try:
        project = Project.read(find_path(args.project))
    except ProjTuiError:
        project = None
    if project is not None and project.kind == "kedro":
        return project.path
    if getattr(args, "is_async", False):
        raise UsageError(
            "--async is a Kedro runner option (load and save node data in threads); proj-tui's "
            "own runners do not take it. Use --runner thread to run nodes side by side."
        )
    return None


def run_kedro(args: argparse.Namespace, project: Path) -> int:
    """Run the session by Kedro; returns only when it could not be started."""
    try:
        argv, env = launch(args, project)
    except ProjTuiError as exc:
        return _start_error(args, str(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(argv[0], argv, env)
    except OSError as exc:
        return _start_error(args, f"Could not start {argv[0]}: {exc.strerror or exc}.")
    return EXIT_USAGE  # pragma: no cover - execve does not return


def launch(args: argparse.Namespace, project: Path) -> tuple[list[str], dict[str, str]]:
    """The child's argv and environment for this run (``run_kedro`` executes them)."""
    from proj_tui.cli.parser import env_var_pairs
    from proj_tui.framework.kedro_run import KedroRunArgs, kedro_child

    if getattr(args, "watch", False):
        raise UsageError(
            "--watch is not available on a Kedro project yet; run 'proj-tui run' again after a "
            "change, or 'proj-tui pipelines stale' to see what changed."
        )
    run = KedroRunArgs.from_args(args)
    if run.conf_source:  # relative to where the command was typed; the child runs in the project
        run = _with_conf_source(run, str(Path(run.conf_source).expanduser().resolve()))
    env_vars = env_var_pairs(args.env_var or [])
    options = ["--project", str(project)]
    if args.events:
        options += ["--events", args.events]
    argv, env = kedro_child(project, "launch", [*options, "--", *run.run_args()])
    env.update(env_vars)
    env["PROJ_TUI_COMMAND"] = json.dumps(run.argv(redact=True))
    env["PROJ_TUI_ENV_VARS"] = json.dumps(sorted(env_vars))
    env.pop("PROJ_TUI_PARENT", None)
    if args.parent:
        env["PROJ_TUI_PARENT"] = args.parent
    return argv, env


def _with_conf_source(run: KedroRunArgs, conf_source: str) -> KedroRunArgs:
    from dataclasses import replace

    return replace(run, conf_source=conf_source)


def _start_error(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "events", None) == "json":
        from proj_tui.framework.events import StartError

        sys.stdout.write(StartError(message, None).to_json() + "\n")
        sys.stdout.flush()
    error(message)
    return EXIT_USAGE
