"""Nodes that kill, crash, hang, flood or garble their process: the CLI, stream and store cope."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from faults._project import (
    assert_no_traceback,
    integrity,
    parse_events,
    run_cli,
    store_path,
)
from proj_tui.framework.store import SQLiteSessionStore


def _status(project: Path, session_id: str) -> str:
    with SQLiteSessionStore(store_path(project)) as store:
        return store.get_session(session_id).status


@pytest.mark.parametrize(
    ("pipeline", "returncode", "what"),
    [("exit", 3, "os._exit(3)"), ("segv", -signal.SIGSEGV, "segfault (ctypes.string_at(0))")],
)
def test_node_that_kills_its_process(
    fault_project: Path, fault_report, pipeline: str, returncode: int, what: str
) -> None:
    result = run_cli("run", "--events", "json", "--pipeline", pipeline, cwd=fault_project)
    assert result.returncode == returncode
    events = parse_events(result.stdout)  # every line parses
    sid = events[0]["session_id"]
    assert events[-1]["event"] == "session_finished" and events[-1]["status"] == "crashed"
    stderr = result.stderr.decode()
    assert "Error: " in stderr and "ended abruptly" in stderr and sid in stderr
    assert_no_traceback(result.stderr)
    assert _status(fault_project, sid) == "crashed"
    assert integrity(store_path(fault_project)) == "ok"
    fault_report(
        "misbehaving nodes",
        f"node calls {what}",
        detail=f"exit {returncode}; one 'Error: … ended abruptly …' line naming the session; "
        "stream ends with session_finished status crashed; store says crashed",
    )


def _supervised(project: Path, pipeline: str, grace: float) -> tuple[int, list[object], str]:
    from proj_tui.framework.events import LogMessage, SessionFinished
    from proj_tui.tui.supervisor import Supervisor

    batches: list[object] = []
    sup = Supervisor(
        argv=[sys.executable, "-m", "proj_tui", "run", "--events", "json", "--pipeline", pipeline],
        cwd=project,
        on_batch=batches.extend,
        grace=grace,
    )
    sup.start()
    import threading

    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.setdefault("rc", sup.run()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not any(getattr(e, "message", "") == "hanging until cancelled" for e in batches) and (
        not any(getattr(e, "message", "") == "ignoring cancellation" for e in batches)
    ):
        assert time.monotonic() < deadline, "the node never started"
        time.sleep(0.02)
    time.sleep(0.3)
    sup.cancel()
    thread.join(timeout=6 * grace + 10)
    assert not thread.is_alive()
    finished = [e for e in batches if isinstance(e, SessionFinished)]
    status = finished[-1].status if finished else "none"
    stderr = "\n".join(
        e.message for e in batches if isinstance(e, LogMessage) and e.level == "STDERR"
    )
    return result["rc"], [status], stderr


def test_hanging_node_is_cancelled_by_sigint(fault_project: Path, fault_report) -> None:
    rc, statuses, _ = _supervised(fault_project, "hang", grace=2.0)
    assert rc == 130 and statuses == ["cancelled"]
    with SQLiteSessionStore(store_path(fault_project)) as store:
        [latest] = store.list_sessions(limit=1)
        assert latest.status == "cancelled" and latest.pipeline == "hang"
    fault_report(
        "misbehaving nodes",
        "node hangs; the app's Supervisor cancels (SIGINT)",
        detail="exit 130, session_finished cancelled, store cancelled",
    )


def test_stubborn_node_is_escalated_to_sigkill(fault_project: Path, fault_report) -> None:
    rc, statuses, _ = _supervised(fault_project, "stubborn", grace=0.5)
    assert rc == -signal.SIGKILL
    assert statuses in (["none"], ["crashed"])  # SIGKILL hits the watchdog too (same group)
    with SQLiteSessionStore(store_path(fault_project)) as store:
        [latest] = store.list_sessions(limit=1)
        assert latest.status == "crashed" and latest.pipeline == "stubborn"
    assert integrity(store_path(fault_project)) == "ok"
    fault_report(
        "misbehaving nodes",
        "node swallows SIGINT and SIGTERM; Supervisor escalates SIGINT → SIGTERM → SIGKILL",
        detail="killed by SIGKILL after 2 grace periods; store says crashed (reaped)",
    )


def test_megabytes_without_newline(fault_project: Path, fault_report) -> None:
    result = run_cli("run", "--events", "json", "--pipeline", "spew", cwd=fault_project)
    assert result.returncode == 0, result.stderr[-2000:]
    events = parse_events(result.stdout)
    assert events[-1]["event"] == "session_finished" and events[-1]["status"] == "succeeded"
    printed = "".join(
        e["message"] for e in events if e["event"] == "log" and e["logger"] == "stdout"
    )
    assert printed == "x" * (3 * 16 * 65536)  # every byte, split into bounded lines
    longest = max(len(line) for line in result.stdout.split(b"\n"))
    assert longest < 200_000
    sid = events[0]["session_id"]
    with SQLiteSessionStore(store_path(fault_project)) as store:
        stored = [line.message for line in store.logs(sid) if line.logger == "stdout"]
    assert "".join(stored) == printed
    assert b"raw-fd-one-bytes" in result.stderr  # fd 1 writes are moved off the event stream
    fault_report(
        "misbehaving nodes",
        "node prints 3 MB without a newline (plus 32 kB straight to fd 1, 1 MB to fd 2)",
        detail="exit 0; stdout stays JSON lines (longest < 200 kB); all 3 MB stored and streamed; "
        "fd-1 bytes diverted to stderr",
    )


def test_non_utf8_and_lone_surrogates(fault_project: Path, fault_report) -> None:
    result = run_cli("run", "--events", "json", "--pipeline", "badtext", cwd=fault_project)
    assert result.returncode == 0, result.stderr[-2000:]
    events = parse_events(result.stdout)  # strict UTF-8 decode + json.loads of every line
    sid = events[0]["session_id"]
    streamed = [e["message"] for e in events if e["event"] == "log"]
    for message in streamed:
        message.encode("utf-8")  # no lone surrogates survive
    with SQLiteSessionStore(store_path(fault_project)) as store:
        stored = [line.message for line in store.logs(sid)]
        exported = json.dumps(store.export(sid), ensure_ascii=False)
    assert stored == streamed
    exported.encode("utf-8")
    assert any("lone surrogate" in m and "\ufffd" in m for m in stored)
    show = run_cli("sessions", "show", sid, "--logs", cwd=fault_project)
    assert show.returncode == 0
    assert_no_traceback(show.stderr)
    fault_report(
        "misbehaving nodes",
        "node logs lone surrogates, raw bytes, surrogate-escaped bytes, control characters; "
        "writes non-UTF-8 to fd 1 and 2",
        detail="exit 0; stream strict UTF-8 JSON; store == stream (U+FFFD replacements); "
        "`sessions show --logs` works",
    )


def test_reader_keeps_up_while_node_floods(fault_project: Path, fault_report) -> None:
    """The app-side reader (parse_event per line) never raises on the flood."""
    from proj_tui.tui.supervisor import parse_event

    result = run_cli("run", "--events", "json", "--pipeline", "spew", cwd=fault_project)
    parsed = [parse_event(line) for line in result.stdout.split(b"\n") if line.strip()]
    assert parsed and all(p is not None for p in parsed)
    unreadable = [p for p in parsed if getattr(p, "logger", None) == "proj_tui.tui.supervisor"]
    assert not unreadable  # every line was a well-formed event, none reported as unreadable
    fault_report("misbehaving nodes", "app's parse_event over the 3 MB flood", detail="no error")
