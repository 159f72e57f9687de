"""Plain data the app shows: pipelines as ``pipelines describe --json`` reports them, and run plans.

Pipelines are read out of process (see :func:`describe_pipelines`) so that edited pipeline code is
re-imported on every refresh and a broken import cannot take the app down. Nothing here imports
Textual, so the plan logic is tested on its own.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proj_tui.framework.selection import DEFAULT_PIPELINE, RunSelection
from proj_tui.framework.self_command import proj_tui_command

__all__ = ["DEFAULT_PIPELINE", "RunFilters", "RunSelection"]

RunFilters = RunSelection
"""The app's run filters are a :class:`RunSelection` (its pipeline kept apart, in ``AppState``)."""


def default_cli() -> list[str]:
    """The command that starts our own CLI with the interpreter running the app."""
    return proj_tui_command()


@dataclass(frozen=True)
class NodeInfo:
    """One node as the CLI describes it."""

    name: str
    short_name: str
    namespace: str | None
    func: str
    source: str | None
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeInfo:
        name = str(data.get("name", "?"))
        return cls(
            name=name,
            short_name=str(data.get("short_name") or name.rpartition(".")[2]),
            namespace=data.get("namespace") or None,
            func=str(data.get("func", "")),
            source=data.get("source") or None,
            inputs=tuple(data.get("inputs") or ()),
            outputs=tuple(data.get("outputs") or ()),
            tags=tuple(sorted(data.get("tags") or ())),
        )

    def matches(self, text: str) -> bool:
        """True when ``text`` (lower-case) is in the name, a tag or a dataset name.

        ``tag:x`` and ``ds:x`` restrict the match to tags or datasets.
        """
        if not text:
            return True
        kind, _, needle = text.partition(":")
        if needle and kind in ("tag", "t"):
            return any(needle in t.lower() for t in self.tags)
        if needle and kind in ("ds", "dataset", "d"):
            return any(needle in d.lower() for d in (*self.inputs, *self.outputs))
        return (
            text in self.name.lower()
            or any(text in t.lower() for t in self.tags)
            or any(text in d.lower() for d in (*self.inputs, *self.outputs))
        )

    def source_relative_to(self, root: Path) -> str | None:
        """The ``file:line`` location, relative to the project when it lives inside it."""
        if not self.source:
            return None
        path, sep, line = self.source.rpartition(":")
        if not sep or not line.isdigit():
            path, line = self.source, ""
        try:
            rel = str(Path(path).relative_to(root))
        except ValueError:
            rel = path
        return f"{rel}:{line}" if line else rel


@dataclass(frozen=True)
class DescribeError:
    """A problem the CLI reported (a pipeline that fails to import, a bad settings file …)."""

    message: str
    location: str | None = None

    def __str__(self) -> str:
        if self.location and self.location not in self.message:
            return f"{self.location}: {self.message}"
        return self.message


@dataclass
class ProjectDescription:
    """Everything ``pipelines describe --json`` says about a project."""

    project: dict[str, Any] = field(default_factory=dict)
    pipelines: dict[str, list[NodeInfo]] = field(default_factory=dict)
    errors: list[DescribeError] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProjectDescription:
        pipelines = {
            str(name): [NodeInfo.from_json(n) for n in (body or {}).get("nodes", [])]
            for name, body in (data.get("pipelines") or {}).items()
        }
        errors = [
            DescribeError(str(e.get("message", e)), e.get("location"))
            if isinstance(e, dict)
            else DescribeError(str(e))
            for e in data.get("errors") or []
        ]
        return cls(project=dict(data.get("project") or {}), pipelines=pipelines, errors=errors)

    def pipeline_names(self) -> list[str]:
        """``__default__`` first, then the others by name."""
        return sorted(self.pipelines, key=lambda n: (n != DEFAULT_PIPELINE, n))


def describe_pipelines(
    project_path: Path, cli: Sequence[str] | None = None, timeout: float = 120.0
) -> ProjectDescription:
    """Ask the CLI, in a child process, which pipelines and nodes the project has.

    A child process imports the pipeline code afresh every time and keeps a crashing import away
    from the app; a failure comes back as an entry in ``errors`` instead of an exception.
    """
    answer = describe_json(project_path, cli, timeout)
    if isinstance(answer, ProjectDescription):
        return answer
    return ProjectDescription.from_json(answer)


def describe_json(
    project_path: Path, cli: Sequence[str] | None = None, timeout: float = 120.0
) -> dict[str, Any] | ProjectDescription:
    """The CLI's JSON answer (what :func:`describe_pipelines` reads), or, when there is none, a
    description holding only the error that says why."""
    argv = [*(cli or default_cli()), "pipelines", "describe", "--json", "--project"]
    argv.append(str(project_path))
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, cwd=project_path, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ProjectDescription(errors=[DescribeError(f"Could not describe pipelines: {exc}")])
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        detail = "\n".join(tail) or f"exit code {proc.returncode}"
        return ProjectDescription(
            errors=[DescribeError(f"`pipelines describe --json` failed: {detail}")]
        )
    return data
