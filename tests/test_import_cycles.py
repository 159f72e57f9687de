"""No import cycles in proj_tui: the module graph, read from the AST, has no loop of two or more.

Every import counts, wherever it stands: at the top, inside a function (a lazy import is still a
dependency, only a later one), under ``if TYPE_CHECKING:`` (the type checker follows it, and
the two modules still cannot be understood one without the other), and
``importlib.import_module("proj_tui.x")`` with a literal name. Relative imports are resolved
against the importing module's package, and ``from pkg import name`` is an import of the module
``pkg.name`` when there is one, else of ``pkg``. An import of ``a.b.c`` is an edge to ``a.b.c``
only, not to the packages ``a`` and ``a.b`` it passes through, so a package's ``__init__.py``
that hands names on does not tie everything below it together.

``KNOWN_CYCLES`` held the six cycles the tree had when this test was written; all are gone and
it is empty. It may only shrink: a cycle not on it fails, and so does an entry that is no
longer true.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "proj_tui"
SKIPPED = ("demo_template",)  # project files proj-tui copies out, not modules of proj_tui

KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


# --- the checker -------------------------------------------------------------------------------


@dataclass
class Graph:
    """``edges[a][b]``: the names module ``a`` takes from module ``b``, with their lines."""

    modules: set[str]
    edges: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def add(self, source: str, target: str, what: str) -> None:
        if target != source:
            self.edges.setdefault(source, {}).setdefault(target, []).append(what)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _files(root: Path, package: str) -> list[Path]:
    return sorted(
        p for p in (root / package).rglob("*.py") if not any(s in p.parts for s in SKIPPED)
    )


def _known(name: str, modules: set[str]) -> str | None:
    """``name`` if it is a module of the graph, else its longest prefix that is."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from … import`` names (relative ones resolved)."""
    if not node.level:
        return node.module or ""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _literal_import_module(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name != "import_module" or not node.args:
        return None
    arg = node.args[0]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def build_graph(root: Path, package: str = PACKAGE) -> Graph:
    """The import graph of every module of ``package`` under ``root`` (edges inside it only)."""
    files = _files(root, package)
    graph = Graph({module_name(p, root) for p in files})
    inside = package + "."
    for path in files:
        source = module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[tuple[str, str]] = []  # (module imported, name it was used for)
            if isinstance(node, ast.Import):
                targets = [(alias.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _base(node, source, path.name == "__init__.py")
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append((sub if sub in graph.modules else base, alias.name))
            elif isinstance(node, ast.Call) and (literal := _literal_import_module(node)):
                targets = [(literal, f"import_module({literal!r})")]
            for name, what in targets:
                if name != package and not name.startswith(inside):
                    continue
                target = _known(name, graph.modules)
                if target is not None:
                    graph.add(source, target, f"{what} (line {node.lineno})")
    return graph


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(start: str) -> None:
        # iterative, so a long chain of imports cannot hit the recursion limit
        work = [(start, iter(sorted(graph.edges.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.edges.get(target, {})))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def describe(cycle: Iterable[str], graph: Graph) -> str:
    """A cycle as its modules and every import that ties them: ``a -> b: name (line 3)``."""
    members = sorted(cycle)
    lines = [f"{len(members)} modules: {', '.join(members)}"]
    for source in members:
        for target, names in sorted(graph.edges.get(source, {}).items()):
            if target in members:
                lines.append(f"  {source} -> {target}: {', '.join(names)}")
    return "\n".join(lines)


def _report(found: Iterable[frozenset[str]], graph: Graph) -> str:
    return "\n\n".join(describe(c, graph) for c in found)


def _unexpected(
    found: Iterable[frozenset[str]], known: Iterable[frozenset[str]]
) -> list[frozenset[str]]:
    """Cycles that are neither on the list nor what is left of one that shrank."""
    known = list(known)
    return [c for c in found if not any(c <= k for k in known)]


# --- proj_tui itself ---------------------------------------------------------------------------


def test_no_import_cycles_but_the_known_ones() -> None:
    graph = build_graph(SRC)
    new = _unexpected(cycles(graph), KNOWN_CYCLES)
    assert not new, (
        "Import cycles (each with the imports that tie it; break one of them, e.g. by moving "
        "the shared name down a layer or having the lower module receive it as an argument):"
        f"\n\n{_report(new, graph)}"
    )


def test_every_known_cycle_still_exists() -> None:
    """The allow-list stays true: a cycle that was broken, or shrank, must leave it."""
    found = cycles(build_graph(SRC))
    stale = [k for k in KNOWN_CYCLES if k not in found]
    shrunk = {k: [c for c in found if c < k] for k in stale}
    assert not stale, (
        "KNOWN_CYCLES lists cycles that are gone; remove or narrow them:\n"
        + "\n".join(
            f"  {sorted(k)} -> now {[sorted(c) for c in shrunk[k]] or 'no cycle'}" for k in stale
        )
    )


# --- the checker on files of our own ------------------------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_checker_finds_cycles_through_every_import_form(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.base import Base\n",
            "pkg/base.py": "class Base: ...\n",
            # a cycle tied by a TYPE_CHECKING import one way and a function-local one back
            "pkg/a.py": """
                from __future__ import annotations
                from typing import TYPE_CHECKING
                from pkg.base import Base
                if TYPE_CHECKING:
                    from pkg.sub.b import B
                def make() -> B:
                    from .sub.b import B
                    return B()
            """,
            "pkg/sub/__init__.py": "",
            "pkg/sub/b.py": """
                def use():
                    from .. import a
                    return a.make
                class B: ...
            """,
            # three modules in a loop: `from pkg import module`, `import x.y`, import_module
            "pkg/c.py": "from pkg import d\n",
            "pkg/d.py": "import pkg.e\n",
            "pkg/e.py": "import importlib\nf = importlib.import_module('pkg.c')\n",
            # not a cycle: imports of the package and of names only flow down
            "pkg/f.py": "from pkg import Base\nimport pkg.base\n",
        },
    )
    graph = build_graph(tmp_path, "pkg")
    assert graph.modules == {
        "pkg",
        "pkg.base",
        "pkg.a",
        "pkg.sub",
        "pkg.sub.b",
        "pkg.c",
        "pkg.d",
        "pkg.e",
        "pkg.f",
    }
    found = set(cycles(graph))
    assert found == {frozenset({"pkg.a", "pkg.sub.b"}), frozenset({"pkg.c", "pkg.d", "pkg.e"})}
    text = describe(frozenset({"pkg.a", "pkg.sub.b"}), graph)
    assert "pkg.a -> pkg.sub.b: B (line 6), B (line 8)" in text
    assert "pkg.sub.b -> pkg.a: a (line 3)" in text
    assert "pkg.e -> pkg.c: import_module('pkg.c') (line 2)" in describe(
        frozenset({"pkg.c", "pkg.d", "pkg.e"}), graph
    )
    # the allow-list logic: a known cycle tolerates itself and what is left of it, nothing else
    known = [frozenset({"pkg.a", "pkg.sub.b", "pkg.base"})]
    assert _unexpected(found, known) == [frozenset({"pkg.c", "pkg.d", "pkg.e"})]


def test_a_module_importing_itself_is_no_cycle(tmp_path: Path) -> None:
    _write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg import a\nimport pkg.a\n"})
    assert cycles(build_graph(tmp_path, "pkg")) == []
