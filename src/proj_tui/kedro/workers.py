"""A ParallelRunner worker's share of a run's record: its own node rows and log lines.

Kedro runs each node of a ``ParallelRunner`` in a worker process, with a hook manager of its own
(the plugin is loaded there through the entry point too), so the node hooks fire in the worker.
The parent names the run in ``PROJ_TUI_KEDRO_RUN`` (set while the run lasts, read by forked and
spawned workers alike); a worker that sees a node of that run opens the store and records
through a ``Recorder`` of its own. A forked worker first drops what it inherited from the
parent's recording (``KedroRecording.forsake``: the log handler, its copy of the crash
witness's pipe), which belong to the parent's process.

A node's row is stored before the worker hands the node back, so the parent's end (which reads
the rows back to settle what never ran) never misses one; lines logged after a worker's last
node are flushed when the worker exits.
"""

from __future__ import annotations

import json
import logging
import multiprocessing.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proj_tui.framework.recorder import Recorder, RecordingHandler
from proj_tui.framework.redact import Redactor, param_secrets, secret_env_values
from proj_tui.kedro.session_record import credential_leaves

if TYPE_CHECKING:
    from proj_tui.framework.recorder import NamedNode

logger = logging.getLogger(__name__)

RUN_VAR = "PROJ_TUI_KEDRO_RUN"
"""JSON ``{"session_id", "store", "project_path", "env"}`` of the parallel run (no secrets in it)."""


def announce(session_id: str, store_path: str, project_path: str, env: str | None) -> None:
    """Name the run for the workers the runner is about to start."""
    os.environ[RUN_VAR] = json.dumps(
        {
            "session_id": session_id,
            "store": store_path,
            "project_path": project_path,
            "env": env,
        }
    )


def withdraw(session_id: str) -> None:
    """The run ended: later workers must not take it for theirs."""
    if _announced().get("session_id") == session_id:
        os.environ.pop(RUN_VAR, None)


def _announced() -> dict[str, Any]:
    try:
        value = json.loads(os.environ.get(RUN_VAR) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class WorkerRecording:
    """One worker process's recorder for one run."""

    def __init__(self, store_path: str, session_id: str, redactor: Redactor) -> None:
        from proj_tui.framework.store import SQLiteSessionStore

        self.pid = os.getpid()
        self.session_id = session_id
        self.store = SQLiteSessionStore(store_path)
        self.recorder = Recorder(self.store, session_id, redactor)
        self._handler = RecordingHandler(self.recorder)
        logging.getLogger().addHandler(self._handler)
        self.recorder.start()
        # multiprocessing's workers leave through os._exit: atexit never runs there, this does
        multiprocessing.util.Finalize(self, self.close, exitpriority=100)

    @classmethod
    def join(cls, run_id: str, inherited: Redactor | None) -> WorkerRecording | None:
        """This worker's recording of ``run_id``, or None when the parent named no such run.

        ``inherited``: the parent's redactor, when this worker is a fork of it.
        """
        announced = _announced()
        if announced.get("session_id") != run_id or not announced.get("store"):
            return None
        redactor = inherited if inherited is not None else _worker_redactor(announced)
        return cls(str(announced["store"]), run_id, redactor)

    def node_started(self, node: NamedNode) -> None:
        self.recorder.node_started(node, -1, 0)

    def node_finished(self, node: NamedNode) -> None:
        self.recorder.node_finished(node, -1, 0, 0.0)
        self.recorder.flush()

    def node_failed(self, node: NamedNode, error: BaseException) -> None:
        self.recorder.node_failed(node, -1, 0, 0.0, error)
        self.recorder.flush()

    def close(self) -> None:
        logging.getLogger().removeHandler(self._handler)
        try:
            self.recorder.stop()
        finally:
            self.store.close()


def _worker_redactor(announced: Mapping[str, Any]) -> Redactor:
    """A spawned worker's secrets: the environment's and the project's credentials.

    The parent's redactor cannot travel (the secrets would have to), so the worker reads the
    credentials again through the project's own config loader, once per worker process.
    """
    redactor = Redactor(secret_env_values(os.environ))
    try:
        from kedro.framework.project import settings

        project = Path(str(announced.get("project_path") or "."))
        loader = settings.CONFIG_LOADER_CLASS(
            conf_source=str(project / settings.CONF_SOURCE),
            env=announced.get("env"),
            **settings.CONFIG_LOADER_ARGS,
        )
        redactor.add(credential_leaves(loader["credentials"]))
        redactor.add(param_secrets(loader["parameters"]))
    except Exception:  # no credentials, or a loader that needs more: the env's secrets remain
        logger.debug("A worker could not read the project's credentials", exc_info=True)
    return redactor
