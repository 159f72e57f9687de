"""Errors of the config layer.

Each class answers a different question a front end asks ("which file?", "which env?", "which
--params item?"), so callers can catch exactly what they can handle.
"""

from __future__ import annotations

from collections.abc import Sequence

from proj_tui.errors import Location, ProjTuiError

__all__ = ["ConfigError", "MissingConfigError", "ParamsError", "UnknownEnvError"]


class ConfigError(ProjTuiError, ValueError):
    """Bad YAML/JSON, a duplicate key or a bad interpolation; ``location`` points at the file.

    Also a ``ValueError``, which is what Kedro raises for duplicate keys and bad merge strategies,
    so code ported from Kedro that catches ``ValueError`` still catches it.
    """


class MissingConfigError(ConfigError):
    """An asked-for folder or config key is not there."""


class _UnknownKeyError(MissingConfigError, KeyError):
    """``loader["nope"]``: also a ``KeyError`` so ``Mapping.get`` and Kedro-style code work."""


class UnknownEnvError(ConfigError):
    """An explicitly requested environment has no folder; lists the ones that exist.

    ``env`` and ``known`` are optional so other layers can raise it with just a message.
    """

    def __init__(
        self,
        message: str,
        *,
        env: str | None = None,
        known: Sequence[str] = (),
        location: Location | None = None,
    ) -> None:
        super().__init__(message, location=location)
        self.env = env
        self.known = list(known)


class ParamsError(ProjTuiError, ValueError):
    """A ``--params`` string that cannot be read; the message says which item and why."""
