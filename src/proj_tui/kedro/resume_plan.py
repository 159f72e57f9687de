"""Where a resume of a Kedro session starts, as Kedro's own resume hint computes it.

``python -m proj_tui.kedro.resume_plan --project PATH`` reads one JSON object on stdin::

    {"env": "local", "runtime_params": {...}, "conf_source": null,
     "selection": {<Session.run keywords of the session's selection>}, "done": ["node", ...]}

and prints ``{"from_nodes": [...], "nodes": [...]}``: the nodes a failed run's hint names
(``--from-nodes``: the nearest nodes whose inputs are persisted, walking up from the nodes that
did not finish), and the nodes a run of the session's selection from there executes, in run
order. It reads the project as it is now, with a context built only to read the catalog: no
session is created and no hook, the project's or a plugin's, runs. Errors are one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class PlanError(Exception):
    """The resume cannot be planned; the message says why."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proj_tui.kedro.resume_plan")
    parser.add_argument("--project", required=True, metavar="PATH")
    options = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    request = json.load(sys.stdin)
    # the answer alone on stdout: Kedro's console logging (rich) writes there too
    sys.stdout.flush()
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        answer = plan(Path(options.project), request)
    except PlanError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except Exception as exc:  # the project's code or config: say what, not a traceback
        sys.stderr.write(f"Kedro could not read the project: {type(exc).__name__}: {exc}\n")
        return 2
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(answer) + "\n")
    return 0


def plan(project: Path, request: dict[str, Any]) -> dict[str, list[str]]:
    from kedro.framework.project import pipelines, settings
    from kedro.framework.startup import bootstrap_project
    from kedro.pipeline import Pipeline

    from proj_tui.kedro import run_compat

    project = project.expanduser().resolve()
    os.chdir(project)  # catalog paths are read as under ``kedro run`` in the project
    metadata = bootstrap_project(project)
    selection = dict(request.get("selection") or {})
    names = selection.get("pipeline_names") or ["__default__"]
    whole = Pipeline([])
    for name in names:
        if name not in pipelines:
            known = ", ".join(sorted(pipelines)) or "none"
            raise PlanError(f"Pipeline '{name}' is not registered any more (registered: {known}).")
        whole += pipelines[name]
    filters = {
        "tags": selection.get("tags"),
        "node_names": selection.get("node_names"),
        "from_nodes": selection.get("from_nodes"),
        "to_nodes": selection.get("to_nodes"),
        "from_inputs": selection.get("from_inputs"),
        "to_outputs": selection.get("to_outputs"),
        "node_namespaces": selection.get("namespaces"),
    }
    try:
        ran = whole.filter(**filters)
    except ValueError as exc:
        raise PlanError(f"The session's selection no longer fits the project: {exc}") from None
    done = set(request.get("done") or ())
    unfinished = [n for n in ran.nodes if n.name not in done]
    if not unfinished:
        raise PlanError("Every node of the session completed; nothing to resume.")
    conf_source = request.get("conf_source") or str(project / settings.CONF_SOURCE)
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=conf_source,
        env=request.get("env"),
        runtime_params=request.get("runtime_params") or {},
        **settings.CONFIG_LOADER_ARGS,
    )
    context = settings.CONTEXT_CLASS(
        package_name=metadata.package_name,
        project_path=project,
        config_loader=loader,
        hook_manager=run_compat.bare_hook_manager(),
        env=request.get("env"),
        runtime_params=request.get("runtime_params") or {},
    )
    catalog = context.catalog
    run_compat.warm_up(catalog, ran.datasets())
    start = sorted(run_compat.nodes_to_resume_from(ran, unfinished, catalog))
    resumed = whole.filter(**{**filters, "from_nodes": start})
    return {"from_nodes": start, "nodes": [n.name for n in resumed.nodes]}


if __name__ == "__main__":
    sys.exit(main())
