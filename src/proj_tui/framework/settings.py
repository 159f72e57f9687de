"""Project settings, read from the project's ``settings.py`` (Kedro's names, so projects port easily)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from proj_tui.errors import Location, ProjTuiError, did_you_mean
from proj_tui.framework.startup import import_project_module

DEFAULT_ENV_VARS_ALLOWLIST: tuple[str, ...] = (
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "TZ",
    "LANG",
    "VIRTUAL_ENV",
    "CONDA_DEFAULT_ENV",
)


class SettingsError(ProjTuiError):
    """``settings.py`` names an unknown setting or gives one a value of the wrong kind."""


@dataclass(frozen=True)
class Settings:
    """Every setting a project may define in ``settings.py``, with its default."""

    CONF_SOURCE: str = "conf"
    CONFIG_LOADER_ARGS: dict[str, Any] = field(default_factory=dict)
    HOOKS: tuple[Any, ...] = ()
    DISABLE_HOOKS_FOR_PLUGINS: tuple[str, ...] = ()
    SESSION_STORE_CLASS: Any = "proj_tui.framework.store.SQLiteSessionStore"
    SESSION_STORE_ARGS: dict[str, Any] = field(default_factory=dict)
    ENV_VARS_PREFIX: str = "PROJ_TUI_"
    ENV_VARS_ALLOWLIST: tuple[str, ...] = DEFAULT_ENV_VARS_ALLOWLIST
    DEFAULT_RUNNER: str = "sequential"
    source: Path | None = None

    def store_class(self) -> type:
        """Resolve ``SESSION_STORE_CLASS``, which may be a class or a dotted path."""
        value = self.SESSION_STORE_CLASS
        if isinstance(value, type):
            return value
        module_name, _, attr = str(value).rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError):
            raise SettingsError(
                f"SESSION_STORE_CLASS '{value}' cannot be imported. Give a class or a dotted "
                "path such as 'proj_tui.framework.store.SQLiteSessionStore'.",
                location=Location(self.source) if self.source else None,
            ) from None


_TYPES: dict[str, tuple[type, ...]] = {
    "CONF_SOURCE": (str, Path),
    "CONFIG_LOADER_ARGS": (dict,),
    "HOOKS": (tuple, list),
    "DISABLE_HOOKS_FOR_PLUGINS": (tuple, list),
    "SESSION_STORE_ARGS": (dict,),
    "ENV_VARS_PREFIX": (str,),
    "ENV_VARS_ALLOWLIST": (tuple, list),
    "DEFAULT_RUNNER": (str,),
}


def load_settings(package_name: str) -> Settings:
    """Read ``<package>.settings``; a project without one gets the defaults."""
    module = import_project_module(package_name, "settings")
    if module is None:
        return Settings()
    source = Path(module.__file__) if getattr(module, "__file__", None) else None
    known = [f.name for f in fields(Settings) if f.name.isupper()]
    values: dict[str, Any] = {}
    for name in dir(module):
        if not name.isupper() or name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, type(importlib)):  # a module imported under an upper-case name
            continue
        if name not in known:
            if _is_private_constant(name, value):
                continue
            raise SettingsError(
                f"{source or package_name + '.settings'} sets unknown setting '{name}'."
                f"{did_you_mean(name, known)} Known settings: {', '.join(known)}.",
                location=Location(source) if source else None,
            )
        expected = _TYPES.get(name)
        if expected and not isinstance(value, expected):
            kinds = " or ".join(t.__name__ for t in expected)
            raise SettingsError(
                f"{name} in {source} must be a {kinds}, not {type(value).__name__}.",
                location=Location(source) if source else None,
            )
        if isinstance(value, list):
            value = tuple(value)
        if name == "CONF_SOURCE":
            value = str(value)
        values[name] = value
    return Settings(**values, source=source)


def _is_private_constant(name: str, value: Any) -> bool:
    """Upper-case helpers that are clearly not settings (classes, functions) are allowed."""
    return callable(value) and not name.endswith(("_CLASS", "_ARGS"))
