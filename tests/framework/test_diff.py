"""The session diff: timings within run-to-run noise are not differences."""

from __future__ import annotations

from proj_tui.framework.diff import diff_sessions, same_timing
from proj_tui.framework.store import NodeRun, SessionRecord


def _record(session_id: str, took: float) -> SessionRecord:
    return SessionRecord(session_id, status="succeeded", started_at=100.0, ended_at=100.0 + took)


def _node(start: float, took: float) -> NodeRun:
    return NodeRun("clean", "succeeded", started_at=start, ended_at=start + took)


def test_ten_milliseconds_apart_is_the_same_timing() -> None:
    rows = diff_sessions(
        _record("a", 0.604), _record("b", 0.617), [_node(1.0, 0.604)], [_node(5.0, 0.617)]
    )
    changed = [(r.section, r.key) for r in rows if r.changed]
    assert changed == []


def test_a_real_slowdown_is_a_difference() -> None:
    rows = diff_sessions(_record("a", 0.6), _record("b", 1.2), [_node(1.0, 0.6)], [_node(5.0, 1.2)])
    changed = {(r.section, r.key) for r in rows if r.changed}
    assert changed == {("session", "duration"), ("node time (s)", "clean")}


def test_the_slack_grows_with_the_timing() -> None:
    assert same_timing(0.01, 0.05)
    assert not same_timing(0.1, 0.2)
    assert same_timing(10.0, 10.8)  # 8 % of a 10 s node is noise
    assert not same_timing(10.0, 12.0)


def test_a_timing_on_one_side_only_is_a_difference() -> None:
    rows = diff_sessions(_record("a", 1.0), _record("b", 1.0), [_node(1.0, 0.5)], [])
    assert [(r.section, r.key) for r in rows if r.changed] == [
        ("nodes", "clean"),
        ("node time (s)", "clean"),
    ]


def test_nodes_are_compared_in_the_order_they_ran() -> None:
    """Not by name: 'train' before 'clean' read the pipeline backwards."""
    ran = [
        NodeRun("ingest", "succeeded", started_at=1.0, ended_at=2.0),
        NodeRun("clean", "succeeded", started_at=2.0, ended_at=3.0),
        NodeRun("aggregate", "succeeded", started_at=3.0, ended_at=4.0),
    ]
    extra = NodeRun("report", "succeeded", started_at=4.5, ended_at=5.0)
    rows = diff_sessions(_record("a", 4.0), _record("b", 5.0), ran, [extra, *ran[::-1]])
    assert [r.key for r in rows if r.section == "nodes"] == [
        "ingest",
        "clean",
        "aggregate",
        "report",
    ]
