"""The recorder: what a log record or a runner's node report becomes in the store and for
listeners, and when."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from proj_tui.framework.events import (
    ErrorSummary,
    Event,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
)
from proj_tui.framework.recorder import Recorder, RecordingHandler, _MessageFormatter
from proj_tui.framework.redact import Redactor
from proj_tui.framework.store import LogLine, NodeRun
from proj_tui.pipeline import node

SECRET = "hunter2-very-secret"


class ListStore:
    """Just enough of a session store: keeps the appended log lines."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.nodes: list[NodeRun] = []

    def append_logs(self, session_id: str, lines: list[LogLine]) -> None:
        self.lines.extend(lines)

    def record_nodes(self, session_id: str, nodes: list[NodeRun]) -> None:
        self.nodes.extend(nodes)

    def heartbeat(self, session_id: str) -> None:
        pass


class BufferingListener:
    """Like the CLI's event writer: events are "written" only when flushed."""

    def __init__(self) -> None:
        self.pending: list[Event] = []
        self.written: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self.lock:
            self.pending.append(event)

    def flush(self) -> None:
        with self.lock:
            self.written += self.pending
            self.pending.clear()


@pytest.fixture
def recording() -> Iterator[tuple[logging.Logger, Recorder, ListStore]]:
    store = ListStore()
    recorder = Recorder(store, "sid-1", Redactor([SECRET]))  # type: ignore[arg-type]
    handler = RecordingHandler(recorder)
    logger = logging.getLogger("proj_tui_test_recorder")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield logger, recorder, store
    finally:
        logger.removeHandler(handler)
        recorder.stop()


def test_every_line_is_stored_and_forwarded_in_order(
    recording: tuple[logging.Logger, Recorder, ListStore],
) -> None:
    logger, recorder, store = recording
    events: list[Event] = []
    recorder.listeners.append(events.append)
    for i in range(500):
        logger.info("line %d, token %s", i, SECRET)
    logger.debug("below the handler's level")  # the handler records INFO and up
    logger.warning("bad bytes \udcff here")
    recorder.flush()
    expected = [f"line {i}, token <redacted>" for i in range(500)] + ["bad bytes \ufffd here"]
    assert [line.message for line in store.lines] == expected
    assert [e.message for e in events if isinstance(e, LogMessage)] == expected
    assert len(events) == len(expected)
    last = events[-1]
    assert last == LogMessage(
        store.lines[-1].ts, "WARNING", "proj_tui_test_recorder", expected[-1], "sid-1"
    )


def test_tracebacks_are_part_of_the_message(
    recording: tuple[logging.Logger, Recorder, ListStore],
) -> None:
    logger, recorder, store = recording
    try:
        raise ValueError(f"cannot connect with {SECRET}")
    except ValueError:
        logger.exception("query failed")
    recorder.flush()
    [line] = store.lines
    assert line.message.startswith("query failed\nTraceback (most recent call last):")
    assert "ValueError: cannot connect with <redacted>" in line.message
    assert SECRET not in line.message


def test_message_formatter_matches_the_plain_formatter() -> None:
    plain, lean = logging.Formatter("%(message)s"), _MessageFormatter()
    try:
        raise KeyError("k")
    except KeyError:
        import sys

        exc_info = sys.exc_info()
    records = [
        logging.LogRecord("a", logging.INFO, __file__, 1, "%s and %d", ("x", 2), None),
        logging.LogRecord("a", logging.INFO, __file__, 1, {"not": "a template"}, None, None),
        logging.LogRecord("a", logging.ERROR, __file__, 1, "failed\n", None, exc_info),
        logging.LogRecord("a", logging.ERROR, __file__, 1, "here", None, None, sinfo="Stack:\n x"),
    ]
    for record in records:
        assert lean.format(record) == plain.format(record)
        assert lean.format(record) == plain.format(record)  # again, with exc_text cached


def test_handler_filters_still_apply(recording: tuple[logging.Logger, Recorder, ListStore]) -> None:
    logger, recorder, store = recording
    [handler] = logger.handlers
    handler.addFilter(lambda record: "skip" not in record.getMessage())
    logger.info("keep me")
    logger.info("skip me")
    recorder.flush()
    assert [line.message for line in store.lines] == ["keep me"]


def test_buffering_listener_is_flushed_without_another_event() -> None:
    """A last line before a quiet spell reaches a buffering listener within the flush interval."""
    store = ListStore()
    recorder = Recorder(
        store,  # type: ignore[arg-type]
        "sid-2",
        Redactor(),
        flush_interval=30.0,  # the store flush never comes during the test
        listener_flush_interval=0.02,
    )
    listener = BufferingListener()
    recorder.listeners.append(listener)
    handler = RecordingHandler(recorder)
    logger = logging.getLogger("proj_tui_test_recorder_quiet")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    recorder.start()
    try:
        logger.info("the last line for a while")
        deadline = time.monotonic() + 5
        while not listener.written and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [e.message for e in listener.written if isinstance(e, LogMessage)] == [
            "the last line for a while"
        ]  # type: ignore[union-attr]
        assert store.lines == []  # the store is written on its own, slower, schedule
    finally:
        logger.removeHandler(handler)
        recorder.stop()
    assert [line.message for line in store.lines] == ["the last line for a while"]


def test_node_reports_become_events_and_stored_node_runs() -> None:
    """The recorder as the runner's listener: each report is one event and one node row."""
    store = ListStore()
    recorder = Recorder(store, "sid-3", Redactor([SECRET]))  # type: ignore[arg-type]
    events: list[Event] = []
    recorder.listeners.append(events.append)
    good = node(lambda x: x, "a", "b", name="good")
    bad = node(lambda x: x, "b", "c", name="bad")
    recorder.plan(["good", "bad"])
    recorder.node_started(good, 0, 2)
    recorder.node_finished(good, 0, 2, 0.25)
    recorder.node_started(bad, 1, 2)
    recorder.node_failed(bad, 1, 2, 0.5, ValueError(f"cannot use {SECRET}"))
    recorder.flush()
    ts = [e.ts for e in events]
    assert events == [
        NodeStarted("good", 0, 2, ts[0], "sid-3"),
        NodeFinished("good", 0, 2, 0.25, ts[1], "sid-3"),
        NodeStarted("bad", 1, 2, ts[2], "sid-3"),
        NodeFailed(
            "bad", 1, 2, 0.5, ErrorSummary("ValueError", "cannot use <redacted>"), ts[3], "sid-3"
        ),
    ]
    runs = {run.name: run for run in recorder.node_runs()}
    assert runs["good"].status == "succeeded" and runs["good"].started_at == ts[0]
    assert runs["good"].ended_at == ts[1]
    assert runs["bad"].status == "failed"
    assert runs["bad"].error == "ValueError: cannot use <redacted>"
    assert [run.status for run in store.nodes][-2:] == ["succeeded", "failed"]
