"""``ConfigLoader``: Kedro-style config per environment, as a read-only mapping.

``loader["parameters"]`` reads ``conf/base`` then the run env (``local`` by default), merges them
(deeply for parameters and globals, per top-level key otherwise), lays runtime parameters over
parameters, and resolves interpolation. Every call re-reads the folders, but parsed files come
from a cache keyed by mtime and size, so the app can reload on every save.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from proj_tui.config.discovery import DEFAULT_CONFIG_PATTERNS, find_config_files
from proj_tui.config.errors import (
    ConfigError,
    MissingConfigError,
    UnknownEnvError,
    _UnknownKeyError,
)
from proj_tui.config.interpolation import Interpolator, KeyPath
from proj_tui.config.merge import RUNTIME_ENV, deep_merge, nest_dotted
from proj_tui.config.yaml_io import find_key_location, load_config_file
from proj_tui.errors import Location, did_you_mean

if TYPE_CHECKING:
    from proj_tui.config.provenance import Provenance

__all__ = ["ConfigLoader"]

_STRATEGIES = ("soft", "destructive")


class _Layer(NamedTuple):
    env: str
    path: Path | None  # None for runtime parameters
    data: Mapping[str, Any]


def _nest_all(params: Mapping[str, Any]) -> dict[str, Any]:
    """Runtime params may come flat (``{"model.lr": 1}``) from Python callers; nest them."""
    return {
        k: _nest_all(v) if isinstance(v, Mapping) else copy.deepcopy(v)
        for k, v in nest_dotted(params).items()
    }


def _has_path(data: Any, path: KeyPath) -> bool:
    node = data
    for part in path:
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
            elif str(part) in node:
                node = node[str(part)]
            else:
                return False
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


class _KeyOwners:
    """Which file of one env set each key, to refuse a key set by two files.

    For most config a key is a top-level key (a catalog entry). For parameters it is a leaf:
    ``model: {lr: 1}`` and ``model: {layers: 2}`` in two files merge, as in Kedro; only the same
    leaf in both (or a value in one where the other has a mapping) clashes. Keys starting with
    ``_`` are private helpers and may repeat.
    """

    def __init__(self, *, leaves: bool) -> None:
        self.leaves = leaves
        self.owner: dict[tuple[Any, ...], Path] = {}  # key path -> file
        self.inner: dict[tuple[Any, ...], Path] = {}  # mapping paths (parameters only)

    def _paths(self, data: Mapping[Any, Any]) -> Iterator[tuple[tuple[Any, ...], bool]]:
        """(key path, is_leaf) for every key that counts, parents before children."""
        stack: list[tuple[tuple[Any, ...], Any]] = [
            ((k,), v) for k, v in reversed(list(data.items()))
        ]
        while stack:
            path, value = stack.pop()
            if str(path[0]).startswith("_"):
                continue
            if self.leaves and isinstance(value, Mapping) and value:
                yield path, False
                stack.extend(((*path, k), v) for k, v in reversed(list(value.items())))
            else:
                yield path, True

    def add(self, env: str, path: Path, data: Mapping[Any, Any]) -> None:
        clashes: dict[Path, list[tuple[Any, ...]]] = {}
        for keys, leaf in self._paths(data):
            other = self.owner.get(keys) if leaf else None
            if other is None and leaf:
                other = self.inner.get(keys)
            if other is None and not leaf:
                other = self.owner.get(keys)
            if other is not None and other != path:
                clashes.setdefault(other, []).append(keys)
        if clashes:
            first, clashing = next(iter(clashes.items()))
            names = ", ".join(repr(".".join(map(str, k))) for k in clashing)
            if len(names) > 200:
                names = names[:200] + "..."
            what = "key" if len(clashing) == 1 else "keys"
            raise ConfigError(
                f"The {what} {names} {'is' if len(clashing) == 1 else 'are'} defined in both "
                f"{first} and {path} (environment '{env}'). A key may be set by only one file "
                "per environment; keep one, or override it from another environment.",
                location=find_key_location(path, clashing[0]),
            )
        for keys, leaf in self._paths(data):
            (self.owner if leaf else self.inner).setdefault(keys, path)


_REFERENCE = re.compile(r"\$\{(?:(?P<resolver>[A-Za-z_][\w.\-]*):)?(?P<key>[^,}]+)(?:,[^}]*)?\}")
"""A ``${resolver:key,default}`` in a raw value (the grammar is interpolation.py's; this only
needs to find what a value refers to, for blame)."""


class ConfigLoader(MutableMapping[str, dict[str, Any]]):
    """Config of one project for one run env; ``loader[key]`` is a fresh, resolved dict.

    Beyond Kedro's ``OmegaConfigLoader`` it can say which files fed a key (``files``) and where
    each value came from (``provenance``). ``merge_strategy`` and ``custom_resolvers`` take the
    same shapes as Kedro's ``CONFIG_LOADER_ARGS`` so those settings carry over. As in Kedro,
    ``loader["spark"] = {...}`` sets a key outright: files are no longer read for it, and a set
    ``globals`` is what ``${globals:...}`` sees. An empty (or None) ``base_env`` reads the files
    directly in ``conf_source``.
    """

    def __init__(
        self,
        conf_source: str | Path,
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        base_env: str | None = "base",
        default_run_env: str | None = "local",
        config_patterns: Mapping[str, list[str]] | None = None,
        env_var: str = "PROJ_TUI_ENV",
        *,
        merge_strategy: Mapping[str, str] | None = None,
        custom_resolvers: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.conf_source = Path(conf_source)
        self.base_env = base_env or ""
        self.default_run_env = default_run_env or ""
        self._set: dict[str, dict[str, Any]] = {}  # keys assigned with loader[key] = value
        self.env_var = env_var
        self.config_patterns: dict[str, list[str]] = {
            k: list(v) for k, v in DEFAULT_CONFIG_PATTERNS.items()
        }
        for key, patterns in (config_patterns or {}).items():
            self.config_patterns[key] = list(patterns)
        self.runtime_params: dict[str, Any] = _nest_all(runtime_params or {})
        self.merge_strategy: dict[str, str] = {"parameters": "soft", "globals": "soft"}
        for key, strategy in (merge_strategy or {}).items():
            if strategy not in _STRATEGIES:
                raise ConfigError(
                    f"The merge strategy {strategy!r} for '{key}' is not known; use 'soft' "
                    "(merge nested keys) or 'destructive' (replace each top-level key)."
                )
            self.merge_strategy[key] = strategy
        self.custom_resolvers: dict[str, Callable[..., Any]] = dict(custom_resolvers or {})

        from_env_var = os.environ.get(env_var) or None
        self._env_requested_by: str | None
        if env:
            self.env = env
            self._env_requested_by = "asked for"
        elif from_env_var:
            self.env = from_env_var
            self._env_requested_by = f"set in ${env_var}"
        else:
            self.env = self.default_run_env
            self._env_requested_by = None

    def __repr__(self) -> str:
        return f"ConfigLoader(conf_source={str(self.conf_source)!r}, env={self.env!r})"

    # ------------------------------------------------------------------ Mapping

    def __getitem__(self, key: str) -> dict[str, Any]:
        """The merged, resolved config for ``key``; ``{}`` when no file matches its patterns."""
        if key in self._set:
            return copy.deepcopy(self._set[key])
        layers = self._layers(key)
        return self._resolve(key, layers)[0]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        """Set ``key`` outright (Kedro's ``conf_loader["spark"] = {...}``); files are skipped."""
        self._set[key] = copy.deepcopy(dict(value))

    def __delitem__(self, key: str) -> None:
        """Forget a set value, so ``key`` is read from its files again."""
        del self._set[key]

    def __iter__(self) -> Iterator[str]:
        return iter(
            [*self.config_patterns, *(k for k in self._set if k not in self.config_patterns)]
        )

    def __len__(self) -> int:
        return len(set(self.config_patterns) | set(self._set))

    def __contains__(self, key: object) -> bool:
        return key in self.config_patterns or key in self._set

    # ------------------------------------------------------------------ extras

    def check(self) -> None:
        """Raise now if the config folder, its base or an asked-for env is missing.

        Reading a key checks the same; a session calls this first so a bad env fails before
        anything is recorded.
        """
        self._env_dirs()

    def envs(self) -> list[str]:
        """Environment folders under ``conf_source`` (hidden folders skipped), sorted."""
        try:
            entries = list(os.scandir(self.conf_source))
        except OSError:
            return []
        return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))

    def files(self, key: str) -> list[Path]:
        """The files that fed ``loader[key]``, in merge order (base first, each env sorted)."""
        return [layer.path for layer in self._layers(key) if layer.path is not None]

    def provenance(self, key: str) -> dict[str, Provenance]:
        """For each dotted leaf of ``loader[key]``: its value, env, file and what it overrode."""
        # deferred: a run reads config and never asks where a value came from (two dataclasses)
        from proj_tui.config.provenance import trace_provenance

        layers = self._layers(key)
        resolved, interpolator = self._resolve(key, layers)

        def resolve(dotted: str, raw: Any) -> Any:
            try:
                return interpolator.resolve_value(raw, tuple(dotted.split(".")))
            except ConfigError:
                return copy.deepcopy(raw)

        traced = trace_provenance(
            [(layer.env, layer.path, layer.data) for layer in layers],
            resolved,
            deep_envs=lambda env: env == RUNTIME_ENV or self._deep(key),
            resolve=resolve,
        )
        if any(p.interpolation for p in traced.values()):
            self._add_references(key, traced)
        return traced

    def _add_references(self, key: str, traced: dict[str, Provenance]) -> None:
        """Each interpolated leaf: where the values it refers to are set (blame and compare
        show those, not only the file the ``${...}`` is written in)."""
        from proj_tui.config.provenance import Reference

        globals_ = self.provenance("globals") if key != "globals" else traced
        for prov in traced.values():
            if not prov.interpolation:
                continue
            for match in _REFERENCE.finditer(prov.interpolation):
                resolver, dotted = match.group("resolver"), match.group("key").strip()
                if resolver == "globals":
                    source = globals_.get(dotted)
                elif resolver == "runtime_params":
                    wanted: Any = self.runtime_params
                    for part in dotted.split("."):
                        wanted = wanted.get(part) if isinstance(wanted, dict) else None
                    env = RUNTIME_ENV if wanted is not None else None
                    prov.references.append(Reference(match.group(0), env, None))
                    continue
                elif resolver is None:
                    source = traced.get(dotted)
                else:
                    continue  # oc.env and friends: not a config file
                if source is None:  # unset: the default in the text applies
                    prov.references.append(Reference(match.group(0), None, None))
                else:
                    prov.references.append(Reference(match.group(0), source.env, source.path))

    # ------------------------------------------------------------------ internals

    def _deep(self, key: str) -> bool:
        return self.merge_strategy.get(key, "destructive") == "soft"

    def _patterns(self, key: str) -> list[str]:
        patterns = self.config_patterns.get(key)
        if patterns is None:
            known = sorted(self.config_patterns)
            raise _UnknownKeyError(
                f"There are no config patterns for '{key}'.{did_you_mean(key, known)} Known keys: "
                f"{', '.join(known)}. Add it with config_patterns={{'{key}': ['{key}*']}}."
            )
        return patterns

    def _env_dirs(self) -> list[tuple[str, Path]]:
        if not self.conf_source.is_dir():
            raise MissingConfigError(
                f"The config folder {self.conf_source} does not exist. Create it with a "
                f"'{self.base_env}' folder inside, or point conf_source at the right folder."
            )
        base = self.conf_source / self.base_env if self.base_env else self.conf_source
        if not base.is_dir():
            raise MissingConfigError(
                f"The base config folder {base} does not exist. Create it; every run reads its "
                "config from there first.",
                location=Location(base),
            )
        dirs = [(self.base_env, base)]
        if self.env and self.env != self.base_env and (self.conf_source / self.env) != base:
            run_dir = self.conf_source / self.env
            if run_dir.is_dir():
                dirs.append((self.env, run_dir))
            elif self._env_requested_by is not None and self.env != self.default_run_env:
                # the default env may be absent whoever names it: a rerun passes the
                # recorded '--env local' for a first run that had no local folder
                known = [e for e in self.envs() if e != self.base_env]  # base is always layered
                raise UnknownEnvError(
                    f"The environment '{self.env}' ({self._env_requested_by}) has no folder "
                    f"{run_dir}.{did_you_mean(self.env, known)} Known environments: "
                    f"{', '.join(known) or 'none'}. Create the folder or pick a known one.",
                    env=self.env,
                    known=known,
                    location=Location(run_dir),
                )
        return dirs

    def _layers(self, key: str) -> list[_Layer]:
        patterns = self._patterns(key)
        layers: list[_Layer] = []
        for env, env_dir in self._env_dirs():
            owners = _KeyOwners(leaves=key == "parameters")
            for path in find_config_files(env_dir, patterns):
                data = load_config_file(path)
                owners.add(env, path, data)
                layers.append(_Layer(env, path, data))
        if key == "parameters" and self.runtime_params:
            layers.append(_Layer(RUNTIME_ENV, None, self.runtime_params))
        return layers

    def _merge(self, key: str, layers: list[_Layer]) -> dict[str, Any]:
        deep = self._deep(key)
        merged: dict[str, Any] = {}
        env_tree: dict[str, Any] = {}
        current_env: str | None = None
        for layer in [*layers, _Layer("\0end", None, {})]:  # sentinel flushes the last env
            if layer.env != current_env:
                if current_env is not None:
                    if deep or current_env == RUNTIME_ENV:
                        merged = deep_merge(merged, env_tree)
                    else:
                        merged.update(env_tree)
                env_tree, current_env = {}, layer.env
            env_tree = deep_merge(env_tree, layer.data)
        return merged

    def _locate(self, key: str, layers: list[_Layer], path: KeyPath) -> tuple[str, Location | None]:
        for layer in reversed(layers):
            if _has_path(layer.data, path):
                if layer.path is None:
                    return "the runtime parameters (--params)", None
                return str(layer.path), find_key_location(layer.path, path)
        return f"the merged {key} config", None

    def _globals(self) -> dict[str, Any]:
        return self["globals"] if "globals" in self.config_patterns else {}

    def _resolve(self, key: str, layers: list[_Layer]) -> tuple[dict[str, Any], Interpolator]:
        is_globals = key == "globals"
        interpolator = Interpolator(
            root=self._merge(key, layers),
            config_key=key,
            locate=lambda path: self._locate(key, layers, path),
            globals_=None if is_globals else self._globals,
            runtime_params=None if is_globals else self.runtime_params,
            allow_env=key == "credentials",
            custom_resolvers=self.custom_resolvers,
        )
        resolved = interpolator.resolve()
        if key != "parameters":
            # Kedro drops "_private" top-level keys (used only for interpolation) except in
            # parameters.
            resolved = {k: v for k, v in resolved.items() if not str(k).startswith("_")}
        return resolved, interpolator
