"""A generated project whose nodes misbehave on purpose, and helpers shared by the fault tests.

The project is written under ``tmp_path`` (never the bundled demo) so each fault is one small, named
pipeline: the tests stay fast and the faults stay readable in one place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proj_tui.framework.events import event_from_dict

PACKAGE = "faultproj"

# Planted secrets: none of these may appear in anything proj-tui writes (see test_security.py).
CRED_PASSWORD = "cr3d-Pa55w0rd-7Q9X"
CRED_TOKEN = "cred-token-ZK41-UU78"
ENV_TOKEN = "envtok-A1B2-C3D4-E5F6"
ENV_PASSWORD = "envpw-K9L8-M7N6"
CLI_PASSWORD = "clipw-R2D2-C3PO"
SECRETS = (CRED_PASSWORD, CRED_TOKEN, ENV_TOKEN, ENV_PASSWORD, CLI_PASSWORD)

_NODES = '''
"""Nodes that misbehave on purpose; which one runs is chosen by the pipeline name."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

log = logging.getLogger(__name__)


def step(params: dict, upstream: int = 0) -> int:
    """A well-behaved node: a few log lines, an optional pause."""
    for i in range(int(params.get("lines", 3))):
        log.info("step line %d of %s", i, params.get("tag", "x"))
    time.sleep(float(params.get("sleep", 0.0)))
    return upstream + 1


def chatty(params: dict) -> int:
    """Logs continuously so the recorder flushes all the time (kill during a flush)."""
    end = time.time() + float(params.get("seconds", 0.5))
    i = 0
    while time.time() < end:
        log.info("chatty %d", i)
        i += 1
        if i % 50 == 0:
            time.sleep(0.001)
    return i


def hard_exit(params: dict) -> int:
    log.info("about to os._exit(3)")
    os._exit(3)


def segfault(params: dict) -> int:
    import ctypes

    log.info("about to dereference NULL")
    ctypes.string_at(0)
    os.kill(os.getpid(), signal.SIGSEGV)  # in case string_at(0) did not fault
    return 0


def burst(params: dict) -> int:
    """A pause (so the recorder's first flushes find nothing), then many lines at once."""
    time.sleep(float(params.get("pause", 0.5)))
    count = int(params.get("lines", 30000))
    for i in range(count):
        log.info("burst line %d of %d", i, count)
    return count


def exit_after(params: dict, upstream: int = 0) -> int:
    """Logs a little, then ends the process without a word (last node of a chain)."""
    for i in range(int(params.get("lines", 3))):
        log.info("exit_after line %d", i)
    os._exit(3)


def exit_once_stored(params: dict) -> int:
    """Waits until the store shows the session's node 'quick' succeeded, then ends the process
    without a word (a sibling of 'quick' under the thread runner)."""
    from pathlib import Path

    from proj_tui.framework.store import SQLiteSessionStore

    project = Path(__file__).resolve().parents[2]
    deadline = time.time() + 30
    with SQLiteSessionStore.for_project(project, readonly=True) as store:
        session_id = store.list_sessions(limit=1)[0].session_id
        while time.time() < deadline:
            if any(n.name == "quick" and n.status == "succeeded" for n in store.nodes(session_id)):
                break
            time.sleep(0.01)
    log.info("quick is stored as succeeded")
    os._exit(3)


def close_fds(params: dict) -> int:
    """Closes the process's stdout and stderr, then goes on logging."""
    os.close(1)
    os.close(2)
    for i in range(int(params.get("lines", 3))):
        log.info("after closing fds %d", i)
    return 1


def escapes(params: dict) -> int:
    """Logs terminal escape sequences: a window title, a screen clear, an OSC 52 clipboard write."""
    log.info("title \x1b]0;PWNED-TITLE\x07 clear \x1b[2J clip \x1b]52;c;cHduZWQ=\x07 end")
    return 1


def hang(params: dict) -> int:
    log.info("hanging until cancelled")
    while True:
        time.sleep(0.05)


def stubborn(params: dict) -> int:
    """Swallows every cancellation; only SIGKILL stops it."""
    log.info("ignoring cancellation")
    while True:
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            log.info("ignored a cancellation")


def spew(params: dict) -> int:
    """Megabytes of output and not one newline."""
    chunk = "x" * 65536
    for _ in range(int(params.get("mb", 3)) * 16):
        print(chunk, end="")
    sys.stdout.flush()
    os.write(1, b"raw-fd-one-bytes-without-newline" * 1000)
    os.write(2, b"y" * (1 << 20))
    return 1


def bad_text(params: dict) -> int:
    """Log records and prints that are not valid UTF-8 text."""
    log.info("lone surrogate \\udcff and \\ud800 here")
    log.info(b"raw bytes \\xff\\xfe\\x80")
    log.info("surrogateescape %s", os.fsdecode(b"caf\\xe9-\\xff"))
    print("printed surrogate \\udc80 end")
    os.write(1, b"\\xff\\xfe not utf-8 on fd 1\\n")
    os.write(2, b"\\xc3\\x28 not utf-8 on fd 2\\n")
    log.info("control chars \\x00\\x1b[31m red \\x07")
    return 1


def leak(params: dict) -> int:
    """Logs a credential and an env secret, then raises with both in the message."""
    from pathlib import Path

    import yaml

    creds = Path(__file__).resolve().parents[2] / "conf" / "local" / "credentials.yml"
    credentials_value = yaml.safe_load(creds.read_text())["warehouse"]["password"]
    token = os.environ.get("TAXI_API_TOKEN", "")
    log.info("connecting with password=%s token=%s", credentials_value, token)
    print(f"printed secret {credentials_value} {token}")
    raise RuntimeError(f"login failed for password {credentials_value!r} token {token!r}")
'''

_REGISTRY = '''
"""One pipeline per fault."""

from __future__ import annotations

from proj_tui.pipeline import Pipeline, node

from faultproj import nodes as n


def register_pipelines() -> dict[str, Pipeline]:
    chain = Pipeline(
        [
            node(n.step, "params:step", "a", name="first"),
            node(n.step, ["params:step", "a"], "b", name="second"),
            node(n.step, ["params:step", "b"], "c", name="third"),
        ]
    )
    single = {
        "chatty": node(n.chatty, "params:chatty", "out", name="chatty"),
        "exit": node(n.hard_exit, "params:step", "out", name="hard_exit"),
        "segv": node(n.segfault, "params:step", "out", name="segfault"),
        "hang": node(n.hang, "params:step", "out", name="hang"),
        "burst": node(n.burst, "params:burst", "out", name="burst"),
        "closefds": node(n.close_fds, "params:step", "out", name="close_fds"),
        "escapes": node(n.escapes, "params:step", "out", name="escapes"),
        "stubborn": node(n.stubborn, "params:step", "out", name="stubborn"),
        "spew": node(n.spew, "params:spew", "out", name="spew"),
        "badtext": node(n.bad_text, "params:step", "out", name="bad_text"),
        "leak": node(n.leak, "params:step", "out", name="leak"),
    }
    fast_chain = Pipeline(
        [
            node(n.step, "params:fast", "f1", name="fast_1"),
            node(n.step, ["params:fast", "f1"], "f2", name="fast_2"),
            node(n.step, ["params:fast", "f2"], "f3", name="fast_3"),
            node(n.exit_after, ["params:fast", "f3"], "f4", name="last_exits"),
        ]
    )
    flood_then_exit = Pipeline(
        [
            node(n.burst, "params:burst", "flood", name="flood"),
            node(n.exit_after, ["params:fast", "flood"], "after_flood", name="exits_after_flood"),
        ]
    )
    exit_beside = Pipeline(
        [
            node(n.step, "params:fast", "q", name="quick"),
            node(n.exit_once_stored, "params:fast", "e", name="exit_once_stored"),
        ]
    )
    pipes = {
        "__default__": chain,
        "exitbeside": exit_beside,
        "chain": chain,
        "exitlate": fast_chain,
        "floodexit": flood_then_exit,
    }
    pipes.update({name: Pipeline([one]) for name, one in single.items()})
    return pipes
'''

_SETTINGS = '''
"""Settings of the fault project: record TAXI_* variables like the demo does."""

ENV_VARS_PREFIX = "TAXI_"
'''

_PARAMETERS = """\
step:
  lines: 3
  sleep: 0.0
  tag: base
chatty:
  seconds: 0.5
spew:
  mb: 3
burst:
  pause: 0.5
  lines: 30000
fast:
  lines: 5
  sleep: 0.0
  tag: fast
"""

_CREDENTIALS = f"""\
warehouse:
  user: analyst
  password: {CRED_PASSWORD}
api:
  token: {CRED_TOKEN}
from_env:
  password: ${{oc.env:TAXI_DB_PASSWORD,unset-default}}
"""


def make_fault_project(root: Path) -> Path:
    """Write the fault project at ``root`` and return it."""
    pkg = root / "src" / PACKAGE
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "faultproj"\nversion = "0.1.0"\n\n'
        f'[tool.proj_tui]\npackage_name = "{PACKAGE}"\nproject_name = "Fault project"\n'
    )
    (pkg / "__init__.py").write_text('"""Fault project."""\n')
    (pkg / "nodes.py").write_text(textwrap.dedent(_NODES).lstrip())
    (pkg / "pipeline_registry.py").write_text(textwrap.dedent(_REGISTRY).lstrip())
    (pkg / "settings.py").write_text(textwrap.dedent(_SETTINGS).lstrip())
    base = root / "conf" / "base"
    local = root / "conf" / "local"
    base.mkdir(parents=True)
    local.mkdir(parents=True)
    (root / "conf" / "prod").mkdir()
    (base / "parameters.yml").write_text(_PARAMETERS)
    (base / "globals.yml").write_text("data_root: data\n")
    (base / "catalog.yml").write_text("# everything in memory\n")
    (local / "credentials.yml").write_text(_CREDENTIALS)
    return root


# ---------------------------------------------------------------------------------- processes


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child ``proj-tui``: no inherited env choice, unbuffered output."""
    env = {k: v for k, v in os.environ.items() if k != "PROJ_TUI_ENV"}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """``python -m proj_tui ARGS`` as a real child; output kept as bytes (it may not be UTF-8)."""
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", *args],
        capture_output=True,
        cwd=cwd,
        env=cli_env(env),
        timeout=timeout,
    )


def popen_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "proj_tui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=cli_env(env),
        start_new_session=True,
    )


def parse_events(stdout: bytes) -> list[dict[str, Any]]:
    """Every stdout line as JSON, checked against ``framework.events``; fails on any bad line."""
    events = []
    text = stdout.decode("utf-8")  # strict: the stream must be UTF-8
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError as exc:  # pragma: no cover - the assertion message is the point
            raise AssertionError(f"events line {number} is not JSON: {line[:200]!r}") from exc
        assert isinstance(event, dict) and "event" in event, line[:200]
        assert event_from_dict(event) is not None, f"not an event of docs/events.md: {line[:200]}"
        events.append(event)
    return events


def assert_no_traceback(stderr: bytes) -> None:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback (most recent call last)" not in text, text[-3000:]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_path(project: Path) -> Path:
    return project / ".proj-tui" / "sessions.db"


def integrity(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


@dataclass
class EventReader:
    """Reads a child's stdout on a thread so a test can wait for a given event without blocking."""

    proc: subprocess.Popen[bytes]
    lines: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        import threading

        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def events(self) -> Iterator[dict[str, Any]]:
        for line in list(self.lines):
            if line.strip() and line.endswith(b"\n"):  # a SIGKILL may tear the last line
                yield json.loads(line)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events():
                if predicate(event):
                    return event
            if self.proc.poll() is not None and not self._thread.is_alive():
                return None
            time.sleep(0.002)
        return None

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
