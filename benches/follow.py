"""Following a live session: line-to-screen latency, and the app's CPU while it follows.

    .venv/bin/python benches/follow.py [--lines 200] [--rate 20] [--idle-seconds 20] [--repeat 3]

A real ``proj-tui run`` (the ticker project of tests/tui/ticker_project.py, started as a shell would
start it) logs one line every ``1/rate`` seconds, each carrying the wall-clock time it was logged
(``at=…``). The real app runs in a pseudo-terminal (120x40, Textual's Linux driver, its output
drained as a terminal would), attaches to that session from its Runs screen's live list (the path
a user takes: the list's worker finds it, ``RunsScreen.attach`` opens the tab) and follows it.

1. **Latency**: for every line logged after the tab attached, the time from ``at=`` to the frame
   after the Log got it (``call_after_refresh`` once ``LogPane.add_records`` returned), so the
   run's recorder flush, the store, the follower's poll, the tab's frame and the paint are all in.
   Median and p95 over ``--lines`` lines. Budget (issue 17): 250 ms.
2. **CPU at idle**: the ticker logs one line a second ("idle-logging"), the app follows it, and the
   app process's CPU time (utime + stime of every thread, from /proc) is read over
   ``--idle-seconds``; beside it, side by side in the same run, the same app on the same project
   with no tab attached (what the app costs anyway: its timers, the live list's poll). Budget:
   following costs at most 2% of a core.

Each figure is the median and spread of ``--repeat`` runs (the runs of each kind interleaved, so a
change of the machine's load falls on all of them); the load average is printed before and after.
Wall-clock figures on a loaded machine are noise upward: the latency's floor is set by the
recorder's flush interval (0.1 s while followed, framework/followers.py; 0.2 s otherwise); the
follower is woken by the store's writes (framework/follow.py, StoreWrites), 10 ms after each.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CTRL_Q = b"\x11"
LATENCY_BUDGET_S = 0.250
CPU_BUDGET = 0.02  # of one core
SETTLE_S = 5.0  # lines logged this soon after attaching are not timed (the app's start-up work)
AT = re.compile(r"tick (\d+) at=(\d+\.\d+)")


# --- the app side (runs inside the pty) ----------------------------------------------------------


def child_main(project: Path, out_path: Path) -> None:
    """The real app, which attaches to the first live session it lists and reports to a file."""
    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.components.log_pane import LogPane
    from proj_tui.tui.screens.runs import RunsScreen

    out = open(out_path, "a", buffering=1)  # noqa: SIM115 - kept open for the app's lifetime
    attach = os.environ.get("BENCH_ATTACH", "1") == "1"

    def report(**fields: object) -> None:
        out.write(json.dumps(fields) + "\n")

    class BenchApp(ProjTuiApp):
        def on_mount(self) -> None:  # ProjTuiApp.on_mount runs too (Textual walks the MRO)
            self.bench_stage = "waiting"
            self.bench_probe = self.set_interval(0.05, self._bench_probe)

        async def _bench_probe(self) -> None:
            if self.bench_stage != "waiting" or not self.state.live:
                return
            self.bench_stage = "attaching"
            if not attach:
                report(kind="attached", t=time.time(), pid=os.getpid())
                self.bench_probe.stop()
                return
            await self.switch_mode("runs")
            screen = self.screen
            assert isinstance(screen, RunsScreen)
            tab = await screen.attach(self.state.live[0].session_id)
            assert tab is not None
            pane = tab.query_one(LogPane)
            original = pane.add_records
            attached = time.time()

            def add_records(records: list[Any]) -> None:
                original(records)
                lines = [r.message for r in records]
                self.call_after_refresh(lambda: shown(lines))

            def shown(lines: list[str]) -> None:
                now = time.time()
                for line in lines:
                    match = AT.search(line)
                    if match and float(match.group(2)) > attached + SETTLE_S:
                        report(kind="line", i=int(match.group(1)), at=float(match.group(2)), t=now)

            pane.add_records = add_records  # type: ignore[method-assign]
            report(kind="attached", t=attached, pid=os.getpid())
            self.bench_probe.stop()

    BenchApp(project).run()


# --- the terminal side ---------------------------------------------------------------------------


class Terminal:
    """A pty running the app; its output is drained continuously, as a real terminal would."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                if not os.read(self.master, 1 << 16):
                    return
            except OSError:
                return

    def cpu_seconds(self) -> float:
        """utime + stime of the app process (all its threads), from /proc."""
        with open(f"/proc/{self.proc.pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[-1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self, timeout: float = 15.0) -> None:
        try:
            os.write(self.master, CTRL_Q)  # the app asks (a run is live in a tab): keep it
            time.sleep(0.5)
            os.write(self.master, b"k")
            self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        finally:
            os.close(self.master)


def wait_for(predicate: Any, timeout: float, step: float = 0.02) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def read_reports(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Session:
    """One ticker run from a "shell", stopped through its stop file."""

    def __init__(self, base: Path, interval: float) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        sys.path.insert(0, str(ROOT / "tests" / "tui"))
        from ticker_project import make_ticker_project, start_shell_run, stop_file

        self.project = make_ticker_project(base / "ticker", interval=interval)
        self.stop_file = stop_file(self.project)
        self.proc = start_shell_run(self.project)

    def stop(self) -> None:
        self.stop_file.touch()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def app_in_pty(project: Path, out: Path, *, attach: bool) -> Terminal:
    env = {**os.environ, "TERM": "xterm-256color", "BENCH_ATTACH": "1" if attach else "0"}
    env.pop("PROJ_TUI_ENV", None)
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(project), str(out)]
    return Terminal(argv, env, project)


def bench_latency(lines: int, rate: float) -> list[float]:
    """Latencies (s) of ``lines`` lines logged at ``rate`` lines/s by a followed session."""
    base = Path(tempfile.mkdtemp(prefix="follow-latency-"))
    session = Session(base, 1 / rate)
    out = base / "report.jsonl"
    term = app_in_pty(session.project, out, attach=True)
    try:
        seen = wait_for(
            lambda: len([r for r in read_reports(out) if r["kind"] == "line"]) >= lines,
            timeout=60 + SETTLE_S + 3 * lines / rate,
            step=0.2,
        )
        if not seen:
            print("  (not every line was shown in time: the figures are of those that were)")
    finally:
        term.close()
        session.stop()
    latencies = [r["t"] - r["at"] for r in read_reports(out) if r["kind"] == "line"]
    shutil.rmtree(base, ignore_errors=True)
    return latencies[:lines]


def bench_idle_cpu(seconds: float, *, attach: bool) -> float | None:
    """The app's CPU, as a fraction of one core, over ``seconds`` of following a session that
    logs a line a second (``attach``), or beside it without a tab (the baseline)."""
    base = Path(tempfile.mkdtemp(prefix="follow-idle-"))
    session = Session(base, 1.0)
    out = base / "report.jsonl"
    term = app_in_pty(session.project, out, attach=attach)
    try:
        if not wait_for(lambda: any(r["kind"] == "attached" for r in read_reports(out)), 60):
            print("  (the app never listed the session)")
            return None
        time.sleep(5.0)  # past the start-up work (describe, warm-ups) and the tail
        cpu0, t0 = term.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = term.cpu_seconds(), time.monotonic()
        return (cpu1 - cpu0) / (t1 - t0)
    finally:
        term.close()
        session.stop()
        shutil.rmtree(base, ignore_errors=True)


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    if not values:
        return "n/a"
    f = fmt.format
    return f"median {f(statistics.median(values))} ({f(min(values))} to {f(max(values))}, n={len(values)})"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200, help="lines timed per latency run")
    parser.add_argument("--rate", type=float, default=20.0, help="lines/s of the latency run")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("PROJECT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(Path(args.child[0]), Path(args.child[1]))
        return 0

    print(f"before: {load()}")
    medians, p95s, all_latencies = [], [], []
    following, baseline = [], []
    for _ in range(args.repeat):
        latencies = bench_latency(args.lines, args.rate)
        if latencies:
            all_latencies += latencies
            medians.append(statistics.median(latencies))
            p95s.append(p95(latencies))
        for attach, into in ((True, following), (False, baseline)):
            cpu = bench_idle_cpu(args.idle_seconds, attach=attach)
            if cpu is not None:
                into.append(cpu)
    print(f"after:  {load()}")
    print()
    ms = "{:.0f} ms".format
    print(f"line-to-screen latency, {args.rate:g} lines/s, {args.lines} lines x {args.repeat} runs")
    print(f"  median per run: {spread([m * 1000 for m in medians], '{:.0f}')} ms")
    print(f"  p95 per run:    {spread([p * 1000 for p in p95s], '{:.0f}')} ms")
    if all_latencies:
        med, top = statistics.median(all_latencies), p95(all_latencies)
        ok = "OK" if top <= LATENCY_BUDGET_S else "MISSED"
        print(f"  all lines: median {ms(med * 1000)}, p95 {ms(top * 1000)}, max "
              f"{ms(max(all_latencies) * 1000)}; budget {ms(LATENCY_BUDGET_S * 1000)}: {ok}")  # fmt: skip
    print()
    print(f"app CPU over {args.idle_seconds:g} s, following a session logging 1 line/s")
    pct = "{:.2f}".format
    print(f"  following:          {spread([c * 100 for c in following], '{:.2f}')} % of a core")
    print(f"  no tab (baseline):  {spread([c * 100 for c in baseline], '{:.2f}')} % of a core")
    if following:
        total = statistics.median(following)
        extra = total - statistics.median(baseline) if baseline else float("nan")
        ok = "OK" if total <= CPU_BUDGET else "MISSED"
        print(f"  budget {pct(CPU_BUDGET * 100)} % of a core for the app while following: "
              f"{pct(total * 100)} % -> {ok} (the follower's own share: {pct(extra * 100)} %)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
