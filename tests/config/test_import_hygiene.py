"""The config layer is the bottom layer: it imports only ``proj_tui.errors`` from the project."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import proj_tui.config

PACKAGE_DIR = Path(proj_tui.config.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_errors_from_the_rest_of_the_project() -> None:
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        for name in _imports(path):
            if name == "proj_tui" or name.startswith("proj_tui."):
                assert name == "proj_tui.errors" or name.startswith("proj_tui.config"), (
                    f"{path.name} imports {name}"
                )
            assert not name.startswith(("textual", "rich")), f"{path.name} imports {name}"


def test_every_module_uses_postponed_annotations() -> None:
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        assert "from __future__ import annotations" in path.read_text(encoding="utf-8"), path.name


def test_importing_config_pulls_in_no_ui_or_other_layers() -> None:
    code = (
        "import sys, proj_tui.config; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') "
        "or m.startswith(('proj_tui.pipeline', 'proj_tui.io', 'proj_tui.runner', "
        "'proj_tui.framework', 'proj_tui.cli', 'proj_tui.tui'))]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
