"""The Data tab and the outputs diff at 80x24 and 120x40 (as tests/tui/test_snapshots_sizes.py).

Sessions are written through the store with fixed times, fingerprints and contents, shown in
UTC. Update with ``pytest tests/tui/test_outputs_snapshots.py --snapshot-update`` when one of
these screens changes on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework.store import DatasetRecord, SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from tui.test_history import add_session
from tui.test_snapshots_sizes import SIZES, keys

REPORTS = "data/05_reporting"


def _datasets(i: int, rmse: float, zones: str) -> list[DatasetRecord]:
    version = f"2026-09-21T2{i}.00.00.000Z"
    return [
        DatasetRecord("clean_trips", "trips_raw", "load", "csv.CSVDataset", "data/01_raw/trips.csv",
                      size=48_211, digest="3f9a0c1d2e4b5a69788796a5b4c3d2e1", scheme="whole"),
        DatasetRecord("evaluate_model_a", "model_a.metrics", "save", "json.JSONDataset",
                      f"{REPORTS}/model_a_metrics.json", version=version, size=96,
                      digest=f"{i}1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", scheme="whole",
                      content=json.dumps({"rmse": rmse, "mae": round(rmse * 0.7, 3), "r2": 0.81})),
        DatasetRecord("evaluate_model_b", "model_b.metrics", "save", "json.JSONDataset",
                      f"{REPORTS}/model_b_metrics.json", version=version, size=95,
                      digest="77aa88bb99cc00dd11ee22ff33aa44bb", scheme="whole",
                      content=json.dumps({"rmse": 2.31, "mae": 1.62, "r2": 0.74})),
        DatasetRecord("zone_report", "zone_table", "save", "csv.CSVDataset",
                      f"{REPORTS}/zones.csv", size=len(zones),
                      digest=f"{i}e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b", scheme="whole", content=zones),
        DatasetRecord("train_model_a", "model_a.model", "save", "pickle.PickleDataset",
                      "data/04_models/model_a_model.pkl", size=612_345_678,
                      digest="0badc0ffee0badc0ffee0badc0ffee00", scheme="sampled"),
    ]  # fmt: skip


@pytest.fixture
def project(
    snapshot_store: Callable[[str], tuple[Path, SQLiteSessionStore]],
) -> Path:
    """The demo with two sessions whose model_a metrics and zone table differ."""
    project, store = snapshot_store("/tmp/proj-tui-snapshots-outputs")
    zones = ("zone,trips,fare\nnorth,120,14.2\nsouth,80,11.9\n",
             "zone,trips,fare\nnorth,120,14.6\nsouth,80,11.9\neast,12,9.5\n")  # fmt: skip
    for i, (rmse, table) in enumerate(((1.482, zones[0]), (1.317, zones[1]))):
        sid = add_session(store, i, project=project, lr=(0.05, 0.2)[i], override=i == 1, logs=0)
        store.record_datasets(sid, _datasets(i, rmse, table))
    store.close()
    return project


@pytest.mark.parametrize("size", SIZES)
def test_data_tab(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "enter", "left_square_bracket")  # the newest session's last tab
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)


@pytest.mark.parametrize("size", SIZES)
def test_outputs_diff(project: Path, size: tuple[int, int], snap_compare: Any) -> None:
    pressed = keys("4", "down", "space", "up", "d", "pagedown")  # the outputs rows come last
    assert snap_compare(ProjTuiApp(project), terminal_size=size, run_before=pressed)
