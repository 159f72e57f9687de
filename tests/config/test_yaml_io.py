"""Reading single files: types, safety, and errors with file, line and column."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from proj_tui.config import ConfigError
from proj_tui.config.yaml_io import find_key_location, load_config_file, parse_value


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e5", 1e5),
        ("-2.5E-3", -2.5e-3),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", ""),
        ("  x  ", "x"),
        ("2020-01-01", "2020-01-01"),
        ("a: b", "a: b"),
        ("#x", "#x"),
        ("[1, 2]", [1, 2]),
        ("{a: 1, b: [x]}", {"a": 1, "b": ["x"]}),
        ('"1"', "1"),
        ("'it''s'", "it's"),
        ("http://host:1/x", "http://host:1/x"),
    ],
)
def test_parse_value_types_like_yaml(text: str, expected: object) -> None:
    value = parse_value(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "text", ["[1, 2", "{a: 1, a: 2}", '"open', "[!!python/object:os.system x]"]
)
def test_parse_value_broken_flow_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="value"):
        parse_value(text)


def test_empty_and_comment_only_files_are_empty_mappings(tmp_path: Path) -> None:
    assert load_config_file(_file(tmp_path, "a.yml", "")) == {}
    assert load_config_file(_file(tmp_path, "b.yml", "# only a comment\n")) == {}
    assert load_config_file(_file(tmp_path, "c.json", "  \n")) == {}


def test_scalars_follow_omegaconf(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.yml",
        """
        day: 2024-05-01
        small: 1e-3
        on: yes
        n: 0x10
        """,
    )
    assert load_config_file(path) == {"day": "2024-05-01", "small": 1e-3, True: True, "n": 16}


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "p.yml",
        """
        defaults: &d {a: 1, b: 2}
        x:
          <<: *d
          b: 3
        """,
    )
    assert load_config_file(path)["x"] == {"a": 1, "b": 3}


def test_python_tags_are_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match=r"p\.yml") as info:
        load_config_file(path)
    assert info.value.location is not None
    assert info.value.location.line == 1


def test_malformed_yaml_names_file_line_column_and_problem(tmp_path: Path) -> None:
    path = _file(tmp_path, "parameters.yml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    err = info.value
    assert str(path) in err.message
    assert "not valid YAML" in err.message
    assert "did not find expected ',' or ']'" in err.message
    assert err.location is not None
    assert err.location.path == path
    assert err.location.line == 3
    assert err.location.column == 2
    assert "while parsing a flow sequence started at line 2, column 4" in err.message
    assert "at line 3, column 2" in err.message


def test_bad_indentation_reports_its_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "a:\n  b: 1\n c: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert info.value.location is not None
    assert info.value.location.line == 3


def test_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "m:\n\ta: 1\n")
    with pytest.raises(ConfigError, match="cannot indent with tabs") as info:
        load_config_file(path)
    assert info.value.location is not None
    assert info.value.location.line == 2


def test_duplicate_key_names_file_line_and_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "catalog.yml", "a:\n  x: 1\n  y: 2\n  x: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    err = info.value
    assert "'x'" in err.message
    assert str(path) in err.message
    assert "line 4, column 3" in err.message
    assert "already defined at line 2" in err.message
    assert err.location is not None
    assert (err.location.line, err.location.column) == (4, 3)


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "a: 1\nb: 2\na: 3\n")
    with pytest.raises(ConfigError, match=r"repeats the key 'a' at line 3, column 1"):
        load_config_file(path)


def test_non_mapping_top_level_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "parameters.yml", "- 1\n- 2\n")
    with pytest.raises(ConfigError, match="holds a list") as info:
        load_config_file(path)
    assert str(path) in info.value.message
    scalar = _file(tmp_path, "p2.yml", "just text\n")
    with pytest.raises(ConfigError, match="holds a string"):
        load_config_file(scalar)
    js = _file(tmp_path, "p3.json", "[1]")
    with pytest.raises(ConfigError, match=r"p3\.json must hold a mapping"):
        load_config_file(js)


def test_json_is_read_with_json_semantics(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.json", '{"a": 1e5, "b": "2020-01-01", "c": {"d": [1, null]}}')
    assert load_config_file(path) == {"a": 1e5, "b": "2020-01-01", "c": {"d": [1, None]}}


def test_malformed_json_names_file_line_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "catalog.json", '{\n  "a": 1,\n  "b": 2,\n}\n')
    with pytest.raises(ConfigError, match="not valid JSON") as info:
        load_config_file(path)
    err = info.value
    assert str(path) in err.message
    assert err.location is not None
    assert err.location.line == 4
    assert "line 4, column 1" in err.message


def test_duplicate_json_key_names_file_and_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.json", '{\n  "a": 1,\n  "a": 2\n}\n')
    with pytest.raises(ConfigError, match="repeats the key 'a'") as info:
        load_config_file(path)
    assert info.value.location is not None
    assert info.value.location.line == 3


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        load_config_file(path)
    assert info.value.location is not None
    assert info.value.location.line == 2


def test_disallowed_control_character(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("a: 1\nb: x\x01y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="character YAML does not allow") as info:
        load_config_file(path)
    assert info.value.location is not None
    assert (info.value.location.line, info.value.location.column) == (2, 5)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Could not read"):
        load_config_file(tmp_path / "nope.yml")


def test_cache_returns_same_object_until_file_changes(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "a: 1\n")
    first = load_config_file(path)
    assert load_config_file(path) is first
    path.write_text("a: 22\n", encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_config_file(path) == {"a": 22}


def test_cache_sees_same_mtime_different_size(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "a: 1\n")
    st = path.stat()
    assert load_config_file(path) == {"a": 1}
    path.write_text("a: 100\n", encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert load_config_file(path) == {"a": 100}


def test_find_key_location(tmp_path: Path) -> None:
    path = _file(tmp_path, "p.yml", "a:\n  b:\n    - x\n    - y\n  c: 1\n")
    loc = find_key_location(path, ("a", "c"))
    assert (loc.line, loc.column) == (5, 3)
    loc = find_key_location(path, ("a", "b", 1))
    assert (loc.line, loc.column) == (4, 7)
    # a missing key returns the deepest place found
    loc = find_key_location(path, ("a", "zzz"))
    assert (loc.line, loc.column) == (1, 1)
    broken = _file(tmp_path, "q.yml", "a: [\n")
    assert find_key_location(broken, ("a",)).line is None
