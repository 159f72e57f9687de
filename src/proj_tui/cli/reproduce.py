"""``proj-tui sessions reproduce ID``: run a session's recorded code again and compare its outputs.

The work is ``framework.reproduce``; this prints its progress to stderr and the verdict to stdout
("12 of 12 outputs identical", or which differ and whether the inputs already did), or JSON with
``--json``; with ``--events json`` stdout is the child run's event stream and the verdict goes to
stderr (how the app's reproduce action follows it). Exit 0 when every output is identical, 1 when
any differs (or the reproduction failed), 2 on bad input (nothing was run).
"""

from __future__ import annotations

import argparse
import sys

from proj_tui.cli.common import EXIT_FAILED, EXIT_OK, project_path


def cmd_reproduce(args: argparse.Namespace) -> int:
    from proj_tui.framework.project import Project
    from proj_tui.framework.reproduce import reproduce

    project = Project.read(project_path(args.project))
    store = project.open_store()
    try:
        session_id = args.session_id
        if session_id == "latest":
            from proj_tui.cli.sessions import _resolve

            session_id = _resolve(store, "latest").session_id

        def say(line: str) -> None:
            sys.stderr.write(line + "\n")

        events = getattr(args, "events", None) == "json"
        report = reproduce(
            store,
            session_id,
            keep=args.keep,
            allow_outside=args.allow_outside,
            say=say,
            events=events,
        )
    finally:
        store.close()
    if args.json:
        from proj_tui.cli.sessions import print_json

        print_json(report.to_dict())
    elif events:  # stdout is the event stream: the verdict goes with the other output
        sys.stderr.write("\n".join(report.lines()) + "\n")
    else:
        sys.stdout.write("\n".join(report.lines()) + "\n")
    return EXIT_OK if report.identical and report.new_status == "succeeded" else EXIT_FAILED
