"""The fixture project is a real Kedro project: a plain ``kedro run`` works on it, hook and all."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from kedro_project import SECRET


def test_plain_kedro_run_works_on_the_fixture_project(kedro_project: Path) -> None:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "kedro", "run"],
        cwd=kedro_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = (kedro_project / "data/08_reporting/summary.csv").read_text(encoding="utf-8")
    assert summary.splitlines()[0] == "engines,price,score,iata_approved"
    versions = list((kedro_project / "data/05_model_input/split_data.pkl").iterdir())
    assert len(versions) == 1
    split = pickle.loads((versions[0] / "split_data.pkl").read_bytes())
    assert set(split) == {"train", "test"}
    fired = (kedro_project / "data/hook_fired.txt").read_text(encoding="utf-8").split()
    assert fired[0::2] == ["before_pipeline_run", "after_pipeline_run"]
    assert SECRET not in done.stdout + done.stderr
