"""The user's app config: ``$XDG_CONFIG_HOME/proj-tui/config.toml`` (default ``~/.config``).

Only a ``[keymap]`` table is read for now: binding id → keys, applied with ``App.set_keymap``.
A broken file is reported, never fatal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import tomllib


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "proj-tui" / "config.toml"


@dataclass
class UserConfig:
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read the config file; problems are collected as messages naming the file and line."""
    path = path or config_path()
    config = UserConfig(path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.problems.append(f"{path}: cannot read the file ({exc}).")
        return config
    except tomllib.TOMLDecodeError as exc:
        config.problems.append(f"{path}: invalid TOML ({exc}).")
        return config
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        config.problems.append(f'{path}: [keymap] must be a table of binding id = "keys".')
        return config
    for binding_id, keys in keymap.items():
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            config.problems.append(
                f'{path}: keymap entry {binding_id!r} must be a key string such as "f5".'
            )
            continue
        config.keymap[str(binding_id)] = keys.strip()
    return config
