"""A session's node runs in the order they ran, for every view that lists them.

The store hands node runs ordered by start time with the never-started ones (``not_run``,
``skipped``, ``pending``) last by name, so a failed run read like a list grouped by status. The
record's fingerprints keep the run's plan in pipeline order (``fingerprints.nodes``); nodes that
started are shown by start time, and the others where the plan had them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from proj_tui.framework.fingerprints import decode_fingerprints

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun, SessionRecord


def plan_order(record: SessionRecord | None) -> list[str]:
    """The node names the session planned to run, in pipeline order (empty when not recorded)."""
    fingerprints = (record.extra or {}).get("fingerprints") if record is not None else None
    if not isinstance(fingerprints, dict):
        return []
    nodes = decode_fingerprints(fingerprints).get("nodes")
    return list(nodes) if isinstance(nodes, dict) else []


def in_run_order(nodes: list[NodeRun], record: SessionRecord | None) -> list[NodeRun]:
    """``nodes`` as the run executed them: by start time, then the rest in plan order."""
    index = {name: i for i, name in enumerate(plan_order(record))}
    last = len(index)

    def key(run: NodeRun) -> tuple[float, int, str]:
        started = math.inf if run.started_at is None else run.started_at
        return (started, index.get(run.name, last), run.name)

    return sorted(nodes, key=key)
