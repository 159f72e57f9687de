"""The ends of a Kedro run that Kedro reports to no hook, and the parallel run's relay.

``KedroSession.run`` calls ``on_pipeline_error`` only for an ``Exception``: a Ctrl+C
(``KeyboardInterrupt``) or a ``sys.exit`` in a node leaves the run without any hook, and a
notebook's process lives on after it. So each run is watched:

- its SIGINT is noted (a handler that marks the run, then does what the previous one did), so
  the end can say ``cancelled``;
- the frame that called ``before_pipeline_run`` (``KedroSession.run``, or whatever runs the
  hooks) is remembered; a monitor thread looks every ``TICK`` seconds whether it is still on its
  thread's stack, and once it is gone with no end recorded, the run is ``cancelled`` (after a
  SIGINT) or ``failed`` (another exception that no hook saw);
- at interpreter exit whatever is still open ends the same way (``kedro run`` exits on Ctrl+C).

A process that dies without a word (SIGKILL, ``os._exit``) is the crash witness's to report
(``framework.watchdog``), and the store's reaping covers a witness that died with it.

The same monitor relays a parallel run's node rows and log lines, which its workers write into
the store, to the listeners of the parent process (``KedroRecording.relay``).
"""

from __future__ import annotations

import atexit
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any, Protocol

logger = logging.getLogger(__name__)

TICK = 0.1
"""Seconds between the monitor's looks while it relays a parallel run: how soon a relayed event
shows."""
QUIET_TICK = 1.0
"""Seconds between its looks when it only watches for an unreported end (no parallel run): each
look wakes a thread that takes the GIL from the run's, so ten a second cost a plain ``kedro run``
~30 thread switches a second (``benches/kedro_overhead.py``); an end no hook reported shows
within this."""


class Watched(Protocol):
    """What the monitor needs of a run's recording (``recording.KedroRecording``)."""

    session_id: str
    interrupted: bool
    finished: bool
    parallel: bool

    def relay(self) -> None: ...
    def finish(self, status: str, error: dict[str, Any] | None) -> None: ...


_SKIPPED = ("pluggy", "proj_tui.kedro")
_lock = threading.Lock()
_watched: dict[Watched, tuple[int, FrameType | None]] = {}
_monitor: threading.Thread | None = None
_wake = threading.Event()  # set when a run is watched: the monitor picks its tick again
_previous_sigint: Any = None
_atexit_registered = False


def watch(recording: Watched) -> None:
    """Watch ``recording`` from the hook that began it (call on the run's own thread)."""
    global _monitor, _atexit_registered
    frame = _run_frame()
    with _lock:
        _watched[recording] = (threading.get_ident(), frame)
        if _monitor is None or not _monitor.is_alive():
            _monitor = threading.Thread(target=_monitor_loop, name="proj-tui-kedro", daemon=True)
            _monitor.start()
        elif recording.parallel:
            _wake.set()  # relay from the first tick, not after a quiet one
        if not _atexit_registered:
            atexit.register(_at_exit)
            _atexit_registered = True
    _install_sigint()


def unwatch(recording: Watched) -> None:
    """The run ended: stop watching it (and give SIGINT back once nothing is watched)."""
    with _lock:
        _watched.pop(recording, None)
        idle = not _watched
    if idle:
        _restore_sigint()


def unreported_end(recording: Watched) -> None:
    """End a run whose end no hook reported: cancelled after a SIGINT, else failed."""
    if recording.interrupted:
        recording.finish(
            "cancelled",
            {"type": "Cancelled", "message": "The run was cancelled (Ctrl+C).", "traceback": None},
        )
    else:
        recording.finish(
            "failed",
            {
                "type": "RunAborted",
                "message": "The Kedro run ended by an exception that Kedro reports to no hook "
                "(SystemExit, KeyboardInterrupt or another BaseException raised in a node or "
                "hook); see the log for the last thing it did.",
                "traceback": None,
            },
        )


def _run_frame() -> FrameType | None:
    """The first frame above the hook call that is neither pluggy's nor ours."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith(_SKIPPED):
        frame = frame.f_back
    return frame


def _on_stack(thread_id: int, frame: FrameType | None, frames: dict[int, FrameType]) -> bool:
    if frame is None:  # nothing to look for: only a hook or the exit can end it
        return True
    current: FrameType | None = frames.get(thread_id)
    while current is not None:
        if current is frame:
            return True
        current = current.f_back
    return False


def _monitor_loop() -> None:
    global _monitor
    tick = _tick()
    while True:
        if _wake.wait(tick):
            _wake.clear()
        with _lock:
            watched = list(_watched.items())
            if not watched:
                _monitor = None
                return
        tick = _tick()
        frames = sys._current_frames()
        for recording, (thread_id, frame) in watched:
            try:
                if recording.parallel and not recording.finished:  # the end relays the rest
                    recording.relay()
                if not recording.finished and not _on_stack(thread_id, frame, frames):
                    unreported_end(recording)
            except Exception:  # the monitor must outlive one recording's trouble
                logger.debug("proj-tui's run monitor failed", exc_info=True)
        del frames


def _tick() -> float:
    with _lock:
        relaying = any(run.parallel and not run.finished for run in _watched)
    return TICK if relaying else QUIET_TICK


def _at_exit() -> None:
    with _lock:
        open_runs = [recording for recording in _watched if not recording.finished]
    for recording in open_runs:
        try:
            unreported_end(recording)
        except Exception:
            logger.debug("Could not end %s at exit", recording.session_id, exc_info=True)


def _install_sigint() -> None:
    """Note a Ctrl+C for every watched run, then do what the previous handler did."""
    global _previous_sigint
    if threading.current_thread() is not threading.main_thread() or _previous_sigint is not None:
        return
    try:
        previous = signal.getsignal(signal.SIGINT)
        if not callable(previous):  # SIG_IGN, SIG_DFL or a handler not set from Python
            return
        signal.signal(signal.SIGINT, _on_sigint)
    except (ValueError, OSError):  # not the main interpreter
        return
    _previous_sigint = previous


def _restore_sigint() -> None:
    global _previous_sigint
    previous = _previous_sigint
    if previous is None or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGINT) is _on_sigint:  # unless someone replaced ours since
            signal.signal(signal.SIGINT, previous)
    except (ValueError, OSError):
        return
    _previous_sigint = None


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    with _lock:
        for recording in _watched:
            recording.interrupted = True
    previous = _previous_sigint
    if callable(previous):
        previous(signum, frame)
    else:  # pragma: no cover - restored meanwhile by another thread
        raise KeyboardInterrupt
