"""A sweep queued on a real Kedro project: the worker's children are ``proj-tui run``, run by Kedro."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_helpers import by_id, drained, stop_worker, wait_for

from helpers import cli

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def project(kedro_project: Path) -> Iterator[Path]:
    yield kedro_project
    stop_worker(kedro_project)


def test_a_sweep_on_a_kedro_project_is_run_by_kedro_and_grouped(project: Path) -> None:
    bad = cli("run", "--sweep", "split.test_sise=0.2,0.3", "--no-worker", cwd=project)
    assert bad.returncode == 2 and "Did you mean 'split.test_size'" in bad.stderr

    done = cli("run", "--sweep", "split.test_size=0.2,0.3", cwd=project)
    assert done.returncode == 0, done.stderr
    ids = [int(line) for line in done.stdout.split()]
    wait_for(lambda: drained(project), "the Kedro sweep to run")
    items = by_id(project)
    assert [items[i]["outcome"] for i in ids] == ["succeeded", "succeeded"]
    [sweep_id] = {items[i]["sweep_id"] for i in ids}
    listed = cli("sessions", "list", "--json", "--filter", f"sweep:{sweep_id}", cwd=project)
    sessions = {s["session_id"] for s in json.loads(listed.stdout)}
    assert sessions == {items[i]["session_id"] for i in ids}
    for item_id, size in zip(ids, (0.2, 0.3), strict=True):
        shown = json.loads(cli("sessions", "show", items[item_id]["session_id"], "--json",
                               cwd=project).stdout)  # fmt: skip
        assert shown["cli"]["command"].startswith("kedro run")  # recorded as Kedro's own run
        assert shown["params"]["split"]["test_size"] == size
        assert shown["extra"]["sweep"]["values"] == {"split.test_size": size}
