"""Helpers for the config/catalog/session parity tests: real files under tmp_path, nothing mocked."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import yaml


def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


REGISTRY = """
from proj_tui.pipeline import Pipeline, node


def double(x):
    return x * 2


def register_pipelines():
    return {"__default__": Pipeline([node(double, "params:x", "doubled", name="double")])}
"""


def make_project(root: Path, *, settings: str = "", params: str = "x: 2\n") -> tuple[Path, str]:
    """A one-node project under ``root`` with a package name no other test uses (modules cache)."""
    package = f"parity_{uuid.uuid4().hex[:10]}"
    write_text(
        root / "pyproject.toml",
        f"[tool.proj_tui]\npackage_name = '{package}'\nproject_name = 'Parity'\n",
    )
    write_text(root / "src" / package / "__init__.py", "")
    write_text(root / "src" / package / "settings.py", settings)
    write_text(root / "src" / package / "pipeline_registry.py", REGISTRY)
    write_text(root / "conf" / "base" / "parameters.yml", params)
    write_text(root / "conf" / "base" / "catalog.yml", "")
    (root / "conf" / "local").mkdir(parents=True, exist_ok=True)
    return root, package
