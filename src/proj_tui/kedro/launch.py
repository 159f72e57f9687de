"""Run one Kedro session from ``kedro run`` options, recorded by proj-tui's Kedro plugin.

``proj-tui run`` on a Kedro project replaces itself with this module in the project's interpreter::

    python -m proj_tui.kedro.launch --project PATH [--events json] -- <kedro run options>

The options after ``--`` are read by Kedro's own ``kedro run`` parser, so each means exactly what
it means to ``kedro run``; the session is then created and run the way ``kedro run`` does it, with
the plugin registered once (by its ``kedro.hooks`` entry point when proj-tui is installed here,
else explicitly: the project's environment may only have proj-tui's source on ``PYTHONPATH``).
With ``--events json`` the plugin's events go to stdout as JSON lines (docs/events.md) and
Kedro's console logging is left to them; without it, Kedro prints what ``kedro run`` prints.
What only ``proj-tui run`` knows (its command line as the equivalent ``kedro run``, the session a
rerun comes from, the variables it set) reaches the plugin in ``LAUNCH_VARS``. Exit codes are
``proj-tui run``'s: 0 succeeded, 1 failed, 2 could not start, 130 cancelled.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from proj_tui.framework.events import Event, LogMessage, SessionFinished, SessionStarted, StartError

if TYPE_CHECKING:
    import click

# proj-tui run's exit codes (proj_tui.cli.common; this package may not import the CLI)
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


LAUNCH_VARS = ("PROJ_TUI_COMMAND", "PROJ_TUI_PARENT", "PROJ_TUI_ENV_VARS")
"""What ``proj-tui run`` tells the plugin about this run (see ``proj_tui.kedro.session_record``)."""


class _StartFailed(Exception):
    """The session could not start; the message says why and how to fix it."""


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(sys.argv[1:] if argv is None else argv)
    writer = _EventLines(_take_stdout()) if options.events == "json" else None
    watch = _Watch(writer)
    try:
        return _main(options, watch)
    finally:
        if writer is not None:
            writer.close()


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m proj_tui.kedro.launch",
        description="Run a Kedro session recorded by proj-tui (started by 'proj-tui run').",
    )
    parser.add_argument("--project", required=True, metavar="PATH")
    parser.add_argument("--events", choices=["json"])
    parser.add_argument("kedro_args", nargs=argparse.REMAINDER, help="-- kedro run options")
    options = parser.parse_args(list(argv))
    if options.kedro_args[:1] == ["--"]:
        options.kedro_args = options.kedro_args[1:]
    return options


def _main(options: argparse.Namespace, watch: _Watch) -> int:
    _install_signal_handlers()
    try:
        run = _prepare(options, watch)
    except _StartFailed as exc:
        return watch.start_failed(str(exc))
    try:
        run()
    except KeyboardInterrupt as exc:
        watch.cancelled(str(exc) or "SIGINT")
        watch.finish_line()
        return EXIT_CANCELLED
    except Exception as exc:
        if not watch.started:  # before the plan was known: an unknown pipeline, a bad catalog
            return watch.start_failed(_describe(exc))
        if watch.writer is None:
            traceback.print_exception(exc)
        watch.finish_line()
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    watch.finish_line()
    return EXIT_OK if watch.status in (None, "succeeded") else EXIT_FAILED


def _prepare(options: argparse.Namespace, watch: _Watch) -> Callable[[], None]:
    """Everything up to the run itself; any problem is a :class:`_StartFailed` saying why."""
    project = Path(options.project).expanduser().resolve()
    os.chdir(project)  # as ``kedro run`` in the project: conf/logging.yml, relative data paths
    # Importing Kedro configures its logging and says which file it used, on the console: in
    # events mode that line would reach the app as stderr noise before any event can carry it.
    announcer = logging.getLogger("kedro.framework.project")
    announcer.disabled = watch.writer is not None
    try:
        from kedro.framework.startup import bootstrap_project
    except ImportError as exc:
        raise _StartFailed(
            f"Kedro cannot be imported by {sys.executable} ({exc}). Install it into the "
            f"project's environment: {sys.executable} -m pip install 'proj-tui[kedro]'."
        ) from None
    finally:
        announcer.disabled = False
    try:
        metadata = bootstrap_project(project)
    except Exception as exc:
        raise _StartFailed(f"Kedro could not load the project at '{project}': {exc}") from None
    if watch.writer is not None:
        _leave_console_to_events()
        _prints_to_log()
    sys.argv = ["kedro", "run", *options.kedro_args]  # what Kedro and other plugins record
    ctx = _parse_kedro_options(options.kedro_args)
    create_kwargs, run_kwargs = session_arguments(ctx.params)
    from proj_tui.kedro import plugin, run_compat

    plugin.hooks.add_listener(watch)

    def run() -> None:
        with ctx:  # a click context, as under ``kedro run`` (the session records its cli data)
            session = run_compat.session_class().create(
                project_path=metadata.project_path, **create_kwargs
            )
            watch.run_id = session.session_id
            plugin.register(run_compat.hook_manager(session))  # unless its entry point did
            with session:
                session.run(**run_kwargs)

    return run


def _parse_kedro_options(args: Sequence[str]) -> click.Context:
    """The options as ``kedro run`` reads them (its own parser and callbacks), or why not."""
    import click

    from proj_tui.kedro import run_compat

    command = run_compat.run_command()
    try:
        return command.make_context("run", list(args), parent=click.Context(click.Group("kedro")))
    except click.ClickException as exc:
        raise _StartFailed(f"kedro run {' '.join(args)}: {exc.format_message()}") from None


def session_arguments(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``kedro run``'s parsed options as ``SESSION_CLASS.create`` and ``session.run`` keywords.

    What ``kedro run`` does with them, step by step: one of ``--pipeline``/``--pipelines``, the
    runner class (a name in ``kedro.runner`` or a dotted path) built with ``--runner-params``
    and ``--async``, runtime parameters given to ``create`` (or to ``run``, for a session class
    that is not a ``KedroSession``).
    """
    from kedro.framework.session import KedroSession
    from kedro.utils import load_obj

    from proj_tui.kedro import run_compat

    if params.get("pipeline") and params.get("pipelines"):
        raise _StartFailed("Options '--pipeline' and '--pipelines' cannot be used together.")
    names = [params["pipeline"]] if params.get("pipeline") else sorted(set(params["pipelines"]))
    try:
        runner_class = load_obj(params.get("runner") or "SequentialRunner", "kedro.runner")
    except (ImportError, AttributeError, ValueError) as exc:
        raise _StartFailed(
            f"--runner {params.get('runner')}: {exc}. Use SequentialRunner, ThreadRunner, "
            "ParallelRunner or the dotted path of a runner class."
        ) from None
    runner_kwargs = dict(params.get("runner_params") or {})
    if params.get("is_async"):
        if runner_kwargs.get("is_async") is False:
            raise _StartFailed(
                "Options '--async' and '--runner-params=is_async=False' cannot be used together."
            )
        runner_kwargs["is_async"] = True
    try:
        runner = runner_class(**runner_kwargs)
    except TypeError as exc:
        raise _StartFailed(f"--runner-params do not fit {runner_class.__name__}: {exc}") from None
    create_kwargs: dict[str, Any] = {
        "env": params.get("env"),
        "conf_source": params.get("conf_source"),
    }
    run_kwargs: dict[str, Any] = {
        "pipeline_names": names,
        "tags": tuple(params.get("tags") or ()),
        "node_names": tuple(params.get("node_names") or ()),
        "from_nodes": params.get("from_nodes") or [],
        "to_nodes": params.get("to_nodes") or [],
        "from_inputs": params.get("from_inputs") or [],
        "to_outputs": params.get("to_outputs") or [],
        "namespaces": params.get("namespaces") or [],
        "load_versions": params.get("load_versions") or {},
        "only_missing_outputs": bool(params.get("only_missing_outputs")),
        "runner": runner,
    }
    runtime_params = params.get("params") or {}
    if issubclass(run_compat.session_class(), KedroSession):
        create_kwargs["runtime_params"] = runtime_params
    else:
        run_kwargs["runtime_params"] = runtime_params
    return create_kwargs, run_kwargs


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- what the run tells us ------------------------------------------------------------------------


class _Watch:
    """The plugin's listener: hands events to the writer and remembers how the session went."""

    def __init__(self, writer: _EventLines | None) -> None:
        self.writer = writer
        self.run_id: str | None = None  # Kedro's, once the session exists
        self.started: SessionStarted | None = None
        self.finished: SessionFinished | None = None
        self._ended = threading.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, SessionStarted):
            self.started = event
            for name in LAUNCH_VARS:  # recorded now; a run the nodes start is a run of its own
                os.environ.pop(name, None)
        elif isinstance(event, SessionFinished):
            self.finished = event
            self._ended.set()
        if self.writer is not None:
            self.writer(event)

    @property
    def status(self) -> str | None:
        return self.finished.status if self.finished is not None else None

    def cancelled(self, signal_name: str) -> None:
        """End the record ``cancelled`` now, before the stream closes.

        Kedro calls no hook when a run is interrupted; the plugin's monitor notices within a
        moment, and whichever of us is first ends the record (once). Either way the
        ``session_finished`` event is waited for, so it is the stream's last line.
        """
        if self.started is None or self.run_id is None:
            return
        from proj_tui.kedro.plugin import hooks

        recording = hooks.recording(self.run_id)
        if recording is not None and self.finished is None:
            message = f"The run was cancelled by {signal_name}."
            error = {"type": "Cancelled", "message": message, "traceback": None}
            recording.finish("cancelled", error)
        self._ended.wait(10)

    def start_failed(self, message: str) -> int:
        if self.writer is not None:
            self.writer(StartError(message, None))
        with contextlib.suppress(OSError):
            sys.stderr.write(f"Error: {message}\n")
        return EXIT_USAGE

    def finish_line(self) -> None:
        """``Session … succeeded in 1.23s`` on stderr, as ``proj-tui run`` ends (not in events mode)."""
        done = self.finished
        if self.writer is not None or done is None:
            return
        took = f" in {done.duration:.2f}s" if done.duration is not None else ""
        with contextlib.suppress(OSError):
            sys.stderr.write(f"Session {done.session_id} {done.status}{took}\n")


class _EventLines:
    """Events as JSON lines on a private copy of stdout, log lines flushed at most 50 ms apart."""

    INTERVAL = 0.05

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._gone = False
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="proj-tui-events", daemon=True)
        self._ticker.start()

    def __call__(self, event: Event) -> None:
        line = event.to_json()
        with self._lock:
            if self._stop.is_set():  # closed: what comes after the end has no reader
                return
            self._buffer.append(line)
            if type(event) is not LogMessage:
                self._flush_locked()

    def _tick(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            with self._lock:
                self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._buffer:
            return
        lines, self._buffer = self._buffer, []
        if self._gone:
            return
        try:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()
        except OSError:  # the reader went away: the run goes on, the store keeps its record
            self._gone = True

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._flush_locked()


def _take_stdout() -> IO[str]:
    """Keep fd 1 for events; anything else written there (a print, a C library) goes to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(events_fd, "w", encoding="utf-8", errors="replace", buffering=1 << 16)


def _prints_to_log() -> None:
    """What nodes print becomes log records (so events), once no handler prints to stdout."""
    sys.stdout.flush()
    sys.stdout = _PrintToLog(logging.getLogger("stdout"))
    logging.getLogger("stdout").setLevel(logging.INFO)


class _PrintToLog:
    """Stands in for stdout in events mode: what nodes print becomes log records, line by line."""

    encoding = "utf-8"

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._partial = ""
        self._inside = threading.local()

    def write(self, text: str) -> int:
        if getattr(self._inside, "on", False):  # a handler printing a record: not a loop
            sys.stderr.write(text)
            return len(text)
        self._inside.on = True
        try:
            *lines, self._partial = (self._partial + text).split("\n")
            for line in lines:
                self._logger.info(line)
        finally:
            self._inside.on = False
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._logger.info(self._partial)
            self._partial = ""

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def _leave_console_to_events() -> None:
    """Detach the handlers that print log records to the terminal (Kedro's rich or console ones).

    In events mode each record already reaches the reader as a ``log`` event; printed too, it
    would show twice. File handlers (``info.log``) stay, as under ``kedro run``.
    """
    consoles = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)}
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in list(lg.handlers):
            if isinstance(handler, logging.FileHandler):
                continue
            stream = getattr(handler, "stream", None)
            if id(stream) in consoles or "RichHandler" in type(handler).__name__:
                lg.removeHandler(handler)
    # with no handler left, logging's last resort would print warnings to stderr after all
    logging.getLogger().addHandler(logging.NullHandler())


def _install_signal_handlers() -> None:
    """SIGTERM cancels like Ctrl+C (the app's cancel escalates to it), so the run ends cancelled."""

    def cancel(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    def terminate(signum: int, frame: Any) -> None:
        handler = signal.getsignal(signal.SIGINT)  # the plugin's, once a run is under way:
        if callable(handler):  # it notes the interruption, then calls ours
            handler(signum, frame)
        cancel(signum, frame)

    signal.signal(signal.SIGINT, cancel)
    signal.signal(signal.SIGTERM, terminate)


if __name__ == "__main__":
    sys.exit(main())
