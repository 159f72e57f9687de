from __future__ import annotations

from proj_tui.pipeline import Pipeline, node

from .nodes import build_features, clean_trips, ingest_trips


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            node(ingest_trips, ["trips_raw", "params:runtime"], "trips_typed",
                 name="ingest_trips", tags=["etl"]),
            node(clean_trips, ["trips_typed", "params:cleaning", "params:runtime"], "trips_clean",
                 name="clean_trips", tags=["etl"]),
            node(build_features, ["trips_clean", "params:features", "params:runtime"],
                 "features_table", name="build_features", tags=["etl", "features"]),
        ]
    )
