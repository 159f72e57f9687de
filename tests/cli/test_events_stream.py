"""The ``--events json`` writer: log lines buffered, other events at once, and none lost at the end
of a run (the text of each line is framework.events', tested in tests/framework/test_events.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proj_tui.cli.new import create_project
from proj_tui.cli.run import EventWriter
from proj_tui.framework.events import (
    LogMessage,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    event_from_json,
)
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli, read_events


def _log(message: str) -> LogMessage:
    return LogMessage(1795560738.1354442, "INFO", "taxi.nodes", message, "20261124-224954-0001")


def test_log_lines_are_batched_and_other_events_flush() -> None:
    class SlowWriter(EventWriter):
        FLUSH_INTERVAL = 60.0  # only flush() or a non-log event writes

    out = io.StringIO()
    writer = SlowWriter(out)
    writer(_log("one"))
    writer(_log("two"))
    assert out.getvalue() == ""
    writer(NodeStarted("n", 0, 1, 1.0, "s"))
    lines = [event_from_json(line) for line in out.getvalue().splitlines()]
    assert lines == [_log("one"), _log("two"), NodeStarted("n", 0, 1, 1.0, "s")]
    writer(_log("three"))
    writer.flush()
    assert event_from_json(out.getvalue().splitlines()[-1]) == _log("three")


def test_each_event_is_its_wire_line() -> None:
    """The writer adds batching only: each line is the event's own to_json (framework.events)."""
    events = [
        _log("plain"),
        _log("two\nlines é 🚀"),
        LogMessage(17, "INFO", "x", "an int ts takes the generic encoder", "s"),
        NodeFinished("n", 0, 1, 0.5, 1.0, "s"),
    ]
    out = io.StringIO()
    writer = EventWriter(out)
    for event in events:
        writer(event)
    writer.flush()
    assert out.getvalue() == "".join(e.to_json() + "\n" for e in events)


SPAM_NODE = """
import logging
import os

log = logging.getLogger(__name__)


def spam(n):
    token = os.environ["SPAM_API_TOKEN"]
    for i in range(n):
        log.info("line %d of %d, token %s", i, n, token)
    if os.environ.get("SPAM_FAIL"):
        raise RuntimeError("spam failed after logging")
    return n
"""

SPAM_REGISTRY = """
from proj_tui.pipeline import Pipeline, node
from {package}.spam import spam


def register_pipelines():
    return {{"__default__": Pipeline([node(spam, "params:spam_lines", "spam_done", name="spam")])}}
"""

TOKEN = "tok-0123456789-abcdef"


@pytest.fixture
def spam_project(tmp_path: Path) -> Path:
    project = create_project(tmp_path / "spam")
    package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())
    (package / "spam.py").write_text(SPAM_NODE)
    (package / "pipeline_registry.py").write_text(SPAM_REGISTRY.format(package=package.name))
    params = project / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text() + "\nspam_lines: 3000\n")
    return project


@pytest.mark.parametrize("fail", [False, True])
def test_every_line_is_streamed_and_stored_before_exit(spam_project: Path, fail: bool) -> None:
    """Buffered lines are all out (and in the store) when the process ends, a node error or not."""
    env = {"SPAM_API_TOKEN": TOKEN, "SPAM_FAIL": "1" if fail else ""}
    result = cli("run", "--project", str(spam_project), "--events", "json", env=env)
    assert result.returncode == (1 if fail else 0), result.stderr
    assert TOKEN not in result.stdout
    events = read_events(result.stdout)
    kinds = [e.KIND for e in events]
    logged = [e.message for e in events if isinstance(e, LogMessage)]
    expected = [f"line {i} of 3000, token <redacted>" for i in range(3000)]
    assert [m for m in logged if m.startswith("line ")] == expected
    end_of_node = kinds.index("node_failed" if fail else "node_finished")
    assert kinds[:end_of_node].count("log") >= 3000  # all of them before the node's end
    end = events[-1]
    assert isinstance(end, SessionFinished)
    assert end.status == ("failed" if fail else "succeeded")
    store = SQLiteSessionStore.for_project(spam_project)
    stored = [line.message for line in store.logs(end.session_id)]
    assert stored == logged


def test_a_quiet_node_does_not_hold_back_its_last_line(spam_project: Path, tmp_path: Path) -> None:
    """A line logged before a quiet spell reaches the reader while the node is still running.

    The node waits, after its line, until the reader has seen that line (a file the test makes
    once it reads it). A writer that held the line back until the node ended would make the node
    give up waiting and say so, which the test then reads instead.
    """
    seen = tmp_path / "seen"
    package = next(p for p in (spam_project / "src").iterdir() if (p / "__init__.py").exists())
    (package / "spam.py").write_text(
        "import logging, os, time\n\n"
        "def spam(n):\n"
        "    log = logging.getLogger(__name__)\n"
        "    log.info('about to think')\n"
        "    for _ in range(600):\n"
        f"        if os.path.exists({str(seen)!r}):\n"
        "            log.info('the reader saw it')\n"
        "            return n\n"
        "        time.sleep(0.05)\n"
        "    log.info('nobody saw it in 30 s')\n"
        "    return n\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proj_tui",
            "run",
            "--project",
            str(spam_project),
            "--events",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SPAM_API_TOKEN": TOKEN},
    )
    assert proc.stdout is not None
    messages: list[str] = []
    try:
        for line in proc.stdout:
            event = event_from_json(line)
            if not isinstance(event, LogMessage):
                continue
            messages.append(event.message)
            if event.message == "about to think":
                seen.touch()
            if event.message in ("the reader saw it", "nobody saw it in 30 s"):
                break
        assert messages[-1] == "the reader saw it", messages
    finally:
        proc.kill()
        proc.wait(timeout=10)
