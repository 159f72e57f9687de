"""Fixtures for config tests: a throw-away ``conf/`` folder written from strings."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteConf = Callable[[str, str], Path]


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """An empty ``conf`` folder with a ``base`` env."""
    root = tmp_path / "conf"
    (root / "base").mkdir(parents=True)
    return root


@pytest.fixture
def write(conf: Path) -> WriteConf:
    """Write ``text`` (dedented) to ``conf/<rel>`` and return the path."""

    def _write(rel: str, text: str) -> Path:
        path = conf / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _no_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own PROJ_TUI_ENV must not change test results."""
    monkeypatch.delenv("PROJ_TUI_ENV", raising=False)
