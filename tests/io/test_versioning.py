from __future__ import annotations

import re
from pathlib import Path

import pytest

from proj_tui.io import (
    DataCatalog,
    DatasetError,
    JSONDataset,
    PickleDataset,
    Version,
    VersionNotFoundError,
    generate_version,
)

V1 = "2026-11-24T19.04.33.496Z"
V2 = "2026-11-24T19.05.00.001Z"
V3 = "2026-11-25T08.00.00.000Z"


def test_generate_version_shape_and_order() -> None:
    version = generate_version()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d\.\d{3}Z", version)
    assert generate_version() >= version


def test_save_goes_to_version_folder(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    JSONDataset(filepath=path, version=Version(None, V1)).save({"v": 1})
    assert (path / V1 / "model.json").is_file()


def test_load_picks_newest_version(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    for number, version in enumerate([V2, V1, V3]):
        JSONDataset(filepath=path, version=Version(None, version)).save({"v": number})
    reader = JSONDataset(filepath=path, versioned=True)
    assert reader.versions() == [V1, V2, V3]
    assert reader.load() == {"v": 2}  # V3 is the newest, saved last here but sorted anyway


def test_pinned_load(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    for number, version in enumerate([V1, V2]):
        JSONDataset(filepath=path, version=Version(None, version)).save({"v": number})
    assert JSONDataset(filepath=path, version=Version(V1, None)).load() == {"v": 0}
    assert JSONDataset(filepath=path, version=Version(V1, None)).exists()


def test_pinned_version_missing_names_path_and_known_versions(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    JSONDataset(filepath=path, version=Version(None, V1)).save({"v": 1})
    ds = JSONDataset(filepath=path, version=Version(V2, None))
    assert not ds.exists()
    with pytest.raises(VersionNotFoundError) as info:
        ds.load()
    message = str(info.value)
    assert f"Version '{V2}'" in message
    assert str(path / V2 / "model.json") in message
    assert V1 in message
    assert "load_versions" in message


def test_no_version_at_all(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    ds = JSONDataset(filepath=path, versioned=True)
    assert not ds.exists()
    with pytest.raises(VersionNotFoundError, match=r"No saved version.*model\.json/<version>/"):
        ds.load()


def test_plain_file_where_versions_are_expected(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    JSONDataset(filepath=path).save([1])
    with pytest.raises(VersionNotFoundError, match=r"is a plain file, not a folder of versions"):
        JSONDataset(filepath=path, versioned=True).load()


def test_saving_twice_to_one_version_fails(tmp_path: Path) -> None:
    ds = PickleDataset(filepath=tmp_path / "m.pkl", version=Version(None, V1))
    ds.save(1)
    with pytest.raises(DatasetError, match=f"version '{V1}' already exists.*written once"):
        ds.save(2)
    assert ds.load() == 1


def test_versioned_without_save_version_reuses_one_version(tmp_path: Path) -> None:
    ds = JSONDataset(filepath=tmp_path / "m.json", versioned=True)
    ds.save([1])
    assert len(ds.versions()) == 1
    with pytest.raises(DatasetError, match=r"already exists"):
        ds.save([2])


def test_hidden_and_temp_folders_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    JSONDataset(filepath=path, version=Version(None, V1)).save([1])
    (path / ".9999-tmp").mkdir()
    (path / ".9999-tmp" / "m.json").write_text("[2]")
    (path / "9999-empty").mkdir()
    assert JSONDataset(filepath=path, versioned=True).load() == [1]


def test_bad_version_strings(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"not usable as a folder name"):
        JSONDataset(filepath=tmp_path / "m.json", version=Version("../x", None))
    with pytest.raises(DatasetError, match=r"not usable as a folder name"):
        JSONDataset(filepath=tmp_path / "m.json", version=Version(None, ".."))


def test_catalog_round_trip_across_sessions(tmp_path: Path) -> None:
    config = {
        "model": {"type": "json.JSONDataset", "filepath": "data/model.json", "versioned": True}
    }
    first = DataCatalog.from_config(config, save_version=V1, project_path=tmp_path)
    first.save("model", {"run": 1})
    second = DataCatalog.from_config(config, save_version=V2, project_path=tmp_path)
    assert second.load("model") == {"run": 1}
    second.save("model", {"run": 2})
    assert second.load("model") == {"run": 2}
    pinned = DataCatalog.from_config(
        config, load_versions={"model": V1}, save_version=V3, project_path=tmp_path
    )
    assert pinned.load("model") == {"run": 1}
    assert (tmp_path / "data" / "model.json" / V2 / "model.json").is_file()
    assert pinned.describe("model")["versioned"] is True


def test_catalog_pinned_version_missing(tmp_path: Path) -> None:
    config = {"model": {"type": "json.JSONDataset", "filepath": "m.json", "versioned": True}}
    catalog = DataCatalog.from_config(config, load_versions={"model": V1}, project_path=tmp_path)
    with pytest.raises(VersionNotFoundError, match=f"Dataset 'model': Version '{V1}'"):
        catalog.load("model")
    assert not catalog.exists("model")


def test_pinned_save_mismatch_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = {"m": {"type": "json.JSONDataset", "filepath": "m.json", "versioned": True}}
    catalog = DataCatalog.from_config(
        config, load_versions={"m": V1}, save_version=V2, project_path=tmp_path
    )
    catalog.save("m", [1])
    assert "differs from the pinned load version" in caplog.text


def test_all_versioned_datasets_of_a_catalog_share_one_version(tmp_path: Path) -> None:
    config = {
        "a": {"type": "json.JSONDataset", "filepath": "a.json", "versioned": True},
        "b": {"type": "pickle.PickleDataset", "filepath": "b.pkl", "versioned": True},
    }
    catalog = DataCatalog.from_config(config, project_path=tmp_path)
    catalog.save("a", 1)
    catalog.save("b", 2)
    a_versions = [p.name for p in (tmp_path / "a.json").iterdir()]
    b_versions = [p.name for p in (tmp_path / "b.pkl").iterdir()]
    assert a_versions == b_versions and len(a_versions) == 1
