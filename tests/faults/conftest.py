"""Fault-suite fixtures, the ``faults`` marker, and the recorder behind docs/reliability.md.

Each fault test calls ``fault_report(scenario, trials=..., detail=...)``; the test's outcome
(passed / failed / skipped with its reason) is added after it runs. With
``PROJ_TUI_FAULT_REPORT=path.json`` set, the rows are written there at the end of the session;
``python -m tests.faults.report`` runs the suite that way and rewrites docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))  # `faults._project` whatever the import mode

from faults._project import make_fault_project

_ROWS: dict[str, dict[str, Any]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def fault_report(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record what a fault test tried: ``fault_report("area", "scenario", trials=20, detail=...)``."""
    started = time.monotonic()

    def record(area: str, scenario: str, *, trials: int = 1, detail: str = "") -> None:
        _ROWS[request.node.nodeid] = {
            "area": area,
            "scenario": scenario,
            "trials": trials,
            "detail": detail,
            "started": started,
        }

    return record


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    row = _ROWS.get(item.nodeid)
    if row is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        row["outcome"] = report.outcome
        row["seconds"] = round(report.duration, 2)
        if report.skipped and isinstance(report.longrepr, tuple):
            row["detail"] = (row["detail"] + " " if row["detail"] else "") + str(
                report.longrepr[2]
            ).removeprefix("Skipped: ")
        if report.failed:
            row["detail"] = (row["detail"] + " — " if row["detail"] else "") + "FAILED"


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("PROJ_TUI_FAULT_REPORT")
    if target and _ROWS:
        rows = [{"test": nodeid, **row} for nodeid, row in _ROWS.items()]
        Path(target).write_text(json.dumps(rows, indent=2))


@pytest.fixture(scope="module")
def fault_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated fault project per module (tests that write conf/ make their own)."""
    return make_fault_project(tmp_path_factory.mktemp("faultproj") / "proj")


@pytest.fixture
def fresh_project(tmp_path: Path) -> Path:
    return make_fault_project(tmp_path / "proj")
