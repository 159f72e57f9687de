"""The config layer: YAML/JSON per environment, layering, interpolation, ``--params``.

The bottom layer of proj-tui: it knows nothing of pipelines, datasets or sessions, so every
other layer (and a later Kedro adapter) can use it. See ``docs/architecture.md`` for the contract.
"""

from __future__ import annotations

from proj_tui.config.changes import ConfigChanges, diff_config
from proj_tui.config.discovery import DEFAULT_CONFIG_PATTERNS, is_config_file
from proj_tui.config.errors import ConfigError, MissingConfigError, ParamsError, UnknownEnvError
from proj_tui.config.loader import ConfigLoader
from proj_tui.config.merge import deep_merge, flatten, nest_dotted
from proj_tui.config.params import format_params, parse_params
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
