"""What a run launched from the app will do, and the ``proj-tui run …`` command that does the same.

One object builds both the child's argv and the command shown to the user, so what you copy is
what the app runs.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from proj_tui.framework.redact import redact_params, redact_value
from proj_tui.framework.selection import DEFAULT_PIPELINE, RunSelection

_SECRET_PARTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH", "PRIVATE")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name looks secret, per ``proj_tui.framework.redact``.

    Uses the framework's rule when it is installed, so the app and the store agree; the fallback
    follows the list in docs/store.md.
    """
    try:
        from proj_tui.framework.redact import is_secret_name as framework_rule
    except ImportError:
        upper = name.upper()
        return any(p in upper for p in _SECRET_PARTS) or ("SESSION" in upper and "COOKIE" in upper)
    return bool(framework_rule(name))


def env_var_problem(name: str) -> str | None:
    """Why ``name`` cannot be an environment variable name, or None when it can."""
    if not name:
        return "the name is empty"
    if not _ENV_NAME.match(name):
        return "use letters, digits and '_' and do not start with a digit"
    return None


def from_environment(name: str, value: str) -> bool:
    """Whether a run takes ``name``'s value from the launching environment, not from Run setup.

    So it is for a secret-looking variable left empty: presets and the store keep no secret
    values, so a preset or a past session brings the name only, and the run takes the value
    from the app's environment (the child inherits it) rather than setting it to "".
    """
    return value == "" and is_secret_name(name)


def format_params(overrides: Mapping[str, Any]) -> str:
    """``{"a.b": 1}`` → ``a.b=1`` with the config layer's own writer, so the CLI reads it back."""
    from proj_tui.config import format_params as config_format_params
    from proj_tui.config import nest_dotted

    return str(config_format_params(nest_dotted(dict(sorted(overrides.items())))))


@dataclass(frozen=True)
class RunSpec:
    """Everything a run launched from the app is given.

    ``filters`` is the rest of the selection (node filters, load versions, runner); the app keeps
    the pipeline apart because Run setup picks it on its own.
    """

    project_path: Path
    pipeline: str = DEFAULT_PIPELINE
    env: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    filters: RunSelection = field(default_factory=RunSelection)
    env_vars: Mapping[str, str] = field(default_factory=dict)
    parent: str | None = None  # the session this one was edited from (recorded, not replayed)
    kedro: bool = False  # a Kedro project: --params in Kedro's grammar, the kedro run command

    @property
    def selection(self) -> RunSelection:
        """What the run executes: ``filters`` on ``pipeline``, unless ``filters`` names pipelines.

        A rerun from History passes the stored selection whole (it may name several pipelines).
        """
        if self.filters.pipeline_names:
            return self.filters
        return replace(self.filters, pipeline_names=frozenset({self.pipeline}))

    def run_args(self, *, redact: bool = False, env_names_only: bool = False) -> list[str]:
        """The arguments after ``run`` (without ``--events json``).

        ``env_names_only``: ``--env-var NAME`` without its value, for a child that gets the
        values in its environment (an argv is readable by every local user in ``ps``).
        """
        args = ["--project", str(self.project_path)]
        if self.env:
            args += ["--env", self.env]
        if self.overrides:
            shown = redact_params(self.overrides) if redact else self.overrides
            args += ["--params", self._params_text(shown)]
        args += self.selection.to_argv()
        if self.parent:
            args += ["--parent", self.parent]
        hidden = set(self.environment_names()) if redact else set()
        for key, value in sorted(self.env_vars.items()):
            if env_names_only or key in hidden or from_environment(key, value):
                args += ["--env-var", key]  # the value comes from the environment
                continue
            args += ["--env-var", f"{key}={value}"]
        return args

    def environment_names(self) -> list[str]:
        """Variables the shown command leaves to the environment (``--env-var NAME``).

        A secret's value is never shown, and ``NAME=<redacted>`` would set the wrong value when
        pasted: the command names it, and the shell that runs it must have it set.
        """
        return [
            key
            for key, value in sorted(self.env_vars.items())
            if is_secret_name(key) or redact_value(value) != value
        ]

    def inherited_env_vars(self) -> list[str]:
        """Variables whose value the child takes from the app's environment (see
        :func:`from_environment`)."""
        return [k for k, v in sorted(self.env_vars.items()) if from_environment(k, v)]

    def child_env(self) -> dict[str, str]:
        """What the supervisor sets in the child's environment (the inherited ones stay as the
        app has them)."""
        return {k: v for k, v in self.env_vars.items() if not from_environment(k, v)}

    def child_argv(self, cli: Sequence[str]) -> list[str]:
        """The argv of the child process that runs this session and streams JSON events.

        Env var values are not in it: the supervisor puts them in the child's environment.
        """
        return [*cli, "run", *self.run_args(env_names_only=True), "--events", "json"]

    def command(self) -> str:
        """The equivalent shell command, secrets redacted, for showing and copying.

        On a Kedro project it is the ``kedro run`` command that does the same (its env vars set
        in front), which is also what the session records.
        """
        if self.kedro:
            return self._kedro_command()
        return shlex.join(["proj-tui", "run", *self.run_args(redact=True)])

    def _params_text(self, overrides: Mapping[str, Any]) -> str:
        if not self.kedro:
            return format_params(overrides)
        from proj_tui.config import nest_dotted
        from proj_tui.framework.kedro_run import kedro_params_text

        return kedro_params_text(nest_dotted(dict(sorted(overrides.items()))))

    def _kedro_command(self) -> str:
        from proj_tui.framework.kedro_run import KedroRunArgs, KedroRunError

        try:
            params = self._params_text(redact_params(self.overrides)) if self.overrides else None
        except KedroRunError:  # AppState.problems says why; the run cannot start like this
            params = None
        run = KedroRunArgs(selection=self.selection, env=self.env, params=params)
        hidden = set(self.environment_names())  # left to the shell's environment
        assignments = [  # NAME=value in front: the shell sets them for the one command
            f"{key}={shlex.quote(value)}"
            for key, value in sorted(self.env_vars.items())
            if key not in hidden
        ]
        return " ".join([*assignments, run.command()])
