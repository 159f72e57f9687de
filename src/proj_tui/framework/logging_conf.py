"""Apply ``conf/<env>/logging.yml`` the way Kedro applies a project's logging config.

The file is a ``logging.config.dictConfig`` mapping. proj-tui's own handlers on the root logger (the
session recorder, the CLI's output and event stream) stay attached even when the file configures
the root logger, so a logging file adds where logs go and never stops a session being recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from proj_tui.config import ConfigError
from proj_tui.errors import Location

__all__ = ["apply_logging_config"]


def apply_logging_config(config: Mapping[str, Any], files: Sequence[Path] = ()) -> bool:
    """``dictConfig(config)`` if it holds anything; False (and nothing done) for an empty one.

    ``disable_existing_loggers`` defaults to False here (Kedro's own logging.yml sets it so too):
    a project's file should not silence the loggers of the libraries it uses. A file
    ``dictConfig`` rejects is a ``ConfigError`` naming it.
    """
    if not config:
        return False
    import logging.config  # only for a project with a logging file: it pulls in socketserver

    settings = {"disable_existing_loggers": False, **dict(config)}
    settings.setdefault("version", 1)
    root = logging.getLogger()
    kept = list(root.handlers)
    try:
        logging.config.dictConfig(settings)
    except (ValueError, TypeError, AttributeError, ImportError) as exc:
        where = ", ".join(str(f) for f in files) or "the logging config"
        raise ConfigError(
            f"{where} is not a logging configuration Python accepts: {exc}. See the "
            "logging.config.dictConfig schema (version: 1, handlers, loggers, root).",
            location=Location(files[-1]) if files else None,
        ) from exc
    for handler in kept:
        if handler not in root.handlers:
            root.addHandler(handler)
    return True
