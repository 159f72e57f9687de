"""Argument parsing for every subcommand; handlers are imported lazily by name.

A command line needs the arguments of one subcommand only: ``build_parser(commands)`` gives the
others their name and help and nothing else (``proj-tui --help`` lists them that way), since
building them all costs every start-up a few milliseconds and the run options import
``framework.selection``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Collection
from typing import Any

from proj_tui import __version__

SUBCOMMANDS = ("app", "run", "sessions", "queue", "pipelines", "new", "config")


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, with the terminal's width read once per process.

    argparse makes a formatter for every ``add_argument`` (to check the metavar), and each asks
    ``shutil`` for the terminal size: an import and a system call per argument on every start.
    The width is the one ``shutil.get_terminal_size`` gives: ``$COLUMNS``, else the terminal's,
    else 80.
    """

    _terminal_width: int | None = None

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _Formatter._terminal_width
            if width is None:
                width = _Formatter._terminal_width = (
                    _terminal_columns() - 2
                )  # argparse's own margin
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        mod = importlib.import_module(f"proj_tui.cli.{module}")
        result: int = getattr(mod, function)(args)
        return result

    handler.__name__ = function
    return handler


def _add_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        metavar="PATH",
        default=None,
        help="project directory (default: the nearest one at or above the current directory)",
    )


def _add_conf_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--conf-source",
        metavar="PATH",
        default=None,
        help="config folder to read instead of the settings' CONF_SOURCE (default: conf)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    from proj_tui.framework.selection import add_arguments

    add_arguments(parser)  # --pipeline(s), the node filters, --runner, --load-versions, ...
    add = parser.add_argument
    add(
        "--env",
        "-e",
        metavar="ENV",
        help="config env layered over base (default: $PROJ_TUI_ENV or local)",
    )
    add("--params", metavar="K=V,...", help="runtime parameters, e.g. 'model.lr=0.1,epochs=3'")
    _add_conf_source(parser)
    add("--runner-params", metavar="K=V,...", help="runner options, e.g. 'max_workers=4'")
    add(
        "--async",
        dest="is_async",
        action="store_true",
        help="Kedro projects: load and save node data in threads (kedro run --async)",
    )
    add(
        "--events",
        choices=["json"],
        help="stream events as JSON lines on stdout (see docs/events.md)",
    )
    add("--parent", metavar="SESSION_ID", help="record the session this run reruns or resumes")
    add(
        "--env-var",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set an environment variable for this run and record it (repeatable); a KEY "
        "alone takes its value from the environment",
    )
    add(
        "--watch",
        action="store_true",
        help="after the run, rerun only the stale nodes whenever conf or code is saved",
    )
    add(
        "--queue",
        action="store_true",
        help="queue the run for the project's queue worker (started if none runs) and return",
    )
    add(
        "--sweep",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="queue one run per combination of values (repeatable; KEY=[V1, V2] works too)",
    )
    add(
        "--no-worker",
        action="store_true",
        help="with --queue/--sweep: do not start a worker (start it with 'proj-tui queue work')",
    )


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``proj-tui`` parser; of the subcommands not in ``commands`` (all when None) only the
    names and help, which is all ``proj-tui --help`` shows of them."""
    parser = argparse.ArgumentParser(
        prog="proj-tui",
        description="Run and keep track of data-pipeline sessions. With no subcommand, opens the app.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"proj-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog=parser.prog)
    for name, (help_text, add_arguments) in _COMMANDS.items():
        command = sub.add_parser(name, help=help_text, formatter_class=_Formatter)
        if commands is None or name in commands:
            add_arguments(command)
    return parser


def _subcommands(parser: argparse.ArgumentParser, dest: str) -> Callable[..., Any]:
    """``add_parser`` of a required group of actions (``sessions list``, ...), our formatter on each."""
    actions = parser.add_subparsers(dest=dest, metavar="ACTION", required=True, prog=parser.prog)

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return actions.add_parser(name, formatter_class=_Formatter, **kwargs)

    return add


def _app_arguments(app: argparse.ArgumentParser) -> None:
    app.add_argument("path", nargs="?", default=None, help="project directory (default: .)")
    app.add_argument("--demo", action="store_true", help="open the bundled demo project")
    app.set_defaults(handler=_lazy("app", "cmd_app"))


def _run_arguments(run: argparse.ArgumentParser) -> None:
    _add_project(run)
    _add_run_options(run)
    run.set_defaults(handler=_lazy("run", "cmd_run"))


def _sessions_arguments(sessions: argparse.ArgumentParser) -> None:
    add_parser = _subcommands(sessions, "sessions_command")
    s_list = add_parser("list", help="past sessions, newest first")
    _add_project(s_list)
    s_list.add_argument(
        "--filter",
        "-f",
        default="",
        metavar="QUERY",
        help="e.g. 'status:failed env:prod model.lr>0.01 text'",
    )
    s_list.add_argument("--limit", "-l", type=int, default=20)
    s_list.add_argument("--json", action="store_true")
    s_list.set_defaults(handler=_lazy("sessions", "cmd_list"))
    s_show = add_parser("show", help="everything recorded about a session")
    _add_project(s_show)
    s_show.add_argument("session_id", help="a session id or a unique prefix ('latest' works)")
    s_show.add_argument("--logs", action="store_true", help="print the log lines too")
    s_show.add_argument("--json", action="store_true")
    s_show.set_defaults(handler=_lazy("sessions", "cmd_show"))
    _sessions_live_arguments(add_parser)
    s_diff = add_parser("diff", help="what differs between two sessions")
    _add_project(s_diff)
    s_diff.add_argument("first")
    s_diff.add_argument("second")
    s_diff.add_argument("--all", action="store_true", help="show equal fields too")
    s_diff.add_argument("--json", action="store_true")
    s_diff.set_defaults(handler=_lazy("sessions", "cmd_diff"))
    s_rerun = add_parser("rerun", help="run a session again, as it was or with changes")
    _add_project(s_rerun)
    s_rerun.add_argument("session_id")
    s_rerun.add_argument("--params", metavar="K=V,...", help="override parameters on top")
    s_rerun.add_argument("--env", metavar="ENV")
    s_rerun.add_argument("--events", choices=["json"])
    s_rerun.add_argument("--dry-run", action="store_true", help="print the command only")
    s_rerun.set_defaults(handler=_lazy("sessions", "cmd_rerun"))
    s_resume = add_parser("resume", help="run what a failed or cancelled session did not")
    _add_project(s_resume)
    s_resume.add_argument("session_id")
    s_resume.add_argument("--events", choices=["json"])
    s_resume.add_argument("--dry-run", action="store_true", help="print the command only")
    s_resume.add_argument(
        "--json", action="store_true", help="with --dry-run: the plan (from-nodes, nodes, argv)"
    )
    s_resume.set_defaults(handler=_lazy("sessions", "cmd_resume"))
    s_repro = add_parser(
        "reproduce", help="run a session's recorded code again and compare its outputs"
    )
    _add_project(s_repro)
    s_repro.add_argument("session_id", help="a session id, or 'latest'")
    s_repro.add_argument("--json", action="store_true", help="the comparison as JSON")
    s_repro.add_argument("--keep", action="store_true", help="keep the rebuilt project")
    s_repro.add_argument(
        "--events", choices=["json"], help="the run's event stream on stdout (for the app)"
    )
    s_repro.add_argument(
        "--allow-outside",
        action="store_true",
        help="let it write outputs that live outside the project again, in place",
    )
    s_repro.set_defaults(handler=_lazy("reproduce", "cmd_reproduce"))
    s_note = add_parser("note", help="attach a note to a session ('' removes it)")
    _add_project(s_note)
    s_note.add_argument("session_id")
    s_note.add_argument("text", help="the note; an empty string removes it")
    s_note.set_defaults(handler=_lazy("sessions", "cmd_note"))
    s_pin = add_parser("pin", help="pin a session as a baseline (find it with is:pinned)")
    _add_project(s_pin)
    s_pin.add_argument("session_id")
    s_pin.add_argument("--off", action="store_true", help="unpin instead")
    s_pin.set_defaults(handler=_lazy("sessions", "cmd_pin"))
    s_delete = add_parser("delete", help="delete sessions with their nodes and logs")
    _add_project(s_delete)
    s_delete.add_argument("session_ids", nargs="+", metavar="ID")
    s_delete.add_argument("--yes", "-y", action="store_true", help="do not ask")
    s_delete.set_defaults(handler=_lazy("sessions", "cmd_delete"))
    s_prune = add_parser(
        "prune", help="delete old sessions (by age and/or count; pinned and running are kept)"
    )
    _add_project(s_prune)
    s_prune.add_argument(
        "--older-than", metavar="AGE", help="sessions started longer ago than AGE (30d, 12h, 90m)"
    )
    s_prune.add_argument(
        "--keep", type=int, metavar="N", help="all but the N newest (unpinned) sessions"
    )
    s_prune.add_argument("--dry-run", action="store_true", help="only list what would go")
    s_prune.add_argument("--vacuum", action="store_true", help="then shrink the file (VACUUM)")
    s_prune.add_argument("--yes", "-y", action="store_true", help="do not ask")
    s_prune.set_defaults(handler=_lazy("sessions", "cmd_prune"))
    s_repair = add_parser(
        "repair", help="back up a damaged session store and recover every readable row"
    )
    _add_project(s_repair)
    s_repair.add_argument("--store", metavar="FILE", help="the database (default: the project's)")
    s_repair.set_defaults(handler=_lazy("repair", "cmd_repair"))


def _queue_arguments(queue: argparse.ArgumentParser) -> None:
    add_parser = _subcommands(queue, "queue_command")
    q_list = add_parser("list", help="queued and running items, in the order they run")
    _add_project(q_list)
    q_list.add_argument("--all", "-a", action="store_true", help="finished and removed ones too")
    q_list.add_argument("--limit", "-l", type=int, default=200)
    q_list.add_argument("--json", action="store_true")
    q_list.set_defaults(handler=_lazy("queue_cmd", "cmd_list"))
    q_move = add_parser("move", help="move a queued item up, down, to the top or to place N")
    _add_project(q_move)
    q_move.add_argument("item_id", type=int, metavar="ID")
    q_move.add_argument("where", metavar="up|down|top|bottom|N")
    q_move.set_defaults(handler=_lazy("queue_cmd", "cmd_move"))
    q_remove = add_parser("remove", help="take queued items out of the queue")
    _add_project(q_remove)
    q_remove.add_argument("item_ids", type=int, nargs="+", metavar="ID")
    q_remove.set_defaults(handler=_lazy("queue_cmd", "cmd_remove"))
    q_clear = add_parser("clear", help="remove every queued item (running ones go on)")
    _add_project(q_clear)
    q_clear.set_defaults(handler=_lazy("queue_cmd", "cmd_clear"))
    q_work = add_parser("work", help="run the queued items in order until the queue is empty")
    _add_project(q_work)
    q_work.add_argument(
        "--concurrency", "-c", type=int, metavar="N", help="runs at once (kept in the store)"
    )
    q_work.add_argument("--detach", action="store_true", help="start the worker in the background")
    q_work.set_defaults(handler=_lazy("queue_cmd", "cmd_work"))


def _sessions_live_arguments(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    """``sessions logs`` and ``sessions cancel`` (cli/sessions_live.py): a live session."""
    s_logs = add_parser("logs", help="a session's log; --follow prints new lines until it ends")
    _add_project(s_logs)
    s_logs.add_argument("session_id", help="a session id ('latest' works)")
    s_logs.add_argument(
        "--follow", "-f", action="store_true", help="until it ends; exit code from its status"
    )
    s_logs.add_argument("--tail", type=int, metavar="N", help="only the last N stored lines")
    s_logs.set_defaults(handler=_lazy("sessions_live", "cmd_logs"))
    s_cancel = add_parser("cancel", help="stop a live session of this host (SIGINT, TERM, KILL)")
    _add_project(s_cancel)
    s_cancel.add_argument("session_id", help="a session id ('latest' works)")
    s_cancel.add_argument(
        "--grace", type=float, default=5.0, metavar="S", help="seconds before each escalation"
    )
    s_cancel.set_defaults(handler=_lazy("sessions_live", "cmd_cancel"))


def _pipelines_arguments(pipes: argparse.ArgumentParser) -> None:
    add_parser = _subcommands(pipes, "pipelines_command")
    p_list = add_parser("list", help="registered pipelines and their sizes")
    _add_project(p_list)
    p_list.add_argument("--json", action="store_true")
    p_list.set_defaults(handler=_lazy("pipelines", "cmd_list"))
    p_desc = add_parser("describe", help="the nodes of a pipeline, in run order")
    _add_project(p_desc)
    p_desc.add_argument("name", nargs="?", default=None, help="pipeline (default: all)")
    p_desc.add_argument("--json", action="store_true")
    p_desc.set_defaults(handler=_lazy("pipelines", "cmd_describe"))
    p_stale = add_parser(
        "stale", help="nodes whose params, datasets or code changed since they last succeeded"
    )
    _add_project(p_stale)
    p_stale.add_argument("--pipeline", "-p", metavar="NAME", help="default: __default__")
    p_stale.add_argument("--env", "-e", metavar="ENV", help="default: $PROJ_TUI_ENV or local")
    p_stale.add_argument("--params", metavar="K=V,...", help="runtime parameters of the next run")
    _add_conf_source(p_stale)
    p_stale.add_argument("--json", action="store_true")
    p_stale.set_defaults(handler=_lazy("stale", "cmd_stale"))


def _config_arguments(config: argparse.ArgumentParser) -> None:
    add_parser = _subcommands(config, "config_command")
    c_blame = add_parser("blame", help="which file and env set each key, and what it overrode")
    _add_project(c_blame)
    c_blame.add_argument("key", nargs="?", default=None, help="dotted key or prefix (default: all)")
    c_blame.add_argument("--env", "-e", metavar="ENV", help="default: $PROJ_TUI_ENV or local")
    c_blame.add_argument("--params", metavar="K=V,...", help="runtime parameters on top")
    c_blame.add_argument("--json", action="store_true")
    c_blame.set_defaults(handler=_lazy("config_cmd", "cmd_blame"))
    c_cmp = add_parser("compare", help="the parameters of two envs side by side")
    _add_project(c_cmp)
    c_cmp.add_argument("env1")
    c_cmp.add_argument("env2")
    c_cmp.add_argument("--all", action="store_true", help="show equal keys too")
    c_cmp.add_argument("--json", action="store_true")
    c_cmp.set_defaults(handler=_lazy("config_cmd", "cmd_compare"))


def _new_arguments(new: argparse.ArgumentParser) -> None:
    new.add_argument("path", help="directory to create")
    new.set_defaults(handler=_lazy("new", "cmd_new"))


_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "app": ("open the app (the default)", _app_arguments),
    "run": ("run a pipeline in a new session", _run_arguments),
    "sessions": (
        "list, show, diff, rerun, resume, reproduce, note, pin and delete past sessions",
        _sessions_arguments,
    ),
    "queue": ("the run queue: list, move, remove, clear, work", _queue_arguments),
    "pipelines": ("list and describe the project's pipelines", _pipelines_arguments),
    "config": ("where config values come from; compare envs", _config_arguments),
    "new": ("create a project from the bundled demo template", _new_arguments),
}
"""Each subcommand's help and the function that adds its arguments, in ``--help`` order."""


def split_list(value: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]``; None or empty -> None."""
    if not value:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


def parse_pairs(values: list[str], what: str) -> dict[str, str]:
    """``["K=V", ...]`` -> dict, with a clear error for an item without '='."""
    from proj_tui.cli.output import UsageError

    result: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} '{item}' must look like KEY=VALUE.")
        result[key.strip()] = value
    return result


def env_var_pairs(values: list[str]) -> dict[str, str]:
    """``--env-var`` items -> dict; ``NAME`` alone (no ``=``) takes NAME's value from this
    environment, so a launcher (the app) need not put a secret on the command line, where ``ps``
    shows it to everyone."""
    from proj_tui.cli.output import UsageError

    items = []
    for item in values:
        name = item.strip()
        if "=" not in item and name:
            if name not in os.environ:
                raise UsageError(
                    f"--env-var {name} names a variable that is not set; set it in the "
                    f"environment or give its value: --env-var {name}=VALUE."
                )
            item = f"{name}={os.environ[name]}"
        items.append(item)
    return parse_pairs(items, "--env-var")
