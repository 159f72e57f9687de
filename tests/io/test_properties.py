"""Round trips on generated data: what is saved is what is loaded."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proj_tui.io import JSONDataset, PickleDataset, TextDataset, YAMLDataset

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=20,
).filter(lambda value: value is not None)

_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(cls: type, data: Any) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        dataset = cls(filepath=Path(folder) / "data")
        dataset.save(data)
        return dataset.load()


@_settings
@given(_documents)
def test_json_round_trip(data: Any) -> None:
    assert _round_trip(JSONDataset, data) == data


@_settings
@given(_documents)
def test_yaml_round_trip(data: Any) -> None:
    assert _round_trip(YAMLDataset, data) == data


@_settings
@given(_documents | st.sets(st.integers()) | st.tuples(st.integers(), _text))
def test_pickle_round_trip(data: Any) -> None:
    assert _round_trip(PickleDataset, data) == data


@_settings
@given(_text)
def test_text_round_trip(data: str) -> None:
    assert _round_trip(TextDataset, data) == data
