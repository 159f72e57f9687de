"""App benchmark: start-up to first screen, and a run streaming 100k log lines while keys are pressed.

    .venv/bin/python benches/app.py [--lines 100000] [--repeat 5] [--keys 100] [--real]

Everything runs the real app in a pseudo-terminal (120x40) with Textual's real Linux driver, so
input parsing and screen output are included; the parent drains the terminal output as a terminal
would.

1. **Start-up**: wall time from just before spawning ``python -c "…run_app(project)"`` to the app's
   first paint of the Project screen (the app writes a timestamp to ``$PROJ_TUI_READY_FILE`` in a
   ``call_after_refresh`` from ``on_mount``, i.e. once the first frame was sent to the terminal).
   This includes interpreter start and every import. Pipelines are described afterwards in a worker
   (a separate ``proj-tui pipelines describe`` process); the time until they are shown is reported too.
2. **Streaming**: the app launches a session (ctrl+r) whose child writes ``--lines`` log events as
   fast as it can (a small emitter speaking docs/events.md, or with ``--real`` the real
   ``proj-tui run`` of a node that logs that many lines). Reported: lines/s *shown* (first log line
   received by the UI → last line written to the Log widget), key latency while streaming (F12 bytes
   written to the terminal → the bound action running in the app, median and p95 over ``--keys``
   presses at ~40/s), and the app process's peak RSS (``ru_maxrss``) before and after the stream.

Budgets (design §5): first screen <= 0.5 s; >= 50k lines/s; median key latency <= 50 ms; memory
bounded (the Log keeps at most 20k lines).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
F12 = b"\x1b[24~"
CTRL_R = b"\x12"
CTRL_Q = b"\x11"

EMITTER = r"""
import json, os, sys, time
n = int(os.environ.get("BENCH_LINES", "100000"))
out = sys.stdout
def emit(**f):
    f.setdefault("ts", time.time()); f.setdefault("session_id", "bench")
    out.write(json.dumps(f) + "\n"); out.flush()
emit(event="session_started", v=1, project_path=os.getcwd(), package_name="bench", env="local",
     pipeline="__default__", runner="sequential", runtime_params={}, nodes=["spam"], pid=os.getpid())
emit(event="node_started", node="spam", index=0, total=1)
start = time.time()
chunk = []
for i in range(n):
    chunk.append(json.dumps({"event": "log", "ts": start, "session_id": "bench", "level": "INFO",
                             "logger": "bench.spam", "message": f"line {i} of {n}: " + "x" * 48}))
    if len(chunk) == 500:
        out.write("\n".join(chunk) + "\n"); chunk = []
if chunk:
    out.write("\n".join(chunk) + "\n")
out.flush()
emit(event="node_finished", node="spam", index=0, total=1, duration=time.time() - start)
emit(event="session_finished", status="succeeded", duration=time.time() - start, error=None, resume=None)
"""

SPAM_NODE = """
import logging

log = logging.getLogger(__name__)


def spam(n):
    for i in range(n):
        log.info("line %d of %d: %s", i, n, "x" * 48)
    return n
"""

SPAM_REGISTRY = """
from proj_tui.pipeline import Pipeline, node
from {package}.spam import spam


def register_pipelines():
    return {{"__default__": Pipeline([node(spam, "params:bench_lines", "spam_done", name="spam")])}}
"""


# --- the app side (runs inside the pty) ----------------------------------------------------------


def child_main(project: Path, cli: list[str], out_path: Path, lines: int) -> None:
    """The real app plus a bench-only F12 binding and a progress probe, reporting to a file."""
    import resource

    from textual.binding import Binding

    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.components.log_pane import LogPane

    out = open(out_path, "a", buffering=1)  # noqa: SIM115 - kept open for the app's lifetime

    def report(**fields: object) -> None:
        out.write(json.dumps(fields) + "\n")

    class BenchApp(ProjTuiApp):
        BINDINGS = [*ProjTuiApp.BINDINGS, Binding("f12", "bench_ping", "ping", show=False)]

        def on_mount(self) -> None:  # ProjTuiApp.on_mount runs too (Textual walks the MRO)
            self.bench_presses = 0
            self.bench_first_line: float | None = None
            self.bench_done = False
            self.set_interval(0.01, self._bench_probe)
            self.call_after_refresh(lambda: report(kind="ready", t=time.monotonic()))

        def on_pipelines_described(self, message: object) -> None:
            report(kind="described", t=time.monotonic())

        def action_bench_ping(self) -> None:
            report(kind="key", i=self.bench_presses, t=time.monotonic())
            self.bench_presses += 1

        def _bench_probe(self) -> None:
            if self.bench_done:
                return
            logs = list(self.screen.query(LogPane))
            if not logs:
                return
            received = logs[0].received
            now = time.monotonic()
            if received and self.bench_first_line is None:
                self.bench_first_line = now
                report(kind="first_line", t=now, rss_kb=_rss_kb())
            if received >= lines:
                self.bench_done = True
                report(
                    kind="lines_done",
                    t=now,
                    received=received,
                    kept=logs[0].line_count,
                    rss_kb=_rss_kb(),
                    maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                )

    def _rss_kb() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    app = BenchApp(project, cli=cli)
    app.run()
    report(kind="exit", maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# --- the terminal side ---------------------------------------------------------------------------


class Terminal:
    """A pty running one command; output is drained continuously like a real terminal would."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.master = master
        self.start = time.time()
        self.start_mono = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.received = 0
        self.tail: bytes | None = b"" if os.environ.get("BENCH_DEBUG") else None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)
            if self.tail is not None:
                self.tail = (self.tail + data)[-20000:]

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self, timeout: float = 10.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()
        finally:
            os.close(self.master)


def wait_for(predicate, timeout: float, step: float = 0.005):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def read_reports(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bench_startup(project: Path, repeat: int, argv: list[str]) -> dict[str, float]:
    ready, described = [], []
    for i in range(repeat):
        ready_file = project.parent / f"ready-{i}.txt"
        ready_file.unlink(missing_ok=True)
        env = {**os.environ, "PROJ_TUI_READY_FILE": str(ready_file), "TERM": "xterm-256color"}
        term = Terminal(argv, env, project)
        stamp = wait_for(lambda f=ready_file: f.exists() and f.read_text().strip(), 20)
        if stamp:
            ready.append(float(stamp.split()[0]) - term.start)
        time.sleep(1.5)  # let the describe worker finish so its time can be read
        term.send(CTRL_Q)
        term.close()
        lines = ready_file.read_text().split() if ready_file.exists() else []
        if len(lines) > 1:
            described.append(float(lines[1]) - term.start)
    return {
        "ready_median": statistics.median(ready),
        "ready_min": min(ready),
        "ready_max": max(ready),
        "described_median": statistics.median(described) if described else float("nan"),
    }


def bench_stream(project: Path, cli: list[str], lines: int, keys: int) -> dict[str, float]:
    out_path = project.parent / "stream-report.jsonl"
    out_path.unlink(missing_ok=True)
    env = {**os.environ, "TERM": "xterm-256color", "BENCH_LINES": str(lines)}
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(project),
        "--out",
        str(out_path),
        "--lines",
        str(lines),
        "--cli-json",
        json.dumps(cli),
    ]
    term = Terminal(argv, env, project)
    try:
        if not wait_for(lambda: any(r["kind"] == "described" for r in read_reports(out_path)), 30):
            tail = (term.tail or b"").decode(errors="replace")[-3000:]
            raise SystemExit(f"the app did not load the project in 30 s\n{tail}")
        time.sleep(0.3)
        term.send(CTRL_R)
        if not wait_for(lambda: any(r["kind"] == "first_line" for r in read_reports(out_path)), 30):
            tail = (term.tail or b"").decode(errors="replace")[-6000:]
            raise SystemExit(f"no log line reached the app in 30 s\n{tail}")
        sent: list[float] = []
        while len(sent) < keys:
            sent.append(time.monotonic())
            term.send(F12)
            time.sleep(0.025)
            if any(r["kind"] == "lines_done" for r in read_reports(out_path)) and len(sent) >= 20:
                break
        wait_for(lambda: any(r["kind"] == "lines_done" for r in read_reports(out_path)), 120)
        time.sleep(0.5)
        reports = read_reports(out_path)
    finally:
        term.send(CTRL_Q)
        time.sleep(0.3)
        term.send(b"y")
        term.close()
    reports = read_reports(out_path)
    first = next(r for r in reports if r["kind"] == "first_line")
    done = next((r for r in reports if r["kind"] == "lines_done"), None)
    pressed = {int(r["i"]): float(r["t"]) for r in reports if r["kind"] == "key"}  # type: ignore[arg-type]
    latencies = sorted((pressed[i] - t) * 1000 for i, t in enumerate(sent) if i in pressed)
    streaming_until = float(done["t"]) if done else float("inf")  # type: ignore[arg-type]
    during = sorted(
        (pressed[i] - t) * 1000 for i, t in enumerate(sent) if i in pressed and t < streaming_until
    )
    exit_report = next((r for r in reports if r["kind"] == "exit"), {})
    result = {
        "lines": float(lines),
        "stream_seconds": (float(done["t"]) - float(first["t"])) if done else float("nan"),  # type: ignore[arg-type]
        "keys_sent": float(len(sent)),
        "keys_handled": float(len(latencies)),
        "keys_during_stream": float(len(during)),
        "latency_median_ms": statistics.median(during or latencies) if latencies else float("nan"),
        "latency_p95_ms": (during or latencies)[int(0.95 * (len(during or latencies) - 1))]
        if latencies
        else float("nan"),
        "rss_before_kb": float(first.get("rss_kb", 0)),  # type: ignore[arg-type]
        "rss_after_kb": float(done.get("rss_kb", 0)) if done else float("nan"),  # type: ignore[union-attr, arg-type]
        "maxrss_kb": float(exit_report.get("maxrss_kb", done.get("maxrss_kb", 0) if done else 0)),  # type: ignore[union-attr, arg-type]
        "kept_lines": float(done.get("kept", 0)) if done else float("nan"),  # type: ignore[union-attr, arg-type]
        "terminal_bytes": float(term.received),
    }
    result["lines_per_s"] = lines / result["stream_seconds"] if done else 0.0
    return result


def make_project(base: Path, real: bool, lines: int) -> Path:
    sys.path.insert(0, str(ROOT / "src"))
    from proj_tui.cli.new import create_project

    project = create_project(base / "taxi")
    if real:
        package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())
        (package / "spam.py").write_text(SPAM_NODE)
        (package / "pipeline_registry.py").write_text(SPAM_REGISTRY.format(package=package.name))
        params = project / "conf" / "base" / "parameters.yml"
        params.write_text(params.read_text() + f"\nbench_lines: {lines}\n")
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--real", action="store_true", help="stream from a real `proj-tui run`")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cli-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, json.loads(args.cli_json), args.out, args.lines)
        return 0

    base = Path(tempfile.mkdtemp(prefix="proj-tui-bench-app-"))
    try:
        project = make_project(base, args.real, args.lines)
        emitter = base / "emitter.py"
        emitter.write_text(EMITTER)
        if args.real:
            cli = [sys.executable, "-m", "proj_tui"]
        else:  # `run` goes to the emitter; `pipelines describe` still to the real CLI
            wrapper = base / "cli.py"
            wrapper.write_text(
                "import os, sys, runpy\n"
                "if sys.argv[1:2] == ['run']:\n"
                f"    sys.argv = [{str(emitter)!r}]; runpy.run_path({str(emitter)!r})\n"
                "else:\n"
                "    os.execv(sys.executable, [sys.executable, '-m', 'proj_tui', *sys.argv[1:]])\n"
            )
            cli = [sys.executable, str(wrapper)]

        print(
            f"proj-tui app benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
            f"load average {os.getloadavg()[0]:.2f} at start: other work on the machine skews it)"
        )
        code = (
            "import sys; from pathlib import Path; from proj_tui.tui.app import run_app; "
            "sys.exit(run_app(Path(sys.argv[1])))"
        )
        console_script = Path(sys.executable).with_name("proj-tui")
        for label, argv in (
            ("python -c run_app(PATH)", [sys.executable, "-c", code, str(project)]),
            ("proj-tui PATH (the CLI)", [str(console_script), str(project)]),
        ):
            if not Path(argv[0]).exists():
                continue
            start = bench_startup(project, args.repeat, argv)
            ok = "OK " if start["ready_median"] <= 0.5 else "OVER"
            print(
                f"start-up to first screen, {label}: median {start['ready_median']:.3f} s "
                f"(min {start['ready_min']:.3f}, max {start['ready_max']:.3f}, n={args.repeat})"
                f"   budget 0.5 s  {ok}"
            )
            print(
                "  then pipelines shown (described by a child process): median "
                f"{start['described_median']:.3f} s"
            )
        if args.real:  # how fast the producer alone is, so the app's share can be told apart
            t0 = time.perf_counter()
            subprocess.run(
                [*cli, "run", "--project", str(project), "--events", "json"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            alone = time.perf_counter() - t0
            print(
                f"  producer alone: `proj-tui run --events json > /dev/null` takes {alone:.2f} s "
                f"for {args.lines} lines ({args.lines / alone:,.0f} lines/s, whole process)"
            )
        source = "real `proj-tui run`" if args.real else "event emitter"
        res = bench_stream(project, cli, args.lines, args.keys)
        ok = "OK " if res["lines_per_s"] >= 50_000 else "UNDER"
        print(
            f"streaming {int(res['lines'])} log lines from a {source}: "
            f"{res['lines_per_s']:,.0f} lines/s shown ({res['stream_seconds']:.2f} s)"
            f"   budget >= 50,000/s  {ok}"
        )
        ok = "OK " if res["latency_median_ms"] <= 50 else "OVER"
        print(
            f"key latency while streaming: median {res['latency_median_ms']:.1f} ms, "
            f"p95 {res['latency_p95_ms']:.1f} ms ({int(res['keys_during_stream'])} presses during "
            f"the stream, {int(res['keys_handled'])}/{int(res['keys_sent'])} handled)"
            f"   budget median <= 50 ms  {ok}"
        )
        print(
            f"memory: RSS {res['rss_before_kb'] / 1024:.0f} MB at the first line, "
            f"{res['rss_after_kb'] / 1024:.0f} MB after all lines; peak RSS "
            f"{res['maxrss_kb'] / 1024:.0f} MB; Log keeps {int(res['kept_lines'])} lines (bounded)"
        )
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
