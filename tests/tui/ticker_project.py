"""A real project whose ``ticker`` pipeline logs a line at a steady rate until told to stop.

For the live-session tests and ``benches/follow.py``: a session started from a shell with
:func:`start_shell_run` is a real ``proj-tui run`` process, recording to the project's store like
any other; the test (or bench) ends it by creating the stop file (:func:`stop_file`), so nothing
waits on a sleep. Each line carries the wall-clock time it was logged (``at=…``), which the bench
compares with when the app shows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import make_demo

TICKER_NODE = '''
"""A node that logs a line every ``interval`` seconds until its stop file exists."""

import logging
import os
import time

log = logging.getLogger(__name__)


def tick(options):
    interval = float(options["interval"])
    stop = options["stop_file"]
    i = 0
    while not os.path.exists(stop) and i < int(options["max_ticks"]):
        log.info("tick %d at=%.6f", i, time.time())
        i += 1
        time.sleep(interval)
    log.info("ticker done after %d ticks", i)
    return i
'''

TICKER_REGISTRY = """
from proj_tui.pipeline import Pipeline, node
from {package}.ticker import tick


def register_pipelines():
    ticker = Pipeline([node(tick, "params:ticker", "ticks", name="tick")])
    return {{"__default__": ticker, "ticker": ticker}}
"""


def make_ticker_project(path: Path, *, interval: float = 0.1, max_ticks: int = 100_000) -> Path:
    """The demo project with one pipeline, ``ticker`` (also ``__default__``), of one node."""
    project = make_demo(path)
    package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())
    (package / "ticker.py").write_text(TICKER_NODE)
    (package / "pipeline_registry.py").write_text(TICKER_REGISTRY.format(package=package.name))
    params = project / "conf" / "base" / "parameters.yml"
    params.write_text(
        params.read_text()
        + f"\nticker:\n  interval: {interval}\n  max_ticks: {max_ticks}\n"
        + f"  stop_file: {stop_file(project)}\n"
    )
    return project


def stop_file(project: Path) -> Path:
    """Creating this file ends every ticker run of ``project`` after its current line."""
    return project / "stop-ticking"


def start_shell_run(project: Path, *args: str) -> subprocess.Popen[bytes]:
    """``proj-tui run --pipeline ticker ARGS`` as a shell would start it (its own session,
    output to a file, nothing tied to any app)."""
    env = {k: v for k, v in os.environ.items() if k != "PROJ_TUI_ENV"}
    env["PYTHONUNBUFFERED"] = "1"
    out = (project / "shell-run.out").open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "proj_tui", "run", "--pipeline", "ticker", *args],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        out.close()
