"""``python -m proj_tui.kedro.describe``: what Kedro itself says about a project, as JSON.

Runs in the project's interpreter (see ``framework/kedro_interpreter.py``), reads one JSON request
on stdin and writes one JSON answer on stdout; everything Kedro or the project prints goes to
stderr. One child answers a batch: the settings and envs, every registered pipeline (Kedro's node
names, tags, namespaces, inputs/outputs, function file:line and a code hash), and for each asked
(env, runtime params) the parameters exactly as Kedro's config loader merges them, where each key
was set (file and line), the catalog config, which datasets persist, the typed parameters
(Kedro 1.3+: pydantic models or dataclasses in node signatures) and their validation error.

Each section fails on its own: a broken ``register_pipelines`` still gives the parameters, and a
bad YAML file in one env still gives the pipelines. An error is ``{"type", "message", "file",
"line", "column"}``, located in the user's file wherever that can be worked out; the framework
turns it into its own error classes (``framework/kedro_describe.py``).

Request::

    {"project_path": "...", "conf_source": null, "pipelines": true,
     "configs": [{"env": "local", "runtime_params": {"a": 1}}]}
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PROTOCOL = 1
_CONFIG_SUFFIXES = (".yml", ".yaml", ".json")


def main() -> int:
    request = json.loads(sys.stdin.read() or "{}")
    with _stdout_to_stderr() as answer_out:
        answer = describe(request)
        answer_out.write(json.dumps(answer, default=_jsonable))
    return 0


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[Any]:
    """Keep stdout for the answer alone: Kedro's logging and the project's prints go to stderr."""
    sys.stdout.flush()
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # also what C extensions write to fd 1
    with os.fdopen(answer_fd, "w", encoding="utf-8") as answer_out:
        yield answer_out
        sys.stdout.flush()


def describe(request: Mapping[str, Any]) -> dict[str, Any]:
    """The whole answer for one request (see the module doc)."""
    import kedro

    project_path = Path(request["project_path"]).resolve()
    answer: dict[str, Any] = {
        "protocol": PROTOCOL,
        "kedro_version": kedro.__version__,
        "python": sys.executable,
        "errors": [],
    }
    try:
        metadata, settings = _bootstrap(project_path)
    except Exception as exc:
        answer["errors"].append(_error("settings", exc, project_path))
        return answer
    conf_source = Path(request.get("conf_source") or project_path / settings.CONF_SOURCE)
    loader_args = dict(settings.CONFIG_LOADER_ARGS)
    answer["settings"] = {
        "CONF_SOURCE": str(settings.CONF_SOURCE),
        "conf_source": str(conf_source),
        "base_env": loader_args.get("base_env") or "base",
        "default_run_env": loader_args.get("default_run_env") or "local",
        "config_loader_class": _qualname(settings.CONFIG_LOADER_CLASS),
        "merge_strategy": dict(loader_args.get("merge_strategy") or {}),
        "source": str(metadata.source_dir / metadata.package_name / "settings.py"),
        "package_name": metadata.package_name,
        "project_name": metadata.project_name,
    }
    answer["envs"] = _envs(conf_source)
    pipelines: dict[str, Any] | None = None
    if request.get("pipelines", True) or request.get("configs"):
        try:
            pipelines = _registered_pipelines()
            answer["pipelines"] = {
                name: {"nodes": [_node_doc(n) for n in pipe.nodes]}
                for name, pipe in sorted(pipelines.items())
            }
        except Exception as exc:
            answer["errors"].append(_error("pipelines", exc, project_path))
    answer["configs"] = [
        _config(metadata, conf_source, settings, dict(asked), pipelines)
        for asked in request.get("configs") or []
    ]
    return answer


def _bootstrap(project_path: Path) -> tuple[Any, Any]:
    from kedro.framework.project import settings
    from kedro.framework.startup import bootstrap_project

    metadata = bootstrap_project(project_path)
    _ = settings.CONF_SOURCE  # settings.py is imported (and validated) on first access
    return metadata, settings


def _envs(conf_source: Path) -> list[str]:
    try:
        return sorted(
            e.name for e in os.scandir(conf_source) if e.is_dir() and not e.name.startswith(".")
        )
    except OSError:
        return []


def _registered_pipelines() -> dict[str, Any]:
    from kedro.framework.project import pipelines

    return dict(pipelines)


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


# --- pipelines -----------------------------------------------------------------------------


def _node_doc(node: Any) -> dict[str, Any]:
    from proj_tui.framework.fingerprints import func_key, helper_names, run_fingerprints

    func = node.func
    namespace = node.namespace or None
    name = node.name
    short = name[len(namespace) + 1 :] if namespace and name.startswith(namespace + ".") else name
    location = _source_location(func)
    code = run_fingerprints([node], {}, {})["code"]
    key = func_key(func)
    target = func.func if isinstance(func, functools.partial) else func
    return {
        "name": name,
        "short_name": short,
        "namespace": namespace,
        "func": key,
        "module": str(getattr(target, "__module__", None) or "?"),
        "qualname": str(getattr(target, "__qualname__", None) or type(target).__name__),
        "func_name": getattr(target, "__name__", type(target).__name__),
        "source": f"{location[0]}:{location[1]}" if location else None,
        "inputs": list(node.inputs),
        "outputs": list(node.outputs),
        "tags": sorted(node.tags),
        "confirms": list(getattr(node, "confirms", None) or []),
        "code_hash": code.get(key),
        "helpers": _helpers(func, helper_names),
    }


def _helpers(func: Any, helper_names: Any) -> list[str]:
    try:
        return list(helper_names(func))
    except Exception:  # a callable our walker cannot read: no helper names, same hash
        return []


def _source_location(func: Any) -> tuple[str, int] | None:
    for _ in range(10):
        if isinstance(func, functools.partial):
            func = func.func
            continue
        code = getattr(func, "__code__", None)
        if code is not None:
            return code.co_filename, code.co_firstlineno
        inner = getattr(func, "__wrapped__", None)
        if inner is None:
            call = getattr(type(func), "__call__", None)  # noqa: B004 - the class's method
            code = getattr(call, "__code__", None)
            return (code.co_filename, code.co_firstlineno) if code is not None else None
        func = inner
    return None


# --- config --------------------------------------------------------------------------------


def _config(
    metadata: Any,
    conf_source: Path,
    settings: Any,
    asked: dict[str, Any],
    pipelines: dict[str, Any] | None,
) -> dict[str, Any]:
    """One env's parameters as a run with these runtime params would see them."""
    project_path = Path(metadata.project_path)
    env = asked.get("env") or None
    runtime_params = dict(asked.get("runtime_params") or {})
    out: dict[str, Any] = {"env": env, "runtime_params": runtime_params, "errors": []}
    try:
        loader = settings.CONFIG_LOADER_CLASS(
            conf_source=str(conf_source),
            env=env,
            runtime_params=runtime_params,
            **settings.CONFIG_LOADER_ARGS,
        )
    except Exception as exc:
        out["errors"].append(_error("config", exc, project_path))
        return out
    run_env = getattr(loader, "env", None) or env or _arg(settings, "default_run_env", "local")
    out["env"] = run_env
    base_env = getattr(loader, "base_env", None) or _arg(settings, "base_env", "base")
    patterns = dict(getattr(loader, "config_patterns", None) or {})
    try:
        params = loader["parameters"]
    except Exception as exc:
        if type(exc).__name__ != "MissingConfigException":
            out["errors"].append(_config_error("parameters", exc, project_path, conf_source))
            return out
        params = dict(runtime_params)
    out["parameters"] = params
    layers = _layers(conf_source, base_env, run_env, patterns.get("parameters") or [])
    out["files"] = {"parameters": [str(p) for _, p in layers]}
    out["provenance"] = _provenance(loader, layers, params, runtime_params)
    try:
        catalog = loader["catalog"]
    except Exception as exc:
        if type(exc).__name__ != "MissingConfigException":
            out["errors"].append(_config_error("catalog", exc, project_path, conf_source))
        catalog = {}
    out["catalog"] = catalog
    out["files"]["catalog"] = [
        str(p) for _, p in _layers(conf_source, base_env, run_env, patterns.get("catalog") or [])
    ]
    if pipelines is not None:
        out["typed"], error = _typed(pipelines, params)
        if error:
            out["validation_error"] = error
        out["persisted"] = _persisted(metadata, loader, run_env, runtime_params, pipelines, out)
    return out


def _arg(settings: Any, key: str, default: str) -> str:
    return str(dict(settings.CONFIG_LOADER_ARGS).get(key) or default)


def _layers(
    conf_source: Path, base_env: str, run_env: str, patterns: list[str]
) -> list[tuple[str, Path]]:
    """The files a Kedro config loader reads for these patterns: base's, then the run env's."""
    envs = [base_env] if run_env == base_env else [base_env, run_env]
    out: list[tuple[str, Path]] = []
    for env in envs:
        folder = conf_source / env
        found: set[Path] = set()
        for pattern in patterns:
            for path in folder.glob(pattern):
                rel = path.relative_to(folder).parts
                if any(part.startswith(".") for part in rel) or path.suffix not in _CONFIG_SUFFIXES:
                    continue
                if path.is_file():
                    found.add(path)
        out.extend((env, p) for p in sorted(found))
    return out


def _provenance(
    loader: Any,
    layers: list[tuple[str, Path]],
    params: Mapping[str, Any],
    runtime_params: Mapping[str, Any],
) -> dict[str, Any]:
    """Where each leaf of the merged parameters was set (file and line), and what it overrode."""
    from proj_tui.config import nest_dotted
    from proj_tui.config.provenance import RUNTIME_ENV, trace_provenance
    from proj_tui.config.yaml_io import find_key_location, load_config_file

    strategy = dict(getattr(loader, "merge_strategy", None) or {}).get("parameters", "destructive")
    data: list[tuple[str, Path | None, Mapping[str, Any]]] = []
    for env, path in layers:
        try:
            data.append((env, path, load_config_file(path)))
        except Exception:  # Kedro read it; our stricter reader may not (duplicate keys)
            continue
    if runtime_params:
        data.append((RUNTIME_ENV, None, nest_dotted(runtime_params)))
    traced = trace_provenance(
        data,
        params,
        deep_envs=lambda env: env == RUNTIME_ENV or strategy == "soft",
        resolve=lambda _dotted, raw: raw,
    )
    out: dict[str, Any] = {}
    for key, prov in traced.items():
        line = None
        if prov.path is not None:
            line = find_key_location(prov.path, key.split(".")).line
        out[key] = {
            "env": prov.env,
            "file": str(prov.path) if prov.path is not None else None,
            "line": line,
            "overridden": [
                {"env": o.env, "file": str(o.path) if o.path else None, "value": o.value}
                for o in prov.overridden
            ],
        }
    return out


def _typed(
    pipelines: dict[str, Any], params: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Kedro 1.3+'s typed parameters: each key's type and fields, and the validation error."""
    try:
        from kedro.validation import ParameterValidator, TypeExtractor
    except ImportError:  # Kedro before 1.3 validates nothing
        return {}, None
    try:
        requirements = TypeExtractor(pipelines).extract_types_from_pipelines()
    except Exception as exc:
        return {}, f"Could not read the typed parameters: {type(exc).__name__}: {exc}"
    typed = {key: _type_doc(tp) for key, tp in requirements.items()}
    try:
        ParameterValidator(pipelines).validate_raw_params(dict(params))
    except Exception as exc:
        return typed, str(exc)
    return typed, None


def _type_doc(tp: Any) -> dict[str, Any]:
    from typing import get_args

    inner = tp
    args = [a for a in get_args(tp) if a is not type(None)]
    if len(args) == 1:
        inner = args[0]
    fields: dict[str, str] = {}
    kind = "other"
    if dataclasses.is_dataclass(inner) and isinstance(inner, type):
        kind = "dataclass"
        fields = {f.name: _type_name(f.type) for f in dataclasses.fields(inner)}
    elif isinstance(getattr(inner, "model_fields", None), dict):
        kind = "pydantic"
        fields = {
            name: _type_name(getattr(f, "annotation", None))
            for name, f in inner.model_fields.items()
        }
    try:
        where = inspect.getsourcefile(inner)
        line = inspect.getsourcelines(inner)[1]
    except (OSError, TypeError):
        where, line = None, None
    return {
        "type": _qualname(inner),
        "name": getattr(inner, "__name__", str(inner)),
        "kind": kind,
        "optional": inner is not tp,
        "fields": fields,
        "source": f"{where}:{line}" if where else None,
    }


def _type_name(tp: Any) -> str:
    if isinstance(tp, str):
        return tp
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


def _persisted(
    metadata: Any,
    loader: Any,
    env: str | None,
    runtime_params: dict[str, Any],
    pipelines: dict[str, Any],
    out: dict[str, Any],
) -> dict[str, bool]:
    """For each dataset of the pipelines: does Kedro's catalog keep it between runs?"""
    # The catalog calls after_catalog_created on the context's hook manager; no project hook
    # or plugin should see a describe, so it gets one with Kedro's specs and no plugins.
    from kedro.framework.project import settings

    from proj_tui.kedro.run_compat import bare_hook_manager, is_ephemeral

    try:
        context = settings.CONTEXT_CLASS(
            package_name=metadata.package_name,
            project_path=metadata.project_path,
            config_loader=loader,
            env=env,
            runtime_params=runtime_params,
            hook_manager=bare_hook_manager(),
        )
        catalog = context.catalog
    except Exception as exc:
        out["errors"].append(_error("catalog", exc, Path(metadata.project_path)))
        return {}
    names = sorted(
        {d for pipe in pipelines.values() for n in pipe.nodes for d in (*n.inputs, *n.outputs)}
    )
    persisted: dict[str, bool] = {}
    for name in names:
        if name.startswith("params:") or name == "parameters":
            persisted[name] = True
            continue
        try:
            dataset = catalog.get(name)
        except Exception:
            dataset = None
        persisted[name] = dataset is not None and not is_ephemeral(dataset)
    return persisted


# --- errors --------------------------------------------------------------------------------


def _config_error(
    section: str, exc: BaseException, project_path: Path, conf_source: Path
) -> dict[str, Any]:
    """A config failure, located by re-reading the conf files with our line-tracking reader."""
    from proj_tui.config.yaml_io import load_config_file

    for path in sorted(conf_source.rglob("*")):
        if path.suffix not in _CONFIG_SUFFIXES or not path.is_file():
            continue
        if any(part.startswith(".") for part in path.relative_to(conf_source).parts):
            continue
        try:
            load_config_file(path)
        except Exception as ours:
            location = getattr(ours, "location", None)
            if location is not None and getattr(location, "line", None) is not None:
                doc = _error(section, exc, project_path)
                doc.update(
                    message=f"{type(exc).__name__}: {exc}",
                    file=str(location.path),
                    line=location.line,
                    column=location.column,
                    detail=str(ours),
                )
                return doc
    return _error(section, exc, project_path)


def _error(section: str, exc: BaseException, project_path: Path) -> dict[str, Any]:
    """An exception as JSON, with the deepest place in the user's own files that raised it."""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    if isinstance(exc, SyntaxError) and exc.filename:
        file, line, column = exc.filename, exc.lineno, exc.offset
    else:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen and file is None:
            seen.add(id(current))
            for frame in reversed(traceback.extract_tb(current.__traceback__)):
                if Path(frame.filename).resolve().is_relative_to(project_path):
                    file, line = frame.filename, frame.lineno
                    break
            current = current.__cause__ or current.__context__
    return {
        "section": section,
        "type": type(exc).__name__,
        "message": str(exc) or type(exc).__name__,
        "file": file,
        "line": line,
        "column": column,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return repr(value)


if __name__ == "__main__":
    sys.exit(main())
