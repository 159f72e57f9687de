"""Errors of the session store.

Every message names the database file and says what to do, because the user meets these in a terminal
or a toast, far from the code that raised them.
"""

from __future__ import annotations

from proj_tui.errors import ProjTuiError


class StoreError(ProjTuiError):
    """Anything that keeps the session store from doing its job (bad path, permissions, unknown id)."""


class StoreCorruptError(StoreError):
    """The file is damaged or not a SQLite database; it is never reset silently."""


class StoreVersionError(StoreError):
    """The database was written by a newer proj-tui whose schema this one does not know."""


class StoreLockedError(StoreError):
    """Another process kept the database locked past the busy timeout and our retries."""


class QueryError(StoreError):
    """A history filter such as ``status:faild`` that cannot be understood."""
