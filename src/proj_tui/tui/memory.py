"""Keep memory flat and garbage-collector pauses short over a long session in the app.

Two Textual 8 leaks grow with every screen opened:

- Textual #6666: ``watch()`` and ``data_bind()`` store ``(owner, callback)`` on the *watched*
  object and drop it only when that attribute next changes. ``App.title`` and ``Footer.compact``
  never change, so every pushed screen's ``Header`` and every ``FooterKey`` of every footer
  rebuild (one per focus or screen change) stayed reachable, with their whole subtrees.
- Textual #6665: ``StylesCache.get_inner_outer`` is an ``lru_cache`` on a method, so its 1,024
  keys hold ``StylesCache`` objects of removed widgets, and with them every rendered line and
  the lines derived from those (crops, filters, ...).

Together they kept ~15k objects per session detail opened; by the 30th open the garbage
collector's passes over them pushed the open past its 100 ms budget (design §5). ``release``
undoes both; the app calls it once a second (``RELEASE_EVERY``), which costs about 0.1 ms.
``tests/tui/test_memory.py`` fails if a Textual upgrade makes either workaround stop working,
and both can go once the upstream issues are fixed; the privates they touch are in
``tui/textual_compat.py``.

Even without leaks, a full collection walks every object the app holds (~110k after start-up:
Textual, our modules, the screens), about 60 ms on a small machine, and one ran every few
screens opened, or in the middle of the first screens shown. So the app freezes what it holds
(``gc.freeze``: later collections walk only what was made since, as CPython advises pre-fork
servers to do) at three points: ``freeze`` when it loads and after its first paint, which is
instant; then ``settle`` once start-up is over, a single full collection (~60-80 ms, while the
user reads the first screen) that frees start-up garbage before freezing again.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

RELEASE_EVERY = 1.0  # seconds
SETTLE_AFTER = 3.0  # seconds after the first paint: start-up and the History warm-up are done


def prune_watchers(app: App[Any]) -> int:
    """Drop watchers whose owner has been removed; returns how many were dropped."""
    from proj_tui.tui.textual_compat import is_closed, registered_nodes, watcher_table

    dropped = 0
    for node in (app, *registered_nodes(app)):
        table = watcher_table(node)
        if not table:
            continue
        for entries in table.values():
            alive = [(owner, cb) for owner, cb in entries if not is_closed(owner)]
            if len(alive) != len(entries):
                dropped += len(entries) - len(alive)
                entries[:] = alive
    return dropped


def release_styles_caches() -> None:
    """Forget the memo that pins removed widgets' render caches (recomputed on the next paint)."""
    from proj_tui.tui.textual_compat import clear_styles_memo

    clear_styles_memo()


def release(app: App[Any]) -> None:
    """Both of the above: what the app's timer calls."""
    prune_watchers(app)
    release_styles_caches()


def freeze() -> None:
    """Exempt every object alive now from later collections (instant; garbage included)."""
    gc.freeze()


def settle() -> int:
    """Collect once over everything (start-up garbage included), then freeze the survivors.

    Returns how many objects were frozen.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def unsettle() -> None:
    """Undo the freezes when the app exits, so an embedding process (or a test run) frees it."""
    gc.unfreeze()
