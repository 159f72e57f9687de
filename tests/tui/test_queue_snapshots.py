"""The Queue screen and a sweep's comparison at 80x24 and 120x40 (as test_snapshots_sizes.py).

The queue rows and the sweep's sessions are written through the store with fixed times; no worker
runs, so nothing moves while the snapshot is taken. Update with ``--snapshot-update`` on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework.queue import RunRequest
from proj_tui.framework.selection import RunSelection
from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.framework.store.sqlite_queue import QueueStore
from proj_tui.tui.app import ProjTuiApp
from tui.test_history import add_session
from tui.test_snapshots_sizes import SIZES, keys

SWEEP = "sw-1124T1904-3fa9"


@pytest.fixture
def project(
    snapshot_store: Callable[[str], tuple[Path, SQLiteSessionStore]],
) -> Path:
    """A 2x3 sweep that ran (six sessions), one run running and two waiting in the queue."""
    project, store = snapshot_store("/tmp/proj-tui-snapshots-queue")
    queue = QueueStore(store)
    request = RunRequest.build(project, RunSelection(), env="local").to_json()
    combos = [{"model.lr": lr, "seed": seed} for lr in (0.01, 0.1) for seed in (1, 2, 3)]
    queue.add([(request, SWEEP, values) for values in combos], now=1.0)
    for i, values in enumerate(combos):
        sid = add_session(
            store, i, project=project, lr=values["model.lr"], override=True,
            status="failed" if i == 4 else "succeeded",
        )  # fmt: skip
        item = queue.claim_next()
        assert item is not None
        queue.link(item, sid)
        queue.finish(item.id, "failed" if i == 4 else "succeeded", session_id=sid)
    data_science = RunSelection(pipeline_names=frozenset({"data_science"}))
    running = RunRequest.build(project, data_science, env="prod", params={"model": {"lr": 0.2}})
    queue.add([(running.to_json(), None, {})], now=2.0)
    queue.add([(request, None, {}), (RunRequest.build(project, RunSelection()).to_json(),
               "sw-1124T2000-0b1c", {"model.lr": 0.3})], now=3.0)  # fmt: skip
    claimed = queue.claim_next()
    assert claimed is not None
    queue.link(claimed, add_session(store, 7, project=project, status="succeeded"))
    store.close()
    return project


@pytest.mark.parametrize("size", SIZES)
def test_queue_view(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=keys("5"))


@pytest.mark.parametrize("size", SIZES)
def test_sweep_group(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "w", "down", "space", "down")  # the newest sweep session
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)
