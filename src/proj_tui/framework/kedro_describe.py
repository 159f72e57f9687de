"""The client of ``proj_tui.kedro.describe``: one child of the project's Python per batch of
questions, its answer cached on the files it came from.

A Kedro project's settings, envs, pipelines and parameters are what Kedro itself says, so they are
asked of a child process of the project's interpreter (``kedro_interpreter``). One child answers
everything asked at once (settings, envs, every pipeline, and the parameters of each asked env and
runtime params), because what costs is the child's start (importing Kedro and the project, ~1-2 s),
not the questions. The answer is kept per project and reused while none of the files it came from
changed: the conf folder, the source dir, ``settings.py`` and ``pyproject.toml`` (size and mtime
of each, a few ms to check).

Errors the child reports become our own classes with the user's file and line: a bad
``settings.py`` a :class:`SettingsError`, a failing ``register_pipelines`` a
:class:`PipelineLoadError`, a bad YAML file a :class:`ConfigError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proj_tui.config.errors import ConfigError
from proj_tui.errors import Location, ProjTuiError
from proj_tui.framework.kedro_interpreter import Interpreter, resolve_interpreter
from proj_tui.framework.settings import SettingsError
from proj_tui.framework.startup import PipelineLoadError, ProjectError, ProjectMetadata

_TIMEOUT_S = 300.0
_CACHE_VERSION = 1
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", "node_modules"})


class KedroDescribeError(ProjectError):
    """The describing child could not run or gave no answer (its stderr says why)."""


class KedroParameterValidationError(ConfigError):
    """Kedro's typed-parameter validation refuses the parameters a run would get."""


@dataclass(frozen=True)
class ConfigAnswer:
    """One env's parameters (with runtime params) as Kedro merges them, and what came with them."""

    env: str
    runtime_params: dict[str, Any]
    parameters: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    catalog: dict[str, Any]
    files: dict[str, list[str]]
    typed: dict[str, dict[str, Any]] = field(default_factory=dict)
    validation_error: str | None = None
    persisted: dict[str, bool] = field(default_factory=dict)
    errors: tuple[dict[str, Any], ...] = ()


@dataclass
class KedroAnswer:
    """What one or more describe children said about a project, while its files are unchanged."""

    fingerprint: str
    interpreter: Interpreter
    data: dict[str, Any]
    configs: dict[str, ConfigAnswer] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        settings = self.data.get("settings")
        if settings is None:
            raise self.error("settings")
        return dict(settings)

    def pipelines(self) -> dict[str, Any]:
        pipelines = self.data.get("pipelines")
        if pipelines is None:
            raise self.error("pipelines", "settings")
        return dict(pipelines)

    def error(self, *sections: str) -> ProjTuiError:
        """The first error the child reported for one of ``sections``, as our own class."""
        for doc in self.data.get("errors") or []:
            if doc.get("section") in sections:
                return to_error(doc)
        return KedroDescribeError(f"The Kedro describe gave no {sections[0]}.")


def _config_key(env: str | None, runtime_params: Mapping[str, Any]) -> str:
    return json.dumps([env, runtime_params], sort_keys=True, default=str)


class KedroDescriber:
    """Asks a project's Kedro (in a child) and remembers the answer while its files are unchanged."""

    def __init__(self, metadata: ProjectMetadata, conf_source: Path | None = None) -> None:
        self.metadata = metadata
        self.conf_source = conf_source

    def answer(
        self,
        configs: Sequence[tuple[str | None, Mapping[str, Any]]] = (),
        *,
        static_conf: str = "conf",
    ) -> KedroAnswer:
        """The cached answer, asking a child for whatever is missing (one child for all of it).

        Kept in memory and in ``.proj-tui/kedro-describe.json``, so the next command (or the
        app's own children) reuses it; a second process asking meanwhile waits for the first.
        """
        key = (self.metadata.project_path, self.conf_source)
        with _lock_for(key), _file_lock(self._cache_file().with_suffix(".lock")):
            interpreter = resolve_interpreter(self.metadata)
            fingerprint = f"{self._fingerprint(static_conf)}:{interpreter.python}"
            cached = _answers.get(key)
            if cached is None or cached.fingerprint != fingerprint:
                cached = self._read_cache(fingerprint, interpreter)
            missing: list[tuple[str | None, dict[str, Any]]] = [
                (env, dict(p))
                for env, p in configs
                if cached is None or _config_key(env, p) not in cached.configs
            ]
            if cached is not None and not missing:
                _answers[key] = cached
                return cached
            if cached is None and not any(not p for _, p in missing):
                missing.append((None, {}))  # the default env: what everyone asks next
            data = self._ask(interpreter, missing)
            answer = cached if cached is not None else KedroAnswer(fingerprint, interpreter, data)
            answer.data = data  # the newest child's settings, envs and pipelines (same files)
            for (env, params), doc in zip(missing, data.get("configs") or [], strict=False):
                config = _config_answer(env, params, doc)  # env None: the child resolved it
                answer.configs[_config_key(env or config.env, params)] = config
            _answers[key] = answer
            self._write_cache(answer)
            return answer

    # -- the cache file -------------------------------------------------------------------
    def _cache_file(self) -> Path:
        from proj_tui.framework.store import default_store_path

        name = "kedro-describe.json"
        if self.conf_source is not None:
            import zlib

            name = f"kedro-describe-{zlib.crc32(str(self.conf_source).encode()):08x}.json"
        return default_store_path(self.metadata.project_path).with_name(name)

    def _read_cache(self, fingerprint: str, interpreter: Interpreter) -> KedroAnswer | None:
        from proj_tui.framework.json_cache import read_json

        try:
            doc = read_json(self._cache_file())
            if doc.get("v") != _CACHE_VERSION or doc.get("fingerprint") != fingerprint:
                return None
            configs = {
                str(k): ConfigAnswer(**{**v, "errors": tuple(v.get("errors") or ())})
                for k, v in doc["configs"].items()
            }
            return KedroAnswer(fingerprint, interpreter, dict(doc["data"]), configs)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # absent, from another version, or half-written: ask again

    def _write_cache(self, answer: KedroAnswer) -> None:
        import dataclasses

        from proj_tui.framework.json_cache import write_json

        path = self._cache_file()
        doc = {
            "v": _CACHE_VERSION,
            "fingerprint": answer.fingerprint,
            "data": answer.data,
            "configs": {k: dataclasses.asdict(v) for k, v in answer.configs.items()},
        }
        write_json(path, doc, default=str)  # False in a read-only project: each process asks

    def config(self, env: str, runtime_params: Mapping[str, Any], static_conf: str) -> ConfigAnswer:
        """The parameters (and catalog) of ``env`` with ``runtime_params``, as Kedro merges them."""
        answer = self.answer([(env, runtime_params)], static_conf=static_conf)
        found = answer.configs.get(_config_key(env, dict(runtime_params)))
        if found is None:
            raise answer.error("settings", "config")
        if found.errors and not found.parameters and not found.provenance:
            raise to_error(found.errors[0])
        return found

    # -- the child ------------------------------------------------------------------------
    def _ask(
        self, interpreter: Interpreter, configs: Sequence[tuple[str | None, dict[str, Any]]]
    ) -> dict[str, Any]:
        request = {
            "project_path": str(self.metadata.project_path),
            "conf_source": str(self.conf_source) if self.conf_source else None,
            "pipelines": True,
            "configs": [{"env": env, "runtime_params": params} for env, params in configs],
        }
        argv = [str(interpreter.python), "-m", "proj_tui.kedro.describe"]
        try:
            proc = subprocess.run(
                argv,
                input=json.dumps(request, default=str),
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                cwd=self.metadata.project_path,
                env=interpreter.child_env(),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KedroDescribeError(
                f"Could not ask Kedro about '{self.metadata.project_path}' with "
                f"{interpreter.python}: {exc}"
            ) from None
        try:
            data = json.loads(proc.stdout) if proc.stdout.strip() else None
        except json.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
            raise KedroDescribeError(
                f"Kedro could not describe '{self.metadata.project_path}' ({interpreter.python} "
                f"-m proj_tui.kedro.describe exited with {proc.returncode}):\n{tail}"
            )
        return data

    # -- what the answer came from --------------------------------------------------------
    def watched_files(self, static_conf: str) -> list[Path]:
        """The roots whose files an answer depends on (see the module doc)."""
        metadata = self.metadata
        conf = self.conf_source or metadata.project_path / static_conf
        settings_py = metadata.source_dir / metadata.package_name / "settings.py"
        return [conf, metadata.source_dir, settings_py, metadata.project_path / "pyproject.toml"]

    def _fingerprint(self, static_conf: str) -> str:
        import zlib

        parts: list[str] = []
        for root in self.watched_files(static_conf):
            for path, stat in _walk(root):
                parts.append(f"{path}\t{stat.st_mtime_ns}\t{stat.st_size}")
        text = "\n".join(sorted(set(parts)))
        return f"{zlib.crc32(text.encode()):08x}{len(parts):x}"


_answers: dict[tuple[Path, Path | None], KedroAnswer] = {}
_locks: dict[tuple[Path, Path | None], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(key: tuple[Path, Path | None]) -> threading.Lock:
    """One child per project at a time: a second asker waits and gets the first one's answer."""
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` locked (POSIX) so two processes describing one project run one child."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process sharing
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError:
        yield  # a read-only project: nothing to share
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _walk(root: Path) -> list[tuple[str, os.stat_result]]:
    try:
        stat = root.stat()
    except OSError:
        return []
    if not root.is_dir():
        return [(str(root), stat)]
    out: list[tuple[str, os.stat_result]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            try:
                out.append((path, os.stat(path)))
            except OSError:
                continue
    return out


def _config_answer(env: str | None, params: dict[str, Any], doc: Mapping[str, Any]) -> ConfigAnswer:
    return ConfigAnswer(
        env=str(doc.get("env") or env or ""),
        runtime_params=params,
        parameters=dict(doc.get("parameters") or {}),
        provenance=dict(doc.get("provenance") or {}),
        catalog=dict(doc.get("catalog") or {}),
        files={k: list(v) for k, v in (doc.get("files") or {}).items()},
        typed=dict(doc.get("typed") or {}),
        validation_error=doc.get("validation_error"),
        persisted={str(k): bool(v) for k, v in (doc.get("persisted") or {}).items()},
        errors=tuple(doc.get("errors") or ()),
    )


def to_error(doc: Mapping[str, Any]) -> ProjTuiError:
    """A child's error as our class, located in the user's file where the child found it."""
    file, line, column = doc.get("file"), doc.get("line"), doc.get("column")
    location = Location(Path(file), line, column) if file else None
    where = f" at {location}" if location else ""
    what = f"{doc.get('type', 'Error')}: {doc.get('message', '')}"
    detail = doc.get("detail")
    section = doc.get("section")
    if section == "settings":
        return SettingsError(
            f"Kedro could not load the project's settings{where}: {what}. Fix settings.py "
            "(or pyproject.toml's [tool.kedro]) and try again.",
            location=location,
        )
    if section == "pipelines":
        return PipelineLoadError(
            f"Kedro's register_pipelines() failed{where}: {what}", location=location
        )
    if section in ("config", "parameters", "catalog"):
        hint = f" ({detail})" if detail else ""
        return ConfigError(
            f"Kedro could not load the {section} config{where}: {what}{hint}", location=location
        )
    return KedroDescribeError(f"Kedro failed{where}: {what}", location=location)
