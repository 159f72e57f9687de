"""What a Kedro run's record says about how it was launched, built from Kedro's ``run_params``.

The plugin hears of a session only when Kedro calls a hook, so everything a native session
records at ``Session.create`` is gathered here at ``before_pipeline_run``, in the same shape
(``framework/session.py``): the command line and its flags, the selected environment
variables, git, user, host, versions, and the selection as our ``RunSelection``.

Secrets are redacted the native way (``framework.redact``): by name and by value shape.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import getpass
import json
import os
import platform
import re
import shlex
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from proj_tui import __version__
from proj_tui.framework.redact import (
    REDACTED,
    is_secret_name,
    redact_env,
    redact_params,
    redact_value,
)
from proj_tui.framework.selection import RunSelection

COMMAND_VAR = "PROJ_TUI_COMMAND"
"""A JSON list: the command line to record instead of ``sys.argv`` (``proj-tui run`` sets it)."""
ENV_VARS_VAR = "PROJ_TUI_ENV_VARS"
"""A JSON list of variable names the launcher set for this run: recorded (secrets redacted)."""
PARENT_VAR = "PROJ_TUI_PARENT"
"""The session this run reruns or resumes (``parent_id``), set by the launcher."""

ENV_VARS_PREFIX = "PROJ_TUI_"
ENV_VARS_ALLOWLIST: tuple[str, ...] = (
    "KEDRO_*",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "TZ",
    "LANG",
    "VIRTUAL_ENV",
    "CONDA_DEFAULT_ENV",
)
"""The native defaults (``framework.settings``) plus Kedro's own variables (``KEDRO_ENV`` …)."""

_RUNNER_REPR = re.compile(r"^<(?P<path>[\w.]+) object at 0x[0-9a-fA-F]+>$")
_KEDRO_RUNNERS = "kedro.runner."
_SELECTION_KEYS = (
    "pipeline_names",
    "tags",
    "node_names",
    "from_nodes",
    "to_nodes",
    "from_inputs",
    "to_outputs",
    "namespaces",
    "load_versions",
    "only_missing_outputs",
)


def runner_name(recorded: Any) -> str:
    """The runner as ``kedro run --runner`` names it, from what Kedro put in ``run_params``.

    Kedro records ``str(runner)`` for an instance (``<kedro.runner.….ThreadRunner object at
    0x…>``) and ``"None"`` when the default ``SequentialRunner`` is used: Kedro's own runners go
    by class name, others by their dotted path (what ``--runner`` accepts for them).
    """
    text = str(recorded)
    if text in ("None", ""):
        return "SequentialRunner"
    match = _RUNNER_REPR.match(text)
    if match is None:
        return text
    module, _, name = match.group("path").rpartition(".")
    return name if f"{module}.".startswith(_KEDRO_RUNNERS) else match.group("path")


def selection(run_params: Mapping[str, Any]) -> RunSelection:
    """The run's selection in our terms (Kedro's spelling of every field)."""
    kwargs = {key: run_params.get(key) for key in _SELECTION_KEYS}
    return RunSelection.from_run_kwargs(
        None, **kwargs, runner=runner_name(run_params.get("runner"))
    )


def plain(value: Any) -> Any:
    """Parameters as JSON data: Kedro 1.3+ typed parameters (pydantic models, dataclasses) too."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic v2
        return plain(dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def command_line(run_params: Mapping[str, Any], click_context: Any) -> dict[str, Any]:
    """``{"command", "argv", "flags"}`` as a native session records them.

    ``PROJ_TUI_COMMAND`` wins (the ``proj-tui run`` that launched this process); inside
    ``kedro run`` the command is Kedro's and the flags are the options given on it; elsewhere
    (a notebook, a script) it is ``sys.argv`` and the flags are what the run asked for.
    """
    argv: list[str]
    given = os.environ.get(COMMAND_VAR)
    if given:
        try:
            loaded = json.loads(given)
        except ValueError:
            loaded = None
        argv = [str(item) for item in loaded] if isinstance(loaded, list) else [given]
    elif click_context is not None:
        argv = ["kedro", *sys.argv[1:]]
    else:
        argv = list(sys.argv)
    argv = redact_argv(argv)
    flags = _click_flags(click_context) if click_context is not None and not given else None
    if flags is None:
        flags = _run_flags(run_params)
    return {"command": shlex.join(argv), "argv": argv, "flags": flags}


def redact_argv(argv: list[str]) -> list[str]:
    """``argv`` with secret-named ``--params`` values and secret-shaped text redacted."""
    out: list[str] = []
    params_next = False
    for item in argv:
        if params_next:
            out.append(redact_params_text(item))
            params_next = False
        elif item.startswith("--params="):
            out.append("--params=" + redact_params_text(item[len("--params=") :]))
        else:
            out.append(redact_value(item))
            params_next = item == "--params"
    return out


def redact_params_text(text: str) -> str:
    """``a=1,api_key=xyz`` -> ``a=1,api_key=<redacted>`` (judged by the last dotted part)."""
    parts = []
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        if sep and is_secret_name(key.strip().rsplit(".", 1)[-1]):
            value = REDACTED
        parts.append(f"{key}{sep}{redact_value(value)}")
    return ",".join(parts)


def _click_flags(ctx: Any) -> dict[str, Any] | None:
    """The options given on ``kedro run`` (not the defaults), by Kedro's option name."""
    try:
        from click.core import ParameterSource
    except ImportError:  # pragma: no cover - Kedro always brings click
        return None
    params = getattr(ctx, "params", None)
    if not isinstance(params, dict):
        return None
    flags: dict[str, Any] = {}
    for name, value in params.items():
        source = ctx.get_parameter_source(name)
        if source not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        flags[name] = redact_params(plain(value)) if name == "params" else plain(value)
    return flags


def _run_flags(run_params: Mapping[str, Any]) -> dict[str, Any]:
    """What the run asked for, where no command line says it (a notebook's ``session.run``)."""
    flags: dict[str, Any] = {}
    for key in (*_SELECTION_KEYS, "env"):
        value = run_params.get(key)
        if value:
            flags[key] = plain(value)
    if run_params.get("runtime_params"):
        flags["params"] = redact_params(plain(run_params["runtime_params"]))
    flags["runner"] = runner_name(run_params.get("runner"))
    return flags


def env_vars() -> dict[str, str]:
    """The variables a native session would record, Kedro's own and the launcher's included."""
    recorded = redact_env(os.environ, ENV_VARS_PREFIX, ENV_VARS_ALLOWLIST)
    try:
        named = json.loads(os.environ.get(ENV_VARS_VAR) or "[]")
    except ValueError:
        named = []
    names = [str(name) for name in named] if isinstance(named, list) else []
    recorded.update(redact_env({n: os.environ[n] for n in names if n in os.environ}, None, names))
    for launcher_var in (COMMAND_VAR, ENV_VARS_VAR, PARENT_VAR):  # recorded in their own fields
        recorded.pop(launcher_var, None)
    return dict(sorted(recorded.items()))


def versions(kedro_version: str) -> dict[str, Any]:
    """Python, proj-tui, the platform, Kedro and (when installed) kedro-datasets."""
    out: dict[str, Any] = {
        "python": platform.python_version(),
        "proj_tui": __version__,
        "platform": sys.platform,
        "kedro": kedro_version,
    }
    datasets = _datasets_version()
    if datasets is not None:
        out["kedro_datasets"] = datasets
    return out


@functools.cache
def _datasets_version() -> str | None:
    """kedro-datasets' version, looked up once a process (``importlib.metadata`` scans every
    folder on ``sys.path``: ~5 ms, at the start of every run)."""
    from importlib.metadata import PackageNotFoundError, version

    with contextlib.suppress(PackageNotFoundError):
        return version("kedro-datasets")
    return None


def user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER")


def credential_leaves(value: Any) -> Iterable[str]:
    """Every text and number in a credentials mapping: what must never reach the store."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from credential_leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from credential_leaves(item)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)
