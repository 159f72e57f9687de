"""The examples in docs/extending.md work as written, run through the real CLI on a demo copy.

Every fenced block whose first line is ``# file: PATH`` is written to PATH in the project
(``(append)`` appends), so the docs cannot drift from what the code accepts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import cli, make_demo

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```(?:python|toml|yaml)\n# file: (\S+)( \(append\))?\n(.*?)```", re.S)


def doc_files() -> dict[str, tuple[bool, str]]:
    text = (DOCS / "extending.md").read_text()
    found: dict[str, tuple[bool, str]] = {}
    for path, append, body in BLOCK.findall(text):
        found[path if not append else f"{path}#{len(found)}"] = (bool(append), body)
    return found


def install(project: Path, *names: str) -> None:
    """Write the documented files whose path contains one of ``names`` into ``project``."""
    (project / "src" / "my_pkg").mkdir(exist_ok=True)
    (project / "src" / "my_pkg" / "__init__.py").touch()
    for key, (append, body) in doc_files().items():
        path = key.split("#")[0]
        if not any(n in key or n in body for n in names):
            continue
        target = project / path
        if append:
            with target.open("a") as out:
                out.write("\n" + body)
        else:
            target.write_text(body)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_demo(tmp_path / "taxi")


def test_the_doc_has_every_example() -> None:
    paths = {k.split("#")[0] for k in doc_files()}
    assert {"src/my_pkg/runners.py", "src/my_pkg/stores.py", "src/my_pkg/datasets.py"} <= paths
    assert "src/my_pkg/hooks.py" in paths and "src/taxi_fares/settings.py" in paths


def test_custom_runner(project: Path) -> None:
    install(project, "runners.py")
    result = cli(
        "run", "--runner", "my_pkg.runners.TimingRunner", "--runner-params", "slow_s=0", cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert "TimingRunner: compare_models took" in result.stdout + result.stderr
    shown = json.loads(cli("sessions", "show", "latest", "--json", cwd=project).stdout)
    assert "TimingRunner" in json.dumps(shown)


def test_custom_store(project: Path) -> None:
    install(project, "stores.py", "JsonlMirrorStore")
    for _ in range(2):
        assert cli("run", cwd=project).returncode == 0
    lines = (project / ".proj-tui" / "finished.jsonl").read_text().splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["succeeded", "succeeded"]
    listed = cli("sessions", "list", cwd=project)  # the rest of the CLI still reads it
    assert listed.returncode == 0 and listed.stdout.count("succeeded") == 2


def test_custom_dataset(project: Path) -> None:
    install(project, "datasets.py")
    catalog = project / "conf" / "base" / "catalog.yml"
    text = catalog.read_text()
    assert "model_comparison:\n  type: text.TextDataset" in text
    catalog.write_text(
        text.replace(
            "model_comparison:\n  type: text.TextDataset",
            "model_comparison:\n  type: my_pkg.datasets.ShoutingTextDataset",
        )
    )
    result = cli("run", cwd=project)
    assert result.returncode == 0, result.stderr
    report = next((project / "data").rglob("model_comparison.md")).read_text()
    assert report == report.upper() and "MODEL" in report
    described = cli("pipelines", "describe", "--json", cwd=project)
    assert described.returncode == 0


def test_hook_plugin_reads_the_store(project: Path) -> None:
    install(project, "hooks.py", "RunTimeReport")
    first = cli("run", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "the first successful run of __default__" in first.stdout + first.stderr
    second = cli("run", cwd=project)
    assert "median of the last 1:" in second.stdout + second.stderr


def test_key_tables_are_up_to_date() -> None:
    script = DOCS / "gen_keys.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_install_commands_install_this_checkout() -> None:
    """proj-tui is installed from a clone (`pip install -e PATH[extra]`); a newcomer following
    `pip install 'proj-tui[kedro]'` got nothing, as no registry has the name."""
    readme = DOCS.parent / "README.md"
    for doc in (readme, *sorted(DOCS.glob("*.md"))):
        text = doc.read_text()
        assert not re.search(r"pip install ['\"]?proj-tui\b", text), doc.name


def test_the_readme_tour_shows_every_screen_of_docs_tui() -> None:
    """Each screen in docs/tui.md's table has its paragraph in the README's tour (the Queue
    and the Sweep view had none)."""
    tui = (DOCS / "tui.md").read_text()
    table = tui.split("## Screens", 1)[1].split("\n\n", 2)[1]
    names = [row.split("|")[1].strip() for row in table.splitlines()[2:]]
    assert "Queue" in names and "Sweep" in names
    readme = (DOCS.parent / "README.md").read_text()
    tour = readme.split("## A tour of the app", 1)[1].split("\n## ", 1)[0]
    for name in names:
        assert f"**{name}**" in tour, name
