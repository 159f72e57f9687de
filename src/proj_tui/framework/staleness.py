"""Which nodes are stale: their parameters, datasets or code changed since they last succeeded.

``stale_nodes`` fingerprints the project as it is now (a fresh import; see
``framework.fingerprints``) and compares, node by node, with the newest succeeded sessions of the
same pipeline and env; ``report.to_run`` adds everything downstream and, as a resume does
(``runner.resume``), the producers of in-memory inputs those nodes need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from proj_tui.config import ConfigChanges, diff_config
from proj_tui.errors import ProjTuiError
from proj_tui.framework.fingerprints import (
    FINGERPRINT_VERSION,
    compare_node,
    decode_fingerprints,
    func_key,
    helper_names,
    is_param,
    run_fingerprints,
)
from proj_tui.framework.selection import DEFAULT_PIPELINE, RunSelection, resume_command
from proj_tui.runner.resume import start_nodes, with_memory_producers

if TYPE_CHECKING:
    from proj_tui.config import ConfigLoader
    from proj_tui.framework.store import SessionStore
    from proj_tui.pipeline import Node, Pipeline

__all__ = [
    "NodeStaleness",
    "StalenessError",
    "StalenessReport",
    "stale_nodes",
]

_MAX_BASELINE_SESSIONS = 50


class StalenessError(ProjTuiError):
    """Staleness cannot be worked out (unknown pipeline, unreadable project)."""


class NodeStaleness(NamedTuple):
    """One stale node: which fingerprint parts changed, or ``new`` when no session ran it.

    ``since`` is the session whose fingerprint it was compared with; ``details`` says more where
    it can (the parameter keys that changed, the function).
    """

    name: str
    changed: tuple[str, ...] = ()
    new: bool = False
    since: str | None = None
    details: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """Short text: ``params, code changed`` or ``not run since it was added``."""
        if self.new:
            return "no succeeded run recorded it"
        return ", ".join(self.changed) + " changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "changed": list(self.changed),
            "new": self.new,
            "since": self.since,
            "details": list(self.details),
        }


class StalenessReport(NamedTuple):
    """What changed since the last succeeded runs of one pipeline in one env.

    ``stale`` are the nodes whose own fingerprint changed (in run order). ``to_run`` (run order)
    adds every node downstream of them, plus ``upstream``: the producers of in-memory inputs those
    nodes need (a MemoryDataset does not outlive the run that made it). ``filters`` select exactly
    ``to_run`` for ``Session.run``: ``{"from_nodes": [...]}`` when that is exact, else
    ``{"node_names": [...]}``; ``run_args`` are the same as ``proj-tui run`` flags.
    """

    project_path: Path
    pipeline: str
    env: str
    runtime_params: dict[str, Any]
    baseline_session: str | None
    stale: list[NodeStaleness]
    to_run: list[str]
    filters: dict[str, list[str]]
    total_nodes: int
    upstream: list[str]
    removed: list[str]
    param_changes: ConfigChanges

    @property
    def downstream(self) -> list[str]:
        """Nodes that rerun only because something upstream of them is stale."""
        skip = {s.name for s in self.stale} | set(self.upstream)
        return [n for n in self.to_run if n not in skip]

    @property
    def run_args(self) -> list[str]:
        """``["--from-nodes", "a,b"]`` or ``["--nodes", "a,b,c"]``: the ``proj-tui run`` flags."""
        flag = "--from-nodes" if "from_nodes" in self.filters else "--nodes"
        names = self.filters.get("from_nodes") or self.filters.get("node_names") or []
        return [flag, ",".join(names)] if names else []

    def command(self, *, parent: bool = False) -> str | None:
        """The ``proj-tui run`` command that reruns exactly ``to_run``; None when nothing is stale."""
        if not self.to_run:
            return None
        selection = RunSelection.from_store({"pipeline": self.pipeline, "filters": self.filters})
        return resume_command(
            selection,
            env=self.env,
            params=self.runtime_params,
            parent=self.baseline_session if parent else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``pipelines stale --json`` document (docs/cli.md)."""
        return {
            "project_path": str(self.project_path),
            "pipeline": self.pipeline,
            "env": self.env,
            "runtime_params": self.runtime_params,
            "baseline_session": self.baseline_session,
            "total_nodes": self.total_nodes,
            "stale": [s.to_dict() for s in self.stale],
            "downstream": self.downstream,
            "upstream": self.upstream,
            "to_run": self.to_run,
            "filters": self.filters,
            "run_args": self.run_args,
            "removed": self.removed,
            "param_changes": self.param_changes.to_dict(),
            "command": self.command(),
        }


def _baseline(
    store: SessionStore, pipeline: str, env: str, wanted: set[str]
) -> tuple[dict[str, Any], list[Any]]:
    """For each wanted node, the newest succeeded session that ran it: ``{node: record}``.

    A partial rerun (``--from-nodes``) records only its nodes, so older sessions fill the rest.
    Returns that mapping and the records consulted, newest first.
    """
    from proj_tui.framework.store import SessionQuery

    query = SessionQuery(
        statuses=frozenset({"succeeded"}), pipelines=frozenset({pipeline}), envs=frozenset({env})
    )
    found: dict[str, Any] = {}
    records: list[Any] = []
    for summary in store.list_sessions(query, limit=_MAX_BASELINE_SESSIONS):
        record = store.get_session(summary.session_id)
        fingerprints = record.extra.get("fingerprints")
        if not isinstance(fingerprints, dict) or fingerprints.get("v") != FINGERPRINT_VERSION:
            continue
        fingerprints = record.extra["fingerprints"] = decode_fingerprints(fingerprints)
        records.append(record)
        for name in fingerprints["nodes"]:
            found.setdefault(name, record)
        if wanted <= found.keys():
            break
    return found, records


def stale_nodes(
    project_path: Path | str,
    pipeline_name: str | None = None,
    env: str | None = None,
    runtime_params: Mapping[str, Any] | None = None,
    *,
    reimport: bool = True,
    conf_source: Path | str | None = None,
) -> StalenessReport:
    """Compare the project as it is now with the last succeeded runs of ``pipeline_name`` in ``env``.

    Imports the project's code (fresh, unless ``reimport=False``): run it in a child process
    (``proj-tui pipelines stale --json``) from anything that must not load user code.
    """
    from proj_tui.framework.project import Project
    from proj_tui.framework.selection import UnknownPipelineError

    project = Project.load(project_path, conf_source=conf_source)
    name = pipeline_name or DEFAULT_PIPELINE
    try:
        pipeline = project.pipeline(name, reimport=reimport)
    except UnknownPipelineError as exc:
        raise StalenessError(f"{exc} Pass --pipeline with one of them.") from None
    loader = project.config_loader(env, runtime_params)
    params = loader["parameters"]
    current = decode_fingerprints(run_fingerprints(pipeline, params, loader["catalog"]))

    found: dict[str, Any] = {}
    records: list[Any] = []
    if project.has_store():  # no store yet: no baseline, every node is new
        store = project.open_store(readonly=True)
        try:
            found, records = _baseline(store, name, loader.env, set(current["nodes"]))
        finally:
            store.close()

    param_diffs: dict[str, ConfigChanges] = {
        r.session_id: diff_config(r.params or {}, params) for r in records
    }
    stale: list[NodeStaleness] = []
    for node in pipeline.nodes:
        record = found.get(node.name)
        if record is None:
            stale.append(NodeStaleness(node.name, new=True))
            continue
        changed, names = compare_node(node, record.extra["fingerprints"], current)
        if changed:
            stale.append(
                NodeStaleness(
                    node.name,
                    changed=changed,
                    since=record.session_id,
                    details=_details(node, changed, names, param_diffs[record.session_id]),
                )
            )
    stale_names = [s.name for s in stale]
    affected = {n.name for n in pipeline.from_nodes(*stale_names).nodes} if stale_names else set()
    run_set = with_memory_producers(pipeline, affected, _persistence(loader, project.path))
    upstream = run_set - affected
    to_run = [n.name for n in pipeline.nodes if n.name in run_set]
    newest = records[0] if records else None
    return StalenessReport(
        project_path=project.path,
        pipeline=name,
        env=loader.env,
        runtime_params=dict(runtime_params or {}),
        baseline_session=newest.session_id if newest else None,
        stale=stale,
        to_run=to_run,
        upstream=[n for n in to_run if n in upstream],
        filters=_filters(pipeline, run_set, to_run),
        total_nodes=len(pipeline.nodes),
        removed=sorted(set(newest.extra["fingerprints"]["nodes"]) - set(current["nodes"]))
        if newest
        else [],
        param_changes=param_diffs[newest.session_id] if newest else ConfigChanges(),
    )


def _details(
    node: Node, changed: tuple[str, ...], names: list[str], params: ConfigChanges
) -> tuple[str, ...]:
    """Human lines: the parameter values that moved, the datasets and function that changed."""
    out: list[str] = []
    if "params" in changed:
        keys: list[str] = []
        for name in node.inputs:
            if name == "parameters":
                keys += params.keys
            elif name.startswith("params:"):
                keys += params.touches(name[len("params:") :])
        for key in dict.fromkeys(keys):
            if key in params.changed:
                old, new = params.changed[key]
                out.append(f"params {key}: {old!r} → {new!r}")
            elif key in params.added:
                out.append(f"params {key}: added ({params.added[key]!r})")
            else:
                out.append(f"params {key}: removed")
    inputs, outputs = set(node.inputs), set(node.outputs)
    for name in names:
        if name in outputs:
            out.append(f"catalog entry of output {name}")
        elif name in inputs and not is_param(name):
            out.append(f"catalog entry of input {name}")
    if "code" in changed:
        location = node.source_location
        where = f" ({location[0]}:{location[1]})" if location else ""
        helpers = helper_names(node.func)
        calls = f", or of what it calls: {', '.join(helpers)}" if helpers else ""
        out.append(f"code of {func_key(node.func)}{where}{calls}")
    if "wiring" in changed:
        out.append("its inputs, outputs or function changed")
    return tuple(out)


def _persistence(loader: ConfigLoader, project_path: Path) -> Callable[[str], bool]:
    """``is_persisted(name)`` as the run's catalog would answer it (no data is read).

    A Kedro project's loader (``KedroConfig``) answers itself: Kedro's catalog was asked in
    the project's interpreter, and its credentials never come here.
    """
    persisted = getattr(loader, "persisted", None)
    if callable(persisted):
        return lambda name: is_param(name) or bool(persisted(name))
    from proj_tui.io import DataCatalog

    try:
        catalog = DataCatalog.from_config(
            loader["catalog"], loader["credentials"], project_path=project_path
        )
    except ProjTuiError as exc:
        raise StalenessError(
            f"The catalog cannot be built, so staleness cannot be worked out: {exc}"
        ) from exc
    return lambda name: is_param(name) or catalog.is_persisted(name)


def _filters(pipeline: Pipeline, run_set: set[str], to_run: list[str]) -> dict[str, list[str]]:
    """``--from-nodes`` of the nodes with no parent in ``run_set`` when it selects exactly that
    set (one short flag); otherwise the explicit ``--nodes`` list."""
    if not run_set:
        return {}
    roots = start_nodes(pipeline, run_set)
    if {n.name for n in pipeline.from_nodes(*roots).nodes} == run_set:
        return {"from_nodes": roots}
    return {"node_names": to_run}
