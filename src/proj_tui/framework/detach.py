"""Start a run that does not depend on whoever started it: no pipes, no terminal, its own session.

A run launched from the app used to write its events into a pipe the app read: when the app was
killed or lost its terminal, the run got ``BrokenPipeError`` on its next line and recorded it as the
node's failure. :func:`spawn_detached` starts the child in a session of its own (``setsid``: no
controlling terminal, so a hang-up never reaches it) with stdin from /dev/null and stdout/stderr
going to *spool files* under ``<project>/.proj-tui/live/``: a writer to a file never blocks or dies
because its reader went away. The launcher tails the files (the app's Supervisor; the queue worker
may do the same), and the run's own record is in the session store regardless.

Spool files are named by a launch id: ``<id>.events`` (stdout: the JSON event stream), ``<id>.err``
(stderr) and ``<id>.pid`` (the child's pid and its start time from /proc, so a later reader tells
the run from a process that reused its pid). The launcher deletes them when it has read the run to
its end (:meth:`DetachedRun.remove`); files of runs that outlived their launcher are deleted by
:func:`clean_spool` once the run has ended (each spawn calls it). While the launcher is gone the
``.err`` file keeps what the run printed on stderr (a traceback of a crash, say).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from proj_tui.framework.store.process import _pid_alive, _pid_started

SPOOL_DIR = Path(".proj-tui") / "live"
"""Where a project's spool files go, relative to the project."""
_SUFFIXES = (".events", ".err", ".pid")
_ORPHAN_AGE_S = 24 * 3600.0
"""A launch without a ``.pid`` file (its launcher died in the instant after spawning) is cleaned
up after this long, when no run can still be writing to it that a reader would want."""


@dataclass
class DetachedRun:
    """A child started by :func:`spawn_detached`: its process and its spool files."""

    proc: subprocess.Popen[bytes]
    launch_id: str
    events_path: Path
    err_path: Path
    pid_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def remove(self) -> None:
        """Delete the spool files (the run ended and was read to its end)."""
        for path in (self.events_path, self.err_path, self.pid_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def spool_dir(project: Path) -> Path:
    """The spool folder of ``project``, made if needed; a per-user temp folder when the project
    cannot be written (a read-only checkout still runs, its store being elsewhere)."""
    folder = Path(project) / SPOOL_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"proj-tui-live-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback


def spawn_detached(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    spool: Path | None = None,
) -> DetachedRun:
    """Start ``argv`` in ``cwd`` in a new session, stdout and stderr to fresh spool files.

    ``env`` is the child's whole environment (default: this process's). The spool folder
    defaults to the one of ``cwd`` (:func:`spool_dir`). Files are created 0600: a run's output
    may hold what its user would not show other users of the machine.
    """
    folder = spool if spool is not None else spool_dir(cwd)
    folder.mkdir(parents=True, exist_ok=True)
    clean_spool(folder)
    launch_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    events_path = folder / f"{launch_id}.events"
    err_path = folder / f"{launch_id}.err"
    pid_path = folder / f"{launch_id}.pid"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
    out_fd = os.open(events_path, flags, 0o600)
    try:
        err_fd = os.open(err_path, flags, 0o600)
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(os.environ if env is None else env),
                stdin=subprocess.DEVNULL,
                stdout=out_fd,
                stderr=err_fd,
                start_new_session=True,
            )
        finally:
            os.close(err_fd)
    finally:
        os.close(out_fd)
    run = DetachedRun(proc, launch_id, events_path, err_path, pid_path)
    with contextlib.suppress(OSError):
        pid_path.write_text(json.dumps({"pid": proc.pid, "started": _pid_started(proc.pid)}))
    return run


def clean_spool(folder: Path) -> list[str]:
    """Delete the spool files of runs that have ended; return their launch ids.

    A run is ended when its recorded pid is gone or now belongs to a process that started at
    another time. Files of a launch with no ``.pid`` file are kept for a day (see above).
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    launches: dict[str, set[str]] = {}
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if dot and f".{suffix}" in _SUFFIXES:
            launches.setdefault(stem, set()).add(f".{suffix}")
    removed = []
    now = time.time()
    for launch_id, suffixes in launches.items():
        if not _ended(folder, launch_id, suffixes, now):
            continue
        for suffix in suffixes:
            with contextlib.suppress(OSError):
                (folder / f"{launch_id}{suffix}").unlink()
        removed.append(launch_id)
    return removed


def _ended(folder: Path, launch_id: str, suffixes: set[str], now: float) -> bool:
    if ".pid" not in suffixes:
        newest = 0.0
        for suffix in suffixes:
            with contextlib.suppress(OSError):
                newest = max(newest, (folder / f"{launch_id}{suffix}").stat().st_mtime)
        return now - newest > _ORPHAN_AGE_S
    try:
        data = json.loads((folder / f"{launch_id}.pid").read_text())
        pid, started = int(data["pid"]), data.get("started")
    except (OSError, ValueError, KeyError, TypeError):
        return True  # unreadable: nothing can tell it is still running
    if not _pid_alive(pid):
        return True
    return started is not None and _pid_started(pid) != started
