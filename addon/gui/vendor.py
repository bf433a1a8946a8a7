"""Access to the add-on's private copy of ``watchdog``.

The build (tools/build_addon.py) copies watchdog 6.0.0's pure-Python modules
into ``<add-on>/_vendor/watchdog`` and rewrites their ``from watchdog...``
imports to relative ones. The copy is therefore only reachable as
``<add-on package>._vendor.watchdog``: another add-on that ships (or
``sys.path``-injects) its own watchdog gets its own module objects and
neither can break the other.

Only its Windows observer is used (see watcher.py): Linux has a leaner
inotify backend of ours, and on macOS the pure-Python copy could only offer
kqueue, which holds a descriptor per file.
"""

from __future__ import annotations

from typing import Any

WATCHDOG_VERSION = "6.0.0"


def load_windows_observer() -> Any:
    """The bundled ``WindowsApiObserver`` class (ReadDirectoryChangesW).

    Raises ImportError with a readable reason when it cannot be used (a source
    checkout has no ``_vendor``; not on Windows).
    """
    try:
        from .._vendor.watchdog.observers.read_directory_changes import WindowsApiObserver
    except Exception as exc:
        raise ImportError(f"the bundled watchdog {WATCHDOG_VERSION} cannot be loaded: {exc!r}") from exc
    return WindowsApiObserver
