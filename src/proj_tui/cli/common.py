"""What every subcommand shares: exit codes and how the project directory is found.

Kept apart from ``cli.run`` so that the other subcommands (and ``run --watch``) need not import
the run command, and ``run`` need not import them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def project_path(given: str | None) -> Path:
    """``--project PATH``, else the nearest project at or above the cwd (``Project``'s rule)."""
    from proj_tui.framework.project import find_path

    return find_path(given)
