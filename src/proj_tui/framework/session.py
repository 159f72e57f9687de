"""The session: one recorded lifecycle of a project — create, load the context, run, close.

Modelled on Kedro's ``KedroSession``: a session owns an id, the runtime parameters and how it was launched,
and persists all of it (plus status, node timings and logs) to the project's session store, where plugins
and the app read it without importing the project's context.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import sys
import threading
import time
import traceback
import weakref
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from proj_tui import __version__
from proj_tui.config import ConfigLoader
from proj_tui.framework import cancel_hold
from proj_tui.framework.code_state import record_code_state
from proj_tui.framework.context import ProjectContext
from proj_tui.framework.data_fingerprint import record_native_datasets
from proj_tui.framework.events import (
    ErrorDetail,
    EventListener,
    SessionFinished,
    SessionStarted,
    unreached_node_status,
)
from proj_tui.framework.fingerprints import record_fingerprints
from proj_tui.framework.gitinfo import describe_git
from proj_tui.framework.hooks import new_hook_manager, register_hooks
from proj_tui.framework.logging_conf import apply_logging_config
from proj_tui.framework.preflight import SessionError as SessionError  # its home: preflight
from proj_tui.framework.preflight import check_startable
from proj_tui.framework.project import Project
from proj_tui.framework.recorder import CrashWitness, Recorder, RecordingHandler
from proj_tui.framework.redact import (
    Redactor,
    param_secrets,
    redact_env,
    redact_params,
    secret_env_values,
)
from proj_tui.framework.selection import (
    RunSelection,
    UnknownPipelineError,
    resume_command,
    runner_name,
)
from proj_tui.framework.settings import Settings
from proj_tui.framework.startup import ProjectMetadata, load_pipelines
from proj_tui.framework.store.process import _hostname, _username
from proj_tui.runner import AbstractRunner, RunCancelled, resume_start_nodes, runner_from_name

if TYPE_CHECKING:
    from typing import Unpack

    import pluggy

    from proj_tui.framework.selection import RunKwargs
    from proj_tui.framework.store import SessionStore
    from proj_tui.pipeline import Pipeline

logger = logging.getLogger(__name__)


_ATTACHED: weakref.WeakSet[Session] = weakref.WeakSet()
"""Sessions whose handler is on the root logger: the newest, and any still running."""
_ROOT_LEVEL: list[int] = []
"""The root logger's level before the first attached session raised it to INFO."""


def _release_root_logger(handler: logging.Handler) -> None:
    """Take ``handler`` off the root logger; the last one out restores the root's level."""
    root = logging.getLogger()
    root.removeHandler(handler)
    if _ROOT_LEVEL and not list(_ATTACHED):  # live ones only (len() counts a dying one)
        root.setLevel(_ROOT_LEVEL.pop())


class Session:
    """A recorded run context for one project; use :meth:`create`, ideally as a context manager."""

    def __init__(
        self,
        *,
        session_id: str,
        project: Project,
        metadata: ProjectMetadata,
        settings: Settings,
        store: SessionStore,
        hook_manager: pluggy.PluginManager,
        env: str,
        extra_params: dict[str, Any],
        config_loader: ConfigLoader,
        save_on_close: bool,
        env_vars: dict[str, str],
    ) -> None:
        self.session_id = session_id
        self.project = project  # the one handle on config, store and pipelines
        self.metadata = metadata
        self.settings = settings
        self.store = store
        self.env = env
        self.extra_params = extra_params
        self.config_loader = config_loader  # built and checked once, in create()
        self.save_on_close = save_on_close
        self._hook_manager = hook_manager
        self._env_vars = env_vars
        self._succeeded = False
        self._closed = False
        self._status = "succeeded"
        self._error: dict[str, Any] | None = None
        self._context: ProjectContext | None = None
        self._checked_context: ProjectContext | None = None  # built by create()'s preflight
        self._cancel = threading.Event()
        self._redactor = Redactor(())
        self._recorder = Recorder(store, session_id, self._redactor)
        self._handler = RecordingHandler(self._recorder)
        self._running = False
        self._started = time.time()
        self._last_run: dict[str, Any] | None = None
        self.record_problem: str | None = None
        """Set by close() when the store could not take the whole record (see Recorder.stop)."""
        self._attach_logging()
        # a session dropped without close() takes its handler off the root logger with it
        weakref.finalize(self, _release_root_logger, self._handler)
        self._recorder.start()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        package_name: str | None = None,
        project_path: Path | str | None = None,
        save_on_close: bool = True,
        env: str | None = None,
        extra_params: dict[str, Any] | None = None,
        conf_source: Path | str | None = None,
        *,
        cli: dict[str, Any] | None = None,
        env_vars: dict[str, str] | None = None,
        parent_id: str | None = None,
        selection: RunSelection | None = None,
    ) -> Session:
        """Start a session and record it in the project's store with status ``running``.

        ``cli`` describes how the session was launched (``command`` and parsed ``flags``); without
        it the process's ``sys.argv`` is recorded. ``env_vars`` are variables the launcher set for
        this run; they are recorded (secret-looking ones redacted) beside those settings select.
        ``selection``, when the run is known already (``proj-tui run``), is checked here too: a
        session that cannot start (an unknown pipeline or node, filters that leave nothing) is
        refused before anything is recorded, as a bad env or config file is.
        """
        project = Project.for_session(package_name, project_path, conf_source=conf_source)
        metadata, settings = project.metadata, project.settings
        hook_manager = new_hook_manager()
        register_hooks(
            hook_manager,
            settings.HOOKS,
            disabled_plugins=settings.DISABLE_HOOKS_FOR_PLUGINS,
        )
        params = dict(extra_params or {})
        loader = project.config_loader(env, params)
        loader.check()  # fail before anything is recorded when the env or config is unusable
        resolved_env = loader.env
        context: ProjectContext | None = None
        if selection is not None:  # a run that cannot start is not recorded (framework.preflight)
            pipeline = _select(selection, metadata.package_name)
            context = _new_context(metadata, loader, hook_manager, resolved_env, params)
            check_startable(context, pipeline, only_missing_outputs=selection.only_missing_outputs)

        if save_on_close:
            store = project.recording_store()
        else:
            from proj_tui.framework.store import SQLiteSessionStore

            store = SQLiteSessionStore(":memory:")

        launched_env = {**os.environ, **(env_vars or {})}
        recorded_env = redact_env(
            launched_env, settings.ENV_VARS_PREFIX, settings.ENV_VARS_ALLOWLIST
        )
        recorded_env.update(redact_env(env_vars or {}, None, list(env_vars or {})))
        record = {
            "project_path": str(metadata.project_path),
            "package_name": metadata.package_name,
            "env": resolved_env,
            "runtime_params": redact_params(params),
            "cli": cli or {"command": shlex.join(sys.argv), "argv": list(sys.argv), "flags": {}},
            "env_vars": recorded_env,
            "git": describe_git(metadata.project_path),
            "user": _username(),
            "host": _hostname(),
            "pid": os.getpid(),
            "versions": {
                "python": sys.version.split()[0],  # platform.python_version(), without platform
                "proj_tui": __version__,
                "platform": sys.platform,
            },
            "parent_id": parent_id,
        }
        if project.conf_source_overridden:  # replays must read the same config folder
            record["conf_source"] = str(project.conf_source)
        cancel_hold.hold()  # a cancel between the row's commit and the ``try`` is held
        try:
            session_id = store.create_session(record)
        except BaseException:
            cancel_hold.release()
            raise
        session: Session | None = None
        try:  # a cancel (SIGTERM, Ctrl+C) from here on finds the row: it is recorded
            cancel_hold.release()  # one held since the row was written is raised here
            record_code_state(
                store,
                session_id,
                metadata.project_path,
                (metadata.source_dir, project.conf_source),
                record["git"],
            )
            session = cls(
                session_id=session_id,
                project=project,
                metadata=metadata,
                settings=settings,
                store=store,
                hook_manager=hook_manager,
                env=resolved_env,
                extra_params=params,
                config_loader=loader,
                save_on_close=save_on_close,
                env_vars=recorded_env,
            )
            session._checked_context = context
            session._redactor.add(secret_env_values(launched_env))
            session._redactor.add(param_secrets(params))
        except BaseException as exc:
            if session is not None:
                session.__exit__(type(exc), exc, exc.__traceback__)
            else:  # not even the recorder exists: the row is finished directly
                status = "cancelled" if _is_cancel(exc) else "failed"
                with contextlib.suppress(Exception):
                    store.finish_session(session_id, status, error=_start_error(exc))
            raise
        return session

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._error is None:
            self._record_error(exc)
            self._status = "cancelled" if _is_cancel(exc) else "failed"
        self.close()

    # -- public API ---------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """``running`` until closed, then the final status."""
        return "running" if not self._closed else self._status

    @property
    def conf_source(self) -> Path:
        return self.config_loader.conf_source

    @property
    def hook_manager(self) -> pluggy.PluginManager:
        return self._hook_manager

    def witness(self, witness: CrashWitness) -> None:
        """Let ``witness`` (e.g. the CLI's watchdog) finish the record if this process dies."""
        self._recorder.witness = witness

    def subscribe(self, listener: EventListener) -> None:
        """Receive every event (``framework.events``, docs/events.md), synchronously, in order."""
        self._recorder.listeners.append(listener)

    def cancel(self) -> None:
        """Ask a run in progress to stop after the node(s) now running."""
        self._cancel.set()

    def load_context(self) -> ProjectContext:
        """The project context for this session's env and runtime parameters (built once)."""
        if self._context is None:
            context = self._checked_context or _new_context(
                self.metadata, self.config_loader, self._hook_manager, self.env, self.extra_params
            )
            self._redactor.add(context.credential_values())
            self._redactor.add(param_secrets(context.params))
            for key in ("globals", "logging"):  # a broken file fails now, even if unused
                if key in self.config_loader.config_patterns:
                    self.config_loader[key]
            if "logging" in self.config_loader.config_patterns:  # as Kedro applies logging.yml
                apply_logging_config(
                    self.config_loader["logging"], self.config_loader.files("logging")
                )
            self._hook_manager.hook.after_context_created(context=context)
            self._context = context
        return self._context

    def run(self, pipeline_name: str | None = None, **kwargs: Unpack[RunKwargs]) -> dict[str, Any]:
        """Run the selected pipelines (their union; filters intersect) and record how it went.

        The keywords are Kedro 1.x's (see :class:`~proj_tui.framework.selection.RunKwargs`):
        ``pipeline_names``, ``tags``, ``node_names``, ``from_nodes``, ``to_nodes``,
        ``from_inputs``, ``to_outputs``, ``namespaces``, ``load_versions``,
        ``only_missing_outputs`` and ``runner`` (a name or an ``AbstractRunner``).
        One successful run per session; a failed or cancelled run may be retried.
        """
        if self._closed:
            raise SessionError(f"Session {self.session_id} is closed; create a new session to run.")
        if self._succeeded:
            raise SessionError(
                "This session already completed a successful run. Create a new session "
                "(Session.create(...)) for another run."
            )
        self._attach_logging()  # the root logger's lines are this session's while it runs
        self._running = True
        try:
            return self._run(pipeline_name, **kwargs)
        finally:
            self._running = False
            # a cancel asked while the run was being prepared stops it; a retry starts afresh
            self._cancel.clear()

    def _run(self, pipeline_name: str | None, **kwargs: Unpack[RunKwargs]) -> dict[str, Any]:
        runner = kwargs.get("runner")
        selection = RunSelection.from_run_kwargs(pipeline_name, **kwargs)
        name = selection.pipeline
        pipeline = _select(selection, self.metadata.package_name)
        context = self.load_context()
        runner_obj = _make_runner(runner or self.settings.DEFAULT_RUNNER)
        load_versions = dict(selection.load_versions) or None
        recorded = replace(selection, runner=runner_name(runner_obj))
        run_params = {  # what hooks get: Kedro's keys, plus the pipeline as one name
            "session_id": self.session_id,
            "project_path": str(self.metadata.project_path),
            "env": self.env,
            "pipeline_name": name,
            "runtime_params": self.extra_params,
            **recorded.run_kwargs(),
        }
        self._last_run = run_params
        node_order = [node.name for node in pipeline.nodes]
        self.store.update_session(
            self.session_id, **recorded.to_store(), params=redact_params(context.params)
        )
        self._recorder.plan(node_order)
        self._recorder.emit(
            SessionStarted(
                session_id=self.session_id,
                project_path=str(self.metadata.project_path),
                package_name=self.metadata.package_name,
                env=self.env,
                pipeline=name,
                runner=runner_name(runner_obj),
                runtime_params=redact_params(self.extra_params),
                nodes=node_order,
                pid=os.getpid(),
            )
        )
        catalog = context.get_catalog(save_version=self.session_id, load_versions=load_versions)
        record_fingerprints(self.store, self.session_id, pipeline, context)
        hook = self._hook_manager.hook
        hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
        try:
            result = runner_obj.run(
                pipeline,
                catalog,
                hook_manager=self._hook_manager,
                session_id=self.session_id,
                only_missing_outputs=selection.only_missing_outputs,
                cancel=self._cancel,
                listener=self._recorder,
            )
        except BaseException as exc:
            self._status = "cancelled" if _is_cancel(exc) else "failed"
            self._record_error(exc)
            self._record_datasets(pipeline, catalog)
            self._recorder.settle_nodes(unreached_node_status(self._status))
            self._suggest_resume(pipeline, catalog, selection)
            hook.on_pipeline_error(
                error=exc, run_params=run_params, pipeline=pipeline, catalog=catalog
            )
            self._recorder.flush()  # the store is current when run() returns
            raise
        self._record_datasets(pipeline, catalog)
        self._recorder.settle_nodes(unreached_node_status("succeeded"))
        hook.after_pipeline_run(
            run_params=run_params, run_result=result, pipeline=pipeline, catalog=catalog
        )
        self._succeeded = True
        self._status = "succeeded"
        self._error = None
        self.store.update_session(self.session_id, error=None, resume=None)
        self._recorder.flush()
        return result

    def close(self) -> None:
        """Flush and finish the record; called by the context manager. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._detach_logging()
        try:
            self.record_problem = self._recorder.stop()
        finally:
            if self.record_problem is not None and self._status == "succeeded":
                # the pipeline ran, but its record is not whole: that must not pass as a success
                self._status = "failed"
                self._error = {
                    "type": "RecordIncomplete",
                    "message": self.record_problem,
                    "traceback": None,
                }
            try:
                self.store.finish_session(self.session_id, self._status, error=self._error)
            finally:  # the stream ends even when the store would not take the result
                error = self._error
                self._recorder.emit(
                    SessionFinished(
                        session_id=self.session_id,
                        status=self._status,
                        duration=time.time() - self._started,
                        error=ErrorDetail(**error) if error is not None else None,
                        resume=(self._last_run or {}).get("resume"),
                    )
                )
                if not self.save_on_close:
                    self.store.close()

    # -- internals ----------------------------------------------------------------------------
    def _attach_logging(self) -> None:
        """Record the root logger's lines; idle sessions attached before stop (the newest wins).

        A notebook that never closes its sessions would otherwise stack their handlers, each
        recording every later line. A session that is running keeps its handler.
        """
        for other in list(_ATTACHED):
            if other is not self and not other._running:
                other._detach_logging()
        root = logging.getLogger()
        if self._handler not in root.handlers:
            root.addHandler(self._handler)
        _ATTACHED.add(self)
        if not _ROOT_LEVEL and (root.level > logging.INFO or root.level == logging.NOTSET):
            _ROOT_LEVEL.append(root.level)
            root.setLevel(logging.INFO)

    def _detach_logging(self) -> None:
        _ATTACHED.discard(self)
        _release_root_logger(self._handler)

    def _record_error(self, exc: BaseException) -> None:
        scrub = self._redactor.scrub
        if _is_cancel(exc):  # a person's decision, not a bug: no traceback, a plain sentence
            why = str(exc) if isinstance(exc, RunCancelled) else ""
            by = f" by {exc}" if isinstance(exc, KeyboardInterrupt) and str(exc) else ""
            self._error = {
                "type": "Cancelled",
                "message": why or f"The run was cancelled{by}.",
                "traceback": None,
            }
            self.store.update_session(self.session_id, error=self._error)
            return
        self._error = {
            "type": type(exc).__name__,
            "message": scrub(str(exc)) or type(exc).__name__,
            "traceback": scrub(
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            ),
        }
        self.store.update_session(self.session_id, error=self._error)

    def _record_datasets(self, pipeline: Pipeline, catalog: Any) -> None:
        """The fingerprints of what the nodes that ran loaded and saved (data_fingerprint.py)."""
        # Nothing to fingerprint when no dataset of the run is in the catalog (all in memory):
        # asking the catalog about every node's datasets cost ~40 us a node, a tenth of a
        # trivial 5000-node chain; one look per dataset costs a tenth of that.
        if not any(
            name in catalog
            for name in (
                pipeline.datasets()
                if catalog.patterns()
                else pipeline.datasets().intersection(catalog.keys())  # the catalog's own
            )
            if name != "parameters" and not name.startswith("params:")
        ):
            return
        statuses = {run.name: run.status for run in self._recorder.node_runs()}
        record_native_datasets(self.store, self.session_id, pipeline.nodes, catalog, statuses)

    def _suggest_resume(self, pipeline: Pipeline, catalog: Any, selection: RunSelection) -> None:
        done = {run.name for run in self._recorder.node_runs() if run.status == "succeeded"}
        if not done:  # nothing ran: the same command is the resume command
            return
        try:
            from_nodes = resume_start_nodes(pipeline, catalog, done)
        except Exception:  # the suggestion must never hide the run's own error
            logger.debug("No resume suggestion", exc_info=True)
            return
        command = None
        if from_nodes:
            resume = replace(selection, from_nodes=frozenset(from_nodes))
            command = resume_command(
                resume,
                env=self.env,
                params=redact_params(self.extra_params),
                parent=self.session_id,
            )
        if self._last_run is not None:
            self._last_run["resume"] = command
        self.store.update_session(self.session_id, resume=command)
        if command:
            logger.warning("To resume from the nearest persisted inputs, run:\n  %s", command)


def _make_runner(runner: AbstractRunner | str) -> AbstractRunner:
    if isinstance(runner, str):
        return runner_from_name(runner)
    if isinstance(runner, type):
        raise SessionError(
            f"run() expects a runner instance, but got the class {runner.__name__}. Did you forget "
            f"the () in runner={runner.__name__}()?"
        )
    if not callable(getattr(runner, "run", None)):
        raise SessionError(
            f"run() expects a runner (an object with a run() method, such as SequentialRunner()) "
            f"or a runner name, not {type(runner).__name__} {runner!r}."
        )
    return runner


def _is_cancel(exc: BaseException) -> bool:
    return isinstance(exc, (KeyboardInterrupt, RunCancelled))


def _new_context(
    metadata: ProjectMetadata,
    loader: ConfigLoader,
    hook_manager: pluggy.PluginManager,
    env: str,
    params: dict[str, Any],
) -> ProjectContext:
    return ProjectContext(
        package_name=metadata.package_name,
        project_path=metadata.project_path,
        config_loader=loader,
        hook_manager=hook_manager,
        env=env,
        extra_params=params,
    )


def _start_error(exc: BaseException) -> dict[str, Any]:
    """The error recorded for a session stopped inside ``Session.create``: the cancel as
    ``_record_error`` words it, or only the type of an error (its text is not scrubbed yet)."""
    if _is_cancel(exc):
        by = f" by {exc}" if isinstance(exc, KeyboardInterrupt) and str(exc) else ""
        return {"type": "Cancelled", "message": f"The run was cancelled{by}.", "traceback": None}
    kind = type(exc).__name__
    return {"type": kind, "message": f"{kind} while the session was starting.", "traceback": None}


def _select(selection: RunSelection, package_name: str) -> Pipeline:
    """The pipeline ``selection`` runs, or the error that says why there is none."""
    try:
        pipeline = selection.select(load_pipelines(package_name))
    except UnknownPipelineError as exc:
        raise SessionError(str(exc)) from None
    if not pipeline.nodes:
        raise SessionError(
            f"Pipeline '{selection.pipeline}' has no nodes left after the filters "
            f"{selection.describe()}; loosen them."
        )
    return pipeline
