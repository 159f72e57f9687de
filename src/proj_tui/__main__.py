"""``python -m proj_tui`` is the ``proj-tui`` command; the app uses it to launch runs."""

from __future__ import annotations

import sys

from proj_tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
