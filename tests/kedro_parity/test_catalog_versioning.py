"""Versioned datasets and remote paths, ported from Kedro's tests/io/test_data_catalog.py
(TestDataCatalogVersioned) and tests/io/test_core.py. Each test names the Kedro test it follows."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from proj_tui.io import DataCatalog, DatasetError, JSONDataset, VersionNotFoundError
from proj_tui.io.core import generate_version

V1, V2 = "2026-01-01T00.00.00.001Z", "2026-01-01T00.00.00.002Z"


def config(tmp_path: Path, **extra: object) -> dict:
    return {
        "boats": {"type": "json.JSONDataset", "filepath": str(tmp_path / "boats.json"), **extra}
    }


def test_from_correct_config_versioned(tmp_path: Path) -> None:
    """Kedro: TestDataCatalogVersioned::test_from_correct_config_versioned."""
    version = generate_version()
    catalog = DataCatalog.from_config(
        config(tmp_path, versioned=True), load_versions={"boats": version}, save_version=version
    )
    catalog.save("boats", [1, 2])
    assert (tmp_path / "boats.json" / version / "boats.json").is_file()
    assert catalog.load("boats") == [1, 2]
    assert catalog.load("boats", version=version) == [1, 2]


def test_version_key_in_config_is_not_a_dataset_argument(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Kedro: test_from_correct_config_versioned_warn — 'version' is reserved: warned and dropped."""
    with caplog.at_level(logging.WARNING):
        catalog = DataCatalog.from_config(config(tmp_path, versioned=True, version=True))
    assert "'version'" in caplog.text and "reserved" in caplog.text
    assert catalog["boats"].versioned


def test_from_correct_config_load_versions_warn(tmp_path: Path) -> None:
    """Kedro: test_from_correct_config_load_versions_warn."""
    from proj_tui.io import DatasetNotFoundError

    with pytest.raises(DatasetNotFoundError, match="non-boat"):
        DataCatalog.from_config(config(tmp_path, versioned=True), load_versions={"non-boat": V1})


def test_compare_other_datasets_versioned(tmp_path: Path) -> None:
    """Kedro: test_compare_tracking_and_other_dataset_versioned — one save version per catalog."""
    entries = {
        "a": {"type": "json.JSONDataset", "filepath": str(tmp_path / "a.json"), "versioned": True},
        "b": {"type": "text.TextDataset", "filepath": str(tmp_path / "b.txt"), "versioned": True},
    }
    catalog = DataCatalog.from_config(entries)
    catalog.save("a", {"x": 1})
    catalog.save("b", "hello")
    (version_a,) = catalog["a"].versions()
    (version_b,) = catalog["b"].versions()
    assert version_a == version_b


def test_load_version(tmp_path: Path) -> None:
    """Kedro: test_load_version — load(name, version=) picks a saved version; load() the newest."""
    DataCatalog.from_config(config(tmp_path, versioned=True), save_version=V1).save(
        "boats", "first"
    )
    catalog = DataCatalog.from_config(config(tmp_path, versioned=True), save_version=V2)
    catalog.save("boats", "second")
    assert catalog.load("boats", version=V1) == "first"
    assert catalog.load("boats", version=V2) == "second"
    assert catalog.load("boats") == "second"


def test_load_version_on_unversioned_dataset(tmp_path: Path) -> None:
    """Kedro: test_load_version_on_unversioned_dataset."""
    catalog = DataCatalog.from_config(config(tmp_path))
    catalog.save("boats", [1])
    with pytest.raises(DatasetError, match="not versioned"):
        catalog.load("boats", version=V1)


def test_load_a_version_that_was_never_saved(tmp_path: Path) -> None:
    """Kedro: tests/io/test_core.py — a pinned version that is missing says which versions exist."""
    catalog = DataCatalog.from_config(config(tmp_path, versioned=True), save_version=V1)
    catalog.save("boats", [1])
    with pytest.raises(VersionNotFoundError, match=V1):
        catalog.load("boats", version=V2)


def test_no_versions_yet(tmp_path: Path) -> None:
    """Kedro: tests/io/test_core.py — loading a versioned dataset with no versions."""
    catalog = DataCatalog.from_config(config(tmp_path, versioned=True))
    with pytest.raises(VersionNotFoundError, match="No saved version"):
        catalog.load("boats")


def test_save_version_written_once(tmp_path: Path) -> None:
    """Kedro: tests/io/test_core.py — saving twice under one version is refused."""
    catalog = DataCatalog.from_config(config(tmp_path, versioned=True), save_version=V1)
    catalog.save("boats", [1])
    with pytest.raises(DatasetError, match="already exists"):
        catalog.save("boats", [2])


def test_exists_for_versioned(tmp_path: Path) -> None:
    """Kedro: tests/io/test_core.py — exists() is True once any version is saved."""
    catalog = DataCatalog.from_config(config(tmp_path, versioned=True), save_version=V1)
    assert not catalog.exists("boats")
    catalog.save("boats", [1])
    assert catalog.exists("boats")


@pytest.mark.parametrize("bad", ["..", "a/b", ""])
def test_version_must_be_a_folder_name(tmp_path: Path, bad: str) -> None:
    """A version becomes a path part, so one that would escape the folder is refused."""
    with pytest.raises(DatasetError):
        JSONDataset(filepath=tmp_path / "x.json", versioned=True).at_version(bad or "/").load()


# ------------------------------------------------------------------ remote paths (fsspec)


def test_file_protocol_is_a_local_path(tmp_path: Path) -> None:
    """Kedro: get_protocol_and_path — file:// is local."""
    catalog = DataCatalog.from_config(
        {"t": {"type": "text.TextDataset", "filepath": f"file://{tmp_path}/t.txt"}}
    )
    catalog.save("t", "hi")
    assert (tmp_path / "t.txt").read_text() == "hi"
    assert catalog.load("t") == "hi"


def test_memory_protocol_through_fsspec() -> None:
    """A protocol path goes through fsspec: save, load, exists, with the URL kept whole."""
    url = f"memory://parity-{uuid.uuid4().hex}/x.json"
    catalog = DataCatalog.from_config({"m": {"type": "json.JSONDataset", "filepath": url}})
    assert not catalog.exists("m")
    catalog.save("m", {"a": 1})
    assert catalog.exists("m")
    assert catalog.load("m") == {"a": 1}
    assert catalog.describe("m")["filepath"] == url


def test_memory_protocol_versioned() -> None:
    url = f"memory://parity-{uuid.uuid4().hex}/v.json"
    entry = {"v": {"type": "json.JSONDataset", "filepath": url, "versioned": True}}
    DataCatalog.from_config(entry, save_version=V1).save("v", 1)
    catalog = DataCatalog.from_config(entry, save_version=V2)
    catalog.save("v", 2)
    assert catalog["v"].versions() == [V1, V2]
    assert catalog.load("v") == 2
    assert catalog.load("v", version=V1) == 1


def test_s3_without_its_package_is_a_clear_error() -> None:
    """s3://bucket/x.csv used to become the local path s3:/bucket/x.csv."""
    pytest.importorskip("fsspec")
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover
        pytest.skip("s3fs is installed here")
    with pytest.raises(DatasetError, match=r"s3://bucket/x\.csv.*(s3fs|not installed)"):
        DataCatalog.from_config({"s": {"type": "csv.CSVDataset", "filepath": "s3://bucket/x.csv"}})


def test_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match="'nosuchproto://'"):
        DataCatalog.from_config(
            {"s": {"type": "csv.CSVDataset", "filepath": "nosuchproto://b/x.csv"}}
        )
