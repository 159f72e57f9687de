"""Errors of the io layer, so callers can tell "no such dataset" from "the data is broken"."""

from __future__ import annotations

from proj_tui.errors import ProjTuiError


class DatasetError(ProjTuiError):
    """A dataset could not be built, loaded or saved; the message names it and the fix."""


class CatalogEntryError(DatasetError):
    """A catalog entry cannot be built (unknown type, bad arguments): bad config, found before
    any node runs. ``entry`` names it, so the config layer above can add its file and line."""

    def __init__(self, message: str, *, entry: str) -> None:
        super().__init__(message)
        self.entry = entry


class DatasetNotFoundError(DatasetError, KeyError):
    """A name is neither in the catalog nor matched by a dataset factory pattern.

    Also a ``KeyError``, since ``catalog[name]`` raises it: Mapping-style code catches it.
    """


class DatasetAlreadyExistsError(DatasetError):
    """A dataset was added under a name that is taken and replacing was not allowed."""


class VersionNotFoundError(DatasetError):
    """A versioned dataset has no saved version, or not the pinned one."""


class _MissingCredentialsError(DatasetError, KeyError):
    """A dataset names credentials that are not defined; a ``KeyError`` as in Kedro."""
