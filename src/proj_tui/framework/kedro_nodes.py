"""A Kedro project's pipelines as our own ``Pipeline``/``Node`` values, built from Kedro's description.

Kedro's nodes live in the project's interpreter; this process only has what
``proj_tui.kedro.describe`` reported. Each node becomes a real :class:`~proj_tui.pipeline.Node` with
Kedro's name, namespace, tags and inputs/outputs (transcoded names kept), so everything that plans
or compares over pipelines (``RunSelection`` filters, the plan preview, staleness, ``pipelines
describe``) works on a Kedro project unchanged, and our ``Pipeline``'s filters follow Kedro 1.x's.

The node's function is a :class:`KedroFunction`: it names the real function (module, qualified
name, file and line, code hash) but cannot be called here; the run happens in Kedro
(``proj-tui run`` on a Kedro project starts Kedro in the project's interpreter).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from proj_tui.errors import ProjTuiError

if TYPE_CHECKING:
    from proj_tui.pipeline import Pipeline

_ANY_SIGNATURE = inspect.Signature(
    [
        inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
    ]
)


class KedroFunctionCallError(ProjTuiError, TypeError):
    """A Kedro node's function was called in proj-tui's process, where it does not exist."""


@dataclass(frozen=True)
class _Code:
    """Where the function is defined: the two fields ``Node.source_location`` reads."""

    co_filename: str
    co_firstlineno: int


class KedroFunction:
    """The function of a Kedro node, described: its names, its place and its code hash."""

    __signature__ = _ANY_SIGNATURE  # Kedro checked the inputs against the real signature

    def __init__(
        self,
        module: str,
        qualname: str,
        name: str,
        source: str | None,
        code_digest: str | None,
        helpers: tuple[str, ...] = (),
    ) -> None:
        self.__module__ = module
        self.__qualname__ = qualname
        self.__name__ = name
        self.code_digest = code_digest  # framework.fingerprints uses it instead of the source
        self.helper_names = helpers
        path, sep, line = (source or "").rpartition(":")
        if sep and line.isdigit():
            self.__code__ = _Code(path, int(line))

    def __repr__(self) -> str:
        return f"<Kedro function {self.__module__}.{self.__qualname__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise KedroFunctionCallError(
            f"{self.__module__}.{self.__qualname__} is a Kedro node's function: it runs in the "
            "project's own Python through Kedro ('proj-tui run' or 'kedro run'), not in "
            "proj-tui's process."
        )


def _func_of(doc: Mapping[str, Any]) -> KedroFunction:
    qualname = str(doc.get("qualname") or doc.get("func_name") or "?")
    return KedroFunction(
        str(doc.get("module") or "?"),
        qualname,
        str(doc.get("func_name") or qualname.rpartition(".")[2]),
        doc.get("source"),
        doc.get("code_hash"),
        tuple(doc.get("helpers") or ()),
    )


def build_pipelines(described: Mapping[str, Any]) -> dict[str, Pipeline]:
    """``{name: Pipeline}`` from the ``pipelines`` section of a describe answer.

    One ``Node`` per distinct Kedro node (pipelines share them, as Kedro's do), so two pipelines
    compare and sum the way Kedro's would.
    """
    from proj_tui.pipeline import Pipeline, node

    nodes: dict[str, Any] = {}
    out: dict[str, Pipeline] = {}
    for pipe_name, body in described.items():
        members = []
        for doc in (body or {}).get("nodes", []):
            name = str(doc["name"])
            made = nodes.get(name)
            if made is None:
                namespace = doc.get("namespace") or None
                short = str(doc.get("short_name") or name)
                made = nodes[name] = node(
                    _func_of(doc),
                    list(doc.get("inputs") or []) or None,
                    list(doc.get("outputs") or []) or None,
                    name=short,
                    namespace=namespace,
                    tags=list(doc.get("tags") or []),
                    confirms=list(doc.get("confirms") or []) or None,
                )
            members.append(made)
        out[str(pipe_name)] = Pipeline(members)
    return out
