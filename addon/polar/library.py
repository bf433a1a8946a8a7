"""Finding Polar documents: a 1.x data directory or a 2.x export zip.

A :class:`Source` lists :class:`DocumentFile` handles cheaply (a stat or a zip
directory entry each) so the sync can skip unchanged documents before reading
or parsing them, and reads images without ever leaving the library.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from .docmeta import Document, parse_docmeta, parse_export_entry

# A state.json larger than this is not a Polar document (the biggest real
# ones are a few MB); refusing it keeps a hostile or broken file from
# exhausting memory.
MAX_DOCMETA_BYTES = 64 * 1024 * 1024


class SourceError(Exception):
    """The library as a whole cannot be used (missing, unreadable, not a zip)."""


class UnsafePathError(ValueError):
    """A file name that would lead outside the library."""


@dataclass(frozen=True)
class DocumentFile:
    """One document's file: ``key`` is its identity (fingerprint/export id),
    ``label`` the path shown in reports, ``signature`` a cheap change check."""

    key: str
    label: str
    signature: Tuple[int, int]  # (size, mtime_ns) or (size, crc32) in zips
    reader: Callable[[], bytes]
    parser: Callable[[bytes, str], Document]
    # True when signature[1] is a modification time, which can fail to move
    # for a rewrite within the file system's timestamp tick (see engine).
    timestamped: bool = True
    notice: Optional[str] = None  # a warning to report when the document is read

    def read(self) -> bytes:
        return self.reader()

    def parse(self, data: bytes) -> Document:
        return self.parser(data, self.key)


def default_data_dir() -> Path:
    """Polar's own rule: ``$POLAR_DATA_DIR``, else ``~/.polar``."""
    env = os.environ.get("POLAR_DATA_DIR", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".polar"


def resolve_data_dir(configured: str) -> Path:
    configured = (configured or "").strip()
    return Path(configured).expanduser() if configured else default_data_dir()


class Source:
    """Base for the two kinds of library."""

    path: Path

    def list_documents(self) -> List[DocumentFile]:
        raise NotImplementedError

    def read_image(self, name: str, max_bytes: int) -> bytes:
        """Bytes of an area-highlight image ``files/image/<name>``.

        Raises :class:`UnsafePathError` for a name that escapes the library,
        ``FileNotFoundError`` when absent, ``ValueError`` when too large."""
        raise NotImplementedError

    def describe(self) -> str:
        return str(self.path)


def _check_image_name(name: str) -> str:
    if (
        not name
        or "\x00" in name
        or "/" in name
        or "\\" in name
        or name in (".", "..")
        or os.path.isabs(name)
        or (len(name) > 1 and name[1] == ":")  # C:foo on Windows
    ):
        raise UnsafePathError(f"image name {name!r} is not a plain file name")
    return name


class DataDirSource(Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        # Everything read must stay under the *real* data directory, even if
        # the configured path is itself a symlink to it.
        self.root = Path(os.path.realpath(path))
        self._images_inside: Optional[bool] = None

    def _inside(self, candidate: Path) -> bool:
        real = os.path.realpath(candidate)
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)

    def list_documents(self) -> List[DocumentFile]:
        try:
            entries = sorted(os.scandir(self.root), key=lambda e: e.name)
        except OSError as exc:
            raise SourceError(f"cannot read the Polar data directory {self.path}: {exc.strerror}") from None
        docs: List[DocumentFile] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # .backup-* snapshots, temp files
            key, notice = safe_key(entry.name)
            state = Path(entry.path) / "state.json"
            # lstat first: only a symlink (the folder or the file) can lead
            # out of the real root, so only then is the realpath walk (an
            # lstat per path component, ~40 ms per 1,000 documents) needed.
            try:
                st = os.lstat(state)
                linked = entry.is_symlink() or stat.S_ISLNK(st.st_mode)
                if linked:
                    st = os.stat(state)
            except OSError:
                continue
            # A state.json that is a device, a FIFO or a link out of the data
            # directory is never opened, but listed as a failed document: the
            # report names it, and its cards are not swept as deleted.
            refusal = None
            if not stat.S_ISREG(st.st_mode):
                refusal = "state.json is not a regular file; not read"
            elif linked and not self._inside(state):
                refusal = "state.json leads outside the data directory; not read"
            docs.append(
                DocumentFile(
                    key=key,
                    label=f"{key}/state.json",
                    signature=(st.st_size, st.st_mtime_ns),
                    reader=_refuse(refusal) if refusal else _file_reader(state),
                    parser=parse_docmeta,
                    notice=notice,
                )
            )
        return docs

    def read_image(self, name: str, max_bytes: int) -> bytes:
        _check_image_name(name)
        folder = self.root / "files" / "image"
        path = folder / name
        # As in list_documents: a plain file in a folder that resolves inside
        # the root cannot lead out; the folder is resolved once per source.
        if self._images_inside is None:
            self._images_inside = self._inside(folder)
        if not self._images_inside and not self._inside(path):
            raise UnsafePathError(f"image {name!r} leads outside the data directory")
        st = os.lstat(path)  # FileNotFoundError propagates
        if stat.S_ISLNK(st.st_mode):
            if not self._inside(path):
                raise UnsafePathError(f"image {name!r} leads outside the data directory")
            st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"image {name!r} is not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"image {name!r} is {st.st_size} bytes, over the {max_bytes}-byte limit")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"image {name!r} is over the {max_bytes}-byte limit")
        return data


def safe_key(name: str) -> Tuple[str, Optional[str]]:
    """A folder name as a document key that can be stored and shown
    anywhere, and a notice when it had to change: a name that is not valid
    UTF-8 (Python hands its bytes over as lone surrogates, which SQLite, JSON
    and Anki refuse) is keyed by its bytes, undecodable ones as ``\\xNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        key = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return key, f"the folder name is not valid UTF-8; the document is synced under the name {key!r}"
    return name, None


def _refuse(why: str) -> Callable[[], bytes]:
    def read() -> bytes:
        raise ValueError(why)

    return read


def _file_reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ValueError("not a regular file")
            if st.st_size > MAX_DOCMETA_BYTES:
                raise ValueError(f"file is {st.st_size} bytes, over the {MAX_DOCMETA_BYTES}-byte limit")
            return fh.read(MAX_DOCMETA_BYTES + 1)

    return read


class ZipSource(Source):
    """A Polar 2.x "Export Data" zip: ``doc_meta/<id>.json`` entries."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _open(self) -> zipfile.ZipFile:
        try:
            return zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise SourceError(f"cannot open the Polar export {self.path}: {exc}") from None

    def list_documents(self) -> List[DocumentFile]:
        docs: List[DocumentFile] = []
        with self._open() as zf:
            for info in zf.infolist():
                name = info.filename
                if info.is_dir() or not name.startswith("doc_meta/") or not name.endswith(".json"):
                    continue
                ident = name[len("doc_meta/"): -len(".json")]
                if not ident or "/" in ident:
                    continue
                docs.append(
                    DocumentFile(
                        key=ident,
                        label=f"{self.path.name}:{name}",
                        signature=(info.file_size, info.CRC),
                        reader=self._entry_reader(name, info.file_size),
                        parser=parse_export_entry,
                        timestamped=False,
                    )
                )
        return sorted(docs, key=lambda d: d.key)

    def _entry_reader(self, name: str, size: int) -> Callable[[], bytes]:
        def read() -> bytes:
            if size > MAX_DOCMETA_BYTES:
                raise ValueError(f"entry is {size} bytes, over the {MAX_DOCMETA_BYTES}-byte limit")
            with self._open() as zf, zf.open(name) as fh:
                return fh.read(MAX_DOCMETA_BYTES + 1)

        return read

    def read_image(self, name: str, max_bytes: int) -> bytes:
        _check_image_name(name)
        # Exports may carry images under a few folder names; never outside the zip.
        with self._open() as zf:
            for candidate in (f"files/image/{name}", f"image/{name}", f"images/{name}", f"stash/{name}"):
                try:
                    info = zf.getinfo(candidate)
                except KeyError:
                    continue
                if info.file_size > max_bytes:
                    raise ValueError(f"image {name!r} is {info.file_size} bytes, over the {max_bytes}-byte limit")
                with zf.open(info) as fh:
                    return fh.read(max_bytes + 1)[:max_bytes]
        raise FileNotFoundError(name)


def open_source(path: Path) -> Source:
    """A data directory or an export zip. Raises :class:`SourceError` when
    the path is neither (missing, a plain file that is not a zip, ...)."""
    if path.is_dir():
        return DataDirSource(path)
    if path.is_file():
        if zipfile.is_zipfile(path):
            return ZipSource(path)
        raise SourceError(f"{path} is neither a Polar data directory nor a Polar export zip")
    raise SourceError(f"the Polar data directory {path} does not exist")


def find_document(source: Source, key: str) -> Optional[DocumentFile]:
    for doc in source.list_documents():
        if doc.key == key:
            return doc
    return None
