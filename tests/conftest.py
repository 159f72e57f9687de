"""Shared fixtures: real copies of the demo project under tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers import make_demo

# Hypothesis' deadline and ``too_slow`` health check are wall-clock assertions: on a loaded
# machine (CI, or 2 cores shared by several runs) they fail tests whose code is fine, so no
# profile keeps them. ``ci`` (set by .ci/run through HYPOTHESIS_PROFILE) is also derandomized,
# so a failure there reproduces anywhere with the same profile; ``dev`` explores new examples.
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("dev"), derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return make_demo(tmp_path / "taxi")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's env selection or config dirs."""
    monkeypatch.delenv("PROJ_TUI_ENV", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    # kedro-telemetry comes with Kedro: no test asks for consent or sends anything.
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    yield
