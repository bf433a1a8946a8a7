"""Putting Polar's images into the collection's media folder.

``col.media.write_data`` commits Anki's media database once per file (five
fsyncs each, measured with strace): ~3 ms a file here, so the 3,800 images of a
50,000-card library cost 11-14 s, more than all the rest of a first sync.

For a bulk of new files (a first sync, a large import) the files are
therefore written straight into the media folder, as a user copying files
there would: temp file + rename, no database commit. Anki's media change
tracker registers them at the next media sync or Check Media (it rescans the
folder when its mtime moved). This is only safe because the names are
content hashes (``render.media.media_name``): a file already there under the
same name with the same bytes is the same image. Everything else (a few
files, a name of another shape, a file present with other bytes, an error)
goes through ``write_data``, so the name used is always the one Anki keeps.
A direct write that fails is reported like a failed ``write_data``.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import threading
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from anki.collection import Collection

# Below this many new files per sync the per-file commit costs < 0.2 s:
# Anki's own API is used, and the media database knows the file at once.
BULK_THRESHOLD = 64
# Bytes of queued files the note builder may hold before it writes them
# (``MediaWriter.write_held``): the images of a first sync wait in memory
# until its last batch, up to this much.
HELD_MAX = 32 * 1024 * 1024

_HASHED_NAME = re.compile(r"polar-[0-9a-f]{20}\.(?:png|jpg|gif|webp)")


class MediaWriter:
    """Stores files for one sync; ``bulk`` picks the direct path (see above).

    In bulk, :meth:`write` only decides the name (a stat, at most a compare)
    and queues a new file; :meth:`claim` does the same on a thread without
    the collection (``write.add_notes``' note builder), for the images of the
    cards it renders. The queue is written by :meth:`write_held` (the
    builder, once its last batch is made, while Rust writes the last ones)
    or by :meth:`start` (a thread of its own, beside ``add_notes``);
    :meth:`finish` writes what is left, waits, and returns the failures.
    """

    def __init__(self, col: Collection, bulk: bool) -> None:
        self.col = col
        self.folder = col.media.dir()
        self.bulk = bulk
        self._tmp = ""
        self._queue: List[Tuple[str, bytes]] = []
        self._failed: List[Tuple[str, str]] = []
        self._thread: Optional[threading.Thread] = None
        self._written = 0  # files of the queue handled (written or failed), in order
        self._held = 0  # bytes of the queue not written yet
        self._names: Dict[str, str] = {}  # name -> the name it is stored under, once decided
        # The queue is appended to by the builder (claim) and the collection
        # thread (write) while the builder writes it (write_held).
        self._lock = threading.Lock()

    def write(self, name: str, data: bytes) -> str:
        """The name the file is stored under (may differ from ``name``)."""
        known = self._names.get(name)
        if known is not None:
            return known
        stored = self._without_anki(name, data)
        if stored is None:
            stored = str(self.col.media.write_data(name, data))
        self._names[name] = stored
        return stored

    def claim(self, name: str, data: bytes) -> Optional[str]:
        """:meth:`write` for a thread that must not touch the collection: the
        name the file is stored under, or None when only Anki can tell (a
        file of that name with other bytes, a name of another shape, not a
        bulk): the caller then leaves it to :meth:`write`."""
        known = self._names.get(name)
        if known is not None:
            return known
        if not self.bulk:
            return None
        stored = self._without_anki(name, data)
        if stored is not None:
            self._names[name] = stored
        return stored

    def _without_anki(self, name: str, data: bytes) -> Optional[str]:
        """The stored name when the media folder alone tells it (a new file
        is queued in bulk), else None."""
        if not _HASHED_NAME.fullmatch(name):
            return None
        path = os.path.join(self.folder, name)
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            size = -1
        except OSError:
            return None  # unreadable: let Anki decide
        if size == -1:
            if not self.bulk:
                return None
            with self._lock:
                self._queue.append((name, data))
                self._held += len(data)
            return name
        # Already there with the same bytes (an edited card keeps its
        # images): write_data would return the name too, after a media
        # database commit (~5 ms; a quarter of a one-card resync).
        if size == len(data):
            try:
                with open(path, "rb") as fh:
                    if fh.read() == data:
                        return name  # write_data keeps the name for identical bytes too
            except OSError:
                pass
        return None

    def start(self) -> None:
        """Write what is queued and not written yet on a thread of its own
        (see :meth:`write_held` for the other way)."""
        if self._written < len(self._queue) and self._thread is None:
            self._thread = threading.Thread(target=self._write_rest, name="polar-sync-media", daemon=True)
            self._thread.start()

    def write_held(self, last: bool) -> None:
        """Write, on the calling thread, what is queued and not written yet:
        when ``last``, or once it holds ``HELD_MAX`` bytes. ``write.add_notes``
        has its note builder call it after each batch: the builder sets the
        pace of a first sync (Rust adds a batch faster than the builder makes
        one), so its files wait until it has made the last batch and is idle
        while Rust adds the last ones (~0.1 s less a first sync of 3,500
        images). On a thread of its own, each file's system calls would wait
        for the GIL the builder holds (Python's switch interval): ~1-2 s of
        CPU for 3,800 files."""
        if self._thread is not None:
            return  # the thread writes everything
        with self._lock:
            if not last and self._held < HELD_MAX:
                return
            items = self._queue[self._written:]
        self._write(items)

    def finish(self) -> List[Tuple[str, str]]:
        """(name, reason) of every queued file that could not be written."""
        if self._thread is None and self._written < len(self._queue):
            self._write_rest()  # what no part wrote
        if self._thread is not None:
            self._thread.join()
        if self._tmp:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
        self._queue = []
        return self._failed

    def _write_rest(self) -> None:
        self._write(self._queue[self._written:])

    def _write(self, items: List[Tuple[str, bytes]]) -> None:
        if not items:
            return
        if not self._tmp:
            # A sync killed mid-write leaves its temp file behind: sweep those
            # first (a directory scan, once, only for bulk writes).
            for stale in glob.glob(os.path.join(glob.escape(self.folder), ".polar-sync-*.tmp")):
                try:
                    os.unlink(stale)
                except OSError:
                    pass
            # One temp name, reused: a fresh random name per file (mkstemp)
            # costs several times the write itself.
            self._tmp = os.path.join(self.folder, f".polar-sync-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        tmp = self._tmp
        start = self._written  # every caller writes the queue from here on
        for name, data in items:
            try:
                _write_file(tmp, data)
                os.replace(tmp, os.path.join(self.folder, name))
            except OSError as exc:
                self._failed.append((name, exc.strerror or str(exc)))
        self._written += len(items)
        with self._lock:
            self._held -= sum(len(data) for _, data in items)
            # Written: their bytes let go now, not when the sync ends.
            self._queue[start:start + len(items)] = [(name, b"") for name, _ in items]


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_file(path: str, data: bytes) -> None:
    """``data`` as the file ``path`` (made or emptied; mode 0o666 less the
    umask, as ``open()`` makes it). On a file descriptor, not a file object:
    a first sync writes ~3,500 images, and ``open()`` adds an object pair
    and three system calls to each."""
    fd = os.open(path, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
