"""Code and data as they were: real git repositories, real runs of the demo, a real store file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from proj_tui.framework.code_state import (
    capture_code_state,
    code_state_line,
    is_credentials_file,
    secret_lines,
)
from proj_tui.framework.gitinfo import describe_git
from proj_tui.framework.session import Session
from proj_tui.framework.store import SQLiteSessionStore

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")


def _store(project: Path) -> SQLiteSessionStore:
    return SQLiteSessionStore(project / ".proj-tui" / "sessions.db")


@needs_git
def test_dirty_tree_keeps_patch_and_untracked_files_but_never_secrets(demo: Path) -> None:
    commit_all(demo)
    nodes = demo / "src" / "taxi_fares" / "pipelines" / "data_processing" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\n# a local tweak\n")
    (demo / "src" / "taxi_fares" / "helpers_new.py").write_text("VALUE = 2\n")
    (demo / "conf" / "local" / "credentials.yml").write_text("db:\n  password: hunter2hunter2\n")
    (demo / "conf" / "local" / "extra.yml").write_text(f"github_token: {TOKEN}\n")
    params = demo / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text() + "\napi_key: s3cr3t-v4lue-here\n")
    with Session.create(project_path=demo) as session:
        session.run()
        sid = session.session_id
    with _store(demo) as store:
        state = store.code_state(sid)
        assert state is not None and state.kind == "git" and state.dirty
        assert state.branch == "main" and state.commit == git(demo, "rev-parse", "HEAD").strip()
        assert state.patch is not None
        patch = store.blob(state.patch)
        assert patch is not None and b"# a local tweak" in patch
        assert b"parameters.yml" not in patch  # its diff has a secret: left out whole
        assert [f.path for f in state.untracked] == ["src/taxi_fares/helpers_new.py"]
        reasons = {item.path: item.reason for item in state.left_out}
        assert "credentials" in reasons["conf/local/credentials.yml"]
        assert "secret-looking" in reasons["conf/local/extra.yml"]
        assert "secret-looking" in reasons["conf/base/parameters.yml"]
        assert not state.exact
    raw = b"".join(p.read_bytes() for p in (demo / ".proj-tui").iterdir() if p.is_file())
    for secret in (b"hunter2hunter2", TOKEN.encode(), b"s3cr3t-v4lue-here"):
        assert secret not in raw


@needs_git
def test_a_clean_tree_runs_no_git_diff(demo: Path, tmp_path: Path) -> None:
    commit_all(demo)
    real_git = shutil.which("git")
    shim = tmp_path / "bin"
    shim.mkdir()
    log = tmp_path / "git-calls.log"
    (shim / "git").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real_git} "$@"\n')
    (shim / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "proj_tui", "run", "--project", str(demo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 1 and " status " in f" {calls[0]} "  # describe_git's one call
    with _store(demo) as store:
        sid = store.list_sessions()[0].session_id
        state = store.code_state(sid)
        assert state is not None and not state.dirty and state.patch is None and state.exact


def test_without_git_a_tree_fingerprint_tells_changed_code(demo: Path) -> None:
    roots = (demo / "src", demo / "conf")
    first, _ = capture_code_state(demo, roots, None)
    assert first.kind == "tree" and first.fingerprint and first.files > 5
    assert capture_code_state(demo, roots, None)[0].fingerprint == first.fingerprint
    (demo / "conf" / "local" / "credentials.yml").write_text("k: v\n")  # never read
    assert capture_code_state(demo, roots, None)[0].fingerprint == first.fingerprint
    nodes = demo / "src" / "taxi_fares" / "pipelines" / "data_processing" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\n# changed\n")
    assert capture_code_state(demo, roots, None)[0].fingerprint != first.fingerprint
    line = code_state_line(first, None)
    assert line.startswith(f"no git: a fingerprint of src, conf ({first.files} files, ")
    assert line.endswith("; exact: `proj-tui sessions reproduce` rebuilds it")


@needs_git
def test_untracked_files_over_the_cap_are_listed_not_stored(demo: Path) -> None:
    commit_all(demo)
    (demo / "src" / "taxi_fares" / "blob.py").write_text("#" * (600 * 1024))
    state, blobs = capture_code_state(demo, (demo / "src", demo / "conf"), describe_git(demo))
    assert not state.untracked and not blobs
    assert state.left_out[0].path == "src/taxi_fares/blob.py"
    assert "cap" in state.left_out[0].reason
    line = code_state_line(state, None)  # what `sessions show` says: not to be trusted as exact
    assert line.endswith(
        "; NOT exact, not stored: src/taxi_fares/blob.py: " + state.left_out[0].reason
    )


def test_secret_lines_and_credentials_files() -> None:
    text = "\n".join(
        [
            "password: ${oc.env:DB_PASSWORD}",  # a placeholder is fine
            "api_key: abcdefgh12345",
            "url: postgres://u:pw12345@h/db",
            f"x = '{TOKEN}'",
            "sort_key: name",  # too short to be a secret
            "token_count = 10",
        ]
    )
    assert secret_lines(text) == [2, 3, 4]
    assert secret_lines("plain = 'a-known-value-1'", ["a-known-value-1"]) == [1]
    assert is_credentials_file("conf/local/credentials.yml")
    assert is_credentials_file(".env") and is_credentials_file("conf/prod.env")
    assert not is_credentials_file("src/pkg/tokenizer.py")


def test_a_run_records_each_node_dataset_with_its_fingerprint(demo: Path) -> None:
    with Session.create(project_path=demo) as session:
        session.run()
        sid = session.session_id
    with _store(demo) as store:
        rows = store.datasets(sid)
    by_key = {(r.node, r.name, r.role): r for r in rows}
    raw = by_key[("ingest_trips", "trips_raw", "load")]
    assert raw.scheme == "whole" and raw.size == (demo / "data/01_raw/trips.csv").stat().st_size
    assert raw.path == str(demo / "data" / "01_raw" / "trips.csv")
    metrics = by_key[("model_a.evaluate_model", "model_a.metrics", "save")]
    assert metrics.version == sid and metrics.path is not None and sid in metrics.path
    assert metrics.content is not None and '"rmse"' in metrics.content
    loaded = by_key[("compare_models", "model_a.metrics", "load")]
    assert loaded.digest == metrics.digest and loaded.content is None
    assert all(not r.name.startswith("params:") for r in rows)
    names = {r.name for r in rows}
    assert "features_table" in names
    assert not {"trips_typed", "model_a.train", "model_a.test"} & names  # in memory: not recorded
    assert all(r.digest for r in rows), [r for r in rows if not r.digest]


def test_small_outputs_keep_their_text_with_secrets_redacted_and_still_parse(
    tmp_path: Path,
) -> None:
    import json

    from proj_tui.framework.data_fingerprint import fingerprint_path, redacted_content

    metrics = tmp_path / "metrics.json"
    metrics.write_text(
        json.dumps({"rmse": 1.2, "api_key": "abcdefgh12345", "link": f"x {TOKEN}"}, indent=2)
    )
    text = redacted_content(metrics, fingerprint_path(metrics).size)
    assert text is not None
    parsed = json.loads(text)
    assert parsed["rmse"] == 1.2 and parsed["api_key"] == "<redacted>"
    assert TOKEN not in text and "abcdefgh12345" not in text
    big = tmp_path / "big.json"
    big.write_text("[" + ",".join(["1"] * 40_000) + "]")
    assert redacted_content(big, fingerprint_path(big).size) is None  # over 64 KiB
    model = tmp_path / "model.pkl"
    model.write_bytes(b"\x80\x04")
    assert redacted_content(model, 2) is None  # not JSON, YAML or CSV


def test_large_files_are_sampled_and_folders_hashed_file_by_file(tmp_path: Path) -> None:
    from proj_tui.framework.data_fingerprint import (
        SAMPLE_BLOCK_BYTES,
        WHOLE_FILE_BYTES,
        fingerprint_path,
    )

    big = tmp_path / "big.bin"
    size = WHOLE_FILE_BYTES + 3 * SAMPLE_BLOCK_BYTES
    big.write_bytes(bytes(range(256)) * (size // 256))
    first = fingerprint_path(big)
    assert first.scheme == "sampled-v1" and first.size == size // 256 * 256
    with open(big, "r+b") as handle:  # a byte inside the first block: seen
        handle.seek(10)
        handle.write(b"\xff")
    second = fingerprint_path(big)
    assert second.digest != first.digest
    with open(big, "ab") as handle:  # a longer file: seen through the size
        handle.write(b"\0")
    assert fingerprint_path(big).digest not in (first.digest, second.digest)
    small = tmp_path / "small.csv"
    small.write_text("a\n1\n")
    assert fingerprint_path(small).scheme == "whole"
    folder = tmp_path / "parts"
    (folder / "p=1").mkdir(parents=True)
    (folder / "p=1" / "part.csv").write_text("a\n1\n")
    tree = fingerprint_path(folder)
    assert tree.scheme == "tree-v1" and tree.size == 4
    (folder / "p=1" / "part.csv").write_text("a\n2\n")
    assert fingerprint_path(folder).digest != tree.digest
    missing = fingerprint_path(tmp_path / "nope.csv")
    assert missing.digest is None and missing.note == "the file does not exist"


@needs_git
def test_a_big_changed_tracked_file_is_left_out_before_any_diff_is_made(demo: Path) -> None:
    big = demo / "data" / "01_raw" / "big.csv"
    big.write_text("a\n1\n")
    commit_all(demo)
    big.write_text("a\n" + "2\n" * (1_500_000))  # 3 MB, over the 2 MiB patch cap
    nodes = demo / "src" / "taxi_fares" / "pipelines" / "data_processing" / "nodes.py"
    nodes.write_text(nodes.read_text() + "\n# kept\n")
    state, blobs = capture_code_state(demo, (demo / "src", demo / "conf"), describe_git(demo))
    assert state.patch is not None
    patch = blobs[state.patch]
    assert b"# kept" in patch and b"big.csv" not in patch
    assert [(i.path, "patch cap" in i.reason) for i in state.left_out] == [
        ("data/01_raw/big.csv", True)
    ]
