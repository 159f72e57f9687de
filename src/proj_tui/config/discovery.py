"""Which files in an environment folder feed which config key.

Patterns are Kedro's (``parameters*``, ``parameters*/**``, ``**/parameters*``), matched against
paths relative to the env folder. Hidden files and editor droppings are skipped so a half-saved
file never breaks a reload.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "CONFIG_EXTENSIONS",
    "DEFAULT_CONFIG_PATTERNS",
    "find_config_files",
    "is_config_file",
]

CONFIG_EXTENSIONS = (".yml", ".yaml", ".json")
_KEYS = ("catalog", "parameters", "credentials", "globals", "logging")
DEFAULT_CONFIG_PATTERNS: dict[str, list[str]] = {
    key: [f"{key}*", f"{key}*/**", f"**/{key}*"] for key in _KEYS
}
_TEMP_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".bak", ".orig")


def _is_ignored_name(name: str) -> bool:
    """Hidden files, Emacs/Vim/JetBrains temp and backup files, Vim's ``4913`` probe."""
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", "#"))
        or name.lower().endswith(_TEMP_SUFFIXES)
        or name == "4913"
    )


def is_config_file(path: str | Path, root: str | Path | None = None) -> bool:
    """True when ``path`` names a file the loader would read (by name, not by pattern).

    Also meant for file watchers, which see the temp files of atomic saves. The loader skips
    hidden folders *inside* the conf source only, so with ``root`` (the conf source) given, only
    the folders below it count: a project under ``~/.local/share`` is read like any other.
    Without ``root``, every folder of ``path`` counts.
    """
    p = Path(path)
    folders = p.parts[:-1]
    if root is not None:
        try:
            folders = p.relative_to(root).parts[:-1]
        except ValueError:
            return False  # not under the conf source: the loader never reads it
    return (
        not _is_ignored_name(p.name)
        and p.suffix.lower() in CONFIG_EXTENSIONS
        and not any(part.startswith(".") and part not in {".", ".."} for part in folders)
    )


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = segment[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _glob_regex(pattern: str) -> str:
    """Translate one glob (``*``, ``?``, ``[..]``, ``**`` for any depth) to a regex."""
    segments = [s for s in pattern.strip("/").split("/") if s]
    out = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out += ".+" if last else "(?:[^/]+/)*"
            continue
        out += _segment_regex(segment)
        if not last:
            out += "/"
    return out


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{_glob_regex(p)})" for p in patterns) or "(?!)")


def find_config_files(env_dir: Path, patterns: Iterable[str]) -> list[Path]:
    """Config files under ``env_dir`` matching any pattern, sorted by their relative path."""
    regex = _compile(patterns)
    found: list[tuple[str, Path]] = []
    for root, dirs, files in os.walk(env_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_root = os.path.relpath(root, env_dir).replace(os.sep, "/")
        for name in files:
            if _is_ignored_name(name) or os.path.splitext(name)[1].lower() not in CONFIG_EXTENSIONS:
                continue
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if regex.fullmatch(rel):
                found.append((rel, Path(root, name)))
    found.sort(key=lambda item: item[0])
    return [path for _, path in found]
