"""``${...}`` interpolation, resolved after all layers are merged.

Supported, as in Kedro's OmegaConfigLoader (the OmegaConf grammar Kedro projects use): ``${a.b}``
(another key of the same config; ``${a.b[0]}`` or ``${a.b.0}`` into a list), relative keys
(``${.sibling}``, ``${..uncle}``), ``${globals:a.b[,default]}``, ``${runtime_params:a.b[,default]}``,
``${oc.select:a.b[,default]}``, ``${oc.decode:text}``, ``${oc.dict.keys:a}``,
``${oc.dict.values:a}``, ``${oc.env:VAR[,default]}`` (credentials only, so secrets never land in
parameters, unless the project registers its own ``oc.env`` resolver) and custom resolvers.
Interpolations nest: ``${runtime_params:x, ${globals:y,'z'}}``. ``\\${`` is a literal ``${``. A value
that is exactly one interpolation keeps the type of what it points at; one embedded in text becomes
text. Why this grammar is ours and not OmegaConf's: docs/config.md.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from proj_tui.config.errors import ConfigError
from proj_tui.config.merge import flatten
from proj_tui.config.text_split import split_top_level
from proj_tui.config.yaml_io import parse_value
from proj_tui.errors import Location, did_you_mean

__all__ = ["Interpolator", "KeyPath"]

KeyPath = tuple["str | int", ...]
_RESOLVER_NAME = re.compile(r"[A-Za-z_][\w.\-]*")
_BUILTINS = (
    "globals",
    "runtime_params",
    "oc.env",
    "oc.select",
    "oc.decode",
    "oc.dict.keys",
    "oc.dict.values",
)
_OURS_ONLY = ("globals", "runtime_params")  # a custom resolver may replace any other name
_INDEX = re.compile(r"\[(\d+)\]")
_MISSING = object()


class _Failure(Exception):
    """Why one interpolation failed; turned into a ``ConfigError`` with the leaf's place."""


@dataclass
class _Expr:
    text: str  # the whole ``${...}`` as written
    body: str


def _segments(text: str) -> list[str | _Expr]:
    """Split ``text`` into literal pieces and ``${...}`` expressions."""
    out: list[str | _Expr] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("\\${", i):
            buf.append("${")
            i += 3
            continue
        if not text.startswith("${", i):
            buf.append(text[i])
            i += 1
            continue
        depth, j, quote = 1, i + 2, ""
        while j < n:
            ch = text[j]
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= n:
            raise _Failure(f"'${{' at position {i + 1} is never closed with '}}'")
        body = text[i + 2 : j]
        if buf:
            out.append("".join(buf))
            buf = []
        out.append(_Expr(text[i : j + 1], body.strip()))
        i = j + 1
    if buf:
        out.append("".join(buf))
    return out


def _split_path(dotted: str) -> list[str]:
    """``a.b[0].c`` -> ``["a", "b", "0", "c"]``; leading dots (relative keys) are kept as ``""``."""
    text = dotted.strip()
    depth = len(text) - len(text.lstrip("."))
    rest = _INDEX.sub(r".\1", text[depth:])
    parts = rest.split(".") if rest else []
    if (not parts and not depth) or any(not part for part in parts):
        raise _Failure(f"{dotted.strip()!r} is not a dotted key like 'a.b' (or '.b' for a sibling)")
    return [""] * depth + parts


def _lookup(tree: Any, parts: list[str]) -> Any:
    """Walk mapping keys (and list indexes written as numbers); ``_MISSING`` when absent."""
    node = tree
    for part in parts:
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
                continue
            return _MISSING
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        return _MISSING
    return node


def _typed_default(text: str) -> Any:
    try:
        return parse_value(text)
    except ValueError as exc:
        raise _Failure(f"its default cannot be read: {exc}") from exc


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Interpolator:
    """Resolves every ``${...}`` in one merged config (one key: parameters, catalog, ...).

    ``globals_`` is called at most once, on the first ``${globals:...}``, so a broken globals file
    only matters to configs that use it; ``None`` means globals point at this config itself
    (used while loading globals). ``runtime_params=None`` forbids ``${runtime_params:...}``
    (Kedro does not allow it in globals). ``locate`` maps a key path to a description of where it
    was set and its location, for error messages.
    """

    root: Mapping[str, Any]
    config_key: str
    locate: Callable[[KeyPath], tuple[str, Location | None]]
    globals_: Callable[[], Mapping[str, Any]] | None = None
    runtime_params: Mapping[str, Any] | None = None
    allow_env: bool = False
    custom_resolvers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    _done: dict[tuple[str, ...], Any] = field(default_factory=dict, init=False)
    _active: list[tuple[str, ...]] = field(default_factory=list, init=False)
    _globals_cache: Any = field(default=_MISSING, init=False)

    def resolve(self) -> dict[str, Any]:
        """A new, fully resolved copy of ``root`` (no container shared with the input)."""
        return {k: self._value(v, (k,)) for k, v in self.root.items()}

    def resolve_value(self, value: Any, path: KeyPath) -> Any:
        """Resolve one value as if it sat at ``path`` (used for overridden layer values)."""
        return self._value(value, path)

    # ----------------------------------------------------------------- walking

    def _value(self, value: Any, path: KeyPath) -> Any:
        if isinstance(value, Mapping):
            return {k: self._value(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self._string(value, path)
        return value

    def _string(self, text: str, path: KeyPath) -> Any:
        try:
            segments = _segments(text)
        except _Failure as exc:
            raise self._error(text, path, str(exc)) from None
        if len(segments) == 1 and isinstance(segments[0], _Expr):
            return self._expr(segments[0], path)
        pieces = []
        for segment in segments:
            if isinstance(segment, _Expr):
                pieces.append(str(self._expr(segment, path)))
            else:
                pieces.append(segment)
        return "".join(pieces)

    def _expr(self, expr: _Expr, path: KeyPath) -> Any:
        try:
            name, colon, args = expr.body.partition(":")
            name = name.strip()
            if colon and _RESOLVER_NAME.fullmatch(name):
                return self._call(name, args, path)
            return self._self_ref(self._absolute(_split_path(expr.body), path), None, path)
        except _Failure as exc:
            raise self._error(expr.text, path, str(exc)) from None

    def _error(self, text: str, path: KeyPath, reason: str) -> ConfigError:
        where, location = self.locate(path)
        return ConfigError(
            f"Cannot resolve {text!r} at {self.config_key} key '{_dotted(path)}' in {where}: "
            f"{reason.rstrip('.')}.",
            location=location,
        )

    # ----------------------------------------------------------------- resolvers

    def _call(self, name: str, args: str, path: KeyPath) -> Any:
        resolver = self.custom_resolvers.get(name) if name not in _OURS_ONLY else None
        if resolver is not None:
            values = [self._arg(a, path) for a in split_top_level(args)] if args.strip() else []
            try:
                return resolver(*values)
            except Exception as exc:  # a user's resolver may raise anything
                raise _Failure(f"the resolver '{name}' raised {type(exc).__name__}: {exc}") from exc
        if name == "oc.env":
            return self._env(args, path)
        if name in ("globals", "runtime_params", "oc.select"):
            return self._lookup_resolver(name, args, path)
        if name == "oc.decode":
            return self._decode(args, path)
        if name in ("oc.dict.keys", "oc.dict.values"):
            return self._dict_view(name, args, path)
        known = [*_BUILTINS, *self.custom_resolvers]
        raise _Failure(
            f"there is no resolver called '{name}'.{did_you_mean(name, known)} Known "
            f"resolvers: {', '.join(known)}. Register it with CONFIG_LOADER_ARGS "
            "'custom_resolvers' in settings.py"
        )

    def _arg(self, text: str, path: KeyPath) -> Any:
        """One resolver argument: typed like YAML, or resolved if it holds an interpolation."""
        if "${" in text:
            return self._string(text.strip(), path)
        return _typed_default(text)

    def _absolute(self, parts: list[str], path: KeyPath) -> list[str]:
        """Turn a relative key (``.c``: a sibling, ``..c``: the parent's sibling) into a full one."""
        depth = 0
        while depth < len(parts) and parts[depth] == "":
            depth += 1
        if not depth:
            return parts
        if depth > len(path):
            raise _Failure(f"'{'.' * depth}' climbs above the top of the {self.config_key} config")
        return [*(str(p) for p in path[: len(path) - depth]), *parts[depth:]]

    def _decode(self, args: str, path: KeyPath) -> Any:
        value = self._arg(args, path)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _Failure(
                f"oc.decode reads text, but it was given {type(value).__name__} {value!r}"
            )
        return self._value(_typed_default(value), path)

    def _dict_view(self, name: str, args: str, path: KeyPath) -> Any:
        text = args.strip()
        if text.startswith("${"):
            target = self._arg(text, path)
        else:
            target = self._self_ref(self._absolute(_split_path(text), path), None, path)
        if not isinstance(target, Mapping):
            raise _Failure(f"{name} needs a mapping, but '{text}' is {type(target).__name__}")
        return list(target.keys()) if name == "oc.dict.keys" else list(target.values())

    def _lookup_resolver(self, name: str, args: str, path: KeyPath) -> Any:
        pieces = split_top_level(args, maxsplit=1)
        key_text = pieces[0]
        if "${" in key_text:
            key_text = str(self._string(key_text.strip(), path))
        parts = _split_path(key_text)
        has_default = len(pieces) == 2
        default = pieces[1] if has_default else None
        if name == "globals":
            if self.globals_ is None:
                return self._self_ref(parts, default, path, default_path=path)
            if self._globals_cache is _MISSING:
                self._globals_cache = self.globals_()
            tree = self._globals_cache
            what = "globals"
        elif name == "runtime_params":
            if self.runtime_params is None:
                raise _Failure(
                    "the runtime_params resolver cannot be used in globals; use it in "
                    "parameters or catalog instead"
                )
            tree = self.runtime_params
            what = "the runtime parameters"
        else:
            return self._self_ref(self._absolute(parts, path), default, path, default_path=path)
        found = _lookup(tree, parts)
        if found is not _MISSING:
            return found
        if default is not None:
            return self._arg(default, path)
        key = ".".join(parts)
        hint = did_you_mean(key, flatten(tree)) if isinstance(tree, Mapping) else ""
        if name == "runtime_params":
            raise _Failure(
                f"no runtime parameter '{key}' was given and there is no default.{hint} Pass "
                f"--params {key}=... or add a default: ${{runtime_params:{key},<default>}}"
            )
        raise _Failure(f"'{key}' is not defined in {what}.{hint} Define it or add a default")

    def _env(self, args: str, path: KeyPath) -> Any:
        if not self.allow_env:
            raise _Failure(
                "${oc.env:...} is only allowed in credentials, so secrets stay out of other "
                "config; move the value to a credentials file"
            )
        pieces = split_top_level(args, maxsplit=1)
        var = pieces[0].strip()
        if not var:
            raise _Failure("it names no environment variable")
        value = os.environ.get(var)
        if value is not None:
            return value
        if len(pieces) == 2:
            default = self._arg(pieces[1], path)
            return default if default is None else str(default)
        raise _Failure(
            f"the environment variable {var} is not set. Set it, or add a default: "
            f"${{oc.env:{var},<default>}}"
        )

    def _self_ref(
        self,
        parts: list[str],
        default_text: str | None,
        path: KeyPath,
        *,
        default_path: KeyPath = (),
    ) -> Any:
        key = tuple(parts)
        if key in self._done:
            return copy.deepcopy(self._done[key])
        raw = _lookup(self.root, parts)
        if raw is _MISSING:
            if default_text is not None:
                return self._arg(default_text, default_path)
            dotted = ".".join(parts)
            hint = did_you_mean(dotted, flatten(self.root))
            raise _Failure(f"'{dotted}' is not defined in {self.config_key}.{hint}")
        if key in self._active:
            loop = [*self._active[self._active.index(key) :], key]
            cycle = " -> ".join(".".join(k) for k in loop)
            raise _Failure(f"the interpolation is circular ({cycle})")
        self._active.append(key)
        try:
            target: KeyPath = tuple(int(p) if p.isdigit() else p for p in parts)
            value = self._value(raw, target)
        finally:
            self._active.pop()
        self._done[key] = value
        return copy.deepcopy(value)
