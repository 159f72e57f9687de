from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from proj_tui.io import DataCatalog, MemoryDataset


def test_concurrent_load_save_of_different_datasets(tmp_path: Path) -> None:
    config = {
        "{name}_json": {"type": "json.JSONDataset", "filepath": "out/{name}.json"},
        "{name}_pkl": {"type": "pickle.PickleDataset", "filepath": "out/{name}.pkl"},
    }
    catalog = DataCatalog.from_config(config, project_path=tmp_path)

    def work(i: int) -> int:
        catalog[f"m{i}"] = MemoryDataset()
        catalog.save(f"m{i}", i)
        catalog.save(f"d{i}_json", {"i": i})
        catalog.save(f"d{i}_pkl", [i])
        assert catalog.load(f"d{i}_json") == {"i": i}
        assert catalog.load(f"d{i}_pkl") == [i]
        return int(catalog.load(f"m{i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(200)))
    assert results == list(range(200))
    assert len(catalog.keys()) == 600
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_concurrent_pattern_materialisation_gives_one_dataset() -> None:
    catalog = DataCatalog.from_config({"{x}": {"type": "MemoryDataset"}})
    barrier = threading.Barrier(8)

    def grab(_: int) -> int:
        barrier.wait()
        return id(catalog["shared"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(grab, range(8)))
    assert len(ids) == 1
