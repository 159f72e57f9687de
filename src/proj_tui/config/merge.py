"""Pure dict helpers for layering config: deep merge, dotted keys in and out.

Kept free of I/O so the session framework and the app can reuse them on plain dicts (for example
to show which parameters a run overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["deep_merge", "flatten", "nest_dotted", "set_dotted"]

RUNTIME_ENV = "runtime"
"""The layer ``runtime_params`` (``--params``) form above every env's files (``provenance`` names it)."""


def _copy_tree(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy_tree(v) for k, v in value.items()}
    return value


def deep_merge(base: Mapping[Any, Any], override: Mapping[Any, Any]) -> dict[Any, Any]:
    """Return a new dict of ``base`` updated by ``override``; nested mappings merge key by key.

    Only mappings merge: a list or scalar in ``override`` replaces what was there. Nested
    mappings are copied, so changing the result never changes an input.
    """
    result: dict[Any, Any] = {k: _copy_tree(v) for k, v in base.items()}
    for key, value in override.items():
        current = result.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            result[key] = deep_merge(current, value)
        else:
            result[key] = _copy_tree(value)
    return result


def set_dotted(target: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set ``target[p0][p1]...`` to ``value`` in place, replacing any non-dict on the way.

    Assignment replaces: ``b={x: 1}`` after ``b.c=2`` leaves only ``x``, while ``b.c=2`` after
    ``b={x: 1}`` keeps ``x`` because it only walks into ``b``.
    """
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = _copy_tree(value)


def nest_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``{"a.b": 1}`` into ``{"a": {"b": 1}}``; on a clash the later key wins.

    Only the top-level keys are split; values are copied as they are.
    """
    result: dict[str, Any] = {}
    for key, value in flat.items():
        set_dotted(result, str(key).split("."), value)
    return result


def flatten(d: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """Turn ``{"a": {"b": 1}}`` into ``{"a.b": 1}``, the inverse of ``nest_dotted``.

    Lists are leaves (not indexed), and an empty mapping is kept as a ``{}`` leaf so that
    ``nest_dotted(flatten(d)) == d``.
    """
    result: dict[str, Any] = {}
    for key, value in d.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            result.update(flatten(value, dotted))
        else:
            result[dotted] = {} if isinstance(value, Mapping) else value
    return result
