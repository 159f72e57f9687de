"""The history filter language: ``status:failed env:prod lr>0.01 since:2026-11-01 some text``.

One line a user types in the app or passes to ``sessions list``; every term narrows the result (AND).
A parameter comparison names a dotted key or its tail (``lr`` matches ``model_a.model_options.lr``);
a value that is not a number compares as text. ``out:NAME`` keeps sessions that saved the dataset
NAME, ``in:NAME`` those that loaded it; ``out:NAME.KEY<1.5`` compares a value inside a small
JSON/YAML/CSV output (keys as in ``framework.output_diff``). NAME is a dataset name, its last
dotted parts (``metrics`` is ``model_a.metrics``), or its file's stem (``model_a_metrics``); KEY
is a dotted key in the content or its tail, as for parameters. Free text matches the id, pipeline, env, user,
note, commit, overrides, the error and the log lines. Mistakes raise ``QueryError`` with a sentence
that says what would have worked; ``empty_result_hints`` says why a query may have matched nothing.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from proj_tui.errors import did_you_mean
from proj_tui.framework.store.errors import QueryError
from proj_tui.framework.store.records import (
    SORTS,
    STATUSES,
    OutputFilter,
    ParamFilter,
    SessionQuery,
)

FIELDS: tuple[str, ...] = (
    "status",
    "env",
    "pipeline",
    "user",
    "since",
    "until",
    "is",
    "id",
    "parent",
    "sweep",
    "out",
    "in",
    "sort",
)
_SORT_ALIASES = {"-started": "-started", "started": "started", "+started": "started",
                 "-duration": "-duration", "duration": "duration", "+duration": "duration",
                 "status": "status", "newest": "-started", "oldest": "started"}  # fmt: skip
_TOKEN_RE = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_FIELD_RE = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)
_PARAM_RE = re.compile(r"^([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)(>=|<=|!=|=|>|<)(.*)$", re.S)
_OUTPUT_RE = re.compile(r"^([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)(?:(>=|<=|!=|=|>|<)(.*))?$", re.S)
_RELATIVE_RE = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$")
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_query(text: str, *, now: float | None = None) -> SessionQuery:
    """Parse a filter line into a ``SessionQuery``; ``now`` anchors relative times like ``since:2d``."""
    if text.count('"') % 2:
        raise QueryError('The filter has an unclosed quote ("). Close it or remove it.')
    sets: dict[str, frozenset[str] | None] = dict.fromkeys(("status", "env", "pipeline", "user"))
    since: float | None = None
    until: float | None = None
    params: list[ParamFilter] = []
    pinned: bool | None = None
    id_prefixes: list[str] = []
    parents: list[str] = []
    sweeps: list[str] = []
    outputs: list[OutputFilter] = []
    words: list[str] = []
    sort = "-started"
    for token in _TOKEN_RE.findall(text):
        field_match = _FIELD_RE.match(token)
        if field_match is not None:
            name, value = field_match.group(1).lower(), _unquote(field_match.group(2))
            if name not in FIELDS:
                if value.startswith("//") or not name.isalpha():
                    words.append(_unquote(token))  # a URL or the like: plain text
                    continue
                raise QueryError(
                    f"Unknown filter '{name}:'. Use one of "
                    + ", ".join(f"{f}:" for f in FIELDS)
                    + ", a parameter comparison like model.lr>0.01, an output's value like "
                    "out:metrics.rmse<1.5, or plain words (quote a word "
                    'like "a:b" to search for it as text).'
                    + did_you_mean(f"{name}:", [f"{f}:" for f in FIELDS])
                )
            if not value:
                raise QueryError(
                    f"The filter '{name}:' needs a value, for example {_example(name)}."
                )
            if name in sets:
                values = frozenset(v.strip() for v in value.split(",") if v.strip())
                if name == "status":
                    for status in values:
                        if status not in STATUSES:
                            raise QueryError(
                                f"Unknown status '{status}'. Use one of {', '.join(STATUSES)}."
                                + did_you_mean(status, STATUSES)
                            )
                previous = sets[name]
                sets[name] = values if previous is None else previous & values
            elif name == "since":
                stamp = _parse_time(value, "since", now=now, end=False)
                since = stamp if since is None else max(since, stamp)
            elif name == "until":
                stamp = _parse_time(value, "until", now=now, end=True)
                until = stamp if until is None else min(until, stamp)
            elif name == "is":
                if value.lower() == "pinned":
                    pinned = True
                elif value.lower() in ("unpinned", "notpinned"):
                    pinned = False
                else:
                    raise QueryError(f"Unknown 'is:{value}'. Use is:pinned or is:unpinned.")
            elif name == "id":
                id_prefixes.append(value)
            elif name == "parent":
                parents.append(value)
            elif name == "sweep":
                sweeps.append(value)
            elif name in ("out", "in"):
                outputs.append(_output_filter(name, field_match.group(2)))
            else:  # sort
                key = value.lower()
                if key not in _SORT_ALIASES:
                    raise QueryError(
                        f"Unknown sort '{value}'. Use one of " + ", ".join(SORTS) + "."
                        + did_you_mean(key, SORTS)
                    )  # fmt: skip
                sort = _SORT_ALIASES[key]
            continue
        param_match = _PARAM_RE.match(token)
        if param_match is not None:
            key, op, raw = param_match.groups()
            raw = _unquote(raw)
            if raw == "":
                raise QueryError(
                    f"The comparison '{token}' needs a value after '{op}', for example {key}{op}0.01."
                )
            params.append(ParamFilter(key, op, _number_or_text(raw)))
            continue
        word = _unquote(token)
        if word:
            words.append(word)
    return SessionQuery(
        statuses=sets["status"],
        envs=sets["env"],
        pipelines=sets["pipeline"],
        users=sets["user"],
        since=since,
        until=until,
        params=tuple(params),
        pinned=pinned,
        id_prefixes=tuple(id_prefixes),
        parents=tuple(parents),
        sweeps=tuple(sweeps),
        outputs=tuple(outputs),
        text=tuple(words),
        sort=sort,
    )


def empty_result_hints(
    query: SessionQuery, known_key: Callable[[str], bool] | None = None
) -> list[str]:
    """Why a query may have matched nothing, for the terms people get wrong (shown with 0 rows).

    ``known_key`` (the store's ``has_param_key``) tells a key no session recorded from one that
    is recorded but whose values do not compare: only the first is told to check its name.
    """
    hints: list[str] = []
    for param in query.params:
        if isinstance(param.value, str) and param.op in ("<", ">", "<=", ">="):
            hints.append(
                f"'{param}' compares text, as '{param.value}' is not a number: it matches only "
                f"parameters whose value is text (a number there would be {param.key}"
                f"{param.op}0.01)."
            )
    keys = sorted({p.key for p in query.params})
    unknown = [k for k in keys if known_key is None or not known_key(k)]
    if unknown:
        hints.append(
            f"A comparison's key ({', '.join(unknown)}) must be a recorded parameter's dotted name "
            "or its tail (lr for model_a.model_options.lr): a session's Params tab lists them."
        )
    recorded = [p for p in query.params if p.key not in unknown]
    if recorded:
        terms = ", ".join(f"'{p}'" for p in recorded)
        hints.append(
            f"{'Their keys are' if len(recorded) > 1 else 'Its key is'} recorded: no session's "
            f"value matches {terms} (a session's Params tab shows its values)."
        )
    for output in query.outputs:
        if (
            output.op is not None
            and isinstance(output.value, str)
            and output.op in ("<", ">", "<=", ">=")
        ):
            hints.append(
                f"'{output}' compares text, as '{output.value}' is not a number: it matches only "
                "keys whose value is text."
            )
    if query.outputs:
        hints.append(
            "out:/in: name a dataset as recorded (model_a.metrics), its last parts (metrics) or its "
            "file stem (model_a_metrics), then a key in the file (rmse); a session's Data tab "
            "lists its datasets and the keys of its small JSON/YAML/CSV outputs."
        )
    return hints


def _output_filter(field: str, raw: str) -> OutputFilter:
    """``out:NAME``, ``in:NAME`` or ``out:NAME.KEY op value``; a malformed term says why."""
    match = _OUTPUT_RE.match(raw)
    term = f"{field}:{raw}"
    if match is None:
        raise QueryError(
            f"'{term}' is not a dataset name or a comparison: write {field}:NAME (a dataset name "
            f"like model_a.metrics, or its file stem) or out:NAME.KEY<VALUE, like "
            "out:metrics.rmse<1.5 (no spaces; quote a text value with spaces)."
        )
    path, op, value = match.groups()
    if op is None:
        return OutputFilter("save" if field == "out" else "load", path)
    if field == "in":
        raise QueryError(
            f"'{term}': in: takes a dataset name only (in:{path}); only outputs' content is "
            f"recorded, so compare values with out:, like out:metrics.rmse<1.5."
        )
    value = _unquote(value)
    if value[:1] in ("<", ">", "=", "!"):
        raise QueryError(
            f"'{term}' has two operators: use one of <, <=, >, >=, =, != before the value."
        )
    if value == "":
        raise QueryError(f"'{term}' needs a value after '{op}', for example out:{path}{op}1.5.")
    if "." not in path:
        raise QueryError(
            f"'{term}' compares the whole output {path}: name a key inside it after a dot, "
            f"like out:{path}.rmse{op}{value} (out:{path} alone keeps sessions that saved it)."
        )
    return OutputFilter("save", path, op, _number_or_text(value))


def _unquote(text: str) -> str:
    return text.replace('"', "")


def _example(name: str) -> str:
    return {
        "status": "status:failed,crashed",
        "env": "env:prod",
        "pipeline": "pipeline:train",
        "user": "user:ana",
        "since": "since:2026-11-01 or since:2d",
        "until": "until:2026-11-20",
        "is": "is:pinned",
        "id": "id:2026-11-24T19",
        "parent": "parent:2026-11-24T19.04.33.496Z",
        "sweep": "sweep:sw-1124T1904-3fa9",
        "out": "out:model_a.metrics or out:metrics.rmse<1.5",
        "in": "in:trips_raw",
        "sort": "sort:-duration",
    }[name]


def _number_or_text(raw: str) -> float | str:
    """Numbers compare numerically, everything else as text (``model.kind=rf``)."""
    try:
        number = float(raw)
    except ValueError:
        return raw
    return number if math.isfinite(number) else raw


def _parse_time(value: str, name: str, *, now: float | None, end: bool) -> float:
    """A date, ISO datetime (UTC unless it has an offset) or ``2d``/``12h``/``30m``/``1w`` ago.

    ``until:`` with a bare date means the end of that day, which is what people mean by "until the 20th".
    """
    relative = _RELATIVE_RE.match(value)
    if relative is not None:
        base = time.time() if now is None else now
        return base - float(relative.group(1)) * _UNITS[relative.group(2)]
    if value in ("today", "yesterday"):
        base = time.time() if now is None else now
        day = datetime.fromtimestamp(base, timezone.utc).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        if value == "yesterday":
            day -= timedelta(days=1)
        return (day + timedelta(days=1) if end else day).timestamp()
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}(\.\d{2}(\.\d{1,6})?)?\+00:00", text):
        # a session id (or its prefix) pasted as a time: its ':' were written as '.'
        date, clock = text[:-6].split("T")
        parts = clock.split(".")
        text = (
            f"{date}T{':'.join(parts[:3])}" + (f".{parts[3]}" if len(parts) > 3 else "") + "+00:00"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(
            f"'{name}:{value}' is not a date or time. Use a date like {name}:2026-11-01, a time like "
            f"{name}:2026-11-01T14:30 (UTC unless it has an offset), or an age like {name}:2d."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if end and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        parsed += timedelta(days=1)
    return parsed.timestamp()
