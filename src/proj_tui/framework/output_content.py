"""What a session's small JSON/YAML/CSV outputs said, as flat leaves: one definition of a "key".

A session records the content of its small structured outputs (metrics files, reports; see
docs/store.md). Three readers use it and must agree on what a key is, so it is defined once here:
- JSON and YAML: nested mappings become dotted keys (``scores.rmse``); list items are numbered from
  0 (``zones.0.average_fare``);
- CSV: the first row is the header; a data row is named by its first column when those values are
  unique and non-empty (``model_a.rmse`` for a row ``model_a,1.2``), else by its number from 1
  (``3.fare``); the cells of the naming column are not leaves themselves.
Text that parses as a number is a number (so ``rmse<1.5`` compares numerically, as for params).
Values under a secret-looking key are redacted and secret-shaped text is masked
(``framework.redact``), whatever the recording did, since this text reaches the screen.

``content_leaves`` feeds the History query index (``out:metrics.rmse<1.5``, store/sqlite_outputs.py)
and the detail's Data tab; framework/output_diff.py compares two contents. It imports nothing
of the store, so the store can use it.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from proj_tui.framework.redact import REDACTED, is_secret_name, redact_params, redact_value

FORMATS: dict[str, str] = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
"""The file suffixes whose content is read as structured (others compare by digest only)."""
MAX_LEAVES = 1000
"""Leaves kept per file: a metrics file has a handful; a 64 KB table is summarised, not indexed."""
Scalar = float | int | str | bool | None


class ContentError(ValueError):
    """Recorded content that is not valid for its format (the message says where)."""


def content_format(path: str | None) -> str | None:
    """``json``, ``yaml`` or ``csv`` from a file's suffix (any case); None for anything else."""
    if not path:
        return None
    return FORMATS.get(PurePosixPath(path).suffix.lower())


def file_stem(path: str | None) -> str | None:
    """``model_a_metrics`` for ``data/05_reporting/model_a_metrics.json`` (what ``out:`` also matches)."""
    return PurePosixPath(path).stem if path else None


def content_leaves(content: str, fmt: str) -> dict[str, Scalar]:
    """The flat ``key -> value`` leaves of one file's content, at most ``MAX_LEAVES``.

    Raises ``ContentError`` for content that does not parse as ``fmt``.
    """
    if fmt == "csv":
        leaves = _csv_leaves(content)
    else:
        leaves = dict(_tree_leaves(redact_params(_load(content, fmt)), ""))
    return dict(_bounded(leaves.items(), MAX_LEAVES))


def _load(content: str, fmt: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(content)
        except ValueError as exc:
            raise ContentError(f"not valid JSON: {exc}") from None
    if fmt == "yaml":
        import yaml

        try:
            return yaml.safe_load(content)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ContentError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    raise ContentError(f"unknown format {fmt!r}: use one of json, yaml, csv")


def _tree_leaves(value: Any, prefix: str) -> Iterable[tuple[str, Scalar]]:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _tree_leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _tree_leaves(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or "(value)", _scalar(value)


def _scalar(value: Any) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return redact_value(value)
    return redact_value(json.dumps(value, default=str))  # {} / [] / a date


def csv_rows(content: str) -> tuple[list[str], list[list[str]]]:
    """The header and the non-empty data rows."""
    import csv  # deferred: only a CSV output's content needs it, not every run

    try:
        rows = [row for row in csv.reader(io.StringIO(content)) if row]
    except csv.Error as exc:
        raise ContentError(f"not valid CSV: {exc}") from None
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _csv_leaves(content: str) -> dict[str, Scalar]:
    header, rows = csv_rows(content)
    return {f"{row}.{column}": value for row, cells in csv_table(header, rows).items()
            for column, value in cells.items()}  # fmt: skip


def csv_table(header: list[str], rows: list[list[str]]) -> dict[str, dict[str, Scalar]]:
    """Rows by name (first column when unique, else number from 1) -> column -> typed cell."""
    firsts = [row[0] if row else "" for row in rows]
    named = bool(rows) and len(header) > 1 and all(firsts) and len(set(firsts)) == len(firsts)
    columns = header[1:] if named else header
    table: dict[str, dict[str, Scalar]] = {}
    for number, row in enumerate(rows, start=1):
        cells = row[1:] if named else row
        name = redact_value(row[0]) if named else str(number)
        table[name] = {
            column: REDACTED if is_secret_name(column) else _typed(cell)
            for column, cell in zip(columns, cells, strict=False)
        }
    return table


def _typed(cell: str) -> Scalar:
    """A CSV cell as a number when it reads as one (``1.20`` == ``1.2``), else masked text."""
    try:
        number = float(cell)
    except ValueError:
        return redact_value(cell)
    if not math.isfinite(number):
        return cell
    return (
        int(number)
        if number.is_integer() and "." not in cell and "e" not in cell.lower()
        else number
    )


def _bounded(items: Iterable[tuple[str, Scalar]], limit: int) -> Iterable[tuple[str, Scalar]]:
    for index, item in enumerate(items):
        if index >= limit:
            return
        yield item
