"""Turn a stored session back into the ``proj-tui run`` arguments that make it again.

Shared by ``proj-tui sessions rerun|resume`` and the app's History screen, so both replay a session the
same way. Arguments are lists, never shell strings: nothing a user typed is ever interpolated by a shell.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from proj_tui.config import deep_merge, format_params
from proj_tui.errors import ProjTuiError
from proj_tui.framework.selection import RunSelection, UnknownPipelineError

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun, SessionRecord


class ReplayError(ProjTuiError):
    """A session cannot be rerun or resumed as asked."""


def run_argv(
    record: SessionRecord,
    *,
    params: dict[str, Any] | None = None,
    env: str | None = None,
    selection: RunSelection | None = None,
) -> list[str]:
    """Arguments after ``proj-tui`` that rerun ``record``; ``params`` are merged over its own.

    ``selection`` replaces what the record ran (a resume passes :func:`resume_selection`). A
    sequential runner is left to the project's default, as a plain ``proj-tui run`` would.
    """
    merged = deep_merge(record.runtime_params or {}, params or {})
    chosen = replay_selection(record) if selection is None else selection
    argv = ["run"]
    if record.project_path:
        argv += ["--project", record.project_path]
    argv += ["--env", env or record.env or "local"]
    conf_source = (record.extra or {}).get("conf_source")
    if conf_source:
        argv += ["--conf-source", str(conf_source)]
    if merged:
        argv += ["--params", format_params(merged)]
    argv += chosen.to_argv()
    argv += ["--parent", record.session_id]
    return argv


def replay_selection(record: SessionRecord) -> RunSelection:
    """What a rerun of ``record`` executes: everything it ran, the default runner left implicit."""
    selection = RunSelection.from_record(record)
    if selection.runner == "sequential":
        selection = replace(selection, runner=None)
    return selection


def resume_selection(record: SessionRecord, from_nodes: list[str]) -> RunSelection:
    """What a resume of ``record`` executes: its own selection, starting at ``from_nodes``.

    The node names it was limited to are dropped: the resume needs the nodes below them too.
    """
    selection = replay_selection(record)
    return replace(selection, from_nodes=frozenset(from_nodes), node_names=frozenset())


def resume_nodes(record: SessionRecord, nodes: list[NodeRun]) -> list[str]:
    """The ``--from-nodes`` a resume of ``record`` needs, computed against the project as it is now.

    Uses the nodes that succeeded and walks up from the rest to the nearest persisted inputs.
    """
    if record.status not in ("failed", "cancelled", "crashed"):
        raise ReplayError(
            f"Session {record.session_id} {record.status}; only failed, cancelled or crashed "
            "sessions can be resumed. Use 'sessions rerun' to run it again."
        )
    if not record.project_path or not record.package_name:
        raise ReplayError(f"Session {record.session_id} does not record its project.")
    from proj_tui.framework.project import Project
    from proj_tui.io import DataCatalog
    from proj_tui.runner import resume_start_nodes

    project = Project.load(record.project_path, conf_source=(record.extra or {}).get("conf_source"))
    try:
        pipeline = RunSelection.from_record(record).select(project.pipelines())
    except UnknownPipelineError as exc:
        raise ReplayError(f"Session {record.session_id} cannot be resumed: {exc}") from None
    loader = project.config_loader(record.env, record.runtime_params)
    catalog = DataCatalog.from_config(
        loader["catalog"], loader["credentials"], project_path=project.path
    )
    done = {n.name for n in nodes if n.status in ("succeeded", "skipped")}
    if not set(n.name for n in pipeline.nodes) - done:
        raise ReplayError(
            f"Every node of session {record.session_id} completed; nothing to resume."
        )
    from_nodes = resume_start_nodes(pipeline, catalog, done)
    if not from_nodes:
        raise ReplayError(f"Could not find where to resume session {record.session_id}.")
    return from_nodes
