"""How records become rows of the SQLite store, and rows records again.

Kept apart from the store class so the mapping (which fields are columns, which go into the JSON
document, how params are flattened for filtering, which text SQLite accepts) sits in one place, next
to the column lists that must match it.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from proj_tui.framework.store.records import SessionRecord, SessionSummary

_MAX_PARAM_TEXT = 200

_COLUMNS = (
    "env", "pipeline", "user", "host", "pid", "parent_id", "note", "pinned", "package_name",
    "project_path", "started_at", "ended_at", "heartbeat_at", "status",
)  # fmt: skip
_DATA_DEFAULTS: dict[str, Any] = {
    "git": None, "params": {}, "cli": {}, "env_vars": {}, "versions": {}, "filters": {},
    "runner": None, "error": None,
}  # fmt: skip
_INTERNAL = frozenset({"pid_started"})
"""Kept in the document for the store's own use (crash detection), not part of the record."""
_SUMMARY_COLUMNS = (
    "s.session_id, s.status, s.started_at, s.ended_at, s.env, s.pipeline, s.user, s.host, "
    "s.pid, s.git_commit, s.git_dirty, s.parent_id, s.note, s.pinned, s.runtime_params"
)
"""The columns ``_summary`` reads, in its order."""


def _json_default(value: Any) -> Any:
    """Keep records writable whatever a plugin put in them: paths, sets, dates become text."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return repr(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def _split_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort record fields into ``sessions`` columns and the JSON document (unknown keys too)."""
    columns: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _COLUMNS:
            if name == "pinned":
                value = int(bool(value))
            elif name == "project_path" and value is not None:
                value = str(value)
            columns[name] = value
        elif name == "runtime_params":
            columns[name] = _dumps(value or {})
        else:
            data[name] = value
            if name == "git":
                columns["git_commit"], columns["git_dirty"] = _git_columns(value)
    return columns, data


def _git_columns(git: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    if not git:
        return None, None
    dirty = git.get("dirty")
    return git.get("commit"), None if dirty is None else int(bool(dirty))


def _merge_data(
    conn: sqlite3.Connection, rid: int, values: Mapping[str, Any], *, keep_existing: bool = False
) -> None:
    """Replace top-level keys of a session's JSON document (``keep_existing``: only fill gaps)."""
    row = conn.execute("SELECT data FROM session_data WHERE rid = ?", (rid,)).fetchone()
    data = json.loads(row[0]) if row else dict(_DATA_DEFAULTS)
    for key, value in values.items():
        if not (keep_existing and data.get(key)):
            data[key] = value
    conn.execute(
        "INSERT OR REPLACE INTO session_data (rid, data) VALUES (?, ?)", (rid, _dumps(data))
    )


def _flatten_params(
    params: Mapping[str, Any], prefix: str = ""
) -> list[tuple[str, float | None, str | None]]:
    """Scalar leaves as (dotted key, number, text): what ``model.lr>0.01`` filters on.

    Booleans and None are text ("true", "false", "null") so ``flag=true`` works; lists are skipped;
    long strings are cut so the index stays small.
    """
    rows: list[tuple[str, float | None, str | None]] = []
    for name, value in params.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            rows.extend(_flatten_params(value, key + "."))
        elif isinstance(value, bool):
            rows.append((key, None, "true" if value else "false"))
        elif isinstance(value, (int, float)):
            number = float(value)
            rows.append((key, number, None) if math.isfinite(number) else (key, None, str(value)))
        elif value is None:
            rows.append((key, None, "null"))
        elif isinstance(value, str):
            rows.append((key, None, value[:_MAX_PARAM_TEXT]))
    return rows


def _clean_text(message: object) -> str:
    """Log text SQLite accepts: bytes decoded and lone surrogates replaced (U+FFFD)."""
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    text = message if isinstance(message, str) else str(message)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # bytes smuggled in by surrogateescape (os.fsdecode, subprocess output)
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # any other lone surrogate
            raw = text.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "replace")
    return text


def _summary(row: tuple[Any, ...]) -> SessionSummary:
    (sid, status, started, ended, env, pipeline, user, host, pid, commit, dirty, parent, note,
     pinned, runtime) = row  # fmt: skip
    return SessionSummary(
        session_id=sid,
        status=status,
        started_at=started,
        ended_at=ended,
        env=env,
        pipeline=pipeline,
        user=user,
        host=host,
        pid=pid,
        git_commit=commit,
        git_dirty=None if dirty is None else bool(dirty),
        parent_id=parent,
        note=note,
        pinned=bool(pinned),
        runtime_params=json.loads(runtime) if runtime else {},
    )


def _record(row: tuple[Any, ...]) -> SessionRecord:
    (sid, status, started, ended, project_path, package_name, env, pipeline, user, host, pid, beat,
     parent, note, pinned, runtime, data_json) = row  # fmt: skip
    data = {**_DATA_DEFAULTS, **(json.loads(data_json) if data_json else {})}
    return SessionRecord(
        session_id=sid,
        status=status,
        started_at=started,
        ended_at=ended,
        project_path=project_path,
        package_name=package_name,
        env=env,
        pipeline=pipeline,
        user=user,
        host=host,
        pid=pid,
        heartbeat_at=beat,
        git=data["git"],
        runtime_params=json.loads(runtime) if runtime else {},
        params=data["params"] or {},
        cli=data["cli"] or {},
        env_vars=data["env_vars"] or {},
        versions=data["versions"] or {},
        filters=data["filters"] or {},
        runner=data["runner"],
        error=data["error"],
        parent_id=parent,
        note=note,
        pinned=bool(pinned),
        extra={k: v for k, v in data.items() if k not in _DATA_DEFAULTS and k not in _INTERNAL},
    )


def intern_words(
    conn: sqlite3.Connection, table: str, column: str, words: Iterable[str]
) -> dict[str, int]:
    """The id of each word in an interning table (``param_keys``, ``output_names`` …), adding the
    new ones; looked up in chunks of 500 to stay under SQLite's variable limit."""
    ordered = sorted(set(words))
    conn.executemany(
        f"INSERT OR IGNORE INTO {table} ({column}) VALUES (?)", [(w,) for w in ordered]
    )
    ids: dict[str, int] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        ids.update(
            (word, word_id)
            for word_id, word in conn.execute(
                f"SELECT id, {column} FROM {table} WHERE {column} IN ({marks})", chunk
            )
        )
    return ids
