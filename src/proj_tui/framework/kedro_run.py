"""A run of a Kedro project as Kedro spells it: the ``kedro run …`` command of a selection.

A Kedro project is run by Kedro itself, in the project's interpreter (``proj_tui.kedro.launch``).
The parent side never imports Kedro: it turns what ``proj-tui run`` was given into the argv of the
equivalent ``kedro run`` command, which is what the child parses (with Kedro's own CLI parser, so
each flag means exactly what it means to ``kedro run``), what the session records as its command
line, and what the app shows and copies. A run and its shown command come from one value,
:class:`KedroRunArgs`, so what you copy is what ran.

Runtime parameters are Kedro's ``--params`` text (split at every comma, dotted keys nested, values
typed as YAML), passed on as given; a rerun writes stored parameters back in that grammar
(:func:`kedro_params_text`).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.errors import ProjTuiError, did_you_mean
from proj_tui.framework.redact import REDACTED, is_secret_name, redact_value
from proj_tui.framework.selection import FIELDS, RunSelection

if TYPE_CHECKING:
    import argparse

# proj-tui's runner names -> Kedro's runner classes (``--runner`` takes both, and class paths)
KEDRO_RUNNERS = {
    "sequential": "SequentialRunner",
    "thread": "ThreadRunner",
    "process": "ParallelRunner",
}
_KEDRO_CLASSES = frozenset(KEDRO_RUNNERS.values())


class KedroRunError(ProjTuiError):
    """A run of a Kedro project was asked for something ``kedro run`` cannot express."""


def kedro_runner(name: str | None) -> str | None:
    """The ``kedro run --runner`` value for a proj-tui runner name (None: Kedro's default).

    ``sequential``/``thread``/``process`` become Kedro's three runner classes; Kedro's own class
    names and dotted class paths pass through unchanged.
    """
    if not name or name in ("sequential", "SequentialRunner"):
        return None
    if name in KEDRO_RUNNERS:
        return KEDRO_RUNNERS[name]
    if name in _KEDRO_CLASSES or "." in name:
        return name
    known = [*KEDRO_RUNNERS, *sorted(_KEDRO_CLASSES)]
    raise KedroRunError(
        f"--runner {name!r} is not a runner Kedro knows.{did_you_mean(name, known)} A Kedro "
        "project runs with sequential, thread or process (Kedro's SequentialRunner, ThreadRunner, "
        "ParallelRunner), or a runner class given by its dotted path (my_pkg.runners.MyRunner)."
    )


@dataclass(frozen=True)
class KedroRunArgs:
    """Everything ``kedro run`` is given for one run, and the argv that gives it."""

    selection: RunSelection = field(default_factory=RunSelection)
    env: str | None = None
    params: str | None = None  # Kedro's --params text, e.g. "model.lr=0.1,epochs=3"
    conf_source: str | None = None
    runner_params: str | None = None
    is_async: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> KedroRunArgs:
        """The run that parsed ``proj-tui run`` options ask for (``RunSelection.from_args``)."""
        return cls(
            selection=RunSelection.from_args(args),
            env=getattr(args, "env", None) or None,
            params=getattr(args, "params", None) or None,
            conf_source=getattr(args, "conf_source", None) or None,
            runner_params=getattr(args, "runner_params", None) or None,
            is_async=bool(getattr(args, "is_async", False)),
        )

    def run_args(self, *, redact: bool = False) -> list[str]:
        """The options after ``kedro run``, in Kedro's spelling; ``redact`` hides secret values."""
        out: list[str] = []
        if self.env:
            out += ["--env", self.env]
        if self.params:
            out += ["--params", redact_kedro_params(self.params) if redact else self.params]
        if self.conf_source:
            out += ["--conf-source", self.conf_source]
        out += kedro_selection_args(self.selection)
        if self.runner_params:
            shown = redact_kedro_params(self.runner_params) if redact else self.runner_params
            out += ["--runner-params", shown]
        if self.is_async:
            out.append("--async")
        return out

    def argv(self, *, redact: bool = False) -> list[str]:
        """``["kedro", "run", …]``: the command line a plain Kedro user would type."""
        return ["kedro", "run", *self.run_args(redact=redact)]

    def command(self) -> str:
        """The equivalent shell command, secrets redacted, for showing, copying and recording."""
        return shlex.join(self.argv(redact=True))


def kedro_selection_args(selection: RunSelection) -> list[str]:
    """A selection as ``kedro run`` options (its flags are Kedro's, so only the runner maps)."""
    out: list[str] = []
    for spec in FIELDS:
        value = getattr(selection, spec.name)
        if not value:
            continue
        if spec.kind == "names":
            out += [spec.flag, ",".join(sorted(value))]
        elif spec.kind == "versions":
            out += [spec.flag, ",".join(f"{k}:{v}" for k, v in value.items())]
        elif spec.kind == "switch":
            out.append(spec.flag)
        else:
            runner = kedro_runner(value)
            if runner:
                out += [spec.flag, runner]
    return out


def redact_kedro_params(text: str) -> str:
    """A Kedro ``--params`` text with secret-named keys' values and token-shaped values hidden.

    Kept in Kedro's grammar (items split at commas, ``key=value``), so the redacted command still
    reads as ``kedro run`` options.
    """
    items = []
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and any(is_secret_name(part.strip()) for part in key.split(".")):
            items.append(f"{key}={REDACTED}")
        elif sep:
            items.append(f"{key}={redact_value(value)}")
        else:
            items.append(item)
    return ",".join(items)


def kedro_params_text(params: Mapping[str, Any]) -> str:
    """Stored runtime parameters as a Kedro ``--params`` text that parses back to them.

    Kedro splits the text at every comma and reads each value as YAML (OmegaConf's dot-list), so
    each leaf becomes one ``dotted.key=value`` item; a value that no such item can carry (a comma,
    a list, a non-finite number) is refused with the key named.
    """
    items: list[str] = []
    _flat_items(params, [], items)
    return ",".join(items)


def _flat_items(params: Mapping[str, Any], prefix: list[str], items: list[str]) -> None:
    for key, value in params.items():
        path = [*prefix, str(key)]
        dotted = ".".join(path)
        if isinstance(value, Mapping) and value:
            _flat_items(value, path, items)
            continue
        if any(c in str(key) for c in ".,=") or not str(key).strip():
            raise KedroRunError(
                f"The runtime parameter key {dotted!r} cannot be written as kedro run --params: "
                "a key part must be a non-empty name without '.', ',' or '='."
            )
        items.append(f"{dotted}={_kedro_value(dotted, value)}")


def _kedro_value(key: str, value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _unwritable(key, value)
        return repr(value)
    if isinstance(value, str):
        if "," in value or "\n" in value or "${" in value:
            raise _unwritable(key, value)
        if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
            return value
        return "'" + value.replace("'", "''") + "'"  # YAML's single-quoted scalar
    raise _unwritable(key, value)


# text YAML reads back as the same string without quotes (the rest is quoted)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-/]*")
_YAML_WORDS = frozenset(("true", "false", "yes", "no", "on", "off", "null", "y", "n"))


def _unwritable(key: str, value: Any) -> KedroRunError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return KedroRunError(
        f"The runtime parameter {key} = {shown} cannot be written as kedro run --params (Kedro "
        "splits the text at every comma and takes one YAML scalar per key). Set it in a "
        "parameters file of a config env instead, and run with --env."
    )


def kedro_child(
    project: Path, module: str, args: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``proj_tui.kedro.<module>`` in the project's Python.

    The interpreter is the one ``kedro_interpreter`` finds (its ``KedroNotFoundError`` says what
    to install where); one without proj-tui installed gets this proj-tui's package on
    ``PYTHONPATH``, so both sides run the same code and event schema.
    """
    from proj_tui.framework.kedro_interpreter import resolve_interpreter
    from proj_tui.framework.project import Project

    interpreter = resolve_interpreter(Project.read(project).metadata)
    python = str(interpreter.python)
    return [python, "-m", f"proj_tui.kedro.{module}", *args], interpreter.child_env()
