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
from typing import TYPE_CHECKING, List, Optional, Tuple

if TYPE_CHECKING:
    from anki.collection import Collection

# Below this many new files per sync the per-file commit costs < 0.2 s:
# Anki's own API is used, and the media database knows the file at once.
BULK_THRESHOLD = 64

_HASHED_NAME = re.compile(r"polar-[0-9a-f]{20}\.(?:png|jpg|gif|webp)")


class MediaWriter:
    """Stores files for one sync; ``bulk`` picks the direct path (see above).

    In bulk, :meth:`write` only decides the name (a stat, at most a compare)
    and queues a new file; :meth:`start` writes the queue on a thread while
    the caller builds and adds the notes (file writes and Anki's add_notes
    both release the GIL: creating 3,800 files costs ~1.6 s here, add_notes
    of 50,000 notes ~2.3 s); :meth:`finish` waits and returns the failures.
    """

    def __init__(self, col: Collection, bulk: bool) -> None:
        self.col = col
        self.folder = col.media.dir()
        self.bulk = bulk
        self._tmp = ""
        self._queue: List[Tuple[str, bytes]] = []
        self._failed: List[Tuple[str, str]] = []
        self._thread: Optional[threading.Thread] = None

    def write(self, name: str, data: bytes) -> str:
        """The name the file is stored under (may differ from ``name``)."""
        if _HASHED_NAME.fullmatch(name):
            path = os.path.join(self.folder, name)
            try:
                size = os.path.getsize(path)
            except FileNotFoundError:
                size = -1
            except OSError:
                size = -2  # unreadable: let Anki decide
            if size == -1 and self.bulk:
                self._queue.append((name, data))
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
        stored: str = self.col.media.write_data(name, data)
        return stored

    def start(self) -> None:
        if self._queue and self._thread is None:
            self._thread = threading.Thread(target=self._write_queue, name="polar-sync-media", daemon=True)
            self._thread.start()

    def finish(self) -> List[Tuple[str, str]]:
        """(name, reason) of every queued file that could not be written."""
        self.start()
        if self._thread is not None:
            self._thread.join()
        return self._failed

    def _write_queue(self) -> None:
        # One temp name, reused: a fresh random name per file (mkstemp)
        # costs several times the write itself.
        # A sync killed mid-write leaves its temp file behind: sweep those
        # first (a directory scan, on this thread, only for bulk writes).
        for stale in glob.glob(os.path.join(glob.escape(self.folder), ".polar-sync-*.tmp")):
            try:
                os.unlink(stale)
            except OSError:
                pass
        tmp = os.path.join(self.folder, f".polar-sync-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        for name, data in self._queue:
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, os.path.join(self.folder, name))
            except OSError as exc:
                self._failed.append((name, exc.strerror or str(exc)))
        try:
            os.unlink(tmp)
        except OSError:
            pass
        self._queue = []
