"""The run queue: what a queued run is, and the worker that drains the queue without the app.

Why it works this way:
- A queued item is a *request*, not a session: the selection (as ``proj-tui run`` argv, which
  ``RunSelection`` reads back), env, runtime params, the environment variables and the sweep it
  belongs to. It becomes a session only when the worker starts it as a plain ``proj-tui run``
  child, so a queued run is recorded, cancelled and followed exactly like any other run, and a
  Kedro project's queued run is run by Kedro (``proj-tui run`` hands it over).
- Secret-looking environment variables are queued by *name* only: the store never holds their
  values. The worker passes its own value on; the first worker inherits the environment of the
  command that queued the run (``ensure_worker``), and an item whose secret the worker lacks
  ends ``not started`` with a message naming it.
- One worker per project, guarded by an ``flock`` on ``.proj-tui/queue.lock``: the kernel drops it
  when the worker dies however it dies, so a stale lock cannot block the queue. The worker runs in
  a session of its own with no pipe to anyone and each child in another, so closing the terminal
  or the app (or signalling the worker) stops no run.
- The worker learns a child's session from the store: the session row records the pid of the
  process that runs it, and that is the child's (``proj-tui run`` execs into Kedro in place). No
  pipe or file is needed between them, so a worker that dies loses nothing: the next one
  (``reconcile``) finds each ``running`` item's session by that pid, follows those still live,
  and records the end of the others from the session's own status.
- Before it exits on an empty queue, the worker lets go of the lock and looks once more: an item
  queued in between (whose enqueuer saw the lock held and started no worker) is not stranded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from proj_tui.config.merge import deep_merge, nest_dotted
from proj_tui.errors import ProjTuiError
from proj_tui.framework.redact import is_secret_name
from proj_tui.framework.selection import RunSelection
from proj_tui.framework.self_command import proj_tui_command
from proj_tui.framework.store.process import _pid_alive
from proj_tui.framework.store.sqlite import SQLiteSessionStore
from proj_tui.framework.store.sqlite_file import default_store_path
from proj_tui.framework.store.sqlite_queue import QueueItem, QueueStore

POLL_SECONDS = 0.2
"""How often the worker looks at its children and the store (it has nothing else to do)."""
NOT_STARTED = "not started"


class QueueError(ProjTuiError):
    """A queue request or command that cannot be carried out."""


@dataclass(frozen=True)
class RunRequest:
    """Everything ``proj-tui run`` is given for one queued run (before a sweep's values)."""

    project: str
    selection: tuple[str, ...] = ()
    """``RunSelection.to_argv()``: pipelines, node filters, runner, load versions ..."""
    env: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    env_vars: Mapping[str, str | None] = field(default_factory=dict)
    """Name -> value; None for a secret-looking name, whose value the worker's environment gives."""
    conf_source: str | None = None
    runner_params: str | None = None
    is_async: bool = False
    params_text: str | None = None
    """A Kedro project's ``--params`` text as given (Kedro's grammar, passed on verbatim, as
    ``proj-tui run`` passes it to ``kedro run``); ``params`` is then only what it means to
    describe and check the run. None for a native project: ``params`` is written back."""

    @classmethod
    def build(
        cls,
        project: Path,
        selection: RunSelection,
        *,
        env: str | None = None,
        params: Mapping[str, Any] | None = None,
        env_vars: Mapping[str, str] | None = None,
        conf_source: str | None = None,
        runner_params: str | None = None,
        is_async: bool = False,
        params_text: str | None = None,
    ) -> RunRequest:
        """A request; secret env var values are dropped here (kept by name), never stored."""
        return cls(
            project=str(Path(project).resolve()),
            selection=tuple(selection.to_argv()),
            env=env,
            params=dict(params or {}),
            env_vars={
                name: (None if is_secret_name(name) else value)
                for name, value in (env_vars or {}).items()
            },
            conf_source=str(Path(conf_source).expanduser().resolve()) if conf_source else None,
            runner_params=runner_params,
            is_async=is_async,
            params_text=params_text,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "selection": list(self.selection),
            "env": self.env,
            "params": dict(self.params),
            "env_vars": dict(self.env_vars),
            "conf_source": self.conf_source,
            "runner_params": self.runner_params,
            "is_async": self.is_async,
            "params_text": self.params_text,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRequest:
        return cls(
            project=str(data["project"]),
            selection=tuple(data.get("selection") or ()),
            env=data.get("env"),
            params=dict(data.get("params") or {}),
            env_vars=dict(data.get("env_vars") or {}),
            conf_source=data.get("conf_source"),
            runner_params=data.get("runner_params"),
            is_async=bool(data.get("is_async")),
            params_text=data.get("params_text"),
        )

    @property
    def run_selection(self) -> RunSelection:
        return RunSelection.from_argv(self.selection)

    def merged_params(self, swept: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The runtime params with a sweep's values (dotted keys) on top."""
        return deep_merge(self.params, nest_dotted(dict(swept or {})))

    def argv(self, swept: Mapping[str, Any] | None = None) -> list[str]:
        """``proj-tui run`` arguments (after the program) for this request and a sweep's values.

        Env vars are passed by name only: their values travel in the child's environment
        (``child_env``), never on a command line ``ps`` shows. For a Kedro project the given
        ``--params`` text goes on as it was, the swept values after it in Kedro's grammar (a
        later item wins there); a swept value that grammar cannot carry (a list, a comma) is a
        ``KedroRunError`` naming the key, which ``proj-tui run --queue`` meets before queueing.
        """
        from proj_tui.config import format_params

        argv = ["run", "--project", self.project, *self.selection]
        if self.env:
            argv += ["--env", self.env]
        if self.params_text is not None:
            from proj_tui.framework.kedro_run import kedro_params_text

            items = [self.params_text] if self.params_text.strip() else []
            if swept:
                items.append(kedro_params_text(nest_dotted(dict(swept))))
            if items:
                argv += ["--params", ",".join(items)]
        elif params := self.merged_params(swept):
            argv += ["--params", format_params(params)]
        for name in self.env_vars:
            argv += ["--env-var", name]
        if self.conf_source:
            argv += ["--conf-source", self.conf_source]
        if self.runner_params:
            argv += ["--runner-params", self.runner_params]
        if self.is_async:
            argv.append("--async")
        return argv

    def child_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The child's environment: ``environ`` with the request's env vars set; a secret one
        missing from ``environ`` is a ``QueueError`` naming it."""
        env = dict(environ)
        for name, value in self.env_vars.items():
            if value is not None:
                env[name] = value
            elif name not in env:
                raise QueueError(
                    f"--env-var {name}: the queue worker's environment has no {name} (a secret "
                    "is queued by name, never stored). Export it in the shell that runs "
                    "'proj-tui queue work', or queue the run again from a shell that has it "
                    "while no worker is running."
                )
        return env

    def describe(self, swept: Mapping[str, Any] | None = None) -> str:
        """One line for a list: the overrides (secrets redacted), env, pipeline and filters.

        What tells a queue's items apart comes first, so a narrow list cuts the filters (most
        often "no filters (whole pipeline)"), not a sweep's values."""
        from proj_tui.config import format_params
        from proj_tui.framework.redact import redact_params

        parts = []
        params = self.merged_params(swept)
        if params:
            parts.append(format_params(redact_params(params)))
        if self.env:
            parts.append(f"env {self.env}")
        parts.append(self.run_selection.describe())
        return " · ".join(parts)


# ---------------------------------------------------------------------------- paths and locks


def queue_dir(project: Path) -> Path:
    """``.proj-tui/queue/``: the worker's log and each child's start-up output."""
    return default_store_path(project).parent / "queue"


def lock_path(project: Path) -> Path:
    return default_store_path(project).parent / "queue.lock"


def _try_lock(project: Path) -> IO[str] | None:
    """The worker lock, held (the open file), or None when another process holds it."""
    path = lock_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the worker's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def worker_pid(project: Path) -> int | None:
    """The pid of the project's running worker, or None when none holds the lock."""
    handle = _try_lock(project)
    if handle is not None:
        _release(handle)
        return None
    try:
        return int(lock_path(project).read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return -1  # held, by a worker that has not written its pid yet


def _release(handle: IO[str]) -> None:
    with contextlib.suppress(OSError):
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


def open_queue(project: Path) -> QueueStore:
    """The queue of the project at ``project`` (creates the store file if need be)."""
    return QueueStore(SQLiteSessionStore(default_store_path(project)))


def ensure_worker(project: Path, env: Mapping[str, str] | None = None) -> int | None:
    """Start a detached worker for ``project`` unless one runs; its pid, or None if one ran.

    The worker gets a session of its own, no terminal and no pipes (stdout and stdin are
    /dev/null, stderr its log file), so it outlives the shell or app that queued the run.
    """
    if worker_pid(project) is not None:
        return None
    folder = queue_dir(project)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "worker.log", "ab") as log:
        child = subprocess.Popen(
            [*proj_tui_command(), "queue", "work", "--project", str(project)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd=str(project),
            env=dict(os.environ if env is None else env),
        )
    return child.pid


def enqueue(
    project: Path,
    request: RunRequest,
    sweep: Sequence[Mapping[str, Any]] = (),
    sweep_id: str | None = None,
) -> list[int]:
    """Queue one run, or one per sweep combination (sharing ``sweep_id``); their item ids."""
    if sweep and sweep_id is None:
        raise QueueError("A sweep needs a sweep id.")
    rows = [(request.to_json(), sweep_id, dict(values)) for values in sweep] or [
        (request.to_json(), None, {})
    ]
    with contextlib.closing(open_queue(project).store) as store:
        return QueueStore(store).add(rows)


# ---------------------------------------------------------------------------- the worker


@dataclass
class _Running:
    """A running item the worker watches: its own child, or one a dead worker left."""

    item: QueueItem
    pid: int | None
    child: subprocess.Popen[bytes] | None = None
    session_id: str | None = None
    log: Path | None = None


class QueueWorker:
    """Drains one project's queue, ``concurrency`` runs at a time, then exits."""

    def __init__(self, project: Path, *, out: Any = None) -> None:
        self.project = Path(project).resolve()
        self.store = SQLiteSessionStore(default_store_path(self.project))
        self.queue = QueueStore(self.store)
        self.running: dict[int, _Running] = {}
        self.stopping = False
        self._say = out or (lambda text: None)

    def work(self) -> int:
        """Run until the queue is empty; 0, or 1 when another worker holds the lock."""
        lock: IO[str] | None = _try_lock(self.project)
        if lock is None:
            return 1
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal stops nothing
        try:
            while True:
                self.reconcile()
                self._drain()
                if self.stopping:
                    return 0
                _release(lock)  # then look once more: see the module's last point
                lock = None
                if not self._waiting():
                    return 0
                lock = _try_lock(self.project)
                if lock is None:
                    return 0  # another worker took over
        finally:
            if lock is not None:
                _release(lock)
            self.store.close()

    def _stop(self, signum: int, frame: Any) -> None:
        """Take no new item; the runs go on (they are sessions of their own)."""
        self.stopping = True
        self._say(f"worker: {signal.Signals(signum).name}, taking no new items")

    def _waiting(self) -> bool:
        return any(item.state == "queued" for item in self.queue.items())

    def reconcile(self) -> None:
        """Adopt or close every ``running`` item this worker does not know (a dead worker's)."""
        self.store.reap_crashed()
        for item in self.queue.items():
            if item.state != "running" or item.id in self.running:
                continue
            watched = _Running(item, item.pid, session_id=item.session_id)
            if watched.session_id is None and item.pid is not None:
                watched.session_id = self.queue.session_by_pid(item.pid, item.started_at or 0.0)
                if watched.session_id is not None:
                    self.queue.link(item, watched.session_id)
            self.running[item.id] = watched
            self._say(f"worker: adopted item {item.id} (session {watched.session_id or '-'})")

    def _drain(self) -> None:
        while True:
            for watched in list(self.running.values()):
                self._check(watched)
            limit = self.queue.concurrency()
            while not self.stopping and len(self.running) < limit:
                item = self.queue.claim_next()
                if item is None:
                    break
                self._start(item)
            if not self.running:
                return
            time.sleep(POLL_SECONDS)

    def _start(self, item: QueueItem) -> None:
        request = RunRequest.from_json(item.request)
        folder = queue_dir(self.project)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"item-{item.id}.log"
        try:
            env = request.child_env(os.environ)
            with open(log, "wb") as output:
                child = subprocess.Popen(
                    [*proj_tui_command(), *request.argv(item.sweep_values)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                    cwd=request.project,
                    env=env,
                )
        except (QueueError, OSError) as exc:
            self.queue.finish(item.id, NOT_STARTED, error=str(exc))
            self._say(f"worker: item {item.id} not started: {exc}")
            return
        self.queue.started(item.id, child.pid)
        self.running[item.id] = _Running(item, child.pid, child=child, log=log)
        self._say(f"worker: item {item.id} started as pid {child.pid}")

    def _check(self, watched: _Running) -> None:
        """Link the item to its session once there is one; record its end once it ended."""
        item = watched.item
        if watched.session_id is None and watched.pid is not None:
            watched.session_id = self.queue.session_by_pid(watched.pid, item.started_at or 0.0)
            if watched.session_id is not None:
                self.queue.link(item, watched.session_id)
        if watched.child is not None:
            code = watched.child.poll()
            if code is None:
                return
        elif watched.pid is not None and _pid_alive(watched.pid):
            status = self._status(watched.session_id)
            if status in (None, "running"):
                return  # a dead worker's child, still running
            code = None
        else:
            code = None
        self._finished(watched, code)

    def _status(self, session_id: str | None) -> str | None:
        if session_id is None:
            return None
        self.store.reap_crashed()
        try:
            return self.store.get_session(session_id).status
        except ProjTuiError:
            return None

    def _finished(self, watched: _Running, code: int | None) -> None:
        item = watched.item
        del self.running[item.id]
        if watched.session_id is None and watched.pid is not None:
            watched.session_id = self.queue.session_by_pid(watched.pid, item.started_at or 0.0)
            if watched.session_id is not None:
                self.queue.link(item, watched.session_id)
        status = self._status(watched.session_id)
        if status is None:
            detail = _tail(watched.log) if watched.log is not None else ""
            why = (
                f"the run exited with code {code} before it started a session"
                if code is not None
                else "its process ended before it started a session (the worker was not there)"
            )
            self.queue.finish(item.id, NOT_STARTED, error=f"{why}: {detail}" if detail else why)
            self._say(f"worker: item {item.id} {NOT_STARTED} ({why})")
            return
        self.queue.finish(item.id, status, session_id=watched.session_id)
        self._say(f"worker: item {item.id} {status} (session {watched.session_id})")
        if watched.log is not None:
            with contextlib.suppress(OSError):
                watched.log.unlink()  # the session's own record has its output


def _tail(path: Path, lines: int = 6) -> str:
    """The last lines a child printed before it failed to start (its usage error, say)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return " ".join(line.strip() for line in kept)
