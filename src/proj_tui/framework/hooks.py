"""Hook specifications and the hook manager, on pluggy.

pluggy is the plugin system pytest and Kedro use: it validates implementations against these specs at
registration, calls them in a defined order, and lets plugins register through an entry-point group
(``proj_tui.hooks``). The names and arguments follow Kedro's, so plugins read naturally to Kedro users.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from proj_tui.io import DataCatalog
    from proj_tui.pipeline import Node, Pipeline

HOOK_NAMESPACE = "proj_tui"
ENTRY_POINT_GROUP = "proj_tui.hooks"

hook_spec = pluggy.HookspecMarker(HOOK_NAMESPACE)
hook_impl = pluggy.HookimplMarker(HOOK_NAMESPACE)


class ContextSpecs:
    @hook_spec
    def after_context_created(self, context: Any) -> None:
        """Called once the project context exists, before its catalog is built."""


class CatalogSpecs:
    @hook_spec
    def after_catalog_created(
        self,
        catalog: DataCatalog,
        conf_catalog: dict[str, Any],
        conf_creds: dict[str, Any],
        parameters: dict[str, Any],
        save_version: str | None,
        load_versions: dict[str, str] | None,
    ) -> None:
        """Called when the catalog is built; ``conf_creds`` must never be persisted by a plugin."""


class PipelineSpecs:
    @hook_spec
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Called before a run; ``run_params`` holds the session id, env, filters and runner."""

    @hook_spec
    def after_pipeline_run(
        self,
        run_params: dict[str, Any],
        run_result: dict[str, Any],
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        """Called after a successful run."""

    @hook_spec
    def on_pipeline_error(
        self,
        error: BaseException,
        run_params: dict[str, Any],
        pipeline: Pipeline,
        catalog: DataCatalog,
    ) -> None:
        """Called when a run fails or is cancelled."""


class NodeSpecs:
    @hook_spec
    def before_node_run(
        self,
        node: Node,
        catalog: DataCatalog,
        inputs: dict[str, Any],
        is_async: bool,
        session_id: str | None,
    ) -> dict[str, Any] | None:
        """Called before a node runs; a returned dict replaces the named inputs."""

    @hook_spec
    def after_node_run(
        self,
        node: Node,
        catalog: DataCatalog,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        is_async: bool,
        session_id: str | None,
    ) -> None:
        """Called after a node ran successfully."""

    @hook_spec
    def on_node_error(
        self,
        error: BaseException,
        node: Node,
        catalog: DataCatalog,
        inputs: dict[str, Any],
        is_async: bool,
        session_id: str | None,
    ) -> None:
        """Called when a node raises."""


class DatasetSpecs:
    @hook_spec
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Called before a dataset is loaded for a node."""

    @hook_spec
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called after a dataset was loaded for a node."""

    @hook_spec
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called before a node's output is saved."""

    @hook_spec
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Called after a node's output was saved."""


_SPECS = (ContextSpecs, CatalogSpecs, PipelineSpecs, NodeSpecs, DatasetSpecs)


def new_hook_manager() -> pluggy.PluginManager:
    """Return a manager that knows every spec and no implementations yet."""
    manager = pluggy.PluginManager(HOOK_NAMESPACE)
    for spec in _SPECS:
        manager.add_hookspecs(spec)
    return manager


def register_hooks(
    manager: pluggy.PluginManager,
    hooks: Iterable[object],
    *,
    load_plugins: bool = True,
    disabled_plugins: Iterable[str] = (),
) -> None:
    """Register the project's hooks, then plugins from the entry-point group unless disabled."""
    for hook in hooks:
        if not manager.is_registered(hook):
            manager.register(hook)
    if load_plugins and _declared(ENTRY_POINT_GROUP):
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for name in disabled_plugins:
            plugin = manager.get_plugin(name)
            if plugin is not None:
                manager.unregister(plugin)


def _declared(group: str) -> bool:
    """Whether an installed distribution may declare entry points of ``group``.

    pluggy's search imports ``importlib.metadata`` and reads the metadata of every installed
    distribution, ~25 ms of every ``proj-tui run`` in an environment with a hundred packages,
    nearly always to find nothing. This looks where ``importlib.metadata`` looks (the
    ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path``) for the group's section in an
    ``entry_points.txt``, and says yes whenever it cannot tell (a zip on the path, a finder
    of its own that lists distributions), so the full search never misses a plugin.
    """
    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return True
    header = f"[{group}]"
    for entry in sys.path:
        folder = entry or "."
        try:
            with os.scandir(folder) as listing:
                names = [e.name for e in listing]
        except NotADirectoryError:
            return True  # a zip file: let importlib.metadata read it
        except OSError:
            continue  # missing or unreadable: importlib.metadata finds nothing there either
        for name in names:
            lowered = name.lower()
            if lowered.endswith(".egg") or name == "EGG-INFO":
                return True  # an egg: importlib.metadata reads it its own way
            if not lowered.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(
                    os.path.join(folder, name, "entry_points.txt"), encoding="utf-8"
                ) as handle:
                    if any(line.strip() == header for line in handle):
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False
