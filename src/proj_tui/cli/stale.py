"""``proj-tui pipelines stale``: which nodes changed since they last succeeded, and how to rerun them.

Exit codes follow ``git diff --exit-code``: 0 when everything is up to date, 1 when something is
stale, 2 for an error. ``--json`` prints ``StalenessReport.to_dict()`` (also read by ``run --watch``).
"""

from __future__ import annotations

import argparse
import sys

from proj_tui.cli.common import project_path
from proj_tui.cli.output import print_json

EXIT_UP_TO_DATE, EXIT_STALE = 0, 1


def cmd_stale(args: argparse.Namespace) -> int:
    from proj_tui.config import parse_params
    from proj_tui.framework.staleness import stale_nodes

    params = parse_params(args.params) if args.params else {}
    report = stale_nodes(
        project_path(args.project),
        args.pipeline,
        args.env,
        params,
        conf_source=getattr(args, "conf_source", None),
    )
    if args.json:
        print_json(report.to_dict())
        return EXIT_STALE if report.to_run else EXIT_UP_TO_DATE
    out = sys.stdout
    against = (
        f"the last succeeded runs (newest {report.baseline_session})"
        if report.baseline_session
        else "no succeeded run with fingerprints (everything counts as stale)"
    )
    out.write(f"Pipeline {report.pipeline}, env {report.env}: compared with {against}.\n")
    if not report.to_run:
        out.write(f"All {report.total_nodes} nodes are up to date.\n")
        return EXIT_UP_TO_DATE
    if report.param_changes:
        out.write(report.param_changes.summary("Parameters") + "\n")
    width = max(len(name) for name in report.to_run)
    stale = {s.name: s for s in report.stale}
    for name in report.to_run:
        entry = stale.get(name)
        if entry is None:
            why = (
                "makes an in-memory input of a node that reruns"
                if name in report.upstream
                else "downstream of a stale node"
            )
            out.write(f"  {name:<{width}}  {why}\n")
            continue
        out.write(f"  {name:<{width}}  {entry.reason}\n")
        for detail in entry.details:
            out.write(f"  {'':<{width}}    {detail}\n")
    if report.removed:
        out.write(f"No longer in the pipeline: {', '.join(report.removed)}\n")
    out.write(
        f"{len(report.to_run)} of {report.total_nodes} nodes to run "
        f"({len(report.stale)} stale, {len(report.downstream)} downstream"
        + (f", {len(report.upstream)} upstream" if report.upstream else "")
        + "). Run them with:\n"
        f"  {report.command()}\n"
    )
    return EXIT_STALE
