"""``proj-tui pipelines list|describe``: what a run would load, also read by the app (``--json``)."""

from __future__ import annotations

import argparse
from typing import Any

from proj_tui.cli.output import print_json, table
from proj_tui.errors import ProjTuiError, did_you_mean


def describe_project(project: str | None, name: str | None = None) -> tuple[dict[str, Any], int]:
    """The ``pipelines describe --json`` document (docs/cli.md) and the exit code to use."""
    from proj_tui.framework.project import Project

    handle = Project.discover(project)
    metadata = handle.metadata
    doc: dict[str, Any] = {
        "project": {
            "package_name": metadata.package_name,
            "project_name": metadata.project_name,
            "project_path": str(metadata.project_path),
        },
        "pipelines": {},
        "errors": [],
    }
    try:
        pipelines = handle.pipelines()
    except ProjTuiError as exc:
        doc["errors"].append(
            {"message": str(exc), "location": str(exc.location) if exc.location else None}
        )
        return doc, 2
    if name is not None and name not in pipelines:
        raise ProjTuiError(
            f"Pipeline '{name}' is not registered.{did_you_mean(name, pipelines)} "
            f"Registered pipelines: {', '.join(sorted(pipelines))}."
        )
    for pipe_name in sorted(pipelines) if name is None else [name]:
        doc["pipelines"][pipe_name] = {"nodes": [_node_doc(n) for n in pipelines[pipe_name].nodes]}
    return doc, 0


def _node_doc(node: Any) -> dict[str, Any]:
    location = node.source_location
    func = node.func
    qualname = f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"
    return {
        "name": node.name,
        "short_name": node.short_name,
        "namespace": node.namespace,
        "func": qualname,
        "source": f"{location[0]}:{location[1]}" if location else None,
        "inputs": list(node.inputs),
        "outputs": list(node.outputs),
        "tags": sorted(node.tags),
    }


def cmd_list(args: argparse.Namespace) -> int:
    doc, code = describe_project(args.project)
    if args.json:
        print_json(
            {name: len(p["nodes"]) for name, p in doc["pipelines"].items()} if code == 0 else doc
        )
        return code
    _raise_errors(doc)
    rows = []
    for name, pipe in doc["pipelines"].items():
        tags = sorted({t for n in pipe["nodes"] for t in n["tags"]})
        rows.append([name, str(len(pipe["nodes"])), ", ".join(tags)])
    table(["pipeline", "nodes", "tags"], rows)
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    doc, code = describe_project(args.project, args.name)
    if args.json:
        print_json(doc)
        return code
    _raise_errors(doc)
    for name, pipe in doc["pipelines"].items():
        rows = [
            [
                str(i + 1),
                n["name"],
                ", ".join(n["inputs"]),
                ", ".join(n["outputs"]),
                ", ".join(n["tags"]),
            ]
            for i, n in enumerate(pipe["nodes"])
        ]
        table(["#", "node", "inputs", "outputs", "tags"], rows, title=f"Pipeline {name}")
    return 0


def _raise_errors(doc: dict[str, Any]) -> None:
    if doc["errors"]:
        raise ProjTuiError(doc["errors"][0]["message"])
