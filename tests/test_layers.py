"""The import layering of docs/architecture.md, checked on every module so it cannot rot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "proj_tui"

# layer of each top-level subpackage; a module may import its own layer or lower ones
LAYERS = {
    "errors": 0,
    "config": 1,
    "pipeline": 1,
    "io": 1,
    "runner": 2,
    "framework": 3,
    "cli": 4,
    "tui": 4,
    "kedro": 4,  # runs inside a Kedro process (the project's interpreter); see kedro/__init__.py
}
# same-layer packages that must stay independent of each other
INDEPENDENT = {
    ("config", "pipeline"),
    ("config", "io"),
    ("pipeline", "io"),
    ("tui", "cli"),
    ("kedro", "cli"),
    ("kedro", "tui"),
}
ALLOWED = {("cli", "proj_tui.tui.app")}  # the CLI opens the app through its one entry point
# the one module below tui that may import watchfiles (lazily, inside iter_changes)
WATCHFILES_ALLOWED = {"framework/watch.py"}


def _modules() -> list[Path]:
    return [
        p
        for p in PACKAGE.rglob("*.py")
        if "demo_template" not in p.parts and p.name != "__main__.py"
    ]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _owner(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE).parts
    if len(rel) == 1:
        return rel[0][:-3] if rel[0] != "__init__.py" else None
    return rel[0]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_layers(path: Path) -> None:
    owner = _owner(path)
    if owner is None:
        return
    for name in _imports(path):
        top = name.split(".")[0]
        if owner != "tui":
            assert top != "textual", f"{path} imports {name}: only tui may"
            if path.relative_to(PACKAGE).as_posix() not in WATCHFILES_ALLOWED:
                assert top != "watchfiles", f"{path} imports {name}: only tui and watch.py may"
        if owner != "kedro":
            assert top != "kedro", f"{path} imports {name}: only proj_tui.kedro may import Kedro"
        if owner not in ("cli", "tui"):
            assert top != "rich", f"{path} imports Rich: only the cli and tui layers may"
        if top != "proj_tui" or name == "proj_tui":
            continue
        parts = name.split(".")
        target = parts[1]
        if target not in LAYERS or target == owner:
            continue
        if (owner, ".".join(parts[:3])) in ALLOWED:
            continue
        assert LAYERS[target] <= LAYERS[owner], f"{path} imports {name}: an upper layer"
        assert (owner, target) not in INDEPENDENT and (target, owner) not in INDEPENDENT, (
            f"{path} imports {name}: {owner} and {target} must stay independent"
        )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_uses_postponed_annotations(path: Path) -> None:
    """Every module starts with it (style.md), so type-only imports can stay out of runtime."""
    text = path.read_text(encoding="utf-8")
    if text.strip():
        assert "from __future__ import annotations" in text, path


def test_layer_test_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("from proj_tui.framework.session import Session\nimport textual\n")
    assert "proj_tui.framework.session" in _imports(bad)
    assert "textual" in _imports(bad)


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {m.split(".")[0] for m in out}


def test_framework_does_not_load_textual_or_rich() -> None:
    loaded = _loaded_after(
        "import proj_tui.framework.startup, proj_tui.framework.session, proj_tui.framework.store"
    )
    assert "textual" not in loaded
    assert "rich" not in loaded


def test_run_command_does_not_load_textual(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom proj_tui.cli import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
    )
    loaded = _loaded_after(code)
    assert "textual" not in loaded
