"""Fixtures for the app's tests: a real demo project and a CLI whose ``run`` we can steer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import make_demo

FAKE_CLI = [sys.executable, str(Path(__file__).with_name("fake_cli.py"))]


@pytest.fixture
def taxi(tmp_path: Path) -> Path:
    """The bundled demo, without its artificial per-node pause."""
    return make_demo(tmp_path / "taxi", latency=0.0)


@pytest.fixture
def fake_cli() -> list[str]:
    """``proj-tui`` with a scripted ``run`` (mode from $FAKE_RUN); other commands are real."""
    return list(FAKE_CLI)
