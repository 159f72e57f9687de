"""Fixtures for the Kedro-project tests: real Kedro, real projects from ``kedro new``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kedro_project import copy_project, make_kedro_project


@pytest.fixture(scope="session")
def kedro_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_kedro_project(tmp_path_factory.mktemp("kedro-template"))


@pytest.fixture
def kedro_project(kedro_template: Path, tmp_path: Path) -> Path:
    """A copy of the template project, under a directory whose name starts with a dot."""
    return copy_project(kedro_template, tmp_path / ".projects" / "space-lite")
