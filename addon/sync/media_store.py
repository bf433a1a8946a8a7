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
"""

from __future__ import annotations

import os
import re
import secrets
from typing import Any

# Below this many new files per sync the per-file commit costs < 0.2 s:
# Anki's own API is used, and the media database knows the file at once.
BULK_THRESHOLD = 64

_HASHED_NAME = re.compile(r"polar-[0-9a-f]{20}\.(?:png|jpg|gif|webp)")


class MediaWriter:
    """Stores files for one sync; ``bulk`` picks the direct path (see above)."""

    def __init__(self, col: Any, bulk: bool) -> None:
        self.col = col
        self.folder = col.media.dir() if bulk else ""
        self._tmp = ""

    def write(self, name: str, data: bytes) -> str:
        """The name the file is stored under (may differ from ``name``)."""
        if self.folder and _HASHED_NAME.fullmatch(name):
            path = os.path.join(self.folder, name)
            try:
                size = os.path.getsize(path)
            except FileNotFoundError:
                size = -1
            except OSError:
                size = -2  # unreadable: let Anki decide
            if size == -1:
                if self._write_new(path, data):
                    return name
            elif size == len(data):
                try:
                    with open(path, "rb") as fh:
                        if fh.read() == data:
                            return name  # write_data keeps the name for identical bytes too
                except OSError:
                    pass
        stored: str = self.col.media.write_data(name, data)
        return stored

    def _write_new(self, path: str, data: bytes) -> bool:
        # One temp name per sync, reused: creating a fresh random name per
        # file (mkstemp) costs several times the write itself.
        if not self._tmp:
            self._tmp = os.path.join(self.folder, f".polar-sync-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            with open(self._tmp, "wb") as fh:
                fh.write(data)
            os.replace(self._tmp, path)
            return True
        except OSError:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            return False
