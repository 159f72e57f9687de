"""The status of each node says what happened to it: cancelled, crashed, failed, not done."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from faults._project import EventReader, kill_group, popen_cli, run_cli, store_path
from proj_tui.framework.store import SQLiteSessionStore


def _nodes(project: Path, sid: str) -> dict[str, str]:
    with SQLiteSessionStore(store_path(project)) as store:  # read-write: reaps, as a CLI would
        return {n.name: n.status for n in store.nodes(sid)}


def _interrupted(project: Path, sig: int, *, group: bool) -> tuple[str, int]:
    proc = popen_cli("run", "--events", "json", "--pipeline", "hang", cwd=project)
    reader = EventReader(proc)
    assert reader.wait_for(lambda e: e.get("message") == "hanging until cancelled")
    sid = next(reader.events())["session_id"]
    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        deadline = time.monotonic() + 20  # until the recorder's flush has stored the node
        while [n.status for n in store.nodes(sid)] != ["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    if group:
        kill_group(proc, sig)
    else:
        proc.send_signal(sig)
    proc.wait(timeout=20)
    reader.join()
    return sid, proc.returncode


def test_cancelled_node_is_cancelled(fault_project: Path, fault_report) -> None:
    sid, rc = _interrupted(fault_project, signal.SIGINT, group=False)
    assert rc == 130
    assert _nodes(fault_project, sid) == {"hang": "cancelled"}
    fault_report(
        "node statuses",
        "Ctrl+C (SIGINT) while a node runs",
        detail="session cancelled; the interrupted node cancelled (was: failed)",
    )


def test_crashed_node_is_crashed(fault_project: Path, fault_report) -> None:
    sid, rc = _interrupted(fault_project, signal.SIGKILL, group=True)
    assert rc == -signal.SIGKILL
    assert _nodes(fault_project, sid) == {"hang": "crashed"}
    fault_report(
        "node statuses",
        "SIGKILL of the process group while a node runs, then a reader reaps",
        detail="session crashed; the interrupted node crashed (was: running)",
    )


def test_failed_last_node_is_not_counted_done(fault_project: Path, fault_report) -> None:
    from proj_tui.tui.supervisor import RunState, parse_event

    result = run_cli("run", "--events", "json", "--pipeline", "leak", cwd=fault_project)
    assert result.returncode == 1
    state = RunState()
    for line in result.stdout.splitlines():
        event = parse_event(line)
        if event is not None:
            state.apply(event)
    assert state.status == "failed"
    assert (state.completed, state.total) == (0, 1)  # the header says 0/1, the bar is empty
    fault_report(
        "node statuses",
        "the last (only) node fails: the app's run header and bar",
        detail="FAILED · 0/1 nodes (was 1/1 with a full bar)",
    )
