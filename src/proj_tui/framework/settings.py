"""Project settings, read from the project's ``settings.py`` (Kedro's names, so projects port easily).

Kedro ignores upper-case names it does not know (``CONFIG_LOADER_CLASS``, a project's own constant), so
this module warns about them instead of failing; a known setting of the wrong kind is still an error,
and so is a value that would only fail later with a bare traceback (loader or store arguments nothing
accepts, a store class that is not a class, a hook entry with no hooks).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.errors import Location, ProjTuiError, did_you_mean
from proj_tui.framework.hooks import HOOK_NAMESPACE
from proj_tui.framework.startup import import_project_module

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionStore

logger = logging.getLogger(__name__)

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
# Kedro settings that have no meaning here; named in the warning so a ported project knows why.
_KEDRO_ONLY = ("CONFIG_LOADER_CLASS", "DATA_CATALOG_CLASS", "CONTEXT_CLASS", "DATASET_VALIDATION")
# What the session store methods every store must have (see store/protocol.py).
_STORE_METHODS = ("create_session", "update_session", "finish_session", "get_session", "close")


class SettingsError(ProjTuiError, ValueError):
    """``settings.py`` gives a setting a value of the wrong kind, or cannot be imported."""


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

    def _location(self) -> Location | None:
        return Location(self.source) if self.source else None

    def store_class(self) -> type:
        """Resolve ``SESSION_STORE_CLASS`` (a class or a dotted path) and check it is a store."""
        value = self.SESSION_STORE_CLASS
        if isinstance(value, type):
            cls: Any = value
        else:
            module_name, _, attr = str(value).rpartition(".")
            try:
                cls = getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError, ValueError):
                raise SettingsError(
                    f"SESSION_STORE_CLASS '{value}' cannot be imported. Give a class or a dotted "
                    "path such as 'proj_tui.framework.store.SQLiteSessionStore'.",
                    location=self._location(),
                ) from None
        missing = [m for m in _STORE_METHODS if not callable(getattr(cls, m, None))]
        if not isinstance(cls, type) or missing:
            what = f"the {type(cls).__name__} {value!r}" if not isinstance(cls, type) else repr(cls)
            lacks = f" (it has no {', '.join(missing)})" if isinstance(cls, type) else ""
            raise SettingsError(
                f"SESSION_STORE_CLASS is {what}, which is not a session store class{lacks}. "
                "Give a class that follows proj_tui.framework.store.SessionStore, such as "
                "'proj_tui.framework.store.SQLiteSessionStore'.",
                location=self._location(),
            )
        return cls

    def open_store(self, project_path: Path) -> SessionStore:
        """The project's session store, built from ``SESSION_STORE_CLASS`` and ``_ARGS``.

        A relative ``path`` argument is taken from the project folder, not the current directory,
        so ``{'path': 'history/sessions.db'}`` means the same wherever the command runs.
        """
        cls = self.store_class()
        args = dict(self.SESSION_STORE_ARGS)
        if isinstance(args.get("path"), (str, Path)) and str(args["path"]) != ":memory:":
            path = Path(args["path"]).expanduser()
            args["path"] = path if path.is_absolute() else Path(project_path) / path
        factory = cls.for_project if hasattr(cls, "for_project") and "path" not in args else cls
        # for_project(project_path, **kwargs) passes kwargs on: check them against the class,
        # whose first argument (the path) for_project fills in.
        self._check_args("SESSION_STORE_ARGS", cls, args, skip=1 if factory is not cls else 0)
        store: SessionStore = (
            factory(project_path, **args) if factory is not cls else factory(**args)
        )
        return store

    def _check_args(self, setting: str, target: Any, args: dict[str, Any], skip: int = 0) -> None:
        """Refuse arguments ``target`` does not take, naming them (and a near miss)."""
        try:
            params = list(inspect.signature(target).parameters.values())[skip:]
        except (TypeError, ValueError):
            return
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return
        accepted = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        unknown = [name for name in args if name not in accepted]
        if unknown:
            hints = "".join(did_you_mean(name, accepted) for name in unknown)
            raise SettingsError(
                f"{setting} in {self.source or 'settings.py'} has "
                f"{'an argument' if len(unknown) == 1 else 'arguments'} "
                f"{', '.join(repr(n) for n in unknown)} that {getattr(target, '__qualname__', target)} "
                f"does not take.{hints} It takes: {', '.join(accepted) or 'nothing'}.",
                location=self._location(),
            )


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


def _import_settings(package_name: str) -> Any:
    try:
        return import_project_module(package_name, "settings")
    except SystemExit as exc:  # sys.exit() in settings.py must not end a run as a success
        raise SettingsError(
            f"settings.py of {package_name} called sys.exit({exc.code!r}) while being imported, so no "
            "settings could be read. Remove the exit from settings.py."
        ) from None


def load_settings(package_name: str) -> Settings:
    """Read ``<package>.settings``; a project without one gets the defaults."""
    module = _import_settings(package_name)
    if module is None:
        return Settings()
    source = Path(module.__file__) if getattr(module, "__file__", None) else None
    location = Location(source) if source else None
    known = [f.name for f in fields(Settings) if f.name.isupper()]
    values: dict[str, Any] = {}
    for name in dir(module):
        if not name.isupper() or name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, type(importlib)):  # a module imported under an upper-case name
            continue
        if name not in known:
            _warn_unknown(name, value, source or f"{package_name}.settings", known)
            continue
        expected = _TYPES.get(name)
        if expected and not isinstance(value, expected):
            kinds = " or ".join(t.__name__ for t in expected)
            raise SettingsError(
                f"{name} in {source} must be a {kinds}, not {type(value).__name__}.",
                location=location,
            )
        if isinstance(value, list):
            value = tuple(value)
        if name == "CONF_SOURCE":
            value = str(value)
        values[name] = value
    settings = Settings(**values, source=source)
    _check_hooks(settings)
    _check_loader_args(settings)
    return settings


def _warn_unknown(name: str, value: Any, where: Any, known: list[str]) -> None:
    """Kedro ignores names it does not know; say so once, with a hint for a likely typo."""
    if callable(value) and not name.endswith(("_CLASS", "_ARGS")):
        return  # an upper-case helper class or function, clearly not a setting
    if name in _KEDRO_ONLY:
        logger.info(
            "%s sets %s, a Kedro setting proj-tui does not use; it is ignored.", where, name
        )
        return
    logger.warning(
        "%s sets '%s', which is not a proj-tui setting, so it is ignored.%s",
        where,
        name,
        did_you_mean(name, known),
    )


def _has_hooks(entry: Any) -> bool:
    marker = f"{HOOK_NAMESPACE}_impl"
    for attr in dir(entry):
        if attr.startswith("__"):
            continue
        try:
            member = getattr(entry, attr)
        except Exception:  # a property that fails is not a hook
            continue
        if callable(member) and hasattr(member, marker):
            return True
    return False


def _check_hooks(settings: Settings) -> None:
    """Each HOOKS entry must be an instance with at least one ``@hook_impl`` method."""
    for index, entry in enumerate(settings.HOOKS):
        label = f"HOOKS[{index}] in {settings.source or 'settings.py'}"
        if isinstance(entry, type):
            raise SettingsError(
                f"{label} is the class {entry.__name__}, not an instance; write "
                f"{entry.__name__}() so its hooks are registered.",
                location=settings._location(),
            )
        if isinstance(entry, str) or entry is None or not _has_hooks(entry):
            raise SettingsError(
                f"{label} is {entry!r}, which implements no hooks, so it would do nothing. List "
                "instances of classes whose methods carry @hook_impl "
                "(from proj_tui.framework.hooks import hook_impl).",
                location=settings._location(),
            )


def _check_loader_args(settings: Settings) -> None:
    from proj_tui.config import ConfigLoader

    args = settings.CONFIG_LOADER_ARGS
    # conf_source, env and runtime_params come from the session, never from settings
    settings._check_args("CONFIG_LOADER_ARGS", ConfigLoader, args, skip=3)
