"""Helpers shared by the session-store tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from typing import Any


def record(**fields: Any) -> dict[str, Any]:
    """A plausible session record, overridable per test."""
    base: dict[str, Any] = {
        "project_path": "/work/demo",
        "package_name": "demo",
        "env": "local",
        "pipeline": "__default__",
        "runtime_params": {},
        "params": {"model": {"lr": 0.01, "kind": "rf", "layers": [8, 4]}, "seed": 1},
        "cli": {"command": "proj-tui run", "argv": ["proj-tui", "run"], "flags": {}},
        "env_vars": {"PROJ_TUI_ENV": "local"},
        "versions": {"python": "3.11", "proj_tui": "0.1.0", "platform": "linux"},
        "filters": {},
        "runner": "sequential",
        "git": {"commit": "a" * 40, "short_commit": "aaaaaaa", "branch": "main", "dirty": False},
    }
    base.update(fields)
    return base


def run_python(
    code: str, *args: str, timeout: float = 60, unprivileged: bool = False, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (a real second process on the same store).

    ``unprivileged``: as root, drop the capabilities that let root ignore file permissions, so
    read-only files and directories behave as they do for a normal user.
    """
    argv = [sys.executable, "-c", textwrap.dedent(code), *args]
    if unprivileged and os.geteuid() == 0:
        drop = "-dac_override,-dac_read_search"
        argv = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", "--", *argv]
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def can_drop_privileges() -> bool:
    """Whether permission tests can run here (not root, or root with setpriv)."""
    return os.geteuid() != 0 or shutil.which("setpriv") is not None
