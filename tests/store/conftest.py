"""Fixtures for the session-store tests: real SQLite files under tmp_path, real child processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from proj_tui.framework.store import SQLiteSessionStore

# make storetest_helpers importable from the test modules whatever pytest's import mode
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "project" / ".proj-tui" / "sessions.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteSessionStore]:
    opened = SQLiteSessionStore(db_path)
    yield opened
    opened.close()
