"""``proj-tui config blame|compare``: where each value comes from, and how two envs differ.

Both read the project's config the way a run would (``settings.CONF_SOURCE`` and
``CONFIG_LOADER_ARGS``) and never load pipelines. ``--json`` is the shape the app reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proj_tui.cli.output import print_json, table
from proj_tui.cli.run import _project_path
from proj_tui.errors import ProjTuiError, did_you_mean

SECTIONS = ("parameters", "catalog")
_UNSET = "(unset)"


class ConfigKeyError(ProjTuiError):
    """``config blame KEY`` names a key no config section has."""


def _loader(project: str | None, env: str | None, params: dict[str, Any] | None = None) -> Any:
    from proj_tui.config import ConfigLoader
    from proj_tui.framework.settings import load_settings
    from proj_tui.framework.startup import bootstrap_project

    metadata = bootstrap_project(_project_path(project))
    settings = load_settings(metadata.package_name)
    return ConfigLoader(
        metadata.project_path / settings.CONF_SOURCE,
        env=env,
        runtime_params=params or {},
        **settings.CONFIG_LOADER_ARGS,
    ), metadata.project_path


def _rel(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _text(value: Any) -> str:
    from proj_tui.config.changes import format_value

    return format_value(value)


def blame_rows(
    project: str | None, key: str | None, env: str | None, params: dict[str, Any] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(env, rows) for ``config blame``: one row per dotted leaf key under ``key``.

    ``key`` may start with a section (``catalog.trips_raw``, ``parameters.model_a``); a bare key
    is looked up in parameters first, then the catalog.
    """
    loader, root = _loader(project, env, params)
    head, _, rest = (key or "").partition(".")
    sections: list[tuple[str, str]]  # (section, prefix inside it)
    if key is None:
        sections = [(s, "") for s in SECTIONS]
    elif head in SECTIONS:
        sections = [(head, rest)]
    else:
        sections = [(s, key) for s in SECTIONS]
    rows: list[dict[str, Any]] = []
    known: list[str] = []
    for section, prefix in sections:
        for dotted, prov in loader.provenance(section).items():
            known.append(dotted)
            if prefix and not (dotted == prefix or dotted.startswith(prefix + ".")):
                continue
            rows.append(
                {
                    "section": section,
                    "key": dotted,
                    "value": prov.value,
                    "env": prov.env,
                    "file": _rel(prov.path, root),
                    "overrode": [
                        {"env": o.env, "file": _rel(o.path, root), "value": o.value}
                        for o in prov.overridden
                    ],
                }
            )
        if rows and key is not None:
            break  # a bare key found in parameters is not also looked up in the catalog
    if key is not None and not rows:
        raise ConfigKeyError(
            f"No config key '{key}' in env '{loader.env}'.{did_you_mean(key, known)} "
            "Give a dotted key such as 'model_a.model_options.lr' or 'catalog.trips_raw', or no "
            "key to see every value."
        )
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
        where = f"{row['env']}: {row['file']}" if row["file"] else f"{row['env']} (--params)"
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
    """Rows of ``config compare``: each parameter's value in both envs (differences only)."""
    from proj_tui.config import flatten

    loader_a, _ = _loader(project, first)
    loader_b, _ = _loader(project, second)
    a, b = flatten(loader_a["parameters"]), flatten(loader_b["parameters"])
    prov_a, prov_b = loader_a.provenance("parameters"), loader_b.provenance("parameters")
    rows: list[dict[str, Any]] = []
    for key in sorted(a.keys() | b.keys()):
        in_a, in_b = key in a, key in b
        same = in_a and in_b and a[key] == b[key] and type(a[key]) is type(b[key])
        if same and not include_equal:
            continue
        rows.append(
            {
                "key": key,
                "same": same,
                first: {"value": a.get(key), "set": in_a, "env": _env_of(prov_a, key)},
                second: {"value": b.get(key), "set": in_b, "env": _env_of(prov_b, key)},
            }
        )
    return rows


def _env_of(provenance: dict[str, Any], key: str) -> str | None:
    prov = provenance.get(key)
    return prov.env if prov is not None else None


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
