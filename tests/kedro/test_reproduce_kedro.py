"""A Kedro session records its code state and dataset fingerprints, and reproduces (real Kedro)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kedro_project import PACKAGE, SECRET, kedro_run
from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SUMMARY_NODES = Path("src") / PACKAGE / "pipelines" / "reporting" / "nodes.py"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _store(project: Path) -> SQLiteSessionStore:
    return SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True)


def _newest(project: Path) -> str:
    with _store(project) as store:
        return store.list_sessions(limit=1)[0].session_id


def _digest(project: Path, session_id: str, name: str) -> str | None:
    with _store(project) as store:
        found = [
            d.digest for d in store.datasets(session_id) if d.name == name and d.role == "save"
        ]
    return found[0] if found else None


def test_a_kedro_session_on_a_dirty_tree_records_fingerprints_and_reproduces(
    kedro_project: Path,
) -> None:
    git(kedro_project, "init", "-q", "-b", "main")
    git(kedro_project, "add", "-A")
    git(kedro_project, "commit", "-q", "-m", "init")
    nodes = kedro_project / SUMMARY_NODES
    nodes.write_text(
        nodes.read_text().replace(
            "return train.reset_index(drop=True)",
            'return train.reset_index(drop=True).assign(note="dirty")',
        )
    )
    done = kedro_run(kedro_project)
    assert done.returncode == 0, done.stderr
    original = _newest(kedro_project)
    with _store(kedro_project) as store:
        state = store.code_state(original)
        rows = store.datasets(original)
    assert state is not None and state.dirty and state.patch is not None
    assert state.roots == ("src", "conf")
    by_key = {(r.node, r.name, r.role): r for r in rows}
    companies = by_key[("preprocess_companies", "companies", "load")]
    assert companies.path == str(kedro_project / "data" / "01_raw" / "companies.csv")
    assert companies.scheme == "whole" and companies.digest
    versioned = next(r for r in rows if r.name == "split_data" and r.role == "save")
    assert versioned.version and versioned.version in (versioned.path or "")
    summary = next(r for r in rows if r.name == "reporting.summary")
    assert summary.content is not None and "dirty" in summary.content
    assert all("MemoryDataset" not in (r.type or "") for r in rows)
    assert SECRET.encode() not in (kedro_project / ".proj-tui" / "sessions.db").read_bytes()

    git(kedro_project, "checkout", ".")
    repro = cli("sessions", "reproduce", original, "--project", str(kedro_project), timeout=300)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    count = len({r.name for r in rows if r.role == "save"})
    assert f"{count} of {count} outputs identical" in repro.stdout
    assert "conf/local/credentials.yml: taken from the project as it is now" in repro.stdout
    reproduction = _newest(kedro_project)
    with _store(kedro_project) as store:
        assert store.get_session(reproduction).parent_id == original
        repro_rows = store.datasets(reproduction)
    # recorded as if run in the project: the same paths as the original's, by name
    assert {(r.name, r.role, r.path) for r in repro_rows if not r.version} == {
        (r.name, r.role, r.path) for r in rows if not r.version
    }
    assert all((r.path or "").startswith(str(kedro_project)) for r in repro_rows)
    shown = json.loads(
        cli("sessions", "show", original, "--project", str(kedro_project), "--json").stdout
    )
    assert shown["code"]["dirty"] is True and shown["code"]["branch"] == "main"
    assert [f["path"] for f in shown["code"]["patch_files"]] == [SUMMARY_NODES.as_posix()]
    assert {d["name"] for d in shown["datasets"]} == {r.name for r in rows}
    recorded = _digest(kedro_project, original, "reporting.summary")
    assert _digest(kedro_project, reproduction, "reporting.summary") == recorded
    again = kedro_run(kedro_project)  # the code as it is now writes another summary
    assert again.returncode == 0, again.stderr
    assert _digest(kedro_project, _newest(kedro_project), "reporting.summary") != recorded


def _commit(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "init")


def test_kedro_outputs_are_filtered_and_diffed_and_a_changed_input_is_named(
    kedro_project: Path,
) -> None:
    _commit(kedro_project)
    assert kedro_run(kedro_project).returncode == 0
    first = _newest(kedro_project)
    assert kedro_run(kedro_project, "--params", "reporting.top_n=1").returncode == 0
    second = _newest(kedro_project)

    def listed(query: str) -> set[str]:
        done = cli("sessions", "list", "--json", "--filter", query, cwd=kedro_project)
        assert done.returncode == 0, done.stderr
        return {s["session_id"] for s in json.loads(done.stdout)}

    # History's query language on what Kedro's datasets recorded (a CSV row by its first column)
    assert listed("out:reporting.summary") == listed("in:companies") == {first, second}
    assert listed("out:reporting.summary.4.price=2500") == {first, second}
    assert listed("out:summary.1.price=800") == {first}  # top_n=1 kept one row
    diff = cli("sessions", "diff", first, second, cwd=kedro_project)
    assert "reporting.summary" in diff.stdout and "2 removed" in diff.stdout, diff.stdout
    assert "Outputs: 1 of 4 output(s) differ." in diff.stdout

    companies = kedro_project / "data" / "01_raw" / "companies.csv"
    companies.write_text(companies.read_text().replace("1,90%,t", "1,10%,t"))
    repro = cli("sessions", "reproduce", first, "--project", str(kedro_project), timeout=300)
    assert repro.returncode == 1, repro.stdout + repro.stderr
    assert "Inputs that already differed from the original run:" in repro.stdout
    assert "  companies (" in repro.stdout and "may come from these inputs" in repro.stdout


def test_a_non_deterministic_kedro_node_is_reported_as_differing(kedro_project: Path) -> None:
    nodes = kedro_project / SUMMARY_NODES
    nodes.write_text(
        nodes.read_text().replace(
            "return train.reset_index(drop=True)",
            'return train.reset_index(drop=True).assign(at=__import__("time").time_ns())',
        )
    )
    _commit(kedro_project)
    assert kedro_run(kedro_project).returncode == 0
    original = _newest(kedro_project)
    repro = cli("sessions", "reproduce", original, "--project", str(kedro_project), timeout=300)
    assert repro.returncode == 1, repro.stdout + repro.stderr
    assert "3 of 4 outputs identical; 1 differs" in repro.stdout
    assert "reporting.summary (reporting.summarize): differs" in repro.stdout
    assert "inputs are as they were" in repro.stdout
