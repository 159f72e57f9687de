"""``proj-tui sessions list|show|diff|rerun|resume|note|pin|delete``: the session store from a shell."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from proj_tui.cli.common import project_path
from proj_tui.cli.output import is_terminal, table
from proj_tui.cli.output import print_json as _print_json
from proj_tui.errors import ProjTuiError

if TYPE_CHECKING:
    from proj_tui.framework.selection import RunSelection
    from proj_tui.framework.store import SessionRecord, SessionStore, SQLiteSessionStore


def _store(project: str | None) -> SQLiteSessionStore:
    """The project's store, read-only; says so when nothing was recorded yet."""
    from proj_tui.framework.project import Project

    return Project.read(project_path(project)).open_store(readonly=True)


def _resolve(store: SessionStore, session_id: str) -> SessionRecord:
    if session_id == "latest":
        newest = store.list_sessions(limit=1)
        if not newest:
            raise ProjTuiError("The store has no sessions yet.")
        session_id = newest[0].session_id
    return store.get_session(session_id)


def fmt_time(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def cmd_list(args: argparse.Namespace) -> int:
    from proj_tui.framework.printable import printable
    from proj_tui.framework.store import parse_query

    store = _store(args.project)
    query = parse_query(args.filter) if args.filter else None
    rows = store.list_sessions(query, limit=args.limit)
    if args.json:
        print_json([{**_summary_dict(s), "duration": s.duration} for s in rows])
        return 0
    if not rows:
        from proj_tui.framework.store import empty_result_hints

        hints = empty_result_hints(query, store.has_param_key) if query is not None else []
        sys.stderr.write("".join(["No sessions match.\n", *(f"  {h}\n" for h in hints)]))
        return 0
    table(
        # the id is the UTC start time, so no separate "started" column
        ["id", "status", "duration", "pipeline", "env", "user", "git", "overrides"],
        [
            [
                printable(cell)
                for cell in (
                    s.session_id,
                    s.status,
                    fmt_duration(s.duration),
                    s.pipeline or "-",
                    s.env or "-",
                    s.user or "-",
                    (s.git_commit or "-")[:8] + ("*" if s.git_dirty else ""),
                    _overrides(s.runtime_params) if s.runtime_params else "",
                )
            ]
            for s in rows
        ],
    )
    return 0


def print_json(data: Any) -> None:
    """JSON that any parser reads: a NaN or infinite parameter is written as its --params
    spelling (``.nan``, ``.inf``, ``-.inf``), since JSON has no such numbers."""
    _print_json(_finite(data))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _overrides(params: dict[str, Any]) -> str:
    """The ``--params`` spelling of a session's overrides, or compact JSON when there is none
    (a key an older proj-tui accepted, like ``a[0]``): one odd session never breaks a list."""
    from proj_tui.config import ParamsError, format_params

    try:
        return format_params(params)
    except ParamsError:
        return json.dumps(_finite(params), separators=(",", ":"), default=str, ensure_ascii=False)


def _summary_dict(summary: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(summary)


def cmd_show(args: argparse.Namespace) -> int:
    store = _store(args.project)
    record = _resolve(store, args.session_id)
    state = store.code_state(record.session_id)  # what ran: both forms say it
    patch = store.blob(state.patch) if state is not None and state.patch else None
    if args.json:
        from proj_tui.framework.code_state import code_state_summary
        from proj_tui.framework.store import export_session

        data = export_session(store, record.session_id, logs=bool(args.logs))
        data["code"] = None if state is None else code_state_summary(state, patch)
        data["datasets"] = [ds.to_dict() for ds in store.datasets(record.session_id)]
        print_json(data)
        return 0
    from proj_tui.config import flatten

    out = _Printable(sys.stdout, styled=is_terminal())
    bold = _Printable.bold
    out.write(f"{bold('Session')} {record.session_id}  {record.status}\n")
    fields = [
        ("pipeline", record.pipeline),
        ("env", record.env),
        ("runner", record.runner),
        ("started", fmt_time(record.started_at)),
        ("ended", fmt_time(record.ended_at)),
        ("duration", fmt_duration(record.duration)),
        ("user", record.user),
        ("host", record.host),
        ("pid", record.pid),
        ("project", record.project_path),
        ("parent", record.parent_id),
        ("note", record.note),
        ("command", (record.cli or {}).get("command")),
    ]
    if state is not None:  # what ran, and whether it can be rebuilt
        from proj_tui.framework.code_state import code_state_line

        fields.append(("code", code_state_line(state, patch)))
    elif record.git:
        dirty = " (dirty)" if record.git.get("dirty") else ""
        fields.append(("git", f"{record.git.get('branch')} {record.git.get('commit')}{dirty}"))
    fields.append(("versions", ", ".join(f"{k} {v}" for k, v in (record.versions or {}).items())))
    for key, value in fields:
        if value not in (None, ""):
            out.write(f"  {key:<10} {value}\n")
    overrides = flatten(record.runtime_params or {})
    if record.filters:
        out.write(bold("Filters") + "\n")
        for key, value in record.filters.items():
            out.write(f"  {key} = {value}\n")
    out.write(bold("Parameters") + " (* = runtime override)\n")
    for key, value in flatten(record.params or {}).items():
        mark = "*" if key in overrides else " "
        out.write(f" {mark}{key} = {json.dumps(value, default=str)}\n")
    if record.env_vars:
        out.write(bold("Environment") + "\n")
        for key, value in sorted(record.env_vars.items()):
            out.write(f"  {key}={value}\n")
    from proj_tui.framework.run_order import in_run_order

    nodes = in_run_order(store.nodes(record.session_id), record)
    if nodes:
        out.write(bold("Nodes") + " (in run order)\n")
        for node in nodes:
            took = (
                fmt_duration(node.ended_at - node.started_at)
                if node.started_at and node.ended_at
                else "-"
            )
            out.write(f"  {node.status:<10} {took:>9}  {node.name}")
            out.write(f"  ({node.error})\n" if node.error else "\n")
    if record.error:
        out.write(
            bold("Error") + f"\n  {record.error.get('type')}: {record.error.get('message')}\n"
        )
        if record.error.get("traceback"):
            out.write("  " + record.error["traceback"].rstrip().replace("\n", "\n  ") + "\n")
    resume = (record.extra or {}).get("resume")
    if resume:
        out.write(f"{bold('Resume with')}\n  {resume}\n")
    if args.logs:
        out.write(bold("Logs") + "\n")
        for line in store.logs(record.session_id):
            out.write(f"  {fmt_time(line.ts)} {line.level:<7} {line.message}\n")
    return 0


class _Printable:
    """stdout for stored text: control characters shown (``printable``), our own bold kept."""

    _ON, _OFF = "\ue000", "\ue001"  # private-use stand-ins for the bold escapes

    def __init__(self, stream: Any, *, styled: bool) -> None:
        self._stream = stream
        self._on, self._off = ("\x1b[1m", "\x1b[0m") if styled else ("", "")

    @classmethod
    def bold(cls, text: str) -> str:
        return f"{cls._ON}{text}{cls._OFF}"

    def write(self, text: str) -> None:
        from proj_tui.framework.printable import printable

        text = printable(text).replace(self._ON, self._on).replace(self._OFF, self._off)
        self._stream.write(text)


def cmd_diff(args: argparse.Namespace) -> int:
    from proj_tui.framework.output_diff import compare_sessions, output_summary

    store = _store(args.project)
    left, right = _resolve(store, args.first), _resolve(store, args.second)
    rows = compare_sessions(store, left, right)
    shown = rows if args.all else [r for r in rows if r.changed]
    if args.json:
        print_json(
            {
                "left": left.session_id,
                "right": right.session_id,
                "rows": [
                    {
                        "section": r.section,
                        "key": r.key,
                        "left": r.left,
                        "right": r.right,
                        "changed": r.changed,
                    }
                    for r in shown
                ],
            }
        )
        return 0
    if not shown:
        sys.stdout.write("No differences (use --all to see every field).\n")
        return 0
    table(
        ["section", "key", left.session_id, right.session_id],
        [[r.section, r.key, _cell(r.left), _cell(r.right)] for r in shown],
    )
    outputs = output_summary(rows)
    if outputs:
        sys.stdout.write(f"Outputs: {outputs}.\n")
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def cmd_rerun(args: argparse.Namespace) -> int:
    from proj_tui.config import parse_params
    from proj_tui.framework.replay import run_argv

    store = _store(args.project)
    record = _resolve(store, args.session_id)
    argv = run_argv(record, params=parse_params(args.params) if args.params else None, env=args.env)
    _check_env_vars(record, args)
    return _launch(argv, args)


def _check_env_vars(record: SessionRecord, args: argparse.Namespace) -> None:
    """Say where each redacted variable of a replay comes from; refuse when it is not set."""
    from proj_tui.framework.replay import (
        ReplayError,
        missing_env_message,
        missing_env_vars,
        replay_env_vars,
    )

    missing = missing_env_vars(record, os.environ)
    if missing and not args.dry_run:
        raise ReplayError(missing_env_message(record, missing, "this shell's environment"))
    for name, value in replay_env_vars(record).items():
        if value is None:
            where = "not set here yet" if name in missing else "taken from this environment"
            sys.stderr.write(f"{name}: {where} (the store keeps no secret values)\n")


def cmd_resume(args: argparse.Namespace) -> int:
    from proj_tui.framework.replay import (
        is_kedro_record,
        kedro_resume_plan,
        resume_nodes,
        resume_selection,
        run_argv,
    )

    store = _store(args.project)
    record = _resolve(store, args.session_id)
    planned: list[str] | None = None
    if is_kedro_record(record):  # planned by Kedro, in the project's interpreter
        from_nodes, planned = kedro_resume_plan(record, store.nodes(record.session_id))
    else:
        from_nodes = resume_nodes(record, store.nodes(record.session_id))
    selection = resume_selection(record, from_nodes)
    argv = run_argv(record, selection=selection)
    if not (args.dry_run and getattr(args, "json", False)):
        _check_env_vars(record, args)
    if args.dry_run and getattr(args, "json", False):
        print_json(
            {
                "session_id": record.session_id,
                "from_nodes": from_nodes,
                "nodes": planned if planned is not None else _planned_nodes(record, selection),
                "argv": argv,
            }
        )
        return 0
    sys.stderr.write(f"Resuming {record.session_id} from: {', '.join(from_nodes)}\n")
    return _launch(argv, args)


def _planned_nodes(record: SessionRecord, selection: RunSelection) -> list[str]:
    """The nodes a run of ``selection`` executes, in run order (what a resume will run)."""
    from proj_tui.framework.startup import load_pipelines

    assert record.package_name is not None  # resume_nodes checked it and loaded the project
    return [node.name for node in selection.select(load_pipelines(record.package_name)).nodes]


def _writable_store(project: str | None) -> SQLiteSessionStore:
    from proj_tui.framework.project import Project

    handle = Project.read(project_path(project))
    if not handle.has_store():
        raise handle.no_store_error()
    return handle.open_store()


def cmd_note(args: argparse.Namespace) -> int:
    store = _writable_store(args.project)
    record = _resolve(store, args.session_id)
    store.set_note(record.session_id, args.text.strip() or None)
    done = "Note removed from" if not args.text.strip() else "Note saved on"
    sys.stderr.write(f"{done} {record.session_id}.\n")
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    store = _writable_store(args.project)
    record = _resolve(store, args.session_id)
    store.set_pinned(record.session_id, not args.off)
    sys.stderr.write(f"{'Unpinned' if args.off else 'Pinned'} {record.session_id}.\n")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store = _writable_store(args.project)
    records = [_resolve(store, session_id) for session_id in args.session_ids]
    running = [r.session_id for r in records if r.status == "running"]
    if running:
        raise ProjTuiError(
            f"Session(s) {', '.join(running)} are still running; cancel them first "
            "(a crashed one is marked crashed on the next read)."
        )
    ids = list(dict.fromkeys(r.session_id for r in records))
    if not args.yes:
        if not sys.stdin.isatty():
            raise ProjTuiError(
                f"Deleting {len(ids)} session(s) needs confirmation: add --yes when not in a terminal."
            )
        sys.stderr.write(
            f"Delete {len(ids)} session(s) with their nodes and logs: {', '.join(ids)}? [y/N] "
        )
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            sys.stderr.write("Nothing deleted.\n")
            return 1
    deleted = store.delete_sessions(ids)
    sys.stderr.write(f"Deleted {deleted} session(s).\n")
    return 0


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _parse_age(text: str) -> float:
    number, unit = text[:-1], text[-1:].lower()
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in _AGE_UNITS or value < 0:
        raise ProjTuiError(
            f"--older-than {text!r} is not an age: write a number and a unit, s, m, h, d or w "
            "(for example 30d or 12h)."
        )
    return value * _AGE_UNITS[unit]


def cmd_prune(args: argparse.Namespace) -> int:
    """Retention: a long-lived project's store stays bounded (pinned sessions are never pruned)."""
    if args.older_than is None and args.keep is None:
        raise ProjTuiError("Say what to prune: --older-than AGE (e.g. 30d), --keep N, or both.")
    if args.keep is not None and args.keep < 0:
        raise ProjTuiError(f"--keep {args.keep} must be 0 or more.")
    older = _parse_age(args.older_than) if args.older_than else None
    store = _writable_store(args.project)
    from proj_tui.framework.store.protocol import prunable_sessions

    ids = prunable_sessions(store, older_than=older, keep=args.keep)
    if args.dry_run or not ids:
        for session_id in ids:
            sys.stdout.write(session_id + "\n")
        sys.stderr.write(
            f"{len(ids)} session(s) would be pruned.\n" if ids else "Nothing to prune.\n"
        )
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise ProjTuiError(
                f"Pruning {len(ids)} session(s) needs confirmation: add --yes when not in a "
                "terminal (or --dry-run to list them)."
            )
        sys.stderr.write(f"Delete {len(ids)} session(s) with their nodes and logs? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            sys.stderr.write("Nothing deleted.\n")
            return 1
    deleted = store.delete_sessions(ids)
    if args.vacuum:
        vacuum = getattr(store, "vacuum", None)
        if vacuum is None:
            raise ProjTuiError(f"{type(store).__name__} cannot --vacuum; prune without it.")
        vacuum()
    sys.stderr.write(f"Pruned {deleted} session(s).\n")
    return 0


def _launch(argv: list[str], args: argparse.Namespace) -> int:
    import shlex

    if getattr(args, "events", None):
        argv += ["--events", args.events]
    sys.stderr.write(f"$ {shlex.join(['proj-tui', *argv])}\n")
    if args.dry_run:
        sys.stdout.write(shlex.join(["proj-tui", *argv]) + "\n")
        return 0
    from proj_tui.cli import main

    sys.argv = ["proj-tui", *argv]
    return main(argv)
