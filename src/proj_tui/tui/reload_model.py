"""Plain logic behind live reload: config snapshots, broken-file errors, staleness, env compare.

Kept free of Textual so it is tested directly and the worker threads only call functions here.
Config is read in-process (pure YAML, no project code); staleness comes from a child
``proj-tui pipelines stale --json`` because it imports the project's pipelines.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.tui.model import DEFAULT_PIPELINE, ProjectDescription, RunFilters, default_cli

if TYPE_CHECKING:
    from proj_tui.config.compare import BlameRow, CompareRow
    from proj_tui.framework.project import Project
    from proj_tui.tui.params import ParamField


# --- config ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigSnapshot:
    """One env's merged parameters as loaded after a save, and the form fields built from them."""

    env: str
    params: dict[str, Any]
    fields: list[ParamField]


@dataclass(frozen=True)
class ConfigProblem:
    """A config file that does not load: where (relative to the project) and why."""

    message: str
    location: str | None = None  # "conf/base/parameters.yml:3:7"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def _rel(path: Path | str, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def config_problem(error: BaseException, root: Path) -> ConfigProblem:
    """A config error as the banner shows it: paths relative to the project, file:line:column."""
    location = getattr(error, "location", None)
    message = str(error)
    where: str | None = None
    if location is not None:
        path = getattr(location, "path", None)
        if path is not None:
            message = message.replace(str(path), _rel(path, root))
            where = _rel(path, root)
            line, column = getattr(location, "line", None), getattr(location, "column", None)
            if line is not None:
                where += f":{line}" + (f":{column}" if column is not None else "")
    message = message.replace(str(root) + "/", "")
    return ConfigProblem(message, where)


def load_snapshot(project: Project, env: str) -> ConfigSnapshot:
    """Reload ``env``'s parameters (and check the catalog parses); raises ``ConfigError``.

    A fresh loader each time: parsed files are cached by mtime and size, so only saved files
    are read again.
    """
    from proj_tui.config import MissingConfigError
    from proj_tui.tui.params import build_fields, typed_fields

    loader = project.config_loader(env)
    params = loader["parameters"]
    provenance = loader.provenance("parameters")
    with contextlib.suppress(MissingConfigError):  # a broken catalog.yml is reported too
        loader["catalog"]
    types = typed_fields(getattr(loader, "typed", None))  # Kedro's typed parameters
    return ConfigSnapshot(env, params, build_fields(params, provenance, project.path, types))


def params_of(fields: Sequence[ParamField]) -> dict[str, Any]:
    """The nested parameters a list of form fields came from (what a diff compares against)."""
    from proj_tui.config import nest_dotted

    return dict(nest_dotted({f.key: f.value for f in fields}))


def changed_label(paths: Sequence[Path], root: Path) -> str:
    """The toast's file label: the one file saved, or how many."""
    names = sorted({p.name for p in paths})
    if len(names) == 1:
        return names[0]
    return f"{len(names)} config files" if names else "config"


# --- pipelines -------------------------------------------------------------------------------


def keep_last_good(
    previous: ProjectDescription | None, new: ProjectDescription
) -> ProjectDescription:
    """When a describe fails, the last good pipelines stay on screen with the new errors."""
    if not new.errors or previous is None or not previous.pipelines:
        return new
    pipelines = {**previous.pipelines, **new.pipelines}
    return ProjectDescription(
        project=new.project or previous.project, pipelines=pipelines, errors=new.errors
    )


# --- staleness -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleInfo:
    """``pipelines stale --json`` for one pipeline and env, as the tree and plan show it."""

    pipeline: str
    env: str | None
    baseline: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # stale node -> why
    to_run: tuple[str, ...] = ()
    filters: RunFilters = field(default_factory=RunFilters)
    command: str | None = None
    error: str | None = None

    @property
    def active(self) -> bool:
        """Markers only mean something against a past succeeded run."""
        return self.baseline is not None and self.error is None

    def marker(self, name: str) -> str | None:
        """Why ``name`` would rerun: its own change, or being downstream/upstream of one."""
        if not self.active or name not in self.to_run:
            return None
        return self.reasons.get(name, "depends on a stale node")

    @classmethod
    def from_json(cls, data: Mapping[str, Any], env: str | None) -> StaleInfo:
        reasons: dict[str, str] = {}
        for entry in data.get("stale") or []:
            if entry.get("new"):
                reasons[str(entry["name"])] = "new"
            else:
                reasons[str(entry["name"])] = ", ".join(entry.get("changed") or ()) or "changed"
        filters = RunFilters.from_store({"filters": data.get("filters") or {}})
        return cls(
            pipeline=str(data.get("pipeline") or DEFAULT_PIPELINE),
            env=str(data.get("env") or env or "") or None,
            baseline=data.get("baseline_session"),
            reasons=reasons,
            to_run=tuple(data.get("to_run") or ()),
            filters=filters,
            command=data.get("command"),
        )


def check_stale(
    project_path: Path,
    pipeline: str,
    env: str | None,
    overrides: Mapping[str, Any],
    cli: Sequence[str] | None = None,
    timeout: float = 120.0,
) -> StaleInfo:
    """Run ``pipelines stale --json`` in a child process (it imports the project's code)."""
    argv = [*(cli or default_cli()), "pipelines", "stale", "--json", "--project", str(project_path)]
    argv += ["--pipeline", pipeline]
    if env:
        argv += ["--env", env]
    if overrides:
        from proj_tui.tui.run_spec import format_params

        argv += ["--params", format_params(overrides)]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=project_path, check=False
        )
        data = json.loads(proc.stdout) if proc.returncode in (0, 1) else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return StaleInfo(pipeline, env, error=f"staleness check failed: {exc}")
    if not isinstance(data, dict):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return StaleInfo(pipeline, env, error=" ".join(tail) or f"exit code {proc.returncode}")
    return StaleInfo.from_json(data, env)


# --- provenance and compare ------------------------------------------------------------------


def blame(project: Project, env: str) -> list[BlameRow]:
    """Every parameter and catalog leaf of ``env`` with its provenance (pure YAML, in-process)."""
    from proj_tui.config.compare import blame as blame_rows

    return blame_rows(project.config_loader(env), project.path)


def compare_envs(project: Project, left: str, right: str) -> list[CompareRow]:
    """Both envs' merged parameters, key by key, as ``proj-tui config compare`` has them."""
    from proj_tui.config.compare import compare_envs as compare_rows

    return compare_rows(project.config_loader(left), project.config_loader(right))


__all__ = [
    "ConfigProblem",
    "ConfigSnapshot",
    "StaleInfo",
    "blame",
    "changed_label",
    "check_stale",
    "compare_envs",
    "config_problem",
    "keep_last_good",
    "load_snapshot",
    "params_of",
]
