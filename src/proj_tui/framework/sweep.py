"""Parameter sweeps: several values for one or more parameters, one run per combination.

``--sweep model.lr=0.01,0.1 --sweep model.depth=3,5,7`` (or ``model.lr=[0.01, 0.1]``) is parsed
here into ``{key: [values]}``, checked against the merged parameters (a key that is not there is
a typo, and running six sessions on it would waste them all), and expanded to the cartesian
product, in the order the keys were given. Values are typed like ``--params`` values
(``config.yaml_io.parse_value``), so a swept ``3`` is the same int a ``--params`` 3 would be.
The queue (framework/queue.py) turns each combination into one queued run sharing a sweep id.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from proj_tui.config.merge import flatten
from proj_tui.config.text_split import split_top_level
from proj_tui.config.yaml_io import parse_value
from proj_tui.errors import ProjTuiError, did_you_mean

MAX_COMBINATIONS = 1000
"""More runs than anyone means to queue at once: a typo in a range, most likely."""


class SweepError(ProjTuiError):
    """A ``--sweep`` (or a swept form field) that cannot be read or does not fit the params."""


def parse_sweep_item(item: str) -> tuple[str, list[Any]]:
    """``"model.lr=0.01,0.1"`` or ``"model.lr=[0.01, 0.1]"`` -> ``("model.lr", [0.01, 0.1])``."""
    key, eq, raw = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise SweepError(
            f"--sweep {item!r} must look like KEY=V1,V2,... or KEY=[V1, V2], for example "
            "--sweep model.lr=0.01,0.1."
        )
    return key, parse_values(key, raw)


def parse_values(key: str, raw: str) -> list[Any]:
    """The values of one swept key: a YAML flow list, or comma-separated YAML-typed values."""
    text = raw.strip()
    if text.startswith("["):
        try:
            values = parse_value(text)
        except ValueError as exc:
            raise SweepError(
                f"--sweep {key}: {exc}. Write the values as a YAML list, e.g. {key}=[0.01, 0.1], "
                f"or comma-separated: {key}=0.01,0.1."
            ) from None
        if not isinstance(values, list):  # pragma: no cover - a '[' flow value is a list
            raise SweepError(f"--sweep {key}: {text!r} is not a list of values.")
    else:
        try:
            pieces = split_top_level(text, quote_at_start=False) if text else []
        except ValueError as exc:
            raise SweepError(f"--sweep {key}: {exc}.") from None
        values = []
        for piece in pieces:
            if not piece.strip():
                continue
            try:
                values.append(parse_value(piece))
            except ValueError as exc:
                raise SweepError(
                    f"--sweep {key}: {exc}. Check its brackets and quotes, or give the values "
                    f"as a YAML list: {key}=[...]."
                ) from None
    if not values:
        raise SweepError(
            f"--sweep {key} gives no values; give at least one, e.g. {key}=0.01,0.1 or "
            f"{key}=[0.01, 0.1]."
        )
    return list(values)


def parse_sweeps(items: Sequence[str]) -> dict[str, list[Any]]:
    """Every ``--sweep`` option, in order; a key given twice is an error that names it."""
    sweep: dict[str, list[Any]] = {}
    for item in items:
        key, values = parse_sweep_item(item)
        if key in sweep:
            raise SweepError(
                f"--sweep {key} is given twice; give all its values in one option: "
                f"--sweep {key}=V1,V2,..."
            )
        sweep[key] = values
    return sweep


def check_keys(sweep: Mapping[str, Any], params: Mapping[str, Any], *, env: str) -> None:
    """Refuse a swept key the merged parameters do not have, with the nearest ones."""
    flat = flatten(params)
    known = set(flat)
    for key in list(flat):  # a mapping may be swept as a whole: its dotted prefixes exist too
        parts = key.split(".")
        known.update(".".join(parts[:n]) for n in range(1, len(parts)))
    for key in sweep:
        if key not in known:
            hint = did_you_mean(key, sorted(flat)) or (
                " See the keys with: proj-tui config blame" if flat else ""
            )
            raise SweepError(
                f"--sweep {key}: there is no parameter '{key}' in env '{env}' (base and {env} "
                f"merged).{hint}"
            )


def combinations(sweep: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product as ``[{key: value, ...}, ...]``: the first key varies slowest."""
    keys = list(sweep)
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*sweep.values())]
    if len(combos) > MAX_COMBINATIONS:
        sizes = " x ".join(str(len(v)) for v in sweep.values())
        raise SweepError(
            f"The sweep makes {len(combos)} runs ({sizes}), more than {MAX_COMBINATIONS}; "
            "sweep fewer values at a time."
        )
    return combos


def new_sweep_id(now: float | None = None) -> str:
    """Short, sortable by time, and unique enough for one project: ``sw-1202T0712-3fa9``."""
    stamp = time.strftime("%m%dT%H%M", time.gmtime(time.time() if now is None else now))
    return f"sw-{stamp}-{secrets.token_hex(2)}"


def format_value(value: Any) -> str:
    """A swept value as ``--params`` would spell it (``0.01``, ``true``, ``[1, 2]``)."""
    from proj_tui.config import format_params

    return format_params({"v": value}).partition("=")[2]


def describe_values(values: Mapping[str, Any], keys: Iterable[str] | None = None) -> str:
    """``model.lr=0.01 model.depth=3`` for a list line or a column."""
    chosen = list(values) if keys is None else [k for k in keys if k in values]
    return " ".join(f"{k}={format_value(values[k])}" for k in chosen)
