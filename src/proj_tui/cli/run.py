"""``proj-tui run``: one session, headless, with progress for people or an event stream for programs."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shlex
import signal
import stat
import sys
import threading
import time
import traceback
from typing import IO, TYPE_CHECKING, Any

from proj_tui.cli.common import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, project_path
from proj_tui.cli.output import UsageError, error, is_terminal
from proj_tui.cli.parser import env_var_pairs
from proj_tui.errors import ProjTuiError
from proj_tui.framework import cancel_hold
from proj_tui.framework.events import Event, LogMessage, StartError
from proj_tui.framework.preflight import is_start_error
from proj_tui.framework.printable import printable
from proj_tui.framework.selection import RunSelection, given_flags

# recorded beside the selection's own options (see given_flags)
_FLAG_KEYS = ("env", "params", "runner_params", "events", "parent", "conf_source")


class EventWriter:
    """Writes events as JSON lines to a private copy of stdout, flushed in batches.

    Log lines are buffered and written at most ``FLUSH_INTERVAL`` seconds apart (the recorder's
    thread calls ``flush`` that often too, so a last line never waits for the next one); any other
    event flushes at once, so the end of a node or session is never held back.
    """

    FLUSH_INTERVAL = 0.05

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._last_flush = time.monotonic()
        self.gone: OSError | None = None
        """Set when the stream's reader went away (``| head``): the run goes on without it."""

    def __call__(self, event: Event) -> None:
        line = event.to_json()  # a log line has its own fast encoder (framework.events)
        with self._lock:
            self._buffer.append(line)
            if (
                type(event) is not LogMessage
                or time.monotonic() - self._last_flush > self.FLUSH_INTERVAL
            ):
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        try:
            if self._buffer and self.gone is None:
                self._stream.write("\n".join(self._buffer) + "\n")
            self._buffer.clear()
            self._stream.flush()
        except OSError as exc:  # a broken display is not a failed pipeline
            self._buffer.clear()
            if self.gone is None:
                self.gone = exc
                _reader_gone("the event stream (stdout)", exc, self._stream)
        self._last_flush = time.monotonic()


def _reader_gone(what: str, exc: OSError, stream: IO[str]) -> None:
    """Send what is left for a closed channel (EPIPE, EBADF, EIO) to /dev/null, and say so once.

    The run goes on and is recorded in the store as it ends: only its display was lost.
    """
    with contextlib.suppress(OSError, ValueError):
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
    if what.startswith("the event stream"):  # stderr may still be there to say so
        with contextlib.suppress(OSError):
            os.write(
                2,
                f"proj-tui: {what} was closed ({exc.strerror or exc}); the run goes on and is "
                "recorded in the session store.\n".encode(),
            )


if TYPE_CHECKING:
    _TextStreamHandler = logging.StreamHandler[IO[str]]
else:  # StreamHandler takes a type argument at run time only from Python 3.11
    _TextStreamHandler = logging.StreamHandler


class _PlainHandler(_TextStreamHandler):
    """Log lines on a pipe or file: flushed at most every 50 ms, not once per record.

    A flush per record is a system call per log line, which dominated a 5000-node run. A closed
    channel (``2>&1 | head``, a node closing fd 2) silences the display, never the run.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._last = time.monotonic()

    def flush(self) -> None:
        now = time.monotonic()
        if now - self._last >= 0.05:
            self._last = now
            self._flush_now()

    def _flush_now(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            _reader_gone("stderr", exc, self.stream)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            _reader_gone("stderr", exc, self.stream)
            return
        super().handleError(record)

    def close(self) -> None:
        self._flush_now()
        super().close()


class _PrintToLog(io.TextIOBase):
    """Stands in for stdout in events mode: what nodes print becomes log records, line by line."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = self._partial + text
        *lines, self._partial = data.split("\n")
        for line in lines:
            self._logger.info(line)
        if len(self._partial) > 65536:  # a writer that never ends a line still gets shown
            self._logger.info(self._partial)
            self._partial = ""
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._logger.info(self._partial)
            self._partial = ""


def cmd_run(args: argparse.Namespace) -> int:
    if getattr(args, "queue", False) or getattr(args, "sweep", None):
        from proj_tui.cli.queue_cmd import queue_run  # the worker runs it later (docs/cli.md)

        return queue_run(args)
    from proj_tui.cli.kedro_run import kedro_project, run_kedro

    kedro = kedro_project(args)
    if kedro is not None:  # run by Kedro itself, in the project's interpreter (docs/kedro.md)
        return run_kedro(args, kedro)
    if getattr(args, "watch", False):
        from proj_tui.cli.watch_run import watch_loop

        return watch_loop(args)
    from proj_tui.cli import watchdog

    events_mode = args.events == "json"
    guard = watchdog.start(events_mode)  # reports os._exit / segfault / SIGKILL (see watchdog.py)
    writer = EventWriter(_take_stdout()) if events_mode else None
    try:
        return _run(args, writer, guard)
    finally:
        try:
            if writer is not None:
                writer.flush()  # whatever is still buffered, however the run ended
        finally:
            if guard is not None:
                guard.done()


def _take_stdout() -> IO[str]:
    """Keep the real stdout for events; anything else written to fd 1 goes to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    # errors="replace": a lone surrogate in any event text must not break the stream
    stream = os.fdopen(events_fd, "w", encoding="utf-8", errors="replace", buffering=1 << 16)
    sys.stdout = _PrintToLog(logging.getLogger("stdout"))
    # Records become events that carry level, logger and message only.
    _light_log_records()
    return stream


def _light_log_records() -> None:
    """Skip what a log record gathers for nobody: the caller's file and line (a frame walk) and
    the process and thread names cost ~8 us a record, a third of a trivial node's cost."""
    logging._srcfile = None
    logging.logProcesses = False
    logging.logThreads = False
    logging.logMultiprocessing = False


def _run(args: argparse.Namespace, writer: EventWriter | None, guard: Any = None) -> int:
    """Create the session and run it, the cancelling signals handled from before it exists.

    SIGINT, SIGTERM and SIGHUP are handled from the start (``_install_signal_handlers``), not
    once the session is created: a SIGTERM while the project loaded killed the process, and one
    after ``Session.create`` recorded the row left it ``running`` until it was found
    ``crashed``. Now a cancel before anything is recorded exits 130 saying so, one after is
    recorded ``cancelled`` (``Session.create`` and the ``with session`` entered at once), and
    a hang-up never stops the start.
    """
    _install_signal_handlers()
    try:
        return _create_and_run(args, writer, guard)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _create_and_run(args: argparse.Namespace, writer: EventWriter | None, guard: Any) -> int:
    try:
        session_kwargs, run_kwargs = run_arguments(args)
        from proj_tui.framework.session import Session

        session = Session.create(**session_kwargs)
    except ProjTuiError as exc:
        if writer is not None:
            location = str(exc.location) if exc.location else None
            writer(StartError(str(exc), location))
            writer.flush()
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:  # nothing recorded, or Session.create recorded the cancel
        by = f" by {exc}" if str(exc) else ""
        message = f"Cancelled{by} while the session was starting."
        if writer is not None:
            writer(StartError(message, None))
            writer.flush()
        error(message)
        return EXIT_CANCELLED
    status = EXIT_OK
    display = None
    try:
        with session:  # entered at once: a cancel from here on is recorded as one
            store_path = getattr(session.store, "path", None)
            if guard is not None and store_path is not None and str(store_path) != ":memory:":
                guard.announce(str(store_path), session.session_id)
                session.witness(guard)
            display = None if writer is not None else _make_display()
            if isinstance(display, _PlainDisplay) and not _project_logging(session):
                _light_log_records()  # plain lines show time, level and message only
            scrub = _scrubber(session)
            if display is not None:
                display.handler.addFilter(_ScrubFilter(scrub))  # credentials never reach it
            if writer is not None:
                session.subscribe(writer)
            elif display is not None and hasattr(display, "on_event"):  # the bar follows nodes
                session.subscribe(display.on_event)
            with display or contextlib.nullcontext():
                session.run(**run_kwargs)
    except KeyboardInterrupt:
        status = EXIT_CANCELLED
    except ProjTuiError as exc:
        status = EXIT_FAILED if session.status == "failed" else EXIT_USAGE
        if is_start_error(exc):
            status = EXIT_USAGE
        error(_scrubber(session)(str(exc)))
    except Exception as exc:  # a node raised: recorded by the session; tell the person concisely
        status = EXIT_FAILED
        if writer is None:
            _print_user_traceback(exc, _scrubber(session))
    if session.status == "cancelled":
        status = EXIT_CANCELLED
    if session.record_problem is not None:  # the run may have worked; its record did not
        error(session.record_problem)
        status = status or EXIT_FAILED
    if writer is None:
        _summary(session)
    return status


def run_arguments(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Turn parsed CLI flags into ``Session.create`` and ``Session.run`` keyword arguments."""
    from proj_tui.config import parse_params

    _require_text(args)
    params = parse_params(args.params) if args.params else {}
    env_vars = env_var_pairs(args.env_var or [])
    os.environ.update(env_vars)
    selection = RunSelection.from_args(args)
    runner: Any = None
    if selection.runner or args.runner_params:
        from proj_tui.runner import runner_from_name

        runner_kwargs = parse_params(args.runner_params) if args.runner_params else {}
        if "." in (selection.runner or ""):  # a dotted path may live in the project's src/
            from proj_tui.framework.startup import bootstrap_project

            bootstrap_project(project_path(args.project))
        runner = runner_from_name(selection.runner or "sequential", **runner_kwargs)
    argv = _redact_argv(list(sys.argv))
    command = shlex.join(["proj-tui", *argv[1:]]) if argv else "proj-tui run"
    flags = {key: getattr(args, key) for key in _FLAG_KEYS if getattr(args, key, None)}
    if "params" in flags:
        flags["params"] = _redact_params_text(flags["params"])
    flags.update(given_flags(args))
    if env_vars:
        flags["env_var"] = sorted(env_vars)
    project = project_path(args.project)
    session_kwargs: dict[str, Any] = {
        "project_path": project,
        "conf_source": getattr(args, "conf_source", None),
        "env": args.env,
        "extra_params": params,
        "cli": {"command": command, "argv": argv, "flags": flags},
        "env_vars": env_vars,
        "parent_id": args.parent,
        "selection": selection,  # checked before anything is recorded
    }
    run_kwargs: dict[str, Any] = dict(selection.run_kwargs())
    run_kwargs["runner"] = runner
    return session_kwargs, run_kwargs


def _require_text(args: argparse.Namespace) -> None:
    """Refuse an argument that is not valid UTF-8 (``$'caf\\xe9'``), naming it, before anything
    tries to record it: the store, the events and the command line are all UTF-8 text."""
    for key, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raw = item.encode("utf-8", "surrogateescape")
                flag = "--" + key.replace("_", "-")
                raise UsageError(
                    f"{flag} {raw!r} is not valid UTF-8 text. proj-tui records every argument as "
                    f"text: pass it encoded as UTF-8 (e.g. {raw.decode('latin-1')!r} in a UTF-8 "
                    "terminal)."
                ) from None


def _redact_argv(argv: list[str]) -> list[str]:
    """The command line as recorded: secret env var values and parameter values redacted.

    ``--env-var API_TOKEN=…`` becomes ``--env-var API_TOKEN=<redacted>``; ``--params`` is rewritten
    with ``redact_params`` (secret-looking keys, URL passwords, token-shaped values).
    """
    from proj_tui.framework.redact import REDACTED, is_secret_name, redact_value

    def scrub(pair: str) -> str:
        name, sep, value = pair.partition("=")
        if not sep:
            return pair
        return f"{name}={REDACTED if is_secret_name(name.strip()) else redact_value(value)}"

    scrubbers = {"--env-var": scrub, "--params": _redact_params_text}
    out: list[str] = []
    for index, item in enumerate(argv):
        flag, sep, value = item.partition("=")
        if index and argv[index - 1] in scrubbers:
            item = scrubbers[argv[index - 1]](item)
        elif sep and flag in scrubbers:
            item = f"{flag}={scrubbers[flag](value)}"
        out.append(item)
    return out


def _redact_params_text(text: str) -> str:
    """A ``--params`` string with its secrets redacted (whole, if it cannot be rewritten)."""
    from proj_tui.config import ParamsError, format_params, parse_params
    from proj_tui.framework.redact import REDACTED, redact_params

    try:
        parsed = parse_params(text)
        redacted = redact_params(parsed)
        return text if redacted == parsed else format_params(redacted)
    except ParamsError:
        return REDACTED


def _install_signal_handlers() -> None:
    """SIGTERM cancels like Ctrl+C, so the session is recorded as cancelled, not crashed.

    SIGHUP (the terminal was closed) does not stop the run: a session outlives the terminal
    that started it. Output to the gone terminal is sent to /dev/null from then on, and the
    hang-up is logged, so the record says why the display ends there.
    """

    def cancel(signum: int, frame: Any) -> None:
        cancel_hold.cancel(signal.Signals(signum).name)  # KeyboardInterrupt, now or soon

    signal.signal(signal.SIGTERM, cancel)
    signal.signal(signal.SIGINT, cancel)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _hung_up)


def _hung_up(signum: int, frame: Any) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):  # a terminal (a hung-up one fails isatty)
                    os.dup2(devnull, fd)
    finally:
        os.close(devnull)
    # from another thread: the handler may have interrupted this one inside a logging or
    # event-writer lock, and logging here would wait on it forever
    threading.Thread(
        target=logging.getLogger("proj_tui.run").warning,
        args=(
            "The terminal hung up (SIGHUP); the run goes on, and its log is kept in the "
            "session store.",
        ),
        daemon=True,
    ).start()


def _scrubber(session: Any) -> Any:
    """The session's secret scrubber (credentials, secret env values), or identity."""
    redactor = getattr(session, "_redactor", None)
    return redactor.scrub if redactor is not None else (lambda text: text)


class _ScrubFilter(logging.Filter):
    """Replaces known secret values in a record's message before a display handler shows it,
    and shows control characters instead of sending them to the terminal (``printable``)."""

    def __init__(self, scrub: Any) -> None:
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = printable(self._scrub(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _print_user_traceback(exc: BaseException, scrub: Any = None) -> None:
    scrub = scrub or (lambda text: text)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/proj_tui/" not in f.filename]
    if frames:
        sys.stderr.write("Traceback (most recent call last, proj-tui frames hidden):\n")
        sys.stderr.write(scrub("".join(traceback.format_list(frames))))
    sys.stderr.write(scrub(f"{type(exc).__name__}: {exc}") + "\n")


def _summary(session: Any) -> None:
    try:
        _write_summary(session)
    except OSError as exc:  # stderr was closed under us: the store has the outcome
        _reader_gone("stderr", exc, sys.stderr)


def _write_summary(session: Any) -> None:
    record = session.store.get_session(session.session_id)
    started, ended = record.started_at, record.ended_at or time.time()
    status = session.status
    line = f"Session {session.session_id} {status} in {ended - started:.2f}s"
    if is_terminal(sys.stderr):
        colour = {"succeeded": "32", "failed": "31", "cancelled": "33"}.get(status, "0")
        line = f"\x1b[1;{colour}m{line}\x1b[0m"
    sys.stderr.write(line + "\n")


def _project_logging(session: Any) -> bool:
    """Whether the project has a logging file (``conf/*/logging.yml``): its handlers may show
    a record's file, line or thread, so records keep them."""
    loader = session.config_loader
    try:
        return "logging" in loader.config_patterns and bool(loader.files("logging"))
    except ProjTuiError:  # a broken file: the session reports it when it loads the context
        return True


def _make_display() -> Any:
    """A progress display on stderr: Rich in a terminal, plain log lines otherwise."""
    if is_terminal(sys.stderr):
        from proj_tui.cli.progress import RichProgress

        return RichProgress()
    return _PlainDisplay()


class _PlainDisplay:
    """Log lines on stderr while the session runs; nothing else (a pipe or a CI log)."""

    def __init__(self) -> None:
        sys.stderr.flush()
        # stderr is line-buffered even on a pipe: one system call per log line. Our own
        # block-buffered writer on the same fd, flushed every 50 ms, is ~10x cheaper.
        self.stream = open(  # noqa: SIM115 - closed in __exit__
            sys.stderr.fileno(),
            "w",
            buffering=1 << 16,
            encoding=sys.stderr.encoding,
            errors="backslashreplace",
            closefd=False,
        )
        self.handler = _PlainHandler(self.stream)
        self.handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S")
        )
        self.handler.setLevel(logging.INFO)

    def __enter__(self) -> _PlainDisplay:
        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        with contextlib.suppress(OSError):
            self.stream.close()
