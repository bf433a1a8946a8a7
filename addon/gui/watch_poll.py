"""Polling the data directory: what macOS gets (the bundled pure-Python
watchdog has no FSEvents, and its kqueue fallback holds one descriptor per
file and folder of the tree), and what every platform falls back to.

One poll costs one ``stat`` per document's ``state.json``, one of the data
directory and one of ``files/image/``; the directory is listed again only
when its own signature changes. No descriptor is kept open. ~3 ms for
1,000 documents on Linux (``make bench`` measures it); the interval grows
when a poll gets expensive, so polling never takes more than ~2 % of a core
(CPU time, measured per poll: a busy machine slows a poll's wall time, not
what it costs).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from .watch_paths import ALL, is_document_name

Signature = Tuple[int, int, int]
ChangeCallback = Callable[[FrozenSet[str]], None]

# A directory's listing is trusted only once its mtime is this old: a change
# within the same timestamp tick (1 s on HFS+, 2 s on FAT) leaves it as it was.
_RACY_SECONDS = 2.0
# The wait between polls is at least this many times what one poll took.
_COST_FACTOR = 50
# On a network or shared file system every stat is a round trip to the
# server (or the host): there the wait is also at least this many times a
# poll's wall time, so the poll keeps the server busy 10 % of the time at
# most (a local disk's wall time only says how loaded this machine is).
_REMOTE_WALL_FACTOR = 10
# stop() waits this long for a poll under way (a dead share: not for ever).
_STOP_WAIT = 0.5


def _signature(path: str) -> Optional[Signature]:
    """Inode, size and mtime: Polar's temp-file-and-rename gives state.json a
    new inode, so even a same-size save within one mtime tick is seen."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class StatPoller:
    name = "stat-poller"

    def __init__(self, root: str, emit: ChangeCallback, interval: float, remote: bool = False) -> None:
        self.root = root
        self.emit = emit
        self.interval = interval
        self.remote = remote  # on a network or shared file system: wall time counts too
        self.last_cost = 0.0  # CPU seconds the last poll took (its wall time under load can be far more)
        self.last_wall = 0.0
        self._images = os.path.join(root, "files", "image")
        self._root_sig: Optional[Signature] = None
        self._listed_at = 0.0
        self._paths: List[Tuple[str, str]] = []  # (document name, its state.json)
        self._states: Dict[str, Signature] = {}
        self._images_sig: Optional[Signature] = None
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.changed_at = 0.0  # when the newest change the last poll saw was made (its mtime)
        # The documents of the last report whose state.json was rewritten in
        # place (same inode): perhaps a copy still running. Replaced ones
        # (Polar, cloud clients: temp file + rename) are whole.
        self.in_place: FrozenSet[str] = frozenset()

    def start(self) -> None:
        self.poll()  # the baseline: what is there now is not a change
        self._thread = threading.Thread(target=self._run, name="polar-sync-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            # Between two polls it ends at once; a poll stuck on a dead share
            # is not waited for (the profile closes on the main thread): it
            # reports nothing once stopped.
            thread.join(timeout=_STOP_WAIT)

    def wait(self) -> float:
        """Seconds between two polls now."""
        wait = max(self.interval, self.last_cost * _COST_FACTOR)
        return max(wait, self.last_wall * _REMOTE_WALL_FACTOR) if self.remote else wait

    def age(self) -> float:
        """How long ago the change the last poll reported was made: a poll
        sees a save up to one wait late, and the debounce that follows need
        not wait that part again. From the files' mtimes, bounded by the
        time since the poll before (a file restored with an old mtime, a
        clock that differs on a network share)."""
        bound = self.wait() + self.last_wall
        return min(max(time.time() - self.changed_at, 0.0), bound)

    def _run(self) -> None:
        while not self._stopping.wait(self.wait()):
            try:
                keys = self.poll()
            except Exception:  # never let a surprise end the watching thread
                continue
            if keys and not self._stopping.is_set():
                self.emit(frozenset(keys))

    def saved_since(self, since_ns: int) -> FrozenSet[str]:
        """The documents of the last look whose state.json was modified at
        ``since_ns`` or later (``_saved_since``)."""
        return frozenset(k for k, sig in self._states.items() if _saved_since(sig[2], since_ns))

    def poll(self) -> Set[str]:
        """Look once; the keys that changed since the last look."""
        started, cpu = time.perf_counter(), time.thread_time()
        self._list_documents()
        states: Dict[str, Signature] = {}
        stat = os.stat
        for name, path in self._paths:
            try:
                st = stat(path)
            except OSError:
                continue  # a folder without state.json (yet) is no document
            states[name] = (st.st_ino, st.st_size, st.st_mtime_ns)
        changed: Set[str] = set()
        newest = 0  # ns: the newest mtime among what changed (a removal has none: now)
        if states != self._states:
            old = self._states
            changed = {k for k in old.keys() | states.keys() if old.get(k) != states.get(k)}
            self._states = states
            self.in_place = frozenset(k for k in changed if k in old and k in states and old[k][0] == states[k][0])
            newest = max((states[k][2] for k in changed if k in states), default=0)
        images = _signature(self._images)
        if images != self._images_sig:
            self._images_sig = images
            changed.add(ALL)
            newest = max(newest, images[2] if images is not None else 0)
        if changed:
            removed = any(k not in states for k in changed if k != ALL) or (ALL in changed and images is None)
            self.changed_at = time.time() if removed or not newest else newest / 1e9
        self.last_cost = time.thread_time() - cpu
        self.last_wall = time.perf_counter() - started
        return changed

    def _list_documents(self) -> None:
        """List the data directory again only when it may have changed: its
        signature moved, or the last listing was taken within a timestamp
        tick of its mtime (a change in that tick would leave the mtime as is)."""
        sig = _signature(self.root)
        if sig == self._root_sig and sig is not None and self._listed_at >= sig[2] / 1e9 + _RACY_SECONDS:
            return
        self._listed_at = time.time()  # before listing: anything later changes the mtime
        self._root_sig = sig
        paths: List[Tuple[str, str]] = []
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    if is_document_name(entry.name) and entry.is_dir():
                        paths.append((entry.name, os.path.join(entry.path, "state.json")))
        except OSError:
            paths = []  # gone (or not there yet): every document counts as removed
        self._paths = paths


def recent_documents(root: str, since_ns: int, poller: Optional[StatPoller] = None) -> FrozenSet[str]:
    """The documents whose state.json was modified at ``since_ns`` or later
    (``_saved_since``): a save made while a watcher started in the
    background, which its baseline took as already there. From the poller's
    baseline when there is one, else one stat per document."""
    if poller is not None:
        return poller.saved_since(since_ns)
    found = set()
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if is_document_name(entry.name) and entry.is_dir():
                    sig = _signature(os.path.join(entry.path, "state.json"))
                    if sig is not None and _saved_since(sig[2], since_ns):
                        found.add(entry.name)
    except OSError:
        pass
    return frozenset(found)


# A save's mtime comes from the kernel's coarse clock (a few ms behind
# ``time.time_ns``); on a file system of whole-second ticks (FAT: 2 s,
# HFS+, many shares) it is rounded down to the tick.
_CLOCK_SLACK_NS = 50_000_000


def _saved_since(mtime_ns: int, since_ns: int) -> bool:
    coarse = mtime_ns % 1_000_000_000 == 0
    return mtime_ns >= since_ns - (int(_RACY_SECONDS * 1e9) if coarse else _CLOCK_SLACK_NS)
