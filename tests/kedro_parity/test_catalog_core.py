"""The data catalog, ported from Kedro's tests/io/test_data_catalog.py (1.x ``DataCatalog``).

Kedro's fixtures use pandas datasets; ours are the stdlib ones (JSON, CSV as rows, pickle), written
under tmp_path. Each test names the Kedro test it comes from.
"""

from __future__ import annotations

import logging
import re
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
)

ROWS = [{"col1": "1", "col2": "4"}, {"col1": "2", "col2": "5"}]


@pytest.fixture
def dataset(tmp_path: Path) -> CSVDataset:
    return CSVDataset(filepath=tmp_path / "some" / "dir" / "test.csv")


@pytest.fixture
def data_catalog(dataset: CSVDataset) -> DataCatalog:
    return DataCatalog(datasets={"test": dataset})


@pytest.fixture
def memory_catalog() -> DataCatalog:
    return DataCatalog({"ds1": MemoryDataset({"data": 42}), "ds2": MemoryDataset([1, 2, 3, 4, 5])})


@pytest.fixture
def multi_catalog(tmp_path: Path) -> DataCatalog:
    return DataCatalog(
        {
            "abc": CSVDataset(filepath=tmp_path / "abc.csv"),
            "def": CSVDataset(filepath=tmp_path / "def.csv"),
            "xyz": PickleDataset(filepath=tmp_path / "xyz.pkl"),
        }
    )


@pytest.fixture
def correct_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "catalog": {
            "boats": {
                "type": "csv.CSVDataset",
                "filepath": str(tmp_path / "some" / "dir" / "test.csv"),
            },
            "cars": {
                "type": "json.JSONDataset",
                "filepath": str(tmp_path / "cars.json"),
                "credentials": "s3_credentials",
            },
        },
        "credentials": {"s3_credentials": {"key": "FAKE_ACCESS_KEY", "secret": "FAKE_SECRET_KEY"}},
    }


class _Confirmable(MemoryDataset):
    """A dataset with a confirm() that remembers it was called (Kedro tests use a Mock)."""

    def __init__(self) -> None:
        super().__init__(data=1)
        self.confirmed = 0

    def confirm(self) -> None:
        self.confirmed += 1


class _BadDataset(AbstractDataset):
    def __init__(self, filepath: str) -> None:
        raise Exception("Naughty!")

    def _load(self) -> Any: ...  # pragma: no cover

    def _save(self, data: Any) -> None: ...  # pragma: no cover

    def _describe(self) -> dict[str, Any]:
        return {}  # pragma: no cover


def test_save_and_load(data_catalog: DataCatalog) -> None:
    """Kedro: TestDataCatalog::test_save_and_load."""
    data_catalog.save("test", ROWS)
    assert data_catalog.load("test") == ROWS


def test_add_save_and_load(dataset: CSVDataset) -> None:
    """Kedro: test_add_save_and_load (``catalog[name] = dataset`` is 1.x's add)."""
    catalog = DataCatalog(datasets={})
    catalog["test"] = dataset
    catalog.save("test", ROWS)
    assert catalog.load("test") == ROWS


def test_load_error(data_catalog: DataCatalog) -> None:
    """Kedro: test_load_error — loading a file that is not there names the dataset."""
    with pytest.raises(DatasetError, match="Failed to load CSVDataset"):
        data_catalog.load("test")


def test_add_dataset_twice_without_replace(data_catalog: DataCatalog, dataset: CSVDataset) -> None:
    """Kedro: test_add_dataset_twice — adding a taken name without replace is refused."""
    with pytest.raises(DatasetAlreadyExistsError, match="'test'"):
        data_catalog.add_feed_dict({"test": dataset}, replace=False)


def test_load_from_unregistered() -> None:
    """Kedro: test_load_from_unregistered."""
    with pytest.raises(DatasetNotFoundError, match="Dataset 'test' is not in the catalog"):
        DataCatalog(datasets={}).load("test")


def test_save_to_unregistered() -> None:
    """Kedro: test_save_to_unregistered."""
    with pytest.raises(DatasetNotFoundError, match="Dataset 'test' is not in the catalog"):
        DataCatalog(datasets={}).save("test", ROWS)


def test_not_found_is_a_key_error() -> None:
    """``catalog[name]`` raising DatasetNotFoundError is also a KeyError, as for a mapping."""
    with pytest.raises(KeyError):
        DataCatalog()["nope"]


def test_feed_dict(memory_catalog: DataCatalog) -> None:
    """Kedro: test_feed_dict — a feed dict replaces and adds datasets."""
    assert "data" in memory_catalog.load("ds1")
    memory_catalog.add_feed_dict({"ds1": 0, "ds3": 1}, replace=True)
    assert memory_catalog.load("ds1") == 0
    assert isinstance(memory_catalog.load("ds2"), list)
    assert memory_catalog.load("ds3") == 1


def test_exists(data_catalog: DataCatalog) -> None:
    """Kedro: test_exists."""
    assert not data_catalog.exists("test")
    data_catalog.save("test", ROWS)
    assert data_catalog.exists("test")


def test_exists_invalid(data_catalog: DataCatalog) -> None:
    """Kedro: test_exists_invalid — an unknown name does not exist (no error)."""
    assert not data_catalog.exists("wrong_key")


def test_release_unregistered(data_catalog: DataCatalog) -> None:
    """Kedro: test_release_unregistered — no near miss, so no 'did you mean'."""
    with pytest.raises(DatasetNotFoundError, match="'wrong_key'") as info:
        data_catalog.release("wrong_key")
    assert "did you mean" not in str(info.value).lower()


def test_release_unregistered_typo(data_catalog: DataCatalog) -> None:
    """Kedro: test_release_unregistered_typo — a near miss is suggested."""
    with pytest.raises(DatasetNotFoundError, match="Did you mean 'test'"):
        data_catalog.release("text")


def test_release(data_catalog: DataCatalog) -> None:
    """Kedro: test_release — releasing a file dataset is harmless."""
    data_catalog.release("test")


@pytest.mark.parametrize(
    ("name_regex", "type_regex", "expected"),
    [
        (re.compile("^a"), None, ["abc"]),
        (re.compile("^A"), None, []),
        (re.compile("^A", flags=re.IGNORECASE), None, ["abc"]),
        ("a|x", None, ["abc", "xyz"]),
        ("a|d|x", None, ["abc", "def", "xyz"]),
        ("a|d|x", "CSVDataset", ["abc", "def"]),
        ("a|d|x", "proj_tui.io", ["abc", "def", "xyz"]),
        (None, "PickleDataset", ["xyz"]),
        ("^(?!(a|d|x))", None, []),
        ("def", None, ["def"]),
        (None, None, ["abc", "def", "xyz"]),
        ("a|d|x", "no_such_dataset", []),
    ],
)
def test_catalog_filter_regex(
    multi_catalog: DataCatalog, name_regex: Any, type_regex: str | None, expected: list[str]
) -> None:
    """Kedro: test_catalog_filter_regex."""
    assert multi_catalog.filter(name_regex=name_regex, type_regex=type_regex) == expected


@pytest.mark.parametrize(
    ("name_regex", "type_regex", "by_type", "expected"),
    [
        ("b|m", None, None, ["boats", "materialized"]),
        (None, None, None, ["boats", "cars", "materialized"]),
        (None, "CSVDataset", None, ["boats"]),
        (None, "PickleDataset", None, ["materialized"]),
        ("b|c", "PickleDataset", None, []),
        (None, None, PickleDataset, ["materialized"]),
        (None, None, [CSVDataset, PickleDataset], ["boats", "materialized"]),
        (None, "PickleDataset", [CSVDataset, PickleDataset], ["materialized"]),
        ("b|m", None, [CSVDataset, PickleDataset], ["boats", "materialized"]),
    ],
)
def test_from_config_catalog_filter_regex(
    correct_config: dict,
    tmp_path: Path,
    name_regex: Any,
    type_regex: Any,
    by_type: Any,
    expected: list[str],
) -> None:
    """Kedro: test_from_config_catalog_filter_regex (``by_type`` is an instance check)."""
    catalog = DataCatalog.from_config(**correct_config)
    catalog["materialized"] = PickleDataset(filepath=tmp_path / "xyz.pkl")
    assert catalog.filter(name_regex=name_regex, type_regex=type_regex, by_type=by_type) == expected


def test_filter_with_a_bad_regex(multi_catalog: DataCatalog) -> None:
    """Kedro: test_multi_catalog_list_bad_regex — a broken pattern says so."""
    with pytest.raises(DatasetError, match="not a valid regular expression"):
        multi_catalog.filter("((")


def test_datasets_on_init(correct_config: dict) -> None:
    """Kedro: test_datasets_on_init."""
    catalog = DataCatalog.from_config(**correct_config)
    assert isinstance(catalog.get("boats"), CSVDataset)
    assert isinstance(catalog.get("cars"), JSONDataset)


def test_datasets_on_add(correct_config: dict, tmp_path: Path) -> None:
    """Kedro: test_datasets_on_add."""
    catalog = DataCatalog.from_config(**correct_config)
    catalog["new_dataset"] = CSVDataset(filepath=tmp_path / "some_path.csv")
    assert isinstance(catalog.get("new_dataset"), CSVDataset)
    assert isinstance(catalog.get("boats"), CSVDataset)


def test_confirm(caplog: pytest.LogCaptureFixture) -> None:
    """Kedro: test_confirm — confirm() is called once and logged."""
    dataset = _Confirmable()
    catalog = DataCatalog(datasets={"mocked": dataset})
    with caplog.at_level(logging.INFO, logger="proj_tui.io.catalog"):
        catalog.confirm("mocked")
    assert dataset.confirmed == 1
    assert (
        "proj_tui.io.catalog",
        logging.INFO,
        "Confirming dataset 'mocked'",
    ) in caplog.record_tuples


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("missing", "Dataset 'missing' is not in the catalog"),
        ("test", "Dataset 'test' does not have 'confirm' method"),
    ],
)
def test_bad_confirm(data_catalog: DataCatalog, name: str, error: str) -> None:
    """Kedro: test_bad_confirm."""
    with pytest.raises(DatasetError, match=re.escape(error)):
        data_catalog.confirm(name)


def test_shallow_copy_returns_correct_class_type() -> None:
    """Kedro: test_shallow_copy_returns_correct_class_type."""

    class MyDataCatalog(DataCatalog):
        pass

    assert isinstance(MyDataCatalog().shallow_copy(), MyDataCatalog)


def test_init_with_raw_data(dataset: CSVDataset) -> None:
    """Kedro: test_init_with_raw_data — raw values become MemoryDatasets."""
    catalog = DataCatalog(datasets={"ds": dataset}, raw_data={"df": ROWS})
    assert "ds" in catalog and "df" in catalog
    assert isinstance(catalog["ds"], CSVDataset)
    assert isinstance(catalog["df"], MemoryDataset)


def test_repr(correct_config: dict) -> None:
    """Kedro: test_repr — repr and str agree."""
    catalog = DataCatalog.from_config(**correct_config)
    assert repr(catalog) == str(catalog)


def test_missing_keys_from_load_versions(correct_config: dict) -> None:
    """Kedro: test_missing_keys_from_load_versions."""
    with pytest.raises(DatasetNotFoundError, match="load_versions pins 'version'"):
        DataCatalog.from_config(**correct_config, load_versions={"version": "test_version"})


def test_get_dataset_matching_pattern() -> None:
    """Kedro: test_get_dataset_matching_pattern — a factory pattern makes the dataset on use."""
    catalog = DataCatalog.from_config({"{default}": {"type": "MemoryDataset"}})
    assert "match_pattern_ds" in catalog
    assert isinstance(catalog.get("match_pattern_ds"), MemoryDataset)


def test_iteration(correct_config: dict) -> None:
    """Kedro: TestDataCatalogFromConfig::test_iteration — keys, values and items."""
    catalog = DataCatalog.from_config(**correct_config)
    assert list(catalog) == list(correct_config["catalog"])
    assert catalog.keys() == list(correct_config["catalog"])
    assert [type(ds) for ds in catalog.values()] == [CSVDataset, JSONDataset]
    assert [name for name, _ in catalog.items()] == ["boats", "cars"]
    assert all(catalog[name] is ds for name, ds in catalog.items())


def test_getitem_setitem(correct_config: dict) -> None:
    """Kedro: test_getitem_setitem — a plain value is wrapped in a MemoryDataset."""
    catalog = DataCatalog.from_config(**correct_config)
    catalog["test"] = 123
    assert isinstance(catalog["test"], MemoryDataset)
    assert catalog.load("test") == 123


def test_replacing_dataset_warns(correct_config: dict, caplog: pytest.LogCaptureFixture) -> None:
    """Kedro 1.x logs "Replacing dataset" when a name is assigned again."""
    catalog = DataCatalog.from_config(**correct_config)
    with caplog.at_level(logging.WARNING):
        catalog["boats"] = 1
    assert "Replacing dataset 'boats'" in caplog.text


def test_adding_a_new_name_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    catalog = DataCatalog()
    with caplog.at_level(logging.WARNING):
        catalog["fresh"] = 1
    assert "Replacing" not in caplog.text


def test_from_correct_config(correct_config: dict) -> None:
    """Kedro: TestDataCatalogFromConfig::test_from_correct_config."""
    catalog = DataCatalog.from_config(**correct_config)
    catalog.save("boats", ROWS)
    assert catalog.load("boats") == ROWS


def test_config_missing_type(correct_config: dict) -> None:
    """Kedro: test_config_missing_type."""
    del correct_config["catalog"]["boats"]["type"]
    with pytest.raises(DatasetError, match="Dataset 'boats' has no 'type'"):
        DataCatalog.from_config(**correct_config)


def test_config_invalid_module(correct_config: dict) -> None:
    """Kedro: test_config_invalid_module."""
    correct_config["catalog"]["boats"]["type"] = "proj_tui.invalid_module_name.io.CSVDataset"
    with pytest.raises(DatasetError, match="cannot be imported"):
        DataCatalog.from_config(**correct_config)


def test_config_missing_class(correct_config: dict) -> None:
    """Kedro: test_config_missing_class."""
    correct_config["catalog"]["boats"]["type"] = "proj_tui.io.CSVDatasetInvalid"
    with pytest.raises(DatasetError, match="has no 'CSVDatasetInvalid'"):
        DataCatalog.from_config(**correct_config)


def test_config_invalid_dataset(correct_config: dict) -> None:
    """Kedro: test_config_invalid_dataset — a class that is not a dataset."""
    correct_config["catalog"]["boats"]["type"] = "proj_tui.io.DataCatalog"
    with pytest.raises(DatasetError, match="not a dataset class"):
        DataCatalog.from_config(**correct_config)


def test_config_invalid_arguments(correct_config: dict) -> None:
    """Kedro: test_config_invalid_arguments — an argument the dataset does not take."""
    correct_config["catalog"]["boats"]["save_and_load_args"] = False
    with pytest.raises(DatasetError, match="Dataset 'boats' could not be created"):
        DataCatalog.from_config(**correct_config)


def test_config_invalid_dataset_config(correct_config: dict) -> None:
    """Kedro: test_config_invalid_dataset_config — a string entry hints at the '_' prefix."""
    correct_config["catalog"]["invalid_entry"] = "some string"
    with pytest.raises(DatasetError, match="start its key with an underscore"):
        DataCatalog.from_config(**correct_config)


def test_empty_config() -> None:
    """Kedro: test_empty_config."""
    assert len(DataCatalog.from_config(None)) == 0


def test_missing_credentials(correct_config: dict) -> None:
    """Kedro: test_missing_credentials — a KeyError naming the credentials."""
    correct_config["catalog"]["cars"]["credentials"] = "missing"
    with pytest.raises(KeyError, match="credentials 'missing'"):
        DataCatalog.from_config(**correct_config)


def test_missing_nested_credentials(correct_config: dict) -> None:
    """Kedro: test_missing_nested_credentials."""
    correct_config["catalog"]["cars"]["credentials"] = {"client_kwargs": {"credentials": "other"}}
    with pytest.raises(KeyError, match="credentials 'other'"):
        DataCatalog.from_config(**correct_config)


def test_idempotent_catalog(correct_config: dict) -> None:
    """Kedro: test_idempotent_catalog."""
    DataCatalog.from_config(**correct_config)
    assert DataCatalog.from_config(**correct_config)


def test_error_dataset_init(tmp_path: Path) -> None:
    """Kedro: test_error_dataset_init — a dataset whose constructor fails is named."""
    config = {"bad": {"type": f"{__name__}._BadDataset", "filepath": str(tmp_path / "x")}}
    with pytest.raises(DatasetError, match=r"Dataset 'bad' could not be created.*Naughty!"):
        DataCatalog.from_config(config)


def test_dataset_save_none_is_refused() -> None:
    """Kedro: tests/io/test_core.py — saving None is an error."""
    with pytest.raises(DatasetError, match="Saving None"):
        DataCatalog({"m": MemoryDataset()}).save("m", None)


def test_relative_filepath_is_resolved_against_the_project(tmp_path: Path) -> None:
    """Kedro: tests/framework/context::test_get_catalog_always_using_absolute_path."""
    catalog = DataCatalog.from_config(
        {"d": {"type": "json.JSONDataset", "filepath": "data/d.json"}}, project_path=tmp_path
    )
    catalog.save("d", {"a": 1})
    assert (tmp_path / "data" / "d.json").is_file()
