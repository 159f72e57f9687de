"""Snapshots of the History list, a session's detail (overview and timeline) and a diff.

Deterministic: a demo project shown at a fixed path (``shown_as`` in conftest.py), sessions
written through the store with fixed start/end times (``create_session(now=)``,
``finish_session(ended_at=)``), times shown in UTC, no running session (so no elapsed clock),
toasts cleared and cursors not blinking.
Update with ``pytest tests/tui/test_history_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from tui.pilot_helpers import steady
from tui.test_history import add_session

SIZE = (130, 36)


@pytest.fixture
def project(
    snapshot_store: Callable[[str], tuple[Path, SQLiteSessionStore]],
) -> Path:
    project, store = snapshot_store("/tmp/proj-tui-snapshots-history")
    ids = []
    for i in range(12):
        ids.append(
            add_session(
                store,
                i,
                project=project,
                status=("failed", "succeeded", "cancelled", "succeeded")[i % 4],
                env="prod" if i % 3 == 0 else "local",
                pipeline=("__default__", "data_science", "reporting")[i % 3],
                user=("ana", "bo")[i % 2],
                lr=round(0.01 * (i + 1), 2),
                override=i % 2 == 0,
                dirty=i % 5 == 0,
                env_vars={"PROJ_TUI_ENV": "prod", "API_TOKEN": "<redacted>"},
                parent=ids[-1] if i == 11 else None,
                logs=5,
            )
        )
    store.set_pinned(ids[4], True)
    store.set_note(ids[8], "baseline for the report")
    store.close()
    return project


def before(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        for key in keys:
            await pilot.press(key)
            await steady(pilot)

    return run


def test_history_list(project: Path, snap_compare: Any) -> None:
    keys = ("4", "down", "space", "down", "down")
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(*keys))


def test_history_filtered_with_error(project: Path, snap_compare: Any) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await before("4", "slash")(pilot)
        field = pilot.app.screen.query_one("#history-filter", Input)
        field.value = "env:prod model.lr>0.02"
        await steady(pilot)
        field.value = "env:prod model.lr>0.02 status:nope"  # invalid: the last good page stays
        await steady(pilot)

    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=run)


def test_session_detail(project: Path, snap_compare: Any) -> None:
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before("4", "enter"))


def test_session_detail_timeline(project: Path, snap_compare: Any) -> None:
    keys = ("4", "down", "down", "down", "enter", "right_square_bracket", "right_square_bracket")
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(*keys))


def test_session_diff(project: Path, snap_compare: Any) -> None:
    keys = ("4", "down", "space", "up", "d")
    assert snap_compare(ProjTuiApp(project), terminal_size=SIZE, run_before=before(*keys))
