"""Run presets: named YAML files under ``<project>/.proj-tui/presets/`` holding a run setup.

Presets live in the project so a team can share them; secret-looking env var values are never
written, only their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proj_tui.tui.run_spec import is_secret_name

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PresetError(ValueError):
    """A preset could not be saved or read; the message names the file."""


@dataclass
class Preset:
    """A saved run setup."""

    name: str
    env: str | None = None
    pipeline: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    env_vars: dict[str, str] = field(default_factory=dict)

    def to_yaml_data(self) -> dict[str, Any]:
        env_vars = {k: ("" if is_secret_name(k) else v) for k, v in self.env_vars.items()}
        data: dict[str, Any] = {"env": self.env, "pipeline": self.pipeline, "params": self.params}
        data.update(tags=sorted(self.tags), nodes=sorted(self.nodes), env_vars=env_vars)
        return data


def presets_dir(project_path: Path) -> Path:
    return project_path / ".proj-tui" / "presets"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a preset file, or None."""
    if not name:
        return "give the preset a name"
    if not _NAME.match(name):
        return "use letters, digits, '.', '_' and '-' (start with a letter or digit)"
    return None


def list_presets(project_path: Path) -> list[str]:
    folder = presets_dir(project_path)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yml"))


def save_preset(project_path: Path, preset: Preset) -> Path:
    import yaml

    problem = name_problem(preset.name)
    if problem:
        raise PresetError(f"Cannot save preset {preset.name!r}: {problem}.")
    folder = presets_dir(project_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{preset.name}.yml"
    text = yaml.safe_dump(preset.to_yaml_data(), sort_keys=False, allow_unicode=True)
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def load_preset(project_path: Path, name: str) -> Preset:
    import yaml

    path = presets_dir(project_path) / f"{name}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise PresetError(f"No preset named {name!r} in {path.parent}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise PresetError(f"{path}{where}: the preset is not valid YAML.") from None
    if not isinstance(data, Mapping):
        raise PresetError(f"{path}: a preset must be a YAML mapping.")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise PresetError(f"{path}: 'params' must be a mapping of dotted keys to values.")
    return Preset(
        name=name,
        env=data.get("env"),
        pipeline=data.get("pipeline"),
        params=dict(params),
        tags=[str(t) for t in data.get("tags") or []],
        nodes=[str(n) for n in data.get("nodes") or []],
        env_vars={str(k): str(v) for k, v in (data.get("env_vars") or {}).items()},
    )
