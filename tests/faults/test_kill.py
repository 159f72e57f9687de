"""SIGKILL a running session at random moments: the store survives and tells the truth."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest

from faults._project import EventReader, integrity, kill_group, popen_cli, store_path
from proj_tui.framework.store import SQLiteSessionStore

TRIALS = 20
SEED = 20261124
MOMENTS = ("start-up", "node", "flush", "close")


def _exports(path: Path) -> dict[str, str]:
    with SQLiteSessionStore(path) as store:  # read-write: reaps, as any later CLI would
        ids = [s.session_id for s in store.list_sessions(limit=10_000)]
        return {sid: json.dumps(store.export(sid), sort_keys=True) for sid in ids}


def _kill_at(moment: str, rng: random.Random, project: Path) -> tuple[bool, str]:
    """Start a run, SIGKILL it at ``moment``; return (session_finished was emitted, how)."""
    if moment == "flush":
        args = ["run", "--events", "json", "--pipeline", "chatty", "--params", "chatty.seconds=0.4"]
    else:
        args = ["run", "--events", "json", "--params", "step.sleep=0.05,step.lines=20"]
    proc = popen_cli(*args, cwd=project)
    reader = EventReader(proc)
    try:
        if moment == "start-up":
            time.sleep(rng.uniform(0.0, 0.25))
        elif moment == "node":
            reader.wait_for(lambda e: e["event"] == "node_started")
            time.sleep(rng.uniform(0.0, 0.12))
        elif moment == "flush":
            reader.wait_for(lambda e: e["event"] == "node_started")
            time.sleep(rng.uniform(0.05, 0.35))  # the recorder flushes every 0.2 s meanwhile
        else:  # close: right after the last node, while the session is being finished
            reader.wait_for(lambda e: e["event"] == "node_finished" and e["node"] == "third")
            time.sleep(rng.uniform(0.0, 0.01))
        # the whole group, as the app's supervisor does at its last stage (watchdog included)
        kill_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)
        reader.join()
    finally:
        if proc.poll() is None:  # pragma: no cover - only if a wait above timed out
            kill_group(proc, signal.SIGKILL)
            proc.wait()
    finished = any(e["event"] == "session_finished" for e in reader.events())
    return finished, f"{moment} (rc {proc.returncode})"


def test_sigkill_at_random_points_loses_nothing(fault_project: Path, fault_report) -> None:
    rng = random.Random(SEED)
    db = store_path(fault_project)
    outcomes: dict[str, int] = {}
    for trial in range(TRIALS):
        moment = MOMENTS[trial % len(MOMENTS)]
        before = _exports(db) if db.exists() else {}
        finished, how = _kill_at(moment, rng, fault_project)
        assert integrity(db) == "ok" if db.exists() else True, how
        after = _exports(db)
        for sid, exported in before.items():  # every earlier session is exactly as it was
            assert after.get(sid) == exported, f"trial {trial} ({how}) changed session {sid}"
        new = set(after) - set(before)
        assert len(new) <= 1, how
        if not new:
            outcomes["absent"] = outcomes.get("absent", 0) + 1
            continue
        record = json.loads(after[new.pop()])
        if finished:  # killed after the result was committed and announced: it stands
            assert record["status"] == "succeeded", how
        else:
            assert record["status"] in ("crashed", "succeeded"), how
            if record["status"] == "succeeded":  # committed, killed before the event went out
                assert all(n["status"] == "succeeded" for n in record["nodes"]), how
        if record["status"] == "crashed":
            assert record["ended_at"] is not None and record["error"]["type"] == "Crashed", how
        outcomes[record["status"]] = outcomes.get(record["status"], 0) + 1
        # logs stored are a gap-free prefix: seq 1..n
        assert [line["seq"] for line in record["logs"]] == list(
            range(1, len(record["logs"]) + 1)
        ), how
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
    fault_report(
        "crash safety",
        "SIGKILL of `proj-tui run` (process group) at start-up / in a node / during a recorder "
        "flush / during close",
        trials=TRIALS,
        detail=f"seed {SEED}; outcomes {summary}; integrity_check ok and earlier sessions "
        "byte-identical after every trial",
    )
    assert sum(outcomes.values()) == TRIALS


@pytest.mark.parametrize("target", ["process", "group"])
def test_sigkill_of_the_run_only_is_marked_crashed_at_once(
    fault_project: Path, fault_report, target: str
) -> None:
    """Killing just the run process (not its watchdog) is reported and recorded right away."""
    proc = popen_cli("run", "--events", "json", "--pipeline", "hang", cwd=fault_project)
    reader = EventReader(proc)
    assert reader.wait_for(lambda e: e["event"] == "node_started")
    time.sleep(0.3)  # let the recorder flush the running node
    if target == "process":
        proc.send_signal(signal.SIGKILL)
    else:
        kill_group(proc)
    proc.wait(timeout=10)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    reader.join()
    sid = next(reader.events())["session_id"]
    store = SQLiteSessionStore(store_path(fault_project), readonly=True)
    if target == "process":  # the watchdog marked it already: a read-only reader sees it
        deadline = time.monotonic() + 5
        while store.get_session(sid).status == "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.get_session(sid).status == "crashed"
        assert "ended abruptly" in stderr and "hang" in stderr and sid in stderr
        last = list(reader.events())[-1]
        assert last["event"] == "session_finished" and last["status"] == "crashed"
    store.close()
    with SQLiteSessionStore(store_path(fault_project)) as rw:  # any later writer reaps it
        assert rw.get_session(sid).status == "crashed"
    fault_report(
        "crash safety",
        f"SIGKILL of the run's {'process only' if target == 'process' else 'process group'} "
        "in a hanging node",
        detail="status crashed; "
        + (
            "the watchdog prints a clear error and ends the event stream with status crashed"
            if target == "process"
            else "reaped by the next reader (pid gone)"
        ),
    )
