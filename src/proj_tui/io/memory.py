"""In-memory data between nodes: the hot path of every run, so it does as little as possible."""

from __future__ import annotations

import copy
from typing import Any, Final

from proj_tui.io.core import AbstractDataset
from proj_tui.io.errors import DatasetError

_EMPTY: Final = object()
_COPY_MODES: Final = ("assign", "copy", "deepcopy")


class MemoryDataset(AbstractDataset):
    """Holds one value in memory.

    ``copy_mode`` is "assign" by default (the node gets the very object): deep-copying every
    value between nodes is what makes large runs slow. Use "copy" or "deepcopy" when a node
    mutates its inputs and another node must not see that.
    """

    is_persisted = False

    def __init__(
        self,
        data: Any = _EMPTY,
        copy_mode: str | None = "assign",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if copy_mode is None:  # Kedro's "infer" default; ours is "assign", see the docstring
            copy_mode = "assign"
        if copy_mode not in _COPY_MODES:
            raise DatasetError(
                f"Invalid copy_mode {copy_mode!r} for MemoryDataset. "
                f"Use one of {', '.join(_COPY_MODES)}."
            )
        self._copy_mode = copy_mode
        self._assign = copy_mode == "assign"
        self.metadata = metadata
        # None is a legal value here (a `null` parameter); only save() refuses it.
        self._data = data if self._assign or data is _EMPTY else _copy(data, copy_mode)

    def load(self) -> Any:
        """Return the value; overrides the base method to skip its wrapping on the hot path."""
        data = self._data
        if data is _EMPTY:
            raise DatasetError(
                "MemoryDataset has no data yet: nothing has been saved to it. "
                "Run the node that produces it first, or give it a persisted type in catalog.yml."
            )
        if self._assign:
            return data
        return _copy(data, self._copy_mode)

    def save(self, data: Any) -> None:
        """Keep the value (copied according to ``copy_mode``)."""
        if data is None:
            raise DatasetError(
                "Saving None to MemoryDataset is not allowed. "
                "Check that the node producing it returns a value."
            )
        self._data = data if self._assign else _copy(data, self._copy_mode)

    def exists(self) -> bool:
        return self._data is not _EMPTY

    def release(self) -> None:
        self._data = _EMPTY

    def _load(self) -> Any:
        return self.load()

    def _save(self, data: Any) -> None:
        self.save(data)

    def _exists(self) -> bool:
        return self.exists()

    def _release(self) -> None:
        self.release()

    def _describe(self) -> dict[str, Any]:
        data = None if self._data is _EMPTY else f"<{type(self._data).__name__}>"
        return {"data": data, "copy_mode": self._copy_mode}

    def __repr__(self) -> str:
        # Kedro's form, ``MemoryDataset(data=<DataFrame>)``: the type, never the value
        data = "" if self._data is _EMPTY else f"data=<{type(self._data).__name__}>, "
        return f"MemoryDataset({data}copy_mode={self._copy_mode!r})"


def _copy(data: Any, copy_mode: str) -> Any:
    if copy_mode == "deepcopy":
        return copy.deepcopy(data)
    method = getattr(data, "copy", None)
    return method() if callable(method) else copy.copy(data)
