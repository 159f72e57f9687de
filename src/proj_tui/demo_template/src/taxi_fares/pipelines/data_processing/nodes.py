"""Turn raw trip records into a clean, typed table and model features."""

from __future__ import annotations

import logging
from typing import Any

from taxi_fares.pipelines._util import pause

logger = logging.getLogger(__name__)

Row = dict[str, Any]


def ingest_trips(raw: list[dict[str, str]], runtime: dict[str, Any]) -> list[Row]:
    """Parse the CSV's strings into numbers; unparsable cells become None."""
    pause(runtime["latency_s"])

    def number(text: str) -> float | None:
        try:
            return float(text)
        except (TypeError, ValueError):
            return None

    trips = [
        {
            "trip_id": row["trip_id"],
            "pickup_zone": row["pickup_zone"],
            "dropoff_zone": row["dropoff_zone"],
            "hour": int(row["hour"]),
            "passengers": int(row["passengers"]),
            "distance_km": number(row["distance_km"]),
            "duration_min": number(row["duration_min"]),
            "fare": number(row["fare"]),
        }
        for row in raw
    ]
    logger.info("Ingested %d trips", len(trips))
    return trips


def clean_trips(trips: list[Row], cleaning: dict[str, Any], runtime: dict[str, Any]) -> list[Row]:
    """Drop impossible distances, missing and outlier fares."""
    pause(runtime["latency_s"])
    kept = []
    for trip in trips:
        if trip["fare"] is None or trip["distance_km"] is None:
            if cleaning["drop_missing"]:
                continue
        elif trip["distance_km"] < cleaning["min_distance_km"] or trip["fare"] > cleaning["max_fare"]:
            continue
        kept.append(trip)
    dropped = len(trips) - len(kept)
    logger.info("Kept %d trips, dropped %d (%.1f%%)", len(kept), dropped, 100 * dropped / len(trips))
    if dropped > len(trips) * 0.5:
        logger.warning("More than half of the trips were dropped: check the cleaning parameters")
    return kept


def build_features(trips: list[Row], features: dict[str, Any], runtime: dict[str, Any]) -> list[Row]:
    """Add rush-hour and night flags; keep the model's columns and the target."""
    pause(runtime["latency_s"])
    rush, night = set(features["rush_hours"]), set(features["night_hours"])
    table = []
    for trip in trips:
        row = dict(trip)
        row["is_rush"] = 1.0 if trip["hour"] in rush else 0.0
        row["is_night"] = 1.0 if trip["hour"] in night else 0.0
        table.append(row)
    logger.info("Built %d feature rows with columns %s", len(table), ", ".join(features["columns"]))
    return table
