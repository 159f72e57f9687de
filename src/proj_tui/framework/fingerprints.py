"""Node fingerprints: short hashes of what a node's result depends on, recorded with every run.

Per node: the parameter values it reads (``params``), the catalog config of its inputs
(``inputs``) and outputs (``outputs``: a node whose output moved must write it again), its
function's source with the project helpers it calls (``code``) and its wiring. ``record_fingerprints``
stores them on the session; ``framework.staleness`` compares them with the project as it is now.

Pure functions of a pipeline, its parameters and its catalog config: nothing here reads the store
or imports the project. Hashes are computed once per unique function, parameter and dataset, so a
5000-node pipeline that reuses one function pays a few milliseconds.
"""

from __future__ import annotations

import functools
import inspect
import json
import linecache
import logging
import zlib
from collections.abc import Iterable, Mapping
from types import CodeType, FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proj_tui.framework.context import ProjectContext
    from proj_tui.framework.store import SessionStore
    from proj_tui.pipeline import Node, Pipeline

__all__ = [
    "FINGERPRINT_PARTS",
    "FINGERPRINT_VERSION",
    "compare_node",
    "decode_fingerprints",
    "func_key",
    "helper_names",
    "is_param",
    "record_fingerprints",
    "run_fingerprints",
]

logger = logging.getLogger(__name__)

FINGERPRINT_PARTS: tuple[str, ...] = ("params", "inputs", "outputs", "code", "wiring")
FINGERPRINT_VERSION = 3  # 3: code hashes cover the helpers a node calls
_MISSING = "<missing>"
_code_cache: dict[CodeType, str] = {}


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
    described = getattr(func, "code_digest", None)
    if isinstance(described, str):  # a Kedro node's function, hashed in the project's Python
        return described
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


def helper_names(func: Any) -> list[str]:
    """The helpers ``_code_hash`` covers for ``func``, by name: where a code change may be."""
    described = getattr(func, "helper_names", None)
    if isinstance(described, tuple):  # a Kedro node's function, read in the project's Python
        return sorted(described)
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


def is_param(name: str) -> bool:
    return name == "parameters" or name.startswith("params:")


def func_key(func: Any) -> str:
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
            key = code_seen[id(func)] = func_key(func)
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
    changed = [n for n in inputs if is_param(n) and b_params.get(n) != n_params.get(n)]
    if changed:
        parts.append("params")
        names += changed
    changed = [n for n in inputs if not is_param(n) and b_data.get(n) != n_data.get(n)]
    if changed:
        parts.append("inputs")
        names += changed
    changed = [n for n in outputs if b_data.get(n) != n_data.get(n)]
    if changed:
        parts.append("outputs")
        names += changed
    key = func_key(node.func)
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
