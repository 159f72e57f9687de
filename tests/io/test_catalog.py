from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from proj_tui.io import (
    AbstractDataset,
    CSVDataset,
    DataCatalog,
    DatasetAlreadyExistsError,
    DatasetError,
    DatasetNotFoundError,
    JSONDataset,
    MemoryDataset,
    PickleDataset,
    TextDataset,
    YAMLDataset,
    params_feed,
)

HAS_PANDAS = importlib.util.find_spec("pandas") is not None


def test_type_aliases(tmp_path: Path) -> None:
    config = {
        "m": {"type": "MemoryDataset"},
        "j": {"type": "json.JSONDataset", "filepath": "j.json"},
        "y": {"type": "yaml.YAMLDataset", "filepath": "y.yml"},
        "c": {"type": "csv.CSVDataset", "filepath": "c.csv"},
        "p": {"type": "pickle.PickleDataset", "filepath": "p.pkl"},
        "t": {"type": "text.TextDataset", "filepath": "t.txt"},
        "d": {"type": "proj_tui.io.files.JSONDataset", "filepath": "d.json"},
    }
    catalog = DataCatalog.from_config(config, project_path=tmp_path)
    expected = {
        "m": MemoryDataset,
        "j": JSONDataset,
        "y": YAMLDataset,
        "c": CSVDataset,
        "p": PickleDataset,
        "t": TextDataset,
        "d": JSONDataset,
    }
    for name, cls in expected.items():
        assert type(catalog[name]) is cls
    assert catalog.describe("d")["type"] == "json.JSONDataset"
    assert catalog.keys() == list(config)


def test_relative_paths_resolve_against_project_path(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "rel": {"type": "json.JSONDataset", "filepath": "data/01_raw/x.json"},
            "abs": {"type": "json.JSONDataset", "filepath": str(tmp_path / "abs.json")},
        },
        project_path=tmp_path,
    )
    catalog.save("rel", [1])
    assert (tmp_path / "data" / "01_raw" / "x.json").is_file()
    assert catalog.describe("rel")["filepath"] == str(tmp_path / "data" / "01_raw" / "x.json")
    assert catalog.describe("abs")["filepath"] == str(tmp_path / "abs.json")


def test_describe(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"x": {"type": "json.JSONDataset", "filepath": "x.json", "versioned": True}},
        project_path=tmp_path,
    )
    catalog["mem"] = 3
    assert catalog.describe("x") == {
        "name": "x",
        "type": "json.JSONDataset",
        "filepath": str(tmp_path / "x.json"),
        "versioned": True,
        "persisted": True,
        "pattern": None,
    }
    assert catalog.describe("mem")["type"] == "MemoryDataset"
    assert catalog.describe("mem")["persisted"] is False
    assert catalog.describe("mem")["filepath"] is None


def test_anchor_keys_are_ignored() -> None:
    catalog = DataCatalog.from_config(
        {"_csv": {"type": "csv.CSVDataset"}, "_n": 3, "m": {"type": "MemoryDataset"}}
    )
    assert catalog.keys() == ["m"]


def test_non_mapping_entry_mentions_anchor_underscore() -> None:
    with pytest.raises(DatasetError, match=r"'bad' is not a dataset configuration.*underscore"):
        DataCatalog.from_config({"bad": "json.JSONDataset"})


def test_missing_type() -> None:
    with pytest.raises(DatasetError, match=r"Dataset 'x' has no 'type'.*json.JSONDataset"):
        DataCatalog.from_config({"x": {"filepath": "x.json"}})


@pytest.mark.parametrize(
    ("type_name", "suggestion"),
    [
        ("json.JSONDatset", "json.JSONDataset"),
        ("JSONDataset", "json.JSONDataset"),
        ("MemoryDataSet", "MemoryDataset"),
        ("pickle.PickelDataset", "pickle.PickleDataset"),
    ],
)
def test_unknown_type_did_you_mean(type_name: str, suggestion: str) -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config({"x": {"type": type_name, "filepath": "x"}})
    message = str(info.value)
    assert f"Dataset 'x' has unknown type '{type_name}'." in message
    assert f"Did you mean '{suggestion}'" in message
    assert "Known types: MemoryDataset, json.JSONDataset" in message


def test_dotted_path_errors() -> None:
    with pytest.raises(DatasetError, match=r"module 'no_such_pkg.mod' cannot be imported"):
        DataCatalog.from_config({"x": {"type": "no_such_pkg.mod.Thing"}})
    with pytest.raises(DatasetError, match=r"has no 'JSONDatset'. Did you mean 'JSONDataset'"):
        DataCatalog.from_config({"x": {"type": "proj_tui.io.files.JSONDatset"}})
    with pytest.raises(DatasetError, match=r"is not a dataset class.*subclass"):
        DataCatalog.from_config({"x": {"type": "pathlib.Path"}})


def test_custom_dataset_by_dotted_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_datasets.py").write_text(
        textwrap.dedent(
            """
            from proj_tui.io import AbstractDataset

            class Counter(AbstractDataset):
                def __init__(self, start, credentials=None):
                    self.value = start
                    self.credentials = credentials

                def _load(self):
                    return self.value

                def _save(self, data):
                    self.value = data

                def _describe(self):
                    return {"start": self.value}
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        catalog = DataCatalog.from_config(
            {
                "c": {
                    "type": "my_datasets.Counter",
                    "start": 5,
                    "credentials": "db",
                    "metadata": {"owner": "me"},
                }
            },
            credentials={"db": {"user": "u", "password": "p"}},
        )
        dataset: Any = catalog["c"]
        assert catalog.load("c") == 5
        assert dataset.credentials == {"user": "u", "password": "p"}
        assert dataset.metadata == {"owner": "me"}
        assert catalog.describe("c")["type"] == "my_datasets.Counter"
        with pytest.raises(DatasetError, match=r"does not support versioning"):
            DataCatalog.from_config({"c": {"type": "my_datasets.Counter", "versioned": True}})
    finally:
        sys.modules.pop("my_datasets", None)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(DatasetError, match=r"Dataset 'x' could not be created as json.JSONDataset"):
        DataCatalog.from_config({"x": {"type": "json.JSONDataset", "filepth": "x.json"}})


def test_versioned_must_be_bool() -> None:
    with pytest.raises(DatasetError, match=r"versioned: 'yes'; use true or false"):
        DataCatalog.from_config(
            {"x": {"type": "json.JSONDataset", "filepath": "x", "versioned": "yes"}}
        )


def test_credentials_are_passed_by_name(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"x": {"type": "json.JSONDataset", "filepath": "x.json", "credentials": "store"}},
        credentials={"store": {"token": "t0ken"}},
        project_path=tmp_path,
    )
    dataset: Any = catalog["x"]
    assert dataset._credentials == {"token": "t0ken"}
    assert "t0ken" not in repr(catalog.describe("x"))


def test_unknown_credentials_name_lists_names_not_values() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"x": {"type": "json.JSONDataset", "filepath": "x", "credentials": "stor"}},
            credentials={"store": {"token": "SECRET-1"}, "db": {"password": "SECRET-2"}},
        )
    message = str(info.value)
    assert "Dataset 'x' uses credentials 'stor'" in message
    assert "Did you mean 'store'?" in message
    assert "Known credentials: db, store." in message
    assert "SECRET" not in message


def test_unknown_credentials_when_none_defined() -> None:
    with pytest.raises(DatasetError, match=r"Known credentials: none are defined"):
        DataCatalog.from_config(
            {"x": {"type": "json.JSONDataset", "filepath": "x", "credentials": "s"}}
        )


def test_unknown_name_did_you_mean() -> None:
    catalog = DataCatalog({"companies": MemoryDataset(1)})
    for action in (
        lambda: catalog.load("companys"),
        lambda: catalog.save("companys", 1),
        lambda: catalog["companys"],
        lambda: catalog.release("companys"),
        lambda: catalog.describe("companys"),
    ):
        with pytest.raises(
            DatasetNotFoundError,
            match=r"'companys' is not in the catalog. Did you mean 'companies'",
        ):
            action()
    assert catalog.get("companys") is None
    assert not catalog.exists("companys")
    assert not catalog.is_persisted("companys")
    assert "companys" not in catalog


def test_errors_name_the_dataset(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"raw": {"type": "json.JSONDataset", "filepath": "raw.json"}}, project_path=tmp_path
    )
    catalog["empty"] = MemoryDataset()
    with pytest.raises(
        DatasetError, match=r"^Dataset 'raw': Failed to load JSONDataset.*not found"
    ):
        catalog.load("raw")
    with pytest.raises(DatasetError, match=r"^Dataset 'empty': MemoryDataset has no data yet"):
        catalog.load("empty")
    with pytest.raises(DatasetError, match=r"^Dataset 'raw': Saving None"):
        catalog.save("raw", None)


def test_setitem_wraps_values_and_replaces() -> None:
    catalog = DataCatalog()
    catalog["a"] = 1
    assert isinstance(catalog["a"], MemoryDataset)
    assert catalog.load("a") == 1
    dataset = MemoryDataset(2)
    catalog["a"] = dataset
    assert catalog["a"] is dataset
    assert "a" in catalog and len(catalog) == 1 and list(catalog) == ["a"]


def test_save_load_release_exists() -> None:
    catalog = DataCatalog({"m": MemoryDataset()})
    assert not catalog.exists("m")
    catalog.save("m", {"x": 1})
    assert catalog.exists("m")
    assert catalog.load("m") == {"x": 1}
    catalog.release("m")
    assert not catalog.exists("m")


def test_raw_data_constructor() -> None:
    catalog = DataCatalog(raw_data={"a": 1})
    assert catalog.load("a") == 1


def test_add_feed_dict_and_replace_flag() -> None:
    catalog = DataCatalog()
    catalog.add_feed_dict({"a": 1, "b": MemoryDataset(2)})
    assert catalog.load("a") == 1 and catalog.load("b") == 2
    catalog.add_feed_dict({"a": 10})
    assert catalog.load("a") == 10
    with pytest.raises(
        DatasetAlreadyExistsError, match=r"'a' are already in the catalog.*replace=True"
    ):
        catalog.add_feed_dict({"a": 100, "c": 3}, replace=False)
    assert catalog.load("a") == 10 and "c" not in catalog
    catalog.add_feed_dict({"params:none": None})
    assert catalog.load("params:none") is None


def test_params_feed_kedro_semantics() -> None:
    parameters = {"model": {"lr": 0.1, "layers": {"n": 3}}, "seed": 42, "empty": {}}
    feed = params_feed(parameters)
    assert feed == {
        "parameters": parameters,
        "params:model": {"lr": 0.1, "layers": {"n": 3}},
        "params:model.lr": 0.1,
        "params:model.layers": {"n": 3},
        "params:model.layers.n": 3,
        "params:seed": 42,
        "params:empty": {},
    }
    catalog = DataCatalog()
    catalog.add_feed_dict(feed)
    assert catalog.load("params:model.layers.n") == 3
    assert not catalog.is_persisted("parameters")


def test_shallow_copy_is_independent_for_additions(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"{name}_j": {"type": "json.JSONDataset", "filepath": "{name}.json"}},
        project_path=tmp_path,
    )
    catalog["a"] = 1
    copy = catalog.shallow_copy()
    assert copy["a"] is catalog["a"]
    copy["b"] = 2
    assert "b" not in catalog
    assert copy.patterns() == catalog.patterns() == ["{name}_j"]
    assert "x_j" in copy


def test_is_persisted(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"f": {"type": "text.TextDataset", "filepath": "f.txt"}, "m": {"type": "MemoryDataset"}},
        project_path=tmp_path,
    )
    assert catalog.is_persisted("f")
    assert not catalog.is_persisted("m")


def test_load_versions_for_unknown_or_unversioned_dataset(tmp_path: Path) -> None:
    config = {"model": {"type": "json.JSONDataset", "filepath": "m.json"}}
    with pytest.raises(DatasetNotFoundError, match=r"pins 'modle'.*Did you mean 'model'"):
        DataCatalog.from_config(config, load_versions={"modle": "v"})
    with pytest.raises(DatasetError, match=r"pins 'model' to 'v'.*not versioned.*versioned: true"):
        DataCatalog.from_config(config, load_versions={"model": "v"})


def test_memory_dataset_config_with_copy_mode() -> None:
    catalog = DataCatalog.from_config({"m": {"type": "MemoryDataset", "copy_mode": "deepcopy"}})
    value = [[1]]
    catalog.save("m", value)
    assert catalog.load("m") == value and catalog.load("m") is not value


def test_from_config_none() -> None:
    catalog = DataCatalog.from_config(None)
    assert catalog.keys() == [] and catalog.patterns() == []
    assert repr(catalog) == "DataCatalog(0 datasets, 0 patterns)"


def test_type_may_be_a_class(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"x": {"type": JSONDataset, "filepath": "x.json"}}, project_path=tmp_path
    )
    assert isinstance(catalog["x"], JSONDataset)
    with pytest.raises(DatasetError, match=r"is not a string"):
        DataCatalog.from_config({"x": {"type": 3}})


class _Plain(AbstractDataset):
    def _load(self) -> Any:
        return 1

    def _save(self, data: Any) -> None:
        raise OSError("disk full")

    def _describe(self) -> dict[str, Any]:
        return {}


def test_unexpected_errors_are_wrapped() -> None:
    catalog = DataCatalog({"p": _Plain()})
    with pytest.raises(
        DatasetError, match=r"Dataset 'p': Failed to save _Plain\(\): OSError: disk full"
    ):
        catalog.save("p", 1)
    assert catalog.exists("p") is False


@pytest.mark.skipif(HAS_PANDAS, reason="checks the message shown when pandas is missing")
def test_pandas_types_without_pandas(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "df": {"type": "pandas.CSVDataset", "filepath": "df.csv"},
            "pq": {"type": "pandas.ParquetDataset", "filepath": "df.parquet"},
            "ok": {"type": "MemoryDataset"},
        },
        project_path=tmp_path,
    )
    catalog.save("ok", 1)  # the rest of the catalog still works
    assert catalog.describe("df")["type"] == "pandas.CSVDataset"
    assert catalog.describe("pq")["filepath"] == str(tmp_path / "df.parquet")
    for action in (lambda: catalog.load("df"), lambda: catalog.save("pq", 1)):
        with pytest.raises(DatasetError, match=r"needs pandas.*pip install pandas"):
            action()
    with pytest.raises(DatasetError, match=r"unknown type 'pandas.ExcelDataset'"):
        DataCatalog.from_config({"x": {"type": "pandas.ExcelDataset"}})


@pytest.mark.skipif(not HAS_PANDAS, reason="pandas not installed")
def test_pandas_csv_round_trip(tmp_path: Path) -> None:  # pragma: no cover - needs pandas
    import pandas as pd

    catalog = DataCatalog.from_config(
        {"df": {"type": "pandas.CSVDataset", "filepath": "df.csv"}}, project_path=tmp_path
    )
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    catalog.save("df", frame)
    pd.testing.assert_frame_equal(catalog.load("df"), frame)
    assert catalog.describe("df")["type"] == "pandas.CSVDataset"
