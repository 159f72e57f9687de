"""The rule "a session that cannot start is not a session", for native projects, in one place.

Everything that can be known wrong before the first node runs is checked here, before the store
gets a row: the pipeline selection (unknown pipeline, node or tag, filters that leave nothing, a
cycle: ``framework.selection``), the config files (``ConfigLoader.check``, done by the caller),
the catalog (a file that does not load, an unknown dataset type, a bad entry) and the free inputs
the catalog lacks. Each is a ``ProjTuiError`` whose message names the file, line and key and says
how to fix it; ``is_start_error`` tells such an error from a run that failed, so that every front
end (``proj-tui run``, the app, a Kedro project's launcher) exits 2 and records nothing for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proj_tui.errors import ProjTuiError

if TYPE_CHECKING:
    from proj_tui.framework.context import ProjectContext
    from proj_tui.pipeline import Pipeline

_START_MODULES = ("proj_tui.config", "proj_tui.pipeline", "proj_tui.framework.selection")
"""Errors raised from these packages are bad input (config, pipeline definition, selection)."""


class SessionError(ProjTuiError):
    """The session was used in a way its lifecycle does not allow, or its run cannot start (an
    unknown pipeline or node, filters that leave nothing). Also ``framework.session.SessionError``."""


def check_startable(
    context: ProjectContext, pipeline: Pipeline, *, only_missing_outputs: bool = False
) -> None:
    """Raise the error that stops ``pipeline`` from starting in ``context``, if there is one.

    Builds the catalog as the run will (without the ``after_catalog_created`` hook, which runs
    once, for the real catalog) and checks that every free input of the pipeline is in it. With
    ``only_missing_outputs`` the nodes to run depend on which outputs exist when the run starts,
    so the inputs are checked by the runner then (a missing one is still exit code 2).
    """
    from proj_tui.runner.base import check_inputs

    catalog = context.build_catalog()
    if not only_missing_outputs:
        check_inputs(pipeline, catalog)


def is_start_error(exc: BaseException) -> bool:
    """Whether ``exc`` is bad input found before any node ran (exit code 2, README)."""
    if not isinstance(exc, ProjTuiError):
        return False
    from proj_tui.io import CatalogEntryError
    from proj_tui.runner.base import MissingInputsError

    return isinstance(exc, (SessionError, CatalogEntryError, MissingInputsError)) or type(
        exc
    ).__module__.startswith(_START_MODULES)
