"""Every place proj-tui touches Kedro beyond its documented API (Kedro's privates live only here).

One function per access, each with its own test in ``tests/kedro/test_run_compat.py``, so a Kedro
upgrade that moves one of them fails there by name instead of somewhere inside a run.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click
    from kedro.framework.session import KedroSession
    from kedro.pipeline import Pipeline
    from kedro.pipeline.node import Node
    from pluggy import PluginManager


def run_command() -> click.Command:
    """Kedro's ``kedro run`` command object, whose parser reads the options we pass on."""
    from kedro.framework.cli.project import run

    return run


def session_class() -> type[KedroSession]:
    """``settings.SESSION_CLASS`` (Kedro 1.5+), else ``KedroSession``: what ``kedro run`` creates."""
    from kedro.framework.project import settings
    from kedro.framework.session import KedroSession

    try:
        cls: type[KedroSession] = settings.SESSION_CLASS
    except AttributeError:
        return KedroSession
    return cls


def hook_manager(session: KedroSession) -> PluginManager:
    """The session's hook manager (``KedroSession._hook_manager``), where plugins are registered."""
    manager: PluginManager = session._hook_manager
    return manager


def bare_hook_manager() -> PluginManager:
    """A hook manager with Kedro's hook specs and no plugins (a context built only to read)."""
    from kedro.framework.hooks import _create_hook_manager

    manager: PluginManager = _create_hook_manager()
    return manager


def warm_up(catalog: Any, names: Iterable[str]) -> None:
    """Materialise ``names`` in the catalog (factory patterns included), as the runner does first."""
    for name in names:
        try:
            catalog.get(name, fallback_to_runtime_pattern=True)
        except TypeError:  # a catalog class without the keyword
            catalog.get(name)


def nodes_to_resume_from(
    pipeline: Pipeline, unfinished: Collection[Node], catalog: Any
) -> set[str]:
    """Kedro's own answer to "where does a resume start" (the hint a failed run logs)."""
    from kedro.runner.runner import _find_nodes_to_resume_from

    names: set[str] = _find_nodes_to_resume_from(
        pipeline=pipeline, unfinished_nodes=unfinished, catalog=catalog
    )
    return names


def is_ephemeral(dataset: Any) -> bool:
    """Whether ``dataset`` keeps nothing between runs (``MemoryDataset`` and its kin).

    Kedro marks such datasets with the private ``_EPHEMERAL`` attribute and its runners read it
    the same way (persisted inputs, the resume hint); a dataset class without it is not ephemeral.
    """
    return bool(getattr(dataset, "_EPHEMERAL", False))
