"""Documents taken out of a Polar export, kept so each is taken out once.

A Polar 2.x export holds every document's PDF/EPUB inside one archive
(usually a gzip'd tar of gigabytes). To open one, its member is copied out
into a cache folder of the add-on's (``user_files/``) on first use; later
opens find it there. The folder is bounded: past ``max_bytes`` the least
recently opened files go. A file whose size differs from the member's, or a
PDF without its ``%PDF`` header, is taken out again; so is one the viewer
could not read (:meth:`BodyCache.forget`).

Only the chosen archive is read, only the member named, and nothing is
written outside the cache folder. Copying is sequential I/O: for a gzip'd
tar everything before the member is decompressed (gzip cannot seek), which
for a document near the end of a large export takes seconds: callers run it
off the main thread.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, List, Optional, Tuple

from .archive import TAR, TAR_GZ, ZIP, normalise

__all__ = ["TAR", "TAR_GZ", "ZIP", "BodyCache", "ExtractError"]  # the kinds, as the export reader names them

DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024  # 2 GiB: a few dozen books
_COPY_CHUNK = 1 << 20


class ExtractError(Exception):
    """The member could not be taken out (damage, missing, no space)."""


class BodyCache:
    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def path_for(self, archive: Path, member: str) -> Path:
        """Where ``member`` of this version of ``archive`` is kept."""
        st = os.stat(archive)
        key = f"{os.path.realpath(archive)}\0{st.st_size}\0{st.st_mtime_ns}\0{member}"
        digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        suffix = os.path.splitext(member)[1].lower()
        if not suffix[1:].isalnum() or len(suffix) > 8:
            suffix = ""
        return self.folder / f"{digest}{suffix}"

    def cached(self, archive: Path, member: str, size: int) -> Optional[Path]:
        """The kept copy when it is whole, else None."""
        try:
            path = self.path_for(archive, member)
            st = os.stat(path)
        except OSError:
            return None
        if st.st_size != size or not _looks_whole(path):
            return None
        try:
            os.utime(path)  # most recently used
        except OSError:
            pass
        return path

    def get(self, archive: Path, kind: str, member: str, size: int, offset: int) -> Path:
        """The member as a file of its own, taken out when not kept yet.
        Raises :class:`ExtractError`."""
        found = self.cached(archive, member, size)
        if found is not None:
            return found
        try:
            target = self.path_for(archive, member)
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExtractError(f"cannot prepare the document cache: {exc.strerror or exc}") from None
        self._make_room(size, keep=target)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=str(self.folder))
        try:
            with os.fdopen(fd, "wb") as out:
                copied = _copy_member(archive, kind, member, size, offset, out)
            if copied != size:
                raise ExtractError(f"{member} in the export is cut short ({copied} of {size} bytes)")
            os.replace(tmp, target)
        except OSError as exc:
            raise ExtractError(f"cannot take {member} out of the export: {exc.strerror or exc}") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        if not _looks_whole(target):
            target.unlink()
            raise ExtractError(f"{member} in the export is not a readable document")
        return target

    def forget(self, path: Path) -> None:
        """A kept file the viewer could not read: take it out again next time."""
        if path.parent == self.folder:
            try:
                path.unlink()
            except OSError:
                pass

    def files(self) -> List[Tuple[float, int, Path]]:
        """(last used, size, path) of every kept file, oldest first."""
        out: List[Tuple[float, int, Path]] = []
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return out
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out.append((st.st_mtime, st.st_size, Path(entry.path)))
        return sorted(out)

    def _make_room(self, incoming: int, keep: Path) -> None:
        files = self.files()
        total = sum(size for _, size, _ in files) + incoming
        for _, size, path in files:
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            try:
                path.unlink()
                total -= size
            except OSError:
                pass


def _looks_whole(path: Path) -> bool:
    if path.suffix.lower() != ".pdf":
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return False
    return b"%PDF" in head  # the header may follow a few bytes of junk


def _copy(src: Any, out: IO[bytes], size: int) -> int:
    copied = 0
    while copied < size:
        chunk = src.read(min(_COPY_CHUNK, size - copied))
        if not chunk:
            break
        out.write(chunk)
        copied += len(chunk)
    return copied


def _copy_member(archive: Path, kind: str, member: str, size: int, offset: int, out: IO[bytes]) -> int:
    try:
        if kind == ZIP:
            with zipfile.ZipFile(archive) as zf:
                info = next((i for i in zf.infolist() if normalise(i.filename) == member), None)
                if info is None:
                    raise ExtractError(f"{member} is not in the export")
                with zf.open(info) as src:
                    return _copy(src, out, size)
        if kind == TAR:
            with open(archive, "rb") as fh:
                fh.seek(offset)
                return _copy(fh, out, size)
        if kind == TAR_GZ:
            with gzip.open(archive, "rb") as gz:
                gz.seek(offset)  # decompresses everything before the member
                return _copy(gz, out, size)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.errno is not None:
            raise
        raise ExtractError(f"{member} cannot be read from the export ({exc})") from None
    raise ExtractError(f"unknown archive kind {kind!r}")

