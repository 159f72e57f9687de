"""Run-setup environment variables reach the child through its environment, not its argv."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from faults._project import store_path
from proj_tui.framework.store import SQLiteSessionStore

SECRET = "sk-live-Q7w9E3r5T1y8U2i4"


def test_env_vars_are_not_on_the_child_command_line(fault_project: Path, fault_report) -> None:
    from proj_tui.framework.events import LogMessage
    from proj_tui.tui.run_spec import RunSpec
    from proj_tui.tui.supervisor import Supervisor

    spec = RunSpec(
        project_path=fault_project,
        pipeline="hang",
        env_vars={"MY_API_KEY": SECRET, "TAXI_REGION": "eu-west"},
    )
    argv = spec.child_argv([sys.executable, "-m", "proj_tui"])
    batches: list[object] = []
    sup = Supervisor(argv, cwd=fault_project, on_batch=batches.extend, env_vars=spec.env_vars)
    sup.start()
    thread = threading.Thread(target=sup.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not any(getattr(e, "message", "") == "hanging until cancelled" for e in batches):
        assert time.monotonic() < deadline, batches
        time.sleep(0.02)
    assert sup.proc is not None
    cmdline = Path(f"/proc/{sup.proc.pid}/cmdline").read_bytes()  # what `ps` shows anyone
    sup.cancel()
    thread.join(timeout=30)
    assert SECRET.encode() not in cmdline and b"MY_API_KEY" in cmdline
    assert b"eu-west" not in cmdline
    assert not [e for e in batches if isinstance(e, LogMessage) and e.level == "STDERR"]
    with SQLiteSessionStore(store_path(fault_project)) as store:
        [latest] = store.list_sessions(limit=1)
        record = store.get_session(latest.session_id)
    assert record.env_vars["TAXI_REGION"] == "eu-west"  # recorded as given
    assert record.env_vars["MY_API_KEY"] == "<redacted>"
    fault_report(
        "security",
        "Run-setup env vars (MY_API_KEY, TAXI_REGION) for a run launched by the app's Supervisor",
        detail="the child's /proc/PID/cmdline holds the names only (`--env-var NAME`); values "
        "arrive in its environment and are recorded as before (secret names redacted)",
    )
