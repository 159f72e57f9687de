"""``proj-tui run --queue`` / ``--sweep`` and ``proj-tui queue …``: the run queue from a shell.

Queuing checks what can be checked at once (the options parse, a swept key exists in the merged
params), so a typo is exit 2 now rather than six failed sessions later; it then stores the
requests and starts the project's worker unless one runs (framework/queue.py), and returns.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.cli.common import EXIT_OK, project_path
from proj_tui.cli.output import UsageError, table
from proj_tui.cli.output import print_json as _print_json

if TYPE_CHECKING:
    from proj_tui.framework.store.sqlite_queue import QueueItem, QueueStore


def queue_run(args: argparse.Namespace) -> int:
    """``proj-tui run --queue`` (or ``--sweep``): queue the run(s), print their item ids."""
    from proj_tui.cli.parser import env_var_pairs
    from proj_tui.config import parse_params
    from proj_tui.framework import queue
    from proj_tui.framework.selection import RunSelection

    for flag, given in (("--watch", args.watch), ("--events", args.events)):
        if given:
            raise UsageError(
                f"{flag} does not go with --queue or --sweep: a queued run starts later, in the "
                "queue worker. Follow it with 'proj-tui sessions logs ID --follow' once it runs."
            )
    from proj_tui.cli.kedro_run import kedro_project

    project = project_path(args.project)
    kedro = kedro_project(args) is not None
    params = parse_params(args.params) if args.params else {}
    env_vars = env_var_pairs(args.env_var or [])
    selection = RunSelection.from_args(args)
    request = queue.RunRequest.build(
        project,
        selection,
        env=args.env,
        params=params,
        env_vars=env_vars,
        conf_source=args.conf_source,
        runner_params=args.runner_params,
        is_async=bool(getattr(args, "is_async", False)),
        params_text=(args.params or "") if kedro else None,  # Kedro reads it, as given
    )
    combos: list[dict[str, Any]] = []
    sweep_id = None
    if args.sweep:
        combos, sweep_id = plan_sweep(project, args.sweep, args.env, args.conf_source, params)
    if kedro:
        from proj_tui.framework.kedro_run import KedroRunError

        for combo in combos or [{}]:  # a value Kedro's --params cannot carry: now, not per run
            try:
                request.argv(combo)
            except KedroRunError as exc:
                raise UsageError(f"--sweep: {exc}") from None
    ids = queue.enqueue(project, request, combos, sweep_id)
    what = f"sweep {sweep_id}: {len(ids)} runs" if sweep_id else "1 run"
    for item_id in ids:
        print(item_id)
    started = None
    if not args.no_worker:
        started = queue.ensure_worker(project, {**os.environ, **env_vars})
    if args.no_worker:
        tail = "no worker started (--no-worker): start one with 'proj-tui queue work'"
    elif started is None:
        tail = "the queue worker already running takes them in turn"
    else:
        tail = f"queue worker started (pid {started})"
    sys.stderr.write(f"Queued {what} (items {_span(ids)}); {tail}. See: proj-tui queue list\n")
    return EXIT_OK


def plan_sweep(
    project: Path,
    items: list[str],
    env: str | None,
    conf_source: str | None,
    params: dict[str, Any],
) -> tuple[list[dict[str, Any]], str]:
    """The sweep's combinations (keys checked against the merged params) and a new sweep id."""
    from proj_tui.framework.project import Project
    from proj_tui.framework.sweep import check_keys, combinations, new_sweep_id, parse_sweeps

    sweep = parse_sweeps(items)  # bad input is reported before the project is loaded
    loaded = Project.load(project, conf_source=conf_source)
    loader = loaded.config_loader(env, runtime_params=params)
    check_keys(sweep, loader["parameters"], env=loader.env)
    return combinations(sweep), new_sweep_id()


def _span(ids: list[int]) -> str:
    if len(ids) > 2 and ids == list(range(ids[0], ids[-1] + 1)):
        return f"{ids[0]}-{ids[-1]}"
    return ", ".join(str(i) for i in ids)


def _queue(args: argparse.Namespace) -> QueueStore:
    from proj_tui.framework.queue import open_queue

    return open_queue(project_path(args.project))


def item_json(item: QueueItem) -> dict[str, Any]:
    """An item as ``queue list --json`` prints it (the request's secrets are names only)."""
    from proj_tui.framework.queue import RunRequest

    request = RunRequest.from_json(item.request)
    return {
        "id": item.id,
        "state": item.state,
        "position": item.position,
        "describe": request.describe(item.sweep_values),
        "argv": ["proj-tui", *request.argv(item.sweep_values)],
        "sweep_id": item.sweep_id,
        "sweep_values": item.sweep_values,
        "queued_by": item.queued_by,
        "queued_at": item.queued_at,
        "pid": item.pid,
        "started_at": item.started_at,
        "session_id": item.session_id,
        "ended_at": item.ended_at,
        "outcome": item.outcome,
        "error": item.error,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from proj_tui.framework.printable import printable
    from proj_tui.framework.queue import worker_pid

    project = project_path(args.project)
    with contextlib.closing(_queue(args).store) as store:
        from proj_tui.framework.store.sqlite_queue import QueueStore

        queue = QueueStore(store)
        items = queue.items(include_finished=args.all, limit=args.limit)
        concurrency = queue.concurrency()
    pid = worker_pid(project)
    if args.json:
        _print_json(
            {
                "worker_pid": pid,
                "concurrency": concurrency,
                "items": [item_json(item) for item in items],
            }
        )
        return EXIT_OK
    rows = []
    place = 0
    for item in items:
        data = item_json(item)
        if item.state == "queued":
            place += 1
        state = item.state if item.state != "done" else f"done: {item.outcome}"
        rows.append(
            [
                str(item.id),
                state,
                str(place) if item.state == "queued" else "",
                item.session_id or "",
                printable(data["describe"]) + (f" ({item.error})" if item.error else ""),
            ]
        )
    worker = f"worker pid {pid}" if pid else "no worker running"
    title = f"Run queue · {worker} · {concurrency} at a time"
    if not rows:
        sys.stderr.write(f"{title}: nothing queued. Queue a run with 'proj-tui run --queue'.\n")
        return EXIT_OK
    table(["id", "state", "place", "session", "run"], rows, title=title)
    return EXIT_OK


def parse_place(text: str) -> str | int:
    """``up``/``down``/``top``/``bottom`` or a place number (1 is next)."""
    word = text.strip().lower()
    if word in ("up", "down", "top", "bottom"):
        return word
    try:
        return int(word)
    except ValueError:
        raise UsageError(
            f"Cannot move to {text!r}: use up, down, top, bottom or a place number (1 is next)."
        ) from None


def cmd_move(args: argparse.Namespace) -> int:
    where = parse_place(args.where)
    with contextlib.closing(_queue(args).store) as store:
        from proj_tui.framework.store.sqlite_queue import QueueStore

        order = QueueStore(store).move(args.item_id, where)
    place = order.index(args.item_id) + 1
    sys.stderr.write(f"Item {args.item_id} is now at place {place} of {len(order)}.\n")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with contextlib.closing(_queue(args).store) as store:
        from proj_tui.framework.store.sqlite_queue import QueueStore

        queue = QueueStore(store)
        for item_id in args.item_ids:
            queue.remove(item_id)
            sys.stderr.write(f"Removed item {item_id} from the queue.\n")
    return EXIT_OK


def cmd_clear(args: argparse.Namespace) -> int:
    with contextlib.closing(_queue(args).store) as store:
        from proj_tui.framework.store.sqlite_queue import QueueStore

        count = QueueStore(store).clear()
    sys.stderr.write(
        f"Removed {count} queued item(s); running ones go on (cancel them with "
        "'proj-tui sessions cancel ID').\n"
    )
    return EXIT_OK


def cmd_work(args: argparse.Namespace) -> int:
    from proj_tui.framework.queue import QueueWorker, ensure_worker, worker_pid

    project = project_path(args.project)
    if args.concurrency is not None:
        with contextlib.closing(_queue(args).store) as store:
            from proj_tui.framework.store.sqlite_queue import QueueStore

            QueueStore(store).set_concurrency(args.concurrency)
    running = worker_pid(project)
    if running is not None:
        more = f"; it now runs {args.concurrency} at a time" if args.concurrency else ""
        sys.stderr.write(f"A queue worker is already running (pid {running}){more}.\n")
        return EXIT_OK
    if args.detach:
        pid = ensure_worker(project)
        sys.stderr.write(f"Queue worker started (pid {pid}); its log: .proj-tui/queue/worker.log\n")
        return EXIT_OK
    return QueueWorker(project, out=_say).work()


def _say(text: str) -> None:
    """The worker's progress on stderr; a closed terminal silences it, never the worker."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
