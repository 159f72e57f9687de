"""Signals that reach ``proj-tui run`` while it starts, before its run does (a real child process).

The project's pipeline registry stops the start-up where the test wants it: it says so on
stderr and waits for a gate file, so the test signals a process it knows to be starting (no
sleeps) and then lets it go on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from proj_tui.framework.store import SQLiteSessionStore

from helpers import make_demo

READY = "registry: waiting for the gate"

_GATED_REGISTRY = """

import os as _os
import sys as _sys
import time as _time

_registered = register_pipelines


def register_pipelines():
    _sys.stderr.write({ready!r} + "\\n")
    _sys.stderr.flush()
    while not _os.path.exists({gate!r}):
        _time.sleep(0.01)
    return _registered()
"""


def _gated_start(tmp_path: Path) -> tuple[Path, Path, subprocess.Popen[str]]:
    """A run of the demo project held in start-up (loading its pipelines) until ``gate``."""
    project = make_demo(tmp_path / "demo")
    gate = tmp_path / "gate"
    registry = next((project / "src").glob("*/pipeline_registry.py"))
    registry.write_text(registry.read_text() + _GATED_REGISTRY.format(ready=READY, gate=str(gate)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(project), "--events", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # the child is loading the pipelines, inside Session.create
        if READY in line:
            break
    else:
        raise AssertionError(f"the run never loaded its pipelines (exit {proc.wait()})")
    return project, gate, proc


def test_sigterm_while_starting_is_a_cancel(tmp_path: Path) -> None:
    project, gate, proc = _gated_start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    gate.touch()  # had the signal not stopped it, the start goes on (and the test fails below)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # not killed by the signal (-15)
    assert "Cancelled by SIGTERM while the session was starting." in err
    assert "Traceback" not in err
    store = SQLiteSessionStore.for_project(project)
    assert [s.status for s in store.list_sessions()] == []  # refused before anything was recorded


def test_sighup_while_starting_does_not_stop_the_run(tmp_path: Path) -> None:
    project, gate, proc = _gated_start(tmp_path)
    proc.send_signal(signal.SIGHUP)  # the terminal closed while the project was loading
    gate.touch()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # not killed by the hang-up (-1)
    [summary] = SQLiteSessionStore.for_project(project).list_sessions()
    assert summary.status == "succeeded"
