"""Pausing Python's full garbage collections for the length of a sync.

Anki runs with automatic collection off (``aqt.main``:
``disable_automatic_garbage_collection``; it collects on a main-thread
timer). Outside Anki (the CLI, tests, the benchmark) the collector is on, and
each *full* collection re-walks the millions of long-lived objects of a parsed
library: about a third of a 50,000-card first sync, for almost no garbage.
Only those are paused: young collections still run, so short-lived cycles
(bs4's parse trees) are freed as they would be otherwise.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

_NEVER = 1 << 30  # a third-generation threshold that is never reached
_lock = threading.Lock()
_depth = 0
_saved: Optional[Tuple[int, ...]] = None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Nestable and thread-safe: the thresholds are put back when the last
    user leaves. With collection disabled (inside Anki) it does nothing."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], _NEVER)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
