"""A Kedro run that fails before ``before_pipeline_run`` is not a session, as a native one is not.

The project's rule (README, "a session that cannot start is not a session"): a run refused before
its session starts (a config file that does not load, an unknown env or pipeline, a pipeline that
cannot be imported) records no session. Kedro raises these before it calls any pipeline hook, so
the plugin records nothing, under a plain ``kedro run`` and under ``proj-tui run`` (exit 2, one
message naming the cause). A catalog entry Kedro only resolves once the run has begun (an unknown
dataset type) ends a recorded session ``failed`` with every node ``not_run``, as the README says
of a native run stopped by its catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kedro_project import PACKAGE, kedro_run
from proj_tui.framework.project import store_path
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli

pytestmark = pytest.mark.timeout(900)


def _unknown_pipeline(project: Path) -> list[str]:
    return ["--pipelines", "no_such_pipeline"]


def _unknown_env(project: Path) -> list[str]:
    return ["--env", "no_such_env"]


def _broken_catalog_yaml(project: Path) -> list[str]:
    catalog = project / "conf" / "base" / "catalog.yml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\nbroken: [unclosed\n")
    return []


def _registry_import_error(project: Path) -> list[str]:
    registry = project / "src" / PACKAGE / "pipeline_registry.py"
    registry.write_text(registry.read_text(encoding="utf-8") + "\nimport no_such_module_xyz\n")
    return []


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "unknown pipeline": (_unknown_pipeline, "no_such_pipeline"),
    "unknown env": (_unknown_env, "no_such_env"),
    "catalog.yml that does not load": (_broken_catalog_yaml, "catalog"),
    "registry import error": (_registry_import_error, "no_such_module_xyz"),
}


def _sessions(project: Path) -> list[str]:
    path = store_path(project)
    if not path.exists():
        return []
    store = SQLiteSessionStore(path, readonly=True)
    try:
        return [s.session_id for s in store.list_sessions()]
    finally:
        store.close()


@pytest.mark.parametrize("case", list(CASES))
def test_a_kedro_run_that_cannot_start_records_no_session(kedro_project: Path, case: str) -> None:
    breaks, named = CASES[case]
    args = breaks(kedro_project)

    done = kedro_run(kedro_project, *args)
    assert done.returncode != 0, done.stdout
    assert named in done.stdout + done.stderr
    assert _sessions(kedro_project) == []  # Kedro called no pipeline hook: nothing recorded

    ours = cli("run", "--project", str(kedro_project), *args)
    assert ours.returncode == 2, ours.stderr
    assert named in ours.stderr
    assert "Traceback" not in ours.stderr
    assert _sessions(kedro_project) == []


def test_an_unknown_dataset_type_ends_a_recorded_session_failed(kedro_project: Path) -> None:
    catalog = kedro_project / "conf" / "base" / "catalog.yml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("pandas.CSVDataset", "pandas.NoSuchDataset", 1))

    done = kedro_run(kedro_project)
    assert done.returncode != 0
    [session_id] = _sessions(kedro_project)
    store = SQLiteSessionStore(store_path(kedro_project), readonly=True)
    try:
        record = store.get_session(session_id)
        nodes = store.nodes(session_id)
    finally:
        store.close()
    assert record.status == "failed"
    assert record.error is not None and "NoSuchDataset" in record.error["message"]
    assert nodes and {node.status for node in nodes} == {"not_run"}
