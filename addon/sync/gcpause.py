"""Python's automatic garbage collection off for the length of a sync.

Anki runs with it off (``aqt.main``: ``disable_automatic_garbage_collection``;
it collects on a main-thread timer, every 15 minutes), so a sync inside Anki
never pays for it. Outside Anki (the CLI, tests, the benchmark) the collector
is on, and a 50,000-card first sync allocates millions of objects: its young
collections alone cost 5-10 % of the sync and its full ones re-walk the
parsed library, for almost no garbage. So ``sync`` runs as in Anki. What
would otherwise need the collector is freed by reference counting: bs4's
parse trees are unlinked after use (``render.html.free_tree``) and the
Markdown converter is reused (tests/sync/test_gcpause.py measures what a
sync leaves to collect).
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_switch_back = False  # the collector was on when the first user came


@contextmanager
def gc_paused() -> Iterator[None]:
    """Nestable and thread-safe: the collector is switched back on when the
    last user leaves, if it was on. Inside Anki (off already) it does nothing."""
    global _depth, _switch_back
    with _lock:
        if _depth == 0:
            _switch_back = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _switch_back:
                _switch_back = False
                gc.enable()
