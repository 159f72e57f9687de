"""The typed event stream: every event survives the wire, the wire text is what the stream has
always been, malformed objects are refused with a reason, and docs/events.md matches the module."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework import events as ev
from proj_tui.framework.events import (
    EVENT_TYPES,
    ErrorDetail,
    ErrorSummary,
    Event,
    EventFormatError,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
    StartError,
    event_from_dict,
    event_from_json,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
SID = "2026-11-24T19.04.33.496Z"
TS = 1795560738.1354442

SAMPLES: list[Event] = [
    SessionStarted(
        session_id=SID,
        project_path="/p",
        package_name="taxi",
        env="local",
        pipeline="__default__",
        runner="SequentialRunner",
        runtime_params={"a": {"b": 1}},
        nodes=["n1", "n2"],
        pid=42,
        ts=TS,
    ),
    NodeStarted("n1", 0, 3, TS, SID),
    NodeFinished("n1", 0, 3, 0.25, TS, SID),
    NodeFailed("n1", 0, 3, 0.5, ErrorSummary("ValueError", "bad ü"), TS, SID),
    LogMessage(1795560738.25, "INFO", "taxi.nodes", "hello ü", SID),
    SessionFinished(
        session_id=SID,
        status="failed",
        duration=1.5,
        error=ErrorDetail("ValueError", "bad", "Traceback ..."),
        resume="proj-tui run --from-nodes n1",
        ts=TS,
    ),
    SessionFinished(
        session_id=SID, status="crashed", duration=None, error=None, resume=None, ts=TS
    ),
    StartError("Unknown pipeline 'x'.", "conf/base/catalog.yml:3:1", 1795560738.5),
]

# What the producers wrote before the stream had a schema (the dict literals of session.py,
# recorder.py and cli/run.py through the --events json writer), for the samples above.
WIRE = [
    '{"event": "session_started", "v": 1, "project_path": "/p", "package_name": "taxi", '
    '"env": "local", "pipeline": "__default__", "runner": "SequentialRunner", '
    '"runtime_params": {"a": {"b": 1}}, "nodes": ["n1", "n2"], "pid": 42, '
    f'"ts": 1795560738.1354442, "session_id": "{SID}"}}',
    '{"event": "node_started", "ts": 1795560738.1354442, "node": "n1", "index": 0, "total": 3, '
    f'"session_id": "{SID}"}}',
    '{"event": "node_finished", "ts": 1795560738.1354442, "node": "n1", "index": 0, "total": 3, '
    f'"duration": 0.25, "session_id": "{SID}"}}',
    '{"event": "node_failed", "ts": 1795560738.1354442, "node": "n1", "index": 0, "total": 3, '
    '"duration": 0.5, "error": {"type": "ValueError", "message": "bad ü"}, '
    f'"session_id": "{SID}"}}',
    '{"event": "log", "ts": 1795560738.25, "level": "INFO", "logger": "taxi.nodes", '
    f'"message": "hello ü", "session_id": "{SID}"}}',
    '{"event": "session_finished", "status": "failed", "duration": 1.5, "error": {"type": '
    '"ValueError", "message": "bad", "traceback": "Traceback ..."}, "resume": '
    f'"proj-tui run --from-nodes n1", "ts": 1795560738.1354442, "session_id": "{SID}"}}',
    '{"event": "session_finished", "status": "crashed", "duration": null, "error": null, '
    f'"resume": null, "ts": 1795560738.1354442, "session_id": "{SID}"}}',
    '{"event": "error", "ts": 1795560738.5, "session_id": null, "message": "Unknown pipeline '
    """'x'.", "location": "conf/base/catalog.yml:3:1"}""",
]


def _field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_every_event_kind_has_a_sample() -> None:
    assert {type(e) for e in SAMPLES} == set(EVENT_TYPES.values())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.KIND)
def test_round_trip_through_the_wire(event: Event) -> None:
    data = event.to_dict()
    assert data["event"] == event.KIND
    assert set(data) == {"event"} | _field_names(type(event))
    back = event_from_json(event.to_json())
    assert back == event and type(back) is type(event)
    assert type(event).from_dict(json.loads(json.dumps(data))) == event


@pytest.mark.parametrize(("event", "line"), list(zip(SAMPLES, WIRE, strict=True)))
def test_the_wire_text_is_unchanged(event: Event, line: str) -> None:
    assert event.to_json() == line


# -- the log line's own encoder ------------------------------------------------------------------

MESSAGES = [
    "plain",
    "",
    'quotes " and \\ backslashes',
    "two\nlines\r\n\ttabbed",
    "control \x00\x01\x1f\x7f",
    "unicode é ü 漢字 🚀 \u2028\u2029",
    "replacement \ufffd",
]


def _log(message: Any = "hi", **changes: Any) -> LogMessage:
    return dataclasses.replace(
        LogMessage(TS, "INFO", "taxi.nodes", message, "20261124-224954-0001"), **changes
    )


@pytest.mark.parametrize(
    "event",
    [
        *(_log(m) for m in MESSAGES),
        _log(level="Level 25", logger="ünïcode.logger"),
        _log(ts=0.1),
        _log(ts=1e22),
    ],
)
def test_log_lines_are_the_generic_encoders_text(event: LogMessage) -> None:
    line = event.to_json()
    assert line == ev._encode(event.to_dict())
    assert event_from_json(line) == event


@pytest.mark.parametrize(
    "event",
    [
        _log(ts=math.nan),
        _log(ts=math.inf),
        _log(ts=17),
        _log(logger=None),
        _log(message=b"bytes"),
        _log(session_id=None),
    ],
)
def test_unusual_log_values_take_the_generic_encoder(event: LogMessage) -> None:
    assert event.to_json() == ev._encode(event.to_dict())


def test_a_log_line_without_a_session_reads_back() -> None:
    event = _log(session_id=None)
    assert event_from_json(event.to_json()) == event


# -- what readers refuse, and what they skip -----------------------------------------------------


def test_an_unknown_kind_is_skipped_and_unknown_fields_are_ignored() -> None:
    assert event_from_dict({"event": "future_thing", "ts": 1.0, "session_id": SID}) is None
    data = {**SAMPLES[1].to_dict(), "added_later": [1, 2]}
    assert event_from_dict(data) == SAMPLES[1]


def test_an_integer_timestamp_is_a_float() -> None:
    event = event_from_dict({**SAMPLES[4].to_dict(), "ts": 17})
    assert isinstance(event, LogMessage) and event.ts == 17.0 and type(event.ts) is float


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            {**SAMPLES[1].to_dict(), "index": "0"},
            "'node_started' event's 'index' must be an integer",
        ),
        ({**SAMPLES[1].to_dict(), "index": True}, "'index' must be an integer"),
        ({k: v for k, v in SAMPLES[2].to_dict().items() if k != "duration"}, "no 'duration'"),
        ({**SAMPLES[3].to_dict(), "error": "ValueError: bad"}, "'error' must be an object"),
        ({**SAMPLES[3].to_dict(), "error": {"type": "E"}}, "has no 'message' field"),
        ({**SAMPLES[4].to_dict(), "message": None}, "'log' event's 'message' must be a string"),
        ({k: v for k, v in SAMPLES[4].to_dict().items() if k != "ts"}, "'log' event has no 'ts'"),
        ({**SAMPLES[0].to_dict(), "nodes": ["a", 1]}, "'nodes' must be a list of strings"),
        ({**SAMPLES[0].to_dict(), "runtime_params": []}, "'runtime_params' must be an object"),
        ({**SAMPLES[5].to_dict(), "duration": "1s"}, "'duration' must be a number"),
        ({**SAMPLES[7].to_dict(), "session_id": SID}, "'session_id' must be null"),
        ({"ts": 1.0}, "must have an 'event' field"),
        ({"event": 3}, "must have an 'event' field"),
    ],
)
def test_a_malformed_event_says_what_is_wrong(data: dict[str, Any], says: str) -> None:
    with pytest.raises(EventFormatError, match=re.escape(says)):
        event_from_dict(data)


@pytest.mark.parametrize("line", ["[1, 2]", "3", "not json", '{"event": "log"'])
def test_a_line_that_is_not_an_object_is_refused(line: str) -> None:
    with pytest.raises(EventFormatError):
        event_from_json(line)


def test_from_dict_of_one_class_refuses_another_kind() -> None:
    with pytest.raises(EventFormatError, match="Expected a 'node_finished' event"):
        NodeFinished.from_dict(SAMPLES[1].to_dict())
    with pytest.raises(EventFormatError, match="Expected a 'log' event"):
        LogMessage.from_dict({**SAMPLES[4].to_dict(), "event": "lag"})


def test_errors_describe_themselves_as_the_app_shows_them() -> None:
    assert ErrorSummary("ValueError", "bad").describe() == "ValueError: bad"
    assert ErrorDetail("", "no type", None).describe() == "no type"


# -- docs/events.md ------------------------------------------------------------------------------


def _strip_parentheses(text: str) -> str:
    while True:
        stripped = re.sub(r"\([^()]*\)", "", text)
        if stripped == text:
            return text
        text = stripped


def _documented() -> tuple[set[str], dict[str, str]]:
    """The fields every event has, and each event's row of further fields."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("Every object has ")
    sentence = _strip_parentheses(text[start : text.index("\n\n", start)]).split(".")[0]
    common = set(re.findall(r"`(\w+)`", sentence))
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", text, re.M))
    return common, rows


def test_docs_name_the_fields_every_event_has() -> None:
    common, _ = _documented()
    assert common == {"event", "ts", "session_id"}
    for cls in EVENT_TYPES.values():
        assert common - {"event"} <= _field_names(cls), cls.__name__


def test_docs_list_every_event_and_nothing_else() -> None:
    _, rows = _documented()
    assert sorted(rows) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_docs_list_every_field_of_an_event_and_nothing_else(kind: str) -> None:
    _, rows = _documented()
    cls = EVENT_TYPES[kind]
    documented = set(re.findall(r"`(\w+)`", _strip_parentheses(rows[kind])))
    assert documented == _field_names(cls) - {"ts", "session_id"}
    # nested payloads, written `field` (`{a, b}`), against their classes
    hints = typing.get_type_hints(cls)
    payloads = {
        name: arg
        for name, hint in hints.items()
        for arg in (typing.get_args(hint) or (hint,))
        if dataclasses.is_dataclass(arg)
    }
    shapes = dict(re.findall(r"`(\w+)` \(`\{([^}]*)\}`", rows[kind]))
    assert set(shapes) == set(payloads)
    for name, shape in shapes.items():
        assert {part.strip() for part in shape.split(",")} == _field_names(payloads[name])
