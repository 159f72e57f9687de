"""screenshots/make.py really runs: a reduced set into tmp_path, each a well-formed SVG."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "screenshots" / "make.py"


def test_script_writes_valid_svgs(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    names = ["project", "session-detail", "welcome", "theme-paper-light"]
    result = subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--out", str(out)),
            *("--workdir", str(tmp_path / "work"), "--only", ",".join(names)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in names:
        svg = out / f"{name}.svg"
        root = ET.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        text = "".join(root.itertext()).replace("\xa0", " ")
        assert f"proj-tui · {name}" in text
    detail = "".join(ET.parse(out / "session-detail.svg").getroot().itertext())
    assert "FAILED" in detail  # real sessions were recorded through the CLI


def test_every_readme_screenshot_is_produced_by_the_script(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--list", "--workdir", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    names = set(result.stdout.split())
    readme = (SCRIPT.parents[1] / "README.md").read_text()
    linked = set(re.findall(r"screenshots/([\w.-]+)\.svg", readme))
    assert linked and linked <= names
    for name in linked:
        assert (SCRIPT.parent / f"{name}.svg").is_file(), name
