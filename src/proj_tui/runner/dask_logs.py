"""How log records of node code travel from a Dask worker to the client's loggers.

On the worker, ``_ForwardingHandler`` ships the records of the thread running a node as events
on the run's topic; in the client, ``_emit`` hands each one to the logger of the same name, so
the session sees it like any other record. Both ends live here so the message format has one
home.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

# -- on the worker ------------------------------------------------------------------------

_local = threading.local()
_handler_lock = threading.Lock()
_handler_installed = False


class _ForwardingHandler(logging.Handler):
    """Ships records from threads running a node to the client as events on the run's topic.

    Only the thread running a node forwards (its run's topic is thread-local), so records of
    Dask's own machinery, or of another client's tasks on a shared cluster, stay on the worker.
    """

    def emit(self, record: logging.LogRecord) -> None:
        target = getattr(_local, "target", None)
        if target is None or getattr(_local, "busy", False):
            return
        worker, topic, node = target
        _local.busy = True  # log_event must not feed back into this handler
        try:
            exc_text = record.exc_text
            if record.exc_info and not exc_text:
                exc_text = logging.Formatter().formatException(record.exc_info)
            message = record.getMessage()
            if exc_text:
                message = f"{message}\n{exc_text}"
            worker.log_event(
                topic,
                [
                    "log",
                    {
                        "name": record.name,
                        "msg": message,
                        "levelno": record.levelno,
                        "levelname": record.levelname,
                        "created": record.created,
                        "msecs": record.msecs,
                        "pathname": record.pathname,
                        "filename": record.filename,
                        "module": record.module,
                        "lineno": record.lineno,
                        "funcName": record.funcName,
                        "process": record.process,
                        "threadName": record.threadName,
                        "node": node,
                        "worker": worker.address,
                    },
                ],
            )
        except Exception:
            self.handleError(record)
        finally:
            _local.busy = False


def _install_forwarding(level: int) -> None:
    """Once per worker process: the forwarding handler on the root logger, at the client's level."""
    global _handler_installed
    root = logging.getLogger()
    if root.getEffectiveLevel() > level:
        root.setLevel(level)  # else INFO records of node code are never created on the worker
    if _handler_installed:
        return
    with _handler_lock:
        if not _handler_installed:
            root.addHandler(_ForwardingHandler())
            _handler_installed = True


# -- in the client ------------------------------------------------------------------------


def _emit(payload: dict[str, Any]) -> None:
    """Hand a forwarded record to the client's logger of the same name (so the session sees it)."""
    target = logging.getLogger(payload.get("name"))
    if not target.isEnabledFor(payload.get("levelno", logging.INFO)):
        return
    record = logging.makeLogRecord(payload)
    record.args = None
    target.handle(record)
