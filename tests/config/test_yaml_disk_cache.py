"""The config files' disk cache (config.yaml_io.use_disk_cache), in real files and processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proj_tui.config import yaml_io
from proj_tui.framework.project import _shareable


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "cache"
    yaml_io.use_disk_cache(path, _shareable)
    yaml_io._cache.clear()
    yield path
    yaml_io.use_disk_cache(None)
    yaml_io._cache.clear()


def _old_file(path: Path, text: str) -> Path:
    """A file last changed an hour ago (older than RACY_SECONDS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


LOAD = """
import sys
from pathlib import Path
from proj_tui.config import yaml_io
from proj_tui.framework.project import _shareable
yaml_io.use_disk_cache(Path(sys.argv[1]), _shareable)
print(yaml_io.load_config_file(Path(sys.argv[2])), "yaml" in sys.modules)
"""


def _load_in_a_new_process(cache: Path, path: Path) -> tuple[str, bool]:
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(cache), str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data, imported = done.stdout.strip().rsplit(" ", 1)
    return data, imported == "True"


def test_an_unchanged_file_is_read_without_pyyaml_in_the_next_process(
    cache: Path, tmp_path: Path
) -> None:
    path = _old_file(tmp_path / "conf" / "base" / "parameters.yml", "a: 1\nb: [x, y]\n")
    assert _load_in_a_new_process(cache, path) == ("{'a': 1, 'b': ['x', 'y']}", True)
    assert cache.stat().st_mode & 0o777 == 0o600
    assert _load_in_a_new_process(cache, path) == ("{'a': 1, 'b': ['x', 'y']}", False)

    _old_file(path, "a: 2\nb: [x, y]\n")  # same size, new mtime: read again
    assert _load_in_a_new_process(cache, path) == ("{'a': 2, 'b': ['x', 'y']}", True)


def test_secrets_credentials_and_fresh_edits_are_never_kept(cache: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    kept = _old_file(conf / "base" / "catalog.yml", "x:\n  type: MemoryDataset\n")
    files: dict[str, Any] = {
        "credentials": _old_file(conf / "local" / "credentials.yml", "db:\n  user: u\n"),
        "secret key": _old_file(conf / "base" / "parameters.yml", "api_token: abc123\n"),
        "url password": _old_file(
            conf / "base" / "globals.yml", "db_url: postgresql://me:hunter2hunter2@host/db\n"
        ),
    }
    fresh = conf / "base" / "fresh.yml"
    fresh.write_text("n: 1\n")  # changed just now: its mtime may not tell the next edit apart
    for path in [kept, *files.values(), fresh]:
        yaml_io.load_config_file(path)
    raw = cache.read_bytes()
    assert str(kept).encode() in raw
    for path in [*files.values(), fresh]:
        assert str(path).encode() not in raw
    for secret in (b"abc123", b"hunter2hunter2", b"user"):
        assert secret not in raw


def test_a_broken_or_foreign_cache_file_is_ignored(cache: Path, tmp_path: Path) -> None:
    cache.write_bytes(b"not marshal at all")
    path = _old_file(tmp_path / "parameters.yml", "a: 1\n")
    assert yaml_io.load_config_file(path) == {"a": 1}
    yaml_io._cache.clear()
    yaml_io.use_disk_cache(None)
    yaml_io.use_disk_cache(cache, _shareable)  # a fresh reader of the rewritten file
    assert yaml_io.load_config_file(path) == {"a": 1}


def test_a_broken_file_is_still_a_located_error(cache: Path, tmp_path: Path) -> None:
    path = _old_file(tmp_path / "catalog.yml", "a: [1,\n")
    with pytest.raises(yaml_io.ConfigError) as info:
        yaml_io.load_config_file(path)
    assert info.value.location is not None and info.value.location.path == path
    assert not cache.exists()


def test_proj_tui_run_keeps_the_projects_config_beside_its_store(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[2] / "benches"))
    try:
        from run_overhead import write_project
    finally:
        sys.path.pop(0)
    project = write_project(tmp_path, 3, "proj_tui")
    for path in (project / "conf").rglob("*.yml"):
        _old_file(path, path.read_text())
    for _ in range(2):  # the first run makes .proj-tui, the second fills the cache
        done = subprocess.run(
            [sys.executable, "-m", "proj_tui", "run"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    raw = (project / ".proj-tui" / "config-cache").read_bytes()
    assert str(project / "conf" / "base" / "parameters.yml").encode() in raw
