"""What changed between two versions of a config: the one-line summary a reload toast shows.

Diffs run on flattened dotted keys (``model.lr``), the same keys provenance and ``--params`` use,
so "what changed" and "where it was set" line up for the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from proj_tui.config.merge import flatten, nest_dotted

__all__ = ["ConfigChanges", "diff_config", "format_value", "same_value"]

_MAX_VALUE = 24


def same_value(a: Any, b: Any) -> bool:
    """The one rule for "the same value" in config: reload toasts, ``config compare``, staleness.

    Two values are the same when they are the same YAML value: the same type and equal, all the
    way down into lists and mappings (whose key order does not matter). So ``1`` and ``1.0``
    differ, ``true`` and ``1`` differ, ``[1]`` and ``[1.0]`` differ: a node would be given a
    different Python value, and each is written differently in a YAML file. Floats compare by
    their text, so NaN is the same as NaN. Documented in docs/architecture.md.
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    try:
        if a == b:
            return True
    except Exception:  # an exotic __eq__; fall back to the text
        pass
    return repr(a) == repr(b)


def format_value(value: Any) -> str:
    """A value as a person reads it in one line, cut at a couple of dozen characters."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value if value and value.strip() == value else repr(value)
    else:
        text = repr(value) if not isinstance(value, (list, dict)) else _compact(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return format_value(value)


def _count(n: int, what: str) -> str:
    return f"{n} key{'s' if n != 1 else ''} {what}"


class ConfigChanges:
    """Dotted keys added, removed and changed between two configs (old → new).

    ``changed`` maps a key to ``(old, new)``. Values are leaves as ``flatten`` gives them: lists are
    whole values, an empty mapping is a ``{}`` leaf. A plain class, not a dataclass: it is imported
    on every run, and generating dataclass methods costs about a millisecond.
    """

    __slots__ = ("added", "changed", "removed")

    def __init__(
        self,
        added: dict[str, Any] | None = None,
        removed: dict[str, Any] | None = None,
        changed: dict[str, tuple[Any, Any]] | None = None,
    ) -> None:
        self.added: dict[str, Any] = dict(added or {})
        self.removed: dict[str, Any] = dict(removed or {})
        self.changed: dict[str, tuple[Any, Any]] = dict(changed or {})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigChanges):
            return NotImplemented
        return (self.added, self.removed, self.changed) == (
            other.added,
            other.removed,
            other.changed,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ConfigChanges(added={self.added!r}, removed={self.removed!r}, changed={self.changed!r})"

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)

    @property
    def keys(self) -> list[str]:
        """Every key that differs, sorted (what a form highlights)."""
        return sorted({*self.added, *self.removed, *self.changed})

    def touches(self, prefix: str) -> list[str]:
        """Keys that differ at or under ``prefix`` (``cleaning`` → ``cleaning.max_fare``)."""
        return [k for k in self.keys if k == prefix or k.startswith(prefix + ".")]

    def apply(self, old: Mapping[str, Any]) -> dict[str, Any]:
        """``old`` with these changes applied: ``diff_config(a, b).apply(a) == b`` (nested)."""
        flat = flatten(old)
        for key in self.removed:
            flat.pop(key, None)
        flat.update(self.added)
        flat.update({key: new for key, (_, new) in self.changed.items()})
        return nest_dotted(flat)

    def summary(self, file_label: str | None = None, *, limit: int = 3) -> str:
        """One short line: ``parameters.yml: model.lr 0.01 → 0.02, 1 key added``.

        At most ``limit`` changed values are spelled out; the rest become "and N more changed".
        """
        parts: list[str] = []
        changed = sorted(self.changed.items())
        for key, (old, new) in changed[:limit]:
            parts.append(f"{key} {format_value(old)} → {format_value(new)}")
        if len(changed) > limit:
            parts.append(f"and {len(changed) - limit} more changed")
        if self.added:
            parts.append(
                f"{sorted(self.added)[0]} added"
                if len(self.added) == 1 and not changed
                else _count(len(self.added), "added")
            )
        if self.removed:
            parts.append(
                f"{sorted(self.removed)[0]} removed"
                if len(self.removed) == 1 and not changed
                else _count(len(self.removed), "removed")
            )
        body = ", ".join(parts) if parts else "no changes"
        return f"{file_label}: {body}" if file_label else body

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ``{"added": {...}, "removed": {...}, "changed": {key: [old, new]}}``."""
        return {
            "added": dict(self.added),
            "removed": dict(self.removed),
            "changed": {k: [old, new] for k, (old, new) in self.changed.items()},
        }


def diff_config(old: Mapping[str, Any], new: Mapping[str, Any]) -> ConfigChanges:
    """The dotted-key differences from ``old`` to ``new`` (both nested config dicts)."""
    before, after = flatten(old), flatten(new)
    added = {k: after[k] for k in sorted(after.keys() - before.keys())}
    removed = {k: before[k] for k in sorted(before.keys() - after.keys())}
    changed = {
        k: (before[k], after[k])
        for k in sorted(before.keys() & after.keys())
        if not same_value(before[k], after[k])
    }
    return ConfigChanges(added=added, removed=removed, changed=changed)
