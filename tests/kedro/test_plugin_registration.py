"""How Kedro finds the plugin: the ``kedro.hooks`` entry point, under the names Kedro uses.

Kedro registers a session's hooks as pluggy does here (``settings.HOOKS``, then the entry points
through ``load_setuptools_entrypoints``), so a plain pluggy manager with Kedro's specs shows what
each session's manager holds, without a Kedro run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kedro.framework.hooks import specs
from kedro.framework.hooks.markers import HOOK_NAMESPACE
from pluggy import PluginManager

from proj_tui.kedro.plugin import DISTRIBUTION, PLUGIN_NAME, hooks, register


def _manager() -> PluginManager:
    manager = PluginManager(HOOK_NAMESPACE)
    for spec in (
        specs.NodeSpecs,
        specs.PipelineSpecs,
        specs.DataCatalogSpecs,
        specs.DatasetSpecs,
        specs.KedroContextSpecs,
    ):
        manager.add_hookspecs(spec)
    return manager


def _ours(manager: PluginManager) -> int:
    """How many times the plugin's node hook would be called per node."""
    return sum(impl.plugin is hooks for impl in manager.hook.before_node_run.get_hookimpls())


def test_the_entry_point_names_the_plugin_and_its_distribution() -> None:
    manager = _manager()
    manager.load_setuptools_entrypoints("kedro.hooks")
    assert manager.get_plugin(PLUGIN_NAME) is hooks
    # DISABLE_HOOKS_FOR_PLUGINS is matched against this name
    assert [d.project_name for p, d in manager.list_plugin_distinfo() if p is hooks] == [
        DISTRIBUTION
    ]
    assert _ours(manager) == 1


def _register_twice(manager: PluginManager) -> None:
    register(manager)
    register(manager)


def _listed_in_settings_hooks(manager: PluginManager) -> None:
    manager.register(hooks)  # what Kedro does with each object of settings.HOOKS: no name


@pytest.mark.parametrize("first", [_register_twice, _listed_in_settings_hooks])
def test_an_explicit_registration_and_the_entry_point_make_one_registration(
    first: Callable[[PluginManager], None],
) -> None:
    manager = _manager()
    first(manager)
    manager.load_setuptools_entrypoints("kedro.hooks")  # what KedroSession does next
    assert _ours(manager) == 1
    assert manager.get_plugin(PLUGIN_NAME) is hooks


def test_register_after_the_entry_point_changes_nothing() -> None:
    manager = _manager()
    manager.load_setuptools_entrypoints("kedro.hooks")
    register(manager)
    assert _ours(manager) == 1
