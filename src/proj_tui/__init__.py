"""proj-tui: run and keep track of data-pipeline sessions from a terminal.

The package root stays import-light on purpose: ``proj-tui run`` must start fast, so nothing
here imports a layer. Import what you need from its module, for example
``from proj_tui.framework.session import Session``.
"""

from __future__ import annotations

__version__ = "0.1.0"
