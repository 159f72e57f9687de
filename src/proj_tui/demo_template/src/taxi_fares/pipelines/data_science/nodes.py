"""Split, train and evaluate a linear fare model, in pure Python."""

from __future__ import annotations

import logging
import math
import random
from typing import Any

from taxi_fares.pipelines._util import pause

logger = logging.getLogger(__name__)

Row = dict[str, Any]


def split_data(table: list[Row], options: dict[str, Any]) -> tuple[list[Row], list[Row]]:
    """A reproducible shuffle-and-split."""
    rows = list(table)
    random.Random(options["random_state"]).shuffle(rows)
    cut = int(len(rows) * (1 - options["test_size"]))
    logger.info("Split %d rows into %d train / %d test", len(rows), cut, len(rows) - cut)
    return rows[:cut], rows[cut:]


def _standardise(rows: list[Row], columns: list[str]) -> dict[str, tuple[float, float]]:
    stats = {}
    for col in columns:
        values = [float(r[col]) for r in rows]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) or 1.0
        stats[col] = (mean, std)
    return stats


def train_model(train: list[Row], options: dict[str, Any], runtime: dict[str, Any]) -> dict[str, Any]:
    """Fit fare ~ features by gradient descent on standardised columns."""
    columns = list(options["features"])
    lr, epochs = float(options["lr"]), int(options["epochs"])
    if lr <= 0 or lr > 1:
        raise ValueError(f"model_options.lr must be in (0, 1], got {lr}")
    stats = _standardise(train, columns)
    xs = [[(float(r[c]) - stats[c][0]) / stats[c][1] for c in columns] for r in train]
    ys = [float(r["fare"]) for r in train]
    weights, bias = [0.0] * len(columns), sum(ys) / len(ys)
    n = len(xs)
    report_every = max(1, epochs // 5)
    for epoch in range(1, epochs + 1):
        grad_w, grad_b = [0.0] * len(columns), 0.0
        for x, y in zip(xs, ys, strict=True):
            err = sum(w * v for w, v in zip(weights, x, strict=True)) + bias - y
            grad_b += err
            for i, v in enumerate(x):
                grad_w[i] += err * v
        weights = [w - lr * g / n for w, g in zip(weights, grad_w, strict=True)]
        bias -= lr * grad_b / n
        if epoch % report_every == 0:
            mse = sum((sum(w * v for w, v in zip(weights, x, strict=True)) + bias - y) ** 2
                      for x, y in zip(xs, ys, strict=True)) / n
            logger.info("epoch %d/%d  train RMSE %.3f", epoch, epochs, math.sqrt(mse))
            pause(runtime["latency_s"] / 5)
    return {"columns": columns, "stats": stats, "weights": weights, "bias": bias}


def predict(model: dict[str, Any], row: Row) -> float:
    total = model["bias"]
    for col, w in zip(model["columns"], model["weights"], strict=True):
        mean, std = model["stats"][col]
        total += w * (float(row[col]) - mean) / std
    return float(total)


def evaluate_model(model: dict[str, Any], test: list[Row]) -> dict[str, float]:
    """RMSE, MAE and R² on the held-out rows."""
    ys = [float(r["fare"]) for r in test]
    preds = [predict(model, r) for r in test]
    mean = sum(ys) / len(ys)
    sse = sum((p - y) ** 2 for p, y in zip(preds, ys, strict=True))
    sst = sum((y - mean) ** 2 for y in ys) or 1.0
    metrics = {
        "rmse": round(math.sqrt(sse / len(ys)), 4),
        "mae": round(sum(abs(p - y) for p, y in zip(preds, ys, strict=True)) / len(ys), 4),
        "r2": round(1 - sse / sst, 4),
        "n_test": len(ys),
    }
    logger.info("Test RMSE %.3f, MAE %.3f, R² %.3f", metrics["rmse"], metrics["mae"], metrics["r2"])
    return metrics
