"""The project handle: metadata + settings, and the one path from them to every object built on them.

A ``Project`` is the only place that builds a config loader, opens the session store, lists the
config envs, loads pipelines and knows which paths to watch; sessions, the CLI, staleness and the
app ask it instead of reading settings themselves (Kedro's ``_get_config_loader`` / ``_init_store``
habit: one function per object).

A project has a **kind**: ``native`` (``[tool.proj_tui]``, our engine: ``native.NativeKind``) or
``kedro`` (``[tool.kedro]``, described and run by Kedro itself in the project's interpreter:
``kedro_kind.KedroKind``). What differs by kind is behind ``Project._kind`` and nowhere else.

Two ways in, by how much of the project they may touch:
- ``Project.load(path)`` puts the source dir on ``sys.path`` (sessions, the CLI, the app's
  background loader);
- ``Project.read(path)`` parses ``pyproject.toml`` only (watchers: ``run --watch``, the app's
  file watcher, the store readers), and becomes importable only when asked for code.
Either way ``settings.py`` is imported on first use of ``settings`` and pipelines on first use of
``pipelines``; ``watch_paths`` never import anything (they read ``CONF_SOURCE`` statically when
the settings were not imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from proj_tui.framework.native import NativeKind
from proj_tui.framework.startup import (
    KEDRO_TABLE,
    ProjectError,
    ProjectMetadata,
    bootstrapped,
    find_project_root,
    project_tables,
    read_pyproject,
)

if TYPE_CHECKING:
    from proj_tui.config import ConfigLoader
    from proj_tui.framework.settings import Settings
    from proj_tui.framework.store import SessionStore, SQLiteSessionStore, StoreError
    from proj_tui.pipeline import Pipeline

ProjectKindName = Literal["native", "kedro"]


class ProjectKind(Protocol):
    """What a kind of project answers: ``NativeKind`` and ``KedroKind``."""

    @property
    def name(self) -> ProjectKindName: ...

    def read_metadata(self, path: Path) -> ProjectMetadata: ...

    def bootstrap(self, path: Path) -> ProjectMetadata: ...

    def load_settings(self, metadata: ProjectMetadata) -> Settings: ...

    def settings_file(self, metadata: ProjectMetadata) -> Path: ...

    def static_conf_source(self, metadata: ProjectMetadata) -> str: ...

    def config_loader(
        self,
        metadata: ProjectMetadata,
        conf_source: Path,
        settings: Settings,
        env: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> ConfigLoader: ...

    def pipelines(
        self, metadata: ProjectMetadata, *, refresh: bool = False, reimport: bool = False
    ) -> dict[str, Pipeline]: ...


_NATIVE = NativeKind()


def _kind_of(path: Path) -> ProjectKind:
    """The kind of the project at ``path``: ``[tool.proj_tui]`` wins, else ``[tool.kedro]``.

    Neither (or an unreadable ``pyproject.toml``): native, whose ``read_metadata`` says precisely
    what is wrong.
    """
    try:
        _, _, data = read_pyproject(path)
    except ProjectError:
        return _NATIVE
    if project_tables(data) == [KEDRO_TABLE]:
        from proj_tui.framework.kedro_kind import KedroKind

        return KedroKind()
    return _NATIVE


class Project:
    """One project: its metadata, its settings and what is built from them (see the module doc)."""

    def __init__(
        self,
        metadata: ProjectMetadata,
        *,
        kind: ProjectKind = _NATIVE,
        conf_source: Path | str | None = None,
        importable: bool = False,
    ) -> None:
        self.metadata = metadata
        self._kind = kind
        self._settings: Settings | None = None
        self._conf_source = _absolute(conf_source) if conf_source else None
        self._importable = importable

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r}, kind={self.kind!r})"

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, *, conf_source: Path | str | None = None) -> Project:
        """The project at ``path``, its source dir first on ``sys.path``."""
        root = Path(path).expanduser()
        kind = _kind_of(root)
        return cls(kind.bootstrap(root), kind=kind, conf_source=conf_source, importable=True)

    @classmethod
    def read(cls, path: Path | str, *, conf_source: Path | str | None = None) -> Project:
        """The project at ``path`` from ``pyproject.toml`` alone: no user code, no ``sys.path``."""
        root = Path(path).expanduser()
        kind = _kind_of(root)
        return cls(kind.read_metadata(root), kind=kind, conf_source=conf_source)

    @classmethod
    def discover(
        cls, given: Path | str | None = None, *, conf_source: Path | str | None = None
    ) -> Project:
        """The CLI's project: ``--project PATH``, else the nearest one at or above the cwd."""
        return cls.load(find_path(given), conf_source=conf_source)

    @classmethod
    def for_session(
        cls,
        package_name: str | None = None,
        project_path: Path | str | None = None,
        *,
        conf_source: Path | str | None = None,
    ) -> Project:
        """``Session.create``'s project: a path, else a bootstrapped package, else the cwd's."""
        if project_path is not None:
            project = cls.load(project_path, conf_source=conf_source)
        elif package_name is not None and (known := bootstrapped(package_name)) is not None:
            project = cls.load(known.project_path, conf_source=conf_source)
        else:
            root = find_project_root()
            if root is None:
                raise ProjectError(
                    f"No proj-tui project found at or above '{Path.cwd()}'. Pass project_path, "
                    "call bootstrap_project(path) first, or create a project with "
                    "'proj-tui new PATH'."
                )
            project = cls.load(root, conf_source=conf_source)
        if package_name is not None and package_name != project.package_name:
            raise ProjectError(
                f"Package '{package_name}' does not match the project at '{project.path}', "
                f"whose package is '{project.package_name}'."
            )
        return project

    # -- what it is -------------------------------------------------------------------------
    @property
    def kind(self) -> ProjectKindName:
        return self._kind.name

    @property
    def path(self) -> Path:
        return self.metadata.project_path

    @property
    def package_name(self) -> str:
        return self.metadata.package_name

    @property
    def project_name(self) -> str:
        return self.metadata.project_name

    @property
    def settings(self) -> Settings:
        """The project's settings, imported from ``settings.py`` on first use."""
        if self._settings is None:
            self._make_importable()
            self._settings = self._kind.load_settings(self.metadata)
        return self._settings

    @property
    def conf_source(self) -> Path:
        """The config folder: ``--conf-source`` / ``conf_source=`` if given, else settings'."""
        if self._conf_source is not None:
            return self._conf_source
        return self.path / self.settings.CONF_SOURCE

    @property
    def conf_source_overridden(self) -> bool:
        """Whether the config folder was given explicitly (then a session records it)."""
        return self._conf_source is not None

    # -- config -----------------------------------------------------------------------------
    def config_loader(
        self, env: str | None = None, runtime_params: Mapping[str, Any] | None = None
    ) -> ConfigLoader:
        """The project's config for ``env`` (None: ``$PROJ_TUI_ENV``, else the default env)."""
        _cache_config_files(self.path)
        return self._kind.config_loader(
            self.metadata, self.conf_source, self.settings, env, runtime_params
        )

    @property
    def base_env(self) -> str:
        return str(self.settings.CONFIG_LOADER_ARGS.get("base_env", "base"))

    @property
    def default_env(self) -> str:
        """The env a run without ``--env`` uses (``$PROJ_TUI_ENV``, else the settings' default)."""
        return self.config_loader().env

    def envs(self) -> list[str]:
        """The envs a run may pick (folders under the conf source, not base), sorted.

        The default env is listed even without a folder: a run may use it (base alone).
        """
        loader = self.config_loader()
        envs = {e for e in loader.envs() if e != self.base_env}
        envs.add(loader.env)
        return sorted(envs)

    # -- the store --------------------------------------------------------------------------
    @property
    def store_path(self) -> Path:
        """The SQLite file every reader of the project's history opens."""
        return store_path(self.path)

    def has_store(self) -> bool:
        """Whether any session was ever recorded (the file appears with the first run)."""
        return self.store_path.exists()

    def no_store_error(self, hint: str = "Run 'proj-tui run' first.") -> StoreError:
        """What a reader says while nothing was recorded yet (``hint``: how to record)."""
        return no_store_error(self.path, hint)

    def open_store(self, *, readonly: bool = False) -> SQLiteSessionStore:
        """The project's session store file, as every reader and editor of the history opens it.

        Never imports ``settings.py``: custom stores build on this file (docs/extending.md), so
        ``sessions`` commands, staleness and the app see what any session recorded even while
        ``settings.py`` is broken. ``readonly=True`` requires that a session was recorded
        (``no_store_error`` otherwise); a writable store creates the file.
        """
        return open_store(self.path, readonly=readonly)

    def recording_store(self) -> SessionStore:
        """The store a session records into: ``SESSION_STORE_CLASS`` from ``SESSION_STORE_ARGS``.

        The default is the same file ``open_store`` opens.
        """
        return self.settings.open_store(self.path)  # checks the class and its args first

    # -- pipelines --------------------------------------------------------------------------
    def pipelines(self, *, refresh: bool = False, reimport: bool = False) -> dict[str, Pipeline]:
        """The registered pipelines; ``reimport`` reads the project's code from disk again."""
        self._make_importable()
        return self._kind.pipelines(self.metadata, refresh=refresh, reimport=reimport)

    def pipeline(self, name: str | None = None, *, reimport: bool = False) -> Pipeline:
        """One registered pipeline (default ``__default__``), or an error naming the known ones."""
        # deferred: a command that only reads the store (sessions list) needs no selection rules
        from proj_tui.framework.selection import DEFAULT_PIPELINE, UnknownPipelineError

        wanted = name or DEFAULT_PIPELINE
        pipelines = self.pipelines(reimport=reimport)
        if wanted not in pipelines:
            raise UnknownPipelineError.naming(wanted, pipelines)
        return pipelines[wanted]

    def _make_importable(self) -> None:
        if not self._importable:
            self.metadata = self._kind.bootstrap(self.path)
            self._importable = True

    # -- watching ---------------------------------------------------------------------------
    def watch_paths(self) -> list[Path]:
        """The conf source, the package, ``settings.py`` (if outside it) and ``pyproject.toml``.

        Only paths that exist (watchfiles refuses others). Never imports user code: without
        imported settings the conf source is ``CONF_SOURCE`` read statically from settings.py.
        """
        metadata = self.metadata
        package_dir = metadata.source_dir / metadata.package_name
        settings_py = self._kind.settings_file(metadata)
        if self._settings is not None and self._settings.source is not None:
            settings_py = self._settings.source
        paths = [self.watched_conf_source(), package_dir]
        if not settings_py.resolve().is_relative_to(package_dir.resolve()):
            paths.append(settings_py)
        paths.append(self.path / "pyproject.toml")
        out: list[Path] = []
        for path in paths:
            if path.exists() and path not in out:
                out.append(path)
        return out

    def watched_conf_source(self) -> Path:
        """``conf_source`` without importing user code (see ``watch_paths``)."""
        if self._conf_source is not None or self._settings is not None:
            return self.conf_source
        return self.path / self._kind.static_conf_source(self.metadata)


def _cache_config_files(project_path: Path) -> None:
    """Parsed config files of this project are kept in ``.proj-tui/config-cache`` when that
    folder exists (``config.yaml_io``): a run of an unchanged project then never imports PyYAML,
    ~25 ms of its start-up. Only content that holds no secret is kept (see ``_shareable``)."""
    from proj_tui.config.yaml_io import use_disk_cache

    folder = store_path(project_path).parent
    use_disk_cache(folder / "config-cache" if folder.is_dir() else None, _shareable)


def _shareable(path: Path, data: dict[str, Any]) -> bool:
    """Whether a config file's content may be copied beside the store: not a credentials file,
    and nothing in it that ``redact`` would hide (a secret-looking key, a token, a password)."""
    from proj_tui.framework.redact import param_secrets

    if any(part.lower().startswith("credentials") for part in path.parts):
        return False
    return not param_secrets(data)


def find_path(given: Path | str | None = None) -> Path:
    """``--project PATH`` made absolute, else the nearest project at or above the cwd."""
    if given:
        return Path(given).expanduser().resolve()
    root = find_project_root()
    if root is None:
        raise ProjectError(
            f"No proj-tui project at or above '{Path.cwd()}'. Use --project PATH, cd into a "
            "project, or create one with 'proj-tui new PATH'."
        )
    return root


def store_path(project_path: Path) -> Path:
    """Where the project at ``project_path`` keeps its history (no metadata needed)."""
    from proj_tui.framework.store import default_store_path

    return default_store_path(project_path)


def no_store_error(project_path: Path, hint: str = "Run 'proj-tui run' first.") -> StoreError:
    from proj_tui.framework.store import StoreError

    return StoreError(
        f"No sessions recorded yet for the project at '{project_path}' "
        f"({store_path(project_path)} does not exist). {hint}"
    )


def open_store(project_path: Path, *, readonly: bool = False) -> SQLiteSessionStore:
    """``Project.open_store`` for a caller that knows only the folder (the app's History).

    It must keep working while ``pyproject.toml`` is being edited, so it reads no metadata.
    """
    from proj_tui.framework.store import SQLiteSessionStore

    path = store_path(project_path)
    if readonly and not path.exists():
        raise no_store_error(project_path)
    return SQLiteSessionStore(path, readonly=readonly)


def _absolute(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()
