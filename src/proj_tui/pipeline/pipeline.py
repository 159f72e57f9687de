"""``Pipeline``: a validated DAG of nodes, sorted once, filterable in linear time.

The graph is indexed by position in the topological order (plain ints), not by ``Node``
objects: ints hash in C, nodes would call a Python ``__hash__`` on every set or dict
operation. Every operation here is linear in nodes + edges (the one exception, sorting a
level by name for a deterministic order, is a C sort of the names in that level).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from proj_tui.errors import did_you_mean
from proj_tui.pipeline._namespacing import Mapping_, renamed_nodes, wants_renaming
from proj_tui.pipeline.errors import (
    CircularDependencyError,
    OutputNotUniqueError,
    PipelineError,
)
from proj_tui.pipeline.node import Node, TagsSpec, _parse_tags, strip_transcoding


def _names(value: str | Iterable[str] | None) -> list[str]:
    """Accept one name or many; a lone string is one name, not its characters."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _unknown(kind: str, missing: list[str], known: Iterable[str]) -> PipelineError:
    known = list(known)
    hints = "".join(did_you_mean(name, known) for name in missing)
    noun = kind if len(missing) == 1 else f"{kind}s"
    return PipelineError(f"The pipeline has no {noun} {_quoted(missing)}.{hints}")


class Pipeline:
    """A set of nodes wired by dataset names, validated and topologically sorted on creation.

    Raises :class:`OutputNotUniqueError` when two nodes write one dataset, :class:`PipelineError`
    when two different nodes share a name, and :class:`CircularDependencyError` on a cycle.
    """

    __slots__ = (
        "_all_inputs",
        "_all_outputs",
        "_children",
        "_consumers",
        "_free_inputs",
        "_free_outputs",
        "_level_sizes",
        "_nodes",
        "_order",
        "_parents",
        "_pos",
        "_producer",
        "_transcoded",
        "_unique",
        "_variants",
    )

    _unique: list[Node]
    _order: list[int]
    _nodes: list[Node]
    _pos: dict[str, int]
    _parents: list[list[int]]
    _children: list[list[int]]
    _producer: dict[str, int]
    _consumers: dict[str, list[int]]
    _level_sizes: list[int]
    _all_inputs: frozenset[str]
    _all_outputs: frozenset[str]
    _free_inputs: frozenset[str]
    _free_outputs: frozenset[str]
    _transcoded: bool
    _variants: dict[str, list[str]]

    def __init__(
        self,
        nodes: Iterable[Node | Pipeline],
        *,
        inputs: Mapping_ = None,
        outputs: Mapping_ = None,
        parameters: Mapping_ = None,
        tags: TagsSpec = None,
        namespace: str | None = None,
        prefix_datasets_with_namespace: bool = True,
    ) -> None:
        """Kedro 1.x's constructor: the modular-pipeline arguments (``namespace``, ``inputs``,
        ``outputs``, ``parameters``, ``prefix_datasets_with_namespace``) work here as in
        :func:`proj_tui.pipeline.pipeline`."""
        if nodes is None:
            raise PipelineError(
                "A pipeline needs a list of nodes and pipelines, got None. Pass [] for an "
                "empty pipeline (did a create_pipeline() function forget its return?)."
            )
        if isinstance(nodes, (str, Node)) or not isinstance(nodes, Iterable):
            raise PipelineError(
                f"A pipeline needs a list of nodes and pipelines, got {type(nodes).__name__} "
                f"({nodes!r}); wrap it in a list: Pipeline([...])."
            )
        flat: list[Node] = []
        for item in nodes:
            if isinstance(item, Node):
                flat.append(item)
            elif isinstance(item, Pipeline):
                flat.extend(item._nodes)
            else:
                raise PipelineError(
                    f"A pipeline is built from nodes and pipelines, not {type(item).__name__} "
                    f"({item!r}). Wrap functions with node(func, inputs, outputs)."
                )
        if wants_renaming(inputs, outputs, parameters, namespace):
            base = Pipeline._from_subset([]) if not flat else Pipeline(flat)
            renamed = renamed_nodes(
                base,
                inputs=inputs,
                outputs=outputs,
                parameters=parameters,
                tags=tags,
                namespace=namespace,
                prefix_datasets_with_namespace=prefix_datasets_with_namespace,
            )
            if renamed is not None:
                self._build(renamed, trusted=False)
                return
        if tags is not None:
            extra = _parse_tags(tags, where=" of a pipeline")
            if extra:
                flat = [n._replace(tags=n._tags | extra) for n in flat]
        self._build(flat, trusted=False)

    @classmethod
    def _from_subset(cls, nodes: list[Node]) -> Pipeline:
        """A pipeline from part of a valid one: it cannot break the uniqueness rules."""
        new = cls.__new__(cls)
        new._build(nodes, trusted=True)
        return new

    # -- construction ------------------------------------------------------------------------
    def _build(self, flat: list[Node], *, trusted: bool) -> None:
        # Index space: position in ``unique`` (first occurrence order). Renumbering into
        # topological positions would cost another pass; ``_order`` maps between the two.
        unique: list[Node] = []
        pos: dict[str, int] = {}
        producer: dict[str, int] = {}  # keyed by the name without its transcoding suffix
        clashes: list[str] = []
        transcoded = False
        for n in flat:
            name = n._name
            seen = pos.get(name)
            if seen is not None:
                other = unique[seen]
                if other is not n and other != n:
                    raise PipelineError(
                        f"Two different nodes are named '{name}': {other!r} and {n!r}. "
                        "Node names must be unique in a pipeline; rename one or give it a "
                        "namespace."
                    )
                continue
            i = len(unique)
            pos[name] = i
            unique.append(n)
            for ds in n._outputs:
                if "@" in ds:
                    transcoded = True
                    ds = strip_transcoding(ds)
                if not trusted and ds in producer:
                    clashes.append(
                        f"'{ds}' is written by both '{unique[producer[ds]]._name}' and '{name}'"
                    )
                producer[ds] = i
        if clashes:
            raise OutputNotUniqueError(
                "A dataset can be written by only one node, but "
                + "; ".join(clashes)
                + ". Rename one of the outputs."
            )

        count = len(unique)
        consumers: dict[str, list[int]] = {}
        parents: list[list[int]] = []
        children: list[list[int]] = [[] for _ in range(count)]
        indegree = [0] * count
        get_producer = producer.get
        get_consumers = consumers.get
        for i, n in enumerate(unique):
            ps: list[int] = []
            for ds in n._inputs:
                cs = get_consumers(ds)
                if cs is None:
                    consumers[ds] = [i]
                elif cs[-1] != i:
                    cs.append(i)
                if "@" in ds:
                    transcoded = True
                    ds = strip_transcoding(ds)
                p = get_producer(ds)
                if p is not None and p not in ps:
                    ps.append(p)
                    children[p].append(i)
            parents.append(ps)
            indegree[i] = len(ps)

        # Kahn's algorithm one level at a time; a level is sorted by name for determinism.
        level = [i for i in range(count) if not indegree[i]]
        order: list[int] = []
        level_sizes: list[int] = []
        while level:
            if len(level) > 1:
                level.sort(key=lambda i: unique[i]._name)
            order += level
            level_sizes.append(len(level))
            following: list[int] = []
            for i in level:
                for c in children[i]:
                    indegree[c] -= 1
                    if not indegree[c]:
                        following.append(c)
            level = following
        if len(order) != count:
            raise self._cycle_error(unique, parents, indegree)

        self._unique = unique
        self._order = order
        self._nodes = [unique[i] for i in order]
        self._pos = pos
        self._parents = parents
        self._children = children
        self._producer = producer
        self._consumers = consumers
        self._level_sizes = level_sizes
        all_inputs = frozenset(consumers)
        self._transcoded = transcoded
        self._variants = {}
        if not transcoded:
            all_outputs = frozenset(producer)
            self._free_inputs = all_inputs - all_outputs
            self._free_outputs = all_outputs - all_inputs
        else:
            all_outputs = frozenset(ds for n in unique for ds in n._outputs)
            variants: dict[str, list[str]] = {}
            for ds in sorted(all_inputs | all_outputs):
                variants.setdefault(strip_transcoding(ds), []).append(ds)
            if not trusted:
                _check_transcoding(variants)
            self._variants = variants
            consumed = {strip_transcoding(ds) for ds in all_inputs}
            self._free_inputs = frozenset(
                ds for ds in all_inputs if strip_transcoding(ds) not in producer
            )
            self._free_outputs = frozenset(
                ds for ds in all_outputs if strip_transcoding(ds) not in consumed
            )
        self._all_inputs = all_inputs
        self._all_outputs = all_outputs

    @staticmethod
    def _cycle_error(
        nodes: list[Node], parents: list[list[int]], indegree: list[int]
    ) -> CircularDependencyError:
        """Name one concrete cycle among the nodes Kahn's algorithm could not order."""
        stuck = [i for i, d in enumerate(indegree) if d]
        stuck_set = set(stuck)
        current = min(stuck, key=lambda i: nodes[i]._name)
        path: list[int] = []
        seen: dict[int, int] = {}
        while current not in seen:
            seen[current] = len(path)
            path.append(current)
            current = min(
                (p for p in parents[current] if p in stuck_set), key=lambda i: nodes[i]._name
            )
        cycle = path[seen[current] :]
        cycle.reverse()  # walked child -> parent; report in data-flow order
        first = cycle.index(min(cycle, key=lambda i: nodes[i]._name))
        cycle = cycle[first:] + cycle[:first]  # start at the smallest name: stable messages
        steps = []
        for k, i in enumerate(cycle):
            j = cycle[(k + 1) % len(cycle)]
            made = {strip_transcoding(ds) for ds in nodes[i]._outputs}
            via = next(ds for ds in nodes[j]._inputs if strip_transcoding(ds) in made)
            steps.append(f"'{nodes[i]._name}' -[{via}]-> ")
        chain = "".join(steps) + f"'{nodes[cycle[0]]._name}'"
        places = [_defined_at(nodes[i]) for i in cycle]
        where = "; ".join(
            f"'{nodes[i]._name}' at {p}" for i, p in zip(cycle, places, strict=True) if p
        )
        return CircularDependencyError(
            f"The pipeline has a circular dependency: {chain}. Nodes on a cycle can never run; "
            "make one of them read a different dataset."
            + (f" Their functions: {where}." if where else "")
        )

    # -- basic protocol ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Node):
            pos = self._pos.get(item._name)
            return pos is not None and self._unique[pos] == item
        return False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return len(self) == len(other) and all(n in other for n in self._nodes)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(n._name for n in self._nodes[:5])
        more = f", ... ({len(self._nodes)} nodes)" if len(self._nodes) > 5 else ""
        return f"Pipeline([{shown}{more}])"

    def __add__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline([self, other])

    def __radd__(self, other: object) -> Pipeline:
        if isinstance(other, int) and other == 0:  # sum(pipelines) starts from 0
            return self
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline([other, self])

    def __sub__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline._from_subset([n for n in self._nodes if n not in other])

    def __and__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline._from_subset([n for n in self._nodes if n in other])

    def __or__(self, other: object) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        return Pipeline([self, other])

    # -- structure ----------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Node]:
        """Nodes in topological order, sorted by name within a level (a fresh list)."""
        return list(self._nodes)

    @property
    def grouped_nodes(self) -> list[list[Node]]:
        """Topological levels: every node's parents are in earlier levels."""
        levels: list[list[Node]] = []
        start = 0
        for size in self._level_sizes:
            levels.append(self._nodes[start : start + size])
            start += size
        return levels

    @property
    def node_dependencies(self) -> dict[Node, set[Node]]:
        """Each node mapped to the nodes it reads from directly."""
        unique, parents = self._unique, self._parents
        return {unique[i]: {unique[p] for p in parents[i]} for i in self._order}

    def inputs(self) -> set[str]:
        """Datasets the pipeline reads but no node of it writes (free inputs)."""
        return set(self._free_inputs)

    def outputs(self) -> set[str]:
        """Datasets the pipeline writes but no node of it reads (free outputs)."""
        return set(self._free_outputs)

    def all_inputs(self) -> set[str]:
        return set(self._all_inputs)

    def all_outputs(self) -> set[str]:
        return set(self._all_outputs)

    def datasets(self) -> set[str]:
        return set(self._all_inputs | self._all_outputs)

    def producer_of(self, dataset: str) -> Node | None:
        """The node that writes ``dataset``, or None for a free input / unknown name."""
        pos = self._producer.get(strip_transcoding(dataset) if self._transcoded else dataset)
        return None if pos is None else self._unique[pos]

    def consumers_of(self, dataset: str) -> list[Node]:
        """The nodes that read ``dataset`` (any transcoded form of it, for a plain name)."""
        return [self._unique[i] for i in sorted(self._consumers_of([dataset], strict=False))]

    def namespaces(self) -> set[str]:
        """Every namespace and each of its parents (``a.b`` gives ``a`` and ``a.b``)."""
        found: set[str] = set()
        for n in self._nodes:
            ns = n._namespace
            while ns and ns not in found:
                found.add(ns)
                ns = ns.rpartition(".")[0]
        return found

    def tags(self) -> set[str]:
        found: set[str] = set()
        for n in self._nodes:
            found |= n._tags
        return found

    # -- selection (index sets) ----------------------------------------------------------------
    def _walk(self, start: Iterable[int], edges: list[list[int]]) -> set[int]:
        seen = set(start)
        stack = list(seen)
        add, push, pop = seen.add, stack.append, stack.pop
        while stack:
            for nxt in edges[pop()]:
                if nxt not in seen:
                    add(nxt)
                    push(nxt)
        return seen

    def _select_names(self, names: list[str]) -> set[int]:
        pos = self._pos
        missing = [name for name in names if name not in pos]
        if not missing:
            return {pos[name] for name in names}
        # Sessions stored before Kedro 1.x names name unnamed nodes "f([a]) -> [b]": accept
        # those, so `sessions resume` and a --from-nodes copied from an old log still work.
        legacy = {
            n._legacy_name(): i for i, n in enumerate(self._unique) if n._explicit_name is None
        }
        still = [name for name in missing if name not in legacy]
        if still:
            raise _unknown("node named", still, pos)
        return {pos[name] if name in pos else legacy[name] for name in names}

    def _select_tags(self, tags: list[str]) -> set[int]:
        wanted = frozenset(tags)
        return {i for i, n in enumerate(self._unique) if not wanted.isdisjoint(n._tags)}

    def _select_namespaces(self, namespaces: list[str]) -> set[int]:
        known = self.namespaces()
        missing = [ns for ns in namespaces if ns not in known]
        if missing:
            raise _unknown("namespace", missing, known)
        wanted = set(namespaces)
        picked: set[int] = set()
        for i, n in enumerate(self._unique):
            ns = n._namespace
            while ns:
                if ns in wanted:
                    picked.add(i)
                    break
                ns = ns.rpartition(".")[0]
        return picked

    def _check_known(self, datasets: list[str]) -> None:
        """Kedro's rule: a name the pipeline never mentions is an error; a known name that
        just is not read (or written) selects nothing."""
        ins, outs, variants = self._all_inputs, self._all_outputs, self._variants
        missing = [ds for ds in datasets if ds not in ins and ds not in outs and ds not in variants]
        if missing:
            raise _unknown("dataset", missing, sorted(ins | outs))

    def _consumers_of(self, datasets: list[str], *, strict: bool = True) -> set[int]:
        if strict:
            self._check_known(datasets)
        consumers = self._consumers
        picked: set[int] = set()
        for ds in datasets:
            names = self._variants.get(ds, (ds,)) if "@" not in ds else (ds,)
            for name in names:
                picked.update(consumers.get(name, ()))
        return picked

    def _producers_of(self, datasets: list[str]) -> set[int]:
        self._check_known(datasets)
        picked: set[int] = set()
        for ds in datasets:
            i = self._producer.get(strip_transcoding(ds) if self._transcoded else ds)
            # "B@spark" selects only a node that writes exactly that; "B" any form of B.
            if i is not None and ("@" not in ds or ds in self._unique[i]._outputs):
                picked.add(i)
        return picked

    def _subset(self, picked: set[int]) -> Pipeline:
        if len(picked) == len(self._nodes):
            return self
        unique = self._unique
        return Pipeline._from_subset([unique[i] for i in self._order if i in picked])

    # -- filters -------------------------------------------------------------------------------
    def only_nodes(self, *node_names: str) -> Pipeline:
        """Just the named nodes; an unknown name is an error with a suggestion."""
        return self._subset(self._select_names(list(node_names)))

    def only_nodes_with_tags(self, *tags: str) -> Pipeline:
        """Nodes carrying at least one of ``tags``."""
        return self._subset(self._select_tags(list(tags)))

    def only_nodes_with_namespaces(self, *namespaces: str) -> Pipeline:
        """Nodes in any of ``namespaces`` or namespaces nested below them."""
        return self._subset(self._select_namespaces(list(namespaces)))

    def only_nodes_with_inputs(self, *datasets: str) -> Pipeline:
        """Nodes that read any of ``datasets`` directly."""
        return self._subset(self._consumers_of(list(datasets)))

    def only_nodes_with_outputs(self, *datasets: str) -> Pipeline:
        """Nodes that write any of ``datasets``."""
        return self._subset(self._producers_of(list(datasets)))

    def from_nodes(self, *node_names: str) -> Pipeline:
        """The named nodes and everything downstream of them."""
        return self._subset(self._walk(self._select_names(list(node_names)), self._children))

    def to_nodes(self, *node_names: str) -> Pipeline:
        """The named nodes and everything they depend on."""
        return self._subset(self._walk(self._select_names(list(node_names)), self._parents))

    def from_inputs(self, *datasets: str) -> Pipeline:
        """Nodes that depend, directly or not, on any of ``datasets``."""
        return self._subset(self._walk(self._consumers_of(list(datasets)), self._children))

    def to_outputs(self, *datasets: str) -> Pipeline:
        """Nodes needed to produce ``datasets``."""
        return self._subset(self._walk(self._producers_of(list(datasets)), self._parents))

    def filter(
        self,
        tags: Iterable[str] | None = None,
        from_nodes: Iterable[str] | None = None,
        to_nodes: Iterable[str] | None = None,
        node_names: Iterable[str] | None = None,
        from_inputs: Iterable[str] | None = None,
        to_outputs: Iterable[str] | None = None,
        node_namespaces: Iterable[str] | None = None,
    ) -> Pipeline:
        """Keep the nodes that every given filter selects (the filters intersect)."""
        selections: list[set[int]] = []
        if tags is not None:
            selections.append(self._select_tags(_names(tags)))
        if node_names is not None:
            selections.append(self._select_names(_names(node_names)))
        if from_nodes is not None:
            selections.append(self._walk(self._select_names(_names(from_nodes)), self._children))
        if to_nodes is not None:
            selections.append(self._walk(self._select_names(_names(to_nodes)), self._parents))
        if from_inputs is not None:
            selections.append(self._walk(self._consumers_of(_names(from_inputs)), self._children))
        if to_outputs is not None:
            selections.append(self._walk(self._producers_of(_names(to_outputs)), self._parents))
        if node_namespaces is not None:
            selections.append(self._select_namespaces(_names(node_namespaces)))
        if not selections:
            return self
        picked = selections[0]
        for other in selections[1:]:
            picked = picked & other
        return self._subset(picked)

    def tag(self, tags: TagsSpec) -> Pipeline:
        """A copy with ``tags`` added to every node."""
        return Pipeline([self], tags=tags)

    # -- display ------------------------------------------------------------------------------
    def describe(self, names_only: bool = True) -> str:
        """A readable summary: free inputs, nodes in run order, free outputs."""
        lines = ["#### Pipeline execution order ####"]
        lines.append("Inputs: " + (", ".join(sorted(self._free_inputs)) or "None"))
        lines.append("")
        for n in self._nodes:
            if names_only:
                lines.append(n._name)
            else:
                lines.append(f"{n._name}: {n.input_spec!r} -> {n.output_spec!r}")
        lines.append("")
        lines.append("Outputs: " + (", ".join(sorted(self._free_outputs)) or "None"))
        lines.append("##################################")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for `proj-tui pipelines --json` and the app's browser."""
        result = []
        for n in self._nodes:
            location = n.source_location
            result.append(
                {
                    "name": n._name,
                    "short_name": n._short_name,
                    "namespace": n._namespace,
                    "tags": sorted(n._tags),
                    "inputs": list(n._inputs),
                    "outputs": list(n._outputs),
                    "func": getattr(n._func, "__qualname__", None) or repr(n._func),
                    "module": getattr(n._func, "__module__", None),
                    "source": None if location is None else list(location),
                }
            )
        return {
            "nodes": result,
            "inputs": sorted(self._free_inputs),
            "outputs": sorted(self._free_outputs),
        }


def _check_transcoding(variants: dict[str, list[str]]) -> None:
    """``B`` and ``B@pandas`` in one pipeline: the plain name would bypass the link Kedro makes
    between the transcoded forms, so Kedro refuses it and so do we."""
    mixed = sorted(base for base, names in variants.items() if len(names) > 1 and base in names)
    if mixed:
        raise PipelineError(
            f"The dataset(s) {_quoted(mixed)} are used with a transcoding suffix ('@...') and "
            "also without one. Use the suffixed names everywhere (e.g. "
            f"'{mixed[0]}@pandas'), or a different name for the plain dataset."
        )


def _defined_at(node: Node) -> str | None:
    """``file:line`` of a node's function, so a pipeline error names where to look."""
    code = getattr(getattr(node, "_func", None), "__code__", None)
    if code is None:
        return None
    return f"{code.co_filename}:{code.co_firstlineno}"
