"""The io layer imports only ``proj_tui.errors`` and never a UI library."""

from __future__ import annotations

import ast
from pathlib import Path

import proj_tui.io

IO_DIR = Path(proj_tui.io.__file__).parent
FORBIDDEN_TOP = {"textual", "rich", "parse"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_io_imports_only_errors_from_proj_tui() -> None:
    for path in sorted(IO_DIR.glob("*.py")):
        for name in _imports(path):
            if name.startswith("proj_tui"):
                assert name == "proj_tui.errors" or name.startswith("proj_tui.io"), (path, name)
            assert name.split(".")[0] not in FORBIDDEN_TOP, (path, name)


def test_every_module_uses_future_annotations() -> None:
    for path in IO_DIR.glob("*.py"):
        assert "from __future__ import annotations" in path.read_text(encoding="utf-8"), path
