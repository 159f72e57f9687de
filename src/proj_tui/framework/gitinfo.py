"""The git state of a project, recorded with each session so a run can be tied to its code.

One ``git status --porcelain=v2 --branch`` call gives commit, branch and dirtiness together: this
runs on the start-up path of every ``proj-tui run``, so it must cost one short subprocess (none
at all outside a repository: a look for ``.git`` above the project says so first), and it must
never fail a run (no git, not a repository, a slow network drive all give None).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 2.0
SHORT_COMMIT_LENGTH = 7


def describe_git(path: str | Path) -> dict[str, Any] | None:
    """``{"commit", "short_commit", "branch", "dirty"}`` for the repository holding ``path``.

    ``commit`` is None in a repository without commits, ``branch`` is None on a detached HEAD;
    untracked files count as dirty (a new, uncommitted pipeline file changes what runs). Returns
    None, with a DEBUG log saying why, outside a repository or without a working git.
    """
    if not _maybe_repository(Path(path)):
        logger.debug("No git information for %s: no .git at or above it", path)
        return None
    import subprocess  # here: a project outside git never pays for it

    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # never take index.lock
    try:
        result = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain=v2", "--branch"],
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("No git information for %s: %s", path, exc)
        return None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        logger.debug("No git information for %s: %s", path, message or result.returncode)
        return None
    commit: str | None = None
    branch: str | None = None
    dirty = False
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :].strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line[len("# branch.head ") :].strip()
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    return {
        "commit": commit,
        "short_commit": commit[:SHORT_COMMIT_LENGTH] if commit else None,
        "branch": branch,
        "dirty": dirty,
    }


def _maybe_repository(path: Path) -> bool:
    """Whether git could find a repository for ``path``: a ``.git`` (folder, or file of a
    worktree or submodule) at or above it, or ``GIT_DIR`` set. A few ``stat`` calls instead of a
    process that would only say "not a git repository"."""
    if os.environ.get("GIT_DIR"):
        return True
    try:
        here = path.resolve()
    except OSError:
        return True  # let git say what is wrong
    return any(os.path.lexists(os.path.join(folder, ".git")) for folder in (here, *here.parents))
