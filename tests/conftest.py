"""Shared fixtures: real copies of the demo project under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import make_demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return make_demo(tmp_path / "taxi")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's env selection or config dirs."""
    monkeypatch.delenv("PROJ_TUI_ENV", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield
