"""The session detail's Data tab: what a session saved and loaded, with fingerprints.

One list, outputs first (what people come to check), then inputs; each dataset on two lines that
fit 80 columns — name, role, size and a short digest; then type, path, version and the node(s) —
and for a small JSON/YAML/CSV output a third with its first values (``framework.output_content``
defines the keys ``out:`` filters on, so what is shown here is what can be typed there). Secrets
in the content are redacted there; paths and names are escaped, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.markup import escape
from textual.message import Message

from proj_tui.framework.output_content import ContentError, content_format, content_leaves
from proj_tui.framework.output_diff import short_digest

if TYPE_CHECKING:
    from proj_tui.framework.store import DatasetRecord

SHOWN_VALUES = 6
"""Values of a small output shown on its line (the diff shows every changed one)."""


def fmt_size(size: int | None) -> str:
    """``412 B``, ``3.1 KB``, ``512.0 MB``: bytes in powers of 1024, as ``ls -h`` does."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _values(dataset: DatasetRecord) -> str | None:
    fmt = content_format(dataset.path)
    if dataset.content is None or fmt is None:
        return None
    try:
        leaves = content_leaves(dataset.content, fmt)
    except ContentError as exc:
        return f"[$warning]content not readable: {escape(str(exc))}[/]"
    shown = [f"{escape(k)} = {escape(_short(v))}" for k, v in list(leaves.items())[:SHOWN_VALUES]]
    more = len(leaves) - len(shown)
    return " · ".join(shown) + (f" [dim]· {more} more[/]" if more > 0 else "")


def _short(value: object, width: int = 24) -> str:
    text = (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )
    return text if len(text) <= width else text[: width - 1] + "…"


def render_datasets(datasets: Sequence[DatasetRecord]) -> str:
    """The Data tab's text (Textual markup) for one session's recorded datasets."""
    if not datasets:
        return (
            "No datasets recorded for this session: it ran before proj-tui recorded them, or "
            "every dataset it used was in memory (memory datasets are not fingerprinted)."
        )
    outputs = _merged(datasets, "save")
    inputs = _merged(datasets, "load")
    with_content = sum(1 for d, _ in outputs if d.content is not None)
    lines = [
        f"[b]{len(outputs)} output(s), {len(inputs)} input(s)[/b]"
        f" [dim]· digest = content hash (short) · {with_content} small file(s) with values, "
        "filter with out:NAME.KEY<1.5[/]",
    ]
    for title, group in (("Outputs", outputs), ("Inputs", inputs)):
        if not group:
            continue
        lines += ["", f"[b]{title}[/b]"]
        for dataset, nodes in group:
            lines += _entry(dataset, nodes)
    return "\n".join(lines)


def _merged(datasets: Sequence[DatasetRecord], role: str) -> list[tuple[DatasetRecord, list[str]]]:
    """One entry per dataset name for ``role``, with every node that used it, in recorded order."""
    entries: dict[str, tuple[DatasetRecord, list[str]]] = {}
    for dataset in datasets:
        if dataset.role != role:
            continue
        entry = entries.setdefault(dataset.name, (dataset, []))
        if dataset.node not in entry[1]:
            entry[1].append(dataset.node)
    return list(entries.values())


def _entry(dataset: DatasetRecord, nodes: list[str]) -> list[str]:
    digest = short_digest(dataset.digest)
    shown_digest = (
        f"[$accent]{escape(digest)}[/]"
        if digest
        else f"[$warning]not hashed[/]{f' ({escape(dataset.note)})' if dataset.note else ''}"
    )
    role = "saved by" if dataset.role == "save" else "loaded by"
    head = f"  [b]{escape(dataset.name)}[/b]  {fmt_size(dataset.size)}  {shown_digest}"
    if dataset.scheme and dataset.scheme not in ("full", "whole"):
        head += f" [dim]({escape(dataset.scheme)})[/]"
    where = [escape(dataset.type or "—"), escape(dataset.path or "— (no file)")]
    if dataset.version:
        where.append(f"version {escape(dataset.version)}")
    where.append(f"{role} {escape(', '.join(nodes))}")
    lines = [head, f"    [dim]{' · '.join(where)}[/]"]
    values = _values(dataset)
    if values:
        lines.append(f"    {values}")
    return lines


@dataclass
class DatasetsLoaded(Message):
    """A session's recorded datasets, read in a worker for the Data tab."""

    session_id: str
    datasets: list[DatasetRecord]
