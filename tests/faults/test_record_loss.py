"""A record that cannot be written, or a process that dies mid-run: nothing is silently lost."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from faults._project import assert_no_traceback, parse_events, run_cli, store_path
from faults.test_store_files import _mount
from proj_tui.framework.store import SQLiteSessionStore

BURST = 30_000


def _fill_to(mount: Path, free: int) -> None:
    with open(mount / "filler", "wb") as handle:
        while True:
            stat = os.statvfs(mount)
            left = stat.f_bavail * stat.f_frsize - free
            if left <= 0:
                return
            handle.write(b"\0" * min(left, 1 << 16))
            handle.flush()


def test_disk_full_during_a_run_keeps_every_line(tmp_path: Path, fault_report) -> None:
    mount = tmp_path / "disk"
    with _mount("tmpfs", mount, "size=2m") as ok:
        if not ok:
            pytest.skip("cannot mount a 2 MB tmpfs here (needs root and mount)")
        from faults._project import make_fault_project

        project = make_fault_project(mount / "proj")
        assert run_cli("run", cwd=project).returncode == 0
        _fill_to(mount, 600 * 1024)
        result = run_cli("run", "--events", "json", "--pipeline", "burst", cwd=project, timeout=120)
        err = result.stderr.decode()
        assert result.returncode == 1, err  # not 0: the record is incomplete
        assert_no_traceback(result.stderr)
        assert "incomplete" in err and "disk is full" in err, err
        events = parse_events(result.stdout)
        sid = events[0]["session_id"]
        finished = events[-1]
        assert finished["event"] == "session_finished" and finished["status"] == "failed"
        assert finished["error"]["type"] == "RecordIncomplete"
        spill = Path(re.search(r"saved to (\S+\.jsonl)", err).group(1))  # type: ignore[union-attr]
        try:
            spilled = [json.loads(line)[3] for line in spill.read_text().splitlines()]
        finally:
            spill.unlink()
        (mount / "filler").unlink()
        with SQLiteSessionStore(store_path(project)) as store:
            stored = [line.message for line in store.logs(sid)]
            # failed; or crashed when not even the final status fitted (reaped: pid gone)
            assert store.get_session(sid).status in ("failed", "crashed")
    kept = stored + spilled
    burst = [m for m in kept if m.startswith("burst line ")]
    assert len(burst) == BURST and len(set(burst)) == BURST  # each once, none lost
    streamed = [e["message"] for e in events if e["event"] == "log"]
    assert sorted(kept) == sorted(streamed)  # the same lines, once each
    # in the node's order, store first, then the spill file (the recorder's own warning, logged
    # from its thread, may sit a line apart in the two: two threads' lines are not ordered)
    assert burst == [m for m in streamed if m.startswith("burst line ")]
    fault_report(
        "store files",
        "disk fills during a run (2 MB tmpfs, 600 kB free; a node logs 30,000 lines after 0.5 s)",
        detail=f"exit 1, 'record … is incomplete' on stderr, status failed (RecordIncomplete); "
        f"{len(stored)} lines stored, {len(spilled)} saved to a 0600 file in the temp dir: "
        "30,000/30,000 kept, in order",
    )


def test_os_exit_in_the_last_node_blames_it_and_keeps_the_rest(
    fault_project: Path, fault_report
) -> None:
    result = run_cli("run", "--events", "json", "--pipeline", "exitlate", cwd=fault_project)
    assert result.returncode == 3
    err = result.stderr.decode()
    assert "while node 'last_exits' was running" in err, err
    events = parse_events(result.stdout)
    sid = events[0]["session_id"]
    with SQLiteSessionStore(store_path(fault_project), readonly=True) as store:
        record = store.get_session(sid)
        nodes = {n.name: n.status for n in store.nodes(sid)}
        stored = [line.message for line in store.logs(sid)]
    assert record.status == "crashed" and "last_exits" in record.error["message"]
    assert nodes == {
        "fast_1": "succeeded",
        "fast_2": "succeeded",
        "fast_3": "succeeded",
        "last_exits": "crashed",
    }
    streamed = [e["message"] for e in events if e["event"] == "log"]
    assert stored[: len(streamed)] == streamed  # everything the stream had, at least
    assert sum("step line" in m for m in stored) == 15
    fault_report(
        "misbehaving nodes",
        "os._exit(3) in the last node of a fast chain (the recorder had not flushed since the "
        "first node)",
        detail="the error and the store name 'last_exits'; earlier nodes succeeded, it crashed; "
        "every line streamed is stored",
    )


def test_os_exit_beside_a_stored_success_keeps_it_a_success(
    fault_project: Path, fault_report
) -> None:
    """The crash witness hears of a status before the store does: a node that crashes the
    process once the store shows its sibling succeeded must not turn that success back into a
    crash (the witness writes what it knows over the store's rows)."""
    result = run_cli(
        "run",
        "--events",
        "json",
        "--pipeline",
        "exitbeside",
        "--runner",
        "thread",
        cwd=fault_project,
    )
    assert result.returncode == 3, result.stderr.decode()
    assert "while node 'exit_once_stored' was running" in result.stderr.decode()
    sid = parse_events(result.stdout)[0]["session_id"]
    with SQLiteSessionStore(store_path(fault_project), readonly=True) as store:
        nodes = {n.name: n.status for n in store.nodes(sid)}
        stored = [line.message for line in store.logs(sid)]
    assert nodes == {"quick": "succeeded", "exit_once_stored": "crashed"}
    assert sum("step line" in m for m in stored) == 5
    fault_report(
        "misbehaving nodes",
        "os._exit(3) in a thread-runner node once the store shows its sibling succeeded",
        detail="the sibling stays succeeded, the node that ended the process is the crashed one",
    )


def test_os_exit_after_a_flood_keeps_every_line_once(fault_project: Path, fault_report) -> None:
    """40,000 lines fill the crash witness's shared region several times before the next node
    calls os._exit: the record has each of them once, in order (none twice from a region the
    watcher had already been handed through the pipe)."""
    count = 40_000
    result = run_cli(
        "run",
        "--events",
        "json",
        "--pipeline",
        "floodexit",
        "--params",
        f"burst.pause=0,burst.lines={count}",
        cwd=fault_project,
    )
    assert result.returncode == 3
    assert "while node 'exits_after_flood' was running" in result.stderr.decode()
    events = parse_events(result.stdout)
    sid = events[0]["session_id"]
    with SQLiteSessionStore(store_path(fault_project), readonly=True) as store:
        nodes = {n.name: n.status for n in store.nodes(sid)}
        stored = [line.message for line in store.logs(sid)]
    assert nodes == {"flood": "succeeded", "exits_after_flood": "crashed"}
    flood = [m for m in stored if m.startswith("burst line ")]
    assert flood == [f"burst line {i} of {count}" for i in range(count)]
    streamed = [e["message"] for e in events if e["event"] == "log"]
    assert stored[: len(streamed)] == streamed
    fault_report(
        "misbehaving nodes",
        f"os._exit(3) in the node after one that logged {count:,} lines (the crash witness's "
        "shared region filled and was passed on several times)",
        detail=f"all {count:,} lines stored once, in order; the flood node succeeded, the next "
        "one crashed",
    )
