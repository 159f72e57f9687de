"""Where each config value is set ("blame") and how two envs' parameters differ ("compare").

Computed here, once: ``proj-tui config blame|compare`` and the app's config view only render
these rows, so the two can never disagree. Whether two values are the same is
:func:`~proj_tui.config.changes.same_value`, the rule the reload toast and staleness use too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from proj_tui.config.changes import same_value
from proj_tui.config.errors import MissingConfigError
from proj_tui.errors import did_you_mean

if TYPE_CHECKING:
    from proj_tui.config.loader import ConfigLoader
    from proj_tui.config.provenance import Provenance

__all__ = [
    "SECTIONS",
    "BlameRow",
    "CompareRow",
    "Overridden",
    "UnknownConfigKeyError",
    "blame",
    "compare_envs",
]

SECTIONS = ("parameters", "catalog")


class UnknownConfigKeyError(MissingConfigError):
    """A blame asked for a key that no config section has; the message suggests close ones."""


class Overridden(NamedTuple):
    """A value a later layer replaced: its env (``runtime`` for --params), file and value."""

    env: str
    file: str | None  # relative to the project; None for --params
    value: Any


@dataclass(frozen=True)
class BlameRow:
    """One parameter or catalog leaf: its value, the layer that set it, what it overrode."""

    section: str  # "parameters" | "catalog"
    key: str  # dotted, inside the section
    value: Any
    env: str
    file: str | None  # relative to the project; None for --params
    overrode: tuple[Overridden, ...] = ()  # oldest first
    interpolation: str | None = None  # "${globals:currency}" when the value is one
    comes_from: tuple[Overridden, ...] = ()  # where each reference's value is set (value: text)

    @property
    def source(self) -> str:
        """Where the value is set, as a person reads it: the file of the key, and for an
        interpolation also where its value comes from."""
        where = f"{self.env}: {self.file}" if self.file else f"{self.env} (--params)"
        if self.interpolation:
            froms = ", ".join(
                f"{o.value} from {o.env}: {o.file or '--params'}"
                if o.env
                else f"{o.value} unset (its default)"
                for o in self.comes_from
            )
            where += f" as {self.interpolation}" + (f"; {froms}" if froms else "")
        return where


@dataclass(frozen=True)
class CompareRow:
    """One parameter in two envs: each side's value and the env layer that set it."""

    key: str
    left: Any
    right: Any
    left_env: str | None  # None when the key is not set on that side
    right_env: str | None
    left_set: bool = True
    right_set: bool = True

    @property
    def same(self) -> bool:
        """Set on both sides to the same value (see :func:`same_value`)."""
        return self.left_set and self.right_set and same_value(self.left, self.right)


def _rel(path: Path | None, root: Path | None) -> str | None:
    if path is None or root is None:
        return None if path is None else str(path)
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _row(section: str, prov: Provenance, root: Path | None) -> BlameRow:
    return BlameRow(
        section,
        prov.key,
        prov.value,
        prov.env,
        _rel(prov.path, root),
        tuple(Overridden(o.env, _rel(o.path, root), o.value) for o in prov.overridden),
        prov.interpolation,
        tuple(Overridden(r.env or "", _rel(r.path, root), r.text) for r in prov.references),
    )


def _under(dotted: str, prefix: str) -> bool:
    return not prefix or dotted == prefix or dotted.startswith(prefix + ".")


def blame(
    loader: ConfigLoader,
    root: Path | None = None,
    key: str | None = None,
    sections: Sequence[str] = SECTIONS,
) -> list[BlameRow]:
    """Every leaf of ``sections`` in ``loader``'s env with its provenance, files relative to ``root``.

    ``key`` narrows it to a dotted key or prefix. It may start with a section
    (``catalog.trips_raw``, ``parameters.model_a``); a bare key is looked up in the sections in
    order and the first that has it wins. A key found nowhere raises
    :class:`UnknownConfigKeyError` with "Did you mean …?". A section without files is skipped.
    """
    head, _, rest = (key or "").partition(".")
    wanted: list[tuple[str, str]]  # (section, prefix inside it)
    if key is None:
        wanted = [(s, "") for s in sections]
    elif head in sections:
        wanted = [(head, rest)]
    else:
        wanted = [(s, key) for s in sections]
    rows: list[BlameRow] = []
    known: list[str] = []
    for section, prefix in wanted:
        try:
            provenance = loader.provenance(section)
        except MissingConfigError:
            continue
        known.extend(provenance)
        rows.extend(_row(section, p, root) for d, p in provenance.items() if _under(d, prefix))
        if rows and key is not None:
            break  # a bare key found in parameters is not also looked up in the catalog
    if key is not None and not rows:
        raise UnknownConfigKeyError(
            f"No config key '{key}' in env '{loader.env}'.{did_you_mean(key, known)} "
            "Give a dotted key such as 'model_a.model_options.lr' or 'catalog.trips_raw', or no "
            "key to see every value."
        )
    return rows


def compare_envs(left: ConfigLoader, right: ConfigLoader) -> list[CompareRow]:
    """Two loaders' merged parameters key by key (sorted), with the env that set each value."""
    a, b = left.provenance("parameters"), right.provenance("parameters")
    return [_compare_row(key, a.get(key), b.get(key)) for key in sorted(a.keys() | b.keys())]


def _compare_row(key: str, pa: Provenance | None, pb: Provenance | None) -> CompareRow:
    return CompareRow(
        key,
        pa.value if pa is not None else None,
        pb.value if pb is not None else None,
        _value_env(pa),
        _value_env(pb),
        pa is not None,
        pb is not None,
    )


def _value_env(prov: Provenance | None) -> str | None:
    """The env a value comes from: for an interpolation, that of what it refers to
    (``prod via ${globals:currency}``), not only the env the ``${...}`` is written in."""
    if prov is None:
        return None
    envs = sorted({r.env for r in prov.references if r.env})
    if prov.interpolation and envs:
        return f"{', '.join(envs)} via {prov.interpolation}"
    return prov.env
