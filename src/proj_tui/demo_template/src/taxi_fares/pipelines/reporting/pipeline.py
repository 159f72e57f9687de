from __future__ import annotations

from proj_tui.pipeline import Pipeline, node

from .nodes import compare_models, zone_report


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(zone_report, ["trips_clean", "params:reporting"], "zone_report",
                 name="zone_report", tags=["reporting"]),
            node(compare_models, ["model_a.metrics", "model_b.metrics"], "model_comparison",
                 name="compare_models", tags=["reporting"]),
        ]
    )
