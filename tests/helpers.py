"""Helpers shared by the test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from proj_tui.cli.new import create_project

# The demo's __default__ pipeline in run order (what 'pipelines describe' lists).
DEMO_NODES = [
    "ingest_trips",
    "clean_trips",
    "build_features",
    "zone_report",
    "model_a.split_data",
    "model_b.split_data",
    "model_a.train_model",
    "model_b.train_model",
    "model_a.evaluate_model",
    "model_b.evaluate_model",
    "compare_models",
]


def make_demo(path: Path, latency: float = 0.0) -> Path:
    """A fresh demo project; ``latency`` is each node's artificial pause in seconds."""
    project = create_project(path)
    params = project / "conf" / "base" / "parameters.yml"
    text = params.read_text().replace("latency_s: 0.6", f"latency_s: {latency}")
    params.write_text(text)
    return project


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``proj-tui`` as a real child process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )
