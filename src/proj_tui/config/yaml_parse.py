"""Safe YAML/JSON parsing with errors that point at a file, line and column (``yaml_io``'s engine).

Only safe loaders are used (a ``SafeLoader`` subclass, on libyaml when available), so a config file
can never build Python objects. Scalars follow OmegaConf, which Kedro projects are written against:
``1e-3`` is a float and dates stay strings (they must survive JSON in the session store).
Importing PyYAML costs more than the rest of a ``proj-tui run`` start-up together (its regexes),
so this module is imported only when a file must really be parsed: ``yaml_io`` answers from its
caches first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from proj_tui.config.errors import ConfigError
from proj_tui.errors import Location

__all__ = ["find_key_location", "parse_file", "parse_value"]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _ConfigResolver(Resolver):
    """YAML 1.1 implicit types minus timestamps, plus ``1e5``-style floats (as OmegaConf does)."""


_ConfigResolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_ConfigResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class _DuplicateKeyError(ConstructorError):
    """A key repeated inside one mapping; carries both places."""

    def __init__(self, key: Any, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(
            problem=f"found duplicate key {key!r} (first defined at line {first.line + 1})",
            problem_mark=second,
        )
        self.key = key
        self.first = first
        self.second = second


class _NoDuplicatesConstructor(SafeConstructor):
    """Safe construction that refuses a key twice in one mapping instead of keeping the last."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise _DuplicateKeyError(key, seen[key], key_node.start_mark)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _PyLoader(_NoDuplicatesConstructor, yaml.SafeLoader):
    """Pure-Python safe loader; also used where the marks of a composed tree are needed."""

    yaml_implicit_resolvers = _ConfigResolver.yaml_implicit_resolvers


_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = _PyLoader
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(_NoDuplicatesConstructor, yaml.CSafeLoader):
        """libyaml-backed safe loader: parsing in C, construction (and our checks) in Python."""

        yaml_implicit_resolvers = _ConfigResolver.yaml_implicit_resolvers

    _Loader = _CLoader


MAX_ALIAS_EXPANSION = 1_000_000
"""Values that aliases (``*name``) may add to a document once expanded: a 400-byte "billion
laughs" file expands to ~10**9 and used to take the run (and the app) to gigabytes."""


class AliasBombError(ValueError):
    """A YAML document whose aliases expand to more values than anyone's config holds."""

    def __init__(self, expanded: int, mark: yaml.Mark | None) -> None:
        self.mark = mark
        super().__init__(
            f"its aliases (*name) expand it to more than {expanded:,} values; nest fewer "
            "aliases inside each other (an 'alias bomb' is refused before it fills memory)"
        )


def _load_yaml_text(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Node) -> None:
    """Refuse a document whose expanded size is far beyond its written size (shared nodes)."""
    sizes: dict[int, int] = {}
    limit = MAX_ALIAS_EXPANSION

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
        sizes[id(node)] = total
        if total - len(sizes) > limit:  # expanded minus distinct: what aliases added
            raise AliasBombError(limit, node.start_mark)
        return total

    size(root)


_RESOLVER = _ConfigResolver()


def parse_value(text: str) -> Any:
    """Type a value the way YAML would, for ``--params`` and interpolation defaults.

    A plain word is typed only by the implicit scalar rules (``1`` int, ``1.5`` float, ``true``
    bool, ``null`` None), so ``a: b`` or ``#x`` stay strings instead of becoming a mapping or a
    comment. Text starting with ``[``, ``{`` or a quote is read as a YAML flow value. An empty
    value is an empty string. Raises ``ValueError`` with a sentence when a flow value is broken.
    """
    stripped = text.strip()
    if not stripped:
        return ""
    if stripped[0] in "[{\"'":
        try:
            return _load_yaml_text(stripped)
        except _DuplicateKeyError as exc:
            raise ValueError(f"the value {stripped!r} repeats the key {exc.key!r}") from exc
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ValueError(f"the value {stripped!r} is not valid YAML ({problem})") from exc
        except (RecursionError, ValueError, OverflowError) as exc:
            raise ValueError(f"the value {stripped!r} cannot be read ({exc})") from exc
    tag = _RESOLVER.resolve(ScalarNode, stripped, (True, False))
    if tag not in _SCALAR_TAGS:
        return stripped
    try:
        return SafeConstructor().construct_object(ScalarNode(tag, stripped))
    except (ValueError, OverflowError) as exc:  # e.g. an int longer than Python allows
        raise ValueError(f"the value {stripped!r} cannot be read as a number ({exc})") from exc


# --------------------------------------------------------------------------- file loading


def _describe_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> ConfigError:
    if isinstance(exc, _DuplicateKeyError):
        line, column = exc.second.line + 1, exc.second.column + 1
        return ConfigError(
            f"{path} repeats the key {exc.key!r} at line {line}, column {column}; it is already "
            f"defined at line {exc.first.line + 1} of the same mapping. Remove or rename one of "
            "them.",
            location=Location(path, line, column),
        )
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        line, column = mark.line + 1, mark.column + 1
        problem = exc.problem or "the syntax is not valid"
        context = f" {exc.context}" if exc.context else ""
        started = exc.context_mark
        if started is not None and (started.line, started.column) != (mark.line, mark.column):
            context += f" started at line {started.line + 1}, column {started.column + 1}"
        lines = text.splitlines()
        at_tab = mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"
        hint = (
            "YAML cannot indent with tabs; use spaces"
            if at_tab
            else "Fix the syntax there (check indentation, a missing ':' or an unclosed quote "
            "or bracket)"
        )
        return ConfigError(
            f"{path} is not valid YAML: {problem}{context}, at line {line}, column {column}. "
            f"{hint}.",
            location=Location(path, line, column),
        )
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return ConfigError(
            f"{path} contains a character YAML does not allow ({exc.character!r}) at line "
            f"{line}, column {column}. Remove it or write it as an escape in a quoted string.",
            location=Location(path, line, column),
        )
    return ConfigError(f"{path} is not valid YAML: {exc}. Fix the file.", location=Location(path))


class _JsonDuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonDuplicateKeyError(key)
        result[key] = value
    return result


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_json_pairs)
    except _JsonDuplicateKeyError as exc:
        # json gives no position; the YAML reader of the same text usually can.
        try:
            _load_yaml_text(text)
        except _DuplicateKeyError as yexc:
            raise _yaml_error(path, text, yexc) from exc
        except yaml.YAMLError:
            pass
        raise ConfigError(
            f"{path} repeats the key {exc.key!r} in one object. Remove or rename one of them.",
            location=Location(path),
        ) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. "
            "Fix the syntax there (check for a missing comma, a trailing comma or an unquoted "
            "key).",
            location=Location(path, exc.lineno, exc.colno),
        ) from exc
    except RecursionError as exc:
        raise ConfigError(
            f"{path} nests too deeply to read. Flatten its structure.", location=Location(path)
        ) from exc
    except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
        raise ConfigError(
            f"{path} holds a value Python cannot read: {exc}. Write very long numbers as strings.",
            location=Location(path),
        ) from exc


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Could not read {path}: {exc.strerror or exc}. Check that it exists and is readable.",
            location=Location(path),
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path} is not UTF-8 text (undecodable byte at line {line}, column {column}). "
            "Save it as UTF-8.",
            location=Location(path, line, column),
        ) from exc


def parse_file(path: Path) -> dict[str, Any]:
    """The content of one YAML/JSON config file (``{}`` when empty), or a located ConfigError."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = _parse_json(path, text) if text.strip() else None
    else:
        try:
            data = _load_yaml_text(text)
        except yaml.YAMLError as exc:
            raise _yaml_error(path, text, exc) from exc
        except RecursionError as exc:
            raise ConfigError(
                f"{path} nests too deeply to read. Flatten its structure.",
                location=Location(path),
            ) from exc
        except AliasBombError as exc:
            mark = exc.mark
            line = (mark.line + 1) if mark is not None else None
            column = (mark.column + 1) if mark is not None else None
            where = f" (at line {line})" if line else ""
            raise ConfigError(
                f"{path} cannot be read{where}: {exc}.",
                location=Location(path, line, column),
            ) from exc
        except ValueError as exc:  # e.g. an integer longer than Python converts (4300 digits)
            raise ConfigError(
                f"{path} holds a value Python cannot read: {exc}. Write very long numbers as "
                "strings.",
                location=Location(path),
            ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a mapping of keys to values at its top level, but it holds "
            f"{_describe_type(data)}. Put its content under a key.",
            location=Location(path, 1, 1),
        )
    return data


def find_key_location(path: Path, keys: Sequence[str | int]) -> Location:
    """Best-effort place of ``keys`` (a path of mapping keys / list indexes) inside ``path``.

    Only used to decorate an error, so it re-reads the file with marks and never raises: when a
    key cannot be found it returns the deepest place it did find, or just the file.
    """
    try:
        node: Node | None = yaml.compose(read_text(path), Loader=_PyLoader)
    except (ConfigError, yaml.YAMLError, RecursionError):
        return Location(path)
    best = Location(path)
    for key in keys:
        found: Node | None = None
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(key):
                    mark = key_node.start_mark
                    best = Location(path, mark.line + 1, mark.column + 1)
                    found = value_node
                    break
        elif isinstance(node, SequenceNode) and isinstance(key, int) and key < len(node.value):
            found = node.value[key]
            mark = found.start_mark
            best = Location(path, mark.line + 1, mark.column + 1)
        if found is None:
            break
        node = found
    return best
