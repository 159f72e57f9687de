"""DataFrame datasets, for projects that have pandas; the catalog imports this module only then.

Importing this module without pandas raises ``ImportError``; the catalog checks first and says
to install pandas instead, so pandas is never a requirement of proj-tui.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, ClassVar

import pandas as pd

from proj_tui.io.files import FileDataset


class CSVDataset(FileDataset):
    """A DataFrame as CSV: ``load_args`` to ``pandas.read_csv``, ``save_args`` to ``to_csv``."""

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {"index": False}

    def _read(self, path: PurePath) -> Any:
        with self._open(path, "rb") as handle:
            return pd.read_csv(handle, **self.load_args)

    def _check_data(self, data: Any) -> None:
        if not isinstance(data, pd.DataFrame):
            raise self._wrong_type(data, "a pandas DataFrame", "csv.CSVDataset for a list of dicts")

    def _write(self, path: PurePath, data: Any) -> None:
        encoding, args = self._text_args(self.save_args)
        with self._create(path, "w", encoding=encoding, newline="") as handle:
            data.to_csv(handle, **args)


class ParquetDataset(FileDataset):
    """A DataFrame as Parquet (needs pyarrow or fastparquet, as pandas itself does)."""

    def _read(self, path: PurePath) -> Any:
        with self._open(path, "rb") as handle:
            return pd.read_parquet(handle, **self.load_args)

    def _check_data(self, data: Any) -> None:
        if not isinstance(data, pd.DataFrame):
            raise self._wrong_type(data, "a pandas DataFrame", "pickle.PickleDataset")

    def _write(self, path: PurePath, data: Any) -> None:
        with self._create(path, "wb") as handle:
            data.to_parquet(handle, **self.save_args)
