"""A stand-in for ``proj-tui`` in app tests that need a run to behave in a chosen, repeatable way.

``run`` emits the event stream of docs/events.md, written with ``framework.events`` like the real
one; what it does is chosen with the ``FAKE_RUN`` environment variable (``succeed``, ``fail``,
``crash``, ``segfault``, ``hang``, ``stubborn`` — ignores SIGINT/SIGTERM —, ``spam:N`` log lines as
fast as possible, ``start_error``). With ``FAKE_DESCRIBE_GATE=PATH``, ``pipelines`` waits for that
file to exist first (a test looks at the app before the pipelines are described).
Every other subcommand is handed to the real CLI, so pipelines are described for real.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from proj_tui.framework.events import (
    ErrorDetail,
    ErrorSummary,
    Event,
    LogMessage,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    SessionFinished,
    SessionStarted,
    StartError,
)

TS = 1_700_000_000.0  # fixed timestamps keep snapshots stable
SID = "2026-01-01T00.00.00.000Z"
NODES = ["ingest", "clean", "train", "report"]


def emit(event: Event) -> None:
    sys.stdout.write(event.to_json() + "\n")
    sys.stdout.flush()


def finished(status: str, duration: float, error: ErrorDetail | None = None, resume=None) -> None:
    emit(SessionFinished(SID, status, duration, error, resume, TS))


def run(args: list[str]) -> int:
    mode = os.environ.get("FAKE_RUN", "succeed")
    env = args[args.index("--env") + 1] if "--env" in args else "local"
    if mode == "start_error":
        emit(StartError("Unknown pipeline 'nope'. Did you mean 'etl'?", None, TS))
        return 2
    emit(
        SessionStarted(
            session_id=SID,
            project_path=os.getcwd(),
            package_name="fake",
            env=env,
            pipeline="__default__",
            runner="sequential",
            runtime_params={},
            nodes=NODES,
            pid=os.getpid(),
            ts=TS,
        )
    )
    if mode.startswith("spam:"):
        count = int(mode.split(":")[1])
        emit(NodeStarted("ingest", 0, 4, TS, SID))
        chunk = []
        for i in range(count):
            chunk.append(LogMessage(TS, "INFO", "spam", f"line {i} " + "x" * 40, SID).to_json())
            if len(chunk) == 1000:
                sys.stdout.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            sys.stdout.write("\n".join(chunk) + "\n")
        sys.stdout.flush()
        emit(NodeFinished("ingest", 0, 4, 0.5, TS, SID))
        finished("succeeded", 1.0)
        return 0
    if mode == "stubborn":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    total = len(NODES)
    for i, name in enumerate(NODES):
        emit(NodeStarted(name, i, total, TS, SID))
        emit(LogMessage(TS, "INFO", f"fake.{name}", f"running {name}", SID))
        if mode == "fail" and name == "train":
            error = ErrorSummary("ValueError", "lr must be positive")
            emit(NodeFailed(name, i, total, 0.25, error, TS, SID))
            message = "Node train failed:\nValueError: lr must be positive"
            emit(LogMessage(TS, "ERROR", "proj_tui", message, SID))
            detail = ErrorDetail("ValueError", "lr must be positive", "...")
            finished("failed", 1.5, detail, "proj-tui run --from-nodes train")
            return 1
        if mode == "crash" and name == "train":
            sys.stderr.write("fatal: node called os._exit\n")
            sys.stderr.flush()
            os._exit(3)
        if mode == "segfault" and name == "train":
            os.kill(os.getpid(), signal.SIGSEGV)
        if mode in ("hang", "stubborn") and name == "train":
            try:
                while True:
                    time.sleep(0.05)
            except KeyboardInterrupt:
                error = ErrorSummary("KeyboardInterrupt", "")
                emit(NodeFailed(name, i, total, 1.0, error, TS, SID))
                finished("cancelled", 2.0)
                return 130
        emit(NodeFinished(name, i, total, 0.25 * (i + 1), TS, SID))
    finished("succeeded", 2.5)
    return 0


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "run":
        return run(args[1:])
    gate = os.environ.get("FAKE_DESCRIBE_GATE")
    if gate and args and args[0] == "pipelines":
        while not os.path.exists(gate):
            time.sleep(0.02)
    os.execv(sys.executable, [sys.executable, "-m", "proj_tui", *args])
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
