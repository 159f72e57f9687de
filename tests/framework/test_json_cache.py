"""The one JSON-cache helper the app's and Kedro's caches write through: whole or nothing."""

from __future__ import annotations

import threading
from pathlib import Path

from proj_tui.framework.json_cache import file_stamp, read_json, write_json


def test_a_document_reads_back_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "cache.json"
    assert write_json(path, {"v": 1, "files": {"a": [1, 2]}})
    assert read_json(path) == {"v": 1, "files": {"a": [1, 2]}}
    assert [p.name for p in path.parent.iterdir()] == ["cache.json"]


def test_absent_or_half_written_reads_as_nothing(tmp_path: Path) -> None:
    assert read_json(tmp_path / "absent.json") is None
    torn = tmp_path / "torn.json"
    torn.write_text('{"v": 1, "files": {"a"')
    assert read_json(torn) is None


def test_a_folder_in_the_way_is_no_error(tmp_path: Path) -> None:
    """What a read-only or odd project gives: the cache is skipped, nothing raised."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert write_json(blocker / "cache.json", {"v": 1}) is False


def test_what_json_cannot_hold_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    assert write_json(path, {"when": object()}) is False
    assert not path.exists()
    assert write_json(path, {"when": object()}, default=str)  # as kedro_describe writes
    assert isinstance(read_json(path)["when"], str)


def test_writers_in_threads_never_leave_a_torn_document(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    docs = [{"writer": i, "payload": "x" * 20_000} for i in range(8)]
    threads = [
        threading.Thread(target=lambda d=d: [write_json(path, d) for _ in range(20)]) for d in docs
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert read_json(path) in docs
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_a_stamp_changes_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yml"
    assert file_stamp(path) is None
    path.write_text("a: 1\n")
    first = file_stamp(path)
    path.write_text("a: 12\n")
    assert first is not None and file_stamp(path) != first
