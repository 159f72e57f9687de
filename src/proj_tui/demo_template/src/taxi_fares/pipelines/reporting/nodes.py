"""Summaries people read: fares per zone and a comparison of the candidate models."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

logger = logging.getLogger(__name__)


def zone_report(trips: list[dict[str, Any]], reporting: dict[str, Any]) -> dict[str, Any]:
    """Average fare and trip count per pickup zone, busiest first."""
    fares: dict[str, list[float]] = defaultdict(list)
    for trip in trips:
        fares[trip["pickup_zone"]].append(float(trip["fare"]))
    zones = sorted(fares.items(), key=lambda kv: len(kv[1]), reverse=True)[: reporting["top_zones"]]
    report = {
        "currency": reporting["currency"],
        "zones": [
            {"zone": zone, "trips": len(v), "average_fare": round(sum(v) / len(v), 2)}
            for zone, v in zones
        ],
    }
    logger.info("Busiest pickup zone: %s", report["zones"][0]["zone"] if zones else "none")
    return report


def compare_models(metrics_a: dict[str, float], metrics_b: dict[str, float]) -> str:
    """A small markdown table; the better RMSE wins."""
    best = "model_a" if metrics_a["rmse"] <= metrics_b["rmse"] else "model_b"
    lines = [
        "| model | RMSE | MAE | R² |",
        "|---|---|---|---|",
        f"| model_a | {metrics_a['rmse']} | {metrics_a['mae']} | {metrics_a['r2']} |",
        f"| model_b | {metrics_b['rmse']} | {metrics_b['mae']} | {metrics_b['r2']} |",
        "",
        f"Best: **{best}**",
    ]
    logger.info("Best candidate: %s", best)
    return "\n".join(lines) + "\n"
