from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.io import CSVDataset, DataCatalog, DatasetError, JSONDataset, MemoryDataset
from proj_tui.io.factories import PatternResolver, specificity


def _winner(patterns: list[str], name: str) -> str | None:
    resolver = PatternResolver({p: {"type": "MemoryDataset"} for p in patterns})
    found = resolver.match(name)
    return found[0].pattern if found else None


def test_specificity_counts_literal_characters() -> None:
    assert specificity("{a}") == 0
    assert specificity("{a}_csv") == 4
    assert specificity("data.{a}.{b}") == 6


def test_more_literal_characters_win() -> None:
    assert _winner(["{namespace}.{name}", "data.{name}"], "data.sales") == "data.{name}"
    assert _winner(["{x}_csv", "{x}_raw_csv"], "a_raw_csv") == "{x}_raw_csv"


def test_then_more_placeholders_win_as_in_kedro() -> None:
    # Same literal count (1): Kedro ranks the pattern with more placeholders first.
    assert _winner(["{a}_{b}", "{a}_{b}_{c}"], "x_y_z") == "{a}_{b}_{c}"
    assert _winner(["{a}_{b}_{c}", "{a}_{b}"], "x_y_z") == "{a}_{b}_{c}"


def test_then_alphabetical() -> None:
    assert _winner(["{b}x", "{a}x"], "yx") == "{a}x"
    resolver = PatternResolver({p: {"type": "MemoryDataset"} for p in ["{b}x", "{a}x"]})
    assert resolver.patterns() == ["{a}x", "{b}x"]


def test_catch_all_is_last() -> None:
    resolver = PatternResolver(
        {p: {"type": "MemoryDataset"} for p in ["{default}", "{a}.{b}", "raw_{n}"]}
    )
    assert resolver.patterns() == ["raw_{n}", "{a}.{b}", "{default}"]
    assert _winner(["{default}", "raw_{n}"], "raw_x") == "raw_{n}"
    assert _winner(["{default}", "raw_{n}"], "other") == "{default}"


def test_only_one_catch_all() -> None:
    with pytest.raises(DatasetError, match=r"2 catch-all patterns \(\{a\}, \{b\}\)"):
        PatternResolver({"{a}": {"type": "MemoryDataset"}, "{b}": {"type": "MemoryDataset"}})


def test_whole_name_must_match_and_placeholders_are_non_empty() -> None:
    assert _winner(["{x}_csv"], "a_csv_extra") is None
    assert _winner(["{x}_csv"], "_csv") is None
    assert _winner(["raw.{x}"], "raw.") is None


def test_regex_characters_are_literal() -> None:
    assert _winner(["a.{x}"], "abc") is None
    assert _winner(["a+{x}"], "a+b") == "a+{x}"


def test_repeated_placeholder_must_repeat_the_value() -> None:
    assert _winner(["{x}.{x}"], "a.a") == "{x}.{x}"
    assert _winner(["{x}.{x}"], "a.b") is None


def test_invalid_placeholders() -> None:
    with pytest.raises(DatasetError, match=r"invalid placeholder '{a b}'"):
        PatternResolver({"{a b}_x": {"type": "MemoryDataset"}})
    with pytest.raises(DatasetError, match=r"unbalanced brace"):
        PatternResolver({"{a}_x}": {"type": "MemoryDataset"}})


def test_config_using_unknown_placeholder_fails_early() -> None:
    with pytest.raises(DatasetError, match=r"'{name}_csv' uses '{nme}'.*defines: name"):
        DataCatalog.from_config(
            {"{name}_csv": {"type": "csv.CSVDataset", "filepath": "data/{nme}.csv"}}
        )


def test_catalog_materialises_and_caches(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_csv": {
                "type": "csv.CSVDataset",
                "filepath": "data/{name}.csv",
                "save_args": {"fieldnames": ["id", "{name}"]},
                "metadata": {"tags": ["{name}", "fixed"]},
            },
            "explicit_csv": {"type": "json.JSONDataset", "filepath": "explicit.json"},
        },
        project_path=tmp_path,
    )
    assert "cars_csv" in catalog
    assert catalog.keys() == ["explicit_csv"]  # matching does not materialise
    dataset = catalog.get("cars_csv")
    assert isinstance(dataset, CSVDataset)
    assert catalog.get("cars_csv") is dataset
    assert catalog.keys() == ["explicit_csv", "cars_csv"]
    assert dataset.filepath == tmp_path / "data" / "cars.csv"
    assert dataset.save_args["fieldnames"] == ["id", "cars"]
    assert dataset.metadata == {"tags": ["cars", "fixed"]}
    assert isinstance(catalog["explicit_csv"], JSONDataset)  # explicit entries beat patterns
    catalog.save("boats_csv", [{"id": 1, "boats": 2}])
    assert catalog.load("boats_csv") == [{"id": "1", "boats": "2"}]
    assert catalog.describe("boats_csv")["pattern"] == "{name}_csv"
    assert catalog.describe("explicit_csv")["pattern"] is None


def test_user_catch_all_and_specific_patterns(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{default}": {"type": "MemoryDataset"},
            "{layer}.{name}": {"type": "pickle.PickleDataset", "filepath": "{layer}/{name}.pkl"},
            "raw.{name}": {"type": "text.TextDataset", "filepath": "raw/{name}.txt"},
        },
        project_path=tmp_path,
    )
    assert catalog.patterns() == ["raw.{name}", "{layer}.{name}", "{default}"]
    assert catalog.describe("raw.x")["type"] == "text.TextDataset"
    assert catalog.describe("model.x")["type"] == "pickle.PickleDataset"
    assert isinstance(catalog["anything"], MemoryDataset)
    assert "whatever" in catalog


def test_pattern_with_versioning_and_pinned_load(tmp_path: Path) -> None:
    config = {"{n}_j": {"type": "json.JSONDataset", "filepath": "{n}.json", "versioned": True}}
    first = DataCatalog.from_config(config, save_version="v1", project_path=tmp_path)
    first.save("a_j", 1)
    second = DataCatalog.from_config(config, save_version="v2", project_path=tmp_path)
    second.save("a_j", 2)
    pinned = DataCatalog.from_config(config, load_versions={"a_j": "v1"}, project_path=tmp_path)
    assert pinned.load("a_j") == 1
    assert DataCatalog.from_config(config, project_path=tmp_path).load("a_j") == 2


def test_pattern_credentials_and_type_errors() -> None:
    with pytest.raises(
        DatasetError, match=r"'{n}_x' has type 'jsn.JSONDataset'.*Did you mean 'json.JSONDataset'"
    ):
        DataCatalog.from_config({"{n}_x": {"type": "jsn.JSONDataset", "filepath": "{n}"}})
    catalog = DataCatalog.from_config(
        {"{n}_x": {"type": "json.JSONDataset", "filepath": "{n}", "credentials": "{n}_creds"}},
        credentials={"a_creds": {"k": "v"}},
    )
    assert catalog.get("a_x") is not None
    with pytest.raises(
        DatasetError, match=r"'b_x' uses credentials 'b_creds'.*Known credentials: a_creds"
    ):
        catalog.get("b_x")
