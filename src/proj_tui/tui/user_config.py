"""The user's app settings: ``$XDG_CONFIG_HOME/proj-tui/config.toml`` (default ``~/.config``).

Schema (every key optional; docs/tui.md has the reference)::

    theme = "harbor-night"      # remembered when you switch themes in the app
    log_max_lines = 20000       # lines kept by each run's log pane
    confirm_quit = true         # ask before quitting while runs are in flight
    notify_bell = true          # ring the terminal bell when a run finishes
    kedro_python = "/path/to/venv/bin/python"   # runs Kedro projects (see docs/tui.md)

    [keymap]                    # binding id = "keys" (ids are listed by `?` in the app)
    "app.run" = "f5"

A broken file never stops the app: each problem is a message naming the file, line and key, and
the affected setting keeps its default. Saving the theme rewrites only the ``theme`` line so the
user's comments and layout survive.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _tomllib() -> Any:
    """The TOML parser, imported only when there is a file to read (start-up often has none)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


#: Top-level keys: name → (type, default, (min, max) for ints, what it does).
SETTINGS: dict[str, tuple[type, Any, tuple[int, int] | None, str]] = {
    "theme": (str, None, None, "theme name (default harbor-night); set by the app when you switch"),
    "log_max_lines": (int, 20_000, (100, 10_000_000), "lines kept by each run's log pane"),
    "confirm_quit": (bool, True, None, "ask before quitting while runs are in flight"),
    "notify_bell": (bool, True, None, "ring the terminal bell when a run finishes"),
    "kedro_python": (
        str,
        None,
        None,
        "the Python that runs Kedro projects, when neither this "
        "one nor the project's .venv has Kedro (read by the framework)",
    ),
}
TABLES = {"keymap": 'binding id = "keys", applied with App.set_keymap'}
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "proj-tui" / "config.toml"


@dataclass
class UserConfig:
    """Validated settings; anything invalid keeps its default and adds a problem."""

    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None
    theme: str | None = None
    log_max_lines: int = 20_000
    confirm_quit: bool = True
    notify_bell: bool = True
    kedro_python: str | None = None
    valid: bool = True  # the file parsed as TOML (so rewriting it is safe)


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read the config file; problems are collected as messages naming the file, line and key."""
    path = path or config_path()
    config = UserConfig(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.valid = False
        config.problems.append(f"{path}: cannot read the file ({exc}); using defaults.")
        return config
    try:
        data = _tomllib().loads(text)
    except _tomllib().TOMLDecodeError as exc:
        config.valid = False
        config.problems.append(f"{path}: invalid TOML ({exc}); using defaults.")
        return config
    for key, value in data.items():
        where = f"{path}:{_line_of(text, key)}"
        if key in SETTINGS:
            _set_setting(config, where, key, value)
        elif key in TABLES:
            if not isinstance(value, dict):
                config.problems.append(f"{where}: [{key}] must be a table ({TABLES[key]}).")
                continue
            _read_keymap(config, text, value)
        else:
            from proj_tui.errors import did_you_mean

            hint = did_you_mean(key, [*SETTINGS, *TABLES])
            config.problems.append(f"{where}: unknown setting {key!r}; ignored.{hint}")
    return config


def _set_setting(config: UserConfig, where: str, key: str, value: Any) -> None:
    kind, default, bounds, _ = SETTINGS[key]
    # bool is an int in Python: check it separately so `log_max_lines = true` is refused.
    ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if not ok:
        config.problems.append(
            f"{where}: {key!r} must be {_TYPE_NAMES[kind]}, not {value!r}; "
            f"using the default ({default!r})."
        )
        return
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        config.problems.append(
            f"{where}: {key!r} must be between {bounds[0]:,} and {bounds[1]:,}, not {value:,}; "
            f"using the default ({default!r})."
        )
        return
    if key == "theme" and not value.strip():
        config.problems.append(f"{where}: 'theme' is empty; using the default theme.")
        return
    setattr(config, key, value)


def _read_keymap(config: UserConfig, text: str, keymap: dict[str, Any]) -> None:
    for binding_id, keys in keymap.items():
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            line = _line_of(text, binding_id, table="keymap")
            config.problems.append(
                f"{config.path}:{line}: keymap entry {binding_id!r} must be a key string "
                'such as "f5".'
            )
            continue
        config.keymap[str(binding_id)] = keys.strip()


def _line_of(text: str, key: str, table: str | None = None) -> int | str:
    """The 1-based line defining ``key`` (in ``[table]`` or at top level); tomllib gives none."""
    current: str | None = None
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            current = match.group(1).strip().strip("\"'")
            if current == key and table is None:
                return number
            continue
        if current == table and pattern.match(line):
            return number
    return "?"


class ConfigWriteError(OSError):
    """The settings file could not be updated; the message says why and what to do."""


def save_theme(name: str, path: Path | None = None) -> Path:
    """Remember ``name`` as the theme, touching only the top-level ``theme`` line.

    A file that does not parse is left alone (the user is mid-edit or it is broken): we would
    rather forget the choice than clobber their work.
    """
    path = path or config_path()
    line = f"theme = {_toml_string(name)}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigWriteError(f"{path}: cannot read the file to save the theme ({exc}).") from exc
    if text is None:
        new = f"# proj-tui settings (docs/tui.md)\n{line}\n"
    else:
        try:
            _tomllib().loads(text)
        except _tomllib().TOMLDecodeError as exc:
            raise ConfigWriteError(
                f"{path}: not saving the theme because the file is not valid TOML ({exc})."
            ) from exc
        new = _replace_theme_line(text, line)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ConfigWriteError(f"{path}: cannot save the theme ({exc}).") from exc
    return path


def _replace_theme_line(text: str, line: str) -> str:
    lines = text.splitlines(keepends=True)
    pattern = re.compile(r"""^(\s*)(?:theme|"theme"|'theme')\s*=.*?(\s*#.*)?$""")
    for i, current in enumerate(lines):
        if current.lstrip().startswith("["):
            break  # past the top level: the key is not there
        match = pattern.match(current.rstrip("\r\n"))
        if match:
            ending = current[len(current.rstrip("\r\n")) :] or "\n"
            comment = match.group(2) or ""
            lines[i] = f"{match.group(1)}{line}{comment}{ending}"
            return "".join(lines)
    # Top-level keys must come before any table: insert after the leading comments.
    at = 0
    while at < len(lines) and lines[at].lstrip().startswith("#"):
        at += 1
    lines.insert(at, line + "\n")
    return "".join(lines)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
