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


def test_a_kedro_sweep_passes_params_to_kedro_as_kedro_reads_them(project: Path) -> None:
    # the app's Run setup writes a Kedro project's overrides in Kedro's grammar (strings that
    # YAML would read otherwise quoted); the queue passes that text on as given and adds the
    # swept values in the same grammar, so each run gets the values a 'kedro run' would
    params = (
        "runtime.label='@home',runtime.note='x: y',runtime.count=3,runtime.flag=yes,runtime.tag=z"
    )
    done = cli("run", "--params", params, "--sweep", "runtime.tag='#a','b: c'", cwd=project)
    assert done.returncode == 0, done.stderr
    ids = [int(line) for line in done.stdout.split()]
    wait_for(lambda: drained(project), "the Kedro sweep to run")
    items = by_id(project)
    assert [items[i]["outcome"] for i in ids] == ["succeeded", "succeeded"], items
    for item_id, tag in zip(ids, ("#a", "b: c"), strict=True):
        shown = json.loads(cli("sessions", "show", items[item_id]["session_id"], "--json",
                               cwd=project).stdout)  # fmt: skip
        runtime = shown["params"]["runtime"]
        assert runtime["label"] == "@home" and runtime["note"] == "x: y"
        assert runtime["count"] == 3 and runtime["flag"] is True and runtime["tag"] == tag


def test_a_kedro_sweep_value_kedro_params_cannot_carry_is_refused_before_queueing(
    project: Path,
) -> None:
    done = cli("run", "--params", "runtime.tag=z", "--sweep", "runtime.tag=[[1, 2], [3]]",
               "--no-worker", cwd=project)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "runtime.tag" in done.stderr and "kedro run --params" in done.stderr
    listed = json.loads(cli("queue", "list", "--all", "--json", cwd=project).stdout)
    assert listed == [] or listed.get("items") == [], listed
