"""Pausing Python's automatic garbage collector for the length of a sync.

Anki runs with automatic collection off (``aqt.main``:
``disable_automatic_garbage_collection``; it collects on a main-thread
timer). Outside Anki (the CLI, tests, the benchmark) the collector is on, and
each full collection re-walks the millions of objects of a parsed library:
about a third of a 50,000-card first sync, for almost no garbage (the sync
makes few reference cycles). Pausing it makes those runs cost what they cost
inside Anki; reference counting still frees memory as usual.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_restore = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Nestable and thread-safe: collection is turned back on when the last
    user leaves, and only if it was on when the first one came in."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
