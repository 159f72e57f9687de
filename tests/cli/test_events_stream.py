"""The ``--events json`` writer: log lines written fast but exactly as the generic encoder would,
buffered, and never lost at the end of a run."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from proj_tui.cli.new import create_project
from proj_tui.cli.run import EventWriter, _log_line
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli

MESSAGES = [
    "plain",
    "",
    'quotes " and \\ backslashes',
    "two\nlines\r\n\ttabbed",
    "control \x00\x01\x1f\x7f",
    "unicode é ü 漢字 🚀 \u2028\u2029",
    "replacement \ufffd",
]


def _log_event(message: Any = "hi", **changes: Any) -> dict[str, Any]:
    event = {
        "event": "log",
        "ts": 1795560738.1354442,
        "level": "INFO",
        "logger": "taxi.nodes",
        "message": message,
        "session_id": "20261124-224954-0001",
    }
    event.update(changes)
    return event


def test_log_lines_are_the_generic_encoders_text() -> None:
    encode = EventWriter._encode
    events = [_log_event(m) for m in MESSAGES]
    events += [
        _log_event(level="Level 25", logger="ünïcode.logger"),
        _log_event(ts=0.1),
        _log_event(ts=1e22),
    ]
    for event in events:
        line = _log_line(event)
        assert line == encode(event)
        assert json.loads(line) == event


@pytest.mark.parametrize(
    "event",
    [
        _log_event(ts=math.nan),
        _log_event(ts=math.inf),
        _log_event(ts=17),
        _log_event(logger=None),
        _log_event(message=b"bytes"),
        _log_event(extra="kept"),
        {k: v for k, v in _log_event().items() if k != "level"},
    ],
)
def test_unusual_log_events_go_to_the_generic_encoder(event: dict[str, Any]) -> None:
    assert _log_line(event) is None
    out = io.StringIO()
    writer = EventWriter(out)
    writer(event)
    writer.flush()
    assert out.getvalue() == EventWriter._encode(event) + "\n"


def test_log_lines_are_batched_and_other_events_flush() -> None:
    class SlowWriter(EventWriter):
        FLUSH_INTERVAL = 60.0  # only flush() or a non-log event writes

    out = io.StringIO()
    writer = SlowWriter(out)
    writer(_log_event("one"))
    writer(_log_event("two"))
    assert out.getvalue() == ""
    writer({"event": "node_finished", "ts": 1.0, "session_id": "s", "node": "n"})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e.get("message", e["event"]) for e in lines] == ["one", "two", "node_finished"]
    writer(_log_event("three"))
    writer.flush()
    assert json.loads(out.getvalue().splitlines()[-1])["message"] == "three"


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
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    logged = [e["message"] for e in events if e["event"] == "log"]
    expected = [f"line {i} of 3000, token <redacted>" for i in range(3000)]
    assert [m for m in logged if m.startswith("line ")] == expected
    end_of_node = kinds.index("node_failed" if fail else "node_finished")
    assert kinds[:end_of_node].count("log") >= 3000  # all of them before the node's end
    assert kinds[-1] == "session_finished"
    assert events[-1]["status"] == ("failed" if fail else "succeeded")
    store = SQLiteSessionStore.for_project(spam_project)
    stored = [line.message for line in store.logs(events[0]["session_id"])]
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
            event = json.loads(line)
            if event["event"] != "log":
                continue
            messages.append(event["message"])
            if event["message"] == "about to think":
                seen.touch()
            if event["message"] in ("the reader saw it", "nobody saw it in 30 s"):
                break
        assert messages[-1] == "the reader saw it", messages
    finally:
        proc.kill()
        proc.wait(timeout=10)
