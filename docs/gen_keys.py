"""Write the key tables in README.md and docs/tui.md from the app's real bindings.

    python docs/gen_keys.py          # rewrite the tables between the keys markers
    python docs/gen_keys.py --check  # exit 1 if a table is stale (the test suite runs this)

Why generated: bindings change with every screen; hand-written tables drift. The sections are
the ones the in-app help (``?``) shows, plus the first-run Welcome screen.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = [ROOT / "README.md", ROOT / "docs" / "tui.md"]
START, END = "<!-- keys:start (docs/gen_keys.py) -->", "<!-- keys:end -->"
NAMES = {
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "slash": "/",
    "escape": "esc",
}


def key_text(keys: str) -> str:
    return " / ".join(f"`{NAMES.get(k.strip(), k.strip())}`" for k in keys.split(","))


def sections() -> list[tuple[str, type]]:
    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.screens.welcome import WelcomeScreen

    return [*ProjTuiApp.help_sections(), ("Welcome (first run, no project)", WelcomeScreen)]


def keys_markdown(heading: str = "###") -> str:
    from proj_tui.tui.screens.help import _bindings

    out: list[str] = []
    for title, cls in sections():
        bindings = [b for b in _bindings(cls) if b.description or b.id]
        if not bindings:
            continue
        out += [f"{heading} {title}", "", "| key | action | id |", "|---|---|---|"]
        for b in bindings:
            what = b.tooltip or b.description or b.action
            out.append(f"| {key_text(b.key)} | {what} | `{b.id or ''}` |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render(text: str, heading: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"no {START} … {END} markers")
    return pattern.sub(lambda _: f"{START}\n{keys_markdown(heading)}{END}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail if a table is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path in TARGETS:
        text = path.read_text(encoding="utf-8")
        new = render(text, "####" if path.name == "README.md" else "###")
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"stale key tables in {names}: run python docs/gen_keys.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
