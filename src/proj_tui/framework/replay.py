"""Turn a stored session back into the ``proj-tui run`` arguments that make it again.

Shared by ``proj-tui sessions rerun|resume`` and the app's History screen, so both replay a session the
same way. Arguments are lists, never shell strings: nothing a user typed is ever interpolated by a shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proj_tui.config import deep_merge, format_params
from proj_tui.errors import ProjTuiError

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun, SessionRecord

_FILTER_FLAGS = {
    "tags": "--tags",
    "node_names": "--nodes",
    "from_nodes": "--from-nodes",
    "to_nodes": "--to-nodes",
    "from_inputs": "--from-inputs",
    "to_outputs": "--to-outputs",
    "node_namespaces": "--namespaces",
}


class ReplayError(ProjTuiError):
    """A session cannot be rerun or resumed as asked."""


def run_argv(
    record: SessionRecord,
    *,
    params: dict[str, Any] | None = None,
    env: str | None = None,
    filters: dict[str, Any] | None = None,
) -> list[str]:
    """Arguments after ``proj-tui`` that rerun ``record``; ``params`` are merged over its own."""
    merged = deep_merge(record.runtime_params or {}, params or {})
    argv = ["run"]
    if record.project_path:
        argv += ["--project", record.project_path]
    if record.pipeline and record.pipeline != "__default__":
        argv += ["--pipeline", record.pipeline]
    argv += ["--env", env or record.env or "local"]
    conf_source = (record.extra or {}).get("conf_source")
    if conf_source:
        argv += ["--conf-source", str(conf_source)]
    if merged:
        argv += ["--params", format_params(merged)]
    chosen = dict(record.filters or {}) if filters is None else filters
    for key, flag in _FILTER_FLAGS.items():
        value = chosen.get(key)
        if value:
            argv += [flag, ",".join(value)]
    if record.runner and record.runner not in ("SequentialRunner", "sequential"):
        argv += ["--runner", _runner_flag(record.runner)]
    extra = record.extra or {}
    if extra.get("load_versions"):
        argv += ["--load-versions", ",".join(f"{k}:{v}" for k, v in extra["load_versions"].items())]
    if extra.get("only_missing_outputs"):
        argv.append("--only-missing-outputs")
    argv += ["--parent", record.session_id]
    return argv


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
    pipelines = project.pipelines()
    name = record.pipeline or "__default__"
    if name not in pipelines:
        raise ReplayError(f"Pipeline '{name}' of session {record.session_id} no longer exists.")
    pipeline = pipelines[name].filter(**(record.filters or {}))
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


def _runner_flag(runner: str) -> str:
    return {
        "SequentialRunner": "sequential",
        "ThreadRunner": "thread",
        "ParallelRunner": "process",
        "DaskRunner": "dask",
    }.get(runner, runner)
