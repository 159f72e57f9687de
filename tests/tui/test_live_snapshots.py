"""The Runs screen with a list of live sessions, at 80x24 and at 120x40.

The live sessions are written through the store as another machine's (``build-02``: no pid of
this host to check) with fixed start times and a fresh heartbeat, so they are live for the
snapshot and show the same text on every run. Same determinism as test_snapshots_sizes.py
otherwise. Update with ``pytest tests/tui/test_live_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.live_list import LiveList
from tui.pilot_helpers import steady
from tui.test_history import BASE

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LIVE = [  # (pipeline, env, user, pid, started after BASE)
    ("__default__", "local", "ana", 31337, 0.0),
    ("data_science", "prod", "ben", 4711, 95.5),
    ("data_processing", "local", "ana", 8080, 301.25),
]


@pytest.fixture
def project(
    snapshot_store: Callable[[str], tuple[Path, SQLiteSessionStore]],
) -> Path:
    project, store = snapshot_store("/tmp/proj-tui-snapshots-live")
    for pipeline, env, user, pid, after in LIVE:
        record = {
            "project_path": str(project),
            "package_name": "taxi_fares",
            "env": env,
            "pipeline": pipeline,
            "user": user,
            "host": "build-02",
            "pid": pid,
            "cli": {"command": f"proj-tui run --pipeline {pipeline} --env {env}", "flags": {}},
        }
        session_id = store.create_session(record, now=BASE + after)
        store.heartbeat(session_id)  # live now: the heartbeat is fresh
    store.close()
    return project


def runs_with_live_list(down: int = 0) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot, skip=("runs",))
        await pilot.press("3")
        for _ in range(1200):
            if len(pilot.app.screen.query_one(LiveList).sessions) == len(LIVE):
                break
            await pilot.pause(0.05)
        for _ in range(down):
            await pilot.press("down")
        await steady(pilot, skip=("runs",))

    return run


@pytest.mark.parametrize("size", SIZES)
def test_runs_live_list(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    app = ProjTuiApp(project)
    assert snap_compare(app, terminal_size=size, run_before=runs_with_live_list(down=1))
