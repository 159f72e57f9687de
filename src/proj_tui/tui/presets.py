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

from proj_tui.tui.model import RunFilters
from proj_tui.tui.run_spec import is_secret_name

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class PresetError(ValueError):
    """A preset could not be saved or read; the message names the file."""


_LISTS = ("tags", "nodes", "namespaces", "from_nodes", "to_nodes")
_KEYS = ("env", "pipeline", "params", *_LISTS, "env_vars")


@dataclass
class Preset:
    """A saved run setup; it holds every ``RunFilters`` field so loading it runs what was saved."""

    name: str
    env: str | None = None
    pipeline: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    from_nodes: list[str] = field(default_factory=list)
    to_nodes: list[str] = field(default_factory=list)
    env_vars: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_setup(
        cls,
        name: str,
        *,
        env: str | None,
        pipeline: str | None,
        params: Mapping[str, Any],
        filters: RunFilters,
        env_vars: Mapping[str, str],
    ) -> Preset:
        """The preset of a Run setup: ``run_filters`` gives ``filters`` back."""
        return cls(
            name=name,
            env=env,
            pipeline=pipeline,
            params=dict(params),
            tags=sorted(filters.tags),
            nodes=sorted(filters.node_names),
            namespaces=sorted(filters.namespaces),
            from_nodes=sorted(filters.from_nodes),
            to_nodes=sorted(filters.to_nodes),
            env_vars=dict(env_vars),
        )

    def run_filters(self) -> RunFilters:
        return RunFilters(
            tags=frozenset(self.tags),
            node_names=frozenset(self.nodes),
            namespaces=frozenset(self.namespaces),
            from_nodes=frozenset(self.from_nodes),
            to_nodes=frozenset(self.to_nodes),
        )

    def to_yaml_data(self) -> dict[str, Any]:
        env_vars = {k: ("" if is_secret_name(k) else v) for k, v in self.env_vars.items()}
        data: dict[str, Any] = {"env": self.env, "pipeline": self.pipeline, "params": self.params}
        # sorted so that saving the same setup twice writes the same file (clean diffs when shared)
        data.update({key: sorted(getattr(self, key)) for key in _LISTS})
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
        if key not in _KEYS:  # a typo would otherwise drop that part of the setup unnoticed
            from proj_tui.errors import did_you_mean

            known = ", ".join(_KEYS)
            raise PresetError(
                f"{path}: unknown key {key!r}.{did_you_mean(str(key), _KEYS)} A preset has: {known}."
            )
    params = {} if data.get("params") is None else data["params"]
    if not isinstance(params, Mapping):
        raise _wrong(path, "params", "a mapping of dotted keys to values", params)
    lists = {key: _names(path, key, data.get(key)) for key in _LISTS}
    return Preset(
        name=name,
        env=_name(path, "env", data.get("env")),
        pipeline=_name(path, "pipeline", data.get("pipeline")),
        params=dict(params),
        env_vars=_env_vars(path, data.get("env_vars")),
        **lists,
    )


def _wrong(path: Path, key: str, expected: str, value: Any) -> PresetError:
    """The one wording for a bad value, so every message names the file, the key and the fix."""
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    hint = " (quote words YAML reads as booleans, e.g. 'yes')" if _has_bool(value) else ""
    return PresetError(f"{path}: {key!r} must be {expected}, not {shown}{hint}.")


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, list):
        return any(isinstance(v, bool) for v in value)
    if isinstance(value, Mapping):
        return any(isinstance(v, bool) for v in (*value.keys(), *value.values()))
    return False


def _scalar(value: Any) -> str | None:
    """``value`` as a name, or None when it is not one.

    YAML reads ``2024`` as an int, so numbers count as names; a bool is refused rather than guessed
    at, because ``yes``/``on`` would come back as ``True``, not the word that was written.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _name(path: Path, key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _scalar(value)
    if text is None:
        raise _wrong(path, key, "a string", value)
    return text


def _names(path: Path, key: str, value: Any) -> list[str]:
    """A list of names; a lone string is refused, not iterated (``etl`` would become e, t, l)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(path, key, "a list of strings", value)
    names = [_scalar(v) for v in value]
    if None in names:
        raise _wrong(path, key, "a list of strings", value)
    return [n for n in names if n is not None]


def _env_vars(path: Path, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    expected = "a mapping of names to strings"
    if not isinstance(value, Mapping):
        raise _wrong(path, "env_vars", expected, value)
    out: dict[str, str] = {}
    for key, raw in value.items():
        name = _scalar(key)
        text = "" if raw is None else _scalar(raw)  # secrets are saved with an empty value
        if name is None or text is None:
            raise _wrong(path, "env_vars", expected, value)
        out[name] = text
    return out
