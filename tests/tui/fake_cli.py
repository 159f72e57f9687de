"""A stand-in for ``proj-tui`` in app tests that need a run to behave in a chosen, repeatable way.

``run`` emits the event stream of docs/events.md; what it does is chosen with the
``FAKE_RUN`` environment variable (``succeed``, ``fail``, ``crash``, ``segfault``, ``hang``,
``stubborn`` — ignores SIGINT/SIGTERM —, ``spam:N`` log lines as fast as possible, ``start_error``).
Every other subcommand is handed to the real CLI, so pipelines are described for real.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

TS = 1_700_000_000.0  # fixed timestamps keep snapshots stable
NODES = ["ingest", "clean", "train", "report"]


def emit(event: str, **fields: object) -> None:
    fields.setdefault("ts", TS)
    sys.stdout.write(
        json.dumps({"event": event, "session_id": "2026-01-01T00.00.00.000Z", **fields})
    )
    sys.stdout.write("\n")
    sys.stdout.flush()


def run(args: list[str]) -> int:
    mode = os.environ.get("FAKE_RUN", "succeed")
    env = args[args.index("--env") + 1] if "--env" in args else "local"
    if mode == "start_error":
        emit("error", message="Unknown pipeline 'nope'. Did you mean 'etl'?", location=None)
        return 2
    emit(
        "session_started",
        v=1,
        project_path=os.getcwd(),
        package_name="fake",
        env=env,
        pipeline="__default__",
        runner="sequential",
        runtime_params={},
        nodes=NODES,
        pid=os.getpid(),
    )
    if mode.startswith("spam:"):
        count = int(mode.split(":")[1])
        emit("node_started", node="ingest", index=0, total=4)
        chunk = []
        for i in range(count):
            chunk.append(
                json.dumps(
                    {
                        "event": "log",
                        "ts": TS,
                        "session_id": "x",
                        "level": "INFO",
                        "logger": "spam",
                        "message": f"line {i} " + "x" * 40,
                    }
                )
            )
            if len(chunk) == 1000:
                sys.stdout.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            sys.stdout.write("\n".join(chunk) + "\n")
        sys.stdout.flush()
        emit("node_finished", node="ingest", index=0, total=4, duration=0.5)
        emit("session_finished", status="succeeded", duration=1.0, error=None, resume=None)
        return 0
    if mode == "stubborn":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for i, name in enumerate(NODES):
        emit("node_started", node=name, index=i, total=len(NODES))
        emit("log", level="INFO", logger=f"fake.{name}", message=f"running {name}")
        if mode == "fail" and name == "train":
            emit(
                "node_failed",
                node=name,
                index=i,
                total=len(NODES),
                duration=0.25,
                error={"type": "ValueError", "message": "lr must be positive"},
            )
            emit(
                "log",
                level="ERROR",
                logger="proj_tui",
                message="Node train failed:\nValueError: lr must be positive",
            )
            emit(
                "session_finished",
                status="failed",
                duration=1.5,
                error={"type": "ValueError", "message": "lr must be positive", "traceback": "..."},
                resume="proj-tui run --from-nodes train",
            )
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
                emit(
                    "node_failed",
                    node=name,
                    index=i,
                    total=len(NODES),
                    duration=1.0,
                    error={"type": "KeyboardInterrupt", "message": ""},
                )
                emit("session_finished", status="cancelled", duration=2.0, error=None, resume=None)
                return 130
        emit("node_finished", node=name, index=i, total=len(NODES), duration=0.25 * (i + 1))
    emit("session_finished", status="succeeded", duration=2.5, error=None, resume=None)
    return 0


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "run":
        return run(args[1:])
    os.execv(sys.executable, [sys.executable, "-m", "proj_tui", *args])
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
