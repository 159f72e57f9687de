"""The config layer: YAML/JSON per environment, layering, interpolation, ``--params``.

The bottom layer of proj-tui: it knows nothing of pipelines, datasets or sessions, so every
other layer (and a later Kedro adapter) can use it. See ``docs/architecture.md`` for the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proj_tui.config.discovery import DEFAULT_CONFIG_PATTERNS, is_config_file
from proj_tui.config.errors import ConfigError, MissingConfigError, ParamsError, UnknownEnvError
from proj_tui.config.loader import ConfigLoader
from proj_tui.config.merge import deep_merge, flatten, nest_dotted
from proj_tui.config.params import format_params, parse_params

if TYPE_CHECKING:
    from proj_tui.config.changes import ConfigChanges, diff_config
    from proj_tui.config.provenance import Override, Provenance

__all__ = [
    "DEFAULT_CONFIG_PATTERNS",
    "ConfigChanges",
    "ConfigError",
    "ConfigLoader",
    "MissingConfigError",
    "Override",
    "ParamsError",
    "Provenance",
    "UnknownEnvError",
    "deep_merge",
    "diff_config",
    "flatten",
    "format_params",
    "is_config_file",
    "nest_dotted",
    "parse_params",
]

_LAZY = {
    "ConfigChanges": "changes",
    "diff_config": "changes",
    "Override": "provenance",
    "Provenance": "provenance",
}
"""Names handed on from a module imported only when one is asked for: a run loads config but
never compares it or asks where a value came from (``provenance`` defines two dataclasses, whose
generated methods cost ~1 ms each to compile)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
