"""The parameter form's model: merged parameters flattened to typed fields, parsing and validation.

Kept free of Textual so the typing rules (what counts as a valid int, list …) are tested directly
and shared by the form, presets and the command line preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["bool", "int", "float", "str", "yaml"]


def kind_of(value: Any) -> Kind:
    """The editor a value gets; lists, dicts and nulls are edited as YAML."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "yaml"


SWEEP_PLACEHOLDER = "key=1,2; other.key=[3, 5]"  # before the parameters are known


def sweep_example(fields: list[ParamField]) -> str:
    """A Sweep field example that works as typed: the first numeric parameter, two values."""
    for field in fields:
        if field.kind in ("int", "float"):
            value = field.value
            return f"{field.key}={value},{value * 2 if value else 1}"
    return SWEEP_PLACEHOLDER


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists and empty dicts stay leaves (edited as YAML)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten_params(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def to_text(value: Any, kind: Kind) -> str:
    """How a value appears in its text field."""
    if kind == "yaml":
        import yaml

        text: str = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False)
        text = text.strip()
        return text[:-4].strip() if text.endswith("\n...") else text.removesuffix("...").strip()
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def short(value: Any, limit: int = 40) -> str:
    """A one-line rendering for labels."""
    text = to_text(value, kind_of(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class InvalidValue(ValueError):
    """A field's text does not parse as its kind; the message says why."""


def parse(text: str, kind: Kind, base: Any = None) -> Any:
    """Parse a field's text as ``kind``; raise :class:`InvalidValue` with the reason."""
    stripped = text.strip()
    if kind == "str":
        return text
    if kind == "bool":
        lowered = stripped.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise InvalidValue("expected true or false")
    if kind == "int":
        try:
            return int(stripped.replace("_", ""))
        except ValueError:
            raise InvalidValue(f"{stripped or 'an empty value'!r} is not a whole number") from None
    if kind == "float":
        try:
            return float(stripped)
        except ValueError:
            raise InvalidValue(f"{stripped or 'an empty value'!r} is not a number") from None
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InvalidValue(f"YAML {problem}{where}") from None
    if isinstance(base, list) and not isinstance(value, list):
        raise InvalidValue("expected a YAML list, e.g. [1, 2]")
    if isinstance(base, dict) and not isinstance(value, dict):
        raise InvalidValue("expected a YAML mapping, e.g. {a: 1}")
    return value


@dataclass(frozen=True)
class ParamField:
    """One leaf parameter: its merged value for the env, where it comes from, what it overrode."""

    key: str
    value: Any
    source: str | None = None  # file (relative to the project) that set the value
    overrode: str | None = None  # "value (file)" of the first layer a later env replaced
    type_name: str | None = None  # a Kedro typed parameter's type: "float (SplitOptions)"

    @property
    def kind(self) -> Kind:
        return kind_of(self.value)

    @property
    def group(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def leaf(self) -> str:
        return self.key.rpartition(".")[2]


def _rel(path: Any, root: Path | None) -> str:
    text = str(path)
    if root is not None:
        try:
            return str(Path(text).relative_to(root))
        except ValueError:
            pass
    return text


def describe_provenance(prov: Any, root: Path | None) -> tuple[str | None, str | None]:
    """(file that set the value, "value (file)" it overrode) from a config ``Provenance``."""
    if prov is None:
        return None, None
    path = getattr(prov, "path", None)
    env = getattr(prov, "env", None)
    source = _rel(path, root) if path is not None else (f"--params ({env})" if env else None)
    line = getattr(prov, "line", None)
    if path is not None and line is not None:
        source = f"{source}:{line}"
    overrode = None
    overridden = list(getattr(prov, "overridden", None) or [])
    if overridden:
        prev = overridden[0]  # the oldest layer: usually base
        where = _rel(prev.path, root) if prev.path is not None else prev.env
        overrode = f"{short(prev.value)} ({where})"
    return source, overrode


def typed_fields(typed: Mapping[str, Mapping[str, Any]] | None) -> dict[str, str]:
    """Dotted key -> type text, from a Kedro config's ``typed`` (key -> model type and fields).

    A model's fields get ``"<field type> (<Model>)"``; a model with no readable fields puts its
    name on the key itself.
    """
    out: dict[str, str] = {}
    for key, doc in (typed or {}).items():
        model = str(doc.get("name") or doc.get("type") or "?")
        fields = doc.get("fields") or {}
        if not fields:
            out[key] = model
        for name, type_text in fields.items():
            out[f"{key}.{name}"] = f"{type_text} ({model})"
    return out


def build_fields(
    params: Mapping[str, Any],
    provenance: Mapping[str, Any] | None,
    root: Path | None,
    types: Mapping[str, str] | None = None,
) -> list[ParamField]:
    """The form's fields, grouped by their parent key, in file order within a group.

    ``types`` (dotted key -> type text, see :func:`typed_fields`) marks typed parameters.
    """
    flat = flatten_params(params)
    prov = provenance or {}
    typed = types or {}
    fields = []
    for key, value in flat.items():
        entry = prov.get(key)
        parent = key
        while entry is None and "." in parent:  # a list/dict leaf may be tracked at a parent
            parent = parent.rpartition(".")[0]
            entry = prov.get(parent)
        source, overrode = describe_provenance(entry, root)
        type_name = typed.get(key)
        parent = key
        while type_name is None and "." in parent:  # a leaf inside a typed model's field
            parent = parent.rpartition(".")[0]
            type_name = typed.get(parent)
        fields.append(ParamField(key, value, source, overrode, type_name))
    order = {f.group: i for i, f in reversed(list(enumerate(fields)))}
    return sorted(fields, key=lambda f: order[f.group])
