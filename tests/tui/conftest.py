"""Fixtures for the app's tests: a real demo project and a CLI whose ``run`` we can steer."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _one_run_at_a_time_on_fixed_paths() -> Iterator[None]:
    """Snapshot tests build their demo at fixed /tmp paths (paths show on screen); a second test
    run on the machine (a developer's beside CI's) would rewrite them mid-test. Each app test
    holds this lock, so two runs take turns test by test instead of breaking each other."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / "proj-tui-tests-fixed-paths.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
