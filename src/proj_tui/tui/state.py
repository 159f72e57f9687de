"""The app's shared, plain state: what is loaded, and the run being set up.

Screens render from here and change it through the app, which announces changes on a signal;
nothing here imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.tui.model import DEFAULT_PIPELINE, NodeInfo, ProjectDescription, RunFilters, plan
from proj_tui.tui.params import ParamField
from proj_tui.tui.run_spec import RunSpec

if TYPE_CHECKING:
    from proj_tui.tui.reload_model import ConfigProblem, StaleInfo


@dataclass(frozen=True)
class ProjectConfig:
    """What the app knows about the project before any pipeline code is imported."""

    project_path: Path
    package_name: str | None
    project_name: str | None
    conf_source: Path
    envs: list[str]
    default_env: str
    loader_args: dict[str, Any] = field(default_factory=dict)


def load_project_config(project_path: Path) -> ProjectConfig:
    """Read metadata, settings and env folders; raises the layer's own errors (with locations)."""
    from proj_tui.config import ConfigLoader
    from proj_tui.framework.settings import load_settings
    from proj_tui.framework.startup import bootstrap_project

    metadata = bootstrap_project(project_path)
    settings = load_settings(metadata.package_name)
    conf_source = Path(settings.CONF_SOURCE)
    if not conf_source.is_absolute():
        conf_source = metadata.project_path / conf_source
    loader_args = dict(settings.CONFIG_LOADER_ARGS)
    loader = ConfigLoader(conf_source, **loader_args)
    base_env = str(loader_args.get("base_env", "base"))
    envs = [e for e in loader.envs() if e != base_env]
    if loader.env not in envs:
        envs.append(loader.env)
    return ProjectConfig(
        project_path=metadata.project_path,
        package_name=metadata.package_name,
        project_name=metadata.project_name,
        conf_source=conf_source,
        envs=sorted(envs),
        default_env=loader.env,
        loader_args=loader_args,
    )


def load_param_fields(config: ProjectConfig, env: str) -> list[ParamField]:
    """The merged parameters of ``env`` as form fields, with where each value comes from."""
    from proj_tui.config import ConfigLoader
    from proj_tui.tui.params import build_fields

    loader = ConfigLoader(config.conf_source, env=env, **config.loader_args)
    params = loader["parameters"]
    try:
        provenance = loader.provenance("parameters")
    except (AttributeError, NotImplementedError):
        provenance = {}
    return build_fields(params, provenance, config.project_path)


@dataclass
class AppState:
    """Everything the screens share."""

    project_path: Path
    config: ProjectConfig | None = None
    description: ProjectDescription | None = None
    pipeline: str = DEFAULT_PIPELINE
    filters: RunFilters = field(default_factory=RunFilters)
    env: str | None = None
    fields: list[ParamField] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  # key -> reason
    env_vars: dict[str, str] = field(default_factory=dict)
    env_var_problems: dict[str, str] = field(default_factory=dict)
    params_error: str | None = None
    load_errors: list[str] = field(default_factory=list)
    # live reload (tui/reload.py): a broken config file, overrides whose key vanished, staleness
    config_error: ConfigProblem | None = None
    vanished: dict[str, str] = field(default_factory=dict)  # key -> why it is marked
    stale: StaleInfo | None = None
    parent: str | None = None  # the past session Run setup was filled from (History: e)

    def pipeline_nodes(self) -> list[NodeInfo]:
        if self.description is None:
            return []
        return self.description.pipelines.get(self.pipeline, [])

    def planned(self) -> list[NodeInfo]:
        return plan(self.pipeline_nodes(), self.filters)

    def spec(self) -> RunSpec:
        return RunSpec(
            project_path=self.project_path,
            pipeline=self.pipeline,
            env=self.env,
            overrides=dict(self.overrides),
            filters=self.filters,
            env_vars=dict(self.env_vars),
            parent=self.parent,
        )

    def problems(self) -> list[str]:
        """Why a run cannot start yet (invalid fields), as sentences."""
        out = [f"parameter {k}: {why}" for k, why in sorted(self.invalid.items())]
        out += [f"env var {k}: {why}" for k, why in sorted(self.env_var_problems.items())]
        return out
