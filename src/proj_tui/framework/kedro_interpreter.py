"""Which Python describes, configures and runs a Kedro project.

proj-tui never imports Kedro in its own process: every question about a Kedro project is answered
by a child of the project's own interpreter. The rule, first match wins:

1. the interpreter proj-tui runs in, when ``kedro`` and the project's package import there (the
   usual case: ``pip install 'proj-tui[kedro]'`` into the project's virtual environment);
2. the project's own ``.venv`` or ``venv``, when ``kedro`` imports there;
3. one the user set: ``$PROJ_TUI_KEDRO_PYTHON``, else ``kedro_python`` in proj-tui's
   ``config.toml`` (``$XDG_CONFIG_HOME/proj-tui/config.toml``);
4. otherwise one :class:`KedroNotFoundError` saying what to install where.

"Imports" is checked without importing anything (``importlib.util.find_spec``, with the project's
source dir on the path the way Kedro puts it there), in-process for this interpreter and in a
~20 ms child for another. An interpreter that has Kedro but not proj-tui still works: the child
gets proj-tui's own package (and nothing else of this environment) on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from proj_tui.errors import Location
from proj_tui.framework.startup import ProjectError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from proj_tui.framework.startup import ProjectMetadata

ENV_VAR = "PROJ_TUI_KEDRO_PYTHON"
CONFIG_KEY = "kedro_python"
_VENV_DIRS = (".venv", "venv")
_PROBE_TIMEOUT_S = 30.0

InterpreterSource = Literal["this", "venv", "config"]

# What a child probe prints: which of kedro, the project's package and proj_tui it can find.
_PROBE = """\
import importlib.util, json, sys
src, package = sys.argv[1], sys.argv[2]
def found(name, path=None):
    try:
        if path is None:
            return importlib.util.find_spec(name) is not None
        from importlib.machinery import PathFinder
        return PathFinder.find_spec(name, path) is not None
    except (ImportError, ValueError):
        return False
print(json.dumps({
    "kedro": found("kedro"),
    "package": found(package) or found(package, [src]),
    "proj_tui": found("proj_tui"),
}))
"""


class KedroNotFoundError(ProjectError):
    """No interpreter that could run this Kedro project has Kedro installed."""


@dataclass(frozen=True)
class Interpreter:
    """The Python a Kedro project's children run in, and how it was chosen."""

    python: Path
    source: InterpreterSource
    has_proj_tui: bool = True

    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for a child: proj-tui's package on the path if it lacks it."""
        env = dict(os.environ if base is None else base)
        env.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
        if not self.has_proj_tui:
            shim = str(proj_tui_shim())
            env["PYTHONPATH"] = os.pathsep.join(p for p in (shim, env.get("PYTHONPATH")) if p)
        return env


def resolve_interpreter(metadata: ProjectMetadata) -> Interpreter:
    """The interpreter for the Kedro project ``metadata`` describes (see the module doc)."""
    key = (metadata.project_path, metadata.package_name, _configured())
    cached = _resolved.get(key)
    if cached is not None and cached.python.exists():
        return cached
    found = _resolve(metadata, key[2])
    _resolved[key] = found
    return found


_resolved: dict[tuple[Path, str, tuple[str, str] | None], Interpreter] = {}


def _resolve(metadata: ProjectMetadata, configured: tuple[str, str] | None) -> Interpreter:
    tried: list[str] = []
    if _this_has_kedro(metadata):
        return Interpreter(Path(sys.executable), "this")
    tried.append(f"this interpreter ({sys.executable})")
    for name in _VENV_DIRS:
        python = _venv_python(metadata.project_path / name)
        if python is None:
            continue
        probe = _probe(python, metadata)
        if probe.get("kedro"):
            return Interpreter(python, "venv", bool(probe.get("proj_tui")))
        tried.append(f"the project's {name} ({python})")
    if configured is not None:
        value, where = configured
        python = Path(value).expanduser()
        if not python.is_absolute():
            python = metadata.project_path / python
        if not python.exists():
            raise KedroNotFoundError(
                f"The Python set in {where} ({value}) does not exist. Point it at an "
                "interpreter that has Kedro installed, e.g. the project's .venv/bin/python.",
                location=Location(Path(where)) if where != f"${ENV_VAR}" else None,
            )
        probe = _probe(python, metadata)
        if probe.get("kedro"):
            return Interpreter(python, "config", bool(probe.get("proj_tui")))
        tried.append(f"the Python set in {where} ({python})")
    raise KedroNotFoundError(
        f"'{metadata.project_path}' is a Kedro project, but Kedro is not installed in "
        f"{_join(tried)}. Install it where the project runs: activate the project's virtual "
        "environment and run `pip install 'proj-tui[kedro]'` (or `pip install -r "
        "requirements.txt` in the project), or create '.venv' in the project with Kedro in it, "
        f"or set {ENV_VAR} (or {CONFIG_KEY} in {_user_config_path()}) to a Python that has it."
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _this_has_kedro(metadata: ProjectMetadata) -> bool:
    """``kedro`` and the project's package are importable here (nothing is imported)."""
    import importlib.util
    from importlib.machinery import PathFinder

    try:
        if importlib.util.find_spec("kedro") is None:
            return False
        package = metadata.package_name
        return (
            importlib.util.find_spec(package) is not None
            or PathFinder.find_spec(package, [str(metadata.source_dir)]) is not None
        )
    except (ImportError, ValueError):
        return False


def _venv_python(venv: Path) -> Path | None:
    for rel in ("bin/python", "Scripts/python.exe"):
        python = venv / rel
        if python.exists():
            return python
    return None


def _probe(python: Path, metadata: ProjectMetadata) -> dict[str, bool]:
    """Ask ``python`` which of kedro, the package and proj_tui it finds; {} if it cannot run."""
    try:
        proc = subprocess.run(
            [str(python), "-c", _PROBE, str(metadata.source_dir), metadata.package_name],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        answer = json.loads(proc.stdout) if proc.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return {}
    return {str(k): bool(v) for k, v in answer.items()} if isinstance(answer, dict) else {}


def _configured() -> tuple[str, str] | None:
    """(the interpreter the user set, where it was set), or None."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        return value, f"${ENV_VAR}"
    path = _user_config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # the app reports a broken config.toml itself
    setting = data.get(CONFIG_KEY)
    if isinstance(setting, str) and setting.strip():
        return setting.strip(), str(path)
    return None


def _user_config_path() -> Path:
    """proj-tui's ``config.toml`` (the same file the app reads its settings from)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "proj-tui" / "config.toml"


def proj_tui_shim() -> Path:
    """A folder holding only a link to this proj-tui package, for a ``PYTHONPATH`` entry.

    Lets an interpreter without proj-tui installed run ``python -m proj_tui.kedro.<module>``
    without seeing anything else of this environment.
    """
    package = Path(__file__).resolve().parents[1]
    import zlib

    tag = f"{zlib.crc32(str(package).encode()):08x}"
    folder = (
        Path(tempfile.gettempdir())
        / f"proj-tui-shim-{os.getuid() if hasattr(os, 'getuid') else 0}-{tag}"
    )
    link = folder / "proj_tui"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            link.symlink_to(package, target_is_directory=True)
    return folder
