"""The ``proj-tui`` command: headless subcommands, or the app when given no subcommand.

argparse rather than click/typer: it is in the standard library and imports in about a millisecond,
and ``proj-tui run`` must start fast. Subcommand modules are imported only when used; Textual only
for the app.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from proj_tui.cli.common import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from proj_tui.cli.parser import SUBCOMMANDS, build_parser

__all__ = ["EXIT_CANCELLED", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0] not in SUBCOMMANDS
        and args_list[0] not in ("-h", "--help")
        and args_list[0] != "--version"
    ):
        args_list = ["app", *args_list]
    parser = build_parser(commands=args_list[:1])  # the other subcommands' arguments: unneeded
    args = parser.parse_args(args_list)
    from proj_tui.cli.output import run_guarded

    return run_guarded(args.handler, args)


def console_main() -> None:  # pragma: no cover - thin wrapper for the console script
    sys.exit(main())
