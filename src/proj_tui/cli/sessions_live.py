"""``proj-tui sessions logs|cancel``: a live session from a shell, like ``docker logs -f``/``kill``.

Kept apart from cli/sessions.py (the history commands): these two act on a session that may still
be running, through framework.follow (the log, rebuilt from the store as it grows) and
framework.live (a cancel by the recorded pid, checked against its start time).

``sessions logs ID`` prints the stored log; with ``--follow`` it keeps printing new lines until the
session ends and exits with the code of its final status (``framework.live.EXIT_CODES``: 0
succeeded, 1 failed, 3 crashed, 130 cancelled; 2 for a usage error such as an unknown id). Ctrl+C
stops following, never the run: the run is another process, with no terminal of ours.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from proj_tui.cli.output import is_terminal

if TYPE_CHECKING:
    from proj_tui.framework.store import LogLine

_LEVEL_STYLE = {
    "CRITICAL": "1;31",
    "ERROR": "31",
    "WARNING": "33",
    "DEBUG": "2",
}
"""ANSI colours of a level in a terminal; other levels are printed plain."""
_POLL_S = 0.1
"""How often ``--follow`` looks for new lines (a poll that finds nothing costs a few µs)."""


def _line(ts: float, level: str, message: str, *, styled: bool) -> str:
    """One log line as printed: time, level, message, control characters shown (``printable``).

    The stored text was scrubbed of secrets when it was recorded (framework.recorder), as
    ``sessions show --logs`` prints it.
    """
    from proj_tui.cli.sessions import fmt_time
    from proj_tui.framework.printable import printable

    shown = f"{printable(level):<7}"
    style = _LEVEL_STYLE.get(level) if styled else None
    if style is not None:
        shown = f"\x1b[{style}m{shown}\x1b[0m"
    return f"{fmt_time(ts)} {shown} {printable(message)}\n"


def cmd_logs(args: argparse.Namespace) -> int:
    """Print a session's log; ``--follow``: until it ends, exiting with its status's code."""
    from proj_tui.cli.output import UsageError
    from proj_tui.cli.sessions import _resolve, _store

    if args.tail is not None and args.tail < 0:
        raise UsageError(f"--tail {args.tail}: give a number of lines, 0 or more.")
    store = _store(args.project)
    record = _resolve(store, args.session_id)
    styled = is_terminal()
    out = sys.stdout
    if not args.follow:
        lines: list[LogLine] = store.logs(record.session_id)
        if args.tail is not None:
            lines = lines[-args.tail :] if args.tail else []
        for line in lines:
            out.write(_line(line.ts, line.level, line.message, styled=styled))
        return 0
    return _follow(store, record.session_id, args.tail, styled)


def _follow(store: Any, session_id: str, tail: int | None, styled: bool) -> int:
    from proj_tui.framework.events import LogMessage
    from proj_tui.framework.follow import SessionFollower
    from proj_tui.framework.live import exit_code

    follower = SessionFollower(store, session_id, tail=tail)
    out = sys.stdout
    try:
        while True:
            events = follower.poll()
            for event in events:
                if isinstance(event, LogMessage):
                    out.write(_line(event.ts, event.level, event.message, styled=styled))
            if events:
                out.flush()
            if follower.ended:
                break
            time.sleep(_POLL_S)
    except KeyboardInterrupt:
        sys.stderr.write(
            f"Stopped following; session {session_id} goes on ({follower.status}). "
            f"Follow it again with: proj-tui sessions logs {session_id} --follow\n"
        )
        return 130
    status = follower.status
    sys.stderr.write(f"Session {session_id} {status} (exit code {exit_code(status)}).\n")
    return exit_code(status)


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel a live session of this host: SIGINT, SIGTERM, then SIGKILL, the pid checked."""
    from proj_tui.cli.common import project_path
    from proj_tui.cli.output import UsageError
    from proj_tui.cli.sessions import _resolve
    from proj_tui.framework.live import cancel_session
    from proj_tui.framework.project import Project

    if args.grace < 0:
        raise UsageError(f"--grace {args.grace:g}: give the seconds to wait, 0 or more.")
    # writable: a run that has to be killed is recorded crashed before this returns
    with Project.read(project_path(args.project)).open_store() as store:
        record = _resolve(store, args.session_id)
        sid = record.session_id
        if record.status != "running":
            sys.stdout.write(f"Session {sid} already ended ({record.status}); nothing to cancel.\n")
            return 0

        def say(text: str) -> None:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

        status = cancel_session(store, sid, grace_s=args.grace, notify=say)
    how = {
        "cancelled": "cancelled (it recorded that itself)",
        "crashed": "crashed: it did not stop on SIGINT or SIGTERM and was killed",
    }.get(status, f"ended first ({status})")
    sys.stdout.write(f"Session {sid} {how}.\n")
    return 0
