"""Run presets: named YAML files under ``<project>/.proj-tui/presets/`` holding a run setup.

Presets live in the project so a team can share them; secret-looking env var values are never
written, only their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from proj_tui.framework.selection import (
    FIELD_NAMES,
    PRESET_KEYS,
    RunSelection,
    SelectionError,
    as_name,
    checked_name,
    wrong_value,
)
from proj_tui.tui.run_spec import is_secret_name

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PresetError(ValueError):
    """A preset could not be saved or read; the message names the file."""


_KEYS = ("env", "params", *FIELD_NAMES, "env_vars")  # what a preset is written with
_READ_KEYS = ("env", "params", *PRESET_KEYS, "env_vars")  # also the older spellings


@dataclass
class Preset:
    """A saved run setup: env, parameter overrides, env vars and the whole run selection.

    ``pipeline_given`` is False for a file that names no pipeline: loading it keeps the one
    Run setup shows.
    """

    name: str
    env: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    selection: RunSelection = field(default_factory=RunSelection)
    env_vars: dict[str, str] = field(default_factory=dict)
    pipeline_given: bool = True

    @classmethod
    def of_setup(
        cls,
        name: str,
        *,
        env: str | None,
        pipeline: str | None,
        params: Mapping[str, Any],
        filters: RunSelection,
        env_vars: Mapping[str, str],
    ) -> Preset:
        """The preset of a Run setup: ``run_filters`` gives ``filters`` back."""
        selection = replace(filters, pipeline_names=frozenset({pipeline} if pipeline else ()))
        return cls(
            name=name,
            env=env,
            params=dict(params),
            selection=selection,
            env_vars=dict(env_vars),
            pipeline_given=pipeline is not None,
        )

    @property
    def pipeline(self) -> str | None:
        """The pipeline Run setup switches to, or None to keep its own."""
        return self.selection.pipeline if self.pipeline_given else None

    def run_filters(self) -> RunSelection:
        """The selection without its pipeline: what Run setup keeps as its filters."""
        return replace(self.selection, pipeline_names=frozenset())

    def to_yaml_data(self) -> dict[str, Any]:
        env_vars = {k: ("" if is_secret_name(k) else v) for k, v in self.env_vars.items()}
        data: dict[str, Any] = {"env": self.env, "params": self.params}
        # sorted so that saving the same setup twice writes the same file (clean diffs when shared)
        data.update(self.selection.to_preset())
        if not self.pipeline_given:
            data["pipeline_names"] = []
        data["env_vars"] = env_vars
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
    for key in data:
        if key not in _READ_KEYS:  # a typo would otherwise drop that part of the setup unnoticed
            from proj_tui.errors import did_you_mean

            known = ", ".join(_KEYS)
            raise PresetError(
                f"{path}: unknown key {key!r}.{did_you_mean(str(key), _KEYS)} A preset has: {known}."
            )
    params = {} if data.get("params") is None else data["params"]
    if not isinstance(params, Mapping):
        raise _wrong(path, "params", "a mapping of dotted keys to values", params)
    try:
        selection = RunSelection.from_preset(data, str(path))
        env = checked_name(str(path), "env", data.get("env"))
    except SelectionError as exc:
        raise PresetError(str(exc)) from None
    return Preset(
        name=name,
        env=env,
        params=dict(params),
        selection=selection,
        env_vars=_env_vars(path, data.get("env_vars")),
        pipeline_given=bool(data.get("pipeline_names") or data.get("pipeline")),
    )


def _wrong(path: Path, key: str, expected: str, value: Any) -> PresetError:
    return PresetError(wrong_value(str(path), key, expected, value))


def _env_vars(path: Path, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    expected = "a mapping of names to strings"
    if not isinstance(value, Mapping):
        raise _wrong(path, "env_vars", expected, value)
    out: dict[str, str] = {}
    for key, raw in value.items():
        name = as_name(key)
        text = "" if raw is None else as_name(raw)  # secrets are saved with an empty value
        if name is None or text is None:
            raise _wrong(path, "env_vars", expected, value)
        out[name] = text
    return out
