"""No unsafe YAML, no secret in anything proj-tui writes, owner-only store, no shell in reruns."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from faults._project import (
    CLI_PASSWORD,
    ENV_PASSWORD,
    ENV_TOKEN,
    SECRETS,
    make_fault_project,
    run_cli,
    store_path,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "proj_tui"


def test_yaml_is_only_loaded_safely(fault_report) -> None:
    unsafe = re.compile(
        r"yaml\.(load|load_all|unsafe_load|full_load)\(|\b(Unsafe|Full)Loader\b|yaml\.Loader\b"
    )
    hits = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), 1):
            if not unsafe.search(line):
                continue
            loader = re.search(r"Loader=([\w.]+)", line)
            safe_names = set(
                re.findall(r"(\w+) = getattr\(yaml, \"CSafeLoader\", yaml\.SafeLoader\)", text)
            )
            if loader and ("Safe" in loader.group(1) or loader.group(1) in safe_names):
                continue  # yaml.load with a safe loader (chosen by name above)
            hits.append(f"{path}:{number}")
    assert not hits, hits
    fault_report("security", "grep src/ for yaml.load( / unsafe loaders", detail="none found")


def test_secrets_never_reach_anything_proj_tui_writes(tmp_path: Path, fault_report) -> None:
    project = make_fault_project(tmp_path / "proj")
    env = {"TAXI_API_TOKEN": ENV_TOKEN, "DEPLOY_PASSWORD": ENV_PASSWORD}
    outputs: list[bytes] = []
    for args in (
        (
            "run",
            "--events",
            "json",
            "--pipeline",
            "leak",
            "--env-var",
            f"TAXI_DB_PASSWORD={CLI_PASSWORD}",
        ),
        ("run", "--pipeline", "leak", f"--env-var=TAXI_DB_PASSWORD={CLI_PASSWORD}"),
        ("run", "--events", "json"),
    ):
        result = run_cli(*args, cwd=project, env=env)
        outputs += [result.stdout, result.stderr]
    for args in (
        ("sessions", "list"),
        ("sessions", "list", "--json"),
        ("sessions", "show", "latest", "--logs"),
        ("sessions", "show", "latest", "--json", "--logs"),
    ):
        outputs.append(run_cli(*args, cwd=project).stdout)
    with_leak = [
        s.session_id
        for s in __import__("proj_tui.framework.store", fromlist=["x"])
        .SQLiteSessionStore(store_path(project), readonly=True)
        .list_sessions()
    ]
    for sid in with_leak:
        show = run_cli("sessions", "show", sid, "--json", "--logs", cwd=project)
        outputs += [show.stdout, show.stderr]
    assert b"<redacted>" in b"".join(outputs)  # the secrets were there to be scrubbed
    # Every byte proj-tui wrote: the store directory (db, -wal, -shm, .gitignore) and all output.
    # Not searched: data/ (empty here: nothing is persisted) and the node's own print() to stdout
    # in plain mode, which proj-tui passes through untouched (the user's code writing on purpose).
    written = [p.read_bytes() for p in store_path(project).parent.iterdir() if p.is_file()]
    plain_stdout = outputs[2]
    searched = [o for i, o in enumerate(outputs) if i != 2] + written
    for secret in SECRETS:
        for blob in searched:
            assert secret.encode() not in blob, secret
    assert b"printed secret" in plain_stdout  # the passthrough that is excluded above
    fault_report(
        "security",
        "planted secrets (2 credentials.yml values, TAXI_API_TOKEN, DEPLOY_PASSWORD, "
        "--env-var TAXI_DB_PASSWORD=…; a node logs, prints and raises with them) searched in "
        "the store dir (db/-wal/-shm), events, stdout/stderr of run and sessions list/show/--json",
        trials=len(searched),
        detail="no secret found; excluded: data/ and a node's own print() in plain (non-events) "
        "mode, which proj-tui does not capture",
    )


def test_store_is_owner_only_whatever_the_umask(tmp_path: Path, fault_report) -> None:
    project = make_fault_project(tmp_path / "proj")
    old = os.umask(0)
    try:
        result = run_cli("run", cwd=project)
    finally:
        os.umask(old)
    assert result.returncode == 0
    db = store_path(project)
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for path in db.parent.iterdir():
        if path.name.startswith("sessions.db"):
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    fault_report(
        "security", "store created under umask 000", detail="dir 0700; db, -wal, -shm 0600"
    )


def test_rerun_never_interpolates_a_shell(tmp_path: Path, fault_report) -> None:
    project = make_fault_project(tmp_path / "proj")
    nasty = {"tag": "$(touch pwned); rm -rf x `touch pwned2` 'q\" \\ end", "note": "line1\nline2"}
    flat = ",".join(f"step.{k}={json.dumps(v)}" for k, v in nasty.items())
    first = run_cli("run", "--params", flat, cwd=project)
    assert first.returncode == 0, first.stderr
    rerun = run_cli("sessions", "rerun", "latest", cwd=project)
    assert rerun.returncode == 0, rerun.stderr
    from proj_tui.framework.store import SQLiteSessionStore

    with SQLiteSessionStore(store_path(project), readonly=True) as store:
        newest, older = store.list_sessions(limit=2)
        assert older.runtime_params == {"step": nasty}
        assert (
            newest.runtime_params == older.runtime_params and newest.parent_id == older.session_id
        )
    assert not list(project.rglob("pwned*")) and not list(Path.cwd().glob("pwned*"))
    fault_report(
        "security",
        "rerun of a session whose params hold $(…), ; rm -rf, backticks, quotes and a newline",
        detail="nothing executed; params round-trip exactly",
    )
