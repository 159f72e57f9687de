"""Fixtures for the app's tests: a real demo project and a CLI whose ``run`` we can steer."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_textual_snapshot

from proj_tui.framework.store import SQLiteSessionStore

from helpers import make_demo

FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]

# Per-run directory -> the fixed path the stored snapshots show in its place.
_LABELS: dict[str, str] = {}


@pytest.fixture
def taxi(tmp_path: Path) -> Path:
    """The bundled demo, without its artificial per-node pause."""
    return make_demo(tmp_path / "taxi", latency=0.0)


@pytest.fixture
def fake_cli() -> list[str]:
    """``proj-tui`` with a scripted ``run`` (mode from $FAKE_RUN); other commands are real."""
    return list(FAKE_CLI)


class _LabelledSVG(pytest_textual_snapshot.SVGImageExtension):
    """The snapshot plugin's SVG format, with each per-run directory written as its label."""

    def serialize(self, data: Any, **kwargs: Any) -> Any:
        text = super().serialize(data, **kwargs)
        for real, label in _LABELS.items():
            text = text.replace(real, label)
        return text


@pytest.fixture(autouse=True)
def _labelled_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    # snap_compare looks the extension up in its module on every call. Should that change,
    # the snapshots showing a project path fail (they would show the per-run one): not silent.
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", _LabelledSVG)


@pytest.fixture
def shown_as() -> Iterator[Callable[[str], Path]]:
    """``shown_as("/tmp/proj-tui-snapshots")``: a fresh directory of this test's own, which the
    snapshots show as that fixed path.

    Paths show on screen, so a snapshot needs the same text each run; a fixed directory would
    be shared by two test runs on one machine. The directory's path has the label's length,
    so every line wraps and cuts the same, and the SVG is compared with the label written in.
    """
    made: list[Path] = []

    def make(label: str) -> Path:
        parent = Path(label).parent
        room = len(label) - len(str(parent / "x")) + 1 - 8  # mkdtemp adds 8 characters
        path = Path(tempfile.mkdtemp(prefix=Path(label).name[:room], dir=parent))
        assert len(str(path)) == len(label), (path, label)
        _LABELS[str(path)] = label
        made.append(path)
        return path

    yield make
    for path in made:
        _LABELS.pop(str(path), None)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def snapshot_demo(shown_as: Callable[[str], Path]) -> Callable[[str], Path]:
    """``snapshot_demo("/tmp/proj-tui-snapshots")``: the demo (no pause) at ``<label>/taxi``."""
    return lambda label: make_demo(shown_as(label) / "taxi", latency=0.0)


@pytest.fixture
def snapshot_store(
    monkeypatch: pytest.MonkeyPatch, snapshot_demo: Callable[[str], Path]
) -> Iterator[Callable[[str], tuple[Path, SQLiteSessionStore]]]:
    """``snapshot_store(label)``: ``snapshot_demo(label)`` and its store, open for filling;
    times are shown in UTC until the test ends (the snapshots' clocks do not move with the
    machine's zone). The caller closes the store."""

    def make(label: str) -> tuple[Path, SQLiteSessionStore]:
        project = snapshot_demo(label)
        (project / ".proj-tui").mkdir(exist_ok=True)
        return project, SQLiteSessionStore.for_project(project)

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield make
    monkeypatch.delenv("TZ")
    time.tzset()
