from __future__ import annotations

import pytest

from proj_tui.io import DatasetError, MemoryDataset


def test_assign_mode_returns_the_same_object() -> None:
    data = {"a": [1, 2]}
    ds = MemoryDataset(data=data)
    assert ds.load() is data
    assert ds.exists()
    assert ds.is_persisted is False


def test_copy_modes_protect_the_stored_value() -> None:
    data = {"a": [1, 2]}
    shallow = MemoryDataset(data=data, copy_mode="copy")
    deep = MemoryDataset(data=data, copy_mode="deepcopy")
    loaded_shallow = shallow.load()
    loaded_deep = deep.load()
    assert loaded_shallow == data and loaded_shallow is not data
    assert loaded_shallow["a"] is data["a"]
    loaded_deep["a"].append(3)
    assert deep.load() == {"a": [1, 2]}


def test_save_copies_in_deepcopy_mode() -> None:
    ds = MemoryDataset(copy_mode="deepcopy")
    value = [[1]]
    ds.save(value)
    value[0].append(2)
    assert ds.load() == [[1]]


def test_loading_an_empty_dataset_says_what_to_do() -> None:
    with pytest.raises(DatasetError, match=r"has no data yet.*Run the node that produces it"):
        MemoryDataset().load()


def test_release_forgets_the_value() -> None:
    ds = MemoryDataset(data=1)
    ds.release()
    assert not ds.exists()
    with pytest.raises(DatasetError):
        ds.load()


def test_saving_none_is_refused_but_a_null_value_can_be_given() -> None:
    with pytest.raises(DatasetError, match=r"Saving None.*returns a value"):
        MemoryDataset().save(None)
    assert MemoryDataset(data=None).load() is None


def test_invalid_copy_mode() -> None:
    with pytest.raises(DatasetError, match=r"Invalid copy_mode 'shallow'.*assign, copy, deepcopy"):
        MemoryDataset(copy_mode="shallow")


def test_describe_and_repr() -> None:
    ds = MemoryDataset(data=[1])
    assert ds.describe() == {"data": "<list>", "copy_mode": "assign"}
    assert repr(ds) == "MemoryDataset(data=<list>, copy_mode='assign')"
    assert MemoryDataset().describe()["data"] is None
