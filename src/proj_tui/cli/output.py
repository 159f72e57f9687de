"""How the CLI talks to people: Rich in a terminal, plain lines when piped, JSON when asked.

Every deliberate error becomes one readable message and exit code 2; a traceback is only ever shown
for a bug in proj-tui itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from typing import IO, Any

from proj_tui.errors import ProjTuiError


class UsageError(ProjTuiError):
    """The command line itself is wrong."""


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def error(message: str) -> None:
    """Print an error to stderr, in red when stderr is a terminal."""
    if is_terminal(sys.stderr):
        sys.stderr.write(f"\x1b[1;31mError:\x1b[0m {message}\n")
    else:
        sys.stderr.write(f"Error: {message}\n")


def run_guarded(handler: Callable[[Any], int], args: Any) -> int:
    """Run a subcommand, turning our errors into messages and exit codes."""
    try:
        return handler(args)
    except ProjTuiError as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("Cancelled.\n")
        return 130
    except BrokenPipeError:  # `proj-tui sessions list | head`
        with contextlib.suppress(Exception):
            sys.stdout.close()
        return 0


def rich_console(stderr: bool = False) -> Any:
    """A Rich console, imported only when output goes to a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def table(headers: list[str], rows: list[list[str]], *, title: str | None = None) -> None:
    """A table: Rich in a terminal, tab-separated otherwise (easy to cut/awk)."""
    if is_terminal():
        from rich.table import Table

        t = Table(title=title, header_style="bold", box=None, pad_edge=False)
        for i, header in enumerate(headers):
            last = i == len(headers) - 1  # only the last column wraps; ids and times never do
            t.add_column(
                header,
                overflow="fold" if last else "ellipsis",
                no_wrap=not last,
                min_width=min(24, max(len(header), 12)) if last else None,
            )
        for row in rows:
            t.add_row(*row)
        rich_console().print(t)
        return
    out = sys.stdout
    out.write("\t".join(headers) + "\n")
    for row in rows:
        out.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) + "\n")
