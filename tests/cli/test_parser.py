"""The parser builds only the subcommand a command line names, and nothing it shows changes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from proj_tui.cli.parser import SUBCOMMANDS, build_parser


def test_top_level_help_is_the_same_without_the_subcommands_arguments() -> None:
    assert build_parser(commands=[]).format_help() == build_parser().format_help()


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--pipeline", "p", "--params", "a=1", "--env", "prod", "--tags", "x,y"],
        ["sessions", "list", "-f", "status:failed", "--json"],
        ["sessions", "prune", "--keep", "3", "--dry-run"],
        ["pipelines", "stale", "--json"],
        ["config", "compare", "base", "prod"],
        ["app", ".", "--demo"],
        ["new", "somewhere"],
    ],
)
def test_one_subcommand_parses_as_the_whole_parser_does(argv: list[str]) -> None:
    whole = vars(build_parser().parse_args(argv))
    one = vars(build_parser(commands=argv[:1]).parse_args(argv))
    assert whole.pop("handler").__name__ == one.pop("handler").__name__
    assert whole == one


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommands_help_is_unchanged(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = []
    for parser in (build_parser(), build_parser(commands=[command])):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        shown.append(capsys.readouterr().out)
    assert shown[0] == shown[1] and f"usage: proj-tui {command}" in shown[0]


def test_help_imports_no_layer() -> None:
    code = (
        "import sys\n"
        "from proj_tui.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('proj_tui.framework') or m == 'shutil'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
