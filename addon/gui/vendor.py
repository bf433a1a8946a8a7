"""Access to the add-on's private copy of ``watchdog``.

The build (tools/build_addon.py) copies watchdog 6.0.0's pure-Python modules
into ``<add-on>/_vendor/watchdog`` and rewrites their ``from watchdog...``
imports to relative ones. The copy is therefore only reachable as
``<add-on package>._vendor.watchdog``: another add-on that ships (or
``sys.path``-injects) its own watchdog gets its own module objects and
neither can break the other.
"""

from __future__ import annotations

from typing import Any, Tuple

WATCHDOG_VERSION = "6.0.0"


def load_watchdog() -> Tuple[Any, Any]:
    """``(Observer, PollingObserver)`` classes of the bundled copy.

    Raises ImportError with a readable reason when it cannot be used (a source
    checkout has no ``_vendor``; a platform backend that fails to import).
    ``Observer`` is watchdog's pick of the native backend; on macOS without
    its compiled part watchdog itself already falls back to kqueue/polling.
    """
    try:
        from .._vendor.watchdog.observers import Observer
        from .._vendor.watchdog.observers.polling import PollingObserver
    except Exception as exc:
        raise ImportError(f"the bundled watchdog {WATCHDOG_VERSION} cannot be loaded: {exc!r}") from exc
    return Observer, PollingObserver
