"""Where each config value came from, for the app's parameter form and ``sessions show``.

Replays the same layering the loader does (files of ``base``, then the run env, then runtime
parameters) on flattened leaves, remembering what each layer replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from proj_tui.config.merge import RUNTIME_ENV, flatten

__all__ = ["RUNTIME_ENV", "Override", "Provenance", "Reference", "trace_provenance"]


class Override(NamedTuple):
    """A value some later layer replaced: its env (``runtime`` for --params), file and value."""

    env: str
    path: Path | None
    value: Any


class Reference(NamedTuple):
    """Where an interpolated value comes from: ``${globals:currency}`` set by env ``prod`` in
    ``conf/prod/globals.yml`` (``path`` None for --params or an unset key's default)."""

    text: str
    env: str | None
    path: Path | None


@dataclass(frozen=True)
class Provenance:
    """One dotted leaf key of a merged config: its value, where it was set, what it overrode.

    ``path`` is None for a runtime override (``env == "runtime"``). ``overridden`` is in merge
    order, oldest first, so ``overridden[0]`` is usually the ``base`` value.
    """

    key: str
    value: Any
    env: str
    path: Path | None
    overridden: list[Override] = field(default_factory=list)
    line: int | None = None  # where in ``path`` the key is set, when the loader tracked it
    interpolation: str | None = None  # the raw text, when the value is an interpolation
    references: list[Reference] = field(default_factory=list)  # where its value comes from


@dataclass
class _Leaf:
    env: str
    path: Path | None
    value: Any
    history: list[Override]


def _related(a: str, b: str) -> bool:
    """Same key, or one is inside the other (``a`` and ``a.b``)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def trace_provenance(
    layers: Iterable[tuple[str, Path | None, Mapping[str, Any]]],
    final: Mapping[str, Any],
    *,
    deep_envs: Callable[[str], bool],
    resolve: Callable[[str, Any], Any],
) -> dict[str, Provenance]:
    """Provenance of every leaf of ``final`` given the ``(env, path, data)`` layers that built it.

    ``deep_envs(env)`` says whether that env merges deeply (else it replaces per top-level key);
    ``resolve(dotted, raw)`` turns a replaced raw value into what it would have resolved to.
    """
    acc: dict[str, _Leaf] = {}
    grouped: list[tuple[str, list[tuple[Path | None, Mapping[str, Any]]]]] = []
    for env, path, data in layers:
        if not grouped or grouped[-1][0] != env:
            grouped.append((env, []))
        grouped[-1][1].append((path, data))

    for env, files in grouped:
        deep = deep_envs(env)
        dropped: list[tuple[str, _Leaf]] = []
        if not deep:
            tops = {str(k) for _, data in files for k in data}
            for key in [k for k in acc if k.split(".", 1)[0] in tops]:
                dropped.append((key, acc.pop(key)))
        for path, data in files:
            for key, value in flatten(data).items():
                if deep and value == {} and any(k.startswith(key + ".") for k in acc):
                    continue  # merging an empty mapping changes nothing
                replaced = [(k, acc.pop(k)) for k in [k for k in acc if _related(k, key)]]
                replaced += [(k, leaf) for k, leaf in dropped if _related(k, key)]
                history: list[Override] = []
                for old_key, leaf in replaced:
                    history.extend(leaf.history)
                    history.append(Override(leaf.env, leaf.path, resolve(old_key, leaf.value)))
                acc[key] = _Leaf(env, path, value, history)

    result: dict[str, Provenance] = {}
    for key, value in flatten(final).items():
        source = acc.get(key)
        if source is None:  # pragma: no cover - layering and merge disagree; keep the value
            result[key] = Provenance(key, value, "", None, [])
        else:
            raw = source.value if isinstance(source.value, str) and "${" in source.value else None
            result[key] = Provenance(
                key, value, source.env, source.path, list(source.history), interpolation=raw
            )
    return result
