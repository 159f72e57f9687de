"""Reading and writing the ``--params`` string (Kedro's ``extra_params``).

``parse_params`` turns ``a=1,b.c=2`` into nested, YAML-typed values; ``format_params`` writes
the string back so the app can show the ``proj-tui run --params ...`` command equivalent to a form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from proj_tui.config.errors import ParamsError
from proj_tui.config.merge import set_dotted
from proj_tui.config.text_split import split_top_level
from proj_tui.config.yaml_io import parse_value

__all__ = ["format_params", "parse_params"]

# Characters that would change how an item splits if they appeared in a key part.
_KEY_FORBIDDEN = set(".,=[]{}")
_PLAIN_FORBIDDEN = set(",[]{}")


def _parse_key(item: str, raw_key: str) -> list[str]:
    key = raw_key.strip()
    if not key:
        raise ParamsError(
            f"The runtime parameter {item.strip()!r} has an empty key; write it as key=value, "
            "for example 'model.lr=0.1'."
        )
    parts = [part.strip() for part in key.split(".")]
    if any(not part for part in parts):
        raise ParamsError(
            f"The runtime parameter key {key!r} has an empty part between dots; write dotted "
            "keys like 'model.lr' (no leading, trailing or doubled dots)."
        )
    bad = sorted((_KEY_FORBIDDEN - {"."}) & set(key))
    if bad:  # accepted, it could never be written back (sessions list, rerun, the app's command)
        hint = (
            " A list is set whole: 'a=[1, 2]'; an item by index cannot be set."
            if "[" in bad
            else ""
        )
        raise ParamsError(
            f"The runtime parameter key {key!r} contains {' '.join(repr(c) for c in bad)}; "
            f"keys are dotted names like 'model.lr'.{hint}"
        )
    return parts


def parse_params(text: str) -> dict[str, Any]:
    """Parse ``"a=1,b.c=2"`` into ``{"a": 1, "b": {"c": 2}}``.

    Items are separated by commas outside ``[]``, ``{}`` and quotes; whitespace around items,
    keys and values is ignored, and blank items (a trailing comma) are skipped. Values are typed
    like YAML (see ``parse_value``); ``a=`` gives an empty string. Dotted keys nest, and a later
    item wins over an earlier one for the same key. Raises ``ParamsError`` with a sentence for
    anything it cannot read, never another exception.
    """
    result: dict[str, Any] = {}
    for item in split_top_level(text, quote_at_start=False):
        if not item.strip():
            continue
        raw_key, eq, raw_value = item.partition("=")
        if not eq:
            hint = (
                " Runtime parameters use '=' between key and value, not ':'." if ":" in item else ""
            )
            raise ParamsError(
                f"The runtime parameter {item.strip()!r} has no '='; write it as key=value, for "
                f"example 'model.lr=0.1'.{hint}"
            )
        parts = _parse_key(item, raw_key)
        try:
            value = parse_value(raw_value)
        except ValueError as exc:
            raise ParamsError(
                f"Could not read the value of runtime parameter {'.'.join(parts)!r}: {exc}. "
                "Check its brackets and quotes, or quote the whole value."
            ) from exc
        set_dotted(result, parts, value)
    return result


def _format_key(parts: list[str]) -> str:
    key = ".".join(parts)
    for part in parts:
        if not part or part != part.strip() or _KEY_FORBIDDEN & set(part):
            raise ParamsError(
                f"The parameter key {key!r} cannot be written as --params: key parts must be "
                "non-empty, without surrounding spaces and without any of . , = [ ] { }."
            )
    return key


def _dump_flow(value: Any) -> str:
    import yaml  # only when formatting: its import is most of a start-up

    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=math.inf, sort_keys=False
    )
    text = text.rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.strip()


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return _dump_flow_scalar(value)
    if value is None or isinstance(value, (bool, int, float, list, tuple, Mapping)):
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, Mapping):
            value = dict(value)
        return _dump_flow(value)
    raise ParamsError(
        f"The value {value!r} cannot be written as --params: only strings, numbers, booleans, "
        "null, lists and mappings can."
    )


def _dump_flow_scalar(value: str) -> str:
    import yaml

    text = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=math.inf)
    return text.rstrip("\n")


def _splits_alone(item: str) -> bool:
    """True when ``item`` stays one item whatever follows it."""
    return split_top_level(f"{item},k=0", quote_at_start=False) == [item, "k=0"]


def _plain_item(key: str, value: str) -> str | None:
    """``key=value`` unquoted, if that reads back as the same string."""
    if not value or value != value.strip() or _PLAIN_FORBIDDEN & set(value):
        return None
    item = f"{key}={value}"
    try:
        same = parse_value(value) == value
    except ValueError:
        return None
    return item if same and _splits_alone(item) else None


def format_params(params: Mapping[str, Any]) -> str:
    """Write ``params`` as a ``--params`` string; ``parse_params`` reads it back unchanged.

    Nested mappings become dotted keys; strings are quoted only when they would otherwise be
    typed, split or trimmed differently. Raises ``ParamsError`` for a key or value that has no
    ``--params`` spelling (a key part containing ``.`` or ``,``, an object that is not data).
    """
    items: list[str] = []
    _format_items(params, [], items)
    return ",".join(items)


def _format_items(params: Mapping[Any, Any], prefix: list[str], items: list[str]) -> None:
    for key, value in params.items():
        if not isinstance(key, str):
            raise ParamsError(
                f"The parameter key {key!r} is not a string, and --params keys always are."
            )
        path = [*prefix, key]
        if isinstance(value, Mapping) and value:
            _format_items(value, path, items)
        else:
            key = _format_key(path)
            item = _plain_item(key, value) if isinstance(value, str) else None
            if item is None:
                item = f"{key}={_format_value(value)}"
            if not _splits_alone(item):
                raise ParamsError(
                    f"The parameter key {key!r} cannot be written as --params: it would not "
                    "split from the items after it."
                )
            items.append(item)
