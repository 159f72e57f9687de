"""Following a live session from the store (framework.follow, framework.live) with real runs."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from live_project import make_live_project, start_run, wait_for
from proj_tui.framework.events import (
    Event,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
)
from proj_tui.framework.follow import SessionFollower
from proj_tui.framework.live import live_sessions
from proj_tui.framework.project import open_store
from proj_tui.framework.store import SQLiteSessionStore, StoreError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_live_project(tmp_path / "proj")


def _drain(follower: SessionFollower, until: type | None = None) -> list[Event]:
    """Poll until the follower ended (or an event of type ``until`` came)."""
    events: list[Event] = []

    def step() -> bool:
        events.extend(follower.poll())
        return follower.ended or (until is not None and any(isinstance(e, until) for e in events))

    wait_for(step, timeout=120, what="the follower's events")
    return events


def _the_live_one(project: Path) -> str:
    def find() -> str | None:
        if not (project / ".proj-tui" / "sessions.db").exists():
            return None
        with open_store(project) as store:
            live = live_sessions(store)
        return live[0].session_id if live else None

    return wait_for(find, what="a live session")


def test_a_follower_attached_mid_run_gets_every_new_line_once_in_order(
    project: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    proc = start_run(project, "--pipeline", "gated", "--params", f"live.gate={gate}")
    try:
        sid = _the_live_one(project)
        store = SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True)
        wait_for(
            lambda: any("waiting for the gate" in ln.message for ln in store.logs(sid)),
            what="the run to reach the gate",
        )
        follower = SessionFollower(store, sid, tail=3)
        first = follower.poll()
        assert isinstance(first[0], SessionStarted)
        assert first[0].nodes == ["first", "wait_for_gate", "last"]
        assert first[0].pipeline == "gated"
        assert not follower.ended
        gate.touch()  # now the run goes on
        events = first + _drain(follower)
    finally:
        gate.touch()
        proc.wait(timeout=120)
    assert proc.returncode == 0
    stored = [ln.message for ln in store.logs(sid)]
    got = [e.message for e in events if isinstance(e, LogMessage)]
    at_gate = stored.index("waiting for the gate")
    assert got == stored[at_gate - 2 :]  # the last 3 lines stored at attach time, then the rest
    assert [e.session_id for e in events if isinstance(e, LogMessage)] == [sid] * len(got)
    started = [e.node for e in events if isinstance(e, NodeStarted)]
    finished = [e.node for e in events if isinstance(e, NodeFinished)]
    assert started == finished == ["first", "wait_for_gate", "last"]
    assert isinstance(events[-1], SessionFinished) and events[-1].status == "succeeded"
    assert sum(isinstance(e, SessionFinished) for e in events) == 1
    assert follower.poll() == [] and follower.ended
    store.close()


def test_following_a_flood_from_the_start_loses_and_repeats_nothing(project: Path) -> None:
    proc = start_run(project, "--pipeline", "flood", "--params", "live.flood=30000")
    try:
        sid = _the_live_one(project)
        with open_store(project) as store:
            follower = SessionFollower(store, sid, tail=None, batch=4000)
            events = _drain(follower)
    finally:
        proc.wait(timeout=120)
    got = [e.message for e in events if isinstance(e, LogMessage)]
    floods = [m for m in got if m.startswith("flood ")]
    assert floods == [f"flood {i}" for i in range(30000)]
    with open_store(project) as store:
        assert got == [ln.message for ln in store.logs(sid)]
    assert isinstance(events[0], SessionStarted)
    assert isinstance(events[-1], SessionFinished) and events[-1].status == "succeeded"


def test_a_finished_session_is_told_whole_at_once(project: Path) -> None:
    proc = start_run(project, "--pipeline", "flood", "--params", "live.flood=10")
    assert proc.wait(timeout=120) == 0
    with open_store(project, readonly=True) as store:
        [summary] = store.list_sessions()
        follower = SessionFollower(store, summary.session_id, tail=4)
        events = follower.poll()
        lines = [ln.message for ln in store.logs(summary.session_id)]
    assert follower.ended
    assert [e.message for e in events if isinstance(e, LogMessage)] == lines[-4:]
    assert [type(e) for e in events if not isinstance(e, LogMessage)] == [
        SessionStarted,
        NodeStarted,
        NodeFinished,
        SessionFinished,
    ]
    finished = events[-1]
    assert isinstance(finished, SessionFinished)
    assert finished.status == "succeeded" and finished.duration is not None


def test_a_sigkilled_run_ends_its_follower_as_crashed(project: Path) -> None:
    proc = start_run(project, "--pipeline", "hang")
    sid = _the_live_one(project)
    with open_store(project) as store:
        follower = SessionFollower(store, sid, check_interval=0.05)
        _drain(follower, until=NodeStarted)
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its watchdog: nobody writes again
        proc.wait(timeout=30)
        events = _drain(follower)
        assert store.get_session(sid).status == "crashed"
    assert isinstance(events[-1], SessionFinished) and events[-1].status == "crashed"
    assert [e.node for e in events if isinstance(e, NodeFailed)] == ["hang"]  # the node it died in


def test_an_unknown_session_is_refused_with_a_suggestion(project: Path) -> None:
    proc = start_run(project, "--pipeline", "flood", "--params", "live.flood=1")
    assert proc.wait(timeout=120) == 0
    with open_store(project) as store:
        [summary] = store.list_sessions()
        with pytest.raises(StoreError, match="Did you mean"):
            SessionFollower(store, summary.session_id[:-3])


def test_live_sessions_lists_only_the_running_newest_first(project: Path) -> None:
    done = start_run(project, "--pipeline", "flood", "--params", "live.flood=1")
    assert done.wait(timeout=120) == 0
    first = start_run(project, "--pipeline", "hang")
    try:
        one = _the_live_one(project)
        second = start_run(project, "--pipeline", "hang")
        try:

            def both() -> list[str] | None:
                with open_store(project, readonly=True) as store:
                    ids = [s.session_id for s in live_sessions(store)]
                return ids if len(ids) == 2 else None

            ids = wait_for(both, what="two live sessions")
            assert ids[1] == one and ids[0] > one  # newest first
            with open_store(project) as store:
                [live] = [s for s in live_sessions(store) if s.session_id == one]
            assert live.pid == first.pid and live.here and live.pipeline == "hang"
            assert live.command is not None and "--pipeline hang" in live.command
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(timeout=30)
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    with open_store(project) as store:
        assert live_sessions(store) == []  # the cancelled one and the killed (reaped) one


def test_node_rows_are_told_once_each_also_when_stored_late(tmp_path: Path) -> None:
    from proj_tui.framework.store import NodeRun

    with SQLiteSessionStore(tmp_path / "sessions.db") as store:
        sid = store.create_session({"pipeline": "p"})  # this process: alive, so running
        follower = SessionFollower(store, sid)
        assert [type(e) for e in follower.poll()] == [SessionStarted]
        store.record_nodes(sid, [NodeRun("a", "running", 100.0)])
        assert [(type(e), e.node) for e in follower.poll()] == [(NodeStarted, "a")]
        store.record_nodes(
            sid, [NodeRun("a", "succeeded", 100.0, 101.0), NodeRun("b", "running", 101.0)]
        )
        assert [(type(e), e.node) for e in follower.poll()] == [
            (NodeFinished, "a"),
            (NodeStarted, "b"),
        ]
        # a row a parallel runner's flush stored late, stamped before the newest seen
        store.record_nodes(sid, [NodeRun("c", "succeeded", 95.0, 99.0)])
        assert [(type(e), e.node) for e in follower.poll()] == [
            (NodeStarted, "c"),
            (NodeFinished, "c"),
        ]
        store.record_nodes(sid, [NodeRun("b", "failed", 101.0, 102.0, "ValueError: bad")])
        store.finish_session(sid, "failed", error={"type": "ValueError", "message": "bad"})
        events = follower.poll()
    assert [type(e) for e in events] == [NodeFailed, SessionFinished]
    failed, finished = events
    assert isinstance(failed, NodeFailed) and failed.error.describe() == "ValueError: bad"
    assert isinstance(finished, SessionFinished) and finished.status == "failed"
    assert finished.error is not None and finished.error.message == "bad" and follower.ended


def test_a_follower_marks_the_session_and_removes_the_mark_at_its_end(tmp_path: Path) -> None:
    from proj_tui.framework import followers

    with SQLiteSessionStore(tmp_path / "sessions.db") as store:
        sid = store.create_session({"pipeline": "p"})
        mark = followers.mark_for(store, sid)
        assert mark == tmp_path / "followers" / sid and not mark.exists()
        follower = SessionFollower(store, sid)
        follower.poll()
        assert followers.fresh(mark, time.time())  # the run's recorder sees a follower
        store.finish_session(sid, "succeeded")
        follower.poll()
        assert follower.ended and not mark.exists()


def test_a_followed_run_stores_its_lines_without_waiting_for_its_own_interval(
    tmp_path: Path,
) -> None:
    import logging

    from proj_tui.framework import followers
    from proj_tui.framework.recorder import Recorder
    from proj_tui.framework.redact import Redactor

    with SQLiteSessionStore(tmp_path / "sessions.db") as store:
        sid = store.create_session({"pipeline": "p"})
        mark = followers.mark_for(store, sid)
        assert mark is not None
        followers.touch(mark)  # a follower is there
        recorder = Recorder(store, sid, Redactor(()), flush_interval=3600.0)
        recorder.start()
        try:
            record = logging.LogRecord("n", logging.INFO, __file__, 1, "seen", None, None)
            recorder.log(record, "seen")
            # unfollowed, the line would wait an hour (or until stop) to be stored
            wait_for(lambda: [ln.message for ln in store.logs(sid)] == ["seen"], what="the line")
        finally:
            assert recorder.stop() is None
        assert not mark.exists()  # the run ended: nobody follows it any more
