"""A Kedro project (``[tool.kedro]``) is a project everywhere one is looked for: detection, metadata,
``Project.kind``, and proj-tui without Kedro still working on native projects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kedro_project import PACKAGE
from proj_tui.framework.project import Project, find_path
from proj_tui.framework.startup import ProjectError, find_project_root

# Run the CLI in a child whose ``import kedro`` fails, as on a machine without Kedro.
_NO_KEDRO = (
    "import sys; sys.modules['kedro'] = None; from proj_tui.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def _cli_without_kedro(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _NO_KEDRO, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"},
        check=False,
    )


def test_a_kedro_project_is_found_from_inside_it_and_read_as_the_kedro_kind(
    kedro_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = kedro_project / "src" / PACKAGE / "pipelines"
    assert find_project_root(inside) == kedro_project
    monkeypatch.chdir(inside)
    assert find_path() == kedro_project  # what every subcommand without --project uses
    project = Project.read(kedro_project)
    assert project.kind == "kedro"
    assert project.package_name == PACKAGE
    assert project.project_name == "space-lite"
    assert project.metadata.source_dir == kedro_project / "src"
    assert Project.load(kedro_project).kind == "kedro"
    # Kedro's own keys (kedro_init_version, tools, example_pipeline) are not ours to refuse.
    text = (kedro_project / "pyproject.toml").read_text(encoding="utf-8")
    assert "kedro_init_version" in text and "example_pipeline" in text


def test_unknown_keys_of_tool_kedro_are_kedros_business(kedro_project: Path) -> None:
    pyproject = kedro_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("[tool.kedro]\n", "[tool.kedro]\nsome_future_setting = [1, 2]\n"),
        encoding="utf-8",
    )
    assert Project.read(kedro_project).kind == "kedro"


def test_a_source_dir_from_tool_kedro_is_used(kedro_project: Path) -> None:
    (kedro_project / "src").rename(kedro_project / "code")
    pyproject = kedro_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        'source_dir = "src"', 'source_dir = "code"'
    )
    pyproject.write_text(text, encoding="utf-8")
    project = Project.read(kedro_project)
    assert project.metadata.source_dir == kedro_project / "code"
    assert kedro_project / "code" / PACKAGE in project.watch_paths()


def test_a_tool_kedro_table_without_package_name_says_which_key(kedro_project: Path) -> None:
    pyproject = kedro_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(f'package_name = "{PACKAGE}"\n', "")
    pyproject.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError, match="needs 'package_name'") as info:
        Project.read(kedro_project)
    assert info.value.location is not None and info.value.location.path == pyproject


def test_our_table_wins_over_kedros(demo: Path) -> None:
    pyproject = demo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + '\n[tool.kedro]\npackage_name = "x"\n',
        encoding="utf-8",
    )
    assert Project.read(demo).kind == "native"


def test_watch_paths_of_a_kedro_project_run_no_code(kedro_project: Path) -> None:
    paths = Project.read(kedro_project).watch_paths()
    assert paths == [
        kedro_project / "conf",
        kedro_project / "src" / PACKAGE,
        kedro_project / "pyproject.toml",
    ]


def test_proj_tui_without_kedro_works_on_native_projects(demo: Path, tmp_path: Path) -> None:
    listed = _cli_without_kedro("pipelines", "list", "--json", "--project", str(demo), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["__default__"] > 0
    blamed = _cli_without_kedro("config", "blame", "--json", "--project", str(demo), cwd=tmp_path)
    assert blamed.returncode == 0, blamed.stderr
    # ... and never loads the Kedro kind (nor Kedro) for a native project
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from proj_tui.framework.project import Project; "
            f"p = Project.load({str(demo)!r}); p.pipelines(); p.config_loader()['parameters']; "
            "print([m for m in sys.modules if m == 'kedro' or m.startswith(('kedro.', "
            "'proj_tui.framework.kedro', 'proj_tui.kedro'))])",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert probe.stdout.strip() == "[]"


def test_a_kedro_project_without_kedro_anywhere_says_what_to_install_where(
    kedro_project: Path, tmp_path: Path
) -> None:
    done = _cli_without_kedro("pipelines", "list", "--project", str(kedro_project), cwd=tmp_path)
    assert done.returncode != 0
    assert "is a Kedro project, but Kedro is not installed" in done.stderr
    assert "pip install 'proj-tui[kedro]'" in done.stderr
    assert "PROJ_TUI_KEDRO_PYTHON" in done.stderr
    assert "Traceback" not in done.stderr
