"""Which nodes are stale: their parameters, datasets or code changed since they last succeeded.

At run time ``record_fingerprints`` stores, per node, short hashes of the parameter values it reads
(``params``), the catalog config of its inputs (``inputs``) and outputs (``outputs``: a node whose
output moved must write it again) and its function's source with the project helpers it calls
(``code``). ``stale_nodes`` later
fingerprints the project as it is now (a fresh import) and compares, node by node, with the newest
succeeded sessions of the same pipeline and env; ``report.to_run`` adds everything downstream
(and the producers of in-memory inputs those nodes need).

Hashes are computed once per unique function, parameter and dataset, so a 5000-node pipeline that
reuses one function pays a few milliseconds.
"""

from __future__ import annotations

import functools
import inspect
import json
import linecache
import logging
import sys
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from proj_tui.config import ConfigChanges, ConfigLoader, diff_config
from proj_tui.errors import ProjTuiError, did_you_mean

if TYPE_CHECKING:
    from proj_tui.framework.context import ProjectContext
    from proj_tui.framework.store import SessionStore
    from proj_tui.pipeline import Node, Pipeline

__all__ = [
    "FINGERPRINT_PARTS",
    "NodeStaleness",
    "StalenessError",
    "StalenessReport",
    "compare_node",
    "decode_fingerprints",
    "record_fingerprints",
    "run_fingerprints",
    "stale_nodes",
]

logger = logging.getLogger(__name__)

FINGERPRINT_PARTS: tuple[str, ...] = ("params", "inputs", "outputs", "code", "wiring")
FINGERPRINT_VERSION = 3  # 3: code hashes cover the helpers a node calls
_MISSING = "<missing>"
_MAX_BASELINE_SESSIONS = 50
_code_cache: dict[CodeType, str] = {}


class StalenessError(ProjTuiError):
    """Staleness cannot be worked out (unknown pipeline, unreadable project)."""


def _digest(text: str) -> str:
    """A 64-bit change detector (CRC-32 + Adler-32), not a security hash.

    zlib imports in ~0.2 ms; hashlib would add ~3 ms (OpenSSL) to every run's start-up. A digest is
    only ever compared with the same key's previous one, so 64 bits is plenty.
    """
    data = text.encode("utf-8", "surrogatepass")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _canonical(value: Any) -> str:
    """A stable text for a config value; ``repr`` where JSON cannot order or encode it."""
    try:
        return json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def _lookup(params: Mapping[str, Any], dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _code_hash(func: Any) -> str:
    """Hash of a node function's source lines and its helpers', cached per code object.

    Many nodes share one function, so the source is read once. ``functools.partial`` hashes its
    function and bound arguments; a callable object hashes its class's ``__call__``. Editing a
    helper the node calls (``_standardise`` in the demo's ``train_model``) changes the node's
    code as much as editing its body does: see ``_helpers``.
    """
    if isinstance(func, functools.partial):
        return _digest(_code_hash(func.func) + _canonical([func.args, func.keywords]))
    target = inspect.unwrap(func) if callable(func) else func
    code = getattr(target, "__code__", None)
    if code is None and not inspect.isroutine(target):
        call = getattr(type(target), "__call__", None)  # noqa: B004 - the class's method
        code = getattr(call, "__code__", None)
    if code is None:
        module, name = getattr(target, "__module__", ""), getattr(target, "__qualname__", "")
        return _digest(f"{module}.{name}")
    cached = _code_cache.get(code)
    if cached is None:
        module = str(getattr(target, "__module__", "") or "")
        text = f"{module}.{_code_name(code)}\n{_source(code)}"
        helpers = _helpers(code, getattr(target, "__globals__", None), module)
        texts = sorted(
            f"{h.__module__}.{_code_name(h.__code__)}\n{_source(h.__code__)}" for h in helpers
        )
        cached = _code_cache[code] = _digest(text + "".join(texts))
    return cached


def _helper_names(func: Any) -> list[str]:
    """The helpers ``_code_hash`` covers for ``func``, by name: where a code change may be."""
    target = inspect.unwrap(func.func if isinstance(func, functools.partial) else func)
    code = getattr(target, "__code__", None)
    if code is None:
        return []
    module = str(getattr(target, "__module__", "") or "")
    found = _helpers(code, getattr(target, "__globals__", None), module)
    return sorted(_code_name(h.__code__) for h in found)


_HELPER_DEPTH = 3  # calls followed from the node function: its helpers, theirs, and theirs


def _helpers(code: CodeType, globals_: Mapping[str, Any] | None, module: str) -> list[FunctionType]:
    """The project functions ``code`` refers to by name, followed a few calls deep.

    Only plain functions from the node's own top-level package count (``taxi_fares.*``): the
    project's code, not the standard library or other packages, whose versions are recorded
    apart. Found by the global names the bytecode loads (``helper(...)``, and ``mod.helper(...)``
    for a module of the package), so a helper passed around as a value is not followed.
    """
    package = module.partition(".")[0]
    if not globals_ or not package:
        return []
    seen: set[CodeType] = {code}
    out: list[FunctionType] = []
    frontier: list[tuple[CodeType, Mapping[str, Any]]] = [(code, globals_)]
    for _ in range(_HELPER_DEPTH):
        found: list[tuple[CodeType, Mapping[str, Any]]] = []
        for each, scope in frontier:
            for helper in _called(each, scope, package):
                helper_code = helper.__code__
                if helper_code in seen:
                    continue
                seen.add(helper_code)
                out.append(helper)
                found.append((helper_code, helper.__globals__))
        if not found:
            break
        frontier = found
    return out


def _called(code: CodeType, scope: Mapping[str, Any], package: str) -> list[FunctionType]:
    """Project functions named in ``code`` (and its nested comprehensions and lambdas)."""
    names: list[str] = []
    stack = [code]
    while stack:
        each = stack.pop()
        names += each.co_names
        stack += [c for c in each.co_consts if isinstance(c, CodeType)]
    ours: list[FunctionType] = []
    for name in dict.fromkeys(names):
        value = scope.get(name)
        if isinstance(value, ModuleType) and value.__name__.partition(".")[0] == package:
            ours += [  # mod.helper(...): attributes of a project module named in the code
                attr
                for attr in (getattr(value, other, None) for other in names)
                if isinstance(attr, FunctionType)
            ]
        elif isinstance(value, FunctionType):
            ours.append(value)
    return [f for f in ours if str(f.__module__ or "").partition(".")[0] == package]


def _code_name(code: CodeType) -> str:
    return str(getattr(code, "co_qualname", code.co_name))


def _last_line(code: CodeType) -> int:
    last = code.co_firstlineno
    for _, _, line in code.co_lines():
        if line is not None and line > last:
            last = line
    for const in code.co_consts:
        if isinstance(const, CodeType):
            last = max(last, _last_line(const))
    return last


def _source(code: CodeType) -> str:
    """The function's lines, from its first (decorator) line to the last line of its body.

    ``inspect.getsourcelines`` costs ~7 ms on first use (it scans ``sys.modules`` and tokenizes);
    the line table of the code object says the same for a few microseconds.
    """
    lines = linecache.getlines(code.co_filename)
    if not lines:  # no source (a REPL, a zip): the bytecode stands in
        return repr((code.co_code, code.co_consts, code.co_names))
    return "".join(lines[code.co_firstlineno - 1 : _last_line(code)])


class _DatasetConfigs:
    """The catalog config each dataset name resolves to (entry or factory match), hashed once."""

    def __init__(self, catalog_config: Mapping[str, Any]) -> None:
        from proj_tui.io.factories import PatternResolver, is_pattern

        self._entries = {
            str(k): v
            for k, v in catalog_config.items()
            if not str(k).startswith("_") and not is_pattern(str(k))
        }
        patterns = {
            str(k): dict(v)
            for k, v in catalog_config.items()
            if is_pattern(str(k)) and isinstance(v, Mapping)
        }
        self._resolver = PatternResolver(patterns) if patterns else None
        self.hashes: dict[str, str] = {}
        self.any_config = bool(self._entries) or self._resolver is not None
        # without patterns only catalog entries have config: skip the call for the rest
        self.could_have_config: Any = (
            None if self._resolver is not None else self._entries.__contains__
        )
        self.seen: set[str] = set()

    def config(self, name: str) -> Any:
        if name in self._entries:
            return self._entries[name]
        if self._resolver is not None:
            found = self._resolver.match(name)
            if found is not None:
                pattern, values = found
                return pattern.resolve(values)
        return None  # a MemoryDataset made on the fly

    def add(self, name: str) -> None:
        """Hash ``name``'s config once; in-memory datasets (no config) stay out of the table."""
        if name in self.seen:
            return
        self.seen.add(name)
        config = self.config(name)
        if config is not None:
            self.hashes[name] = _digest(_canonical(config))


def _is_param(name: str) -> bool:
    return name == "parameters" or name.startswith("params:")


def _func_key(func: Any) -> str:
    target = func.func if isinstance(func, functools.partial) else func
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', type(target).__name__)}"


def run_fingerprints(
    pipeline: Pipeline | Iterable[Node],
    params: Mapping[str, Any],
    catalog_config: Mapping[str, Any],
) -> dict[str, Any]:
    """What ``record_fingerprints`` stores: shared hash tables plus one signature per node.

    ``{"v": 3, "params": {input: h}, "datasets": {name: h}, "code": {func: h},
    "nodes": "node\tsignature\n..."}`` (``decode_fingerprints`` makes ``nodes`` a dict). Each
    parameter, dataset and function is hashed once however many nodes use it, and the per-node
    part is one CRC of its wiring, so a 5000-node run pays a few ms and stores ~90 kB (a
    node-by-node dict of four hashes took ~60 ms and ~570 kB). In-memory datasets (no catalog
    config) stay out of ``datasets``.
    ``params`` are the merged parameters (runtime ones included); ``catalog_config`` is the
    resolved ``ConfigLoader["catalog"]``, so a changed filepath or dataset option shows.
    """
    nodes = pipeline.nodes if hasattr(pipeline, "nodes") else list(pipeline)
    datasets = _DatasetConfigs(catalog_config)
    param_hashes: dict[str, str] = {}
    code_hashes: dict[str, str] = {}
    code_seen: dict[int, str] = {}
    signatures: list[str] = []
    append = signatures.append
    add_dataset, seen = datasets.add, datasets.seen
    configured = datasets.could_have_config  # None: no patterns, only catalog entries count
    check_data = datasets.any_config
    crc32 = zlib.crc32
    for node in nodes:  # the hot loop: ~1 µs a node, so no helper calls for the common case
        inputs, outputs, func = node.inputs, node.outputs, node.func
        key = code_seen.get(id(func))
        if key is None:
            key = code_seen[id(func)] = _func_key(func)
            digest = _code_hash(func)
            previous = code_hashes.get(key)
            # two functions with one name (lambdas): any change to either flags both
            code_hashes[key] = digest if previous in (None, digest) else _digest(previous + digest)
        for name in inputs:
            if name.startswith("params:") or name == "parameters":
                if name not in param_hashes:
                    value = params if name == "parameters" else _lookup(params, name[7:])
                    param_hashes[name] = _digest(_canonical(value))
            elif check_data and name not in seen and (configured is None or configured(name)):
                add_dataset(name)
        if check_data:
            for name in outputs:
                if name not in seen and (configured is None or configured(name)):
                    add_dataset(name)
        wiring = crc32("\x1f".join([key, *inputs, "->", *outputs]).encode())
        append(f"{node.name}\t{wiring:08x}")
    return {
        "v": FINGERPRINT_VERSION,
        "params": param_hashes,
        "datasets": datasets.hashes,
        "code": code_hashes,
        "nodes": "\n".join(signatures),
    }


def decode_fingerprints(fingerprints: Mapping[str, Any]) -> dict[str, Any]:
    """A stored fingerprint record with ``nodes`` as a ``{node: signature}`` dict.

    Stored as one ``name<TAB>signature`` line per node: one JSON string parses ~5x faster than a
    5000-key object, and the store rewrites the record a few times per run.
    """
    nodes = fingerprints.get("nodes", "")
    if isinstance(nodes, str):
        nodes = dict(line.split("\t", 1) for line in nodes.split("\n") if "\t" in line)
    return {**fingerprints, "nodes": nodes}


def compare_node(
    node: Node, before: Mapping[str, Any], now: Mapping[str, Any]
) -> tuple[tuple[str, ...], list[str]]:
    """Which parts of ``node`` changed between two decoded fingerprint records, and the names.

    Returns ``(parts, names)``: parts from ``FINGERPRINT_PARTS``; names are the parameter inputs,
    datasets or function that differ.
    """
    parts: list[str] = []
    names: list[str] = []
    inputs, outputs = node.inputs, node.outputs
    b_params, n_params = before.get("params", {}), now.get("params", {})
    b_data, n_data = before.get("datasets", {}), now.get("datasets", {})
    changed = [n for n in inputs if _is_param(n) and b_params.get(n) != n_params.get(n)]
    if changed:
        parts.append("params")
        names += changed
    changed = [n for n in inputs if not _is_param(n) and b_data.get(n) != n_data.get(n)]
    if changed:
        parts.append("inputs")
        names += changed
    changed = [n for n in outputs if b_data.get(n) != n_data.get(n)]
    if changed:
        parts.append("outputs")
        names += changed
    key = _func_key(node.func)
    if before.get("code", {}).get(key) != now.get("code", {}).get(key):
        parts.append("code")
        names.append(key)
    if before.get("nodes", {}).get(node.name) != now.get("nodes", {}).get(node.name):
        parts.append("wiring")
    return tuple(parts), names


def record_fingerprints(
    store: SessionStore, session_id: str, pipeline: Pipeline, context: ProjectContext
) -> None:
    """Store this run's fingerprints on the session (``record.extra["fingerprints"]``).

    Never fails the run: staleness is a convenience, the run is the point.
    """
    try:
        fingerprints = run_fingerprints(pipeline, context.params, context.config_loader["catalog"])
    except Exception:
        logger.debug("Could not fingerprint the nodes of this run", exc_info=True)
        return
    store.update_session(session_id, fingerprints=fingerprints)


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
        from proj_tui.framework.session import resume_command

        return resume_command(
            pipeline=self.pipeline,
            env=self.env,
            params=self.runtime_params,
            filters=dict(self.filters),
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


def _forget_modules(package_name: str) -> None:
    """Drop the project's modules so the next import reads the files as they are now."""
    import importlib

    for name in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def _open_store(project_path: Path, settings: Any) -> SessionStore:
    store_cls = settings.store_class()
    store_args = dict(settings.SESSION_STORE_ARGS)
    if hasattr(store_cls, "for_project") and "path" not in store_args:
        store: SessionStore = store_cls.for_project(project_path, **store_args)
    else:
        store = store_cls(**store_args)
    return store


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
) -> StalenessReport:
    """Compare the project as it is now with the last succeeded runs of ``pipeline_name`` in ``env``.

    Imports the project's code (fresh, unless ``reimport=False``): run it in a child process
    (``proj-tui pipelines stale --json``) from anything that must not load user code.
    """
    from proj_tui.framework.session import DEFAULT_PIPELINE
    from proj_tui.framework.settings import load_settings
    from proj_tui.framework.startup import bootstrap_project, load_pipelines

    metadata = bootstrap_project(project_path)
    if reimport:
        _forget_modules(metadata.package_name)
    settings = load_settings(metadata.package_name)
    name = pipeline_name or DEFAULT_PIPELINE
    pipelines = load_pipelines(metadata.package_name, refresh=True)
    if name not in pipelines:
        known = sorted(pipelines)
        raise StalenessError(
            f"Pipeline '{name}' is not registered.{did_you_mean(name, known)} "
            f"Registered pipelines: {', '.join(known) or 'none'}. Pass --pipeline with one of them."
        )
    pipeline = pipelines[name]
    loader = ConfigLoader(
        metadata.project_path / settings.CONF_SOURCE,
        env=env,
        runtime_params=dict(runtime_params or {}),
        **settings.CONFIG_LOADER_ARGS,
    )
    params = loader["parameters"]
    current = decode_fingerprints(run_fingerprints(pipeline, params, loader["catalog"]))

    store = _open_store(metadata.project_path, settings)
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
    upstream = _memory_producers(pipeline, _persistence(loader, metadata.project_path), affected)
    run_set = affected | upstream
    to_run = [n.name for n in pipeline.nodes if n.name in run_set]
    newest = records[0] if records else None
    return StalenessReport(
        project_path=metadata.project_path,
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
        elif name in inputs and not _is_param(name):
            out.append(f"catalog entry of input {name}")
    if "code" in changed:
        location = node.source_location
        where = f" ({location[0]}:{location[1]})" if location else ""
        helpers = _helper_names(node.func)
        calls = f", or of what it calls: {', '.join(helpers)}" if helpers else ""
        out.append(f"code of {_func_key(node.func)}{where}{calls}")
    if "wiring" in changed:
        out.append("its inputs, outputs or function changed")
    return tuple(out)


def _persistence(loader: ConfigLoader, project_path: Path) -> Any:
    """``is_persisted(name)`` as the run's catalog would answer it (no data is read)."""
    from proj_tui.io import DataCatalog

    try:
        catalog = DataCatalog.from_config(
            loader["catalog"], loader["credentials"], project_path=project_path
        )
    except ProjTuiError as exc:
        raise StalenessError(
            f"The catalog cannot be built, so staleness cannot be worked out: {exc}"
        ) from exc
    return catalog.is_persisted


def _memory_producers(pipeline: Pipeline, is_persisted: Any, run_set: set[str]) -> set[str]:
    """Nodes outside ``run_set`` that must run again because they make an in-memory input.

    Walks upstream through non-persisted inputs until every input is persisted, a parameter or
    a free input, as ``runner.resume_start_nodes`` does for a failed run.
    """
    by_name = {n.name: n for n in pipeline.nodes}
    extra: set[str] = set()
    stack = [by_name[name] for name in run_set]
    while stack:
        for ds in stack.pop().inputs:
            if _is_param(ds) or is_persisted(ds):
                continue
            producer = pipeline.producer_of(ds)
            if producer is not None and producer.name not in run_set | extra:
                extra.add(producer.name)
                stack.append(producer)
    return extra


def _filters(pipeline: Pipeline, run_set: set[str], to_run: list[str]) -> dict[str, list[str]]:
    """``--from-nodes`` of the nodes with no parent in ``run_set`` when it selects exactly that
    set (one short flag); otherwise the explicit ``--nodes`` list."""
    if not run_set:
        return {}
    roots = [
        n.name
        for n, parents in pipeline.node_dependencies.items()
        if n.name in run_set and not any(p.name in run_set for p in parents)
    ]
    if {n.name for n in pipeline.from_nodes(*roots).nodes} == run_set:
        return {"from_nodes": roots}
    return {"node_names": to_run}
