"""Pipelines as data: ``node()`` wraps a function, ``Pipeline`` orders nodes by their datasets.

This layer knows nothing of how data is stored or run; it imports only ``proj_tui.errors``.
"""

from __future__ import annotations

from proj_tui.pipeline.errors import CircularDependencyError, OutputNotUniqueError, PipelineError
from proj_tui.pipeline.modular import pipeline
from proj_tui.pipeline.node import Node, node
from proj_tui.pipeline.pipeline import Pipeline

__all__ = [
    "CircularDependencyError",
    "Node",
    "OutputNotUniqueError",
    "Pipeline",
    "PipelineError",
    "node",
    "pipeline",
]
