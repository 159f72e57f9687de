"""Dataset factory patterns: catalog keys such as ``"{name}_csv"`` that configure many datasets.

Matching follows Kedro's rules, implemented with ``re`` instead of the ``parse`` package:
a placeholder matches one or more characters (non-greedy), the whole name must match, and a
placeholder used twice must match the same text both times. When several patterns match, the
winner is the first in this order: more literal characters (outside braces) first, then more
placeholders, then alphabetical. A pattern that is all placeholders (``"{default}"``) is the
catch-all and always last; only one is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from proj_tui.io.errors import DatasetError

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_pattern(name: str) -> bool:
    """Whether a catalog key is a factory pattern rather than a dataset name."""
    return "{" in name


def specificity(pattern: str) -> int:
    """The number of literal characters, which ranks how specific a pattern is."""
    return len(_PLACEHOLDER.sub("", pattern))


def _sort_key(pattern: str) -> tuple[int, int, str]:
    return (-specificity(pattern), -len(_PLACEHOLDER.findall(pattern)), pattern)


@dataclass(frozen=True)
class DatasetPattern:
    """One compiled pattern and the config it stamps out."""

    pattern: str
    config: dict[str, Any]
    regex: re.Pattern[str] = field(repr=False)
    placeholders: frozenset[str]

    @classmethod
    def compile(cls, pattern: str, config: dict[str, Any]) -> DatasetPattern:
        parts: list[str] = []
        seen: set[str] = set()
        pos = 0
        for match in _PLACEHOLDER.finditer(pattern):
            name = match.group(1)
            if not _NAME.match(name):
                raise DatasetError(
                    f"Dataset factory pattern '{pattern}' has an invalid placeholder "
                    f"'{{{name}}}'. Use a Python identifier such as '{{name}}'."
                )
            parts.append(re.escape(pattern[pos : match.start()]))
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            pos = match.end()
        tail = pattern[pos:]
        if "{" in tail or "}" in tail:
            raise DatasetError(
                f"Dataset factory pattern '{pattern}' has an unbalanced brace. "
                "Placeholders look like '{name}'."
            )
        parts.append(re.escape(tail))
        compiled = cls(pattern, config, re.compile("".join(parts), re.DOTALL), frozenset(seen))
        compiled._check_config(config)
        return compiled

    def match(self, name: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(name)
        return found.groupdict() if found is not None else None

    def resolve(self, values: Mapping[str, str]) -> dict[str, Any]:
        """A fresh copy of the config with every ``{placeholder}`` in its strings filled in."""
        resolved = _fill(self.config, values, self.pattern)
        assert isinstance(resolved, dict)
        return resolved

    def _check_config(self, value: Any) -> None:
        """Fail at catalog creation, not mid-run, when the config uses an unknown placeholder."""
        if isinstance(value, Mapping):
            for item in value.values():
                self._check_config(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self._check_config(item)
        elif isinstance(value, str):
            for name in _PLACEHOLDER.findall(value):
                if name not in self.placeholders:
                    known = ", ".join(sorted(self.placeholders))
                    raise DatasetError(
                        f"Dataset factory pattern '{self.pattern}' uses '{{{name}}}' in its "
                        f"config, but the pattern only defines: {known}. Use one of those, or "
                        "add the placeholder to the pattern."
                    )


def _fill(value: Any, values: Mapping[str, str], pattern: str) -> Any:
    if isinstance(value, Mapping):
        return {key: _fill(item, values, pattern) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fill(item, values, pattern) for item in value]
    if isinstance(value, str) and "{" in value:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    return value


class PatternResolver:
    """All patterns of one catalog, in match order."""

    def __init__(self, patterns: Mapping[str, dict[str, Any]] | None = None) -> None:
        ordered = sorted(patterns or {}, key=_sort_key)
        catch_all = [p for p in ordered if specificity(p) == 0]
        if len(catch_all) > 1:
            raise DatasetError(
                f"The catalog has {len(catch_all)} catch-all patterns ({', '.join(catch_all)}); "
                "only one is allowed, since it is used for every otherwise unknown name. "
                "Remove the extras."
            )
        self._patterns = [DatasetPattern.compile(p, (patterns or {})[p]) for p in ordered]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def patterns(self) -> list[str]:
        """Pattern strings in the order they are tried."""
        return [p.pattern for p in self._patterns]

    def match(self, name: str) -> tuple[DatasetPattern, dict[str, str]] | None:
        """The winning pattern for ``name`` and its placeholder values, or None."""
        for pattern in self._patterns:
            values = pattern.match(name)
            if values is not None:
                return pattern, values
        return None
