"""What a run executes, as one value: :class:`RunSelection`.

The same choice (pipelines, filters, load versions, only-missing-outputs, runner) travels through
the CLI's argv, ``Session.run``'s keyword arguments, the store's JSON and preset files. Each of
those conversions is written once here and driven by the field table (each dataclass field's
metadata), so a new field is added in one place and every surface learns it. The names are
Kedro 1.x's (``node_names``, ``namespaces``, ``pipeline_names``); older spellings the store and
preset files still hold (``node_namespaces``, ``nodes``, ``pipeline``) are read, never written.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar

from proj_tui.errors import ProjTuiError, did_you_mean

if TYPE_CHECKING:
    import argparse

    from proj_tui.framework.store import SessionRecord
    from proj_tui.pipeline import Pipeline
    from proj_tui.runner import AbstractRunner

DEFAULT_PIPELINE = "__default__"

Kind = Literal["names", "versions", "switch", "name"]

# store names of the built-in runners -> the CLI's name for them (what --runner takes)
_RUNNER_FLAGS = {
    "SequentialRunner": "sequential",
    "ThreadRunner": "thread",
    "ParallelRunner": "process",
    "DaskRunner": "dask",
}


class SelectionError(ProjTuiError):
    """A run selection is malformed (a bad ``--load-versions`` item, a wrong type in a file)."""


class UnknownPipelineError(SelectionError):
    """A selected pipeline is not registered; the message suggests the closest names."""

    @classmethod
    def naming(cls, name: str, known: Iterable[str]) -> UnknownPipelineError:
        """The error for ``name``, listing the registered pipelines and the closest ones."""
        names = sorted(known)
        return cls(
            f"Pipeline '{name}' is not registered.{did_you_mean(name, names)} "
            f"Registered pipelines: {', '.join(names) or 'none'}."
        )


@dataclass(frozen=True)
class SelectionField:
    """One row of the field table: how a field is spelled on each surface."""

    name: str  # Kedro's spelling: the run keyword, the store key and the preset key
    kind: Kind
    flag: str  # the ``proj-tui run`` option
    metavar: str
    help: str
    short: str | None = None
    label: str | None = None  # how ``describe()`` names a filter; None: not a node filter
    old_names: tuple[str, ...] = ()  # spellings stored records and preset files may still use
    one_flags: tuple[str, ...] = ()  # options taking a single value (``--pipeline NAME``)
    one_name: str | None = None  # the key of a single value in stored records and presets


def _meta(kind: Kind, flag: str, metavar: str, help: str, **more: Any) -> dict[str, Any]:
    return {"selection": {"kind": kind, "flag": flag, "metavar": metavar, "help": help, **more}}


def _names_field(flag: str, metavar: str, help: str, **more: Any) -> Any:
    return field(default=frozenset(), metadata=_meta("names", flag, metavar, help, **more))


@dataclass(frozen=True)
class RunSelection:
    """What a run executes. Filters combine by intersection, like ``Pipeline.filter``.

    Name fields are sets (order never changes what runs); conversions write them sorted, so the
    same selection always gives the same argv, JSON and file. ``pipeline_names`` empty means
    ``__default__``; several names run the union of those pipelines.
    """

    pipeline_names: frozenset[str] = field(
        default=frozenset(),
        metadata=_meta(
            "names",
            "--pipelines",
            "P1,P2",
            "run the union of these registered pipelines",
            one_flags=("--pipeline", "-p"),
            one_name="pipeline",
        ),
    )
    tags: frozenset[str] = _names_field(
        "--tags", "T1,T2", "only nodes with any of these tags", short="-t", label="tags"
    )
    node_names: frozenset[str] = _names_field(
        "--nodes", "N1,N2", "only these nodes", short="-n", label="nodes", old_names=("nodes",)
    )
    from_nodes: frozenset[str] = _names_field(
        "--from-nodes", "N1,N2", "these nodes and everything downstream", label="from"
    )
    to_nodes: frozenset[str] = _names_field(
        "--to-nodes", "N1,N2", "these nodes and everything upstream", label="to"
    )
    from_inputs: frozenset[str] = _names_field(
        "--from-inputs", "D1,D2", "nodes downstream of these datasets", label="from inputs"
    )
    to_outputs: frozenset[str] = _names_field(
        "--to-outputs", "D1,D2", "nodes upstream of these datasets", label="to outputs"
    )
    namespaces: frozenset[str] = _names_field(
        "--namespaces",
        "NS1,NS2",
        "only nodes in these namespaces",
        label="namespaces",
        old_names=("node_namespaces",),
    )
    load_versions: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}),
        hash=False,
        metadata=_meta(
            "versions", "--load-versions", "DS:VERSION,...", "pin versioned datasets to versions"
        ),
    )
    only_missing_outputs: bool = field(
        default=False,
        metadata=_meta(
            "switch",
            "--only-missing-outputs",
            "",
            "skip nodes whose persisted outputs already exist",
        ),
    )
    runner: str | None = field(
        default=None,
        metadata=_meta(
            "name",
            "--runner",
            "NAME",
            "sequential, thread, process, dask or a dotted class path",
            short="-r",
        ),
    )

    def __post_init__(self) -> None:
        # normalise whatever iterables a caller passed, so equal selections compare equal
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if spec.kind == "names":
                normal: Any = _name_set(value, spec.name)
            elif spec.kind == "versions":
                normal = MappingProxyType(dict(sorted(dict(value or {}).items())))
            elif spec.kind == "switch":
                normal = bool(value)
            else:
                normal = value or None
            object.__setattr__(self, spec.name, normal)
        if self.pipeline_names == {DEFAULT_PIPELINE}:
            object.__setattr__(self, "pipeline_names", frozenset())

    # -- reading --------------------------------------------------------------------------------
    @property
    def pipelines(self) -> list[str]:
        """The pipelines to run, sorted; ``["__default__"]`` when none was named."""
        return sorted(self.pipeline_names) or [DEFAULT_PIPELINE]

    @property
    def pipeline(self) -> str:
        """The pipeline as one string (the store's column, the app's label): ``a,b`` for two."""
        return ",".join(self.pipelines)

    def filters(self) -> dict[str, list[str]]:
        """The node filters that are set, each sorted: the store's ``filters`` document."""
        return {
            spec.name: sorted(getattr(self, spec.name))
            for spec in FIELDS
            if spec.label is not None and getattr(self, spec.name)
        }

    def is_empty(self) -> bool:
        """True when no node filter is set (the whole pipeline runs)."""
        return not self.filters()

    def describe(self) -> str:
        """The node filters for people: ``tags etl; from clean``."""
        parts = [
            f"{spec.label} {', '.join(sorted(getattr(self, spec.name)))}"
            for spec in FIELDS
            if spec.label is not None and getattr(self, spec.name)
        ]
        return "; ".join(parts) if parts else "no filters (whole pipeline)"

    # -- changing -------------------------------------------------------------------------------
    def toggle(self, what: str, value: str) -> RunSelection:
        """A copy with ``value`` added to, or removed from, the name field ``what``."""
        current: frozenset[str] = getattr(self, what)
        changes: dict[str, Any] = {what: current ^ {value}}
        return replace(self, **changes)

    def with_pipelines(self, *names: str) -> RunSelection:
        return replace(self, pipeline_names=frozenset(names))

    def only_filters(self) -> RunSelection:
        """The node filters alone: pipelines, load versions and runner back to their defaults."""
        return RunSelection(**self.filters())  # type: ignore[arg-type]

    # -- previewing -----------------------------------------------------------------------------
    def plan(self, nodes: Sequence[_N]) -> list[_N]:
        """The described ``nodes`` (in run order) a run with this selection would execute.

        Mirrors ``Pipeline.filter`` for the app, which knows nodes only as the CLI describes them:
        each given filter selects a set of nodes and the run takes their intersection. ``from``/
        ``to`` follow data dependencies through dataset names; from-inputs starts at the nodes
        reading those datasets, to-outputs ends at the nodes writing them.
        """
        selected = set(range(len(nodes)))
        if self.tags:
            selected &= {i for i, n in enumerate(nodes) if self.tags & set(n.tags)}
        if self.node_names:
            selected &= {i for i, n in enumerate(nodes) if n.name in self.node_names}
        if self.namespaces:
            selected &= {
                i
                for i, n in enumerate(nodes)
                if any(in_namespace(n.namespace, ns) for ns in self.namespaces)
            }
        if self.from_nodes:
            selected &= _closure(nodes, self.from_nodes, downstream=True)
        if self.to_nodes:
            selected &= _closure(nodes, self.to_nodes, downstream=False)
        if self.from_inputs:
            readers = {n.name for n in nodes if self.from_inputs & set(n.inputs)}
            selected &= _closure(nodes, readers, downstream=True)
        if self.to_outputs:
            writers = {n.name for n in nodes if self.to_outputs & set(n.outputs)}
            selected &= _closure(nodes, writers, downstream=False)
        return [n for i, n in enumerate(nodes) if i in selected]

    def unknown_names(self, nodes: Sequence[DescribedNode]) -> list[tuple[str, list[str]]]:
        """The node names and namespaces this selection asks for that no node in ``nodes`` has.

        ``[("nodes", [...]), ("namespaces", [...])]``, empty kinds left out: what a preset saved
        before the project changed still carries.
        """
        names = {n.name for n in nodes}
        gone = sorted((self.node_names | self.from_nodes | self.to_nodes) - names)
        gone_ns = sorted(
            ns for ns in self.namespaces if not any(in_namespace(n.namespace, ns) for n in nodes)
        )
        return [
            (kind, missing)
            for kind, missing in (("nodes", gone), ("namespaces", gone_ns))
            if missing
        ]

    # -- applying -------------------------------------------------------------------------------
    def select(self, pipelines: Mapping[str, Pipeline]) -> Pipeline:
        """The union of the selected registered pipelines, filtered; unknown names are refused."""
        chosen = []
        for name in self.pipelines:
            if name not in pipelines:
                raise UnknownPipelineError.naming(name, pipelines)
            chosen.append(pipelines[name])
        whole = chosen[0] if len(chosen) == 1 else _union(chosen)
        return whole.filter(**self.pipeline_filter_kwargs())

    def pipeline_filter_kwargs(self) -> dict[str, list[str] | None]:
        """``Pipeline.filter``'s keywords (which spells namespaces ``node_namespaces``, as Kedro)."""
        given = self.filters()
        return {
            ("node_namespaces" if spec.name == "namespaces" else spec.name): given.get(spec.name)
            for spec in FIELDS
            if spec.label is not None
        }

    # -- CLI argv -------------------------------------------------------------------------------
    def to_argv(self) -> list[str]:
        """The ``proj-tui run`` options that make this selection (defaults left out)."""
        argv: list[str] = []
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if not value:
                continue
            if spec.one_flags and len(value) == 1:
                argv += [spec.one_flags[0], next(iter(value))]
            elif spec.kind == "names":
                argv += [spec.flag, ",".join(sorted(value))]
            elif spec.kind == "versions":
                argv += [spec.flag, ",".join(f"{k}:{v}" for k, v in value.items())]
            elif spec.kind == "switch":
                argv.append(spec.flag)
            else:
                argv += [spec.flag, str(value)]
        return argv

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunSelection:
        """The selection of parsed ``proj-tui run`` options (see :func:`add_arguments`)."""
        values: dict[str, Any] = {}
        for spec in FIELDS:
            raw = getattr(args, _dest(spec.flag), None)
            if spec.kind == "names":
                names = set(_split(raw))
                if spec.one_flags:
                    one = getattr(args, _dest(spec.one_flags[0]), None)
                    names |= {one} if one else set()
                values[spec.name] = names
            elif spec.kind == "versions":
                values[spec.name] = _parse_versions(raw)
            else:
                values[spec.name] = raw
        return cls(**values)

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> RunSelection:
        """The selection of ``proj-tui run`` options; other options are ignored."""
        import argparse

        parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
        add_arguments(parser)
        known, _ = parser.parse_known_args(list(argv))
        return cls.from_args(known)

    # -- Session.run keywords -------------------------------------------------------------------
    def run_kwargs(self) -> RunKwargs:
        """``Session.run`` keyword arguments (lists for names, like Kedro)."""
        out: dict[str, Any] = {}
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if spec.kind == "names" and spec.label is None:  # the pipelines, default spelled out
                out[spec.name] = self.pipelines
            elif spec.kind == "names":
                out[spec.name] = sorted(value) or None
            elif spec.kind == "versions":
                out[spec.name] = dict(value) or None
            else:
                out[spec.name] = value
        return out  # type: ignore[return-value]

    @classmethod
    def from_run_kwargs(cls, pipeline_name: str | None = None, **kwargs: Any) -> RunSelection:
        """The selection of ``Session.run``'s arguments; a runner object is recorded by name."""
        unknown = set(kwargs) - set(FIELD_NAMES)
        if unknown:
            name = sorted(unknown)[0]
            raise TypeError(
                f"Session.run() got an unexpected keyword argument '{name}'."
                f"{did_you_mean(name, FIELD_NAMES)}"
            )
        runner = kwargs.get("runner")
        if runner is not None and not isinstance(runner, str):
            kwargs["runner"] = runner_name(runner)
        names = set(_name_set(kwargs.pop("pipeline_names", None), "pipeline_names"))
        if pipeline_name:
            names.add(pipeline_name)
        return cls(pipeline_names=frozenset(names), **kwargs)

    # -- the store's JSON -----------------------------------------------------------------------
    def to_store(self) -> dict[str, Any]:
        """The record fields a run writes (``store.update_session(id, **selection.to_store())``).

        ``pipeline`` is a column (what History filters on); the node filters go under ``filters``;
        the rest are top-level keys of the record's document.
        """
        out: dict[str, Any] = {"pipeline": self.pipeline, "filters": self.filters()}
        for spec in FIELDS:
            if spec.label is not None:
                continue
            value = getattr(self, spec.name)
            if spec.kind == "names":
                value = self.pipelines
            elif spec.kind == "versions":
                value = dict(value) or None
            out[spec.name] = value
        return out

    @classmethod
    def from_store(cls, data: Mapping[str, Any]) -> RunSelection:
        """The selection a stored record ran, from today's shape or an older one.

        ``data`` is the record as a mapping: ``pipeline``, ``filters``, ``runner`` and the other
        top-level keys (on a :class:`SessionRecord` those live in ``extra``; see
        :meth:`from_record`). Old records have no ``pipeline_names`` and spell namespaces
        ``node_namespaces``; runner class names map back to the CLI's names.
        """
        filters = data.get("filters") or {}
        values: dict[str, Any] = {}
        for spec in FIELDS:
            source = filters if spec.label is not None else data
            value = _first(source, (spec.name, *spec.old_names))
            if value is None and spec.one_name:
                one = data.get(spec.one_name)
                value = [one] if one else None
            values[spec.name] = value
        runner = values.get("runner")
        if isinstance(runner, str):
            values["runner"] = _RUNNER_FLAGS.get(runner, runner)
        return cls(**values)

    @classmethod
    def from_record(cls, record: SessionRecord) -> RunSelection:
        """The selection of a :class:`~proj_tui.framework.store.SessionRecord`."""
        data = {
            **(record.extra or {}),
            "pipeline": record.pipeline,
            "filters": record.filters,
            "runner": record.runner,
        }
        return cls.from_store(data)

    # -- preset files ---------------------------------------------------------------------------
    def to_preset(self) -> dict[str, Any]:
        """The selection's keys of a preset file, every field written (sorted, so diffs stay clean)."""
        out: dict[str, Any] = {}
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if spec.kind == "names" and spec.label is None:  # the pipelines, default spelled out
                out[spec.name] = self.pipelines
            elif spec.kind == "names":
                out[spec.name] = sorted(value)
            elif spec.kind == "versions":
                out[spec.name] = dict(value)
            else:
                out[spec.name] = value
        return out

    @classmethod
    def from_preset(cls, data: Mapping[str, Any], where: str) -> RunSelection:
        """The selection in a preset file's mapping, checked; errors name ``where`` and the key.

        Reads today's keys and the older ones (``nodes``, ``pipeline``); other keys are the
        caller's to check.
        """
        values: dict[str, Any] = {}
        for spec in FIELDS:
            key = next((k for k in (spec.name, *spec.old_names) if k in data), spec.name)
            raw = data.get(key)
            if spec.kind == "names":
                names = checked_names(where, key, raw)
                if spec.one_name:
                    one = checked_name(where, spec.one_name, data.get(spec.one_name))
                    names += [one] if one else []
                values[spec.name] = names
            elif spec.kind == "versions":
                values[spec.name] = _checked_versions(where, key, raw)
            elif spec.kind == "switch":
                if raw is not None and not isinstance(raw, bool):
                    raise SelectionError(wrong_value(where, key, "true or false", raw))
                values[spec.name] = bool(raw)
            else:
                values[spec.name] = checked_name(where, key, raw)
        return cls(**values)


def _dest(flag: str) -> str:
    """Where argparse keeps an option: named after the flag (``--from-nodes`` -> ``from_nodes``)."""
    return flag.lstrip("-").replace("-", "_")


FIELDS: tuple[SelectionField, ...] = tuple(
    SelectionField(name=f.name, **f.metadata["selection"]) for f in fields(RunSelection)
)
FIELD_NAMES: tuple[str, ...] = tuple(spec.name for spec in FIELDS)
PRESET_KEYS: tuple[str, ...] = tuple(
    key
    for spec in FIELDS
    for key in (spec.name, *spec.old_names, *([spec.one_name] if spec.one_name else []))
)
"""Every key a preset file may use for the selection (today's and the older spellings)."""


class RunKwargs(TypedDict, total=False):
    """``Session.run``'s keyword arguments besides ``pipeline_name``: one per selection field."""

    pipeline_names: Iterable[str] | None
    tags: Iterable[str] | None
    node_names: Iterable[str] | None
    from_nodes: Iterable[str] | None
    to_nodes: Iterable[str] | None
    from_inputs: Iterable[str] | None
    to_outputs: Iterable[str] | None
    namespaces: Iterable[str] | None
    load_versions: Mapping[str, str] | None
    only_missing_outputs: bool
    runner: AbstractRunner | str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the selection's ``proj-tui run`` options to ``parser``."""
    for spec in FIELDS:
        if spec.one_flags:
            parser.add_argument(
                *spec.one_flags,
                dest=_dest(spec.one_flags[0]),
                metavar="NAME",
                help=f"registered pipeline to run (default: {DEFAULT_PIPELINE})",
            )
        flags = [spec.flag, *([spec.short] if spec.short else [])]
        if spec.kind == "switch":
            parser.add_argument(*flags, dest=_dest(spec.flag), action="store_true", help=spec.help)
        else:
            parser.add_argument(*flags, dest=_dest(spec.flag), metavar=spec.metavar, help=spec.help)


def given_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The selection options given on a command line, keyed by option name (``nodes``, ``pipeline``).

    What a session records as its CLI flags: the options as the person typed them.
    """
    out: dict[str, Any] = {}
    for spec in FIELDS:
        for flag in (spec.flag, *spec.one_flags[:1]):
            value = getattr(args, _dest(flag), None)
            if value:
                out[_dest(flag)] = value
    return out


def runner_name(runner: AbstractRunner | str) -> str:
    """The name a runner is recorded under: its ``name`` attribute, else its class name."""
    if isinstance(runner, str):
        return runner
    return str(getattr(runner, "name", type(runner).__name__))


def resume_command(
    selection: RunSelection,
    *,
    env: str,
    params: Mapping[str, Any],
    parent: str | None = None,
) -> str:
    """The ``proj-tui run`` command line for ``selection``, quoted for a POSIX shell."""
    from proj_tui.config import format_params

    argv = ["proj-tui", "run", "--env", env]
    if params:
        argv += ["--params", format_params(params)]
    argv += selection.to_argv()
    if parent:
        argv += ["--parent", parent]
    return shlex.join(argv)


# -- value checks shared with the preset reader ---------------------------------------------------
def wrong_value(where: str, key: str, expected: str, value: Any) -> str:
    """The one wording for a bad value: the file, the key, what it must be and the fix."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    hint = " (quote words YAML reads as booleans, e.g. 'yes')" if _has_bool(value) else ""
    return f"{where}: {key!r} must be {expected}, not {shown}{hint}."


def as_name(value: Any) -> str | None:
    """``value`` as a name, or None when it is not one.

    YAML reads ``2024`` as an int, so numbers count as names; a bool is refused rather than guessed
    at, because ``yes``/``on`` would come back as ``True``, not the word that was written.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def checked_name(where: str, key: str, value: Any) -> str | None:
    """A single name from a file, or None when absent; raises :class:`SelectionError` otherwise."""
    if value is None:
        return None
    text = as_name(value)
    if text is None:
        raise SelectionError(wrong_value(where, key, "a string", value))
    return text


def checked_names(where: str, key: str, value: Any) -> list[str]:
    """A list of names; a lone string is refused, not iterated (``etl`` would become e, t, l)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SelectionError(wrong_value(where, key, "a list of strings", value))
    names = [as_name(v) for v in value]
    if None in names:
        raise SelectionError(wrong_value(where, key, "a list of strings", value))
    return [n for n in names if n is not None]


def _checked_versions(where: str, key: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    expected = "a mapping of dataset names to versions"
    if not isinstance(value, Mapping):
        raise SelectionError(wrong_value(where, key, expected, value))
    out: dict[str, str] = {}
    for name, version in value.items():
        name_text, version_text = as_name(name), as_name(version)
        if name_text is None or version_text is None:
            raise SelectionError(wrong_value(where, key, expected, value))
        out[name_text] = version_text
    return out


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, list):
        return any(isinstance(v, bool) for v in value)
    if isinstance(value, Mapping):
        return any(isinstance(v, bool) for v in (*value.keys(), *value.values()))
    return False


# -- internals ------------------------------------------------------------------------------------
def _name_set(value: Any, what: str) -> frozenset[str]:
    if not value:
        return frozenset()
    if isinstance(value, str):  # "etl" is one name, not the letters e, t, l
        raise SelectionError(f"{what} must be a list of names, not the string {value!r}.")
    return frozenset(str(v) for v in value)


def _split(value: str | None) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; None or empty -> ``[]``."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _parse_versions(value: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in _split(value):
        name, sep, version = item.partition(":")
        if not sep or not name.strip() or not version.strip():
            raise SelectionError(f"--load-versions item '{item}' must look like DATASET:VERSION.")
        out[name.strip()] = version.strip()
    return out


def _first(data: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def _union(pipelines: list[Pipeline]) -> Pipeline:
    from proj_tui.pipeline import Pipeline

    return Pipeline(pipelines)


class DescribedNode(Protocol):
    """A node as ``proj-tui pipelines describe --json`` gives it (what the app's preview sees)."""

    @property
    def name(self) -> str: ...
    @property
    def namespace(self) -> str | None: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def inputs(self) -> Sequence[str]: ...
    @property
    def outputs(self) -> Sequence[str]: ...


_N = TypeVar("_N", bound=DescribedNode)


def in_namespace(namespace: str | None, wanted: str) -> bool:
    """Whether a node in ``namespace`` is selected by ``--namespaces wanted`` (a parent counts)."""
    return bool(namespace) and (namespace == wanted or str(namespace).startswith(wanted + "."))


def _closure(nodes: Sequence[DescribedNode], names: Iterable[str], *, downstream: bool) -> set[int]:
    """Indexes of the named nodes and everything after (or before) them in the data flow."""
    producers: dict[str, int] = {}
    consumers: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for ds in n.outputs:
            producers[ds] = i
        for ds in n.inputs:
            consumers.setdefault(ds, []).append(i)
    wanted = set(names)
    todo = [i for i, n in enumerate(nodes) if n.name in wanted]
    seen = set(todo)
    while todo:
        node = nodes[todo.pop()]
        if downstream:
            nxt = [c for ds in node.outputs for c in consumers.get(ds, ())]
        else:
            nxt = [producers[ds] for ds in node.inputs if ds in producers]
        for j in nxt:
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen
