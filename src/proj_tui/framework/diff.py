"""What differs between two sessions: the comparison ``sessions diff`` and the app's diff view show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proj_tui.config import flatten

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun, SessionRecord

_MISSING = object()
TIMING_SLACK_S = 0.05
"""Two timings closer than this are the same: scheduling and disk noise, not change."""
TIMING_SLACK_RATIO = 0.1
"""...or closer than this fraction of the longer one (a 10 s node varies by more than 50 ms)."""


@dataclass(frozen=True)
class DiffRow:
    """One compared value; ``left``/``right`` are None when absent on that side."""

    section: str
    key: str
    left: Any
    right: Any
    timing: bool = False
    """A duration in seconds: compared with ``TIMING_SLACK_*``, not exactly."""

    @property
    def changed(self) -> bool:
        if self.timing and isinstance(self.left, float) and isinstance(self.right, float):
            return not same_timing(self.left, self.right)
        return bool(self.left != self.right)


def same_timing(left: float, right: float) -> bool:
    """Whether two durations differ by no more than run-to-run noise."""
    slack = max(TIMING_SLACK_S, TIMING_SLACK_RATIO * max(abs(left), abs(right)))
    return abs(left - right) <= slack


def diff_sessions(
    left: SessionRecord,
    right: SessionRecord,
    left_nodes: list[NodeRun] | None = None,
    right_nodes: list[NodeRun] | None = None,
) -> list[DiffRow]:
    """Every compared field, in a stable order (nodes in run order); filter on ``.changed`` to
    see only differences."""
    rows: list[DiffRow] = []
    scalar = {
        "pipeline": (left.pipeline, right.pipeline),
        "env": (left.env, right.env),
        "status": (left.status, right.status),
        "runner": (left.runner, right.runner),
        "user": (left.user, right.user),
        "host": (left.host, right.host),
        "duration": (_round(left.duration), _round(right.duration)),
    }
    rows += [DiffRow("session", k, a, b, timing=k == "duration") for k, (a, b) in scalar.items()]
    rows += _mapping_rows("params", flatten(left.params or {}), flatten(right.params or {}))
    rows += _mapping_rows(
        "overrides", flatten(left.runtime_params or {}), flatten(right.runtime_params or {})
    )
    rows += _mapping_rows("filters", left.filters or {}, right.filters or {})
    rows += _mapping_rows(
        "cli flags", (left.cli or {}).get("flags", {}), (right.cli or {}).get("flags", {})
    )
    rows += _mapping_rows("env vars", left.env_vars or {}, right.env_vars or {})
    rows += _mapping_rows("git", left.git or {}, right.git or {})
    rows += _mapping_rows("versions", left.versions or {}, right.versions or {})
    if left_nodes is not None and right_nodes is not None:
        from proj_tui.framework.run_order import in_run_order

        # in the order the runs executed them (the left's, then nodes only the right ran), as
        # the timeline lists them: by name, a pipeline's diff read out of order
        lmap = {n.name: n for n in in_run_order(left_nodes, left)}
        rmap = {n.name: n for n in in_run_order(right_nodes, right)}
        for name in [*lmap, *(name for name in rmap if name not in lmap)]:
            a, b = lmap.get(name), rmap.get(name)
            rows.append(DiffRow("nodes", name, a.status if a else None, b.status if b else None))
            rows.append(DiffRow("node time (s)", name, _node_time(a), _node_time(b), timing=True))
    return rows


def _mapping_rows(section: str, left: dict[str, Any], right: dict[str, Any]) -> list[DiffRow]:
    return [
        DiffRow(section, key, left.get(key), right.get(key))
        for key in sorted(left.keys() | right.keys())
    ]


def _node_time(run: NodeRun | None) -> float | None:
    if run is None or run.started_at is None or run.ended_at is None:
        return None
    return _round(run.ended_at - run.started_at)


def _round(value: float | None) -> float | None:
    """Durations are shown to 10 ms (they are compared with a slack, ``same_timing``)."""
    return None if value is None else round(value, 2)
