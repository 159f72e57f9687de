"""``proj-tui run --watch`` as a real process: run, edit a parameter, rerun the stale part, Ctrl+C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from proj_tui.framework.store import SQLiteSessionStore

from helpers import DEMO_NODES, cli, make_demo

DOWNSTREAM_OF_CLEAN = DEMO_NODES[1:]  # everything after ingest_trips


class _Lines:
    """Reads a pipe in a thread so every wait can have a timeout."""

    def __init__(self, stream: object) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{text!r} not seen in {timeout}s; got:\n" + "".join(self.seen)
                )
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"stream ended before {text!r}; got:\n" + "".join(self.seen))
            self.seen.append(line)
            if text in line:
                return line


def _start(project: Path) -> tuple[subprocess.Popen[str], _Lines]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--watch"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PROJ_TUI_ENV": ""},
    )
    assert proc.stderr is not None
    return proc, _Lines(proc.stderr)


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_watch_reruns_only_the_stale_part_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    # keep trips_typed on disk so a cleaning change needs nothing upstream of clean_trips
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(
        catalog.read_text()
        + "\ntrips_typed:\n  type: pickle.PickleDataset\n"
        + "  filepath: data/02_intermediate/trips_typed.pkl\n"
    )
    proc, lines = _start(project)
    try:
        lines.wait_for("run finished with exit code 0")
        lines.wait_for("watching conf")
        # an editor's temp file alone changes nothing
        (project / "conf" / "base" / ".parameters.yml.swp").write_text("junk")
        params = project / "conf" / "base" / "parameters.yml"
        params.write_text(params.read_text().replace("max_fare: 250.0", "max_fare: 120.0"))
        lines.wait_for("changed: conf/base/parameters.yml (config)")
        lines.wait_for("cleaning.max_fare 250.0 → 120.0")
        rerun = lines.wait_for("rerunning")
        assert rerun.strip().endswith(", ".join(DOWNSTREAM_OF_CLEAN))
        lines.wait_for("run finished with exit code 0")
        lines.wait_for("watching for changes")
    finally:
        code = _stop(proc)
    assert code == 130
    lines.wait_for("watch: stopped", 5)
    assert not any(".swp" in line for line in lines.seen)

    store = SQLiteSessionStore.for_project(project)
    sessions = store.list_sessions(limit=10)
    assert [s.status for s in sessions] == ["succeeded", "succeeded"]
    newest, first = store.get_session(sessions[0].session_id), sessions[1]
    assert newest.parent_id == first.session_id
    assert newest.filters == {"from_nodes": ["clean_trips"]}
    assert newest.params["cleaning"]["max_fare"] == 120.0
    ran = {n.name for n in store.nodes(newest.session_id) if n.status == "succeeded"}
    assert ran == set(DOWNSTREAM_OF_CLEAN)
    store.close()
    assert cli("pipelines", "stale", cwd=project).returncode == 0


def test_ctrl_c_during_a_run_cancels_it_cleanly(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo", latency=0.5)
    proc, lines = _start(project)
    try:
        lines.wait_for("first run")
        time.sleep(0.8)  # let the child start its session and a node or two
    finally:
        code = _stop(proc)
    assert code == 130
    store = SQLiteSessionStore.for_project(project)
    statuses = [s.status for s in store.list_sessions(limit=5)]
    store.close()
    assert statuses in ([], ["cancelled"]), statuses  # never running, never crashed


def test_watch_refuses_node_filters(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    result = cli("run", "--watch", "--tags", "etl", cwd=project)
    assert result.returncode == 2
    assert "--watch picks the nodes to rerun" in result.stderr
    assert "--tags" in result.stderr


def test_watch_reruns_a_project_under_a_hidden_folder(tmp_path: Path) -> None:
    """The shared demo lives under ``~/.local``: a dot-folder above the project is no reason to
    ignore its config (issue 18, item 1)."""
    project = make_demo(tmp_path / ".hidden" / "demo")
    proc, lines = _start(project)
    try:
        lines.wait_for("run finished with exit code 0")
        lines.wait_for("watching conf")
        params = project / "conf" / "base" / "parameters.yml"
        params.write_text(params.read_text().replace("max_fare: 250.0", "max_fare: 120.0"))
        lines.wait_for("changed: conf/base/parameters.yml (config)")
        lines.wait_for("cleaning.max_fare 250.0 → 120.0")
        lines.wait_for("run finished with exit code 0")
    finally:
        _stop(proc)
