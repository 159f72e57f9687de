"""Parsed files kept between runs: the themes are read without PyYAML once cached, and a changed
file is parsed afresh."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from proj_tui.tui.file_cache import FileCache
from proj_tui.tui.themes import load_themes

GOOD = 'name: mine\ndark: true\nprimary: "#123456"\n'


def test_an_entry_lives_while_its_file_is_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "a.yaml"
    source.write_text("x: 1\n")
    cache = FileCache("t", tmp_path / "cache")
    assert cache.get(source) == (False, None)
    cache.put(source, {"x": 1})
    cache.save()
    again = FileCache("t", tmp_path / "cache")
    assert again.get(source) == (True, {"x": 1})
    source.write_text("x: 22\n")  # another size
    assert again.get(source) == (False, None)
    source.write_text("x: 3\n")  # the same size, a later mtime
    os.utime(source, ns=(1, 10**18))
    assert again.get(source) == (False, None)


def test_what_json_cannot_hold_is_not_cached(tmp_path: Path) -> None:
    source = tmp_path / "a.yaml"
    source.write_text("x\n")
    cache = FileCache("t", tmp_path / "cache")
    cache.put(source, {1: "an int key"})
    cache.put(tmp_path / "gone.yaml", {"x": 1})
    assert cache.get(source) == (False, None)
    cache.save()
    assert not cache.path.exists()


def test_a_broken_cache_file_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "t.json").write_text("{not json")
    assert FileCache("t", folder).get(tmp_path / "a.yaml") == (False, None)


def test_themes_load_from_the_cache_and_follow_an_edit(tmp_path: Path) -> None:
    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "mine.yaml").write_text(GOOD)
    assert load_themes([folder]).themes["mine"].primary == "#123456"
    # a fresh process: the cached theme loads, and PyYAML is never imported
    code = (
        "import sys; from pathlib import Path; from proj_tui.tui.themes import load_themes; "
        f"t = load_themes([Path({str(folder)!r})]).themes['mine']; "
        "print(t.primary, 'yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["#123456", "False"]
    (folder / "mine.yaml").write_text(GOOD.replace("#123456", "#abcdef"))
    assert load_themes([folder]).themes["mine"].primary == "#abcdef"


def test_a_dependency_that_changed_voids_every_entry(tmp_path: Path) -> None:
    source, library = tmp_path / "a.yaml", tmp_path / "library.py"
    source.write_text("x: 1\n")
    library.write_text("VERSION = 1\n")
    cache = FileCache("t", tmp_path / "cache", depends_on=(library,))
    cache.put(source, {"x": 1})
    cache.save()
    assert FileCache("t", tmp_path / "cache", depends_on=(library,)).get(source)[0]
    library.write_text("VERSION = 22\n")
    assert FileCache("t", tmp_path / "cache", depends_on=(library,)).get(source) == (False, None)
