"""``proj-tui sessions note|pin|delete`` and ``resume --dry-run --json``, as real child processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import cli


def _ids(project: Path, query: str = "") -> list[str]:
    args = ["sessions", "list", "--json"] + (["--filter", query] if query else [])
    return [s["session_id"] for s in json.loads(cli(*args, cwd=project).stdout)]


def _show(project: Path, session_id: str) -> dict[str, object]:
    result = cli("sessions", "show", session_id, "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_note_and_pin(demo: Path) -> None:
    assert cli("run", "--pipeline", "data_processing", cwd=demo).returncode == 0
    [sid] = _ids(demo)
    noted = cli("sessions", "note", sid, "baseline for the report", cwd=demo)
    assert noted.returncode == 0, noted.stderr
    assert "Note saved" in noted.stderr
    assert _show(demo, sid)["note"] == "baseline for the report"
    assert _ids(demo, "baseline") == [sid]  # notes are searchable text

    assert cli("sessions", "pin", "latest", cwd=demo).returncode == 0
    assert _show(demo, sid)["pinned"] is True
    assert _ids(demo, "is:pinned") == [sid]
    assert cli("sessions", "pin", sid, "--off", cwd=demo).returncode == 0
    assert _ids(demo, "is:pinned") == []

    cleared = cli("sessions", "note", sid, "", cwd=demo)
    assert cleared.returncode == 0 and "Note removed" in cleared.stderr
    assert _show(demo, sid)["note"] is None


def test_unknown_session_and_no_store(demo: Path, tmp_path: Path) -> None:
    missing = cli("sessions", "pin", "2000-01-01", cwd=demo)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "proj-tui run" in missing.stderr  # no store yet: says how to get one
    assert cli("run", "--pipeline", "data_processing", cwd=demo).returncode == 0
    unknown = cli("sessions", "note", "2000-01-01", "x", cwd=demo)
    assert unknown.returncode == 2 and "2000-01-01" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_delete_asks_unless_yes(demo: Path) -> None:
    for _ in range(3):
        assert cli("run", "--pipeline", "data_processing", cwd=demo).returncode == 0
    newest, middle, oldest = _ids(demo)
    piped = cli("sessions", "delete", newest, cwd=demo)  # stdin is not a terminal: refuse
    assert piped.returncode == 2 and "--yes" in piped.stderr
    assert len(_ids(demo)) == 3

    deleted = cli("sessions", "delete", newest, middle, "--yes", cwd=demo)
    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted 2 session(s)" in deleted.stderr
    assert _ids(demo) == [oldest]
    gone = cli("sessions", "show", newest, cwd=demo)
    assert gone.returncode == 2


def test_delete_refuses_a_running_session(demo: Path) -> None:
    params = demo / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text().replace("latency_s: 0.0", "latency_s: 2.0"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "proj_tui", "run", "--pipeline", "data_processing"],
        cwd=demo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            listed = cli("sessions", "list", "--json", cwd=demo)
            if listed.returncode == 0 and json.loads(listed.stdout):
                break
        [running] = json.loads(cli("sessions", "list", "--json", cwd=demo).stdout)
        assert running["status"] == "running"
        refused = cli("sessions", "delete", running["session_id"], "--yes", cwd=demo)
        assert refused.returncode == 2 and "still running" in refused.stderr
    finally:
        assert proc.wait(timeout=60) == 0
    assert len(_ids(demo)) == 1


def test_resume_dry_run_json(demo: Path) -> None:
    assert cli("run", "--params", "model_b.model_options.lr=7", cwd=demo).returncode == 1
    [sid] = _ids(demo)
    result = cli("sessions", "resume", sid, "--dry-run", "--json", cwd=demo)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["session_id"] == sid
    assert plan["from_nodes"] == ["model_a.split_data", "model_b.split_data"]
    assert "compare_models" in plan["nodes"] and "ingest_trips" not in plan["nodes"]
    assert plan["argv"][0] == "run" and plan["argv"][-2:] == ["--parent", sid]
    assert "--from-nodes" in plan["argv"]
    assert len(_ids(demo)) == 1  # a dry run runs nothing


def test_help_lists_the_new_actions() -> None:
    text = cli("sessions", "--help").stdout
    for action in ("note", "pin", "delete"):
        assert action in text
