"""Helpers shared by the test modules (importable because pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from proj_tui.cli.new import create_project
from proj_tui.framework.events import Event, event_from_json
from proj_tui.pipeline import Node

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


def read_events(stdout: str | bytes) -> list[Event]:
    """Every line of a ``--events json`` stream as its typed event; fails on any other line."""
    text = stdout.decode("utf-8") if isinstance(stdout, bytes) else stdout  # strict UTF-8
    events = []
    for line in text.splitlines():
        if line.strip():
            event = event_from_json(line)
            assert event is not None, f"an event kind docs/events.md does not know: {line[:200]}"
            events.append(event)
    return events


Heard = tuple[str, str, int, int, float | None, BaseException | None]


class NodeEvents:
    """A runner listener (``runner.RunListener``) that keeps what it hears, in order.

    Each entry is ``(kind, node name, index, total, duration, error)``, ``kind`` being the
    method's name; ``then(kind, node)`` runs after each (to cancel a run at a chosen moment).
    """

    def __init__(self, then: Callable[[str, Node], Any] | None = None) -> None:
        self.heard: list[Heard] = []
        self._then = then
        self._lock = threading.Lock()  # a pool runner calls from its worker threads

    def node_started(self, node: Node, index: int, total: int) -> None:
        self._add(("node_started", node.name, index, total, None, None), node)

    def node_finished(self, node: Node, index: int, total: int, duration: float) -> None:
        self._add(("node_finished", node.name, index, total, duration, None), node)

    def node_failed(
        self, node: Node, index: int, total: int, duration: float, error: BaseException
    ) -> None:
        self._add(("node_failed", node.name, index, total, duration, error), node)

    def names(self, kind: str) -> list[str]:
        """The nodes heard of as ``kind``, in order."""
        return [name for k, name, *_ in self.heard if k == kind]

    def _add(self, entry: Heard, node: Node) -> None:
        with self._lock:
            self.heard.append(entry)
        if self._then is not None:
            self._then(entry[0], node)
