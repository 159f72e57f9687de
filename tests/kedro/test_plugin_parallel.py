"""Kedro's ParallelRunner: the workers (forked or spawned) write their own node rows and logs,
and the parent hands them to listeners as the native events."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kedro_project import kedro_env
from proj_tui.framework.project import store_path
from proj_tui.framework.store import SQLiteSessionStore

# real Kedro runs: a minute or more each on a loaded machine
pytestmark = pytest.mark.timeout(600)

_SCRIPT = """\
import json, sys
from pathlib import Path

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.runner import ParallelRunner

from proj_tui.kedro.plugin import hooks



def main():  # a spawned worker imports this file again: only the parent runs the session
    project = Path(sys.argv[1])
    bootstrap_project(project)
    events = []
    hooks.add_listener(lambda event: events.append(event.to_dict()))
    with KedroSession.create(project_path=project) as session:
        session.run(runner=ParallelRunner(max_workers=2))
    print(json.dumps(events))


if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_parallel_runner_workers_record_their_nodes_and_logs(
    kedro_project: Path, tmp_path: Path, start_method: str
) -> None:
    script = tmp_path / "parallel.py"
    script.write_text(textwrap.dedent(_SCRIPT), encoding="utf-8")
    launcher = {  # what proj-tui run sets for the process it starts (kedro-run's launch.py)
        "PROJ_TUI_COMMAND": json.dumps(["proj-tui", "run", "--runner", "ParallelRunner"]),
        "PROJ_TUI_ENV_VARS": json.dumps(["SHIP_MODE", "DB_PASSWORD"]),
        "PROJ_TUI_PARENT": "2026-01-02T03.04.05.678Z",
        "SHIP_MODE": "fast",
        "DB_PASSWORD": "hunter2-hunter2",
    }
    done = subprocess.run(
        [sys.executable, str(script), str(kedro_project)],
        cwd=tmp_path,
        env=kedro_env(KEDRO_MP_CONTEXT=start_method, **launcher),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = json.loads(done.stdout.strip().splitlines()[-1])

    with SQLiteSessionStore(store_path(kedro_project), readonly=True) as store:
        [summary] = store.list_sessions()
        record = store.get_session(summary.session_id)
        nodes = store.nodes(record.session_id)
        lines = store.logs(record.session_id)
    assert record.status == "succeeded" and record.runner == "ParallelRunner"
    assert record.cli["command"] == "proj-tui run --runner ParallelRunner"
    assert record.env_vars["SHIP_MODE"] == "fast"
    assert record.env_vars["DB_PASSWORD"] == "<redacted>"
    assert record.parent_id == "2026-01-02T03.04.05.678Z"
    assert len(nodes) == 5 and {n.status for n in nodes} == {"succeeded"}
    assert all(n.started_at and n.ended_at and n.started_at <= n.ended_at for n in nodes)
    messages = [line.message for line in lines]
    # lines a worker logged while running its node (Kedro's own), stored by that worker
    assert any(m.startswith("Running node: split_data") for m in messages)
    if start_method == "fork":  # a spawned worker logs what Kedro's logging config lets through
        assert "preprocessed 4 companies" in messages

    # the parent relays what the workers stored as the native events, each node started first
    assert events[0]["event"] == "session_started" and events[-1]["event"] == "session_finished"
    assert events[-1]["status"] == "succeeded"
    order = events[0]["nodes"]
    for name in order:
        mine = [e["event"] for e in events if e.get("node") == name]
        assert mine == ["node_started", "node_finished"], name
    started = [e["node"] for e in events if e["event"] == "node_started"]
    assert started.index("split_data") > started.index("create_model_input_table")
    relayed = [e["message"] for e in events if e["event"] == "log"]
    assert sorted(relayed) == sorted(messages)  # every stored line, once (in time order)
