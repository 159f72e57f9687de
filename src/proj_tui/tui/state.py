"""The app's shared, plain state: what is loaded, and the run being set up.

:class:`AppState` is the only writer of it: screens and components read its fields, post intent
messages (``tui/messages.py``) that the app turns into calls of its writers, and subscribe to its
typed change notifications (:data:`Topic`). Nothing here imports Textual: the publisher is any
object with ``publish``/``subscribe`` (the app passes a ``textual.signal.Signal``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from proj_tui.tui.model import DEFAULT_PIPELINE, NodeInfo, ProjectDescription, RunFilters
from proj_tui.tui.user_config import UserConfig

if TYPE_CHECKING:
    from proj_tui.framework.live import LiveSession
    from proj_tui.framework.project import Project
    from proj_tui.tui.components.history_store import HistoryStore
    from proj_tui.tui.params import ParamField
    from proj_tui.tui.reload_model import ConfigProblem, ConfigSnapshot, StaleInfo
    from proj_tui.tui.run_spec import RunSpec

Topic = Literal[
    "project",  # project metadata, settings and envs (re)loaded
    "params",  # the env's parameter fields loaded afresh (or failed to load)
    "params-reload",  # the same keys' fields updated in place after a config file was saved
    "config-error",  # a saved config file does not load (the last good config stays)
    "pipelines",  # pipeline descriptions (re)loaded, or the project failed to load
    "filters",  # the pipeline or the filters of the run being set up
    "env",  # the run's config env
    "overrides",  # a parameter override or an env var of the run edited
    "prefill",  # the whole run setup filled at once (a preset, a past session)
    "stale",  # which nodes are stale for the pipeline and env
    "typed",  # Kedro's typed-parameter validation answered for the env and overrides
    "live",  # the project's live sessions (any app, shell or kedro run) listed afresh
]
"""What changed, as announced to subscribers (one topic per kind of change)."""


class Publisher(Protocol):
    """Where changes are announced: ``textual.signal.Signal[Topic]`` in the app."""

    def publish(self, data: Topic) -> None: ...

    def subscribe(
        self, node: Any, callback: Callable[[Topic], None], immediate: bool = ...
    ) -> None: ...


class _Nobody:
    """The publisher of a state no app shows (unit tests): changes go unannounced."""

    def publish(self, data: Topic) -> None:
        pass

    def subscribe(
        self, node: Any, callback: Callable[[Topic], None], immediate: bool = False
    ) -> None:
        pass


@dataclass(frozen=True)
class ProjectConfig:
    """What the app knows about the project before any pipeline code is imported.

    The ``Project`` builds every loader; ``envs`` and ``default_env`` are read once, in the
    background loader, so screens never touch the file system for them.
    """

    project: Project
    envs: list[str]
    default_env: str

    @property
    def project_path(self) -> Path:
        return self.project.path

    @property
    def package_name(self) -> str:
        return self.project.package_name

    @property
    def project_name(self) -> str:
        return self.project.project_name

    @property
    def conf_source(self) -> Path:
        return self.project.conf_source


def load_project_config(project_path: Path) -> ProjectConfig:
    """Read metadata, settings and env folders; raises the layer's own errors (with locations)."""
    from proj_tui.framework.project import Project

    project = Project.load(project_path)
    return ProjectConfig(project, project.envs(), project.default_env)


def load_param_fields(config: ProjectConfig, env: str) -> list[ParamField]:
    """The merged parameters of ``env`` as form fields, with where each value comes from."""
    from proj_tui.tui.params import build_fields, typed_fields

    loader = config.project.config_loader(env)
    params = loader["parameters"]
    try:
        provenance = loader.provenance("parameters")
    except (AttributeError, NotImplementedError):
        provenance = {}
    types = typed_fields(getattr(loader, "typed", None))  # Kedro's typed parameters
    return build_fields(params, provenance, config.project_path, types)


@dataclass(frozen=True)
class RunSetup:
    """A whole run setup from elsewhere (a preset, a past session, a resume's starting point):
    what the run executes, its env, parameter overrides, env vars and the session it came from.

    Run setup is filled from one with :meth:`AppState.prefill`; a rerun or resume runs it as is
    with :meth:`spec`. ``env_vars`` None keeps the ones Run setup has (a past session's are
    redacted in the store).
    """

    pipeline: str | None = None
    filters: RunFilters = field(default_factory=RunFilters)
    env: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    env_vars: Mapping[str, str] | None = None
    parent: str | None = None

    def spec(self, project_path: Path) -> RunSpec:
        from proj_tui.tui.run_spec import RunSpec  # not needed to show the first screen

        return RunSpec(
            project_path=project_path,
            pipeline=self.pipeline or DEFAULT_PIPELINE,
            env=self.env,
            overrides=dict(self.overrides),
            filters=self.filters,
            env_vars=dict(self.env_vars or {}),
            parent=self.parent,
        )


@dataclass
class AppState:
    """Everything the screens share, and the only code that changes it.

    Fields are read freely; every change goes through a writer below, which announces it with
    one :data:`Topic` on ``publisher``.
    """

    project_path: Path
    cli: list[str] = field(default_factory=list)  # how the app runs its own CLI (children)
    settings: UserConfig = field(default_factory=UserConfig)
    publisher: Publisher = field(default_factory=_Nobody, repr=False, compare=False)
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
    params_env: str | None = None  # the env ``fields`` (or ``params_error``) are of; None: loading
    load_errors: list[str] = field(default_factory=list)
    # live reload (tui/reload.py): a broken config file, overrides whose key vanished, staleness
    config_error: ConfigProblem | None = None
    vanished: dict[str, str] = field(default_factory=dict)  # key -> why it is marked
    stale: StaleInfo | None = None
    parent: str | None = None  # the past session Run setup was filled from (History: e)
    # Kedro's typed-parameter validation of (env, overrides) (tui/typed_check.py)
    typed_error: str | None = None
    typed_for: tuple[str | None, dict[str, Any]] | None = None
    # every running session of the project, from the store (tui/live_watch.py), oldest first
    live: list[LiveSession] = field(default_factory=list)
    live_error: str | None = None  # why the store could not be read for them (None: it was)

    # --- reading ---------------------------------------------------------------------------

    def pipeline_nodes(self) -> list[NodeInfo]:
        if self.description is None:
            return []
        return self.description.pipelines.get(self.pipeline, [])

    def planned(self) -> list[NodeInfo]:
        return self.filters.plan(self.pipeline_nodes())

    def spec(self) -> RunSpec:
        from proj_tui.tui.run_spec import RunSpec

        return RunSpec(
            project_path=self.project_path,
            pipeline=self.pipeline,
            env=self.env,
            overrides=dict(self.overrides),
            filters=self.filters,
            env_vars=dict(self.env_vars),
            parent=self.parent,
            kedro=self.config is not None and self.config.project.kind == "kedro",
        )

    def problems(self) -> list[str]:
        """Why a run cannot start yet (invalid fields), as sentences."""
        import os

        out = [f"parameter {k}: {why}" for k, why in sorted(self.invalid.items())]
        out += [f"env var {k}: {why}" for k, why in sorted(self.env_var_problems.items())]
        if self.typed_error and self.typed_for == (self.env, self.overrides):
            out.append(f"Kedro's typed parameters: {self.typed_error}")
        spec = self.spec()
        out += [
            f"env var {k}: empty, and not set in the app's environment either; type its value"
            for k in spec.inherited_env_vars()
            if k not in os.environ and k not in self.env_var_problems
        ]
        out += self._plan_problems()
        if spec.kedro and spec.overrides and not out:
            from proj_tui.framework.kedro_run import KedroRunError

            try:
                spec.run_args()
            except KedroRunError as exc:  # kedro run --params cannot carry it
                out.append(str(exc))
        return out

    def _plan_problems(self) -> list[str]:
        """What the app already knows a run would fail on: a broken config file, filters that
        name nodes the pipeline does not have, a plan with no node left. A run started anyway
        would only record a failed session."""
        out: list[str] = []
        if self.config_error is not None:
            out.append(f"config: {self.config_error}")
        nodes = self.pipeline_nodes()
        if not nodes:  # not described yet (or failed to): the child will say
            return out
        for kind, missing in self.filters.unknown_names(nodes):
            out.append(f"pipeline {self.pipeline} has no {kind} {', '.join(missing)}")
        if not out and not self.planned():
            out.append(f"the filters leave no node of pipeline {self.pipeline} to run")
        return out

    def launch_problems(self) -> list[str]:
        """Why no run (a rerun or resume included) can start now, whatever its setup."""
        if self.config_error is None:
            return []
        return [f"config: {self.config_error}"]

    @cached_property
    def history(self) -> HistoryStore:
        """The History screens' handle on the project's session store (opened on first use)."""
        from proj_tui.tui.components.history_store import HistoryStore

        return HistoryStore(self.project_path)

    # --- change notifications --------------------------------------------------------------

    def subscribe(self, node: Any, callback: Callable[[Topic], None]) -> None:
        """Call ``callback`` with each change's topic while ``node`` is mounted."""
        self.publisher.subscribe(node, callback)

    def _changed(self, topic: Topic) -> None:
        self.publisher.publish(topic)

    # --- what was loaded -------------------------------------------------------------------

    def use_settings(self, settings: UserConfig) -> None:
        """The user's config file was read (on mount); nothing follows it live."""
        self.settings = settings

    def project_loaded(self, config: ProjectConfig) -> str:
        """Metadata, settings and envs are known; returns the env whose parameters to load."""
        self.config = config
        if self.env is None or self.env not in config.envs:
            self.env = config.default_env
        self._changed("project")
        return self.env

    def project_failed(self, text: str) -> None:
        self.load_errors.append(text)
        self._changed("pipelines")

    def params_loaded(self, env: str, fields: list[ParamField]) -> list[str] | None:
        """The fields of ``env``; returns the overrides dropped (None: an answer for another env)."""
        if env != self.env:
            return None
        self.fields = fields
        self.params_env = env
        self.params_error = None
        self.config_error = None  # the env's config loads (e.g. back to an env that is fine)
        keys = {f.key for f in fields}
        dropped = sorted(k for k in self.overrides if k not in keys)
        for key in dropped:
            del self.overrides[key]
        self.invalid.clear()
        self._changed("params")
        return dropped

    def params_failed(self, text: str) -> None:
        self.params_error = text
        self.params_env = self.env
        self.fields = []
        self._changed("params")

    def pipelines_described(
        self, description: ProjectDescription, *, keep_last_good: bool = False
    ) -> None:
        """New pipeline descriptions; after a code change, a broken one keeps the last good."""
        if keep_last_good:
            from proj_tui.tui.reload_model import keep_last_good as keep

            description = keep(self.description, description)
        self.description = description
        if description.pipelines and self.pipeline not in description.pipelines:
            self.pipeline = description.pipeline_names()[0]
        self._changed("pipelines")

    def config_reloaded(self, snapshot: ConfigSnapshot) -> tuple[bool, list[str]]:
        """The env's config after a save: (whether it was broken before, keys newly vanished).

        Overrides whose key is gone are kept and marked, not dropped: the user typed them.
        """
        old_fields = self.fields
        was_broken = self.config_error is not None or self.params_error is not None
        full = self.params_error is not None or not old_fields
        self.fields = snapshot.fields
        self.config_error = None
        self.params_error = None
        keys = {f.key for f in snapshot.fields}
        sources = {f.key: f.source for f in old_fields}
        before = set(self.vanished)
        self.vanished = {
            key: f"no longer in the {snapshot.env} config"
            + (f" (it was set in {sources[key]})" if sources.get(key) else "")
            for key in self.overrides
            if key not in keys
        }
        self._changed("params" if full else "params-reload")
        return was_broken, sorted(set(self.vanished) - before)

    def config_broken(self, problem: ConfigProblem) -> None:
        self.config_error = problem
        self._changed("config-error")

    def stale_checked(self, info: StaleInfo) -> bool:
        """Which nodes are stale; False when the answer is for another pipeline or env."""
        if info.pipeline != self.pipeline or (info.env and self.env and info.env != self.env):
            return False
        self.stale = info
        self._changed("stale")
        return True

    def live_listed(self, sessions: list[LiveSession], error: str | None = None) -> list[str]:
        """The project's live sessions as just read; returns the ids not listed before.

        Announced only when the list (or the error) changed: a poll that found the same
        sessions repaints nothing.
        """
        before = {s.session_id: s for s in self.live}
        sessions = sorted(sessions, key=lambda s: s.session_id)
        new = [s.session_id for s in sessions if s.session_id not in before]
        same = [s.session_id for s in sessions] == [s.session_id for s in self.live]
        self.live = sessions
        if same and error == self.live_error:
            return new
        self.live_error = error
        self._changed("live")
        return new

    # --- the run being set up --------------------------------------------------------------

    def set_pipeline(self, name: str) -> None:
        self.pipeline = name
        self._changed("filters")

    def set_filters(self, filters: RunFilters) -> None:
        self.filters = filters
        self._changed("filters")

    def toggle_filter(self, what: str, values: tuple[str, ...]) -> None:
        """Add each of ``values`` to the filter ``what`` (or take it out when it is in)."""
        filters = self.filters
        for value in values:
            filters = filters.toggle(what, value)
        self.set_filters(filters)

    def set_env(self, env: str) -> None:
        self.env = env
        self._changed("env")

    def edit_override(self, key: str, value: Any, error: str | None, overridden: bool) -> None:
        """A parameter field changed: valid and different from the env's value, or invalid."""
        if error is not None:
            self.invalid[key] = error
            self.overrides.pop(key, None)
        else:
            self.invalid.pop(key, None)
            if overridden:
                self.overrides[key] = value
            else:
                self.overrides.pop(key, None)
                self.vanished.pop(key, None)
        self._changed("overrides")

    def typed_checked(self, env: str | None, overrides: dict[str, Any], error: str | None) -> None:
        """Kedro's answer for the typed parameters of ``env`` with ``overrides`` (None: valid)."""
        self.typed_error, self.typed_for = error, (env, dict(overrides))
        self._changed("typed")

    def set_env_vars(self, values: Mapping[str, str], problems: Mapping[str, str]) -> None:
        self.env_vars, self.env_var_problems = dict(values), dict(problems)
        self._changed("overrides")

    def prefill(self, setup: RunSetup) -> bool:
        """Fill the whole run setup at once: the one path of presets, rerun edited and resume.

        A pipeline the project no longer has keeps the current one; returns whether it was
        unknown (the caller says so).
        """
        self.parent = setup.parent
        self.overrides = dict(setup.overrides)
        self.invalid.clear()
        self.filters = setup.filters
        if setup.env_vars is not None:
            self.env_vars = dict(setup.env_vars)
        pipeline = setup.pipeline
        unknown = bool(
            pipeline and self.description is not None and pipeline not in self.description.pipelines
        )
        if pipeline and not unknown:
            self.pipeline = pipeline
        self._changed("prefill")
        if setup.env and setup.env != self.env:
            self.set_env(setup.env)
        return unknown


def app_state(node: Any) -> AppState:
    """The shared state of the proj-tui app that ``node`` (a widget, screen or the app) is in.

    The one typed way in for screens and components, which never import the app class.
    """
    state = getattr(node.app, "state", None)
    if not isinstance(state, AppState):
        raise LookupError(f"{node!r} is not in a proj-tui app: it has no AppState")
    return state
