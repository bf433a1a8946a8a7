"""Watching the Polar data directory for changes.

Runs entirely off the main thread and never touches Anki or Qt: every change
is reported as a set of document keys (the ``<fingerprint>`` folder names)
through ``on_change``, which the caller must hop to the main thread
(``mw.taskman.run_on_main``) and debounce; Polar writes a temp file and
renames it, so one save produces several events.

Backends, best first: watchdog's native observer (inotify, FSEvents/kqueue,
ReadDirectoryChangesW), watchdog's polling observer, and a small stat
poller of our own for when the bundled watchdog cannot be imported at all.
Falling back is logged, never fatal.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

from .vendor import load_watchdog

# Key meaning "look at every document": an image under files/image changed,
# and images are not tied to one document folder.
ALL = "*"

# Top-level folders of a Polar data directory that hold no DocMeta: PDFs
# (stash) and logs change often and must not cause syncs.
_NOT_DOCUMENTS = frozenset({"stash", "logs"})

# Reads (including our own sync reading state.json) must not trigger syncs.
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})

POLL_SECONDS = 2.0

ChangeCallback = Callable[[FrozenSet[str]], None]
Log = Callable[[str], None]


def change_key(root: str, path: str, is_directory: bool) -> Optional[str]:
    """The document key a changed path belongs to, :data:`ALL`, or None to ignore."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return None
    parts = [p for p in rel.split(os.sep) if p]
    if not parts or parts[0] in (".", "..") or parts[0].startswith("."):
        return None  # the root itself, outside it, or .backup-*/temp folders
    first = parts[0]
    if first == "files":
        return ALL if len(parts) >= 2 and parts[1] == "image" else None
    if first in _NOT_DOCUMENTS:
        return None
    if len(parts) == 1 and not is_directory:
        return None  # a top-level file (prefs, locks)
    return first


class _Handler:
    """watchdog calls ``dispatch`` on its own thread for every event."""

    def __init__(self, root: str, emit: ChangeCallback) -> None:
        self.root = root
        self.emit = emit

    def dispatch(self, event: Any) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        keys = set()
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                if isinstance(path, bytes):
                    path = os.fsdecode(path)
                key = change_key(self.root, path, event.is_directory)
                if key:
                    keys.add(key)
        if keys:
            self.emit(frozenset(keys))


def _snapshot(root: str) -> Dict[str, Tuple[Any, ...]]:
    """Cheap signatures for the stat poller: each document's state.json and
    the image folder's listing."""
    snap: Dict[str, Tuple[Any, ...]] = {}
    try:
        entries = list(os.scandir(root))
    except OSError:
        return snap
    for entry in entries:
        if entry.name.startswith(".") or entry.name in _NOT_DOCUMENTS or entry.name == "files":
            continue
        try:
            st = os.stat(os.path.join(entry.path, "state.json"))
        except OSError:
            continue
        snap[entry.name] = (st.st_size, st.st_mtime_ns)
    try:
        images = sorted(
            (e.name, e.stat().st_size, e.stat().st_mtime_ns)
            for e in os.scandir(os.path.join(root, "files", "image"))
        )
        snap[ALL] = tuple(images)
    except OSError:
        pass
    return snap


class _StatPoller:
    """Last resort: compare snapshots every few seconds on a daemon thread."""

    def __init__(self, root: str, emit: ChangeCallback, interval: float) -> None:
        self.root = root
        self.emit = emit
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polar-sync-poller", daemon=True)

    def start(self) -> None:
        self._before = _snapshot(self.root)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            after = _snapshot(self.root)
            changed = {k for k in set(self._before) | set(after) if self._before.get(k) != after.get(k)}
            self._before = after
            if changed:
                self.emit(frozenset(changed))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 1)


class LibraryWatcher:
    """Watches one data directory until :meth:`stop`. ``mode`` names the
    backend in use (for the log and the tests)."""

    def __init__(
        self,
        root: str,
        on_change: ChangeCallback,
        log: Log,
        *,
        backends: Optional[Tuple[Any, Any]] = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.root = os.path.abspath(root)
        self.on_change = on_change
        self.log = log
        self.poll_seconds = poll_seconds
        self.mode = ""
        self._backends = backends
        self._observer: Any = None
        self._poller: Optional[_StatPoller] = None

    def start(self) -> None:
        try:
            backends = self._backends or load_watchdog()
        except ImportError as exc:
            self.log(f"{exc}; watching {self.root} by polling every {self.poll_seconds:g} s")
            self._start_poller()
            return
        handler = _Handler(self.root, self.on_change)
        native, polling = backends
        for cls in (native, polling):
            observer = None
            try:
                observer = cls(timeout=self.poll_seconds) if cls is polling else cls()
                observer.schedule(handler, self.root, recursive=True)
                observer.start()
            except Exception as exc:  # e.g. inotify watch limit reached
                self.log(f"cannot watch {self.root} with {cls.__name__}: {exc!r}")
                _stop_quietly(observer)
                continue
            self._observer = observer
            self.mode = cls.__name__
            if cls is polling:
                self.log(f"watching {self.root} by polling (watchdog {cls.__name__})")
            return
        self.log(f"watching {self.root} by polling every {self.poll_seconds:g} s")
        self._start_poller()

    def _start_poller(self) -> None:
        self._poller = _StatPoller(self.root, self.on_change, self.poll_seconds)
        self._poller.start()
        self.mode = "stat-poller"

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        _stop_quietly(observer)
        poller, self._poller = self._poller, None
        if poller:
            poller.stop()


def _stop_quietly(observer: Any) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except Exception:  # stopping a half-started observer must not raise
        pass
