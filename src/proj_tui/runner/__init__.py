"""Runners execute a ``Pipeline`` against a ``DataCatalog``: sequentially, in threads or processes.

This layer imports ``pipeline``, ``io`` and ``errors`` only; hooks arrive duck-typed as a
pluggy manager, so the runner never imports the framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from proj_tui.errors import did_you_mean
from proj_tui.runner.base import AbstractRunner, RunCancelled, RunListener, RunnerError
from proj_tui.runner.resume import missing_outputs_plan, resume_start_nodes, resume_suggestion
from proj_tui.runner.sequential import SequentialRunner

if TYPE_CHECKING:
    from proj_tui.runner.parallel import ParallelRunner, ThreadRunner


def __getattr__(name: str) -> Any:
    # The pool runners pull in concurrent.futures and multiprocessing (~15 ms); a sequential
    # `proj-tui run` should not pay for them.
    if name in ("ParallelRunner", "ThreadRunner"):
        from proj_tui.runner import parallel

        return getattr(parallel, name)
    raise AttributeError(f"module 'proj_tui.runner' has no attribute '{name}'")


__all__ = [
    "AbstractRunner",
    "ParallelRunner",
    "RunCancelled",
    "RunListener",
    "RunnerError",
    "SequentialRunner",
    "ThreadRunner",
    "missing_outputs_plan",
    "resume_start_nodes",
    "resume_suggestion",
    "runner_from_name",
]

_BUILTIN: dict[str, str] = {
    "sequential": "SequentialRunner",
    "thread": "ThreadRunner",
    "process": "ParallelRunner",
    "parallel": "ParallelRunner",
    # Kedro's CLI takes class names; accept them so `--runner ThreadRunner` works too.
    "SequentialRunner": "SequentialRunner",
    "ThreadRunner": "ThreadRunner",
    "ParallelRunner": "ParallelRunner",
}
_DASK_HINT = "pip install 'proj-tui[dask]'"


def runner_from_name(name: str, **kwargs: Any) -> AbstractRunner:
    """Make a runner from a CLI/settings name: sequential, thread, process, dask or a dotted path."""
    builtin = _BUILTIN.get(name) or _BUILTIN.get(name.lower())
    cls: type[AbstractRunner] | None = None
    if builtin == "SequentialRunner":
        cls = SequentialRunner
    elif builtin:
        cls = __getattr__(builtin)
    if cls is None and name.lower() in ("dask", "daskrunner"):
        cls = _dask_runner_class()
    if cls is None:
        if "." not in name:
            known = ["sequential", "thread", "process", "dask"]
            raise RunnerError(
                f"Unknown runner '{name}'.{did_you_mean(name.lower(), known)} Use one of "
                f"{', '.join(known)}, or a dotted path such as 'my_project.runners.MyRunner'."
            )
        cls = _import_runner(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise RunnerError(f"Cannot create runner '{name}' with {kwargs}: {exc}.") from exc


def _dask_runner_class() -> type[AbstractRunner]:
    try:
        module = importlib.import_module("proj_tui.runner.dask_runner")
    except ImportError as exc:
        raise RunnerError(
            f"The dask runner is not available ({exc}). Install the optional extra with "
            f"`{_DASK_HINT}`, or choose another runner (sequential, thread, process)."
        ) from exc
    cls: type[AbstractRunner] = module.DaskRunner
    return cls


def _import_runner(dotted: str) -> type[AbstractRunner]:
    module_name, _, class_name = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RunnerError(
            f"Runner '{dotted}': module '{module_name}' cannot be imported ({exc}). "
            "Check the dotted path and that its package is installed."
        ) from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        public = [n for n in dir(module) if not n.startswith("_")]
        raise RunnerError(
            f"Runner '{dotted}': module '{module_name}' has no '{class_name}'."
            + did_you_mean(class_name, public)
        )
    if not (isinstance(cls, type) and issubclass(cls, AbstractRunner)):
        raise RunnerError(
            f"Runner '{dotted}' is not a runner class; it must subclass "
            "proj_tui.runner.AbstractRunner."
        )
    return cls
