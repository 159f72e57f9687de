"""How log lines are laid out in the SQLite store (schema 2), written and read back.

Why this layout (measured with benches/store_size.py; design §5 allows 1.5x the payload):
- One rowid table, ``log_lines``, whose integer key packs (session rid, line number, part). A
  session's lines sit together and in order, found by a range on the key: no index beside the
  table, and no session id text repeated on every line.
- Level and logger are interned in ``log_sources``: one small integer per line.
- A line of more than ``CHUNK_BYTES`` (UTF-8) is split into parts of at most that size, each its
  own row. SQLite keeps a row of up to ~4 KB on its 4 KB leaf page, so whole 2.1 KB lines would
  take a page each (2x); rows of at most 400 bytes leave at most one row's worth of a page unused.
  Schema 1 kept every line whole in a WITHOUT ROWID table, where anything over ~1 KB went to an
  overflow page of its own (4.4x for 1 KB lines). A line gets at most ``PARTS`` parts; the last
  holds the rest, which SQLite spreads over full overflow pages. Measured: 0.8x for short lines,
  1.03-1.13x for 1, 2, 3, 4 and 8 KB lines (part sizes of 330, 500 and 990 bytes did no better).
"""

from __future__ import annotations

import sqlite3
import string
from collections.abc import Iterable, Sequence
from types import EllipsisType
from typing import Any

from proj_tui.framework.store.errors import StoreError
from proj_tui.framework.store.records import LogLine

SCHEMA = """
CREATE TABLE IF NOT EXISTS log_sources (
    id INTEGER PRIMARY KEY,
    level TEXT NOT NULL,
    logger TEXT NOT NULL,
    UNIQUE (level, logger)
);
CREATE TABLE IF NOT EXISTS log_lines (
    id INTEGER PRIMARY KEY,
    ts REAL,
    source INTEGER,
    more INTEGER,
    message TEXT NOT NULL
);
"""
"""``id`` = rid << 37 | seq << 5 | part; ``ts`` and ``source`` are NULL on parts after the first,
``more`` is the number of parts after the first (NULL for a line of one part)."""

V1_LOGS = """
CREATE TABLE logs (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts REAL NOT NULL,
    level TEXT NOT NULL,
    logger TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID
"""
"""Schema 1's table, for ``sessions repair`` of a schema-1 file (its rows then migrate as usual)."""

CHUNK_BYTES = 400
PART_BITS = 5
PARTS = 1 << PART_BITS
SEQ_BITS = 32
MAX_SEQ = (1 << SEQ_BITS) - 1
SESSION_SHIFT = SEQ_BITS + PART_BITS
MAX_RID = (1 << (63 - SESSION_SHIFT)) - 1

_PART_MASK = PARTS - 1
_ROWS_PER_INSERT = 1000
"""Multi-row INSERTs, not executemany (see ``insert_lines``); 5,000 parameters, under SQLite's
32,766."""
LOG_TEXT = (
    f"EXISTS (SELECT 1 FROM log_lines AS l WHERE l.id >= s.rid << {SESSION_SHIFT} "
    f"AND l.id < (s.rid + 1) << {SESSION_SHIFT} AND (l.message LIKE ? ESCAPE '\\' OR "
    f"((l.id & {_PART_MASK}) != 0 OR l.more IS NOT NULL) AND l.message || coalesce((SELECT "
    f"p.message FROM log_lines AS p WHERE p.id = l.id + 1 AND (p.id & {_PART_MASK}) != 0), '') "
    "LIKE ? ESCAPE '\\'))"
)
"""History's free text in a session's log lines (two LIKE patterns): a part is also read with
the start of the next, so a word split between two parts is found."""
LOG_TEXT_V1 = (
    "EXISTS (SELECT 1 FROM logs AS l WHERE l.session_id = s.session_id AND "
    "l.message LIKE ? ESCAPE '\\')"
)
"""The same in a schema-1 store (read-only, so not migrated)."""
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def session_range(rid: int) -> tuple[int, int]:
    """The ``log_lines`` keys of session ``rid``: ``lo <= id < hi``."""
    if not 0 < rid <= MAX_RID:
        raise StoreError(
            f"Session row {rid} is beyond the {MAX_RID:,} sessions the log table can key; "
            "prune old sessions (proj-tui sessions prune) and vacuum the store."
        )
    return rid << SESSION_SHIFT, (rid + 1) << SESSION_SHIFT


def split_message(text: str) -> list[str]:
    """``text`` as parts of at most ``CHUNK_BYTES`` UTF-8 bytes (never cutting a character)."""
    if len(text) <= CHUNK_BYTES // 4 or (len(text) <= CHUNK_BYTES and text.isascii()):
        return [text]
    if text.isascii():
        whole = CHUNK_BYTES * (PARTS - 1)
        parts = [
            text[cut : cut + CHUNK_BYTES] for cut in range(0, min(len(text), whole), CHUNK_BYTES)
        ]
        return [*parts, text[whole:]] if len(text) > whole else parts
    raw = text.encode("utf-8")
    parts, start = [], 0
    while len(raw) - start > CHUNK_BYTES and len(parts) < PARTS - 1:
        cut = start + CHUNK_BYTES
        while raw[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to its lead byte
            cut -= 1
        parts.append(raw[start:cut].decode("utf-8"))
        start = cut
    parts.append(raw[start:].decode("utf-8"))
    return parts


class SourceIds:
    """Interned (level, logger) pairs of one store; ids only ever added, so they can be cached."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], int] = {}

    def lookup(
        self, conn: sqlite3.Connection, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        """Ids for ``pairs``, adding new ones inside the caller's transaction.

        New ids are returned but cached only by ``remember`` after the transaction commits: a
        rolled-back insert must not leave an id the table does not hold.
        """
        ids = dict(self._known)
        for pair in set(pairs) - ids.keys():
            conn.execute("INSERT OR IGNORE INTO log_sources (level, logger) VALUES (?, ?)", pair)
            row = conn.execute(
                "SELECT id FROM log_sources WHERE level = ? AND logger = ?", pair
            ).fetchone()
            ids[pair] = int(row[0])
        return ids

    def remember(self, ids: dict[tuple[str, str], int]) -> None:
        self._known.update(ids)


def last_key(conn: sqlite3.Connection, rid: int) -> int | None:
    """The key of session ``rid``'s last stored line part (None: no lines), one index probe."""
    lo, hi = session_range(rid)
    top = conn.execute("SELECT max(id) FROM log_lines WHERE id >= ? AND id < ?", (lo, hi))
    value = top.fetchone()[0]
    return None if value is None else int(value)


def seq_of(key: int) -> int:
    """The line number (``seq``) a ``log_lines`` key holds."""
    return (key >> PART_BITS) & MAX_SEQ


def insert_lines(
    conn: sqlite3.Connection,
    rid: int,
    lines: Sequence[tuple[float, str, str, str]],
    sources: SourceIds,
    *,
    last: int | EllipsisType | None = ...,
) -> dict[tuple[str, str], int]:
    """Append ``(ts, level, logger, message)`` lines after the session's last; returns the source
    ids used (for ``SourceIds.remember`` once committed).

    Multi-row INSERTs, not executemany: executemany gives up the GIL and takes it back for every
    row, and while a node logs flat out (holding the GIL) each retake waits, so the recorder's
    thread fell ~570k lines behind a 600k-line storm; lines not yet stored are lost if the process
    is killed.

    ``last``: the key of the session's last line (None: none yet) when the caller has just
    read it in the same transaction; left out, it is read here.
    """
    lo, _ = session_range(rid)
    top = last_key(conn, rid) if isinstance(last, EllipsisType) else last
    start = 1 if top is None else seq_of(top) + 1
    if start + len(lines) > MAX_SEQ:
        raise StoreError(
            f"The session has {start - 1:,} log lines, the most one session can store is "
            f"{MAX_SEQ:,}; log less (raise the log level) or split the run."
        )
    ids = sources.lookup(conn, {(level, logger) for _, level, logger, _ in lines})
    # one flat list of values, built in one loop: this runs for every line a node logs
    values: list[Any] = []
    add = values.extend
    rows = 0
    short = CHUNK_BYTES // 4
    key = lo | start << PART_BITS
    for ts, level, logger, text in lines:
        if len(text) <= short or (len(text) <= CHUNK_BYTES and text.isascii()):
            add((key, ts, ids[level, logger], None, text))
            rows += 1
        else:
            parts = split_message(text)
            add((key, ts, ids[level, logger], len(parts) - 1 or None, parts[0]))
            for i, part in enumerate(parts[1:], 1):
                add((key + i, None, None, None, part))
            rows += len(parts)
        key += PARTS
    width = _ROWS_PER_INSERT * 5
    for first in range(0, rows, _ROWS_PER_INSERT):
        count = min(_ROWS_PER_INSERT, rows - first)
        conn.execute(_insert_sql(count), values[first * 5 : first * 5 + width])
    return ids


def _rows(lo: int, lines: Iterable[tuple[int, float, int, str]]) -> list[tuple[Any, ...]]:
    """``log_lines`` rows for numbered ``(seq, ts, source id, message)`` lines of one session."""
    rows: list[tuple[Any, ...]] = []
    for seq, ts, source, message in lines:
        key = lo | seq << PART_BITS
        parts = split_message(message)
        rows.append((key, ts, source, len(parts) - 1 or None, parts[0]))
        rows.extend((key + i, None, None, None, part) for i, part in enumerate(parts[1:], 1))
    return rows


_INSERT_SQL: dict[int, str] = {}


def _insert_sql(rows: int) -> str:
    sql = _INSERT_SQL.get(rows)
    if sql is None:
        values = ", ".join(["(?, ?, ?, ?, ?)"] * rows)
        sql = f"INSERT INTO log_lines (id, ts, source, more, message) VALUES {values}"
        if len(_INSERT_SQL) < 16:
            _INSERT_SQL[rows] = sql
    return sql


def read_lines(
    conn: sqlite3.Connection,
    rid: int,
    *,
    after: int,
    limit: int | None,
    like: str | None,
    text: str | None,
) -> list[LogLine]:
    """Lines of session ``rid`` with ``seq > after``, parts joined; ``like``/``text`` filter them.

    A line of one part is filtered by SQL (``message LIKE like``); a line of several is read
    whole and matched here as SQLite's LIKE would (case folded for ASCII only), so a match that
    spans two parts is found.
    """
    lo, hi = session_range(rid)
    sql = (
        "SELECT l.id, l.ts, s.level, s.logger, l.more, l.message FROM log_lines AS l "
        "LEFT JOIN log_sources AS s ON s.id = l.source WHERE l.id >= ? AND l.id < ?"
    )
    args: list[Any] = [lo | (max(after, 0) + 1) << PART_BITS, hi]
    if like is not None:
        sql += (
            f" AND (l.more IS NOT NULL OR l.id & {_PART_MASK} != 0 OR l.message LIKE ? ESCAPE '\\')"
        )
        args.append(like)
    needle = (text or "").translate(_ASCII_FOLD)
    out: list[LogLine] = []
    pending: list[Any] | None = None  # a line of several parts: [key, ts, level, logger, parts]
    for key, ts, level, logger, more, message in conn.execute(sql + " ORDER BY l.id", args):
        if key & _PART_MASK:
            if pending is not None:
                pending[4].append(message)
            continue
        if pending is not None:
            _finish(pending, needle, out)
            pending = None
        if limit is not None and len(out) >= limit:
            break
        if more is None:
            out.append(LogLine((key >> PART_BITS) & MAX_SEQ, ts, level, logger, message))
        else:
            pending = [key, ts, level, logger, [message]]
    if pending is not None and (limit is None or len(out) < limit):
        _finish(pending, needle, out)
    return out


def _finish(pending: list[Any], needle: str, out: list[LogLine]) -> None:
    key, ts, level, logger, parts = pending
    message = "".join(parts)
    if not needle or needle in message.translate(_ASCII_FOLD):
        out.append(LogLine((key >> PART_BITS) & MAX_SEQ, ts, level, logger, message))


def migrate_v1_logs(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: move every line of ``logs`` into ``log_lines`` (split as new lines are),
    then drop ``logs``. Runs inside the migration's write transaction: all or nothing.

    Lines whose session is gone (none should be: deletes remove both) have no key to go under
    and are dropped with their table.
    """
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    sources = SourceIds()
    sessions = conn.execute(
        "SELECT s.rid, s.session_id FROM sessions AS s "
        "WHERE EXISTS (SELECT 1 FROM logs AS l WHERE l.session_id = s.session_id) ORDER BY s.rid"
    ).fetchall()
    for rid, session_id in sessions:
        cursor = conn.execute(
            "SELECT seq, ts, level, logger, message FROM logs WHERE session_id = ? ORDER BY seq",
            (session_id,),
        )
        while batch := cursor.fetchmany(5000):
            ids = sources.lookup(conn, ((level, logger) for _, _, level, logger, _ in batch))
            sources.remember(ids)
            rows = _rows(
                session_range(rid)[0],
                (
                    (int(seq), ts, ids[level, logger], text)
                    for seq, ts, level, logger, text in batch
                ),
            )
            conn.executemany("INSERT INTO log_lines VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("DROP TABLE logs")
