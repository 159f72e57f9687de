"""The Kedro plugin: records every Kedro session in the project's proj-tui store.

Kedro loads it through the ``kedro.hooks`` entry point (``proj_tui = "proj_tui.kedro.plugin:hooks"``
in pyproject.toml), so a plain ``kedro run``, a notebook's ``KedroSession.create(...).run()`` and
``proj-tui run`` on a Kedro project are all recorded, with the record and the events of a native
session. A project turns it off the Kedro way: ``DISABLE_HOOKS_FOR_PLUGINS = ("proj-tui",)`` in
its ``settings.py``.

``hooks`` is one object for the whole process; each run's state is keyed by Kedro's run id, which
every node hook receives, so sessions one after another (a notebook) or side by side (threads)
each keep their own record. ``hooks.add_listener(fn)`` hands ``fn`` every event
(``framework.events``) of every run in this process, in order, as ``Session.subscribe`` does.

Under ``ParallelRunner`` the node hooks run in the worker processes: a worker writes its own node
rows and log lines into the store (``workers.py``), and the parent hands them to listeners from
there (``endings.Relay``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kedro.framework.hooks import hook_impl

from proj_tui.kedro.datasets import ReproHooks

if TYPE_CHECKING:
    from pluggy import PluginManager

    from proj_tui.framework.events import EventListener
    from proj_tui.kedro.recording import KedroRecording, RunStart
    from proj_tui.kedro.workers import WorkerRecording

logger = logging.getLogger(__name__)

PLUGIN_NAME = "proj_tui"
"""The entry point's name, and the name the hooks are registered under however they get there."""
DISTRIBUTION = "proj-tui"
"""What ``DISABLE_HOOKS_FOR_PLUGINS`` names to turn the plugin off."""


_pid = os.getpid()
"""This process's id, kept current across forks: ``os.getpid()`` is a system call, and the node
hooks ask it twice a node (is this the run's process, or a forked worker's?)."""


def _forked() -> None:
    global _pid
    _pid = os.getpid()


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere no fork copies the module
    os.register_at_fork(after_in_child=_forked)


class ProjTuiHooks(ReproHooks):
    """Kedro hook implementations that record each run (see the module docstring).

    ``ReproHooks`` (kedro/datasets.py) adds the code state and the dataset fingerprints.
    """

    def __init__(self) -> None:
        # pluggy names an object it is given without a name by its __name__: registering this
        # one through settings.HOOKS then takes the entry point's name, and Kedro's loading of
        # the entry point afterwards sees the name taken and skips it (no double registration)
        self.__name__ = PLUGIN_NAME
        self._listeners: list[EventListener] = []
        self._runs: dict[str, KedroRecording] = {}
        self._workers: dict[str, WorkerRecording] = {}
        self._unrecorded: set[tuple[int, str]] = set()  # (pid, run id) no recording here takes
        self._configs: dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        self._context = threading.local()  # the last KedroContext made on each thread

    # -- the public contract -----------------------------------------------------------------
    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener`` with every event of every run in this process, in order."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def recording(self, run_id: str) -> KedroRecording | None:
        """The record in progress for Kedro run ``run_id`` in this process, if any."""
        return self._runs.get(run_id)

    # -- before the run ------------------------------------------------------------------------
    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Keep the context ``KedroSession.run`` just made on this thread, for its catalog config.

        Also the session's start-up work that no run changes, done here rather than on the
        run's path (``before_pipeline_run`` to ``after_pipeline_run``): the recording's modules
        (the store's: ~20 ms of imports) and the process's versions (``importlib.metadata``).
        A context that never runs (a notebook's ``load_context``) pays them once per process.
        """
        self._context.last = context
        from proj_tui.kedro import endings, recording  # noqa: F401 - imported for the run
        from proj_tui.kedro.session_record import versions

        with contextlib.suppress(Exception):
            versions(_kedro_version())

    @hook_impl
    def after_catalog_created(
        self,
        conf_creds: Mapping[str, Any],
        parameters: Mapping[str, Any],
        save_version: str | None,
    ) -> None:
        """Keep the run's resolved parameters and its credentials (to redact) for its record."""
        if save_version:  # KedroSession.run passes its run id; a notebook's context.catalog None
            self._configs[save_version] = (parameters.get("parameters") or {}, conf_creds or {})

    @hook_impl
    def before_pipeline_run(
        self, run_params: Mapping[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        run_id = run_params.get("run_id")
        if not run_id:
            return
        # imported here: Kedro loads this module for every session, also those that never run
        from proj_tui.kedro import endings
        from proj_tui.kedro.recording import KedroRecording

        for done in [key for key, old in self._runs.items() if old.finished]:
            del self._runs[done]  # ended without a hook (endings.py)
        params, credentials = self._configs.pop(str(run_id), (None, {}))
        context, self._context.last = getattr(self._context, "last", None), None
        try:
            start = _run_start(run_params, pipeline, catalog, params, credentials, context)
            recording = KedroRecording.begin(start, self._listeners)
        except Exception:  # recording must never stop the user's run
            logger.warning("proj-tui could not record Kedro run %s", run_id, exc_info=True)
            return
        self._runs[str(run_id)] = recording
        endings.watch(recording)

    # -- nodes: the hot path (keep each to a dict look-up and the recorder's call) ---------------
    @hook_impl
    def before_node_run(self, node: Any, run_id: str) -> None:
        recording = self._runs.get(run_id)
        if recording is not None and recording.pid == _pid:
            recording.node_started(node)
        elif (worker := self._worker(run_id, recording)) is not None:
            worker.node_started(node)

    @hook_impl
    def after_node_run(self, node: Any, run_id: str) -> None:
        recording = self._runs.get(run_id)
        if recording is not None and recording.pid == _pid:
            recording.node_finished(node)
        elif (worker := self._worker(run_id, recording)) is not None:
            worker.node_finished(node)

    @hook_impl
    def on_node_error(self, error: BaseException, node: Any, run_id: str) -> None:
        recording = self._runs.get(run_id)
        if recording is not None and recording.pid == _pid:
            recording.node_failed(node, error)
        elif (worker := self._worker(run_id, recording)) is not None:
            worker.node_failed(node, error)

    def _worker(self, run_id: str, inherited: KedroRecording | None) -> WorkerRecording | None:
        """This process's recording of a run whose session another process began (a worker)."""
        pid = _pid
        worker = self._workers.get(run_id)
        if worker is not None and worker.pid == pid:
            return worker
        if (pid, run_id) in self._unrecorded:
            return None
        if inherited is not None:  # a fork of the run's process: drop what is the parent's
            inherited.forsake()
        from proj_tui.kedro.workers import WorkerRecording

        try:
            worker = WorkerRecording.join(run_id, inherited.redactor if inherited else None)
        except Exception:
            logger.warning("proj-tui could not record this worker's nodes", exc_info=True)
            worker = None
        if worker is None:
            self._unrecorded.add((pid, run_id))
        else:
            self._workers[run_id] = worker
        return worker

    # -- the end ---------------------------------------------------------------------------------
    @hook_impl
    def after_pipeline_run(self, run_params: Mapping[str, Any]) -> None:
        recording = self._runs.pop(str(run_params.get("run_id")), None)
        if recording is not None:
            _never_raise(recording.succeed)

    @hook_impl
    def on_pipeline_error(self, error: BaseException, run_params: Mapping[str, Any]) -> None:
        recording = self._runs.pop(str(run_params.get("run_id")), None)
        if recording is not None:
            _never_raise(recording.fail, error)


def _never_raise(end: Callable[..., None], *args: Any) -> None:
    """End a record; a store that fails must not turn the user's run into a failure."""
    try:
        end(*args)
    except Exception:
        logger.warning("proj-tui could not finish the record of a Kedro run", exc_info=True)


def _run_start(
    run_params: Mapping[str, Any],
    pipeline: Any,
    catalog: Any,
    params: Mapping[str, Any] | None,
    credentials: Mapping[str, Any],
    context: Any,
) -> RunStart:
    from kedro.framework.project import PACKAGE_NAME
    from kedro.io import SharedMemoryDataCatalog

    from proj_tui.kedro.recording import RunStart

    if params is None:  # a context that builds its catalog without the hook
        try:
            params = catalog.load("parameters")
        except Exception:
            params = {}
    catalog_config = None
    if context is not None:  # as the config loader gives it: what staleness compares with
        try:
            catalog_config = context.config_loader["catalog"]
        except Exception:
            logger.debug("No catalog config for the fingerprints", exc_info=True)
    click_context = None
    try:
        import click

        click_context = click.get_current_context(silent=True)
    except ImportError:  # pragma: no cover - Kedro always brings click
        pass
    return RunStart(
        run_params=run_params,
        node_names=[node.name for node in pipeline.nodes],
        nodes=tuple(pipeline.nodes),
        catalog_config=catalog_config,
        package_name=str(PACKAGE_NAME or ""),
        kedro_version=_kedro_version(),
        parameters=params or {},
        credentials=credentials,
        parallel=isinstance(catalog, SharedMemoryDataCatalog),
        click_context=click_context,
    )


def _kedro_version() -> str:
    from kedro import __version__

    return str(__version__)


def register(hook_manager: PluginManager) -> None:
    """Register the plugin on ``hook_manager`` unless it is there already (by entry point or not)."""
    if hook_manager.is_registered(hooks) or hook_manager.has_plugin(PLUGIN_NAME):
        return
    hook_manager.register(hooks, name=PLUGIN_NAME)


hooks = ProjTuiHooks()
"""The object Kedro's ``kedro.hooks`` entry point names."""
