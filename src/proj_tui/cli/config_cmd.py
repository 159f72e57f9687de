"""``proj-tui config blame|compare``: where each value comes from, and how two envs differ.

Both read the project's config the way a run would (``settings.CONF_SOURCE`` and
``CONFIG_LOADER_ARGS``) and never load pipelines. The rows come from ``proj_tui.config.compare``,
the same ones the app's config view shows; this module only prints them.
"""

from __future__ import annotations

import argparse
from typing import Any

from proj_tui.cli.output import print_json, table

_UNSET = "(unset)"


def _loader(project: str | None, env: str | None, params: dict[str, Any] | None = None) -> Any:
    from proj_tui.framework.project import Project

    handle = Project.discover(project)
    return handle.config_loader(env, params), handle.path


def _text(value: Any) -> str:
    from proj_tui.config.changes import format_value

    return format_value(value)


def blame_rows(
    project: str | None, key: str | None, env: str | None, params: dict[str, Any] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(env, rows) for ``config blame``: one row per dotted leaf key under ``key``.

    The rows are ``proj_tui.config.compare.blame``'s (which the app shows too), as JSON.
    """
    from proj_tui.config.compare import blame

    loader, root = _loader(project, env, params)
    rows = [
        {
            "section": row.section,
            "key": row.key,
            "value": row.value,
            "env": row.env,
            "file": row.file,
            "overrode": [{"env": o.env, "file": o.file, "value": o.value} for o in row.overrode],
            "interpolation": row.interpolation,
            "comes_from": [
                {"ref": o.value, "env": o.env or None, "file": o.file} for o in row.comes_from
            ],
            "source": row.source,
        }
        for row in blame(loader, root, key)
    ]
    return loader.env, rows


def cmd_blame(args: argparse.Namespace) -> int:
    from proj_tui.config import parse_params

    params = parse_params(args.params) if args.params else None
    env, rows = blame_rows(args.project, args.key, args.env, params)
    if args.json:
        print_json({"env": env, "keys": rows})
        return 0
    table_rows = []
    for row in rows:
        where = row["source"]
        overrode = "; ".join(
            f"{o['env']}: {o['file'] or '--params'} = {_text(o['value'])}" for o in row["overrode"]
        )
        name = row["key"] if row["section"] == "parameters" else f"catalog.{row['key']}"
        table_rows.append([name, _text(row["value"]), where, overrode])
    table(["key", "value", "set in", "overrode"], table_rows, title=f"config of env {env}")
    return 0


def compare_rows(
    project: str | None, first: str, second: str, *, include_equal: bool = False
) -> list[dict[str, Any]]:
    """Rows of ``config compare``: each parameter's value in both envs (differences only).

    The rows are ``proj_tui.config.compare.compare_envs``'s (which the app shows too), as JSON.
    """
    from proj_tui.config.compare import compare_envs

    loader_a, _ = _loader(project, first)
    loader_b, _ = _loader(project, second)
    return [
        {
            "key": row.key,
            "same": row.same,
            first: {"value": row.left, "set": row.left_set, "env": row.left_env},
            second: {"value": row.right, "set": row.right_set, "env": row.right_env},
        }
        for row in compare_envs(loader_a, loader_b)
        if include_equal or not row.same
    ]


def cmd_compare(args: argparse.Namespace) -> int:
    first, second = args.env1, args.env2
    if first == second:
        from proj_tui.cli.output import UsageError

        raise UsageError(
            f"Compare two different envs, e.g. 'proj-tui config compare base {first}'."
        )
    rows = compare_rows(args.project, first, second, include_equal=args.all)
    if args.json:
        print_json({"envs": [first, second], "all": bool(args.all), "keys": rows})
        return 0

    def cell(side: dict[str, Any]) -> str:
        if not side["set"]:
            return _UNSET
        return f"{_text(side['value'])} ({side['env']})"

    table(
        ["key", first, second],
        [[row["key"], cell(row[first]), cell(row[second])] for row in rows],
        title=f"parameters: {first} vs {second}",
    )
    if not rows:
        import sys

        sys.stdout.write(f"The parameters of '{first}' and '{second}' are the same.\n")
    return 0
