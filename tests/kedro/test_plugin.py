"""The Kedro plugin records real Kedro runs: a plain ``kedro run``, and a notebook's session.

Each test is one or two real Kedro runs (seconds each), and asserts everything that run shows.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kedro
from kedro_project import PACKAGE, SECRET, copy_project, disable_plugin, kedro_env, kedro_run
from proj_tui.framework.fingerprints import decode_fingerprints
from proj_tui.framework.project import store_path
from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.framework.store.ids import is_session_id

# real Kedro runs: a minute or more each on a loaded machine
pytestmark = pytest.mark.timeout(600)

NODES = [  # Kedro's names, in its execution order (the hashed default name included)
    "preprocess_companies",
    "preprocess_shuttles__",
    "create_model_input_table",
    "split_data",
    "reporting.summarize",
]
TOKEN = "sk-proj0a1b2c3d4e5f6g7h8i9j"  # a secret by its shape, passed as a runtime parameter


def _store(project: Path) -> SQLiteSessionStore:
    return SQLiteSessionStore(store_path(project), readonly=True)


def _names_match(names: list[str]) -> None:
    assert len(names) == len(NODES)
    for name, expected in zip(names, NODES, strict=True):
        assert name.startswith(expected) if expected.endswith("__") else name == expected


def _store_bytes(project: Path) -> bytes:
    return b"".join(p.read_bytes() for p in store_path(project).parent.iterdir() if p.is_file())


def _outputs(project: Path) -> dict[str, bytes]:
    """Every data file a run wrote, with the version folder (the session id) left out."""
    out = {}
    for path in sorted((project / "data").rglob("*")):
        if path.is_file() and path.name != "hook_fired.txt" and "01_raw" not in path.parts:
            parts = [p for p in path.relative_to(project).parts if not is_session_id(p)]
            out["/".join(parts)] = path.read_bytes()
    return out


def _git_init(project: Path) -> None:
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(project)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)


def test_a_plain_kedro_run_is_recorded_like_a_native_session(
    kedro_project: Path, kedro_template: Path, tmp_path: Path
) -> None:
    _git_init(kedro_project)
    done = kedro_run(
        kedro_project,
        "--params",
        f"features.scale=3,api_key={TOKEN}",
        PROJ_TUI_API_TOKEN="tok-abcdefgh-12345678",
        PROJ_TUI_COLOUR="blue",
    )
    assert done.returncode == 0, done.stderr[-3000:]

    store = _store(kedro_project)
    [summary] = store.list_sessions()
    record = store.get_session(summary.session_id)
    # the session id is Kedro's run id: the save version of the versioned dataset, and what
    # the project's own hook (which still fires) was given
    [version] = [p.name for p in (kedro_project / "data/05_model_input/split_data.pkl").iterdir()]
    assert record.session_id == version
    fired = (kedro_project / "data/hook_fired.txt").read_text(encoding="utf-8").split()
    assert fired == ["before_pipeline_run", version, "after_pipeline_run", version]

    assert record.status == "succeeded" and record.error is None
    assert record.ended_at is not None and record.ended_at >= record.started_at
    assert record.project_path == str(kedro_project)
    assert record.package_name == PACKAGE
    assert record.env == "local"
    assert record.runtime_params == {"features": {"scale": 3}, "api_key": "<redacted>"}
    assert record.params["features"] == {"scale": 3}  # resolved: the override wins
    assert record.params["split"] == {"test_size": 0.25, "random_state": 3}
    assert record.params["reporting"] == {"top_n": 3}
    assert record.cli["argv"][:2] == ["kedro", "run"]
    assert record.cli["command"] == "kedro run --params 'features.scale=3,api_key=<redacted>'"
    assert record.cli["flags"] == {"params": {"features": {"scale": 3}, "api_key": "<redacted>"}}
    assert record.env_vars["PROJ_TUI_API_TOKEN"] == "<redacted>"  # a secret by its name
    assert record.env_vars["PROJ_TUI_COLOUR"] == "blue"
    assert record.env_vars["KEDRO_DISABLE_TELEMETRY"] == "true"
    assert record.git is not None and record.git["branch"] == "main"
    assert len(record.git["commit"]) == 40
    assert record.user and record.host and record.pid
    assert record.versions["kedro"] == kedro.__version__
    assert record.versions["python"] == ".".join(map(str, sys.version_info[:3]))
    assert record.pipeline == "__default__" and record.runner == "SequentialRunner"
    assert record.filters == {}
    fingerprints = decode_fingerprints(record.extra["fingerprints"])  # what staleness reads
    _names_match(list(fingerprints["nodes"]))
    assert set(fingerprints["params"]) >= {"params:features", "params:runtime"}

    nodes = store.nodes(record.session_id)
    _names_match([n.name for n in nodes])
    assert {n.status for n in nodes} == {"succeeded"}
    for earlier, later in itertools.pairwise(nodes):
        assert earlier.ended_at is not None and later.started_at is not None
        assert earlier.started_at is not None and earlier.started_at <= earlier.ended_at
        assert earlier.ended_at <= later.started_at  # in execution order, one after another

    messages = [(line.logger, line.message) for line in store.logs(record.session_id)]
    assert (f"{PACKAGE}.pipelines.data_processing.nodes", "preprocessed 4 companies") in messages
    assert any(m.startswith("Running node: split_data") for _, m in messages)  # Kedro's own

    stored = _store_bytes(kedro_project)
    assert SECRET.encode() not in stored and TOKEN.encode() not in stored
    assert b"tok-abcdefgh-12345678" not in stored

    # the same run with the plugin switched off the Kedro way writes the same outputs, no store
    plain = copy_project(kedro_template, tmp_path / "plain" / "space-lite")
    disable_plugin(plain)
    again = kedro_run(plain, "--params", f"features.scale=3,api_key={TOKEN}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert not store_path(plain).parent.exists()
    assert _outputs(plain) == _outputs(kedro_project)
    assert len(_outputs(plain)) == 4  # parquet (two), the versioned pickle, the CSV


def test_a_failing_node_is_recorded_with_its_exception_and_what_never_ran(
    kedro_project: Path,
) -> None:
    done = kedro_run(
        kedro_project, "--params", "runtime.fail_node=split_data", "--runner", "ThreadRunner"
    )
    assert done.returncode != 0
    assert "boom in split_data" in done.stderr

    store = _store(kedro_project)
    [summary] = store.list_sessions()
    record = store.get_session(summary.session_id)
    assert record.status == "failed" and record.runner == "ThreadRunner"
    assert record.error is not None
    assert record.error["type"] == "RuntimeError"
    assert record.error["message"] == "boom in split_data"
    assert "in split_data" in record.error["traceback"]
    assert "raise RuntimeError" in record.error["traceback"]
    nodes = {n.name: n for n in store.nodes(record.session_id)}
    assert nodes["split_data"].status == "failed"
    assert nodes["split_data"].error == "RuntimeError: boom in split_data"
    assert nodes["reporting.summarize"].status == "not_run"
    assert nodes["reporting.summarize"].started_at is None
    assert [n.status for n in nodes.values()].count("succeeded") == 3
    assert SECRET.encode() not in _store_bytes(kedro_project)


_NOTEBOOK = """\
import json, sys
from pathlib import Path

from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from proj_tui.kedro.plugin import hooks

project = Path(sys.argv[1])
bootstrap_project(project)
events = []
hooks.add_listener(lambda event: events.append(event.to_dict()))
with KedroSession.create(project_path=project, runtime_params={"split": {"random_state": 5}}) as s:
    s.run(tags=["preprocessing"])
print(json.dumps(events))
"""


def test_a_notebook_session_is_recorded_and_its_events_reach_listeners(
    kedro_project: Path, tmp_path: Path
) -> None:
    script = tmp_path / "notebook.py"
    script.write_text(textwrap.dedent(_NOTEBOOK), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(kedro_project)],
        cwd=tmp_path,
        env=kedro_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = json.loads(done.stdout.strip().splitlines()[-1])

    store = _store(kedro_project)
    [summary] = store.list_sessions()
    record = store.get_session(summary.session_id)
    assert record.status == "succeeded"
    assert record.filters == {"tags": ["preprocessing"]}
    assert record.runtime_params == {"split": {"random_state": 5}}
    assert record.params["split"] == {"test_size": 0.25, "random_state": 5}
    assert record.cli["argv"] == [str(script), str(kedro_project)]
    assert record.cli["flags"]["tags"] == ["preprocessing"]
    ran = [n.name for n in store.nodes(record.session_id)]
    assert ran[0] == "preprocess_companies" and ran[1].startswith("preprocess_shuttles__")

    # the listener got the native stream, in order, all of this session
    kinds = [e["event"] for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "session_finished"
    assert {e["session_id"] for e in events} == {record.session_id}
    assert events[0]["nodes"] == ran and events[0]["runner"] == "SequentialRunner"
    assert events[-1]["status"] == "succeeded" and events[-1]["error"] is None
    # the duration told (proj-tui run prints it) is the stored one: from Kedro's session start
    assert events[-1]["duration"] == pytest.approx(record.ended_at - record.started_at, abs=1e-6)
    node_events = [(e["event"], e["node"], e["index"]) for e in events if "node" in e]
    assert node_events == [
        ("node_started", ran[0], 0),
        ("node_finished", ran[0], 0),
        ("node_started", ran[1], 1),
        ("node_finished", ran[1], 1),
    ]
    logs = [e["message"] for e in events if e["event"] == "log"]
    assert "preprocessed 4 companies" in logs
    assert logs == [line.message for line in store.logs(record.session_id)]
