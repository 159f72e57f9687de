"""The run queue from the command line, with real workers and runs as child processes.

Every wait polls the store (or a process) for a condition, with a generous deadline: the machine
is loaded, and nothing here depends on how fast a run is.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from proj_tui.framework.queue import lock_path, worker_pid
from proj_tui.framework.store import SQLiteSessionStore, default_store_path
from queue_helpers import by_id, drained, items, queue_json, queued, stop_worker, wait_for

from helpers import cli, make_demo


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    root = make_demo(tmp_path / "taxi")
    yield root
    stop_worker(root)


@pytest.mark.timeout(600)
def test_the_queue_drains_in_order_with_no_app_and_no_shell(project: Path) -> None:
    first = queued(project, "--no-worker", "--params", "cleaning.max_fare=101")
    second = queued(project, "--no-worker", "--pipeline", "data_processing")
    third = queued(project, "--no-worker", "--params", "cleaning.max_fare=103")
    assert [i["state"] for i in items(project)] == ["queued"] * 3
    # the worker of 'run --queue' starts detached: this command returns at once
    fourth = queued(project, "--params", "cleaning.max_fare=104")
    ids = first + second + third + fourth
    wait_for(lambda: drained(project), "the queue to drain")
    done = by_id(project)
    assert [done[i]["outcome"] for i in ids] == ["succeeded"] * 4
    sessions = [done[i]["session_id"] for i in ids]
    assert sessions == sorted(sessions)  # session ids are start times: they ran in order
    with SQLiteSessionStore(default_store_path(project), readonly=True) as store:
        records = [store.get_session(sid) for sid in sessions]
    assert [r.status for r in records] == ["succeeded"] * 4
    assert records[0].runtime_params == {"cleaning": {"max_fare": 101}}
    assert records[1].pipeline == "data_processing"
    assert "queue" not in records[0].cli["argv"]  # recorded like any 'proj-tui run'
    wait_for(lambda: worker_pid(project) is None, "the worker to exit on an empty queue")


@pytest.mark.timeout(600)
def test_concurrency_two_runs_two_at_once(tmp_path: Path) -> None:
    root = make_demo(tmp_path / "slow", latency=0.4)
    try:
        ids = [queued(root, "--no-worker")[0] for _ in range(3)]
        worker = cli("queue", "work", "--concurrency", "2", "--detach", cwd=root)
        assert worker.returncode == 0, worker.stderr
        with SQLiteSessionStore(default_store_path(root), readonly=True) as store:

            def two_running() -> bool:
                running = [i for i in items(root) if i["state"] == "running" and i["session_id"]]
                return len(running) == 2 and all(
                    store.get_session(i["session_id"]).status == "running" for i in running
                )

            wait_for(two_running, "two sessions running at once")
        assert by_id(root)[ids[2]]["state"] == "queued"  # the third waits for a free slot
        assert queue_json(root)["concurrency"] == 2
        wait_for(lambda: drained(root), "the queue to drain")
        assert [by_id(root)[i]["outcome"] for i in ids] == ["succeeded"] * 3
    finally:
        stop_worker(root)


@pytest.mark.timeout(600)
def test_move_and_remove_take_effect(project: Path) -> None:
    a, b, c, d = (queued(project, "--no-worker", "--params", f"cleaning.max_fare={n}")[0]
                  for n in (1, 2, 3, 4))  # fmt: skip
    assert cli("queue", "move", str(d), "top", cwd=project).returncode == 0
    assert cli("queue", "move", str(a), "down", cwd=project).returncode == 0
    assert cli("queue", "remove", str(c), cwd=project).returncode == 0
    order = [i["id"] for i in queue_json(project)["items"]]
    assert order == [d, b, a]
    moved = cli("queue", "move", str(b), "3", cwd=project)
    assert moved.returncode == 0 and "place 3 of 3" in moved.stderr
    assert [i["id"] for i in queue_json(project)["items"]] == [d, a, b]

    bad = cli("queue", "move", str(c), "up", cwd=project)
    assert bad.returncode == 2 and f"Queue item {c} is removed" in bad.stderr
    missing = cli("queue", "remove", "999", cwd=project)
    assert missing.returncode == 2 and "No queue item 999" in missing.stderr
    nowhere = cli("queue", "move", str(a), "sideways", cwd=project)
    assert nowhere.returncode == 2 and "up, down, top, bottom" in nowhere.stderr

    assert cli("queue", "work", cwd=project, timeout=300).returncode == 0  # in the foreground
    done = by_id(project)
    assert done[c]["state"] == "removed" and done[c]["session_id"] is None
    ran = [done[i]["session_id"] for i in (d, a, b)]
    assert ran == sorted(ran)


@pytest.mark.timeout(600)
def test_clear_removes_what_waits(project: Path) -> None:
    ids = [queued(project, "--no-worker")[0] for _ in range(2)]
    cleared = cli("queue", "clear", cwd=project)
    assert cleared.returncode == 0 and "Removed 2 queued item(s)" in cleared.stderr
    assert [by_id(project)[i]["state"] for i in ids] == ["removed", "removed"]
    assert cli("queue", "work", cwd=project).returncode == 0  # nothing to do: exits at once


@pytest.mark.timeout(600)
def test_a_worker_killed_mid_run_leaves_nothing_stuck(tmp_path: Path) -> None:
    root = make_demo(tmp_path / "slow", latency=0.3)
    try:
        first, second = (queued(root, "--no-worker")[0] for _ in range(2))
        worker = subprocess.Popen(
            [sys.executable, "-m", "proj_tui", "queue", "work"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: by_id(root)[first]["session_id"], "the first run's session")
        worker.kill()
        worker.wait()
        assert by_id(root)[first]["state"] == "running"  # its run goes on without the worker
        again = cli("queue", "work", cwd=root, timeout=300)  # adopts it, then runs the second
        assert again.returncode == 0, again.stderr
        done = by_id(root)
        assert done[first]["state"] == "done" and done[first]["outcome"] == "succeeded"
        assert done[second]["outcome"] == "succeeded"
    finally:
        stop_worker(root)


@pytest.mark.timeout(600)
def test_an_item_whose_run_never_started_is_closed_by_the_next_worker(project: Path) -> None:
    [item] = queued(project, "--no-worker")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with sqlite3.connect(default_store_path(project)) as conn:  # a worker died right after a claim
        conn.execute(
            "UPDATE queue SET state = 'running', pid = ?, started_at = ? WHERE id = ?",
            (dead.pid, time.time(), item),
        )
    assert cli("queue", "work", cwd=project).returncode == 0
    left = by_id(project)[item]
    assert left["state"] == "done" and left["outcome"] == "not started"
    assert "before it started a session" in left["error"]


@pytest.mark.timeout(600)
def test_a_run_that_cannot_start_says_why(project: Path) -> None:
    [item] = queued(project, "--no-worker", "--pipeline", "no_such_pipeline")
    assert cli("queue", "work", cwd=project).returncode == 0
    left = by_id(project)[item]
    assert left["outcome"] == "not started"
    assert "exited with code 2" in left["error"] and "no_such_pipeline" in left["error"]


@pytest.mark.timeout(600)
def test_a_secret_env_var_is_queued_by_name_only(project: Path) -> None:
    [item] = queued(project, "--no-worker", "--env-var", "API_TOKEN=hunter2-secret")
    db = default_store_path(project)
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert b"hunter2-secret" not in raw
    listed = queue_json(project)["items"][0]
    assert listed["argv"][-2:] == ["--env-var", "API_TOKEN"]
    # a worker without the value refuses to start the run, naming the variable
    env = {k: v for k, v in os.environ.items() if k != "API_TOKEN"}
    subprocess.run(
        [sys.executable, "-m", "proj_tui", "queue", "work"], cwd=project, env=env, check=True
    )
    left = by_id(project)[item]
    assert left["outcome"] == "not started" and "API_TOKEN" in left["error"]


@pytest.mark.timeout(600)
def test_one_worker_per_project(project: Path) -> None:
    queued(project, "--no-worker")
    lock_path(project).parent.mkdir(parents=True, exist_ok=True)
    import fcntl

    with open(lock_path(project), "a+") as held:  # as a running worker holds it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        second = cli("queue", "work", "--concurrency", "3", cwd=project)
        assert second.returncode == 0
        assert "already running (pid 4242); it now runs 3 at a time" in second.stderr
        assert queue_json(project)["concurrency"] == 3
        assert [i["state"] for i in items(project)] == ["queued"]
    assert cli("queue", "work", cwd=project, timeout=300).returncode == 0
    assert items(project)[0]["outcome"] == "succeeded"


@pytest.mark.timeout(600)
def test_queue_options_that_do_not_fit(project: Path) -> None:
    watch = cli("run", "--queue", "--watch", cwd=project)
    assert watch.returncode == 2 and "--watch does not go with --queue" in watch.stderr
    low = cli("queue", "work", "--concurrency", "0", cwd=project)
    assert low.returncode == 2 and "at least 1" in low.stderr
    empty = cli("queue", "list", cwd=project)
    assert empty.returncode == 0 and "nothing queued" in empty.stderr
