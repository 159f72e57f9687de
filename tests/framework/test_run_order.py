"""Node runs in run order: started ones by start time, the rest in the plan's order."""

from __future__ import annotations

from proj_tui.framework.run_order import in_run_order, plan_order
from proj_tui.framework.store import NodeRun, SessionRecord


def _record(plan: list[str] | None) -> SessionRecord:
    extra = {}
    if plan is not None:
        extra["fingerprints"] = {"v": 3, "nodes": "\n".join(f"{n}\tabcd1234" for n in plan)}
    return SessionRecord("s", extra=extra)


def test_unstarted_nodes_follow_the_plan_not_the_alphabet() -> None:
    runs = [
        NodeRun("b_second", "failed", started_at=2.0, ended_at=2.5),
        NodeRun("a_first", "succeeded", started_at=1.0, ended_at=2.0),
        NodeRun("aa_fourth", "not_run"),
        NodeRun("z_third", "not_run"),
    ]
    record = _record(["a_first", "b_second", "z_third", "aa_fourth"])
    assert [r.name for r in in_run_order(runs, record)] == [
        "a_first",
        "b_second",
        "z_third",
        "aa_fourth",
    ]


def test_without_a_recorded_plan_unstarted_nodes_go_last_by_name() -> None:
    runs = [
        NodeRun("z", "not_run"),
        NodeRun("y", "succeeded", started_at=1.0),
        NodeRun("a", "skipped"),
    ]
    assert [r.name for r in in_run_order(runs, _record(None))] == ["y", "a", "z"]
    assert plan_order(_record(None)) == [] and plan_order(None) == []
