"""Datasets and the ``DataCatalog``: where a pipeline's data comes from and goes to.

This layer imports only ``proj_tui.errors``; pandas datasets load only when pandas is installed
and a catalog asks for them (``pandas.CSVDataset``, ``pandas.ParquetDataset``).
"""

from __future__ import annotations

from proj_tui.io.catalog import DataCatalog, params_feed
from proj_tui.io.core import AbstractDataset, Version, generate_version
from proj_tui.io.errors import (
    CatalogEntryError,
    DatasetAlreadyExistsError,
    DatasetError,
    DatasetNotFoundError,
    VersionNotFoundError,
)
from proj_tui.io.files import (
    CSVDataset,
    FileDataset,
    JSONDataset,
    PickleDataset,
    TextDataset,
    YAMLDataset,
)
from proj_tui.io.memory import MemoryDataset

__all__ = [
    "AbstractDataset",
    "CSVDataset",
    "CatalogEntryError",
    "DataCatalog",
    "DatasetAlreadyExistsError",
    "DatasetError",
    "DatasetNotFoundError",
    "FileDataset",
    "JSONDataset",
    "MemoryDataset",
    "PickleDataset",
    "TextDataset",
    "Version",
    "VersionNotFoundError",
    "YAMLDataset",
    "generate_version",
    "params_feed",
]
