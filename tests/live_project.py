"""A tiny generated project for the live-session tests: nodes that wait for a gate file.

Its nodes never sleep for a chosen time: ``gated`` logs, then waits until a file exists, so a test
decides when the run goes on (no timed assertions); ``stubborn`` swallows every cancellation and
``hang`` waits to be cancelled. ``flood`` logs many lines as fast as it can.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

PACKAGE = "liveproj"

_NODES = '''
"""Nodes for the live-session tests."""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger(__name__)


def before(params: dict) -> int:
    for i in range(int(params["lines"])):
        log.info("before %d", i)
    return 1


def closing(params: dict, upstream: int) -> int:
    for i in range(int(params["lines"])):
        log.info("closing %d", i)
    return upstream + 1


def gated(params: dict, upstream: int) -> int:
    """Waits for the gate file, then goes on."""
    log.info("waiting for the gate")
    while not os.path.exists(params["gate"]):
        time.sleep(0.01)
    for i in range(int(params["lines"])):
        log.info("after %d", i)
    return upstream + 1


def flood(params: dict) -> int:
    for i in range(int(params["flood"])):
        log.info("flood %d", i)
    return 1


def escapes(params: dict) -> int:
    log.info("title \x1b]0;PWNED\x07 clear \x1b[2J end")
    log.warning("a warning")
    return 1


def leak(params: dict) -> int:
    """Logs a credential it read itself: the store must only ever hold it redacted."""
    from pathlib import Path

    import yaml

    creds = Path(__file__).resolve().parents[2] / "conf" / "local" / "credentials.yml"
    password = yaml.safe_load(creds.read_text())["db"]["password"]
    log.info("connecting with %s now", password)
    return 1


def hang(params: dict) -> int:
    log.info("hanging until cancelled")
    while True:
        time.sleep(0.02)


def stubborn(params: dict) -> int:
    """Swallows every cancellation (SIGINT and SIGTERM both raise KeyboardInterrupt)."""
    log.info("ignoring cancellation")
    while True:
        try:
            time.sleep(0.02)
        except KeyboardInterrupt:
            log.info("ignored a cancellation")
'''

_REGISTRY = '''
"""The live-test pipelines."""

from __future__ import annotations

from proj_tui.pipeline import Pipeline, node

from liveproj import nodes as n


def register_pipelines() -> dict[str, Pipeline]:
    gated = Pipeline(
        [
            node(n.before, "params:live", "a", name="first"),
            node(n.gated, ["params:live", "a"], "b", name="wait_for_gate"),
            node(n.closing, ["params:live", "b"], "c", name="last"),
        ]
    )
    return {
        "__default__": gated,
        "gated": gated,
        "flood": Pipeline([node(n.flood, "params:live", "f", name="flood")]),
        "escapes": Pipeline([node(n.escapes, "params:live", "e", name="escapes")]),
        "leak": Pipeline([node(n.leak, "params:live", "k", name="leak")]),
        "hang": Pipeline([node(n.hang, "params:live", "h", name="hang")]),
        "stubborn": Pipeline([node(n.stubborn, "params:live", "s", name="stubborn")]),
    }
'''

_PARAMETERS = """\
live:
  lines: 5
  gate: gate-file
  flood: 20000
"""

SECRET = "pw-Zq81-Kx07-Lm55"
"""The password in conf/local/credentials.yml: never printed by anything."""

T = TypeVar("T")


def make_live_project(root: Path) -> Path:
    """Write the project at ``root`` and return it."""
    pkg = root / "src" / PACKAGE
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "liveproj"\nversion = "0.1.0"\n\n'
        f'[tool.proj_tui]\npackage_name = "{PACKAGE}"\nproject_name = "Live project"\n'
    )
    (pkg / "__init__.py").write_text('"""Live project."""\n')
    (pkg / "nodes.py").write_text(textwrap.dedent(_NODES).lstrip())
    (pkg / "pipeline_registry.py").write_text(textwrap.dedent(_REGISTRY).lstrip())
    (pkg / "settings.py").write_text('"""Settings."""\n')
    base = root / "conf" / "base"
    base.mkdir(parents=True)
    (root / "conf" / "local").mkdir()
    (root / "conf" / "local" / "credentials.yml").write_text(f"db:\n  password: {SECRET}\n")
    (base / "parameters.yml").write_text(_PARAMETERS)
    (base / "catalog.yml").write_text("# everything in memory\n")
    return root


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PROJ_TUI_ENV"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_run(project: Path, *args: str, new_session: bool = True) -> subprocess.Popen[bytes]:
    """``proj-tui run ARGS`` in the background, its output thrown away (the store has it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", *args],
        cwd=project,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=new_session,
    )


def cli(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", *args],
        cwd=project,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition: Callable[[], T | None], *, timeout: float = 60, what: str = "") -> T:
    """Poll ``condition`` until it returns something truthy (a generous deadline, not a timing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what or condition}")
        time.sleep(0.02)
