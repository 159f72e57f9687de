"""The project's pipelines, by name."""

from __future__ import annotations

from proj_tui.framework.startup import find_pipelines
from proj_tui.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    pipelines = find_pipelines("taxi_fares")
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
