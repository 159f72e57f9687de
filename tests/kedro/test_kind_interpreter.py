"""Which Python answers for a Kedro project: this one, the project's .venv, or the one configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from proj_tui.framework.kedro_interpreter import ENV_VAR, resolve_interpreter
from proj_tui.framework.project import Project

# In a child whose ``import kedro`` fails: resolve the interpreter, then describe the project.
_RESOLVE_WITHOUT_KEDRO = """\
import json, sys
sys.modules["kedro"] = None
from proj_tui.framework.kedro_interpreter import resolve_interpreter
from proj_tui.framework.project import Project
project = Project.load(sys.argv[1])
found = resolve_interpreter(project.metadata)
out = {"python": str(found.python), "source": found.source, "has_proj_tui": found.has_proj_tui}
if len(sys.argv) > 2:
    out["nodes"] = [n.name for n in project.pipeline().nodes]
    out["scale"] = project.config_loader()["parameters"]["features"]["scale"]
print(json.dumps(out))
"""


def _venv_with_kedro(where: Path) -> Path:
    """A venv without proj-tui whose site-packages also sees this one's (so Kedro imports)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next((where / "lib").glob("python*/site-packages"))
    (site / "this_envs_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin" / "python"


def _resolve_without_kedro(project: Path, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _RESOLVE_WITHOUT_KEDRO, str(project), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_this_interpreter_when_kedro_and_the_package_import_here(kedro_project: Path) -> None:
    found = resolve_interpreter(Project.read(kedro_project).metadata)
    assert found.source == "this"
    assert found.python == Path(sys.executable)


def test_the_projects_venv_when_this_interpreter_has_no_kedro(kedro_project: Path) -> None:
    python = _venv_with_kedro(kedro_project / ".venv")
    result = _resolve_without_kedro(kedro_project, "describe")
    assert result["python"] == str(python)
    assert result["source"] == "venv"
    # proj-tui is not installed in that venv: the describe child still runs (its package is
    # lent through PYTHONPATH) and answers as Kedro there sees the project.
    assert result["has_proj_tui"] is False
    assert result["nodes"] == [
        "preprocess_companies",
        "preprocess_shuttles__e9895aee",
        "create_model_input_table",
        "split_data",
        "reporting.summarize",
    ]
    assert result["scale"] == 2


def test_the_configured_interpreter_comes_after_the_projects_venv(
    kedro_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = _venv_with_kedro(tmp_path / "elsewhere-venv")
    monkeypatch.setenv(ENV_VAR, str(python))
    assert _resolve_without_kedro(kedro_project)["source"] == "config"
    monkeypatch.delenv(ENV_VAR)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "proj-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'kedro_python = "{python}"\n', encoding="utf-8")
    result = _resolve_without_kedro(kedro_project)
    assert (result["source"], result["python"]) == ("config", str(python))


def test_a_configured_interpreter_that_does_not_exist_is_named(
    kedro_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "/nowhere/bin/python")
    done = subprocess.run(
        [sys.executable, "-c", _RESOLVE_WITHOUT_KEDRO, str(kedro_project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "KedroNotFoundError" in done.stderr
    assert "The Python set in $PROJ_TUI_KEDRO_PYTHON (/nowhere/bin/python) does not exist" in (
        done.stderr
    )
