"""The native kind of project: ``[tool.proj_tui]`` in ``pyproject.toml``, run by our own engine.

``Project`` asks its kind for everything that depends on how the project is described and run:
its metadata, its settings, its config loader, its pipelines. This module answers for the
projects ``proj-tui new`` makes; a Kedro project (``[tool.kedro]``, run by Kedro itself) gets a
kind of its own beside it, and nothing outside ``Project`` notices the difference.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from proj_tui.framework.startup import (
    TOOL_TABLE,
    ProjectMetadata,
    bootstrap_project,
    load_pipelines,
    read_metadata,
)

if TYPE_CHECKING:
    from proj_tui.config import ConfigLoader
    from proj_tui.framework.settings import Settings
    from proj_tui.pipeline import Pipeline

_DEFAULT_CONF_SOURCE = "conf"


class NativeKind:
    """How a native project is read, configured and loaded (see ``Project``)."""

    name: Literal["native"] = "native"
    table = TOOL_TABLE

    def read_metadata(self, path: Path) -> ProjectMetadata:
        return read_metadata(path)

    def bootstrap(self, path: Path) -> ProjectMetadata:
        return bootstrap_project(path)

    def load_settings(self, metadata: ProjectMetadata) -> Settings:
        from proj_tui.framework.settings import load_settings

        return load_settings(metadata.package_name)

    def settings_file(self, metadata: ProjectMetadata) -> Path:
        return metadata.source_dir / metadata.package_name / "settings.py"

    def static_conf_source(self, metadata: ProjectMetadata) -> str:
        """``CONF_SOURCE`` as ``settings.py`` assigns it, read without importing the file."""
        return static_conf_source(self.settings_file(metadata))

    def config_loader(
        self,
        metadata: ProjectMetadata,
        conf_source: Path,
        settings: Settings,
        env: str | None,
        runtime_params: Mapping[str, Any] | None,
    ) -> ConfigLoader:
        from proj_tui.config import ConfigLoader

        return ConfigLoader(
            conf_source,
            env=env,
            runtime_params=dict(runtime_params or {}),
            **settings.CONFIG_LOADER_ARGS,
        )

    def pipelines(
        self, metadata: ProjectMetadata, *, refresh: bool = False, reimport: bool = False
    ) -> dict[str, Pipeline]:
        if reimport:
            _forget_modules(metadata.package_name)
        return load_pipelines(metadata.package_name, refresh=refresh or reimport)


def static_conf_source(settings_py: Path) -> str:
    """``CONF_SOURCE`` read from ``settings.py`` without importing it (default ``conf``).

    A watcher must not run user code; a literal assignment is what every project has.
    """
    import ast

    try:
        tree = ast.parse(settings_py.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return _DEFAULT_CONF_SOURCE
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        value = getattr(node, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "CONF_SOURCE" and value is not None:
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    return _DEFAULT_CONF_SOURCE
                return str(literal) if isinstance(literal, str) else _DEFAULT_CONF_SOURCE
    return _DEFAULT_CONF_SOURCE


def _forget_modules(package_name: str) -> None:
    """Drop the project's modules so the next import reads the files as they are now."""
    for name in [m for m in sys.modules if m == package_name or m.startswith(package_name + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
