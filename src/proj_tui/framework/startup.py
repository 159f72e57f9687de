"""Find a project, read its ``pyproject.toml`` and make its package importable.

``bootstrap_project`` is the one call a script, a notebook or the CLI makes before creating a session. It
remembers the project per package name, so ``Session.create(package_name)`` later works from any working
directory.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui import __version__
from proj_tui.errors import Location, ProjTuiError, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from proj_tui.pipeline import Pipeline

TOOL_TABLE = "proj_tui"
KEDRO_TABLE = "kedro"  # a Kedro project: run by Kedro itself (framework/kedro_kind.py)
PROJECT_TABLES = (TOOL_TABLE, KEDRO_TABLE)
_REQUIRED_KEYS = ("package_name", "project_name")
_OPTIONAL_KEYS = ("source_dir", "proj_tui_version")


class ProjectError(ProjTuiError):
    """The project's layout or metadata is not usable."""


class PipelineLoadError(ProjectError):
    """The project's pipeline code failed to import or to build its pipelines."""


@dataclass(frozen=True)
class ProjectMetadata:
    """What ``pyproject.toml`` says about a project, with paths made absolute."""

    package_name: str
    project_name: str
    project_path: Path
    source_dir: Path
    proj_tui_version: str


_bootstrapped: dict[str, ProjectMetadata] = {}
_parsed: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
"""pyproject.toml files parsed in this process, by path, with the (mtime_ns, size, inode) they
had: one ``proj-tui run`` asks for the file three or four times (find the project, tell its
kind, read its metadata), and the app again on every reload; a changed file is parsed again."""


def _parse_pyproject(pyproject: Path) -> dict[str, Any]:
    """The parsed TOML of ``pyproject`` (shared: callers must not change it). Raises OSError,
    UnicodeDecodeError and tomllib.TOMLDecodeError as reading and parsing it would."""
    st = pyproject.stat()
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    key = str(pyproject)
    hit = _parsed.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    _parsed[key] = (stamp, data)
    return data


_pipelines_cache: dict[str, dict[str, Pipeline]] = {}


def find_project_root(start: Path | str | None = None) -> Path | None:
    """The nearest directory at or above ``start`` whose pyproject has our table or Kedro's."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = _parse_pyproject(pyproject)
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                return candidate  # let bootstrap_project report the problem precisely
            tools = data.get("tool", {})
            if isinstance(tools, dict) and any(t in tools for t in PROJECT_TABLES):
                return candidate
    return None


def read_pyproject(project_path: Path | str) -> tuple[Path, Path, dict[str, Any]]:
    """(project dir, its pyproject.toml, the parsed TOML); a located error when unusable."""
    path = Path(project_path).expanduser().resolve()
    pyproject = path / "pyproject.toml"
    if not path.is_dir():
        raise ProjectError(f"Project path '{path}' is not a directory.")
    if not pyproject.is_file():
        raise ProjectError(
            f"No pyproject.toml in '{path}'. Point proj-tui at a project directory, "
            "or create one with 'proj-tui new PATH'."
        )
    try:
        data = _parse_pyproject(pyproject)
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{pyproject} is not valid UTF-8 text ({exc.reason}).", location=Location(pyproject)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_position(exc)
        if line is None and "end of document" in str(exc):
            line = max(1, pyproject.read_text(encoding="utf-8").count("\n"))
        raise ProjectError(
            f"{pyproject} is not valid TOML: {_toml_reason(exc)}. Fix the file and try again.",
            location=Location(pyproject, line, column),
        ) from None
    return path, pyproject, data


def project_tables(data: dict[str, Any]) -> list[str]:
    """Which of ``PROJECT_TABLES`` a parsed ``pyproject.toml`` has, ours first."""
    tools = data.get("tool", {})
    return [t for t in PROJECT_TABLES if isinstance(tools, dict) and t in tools]


def resolve_source_dir(path: Path, raw: str, pyproject: Path, table: str) -> Path:
    """The project's source directory (``source_dir`` of ``[tool.<table>]``): inside the project
    and present, or a ``ProjectError`` that says which key to fix."""
    source_dir = (path / Path(raw).expanduser()).resolve()
    if not source_dir.is_relative_to(path):
        raise ProjectError(
            f"source_dir '{raw}' in {pyproject} points outside the project "
            f"('{source_dir}'). Keep the source directory inside '{path}'.",
            location=Location(pyproject),
        )
    if not source_dir.is_dir():
        raise ProjectError(
            f"Source directory '{source_dir}' does not exist. Create it or set 'source_dir' in "
            f"[tool.{table}] of {pyproject}.",
            location=Location(pyproject),
        )
    return source_dir


def read_metadata(project_path: Path | str) -> ProjectMetadata:
    """Parse and validate ``[tool.proj_tui]`` without touching ``sys.path``."""
    path, pyproject, data = read_pyproject(project_path)
    table = data.get("tool", {}).get(TOOL_TABLE)
    if not isinstance(table, dict):
        raise ProjectError(
            f"{pyproject} has no [tool.{TOOL_TABLE}] table. Add one with 'package_name' and "
            "'project_name' keys.",
            location=Location(pyproject),
        )
    missing = [key for key in _REQUIRED_KEYS if key not in table]
    if missing:
        raise ProjectError(
            f"[tool.{TOOL_TABLE}] in {pyproject} is missing {', '.join(repr(k) for k in missing)}. "
            f"It needs {' and '.join(repr(k) for k in _REQUIRED_KEYS)}.",
            location=Location(pyproject),
        )
    known = (*_REQUIRED_KEYS, *_OPTIONAL_KEYS)
    unknown = [key for key in table if key not in known]
    if unknown:
        hints = "".join(did_you_mean(key, known) for key in unknown)
        raise ProjectError(
            f"[tool.{TOOL_TABLE}] in {pyproject} has unknown key(s) "
            f"{', '.join(repr(k) for k in unknown)}; allowed keys are "
            f"{', '.join(known)}.{hints}",
            location=Location(pyproject),
        )
    for key in (*_REQUIRED_KEYS, *(k for k in _OPTIONAL_KEYS if k in table)):
        if not isinstance(table[key], str) or not table[key].strip():
            raise ProjectError(
                f"'{key}' in [tool.{TOOL_TABLE}] of {pyproject} must be a non-empty string.",
                location=Location(pyproject),
            )
    package_name = table["package_name"]
    if not package_name.isidentifier():
        raise ProjectError(
            f"package_name '{package_name}' in {pyproject} is not a valid Python package name.",
            location=Location(pyproject),
        )
    source_dir = resolve_source_dir(path, table.get("source_dir", "src"), pyproject, TOOL_TABLE)
    return ProjectMetadata(
        package_name=package_name,
        project_name=table["project_name"],
        project_path=path,
        source_dir=source_dir,
        proj_tui_version=table.get("proj_tui_version", __version__),
    )


def bootstrap_project(project_path: Path | str) -> ProjectMetadata:
    """Read the project's metadata and put its source dir first on ``sys.path``."""
    metadata = read_metadata(project_path)
    source = str(metadata.source_dir)
    if source in sys.path:
        sys.path.remove(source)
    sys.path.insert(0, source)
    previous = _bootstrapped.get(metadata.package_name)
    if previous is not None and previous.project_path != metadata.project_path:
        _forget_package(metadata.package_name)
    _bootstrapped[metadata.package_name] = metadata
    return metadata


def bootstrapped(package_name: str) -> ProjectMetadata | None:
    """The metadata ``bootstrap_project`` recorded for ``package_name`` in this process."""
    return _bootstrapped.get(package_name)


def _forget_package(package_name: str) -> None:
    """Drop a package's modules so a different project with the same package name can load."""
    _pipelines_cache.pop(package_name, None)
    for name in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
        del sys.modules[name]


def import_project_module(package_name: str, module: str) -> Any | None:
    """Import ``package.module``; None when it does not exist, a located error when it is broken."""
    full = f"{package_name}.{module}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name in (full, package_name):
            if exc.name == package_name:
                raise ProjectError(
                    f"Package '{package_name}' cannot be imported: is it under the project's "
                    "source directory?"
                ) from None
            return None
        raise _located(exc, f"Importing {full} failed") from exc
    except Exception as exc:
        raise _located(exc, f"Importing {full} failed") from exc


def load_pipelines(package_name: str, *, refresh: bool = False) -> dict[str, Pipeline]:
    """Return the project's registered pipelines, cached per process.

    ``pipeline_registry.register_pipelines()`` wins; without it every ``pipelines/*/create_pipeline()``
    is found and ``__default__`` is their sum.
    """
    if not refresh and package_name in _pipelines_cache:
        return _pipelines_cache[package_name]
    from proj_tui.pipeline import Pipeline

    registry = import_project_module(package_name, "pipeline_registry")
    if registry is not None and hasattr(registry, "register_pipelines"):
        try:
            pipelines = registry.register_pipelines()
        except ProjTuiError:
            raise
        except Exception as exc:
            raise _located(exc, "register_pipelines() failed") from exc
    else:
        pipelines = find_pipelines(package_name)
        if pipelines:
            pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    if not isinstance(pipelines, dict) or not all(
        isinstance(k, str) and isinstance(v, Pipeline) for k, v in pipelines.items()
    ):
        raise PipelineLoadError(
            f"register_pipelines() in {package_name}.pipeline_registry must return a dict of "
            "pipeline names to Pipeline objects."
        )
    _pipelines_cache[package_name] = pipelines
    return pipelines


def find_pipelines(package_name: str) -> dict[str, Pipeline]:
    """Collect ``create_pipeline()`` from every ``<package>.pipelines.<name>`` module."""
    from proj_tui.pipeline import Pipeline

    pipelines_pkg = import_project_module(package_name, "pipelines")
    if pipelines_pkg is None or not hasattr(pipelines_pkg, "__path__"):
        return {}
    found: dict[str, Pipeline] = {}
    import pkgutil  # deferred: only a project with a pipelines package needs it

    for info in sorted(pkgutil.iter_modules(pipelines_pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = import_project_module(package_name, f"pipelines.{info.name}")
        create = getattr(module, "create_pipeline", None)
        if create is None:
            import logging  # deferred, as pkgutil: a command that reads only the store loads neither

            logging.getLogger(__name__).warning(
                "%s.pipelines.%s has no create_pipeline(); skipped.", package_name, info.name
            )
            continue
        try:
            built = create()
        except ProjTuiError:
            raise
        except Exception as exc:
            raise _located(
                exc, f"{package_name}.pipelines.{info.name}.create_pipeline() failed"
            ) from exc
        if not isinstance(built, Pipeline):
            raise PipelineLoadError(
                f"{package_name}.pipelines.{info.name}.create_pipeline() returned "
                f"{type(built).__name__}, not a Pipeline."
            )
        found[info.name] = built
    return found


def _located(exc: BaseException, what: str) -> PipelineLoadError:
    """Wrap a user-code exception with the file and line where it happened."""
    location: Location | None = None
    if isinstance(exc, SyntaxError) and exc.filename:
        location = Location(Path(exc.filename), exc.lineno, exc.offset)
    else:
        import traceback  # deferred: only a failed import of the project's code needs it

        frames = traceback.extract_tb(exc.__traceback__)
        for frame in reversed(frames):
            if "importlib" not in frame.filename and "/proj_tui/" not in frame.filename:
                location = Location(Path(frame.filename), frame.lineno)
                break
    detail = f"{type(exc).__name__}: {exc}"
    where = f" at {location}" if location else ""
    return PipelineLoadError(f"{what}{where}: {detail}", location=location)


def _toml_position(exc: tomllib.TOMLDecodeError) -> tuple[int | None, int | None]:
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    if line is None:
        import re

        match = re.search(r"line (\d+), column (\d+)", str(exc))
        if match:
            return int(match.group(1)), int(match.group(2))
    return line, column


def _toml_reason(exc: tomllib.TOMLDecodeError) -> str:
    return getattr(exc, "msg", None) or str(exc).split(" (at line")[0]
