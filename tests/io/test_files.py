from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest

from proj_tui.io import (
    CSVDataset,
    DatasetError,
    JSONDataset,
    PickleDataset,
    TextDataset,
    YAMLDataset,
)
from proj_tui.io.core import atomic_write
from proj_tui.io.files import FileDataset

DATA = {"name": "é", "values": [1, 2.5, None, True], "nested": {"k": "v"}}


@pytest.mark.parametrize(
    ("cls", "suffix"),
    [(JSONDataset, "json"), (YAMLDataset, "yml"), (PickleDataset, "pkl")],
)
def test_round_trip_and_parent_dirs(tmp_path: Path, cls: type[FileDataset], suffix: str) -> None:
    ds = cls(filepath=tmp_path / "a" / "b" / f"data.{suffix}")
    assert not ds.exists()
    ds.save(DATA)
    assert ds.exists()
    assert ds.load() == DATA
    assert ds.is_persisted


def test_json_save_args_default_indent(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    JSONDataset(filepath=path).save({"a": 1})
    assert path.read_text() == '{\n  "a": 1\n}'
    JSONDataset(filepath=path, save_args={"indent": None, "sort_keys": True}).save({"b": 1, "a": 2})
    assert path.read_text() == '{"a": 2, "b": 1}'


def test_yaml_is_safe_only(tmp_path: Path) -> None:
    path = tmp_path / "evil.yml"
    path.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(DatasetError, match=r"Failed to load YAMLDataset"):
        YAMLDataset(filepath=path).load()

    class Custom:
        pass

    with pytest.raises(DatasetError, match=r"cannot be written as safe YAML.*PickleDataset"):
        YAMLDataset(filepath=tmp_path / "c.yml").save({"x": Custom()})
    assert not (tmp_path / "c.yml").exists()


def test_yaml_keeps_key_order_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "d.yml"
    YAMLDataset(filepath=path).save({"z": 1, "a": "é"})
    assert path.read_text(encoding="utf-8") == "z: 1\na: é\n"


def test_csv_round_trip_as_strings(tmp_path: Path) -> None:
    ds = CSVDataset(filepath=tmp_path / "rows.csv")
    ds.save([{"a": 1, "b": "x,y"}, {"a": 2, "c": "new"}])
    assert ds.load() == [
        {"a": "1", "b": "x,y", "c": ""},
        {"a": "2", "b": "", "c": "new"},
    ]


def test_csv_load_and_save_args(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    ds = CSVDataset(
        filepath=path,
        load_args={"delimiter": "\t"},
        save_args={"delimiter": "\t", "fieldnames": ["b", "a"]},
    )
    ds.save([{"a": 1, "b": 2}])
    assert path.read_bytes() == b"b\ta\r\n2\t1\r\n"
    assert ds.load() == [{"b": "2", "a": "1"}]


def test_csv_empty_list(tmp_path: Path) -> None:
    ds = CSVDataset(filepath=tmp_path / "empty.csv")
    ds.save([])
    assert ds.load() == []


def test_csv_refuses_non_rows(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"Cannot save dict to CSVDataset.*a list of dicts"):
        CSVDataset(filepath=tmp_path / "x.csv").save({"a": 1})


def test_csv_unknown_column_with_fixed_fieldnames(tmp_path: Path) -> None:
    ds = CSVDataset(filepath=tmp_path / "x.csv", save_args={"fieldnames": ["a"]})
    with pytest.raises(DatasetError, match=r"CSV problem.*fieldnames"):
        ds.save([{"a": 1, "b": 2}])
    assert list(tmp_path.iterdir()) == []


def test_text_round_trip_is_exact(tmp_path: Path) -> None:
    ds = TextDataset(filepath=tmp_path / "t.txt")
    ds.save("line1\r\nline2\n\u2603")
    assert ds.load() == "line1\r\nline2\n\u2603"


def test_text_refuses_non_strings(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"Cannot save int to TextDataset.*a str"):
        TextDataset(filepath=tmp_path / "t.txt").save(1)


def test_text_encoding_args(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("café".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"not valid utf-8 text.*encoding"):
        TextDataset(filepath=path).load()
    assert TextDataset(filepath=path, load_args={"encoding": "latin-1"}).load() == "café"


def test_missing_file_names_dataset_path_and_hint(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(DatasetError) as info:
        JSONDataset(filepath=path).load()
    message = str(info.value)
    assert "JSONDataset(filepath=" in message
    assert f"file not found: {path}" in message
    assert "Check the filepath in catalog.yml, or run the node that produces it." in message


def test_invalid_json_has_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n}')
    with pytest.raises(DatasetError, match=r"invalid JSON") as info:
        JSONDataset(filepath=path).load()
    assert info.value.location is not None
    assert info.value.location.path == path
    assert info.value.location.line == 3


def test_invalid_yaml_has_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("a: 1\nb: [1, 2\n")
    with pytest.raises(DatasetError, match=r"invalid YAML in .*bad\.yml at line") as info:
        YAMLDataset(filepath=path).load()
    assert info.value.location is not None and info.value.location.line is not None


def test_json_unserialisable_suggests_pickle(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    with pytest.raises(DatasetError, match=r"cannot be written as JSON.*PickleDataset"):
        JSONDataset(filepath=path).save({"s": {1, 2}})
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_corrupt_pickle(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match=r"not a readable pickle file"):
        PickleDataset(filepath=path).load()


def test_unpicklable_data(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"cannot be pickled.*lambdas"):
        PickleDataset(filepath=tmp_path / "x.pkl").save(lambda: 1)


def test_pickle_save_args(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    PickleDataset(filepath=path, save_args={"protocol": 2}).save([1])
    assert path.read_bytes()[:2] == b"\x80\x02"
    assert pickle.loads(path.read_bytes()) == [1]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"is a folder, not a file"):
        JSONDataset(filepath=tmp_path).load()


def test_saving_none_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"Saving None to JSONDataset"):
        JSONDataset(filepath=tmp_path / "x.json").save(None)


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path, "w") as handle:
        handle.write("half")
        raise RuntimeError("crash mid-write")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_atomic_write_uses_normal_permissions(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    JSONDataset(filepath=path).save([1])
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_failing_write_leaves_previous_json_intact(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    ds = JSONDataset(filepath=path)
    ds.save({"v": 1})

    class Boom:
        def __iter__(self) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(DatasetError):
        ds.save({"v": Boom()})
    assert json.loads(path.read_text()) == {"v": 1}


def test_describe_and_repr_never_show_credentials(tmp_path: Path) -> None:
    ds = JSONDataset(
        filepath=tmp_path / "x.json",
        credentials={"token": "s3cret"},
        load_args={"parse_float": str},
    )
    assert "s3cret" not in repr(ds)
    assert "s3cret" not in str(ds.describe())
    assert ds.describe()["filepath"] == str(tmp_path / "x.json")
    assert ds.describe()["versioned"] is False
