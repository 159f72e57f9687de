"""The supervisor against real child processes: streaming, batching, crashes and cancellation."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from proj_tui.framework.events import (
    LogMessage,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    StartError,
)
from proj_tui.tui.supervisor import (
    Event,
    EventInbox,
    ProcessExited,
    RunState,
    Supervisor,
    parse_event,
    parse_lines,
)

FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]


def supervise(tmp_path: Path, mode: str, *, cancel_after: float | None = None, grace: float = 3.0):
    batches: list[list[Event]] = []
    sup = Supervisor(
        [*FAKE_CLI, "run"],
        cwd=tmp_path,
        on_batch=batches.append,
        env_vars={"FAKE_RUN": mode},
        grace=grace,
    )
    sup.start()
    if cancel_after is not None:
        threading.Timer(cancel_after, sup.cancel).start()
    returncode = sup.run()
    state = RunState()
    events = [e for batch in batches for e in batch]
    for event in events:
        state.apply(event)
    return returncode, events, state, batches


def test_a_successful_run(tmp_path: Path) -> None:
    rc, events, state, _ = supervise(tmp_path, "succeed")
    assert rc == 0 and state.status == "succeeded" and state.completed == 4
    assert isinstance(events[-1], ProcessExited) and events[-1].finished
    assert next(r.message for r in events if isinstance(r, LogMessage)) == "running ingest"


def test_a_failed_run_keeps_the_error_and_resume_command(tmp_path: Path) -> None:
    rc, _, state, _ = supervise(tmp_path, "fail")
    assert rc == 1 and state.status == "failed"
    assert state.error == "ValueError: lr must be positive"
    assert state.resume == "proj-tui run --from-nodes train"
    # the node it never reached did not run, as the store records it ("skipped" is for a run
    # that succeeded without it)
    assert state.nodes["train"].status == "failed" and state.nodes["report"].status == "not_run"


@pytest.mark.parametrize(("mode", "how"), [("crash", "exit code 3"), ("segfault", "SIGSEGV")])
def test_a_process_that_dies_is_a_failed_session(tmp_path: Path, mode: str, how: str) -> None:
    rc, events, state, _ = supervise(tmp_path, mode)
    assert rc != 0 and state.status == "failed" and how in (state.error or "")
    assert state.nodes["train"].status == "failed"
    if mode == "crash":
        assert any(isinstance(e, LogMessage) and e.level == "STDERR" for e in events)


def test_cancel_sends_sigint(tmp_path: Path) -> None:
    rc, _, state, _ = supervise(tmp_path, "hang", cancel_after=0.5)
    assert rc == 130 and state.status == "cancelled"
    # the node stopped part-way (KeyboardInterrupt) is cancelled, as the store records it
    assert state.nodes["train"].status == "cancelled" and state.nodes["report"].status == "not_run"
    assert [state.nodes[n].status for n in ("ingest", "clean")] == ["succeeded"] * 2


def test_cancel_escalates_to_sigkill(tmp_path: Path) -> None:
    rc, _, state, _ = supervise(tmp_path, "stubborn", cancel_after=0.5, grace=0.3)
    # -9: killed, not left to finish (the stubborn child never exits by itself)
    assert rc == -9 and state.status == "failed" and "SIGKILL" in (state.error or "")


def test_start_error(tmp_path: Path) -> None:
    rc, events, state, _ = supervise(tmp_path, "start_error")
    assert rc == 2 and any(isinstance(e, StartError) for e in events)
    assert state.status == "failed" and "Did you mean" in (state.error or "")


def test_many_lines_arrive_in_few_batches(tmp_path: Path) -> None:
    rc, events, _, batches = supervise(tmp_path, "spam:50000")
    assert rc == 0
    assert sum(isinstance(e, LogMessage) for e in events) == 50_000
    assert len(batches) < 200  # batched, not one message per line
    assert isinstance(events[-2], SessionFinished)


def test_unknown_and_non_json_lines() -> None:
    assert parse_event(b'{"event": "future_thing", "ts": 1}') is None
    record = parse_event(b"print from a careless node")
    assert isinstance(record, LogMessage) and record.level == "STDOUT"


def _warning(event: Event | None) -> str:
    assert isinstance(event, LogMessage) and event.level == "WARNING", event
    return event.message


def test_a_malformed_event_is_reported_in_the_log_not_fatal() -> None:
    says = _warning(parse_event(b'{"event": "node_started", "ts": 1.0, "session_id": "s"}'))
    assert says.startswith("Unreadable event from the run (The 'node_started' event has no 'node'")
    assert '"event": "node_started"' in says
    assert "must be a JSON object" in _warning(parse_event(b"[1, 2]"))


def test_a_batch_keeps_going_past_bad_and_unknown_events() -> None:
    good = NodeStarted("a", 0, 1, 1.0, "s")
    lines = [
        good.to_json().encode(),
        b'{"event": "node_finished", "ts": 1.0, "session_id": "s", "node": "a"}',
        b'{"event": "from_the_future", "ts": 1.0, "session_id": "s"}',
        NodeFinished("a", 0, 1, 0.5, 2.0, "s").to_json().encode(),
    ]
    first, warning, last = parse_lines(lines)
    assert first == good and last == NodeFinished("a", 0, 1, 0.5, 2.0, "s")
    assert "has no 'index' field" in _warning(warning)
    state = RunState()
    for event in (first, warning, last):
        state.apply(event)
    assert state.nodes["a"].status == "succeeded"


def test_a_batch_reads_log_records_as_one_at_a_time_would() -> None:
    """The log records' shortcut gives what the generic path gives, bad records included."""
    lines = [
        LogMessage(1.5, "INFO", "pkg.node", "plain", "s").to_json().encode(),
        LogMessage(1.5, "ERROR", "", "two\nlines", None).to_json().encode(),
        b'{"event": "log", "ts": 1, "level": "INFO", "logger": "x", "message": "int ts",'
        b' "session_id": "s"}',
        b'{"event": "log", "ts": 1.0, "level": "INFO", "logger": "x", "session_id": "s"}',
        b'{"event": "log", "ts": 1.0, "level": 3, "logger": "x", "message": "m", "session_id": "s"}',
        NodeStarted("a", 0, 1, 1.0, "s").to_json().encode(),
    ]

    def seen(events: list[Event | None]) -> list[object]:  # a warning's ts is when it was made
        return [(e.level, e.message) if isinstance(e, LogMessage) else e for e in events if e]

    assert seen(parse_lines(lines)) == seen([parse_event(line) for line in lines])
    assert [type(e).__name__ for e in parse_lines(lines)] == [
        "LogMessage",
        "LogMessage",
        "LogMessage",
        "LogMessage",
        "LogMessage",
        "NodeStarted",
    ]
    assert "has no 'message'" in _warning(parse_lines(lines)[3])


def test_the_inbox_wakes_its_reader_once_per_drain() -> None:
    """However many batches arrive, one wake-up is pending; after an empty take, the next wakes."""
    inbox = EventInbox()
    a, b, c = (LogMessage(float(i), "INFO", "x", str(i), "s") for i in range(3))
    assert inbox.put([a]) is True  # the reader was waiting: wake it
    assert inbox.put([b]) is False  # already woken: no second message
    assert inbox.take() == [a, b]
    assert inbox.put([c]) is False  # it took something, so it comes back by itself
    assert inbox.take() == [c]
    assert inbox.take() == []  # nothing: it waits for the next put's wake-up
    assert inbox.put([a]) is True


def test_eta_from_typical_durations() -> None:
    state = RunState(planned=["a", "b", "c"], expected={"a": 1.0, "b": 2.0})
    assert state.eta(0.0) == pytest.approx(1.0 + 2.0 + 1.5)  # c unknown: mean of known


def test_the_child_runs_in_its_own_process_group(tmp_path: Path) -> None:
    sup = Supervisor(
        [*FAKE_CLI, "run"], cwd=tmp_path, on_batch=lambda b: None, env_vars={"FAKE_RUN": "hang"}
    )
    sup.start()
    assert sup.proc is not None
    try:
        assert os.getpgid(sup.proc.pid) == sup.proc.pid != os.getpgid(0)
    finally:
        sup.cancel()
        sup.run()


def test_a_long_batch_is_decoded_in_bounded_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    """No single ``json.loads`` (which keeps the GIL, and so the UI, waiting) gets more than
    ``PARSE_CHUNK`` lines, and a line that is not JSON costs only its own array the shortcut."""
    from proj_tui.tui import supervisor

    lines = [
        LogMessage(1.0, "INFO", "pkg", f"line {i}", "s").to_json().encode() for i in range(2500)
    ]
    lines[1500] = b"not json"
    arrays: list[int] = []
    loads = supervisor.json.loads

    def counted(text: str | bytes) -> object:
        value = loads(text)
        if isinstance(value, list):
            arrays.append(len(value))
        return value

    monkeypatch.setattr(supervisor.json, "loads", counted)
    events = parse_lines(lines)
    assert max(arrays) <= supervisor.PARSE_CHUNK and sum(arrays) == 2500 - supervisor.PARSE_CHUNK
    shown = [e.message for e in events if isinstance(e, LogMessage)]
    assert shown == [f"line {i}" if i != 1500 else "not json" for i in range(2500)]
