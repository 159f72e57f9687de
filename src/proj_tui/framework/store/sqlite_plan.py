"""The SQL for a history query: FROM, WHERE and ORDER BY shaped for the store's indexes.

Kept apart because this is where the history screen's speed at 100k sessions is won or lost
(tests/store/test_plans.py checks the plans), and it needs none of the store's state: only a
connection to look up parameter keys and count their matches.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from proj_tui.framework.store.records import ParamFilter, SessionQuery
from proj_tui.framework.store.sqlite_logs import LOG_TEXT, LOG_TEXT_V1
from proj_tui.framework.store.sqlite_outputs import output_condition

_DRIVE_FROM_PARAM_BELOW = 2000
"""A parameter filter matching fewer sessions than this drives the query from its index."""

_ORDER_BY = {
    "-started": "s.started_at DESC, s.rid DESC",
    "started": "s.started_at ASC, s.rid ASC",
    "-duration": "(s.ended_at - s.started_at) DESC, s.started_at DESC",
    "duration": "(s.ended_at - s.started_at) ASC, s.started_at DESC",
    "status": "s.status ASC, s.started_at DESC",
}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def param_key_ids(conn: sqlite3.Connection, key: str) -> list[int]:
    """The ids of the recorded parameter keys a filter's ``key`` names: the full dotted name
    or its tail (``lr`` is ``model_a.model_options.lr`` and every other ``….lr``)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM param_keys WHERE key = ? OR key LIKE ? ESCAPE '\\'",
            (key, "%." + _like(key)[1:-1]),
        )
    ]


def _param_condition(
    conn: sqlite3.Connection, param: ParamFilter, alias: str
) -> tuple[str, list[Any]]:
    """SQL on ``session_params AS alias`` for one filter; ``0`` if no session has the key.

    The key is the full dotted name or its tail (``lr`` is ``model_a.model_options.lr`` and every
    other ``….lr``), as people type the name they know rather than its path.
    """
    ids = param_key_ids(conn, param.key)
    if not ids:
        return "0", []
    column = f"{alias}.num" if isinstance(param.value, float) else f"{alias}.text"
    negated = param.op == "!="  # a value of the other type (text vs number) differs too
    condition = f"({column} IS NULL OR {column} != ?)" if negated else f"{column} {param.op} ?"
    if len(ids) == 1:
        return f"{alias}.key_id = ? AND {condition}", [ids[0], param.value]
    marks = ", ".join("?" * len(ids))
    return f"{alias}.key_id IN ({marks}) AND {condition}", [*ids, param.value]


def several_keys(condition: str, alias: str) -> bool:
    """Whether a ``_param_condition`` matches more than one key (so a session may match twice)."""
    return condition.startswith(f"{alias}.key_id IN (")


@dataclass
class _Probe:
    """One filter answered by an index table (a parameter or an ``out:``/``in:`` term).

    ``cond``/``args`` are on ``table AS p`` (driving the query), ``inner``/``inner_args`` on
    ``table AS q`` (checked per session); ``several`` when one session may match in two rows.
    """

    table: str
    cond: str
    args: list[Any]
    inner: str
    inner_args: list[Any]
    several: bool
    negated: bool
    matches: int = _DRIVE_FROM_PARAM_BELOW


def _probes(conn: sqlite3.Connection, query: SessionQuery) -> list[_Probe]:
    probes = []
    for param in query.params:
        cond, args = _param_condition(conn, param, "p")
        inner, inner_args = _param_condition(conn, param, "q")
        probes.append(
            _Probe("session_params", cond, args, inner, inner_args, several_keys(cond, "p"),
                   param.op == "!=")
        )  # fmt: skip
    for term in query.outputs:
        table, cond, args, several = output_condition(conn, term, "p")
        _, inner, inner_args, _ = output_condition(conn, term, "q")
        probes.append(_Probe(table, cond, args, inner, inner_args, several, term.op == "!="))
    return probes


def _plan(
    conn: sqlite3.Connection,
    query: SessionQuery,
    *,
    counting: bool,
    logs_v1: bool = False,
    outputs: bool = True,
) -> tuple[str, str, list[Any]]:
    """FROM source, WHERE clause and arguments for a query, shaped for the indexes.

    Parameter and ``out:``/``in:`` filters are the hard part: checking one per session (EXISTS)
    is cheap when many sessions match, because the newest-first scan stops after ``limit`` hits,
    but scans everything when few match. So each filter's matches are counted up to a bound
    first, and a filter matching fewer than ``_DRIVE_FROM_PARAM_BELOW`` sessions drives the
    query from its own index instead.
    """
    clauses: list[str] = []
    args: list[Any] = []
    source = "sessions AS s"
    source_args: list[Any] = []
    if query.outputs and not outputs:  # a read-only store from before schema 5: no index
        return source, " WHERE 0", []
    probes: list[_Probe] = []
    for probe in _probes(conn, query):
        if probe.cond == "0":
            return source, " WHERE 0", []
        if not probe.negated and not counting:
            probe.matches = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {probe.table} AS p WHERE {probe.cond} "
                "LIMIT ?)",
                [*probe.args, _DRIVE_FROM_PARAM_BELOW],
            ).fetchone()[0]
        probes.append(probe)
    probes.sort(key=lambda probe: probe.matches)
    for index, probe in enumerate(probes):
        table, cond, cond_args = probe.table, probe.cond, probe.args
        if index == 0 and probe.matches < _DRIVE_FROM_PARAM_BELOW:
            if probe.several:  # a session with two matching keys is still one row
                source = (
                    f"(SELECT DISTINCT p.rid FROM {table} AS p WHERE {cond}) AS p "
                    "CROSS JOIN sessions AS s ON s.rid = p.rid"
                )
            else:
                source = f"{table} AS p CROSS JOIN sessions AS s ON s.rid = p.rid AND {cond}"
            source_args = cond_args
        elif counting and not probe.negated:
            clauses.append(f"s.rid IN (SELECT q.rid FROM {table} AS q WHERE {probe.inner})")
            args.extend(probe.inner_args)
        else:
            clauses.append(
                f"EXISTS (SELECT 1 FROM {table} AS q WHERE q.rid = s.rid AND {probe.inner})"
            )
            args.extend(probe.inner_args)
    for column, values in (
        ("status", query.statuses),
        ("env", query.envs),
        ("pipeline", query.pipelines),
        ("user", query.users),
    ):
        if values is None:
            continue
        if not values:
            clauses.append("0")
        else:
            clauses.append(f"s.{column} IN ({', '.join('?' * len(values))})")
            args.extend(sorted(values))
    if query.since is not None:
        clauses.append("s.started_at >= ?")
        args.append(query.since)
    if query.until is not None:
        clauses.append("s.started_at < ?")
        args.append(query.until)
    if query.pinned is not None:
        clauses.append("s.pinned = 1" if query.pinned else "s.pinned = 0")  # literal: partial index
    for prefix in query.id_prefixes:
        clauses.append("s.session_id >= ? AND s.session_id < ?")
        args.extend((prefix, prefix + "\U0010ffff"))
    for parent in query.parents:
        clauses.append("s.parent_id = ?")
        args.append(parent)
    for sweep in query.sweeps:
        clauses.append("s.sweep_id = ?")
        args.append(sweep)
    logs, log_args = (LOG_TEXT_V1, 1) if logs_v1 else (LOG_TEXT, 2)
    for word in query.text:  # the listed fields, then the error, then the log lines
        clauses.append(
            "(s.search LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM session_data AS d WHERE "
            f"d.rid = s.rid AND json_extract(d.data, '$.error') LIKE ? ESCAPE '\\') OR {logs})"
        )
        args.extend([_like(word)] * (2 + log_args))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return source, where, [*source_args, *args]
