"""Git information of a project: in a real temporary repository, and outside any."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import pytest

from proj_tui.framework.gitinfo import describe_git


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    (path / "a.txt").write_text("one\n")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "first")
    return path


def test_clean_repository(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    assert describe_git(repo) == {
        "commit": head,
        "short_commit": head[:7],
        "branch": "main",
        "dirty": False,
    }


def test_subdirectory_of_a_repository(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "b.txt").write_text("x")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "second")
    info = describe_git(repo / "sub")
    assert info is not None and info["commit"] == _git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("change", ["modified", "staged", "untracked"])
def test_dirty_work_tree(repo: Path, change: str) -> None:
    if change == "untracked":
        (repo / "new.py").write_text("x = 1\n")
    else:
        (repo / "a.txt").write_text("two\n")
        if change == "staged":
            _git(repo, "add", "a.txt")
    info = describe_git(repo)
    assert info is not None and info["dirty"] is True


def test_ignored_files_are_not_dirty(repo: Path) -> None:
    (repo / ".gitignore").write_text("data/\n")
    _git(repo, "add", ".gitignore")
    _git(repo, "commit", "-q", "-m", "ignore")
    (repo / "data").mkdir()
    (repo / "data" / "big.csv").write_text("1,2\n")
    info = describe_git(repo)
    assert info is not None and info["dirty"] is False


def test_other_branch_and_detached_head(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "feature/x")
    info = describe_git(repo)
    assert info is not None and info["branch"] == "feature/x"
    _git(repo, "checkout", "-q", "--detach")
    info = describe_git(repo)
    assert info is not None and info["branch"] is None and info["commit"]


def test_repository_without_commits(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q", "-b", "trunk")
    assert describe_git(tmp_path) == {
        "commit": None,
        "short_commit": None,
        "branch": "trunk",
        "dirty": False,
    }


def test_outside_a_repository_is_none_with_a_debug_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    caplog.set_level(logging.DEBUG, logger="proj_tui.framework.gitinfo")
    assert describe_git(tmp_path) is None
    assert any("No git information" in r.message for r in caplog.records)


def test_without_git_is_none(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert describe_git(repo) is None


def test_outside_a_repository_no_git_process_is_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No .git at or above the project: `proj-tui run` does not pay for a git process."""
    shim, log = tmp_path / "bin", tmp_path / "git-calls.log"
    shim.mkdir()
    (shim / "git").write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 128\n')
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(shim))
    monkeypatch.delenv("GIT_DIR", raising=False)
    plain = tmp_path / "plain" / "project"
    plain.mkdir(parents=True)
    assert describe_git(plain) is None
    assert not log.exists()
    (tmp_path / "plain" / ".git").write_text("gitdir: /nowhere\n")  # a worktree's .git file
    assert describe_git(plain) is None  # git is asked now, and says no
    assert log.read_text().count("status") == 1


def test_does_not_lock_the_index(repo: Path) -> None:
    """GIT_OPTIONAL_LOCKS=0: a run starting must not collide with the user's git commands."""
    (repo / "a.txt").write_text("changed\n")
    describe_git(repo)
    assert not (repo / ".git" / "index.lock").exists()
