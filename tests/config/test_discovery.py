"""Which files feed which key."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.config import DEFAULT_CONFIG_PATTERNS, is_config_file
from proj_tui.config.discovery import find_config_files


def _touch(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n", encoding="utf-8")


def _rel(root: Path, paths: list[Path]) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_default_patterns_find_top_level_subfolder_and_nested_files(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "parameters.yml",
        "parameters_model.yaml",
        "parameters/train.json",
        "parameters/deep/more.yml",
        "pipelines/a/parameters_a.yml",
        "catalog.yml",
        "xparameters.yml",
        "parameters.txt",
    )
    found = find_config_files(tmp_path, DEFAULT_CONFIG_PATTERNS["parameters"])
    assert _rel(tmp_path, found) == [
        "parameters.yml",
        "parameters/deep/more.yml",
        "parameters/train.json",
        "parameters_model.yaml",
        "pipelines/a/parameters_a.yml",
    ]


def test_files_are_sorted_and_deduplicated(tmp_path: Path) -> None:
    _touch(tmp_path, "catalog_b.yml", "catalog_a.yml", "catalog/x.yml")
    found = find_config_files(tmp_path, ["catalog*", "catalog*", "**/catalog*", "catalog*/**"])
    assert _rel(tmp_path, found) == ["catalog/x.yml", "catalog_a.yml", "catalog_b.yml"]


def test_hidden_and_editor_files_are_skipped(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "parameters.yml",
        ".parameters.yml",
        ".#parameters.yml",
        "parameters.yml~",
        "parameters.yml.swp",
        "parameters.tmp",
        "parameters.yml.tmp",
        "#parameters.yml#",
        "4913",
        ".hidden/parameters.yml",
        "sub/.ipynb_checkpoints/parameters.yml",
    )
    found = find_config_files(tmp_path, DEFAULT_CONFIG_PATTERNS["parameters"] + ["**"])
    assert _rel(tmp_path, found) == ["parameters.yml"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("conf/base/parameters.yml", True),
        ("conf/base/catalog.JSON", True),
        ("conf/base/x.yaml", True),
        ("conf/base/.parameters.yml", False),
        ("conf/base/.#parameters.yml", False),
        ("conf/base/parameters.yml~", False),
        ("conf/base/parameters.yml.swp", False),
        ("conf/base/parameters.tmp", False),
        ("conf/base/4913", False),
        ("conf/.git/parameters.yml", False),
        ("conf/base/notes.txt", False),
    ],
)
def test_is_config_file(name: str, expected: bool) -> None:
    assert is_config_file(name) is expected


def test_is_config_file_counts_hidden_folders_only_below_the_root() -> None:
    root = "/home/u/.local/share/demo/conf"
    assert is_config_file(f"{root}/base/parameters.yml", root)
    assert not is_config_file(f"{root}/base/.ipynb_checkpoints/parameters.yml", root)
    assert not is_config_file("/elsewhere/parameters.yml", root)
    assert not is_config_file(f"{root}/base/parameters.yml")  # no root: every folder counts


def test_custom_patterns_with_question_mark_and_class(tmp_path: Path) -> None:
    _touch(tmp_path, "spark1.yml", "spark2.yml", "sparkx.yml", "a/b/spark.yml")
    assert _rel(tmp_path, find_config_files(tmp_path, ["spark[0-9].yml"])) == [
        "spark1.yml",
        "spark2.yml",
    ]
    assert _rel(tmp_path, find_config_files(tmp_path, ["spark?.yml"])) == [
        "spark1.yml",
        "spark2.yml",
        "sparkx.yml",
    ]
    assert _rel(tmp_path, find_config_files(tmp_path, ["a/**/spark.yml"])) == ["a/b/spark.yml"]
