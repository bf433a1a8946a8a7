"""Finding Polar documents: a 1.x data directory or a 2.x export archive.

A :class:`Source` lists :class:`DocumentFile` handles cheaply (a stat each,
or a row of the export cache) so the sync can skip unchanged documents
before reading or parsing them, and reads images without ever leaving the
library.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple, Type, Union

from .export_names import COPY_NUMBER as _COPY_NUMBER
from .export_names import DOWNLOADING as _DOWNLOADING
from .export_names import export_date as _export_date

# The parser (docmeta), the archive reader, the export cache and the stash
# names are imported where first used: Anki's start, which imports this module for the GUI's
# data-folder checks, needs none of them (~1/4 of the add-on's import time).
if TYPE_CHECKING:
    from . import export_cache
    from .docmeta import Document

# A state.json larger than this is not read: it keeps a hostile or broken
# file from exhausting memory. Polar 1.x kept the images pasted into cards
# and comments inline (``data:`` URLs, ~1 MB a screenshot), so a textbook
# with a few hundred of them is a real document of 100-250 MB; a sync holds
# about 3 x a document's size at its peak (a 190 MB one: +570 MB).
MAX_DOCMETA_BYTES = 256 * 1024 * 1024
# An export's document is a Firestore document, at most 1 MiB: a member far
# larger is not one (and members are kept in memory while the export is read).
MAX_EXPORT_MEMBER_BYTES = 64 * 1024 * 1024


# Folders a file system keeps at its root, which the user may not look in:
# a Polar folder at the root of a drive of its own holds them beside the
# documents (ext4's lost+found is root's, mode 0700). Not a document that
# cannot be read: no Polar document is named so.
SYSTEM_FOLDERS = frozenset({"lost+found", "system volume information", "$recycle.bin"})

# A Polar folder kept in a folder that a file-syncing service keeps in step
# across computers (Dropbox, OneDrive, Google Drive, Syncthing, Nextcloud,
# iCloud Drive). Their caches and temporary files are dot-names (skipped with
# Polar's own) or files, never a document folder with a state.json; but two
# things of theirs sit where a document's files are:
#
# * a copy of a whole document folder, made when the folder changed on two
#   computers at once (or was made on both): "<fp> (Ana's conflicted copy
#   2026-12-01)" (Dropbox, any language, and its "(Case Conflict)",
#   "(Selective Sync Conflict)"), "<fp> (1)" (Google Drive), "<fp> (conflicted
#   copy 2026-12-01 101010)" (Nextcloud), "<fp>-LAPTOP" (OneDrive: the
#   computer's name), "<fp>.sync-conflict-20261201-101010-ABCDEFG"
#   (Syncthing), "<fp>_conflict-20261201-101010" (ownCloud), "<fp> 2" (iCloud).
#   Its state.json names the same document (``docInfo.fingerprint``) and holds
#   the same cards, or older versions of them: read as a document of its own,
#   every card of it was a problem at every sync (``same_card_twice``), and a
#   card edited in Polar since (a new id) left its old version in the copy, a
#   live note beside the new one. Polar itself keeps one document per
#   fingerprint. A folder whose name is a document folder's own followed by
#   such an ending is not read while that document folder is there (Polar's
#   fingerprints are hex digests or base58 ids: no two end so).
# * a placeholder in the place of a state.json that is kept online only, not
#   on this computer: ".state.json.icloud" (iCloud Drive's "Optimise Mac
#   Storage"), "state.json.nextcloud" / "state.json.owncloud" (their virtual
#   files outside Windows). The document is there, its file not downloaded:
#   never taken as deleted in Polar (and an area highlight's image so kept
#   leaves its note's picture as it is: ``ImageOnlineOnly``). The service takes off the computer only
#   a file it holds whole and that was not opened for a while: one the last
#   sync read is taken as unchanged since, quietly (iCloud takes many at once,
#   a problem each at every sync would be noise); one no sync has read cannot
#   be read (said, as any). (On Windows, OneDrive's and the others' online-only
#   files keep their name and size, and reading one downloads it: a failed
#   download is an unreadable file, as any.)
_COPY_ENDING = re.compile(
    r"(?: \((?:[^()]|\([^()]*\))*\)"  # Dropbox, Google Drive, Nextcloud: " (...)", nested once
    r"|\.sync-conflict-\d{8}-\d{6}(?:-[0-9A-Za-z]{7})?"  # Syncthing
    r"|_conflict-\d{8}-\d{6}"  # ownCloud
    r"|-[0-9A-Za-z][0-9A-Za-z_-]{0,62}"  # OneDrive: "-<computer name>" (and its "-2")
    r"| \d{1,3}"  # iCloud Drive: " 2"
    r")+")
_COPY_STARTS = frozenset(" -._")
_COPY_START = re.compile("[ ._-]")
_POLARS_OWN = frozenset({"stash", "files", "logs", "config"})  # folders of Polar's that hold no document
# A placeholder's name for the file ``name`` it stands for, and its service.
PLACEHOLDERS = ((".{}.icloud", "iCloud Drive"), ("{}.nextcloud", "Nextcloud"), ("{}.owncloud", "ownCloud"))


def copy_of(name: str, documents: AbstractSet[str]) -> Optional[str]:
    """The document folder (one of ``documents``) that the folder ``name`` is
    a file-syncing service's copy of, or None (see ``_COPY_ENDING``)."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in _COPY_STARTS and name[:i] in documents and _COPY_ENDING.fullmatch(name, i):
            return name[:i]
    return None


def online_only(folder: str, name: str) -> Optional[str]:
    """The file-syncing service keeping ``folder``'s file ``name`` online
    only, not on this computer, when a placeholder stands in its place
    (``PLACEHOLDERS``), else None."""
    for placeholder, service in PLACEHOLDERS:
        if os.path.lexists(os.path.join(folder, placeholder.format(name))):
            return service
    return None


class SourceError(Exception):
    """The library as a whole cannot be used (missing, unreadable, not a zip).
    ``renamed``: the same export under another name in its folder (see
    :func:`same_export_elsewhere`), when that is why it is missing."""

    renamed: Optional[Path] = None

    def __init__(self, message: str, code: str = "", **details: str) -> None:
        super().__init__(message)
        # What it is, for the add-on's window to say in the reader's words
        # (the message is the core's English, as the CLI and the log show it):
        # ``file`` the path shown, ``reason`` the system's or the archive's
        # own words (``why`` and ``detail``: an archive's, as ArchiveError
        # has them), ``downloading`` "self" or the partial download's name,
        # ``kind`` of a special file (pipe, device, socket, special), ``what``
        # is missing (export, folder, unpacked) and ``newer`` or ``same``
        # export's name beside it.
        self.code = code
        self.details = details


class UnsafePathError(ValueError):
    """A file name that would lead outside the library."""


class Refused(ValueError):
    """A document's file not read, and why, as a word the report says in the
    reader's language (``kind``: ``dangling``, ``not_regular``, ``outside``,
    ``too_large``); the message is the English."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> Any:  # (pickled whole, as any exception may be)
        return (Refused, (str(self), self.kind))


class DocumentFile(NamedTuple):
    """One document's file: ``key`` is its identity (fingerprint/export id),
    ``label`` the path shown in reports, ``signature`` a cheap change check.
    A NamedTuple: every sync lists every document (a frozen dataclass's
    ``__init__`` cost 1.5 us against 0.4, ~1 ms a resync of 1,000)."""

    key: str
    label: str
    signature: Tuple[int, int]  # (size, mtime_ns) or (size, crc32) in zips
    reader: Callable[[], bytes]
    parser: Callable[[bytes, str], Document]
    # True when signature[1] is a modification time, which can fail to move
    # for a rewrite within the file system's timestamp tick (see engine).
    timestamped: bool = True
    notice: Optional[str] = None  # a warning to report when the document is read
    # Kept online only by a file-syncing service (its name: "iCloud Drive"),
    # a placeholder in its place (``PLACEHOLDERS``): its reader fails; as the
    # last sync read it, if any. "": on this computer.
    offline: str = ""

    def read(self) -> bytes:
        return self.reader()

    def parse(self, data: bytes) -> Document:
        return self.parser(data, self.key)


def _parse_docmeta(data: bytes, key: str) -> Document:
    from .docmeta import parse_docmeta

    return parse_docmeta(data, key)


def _parse_export_entry(data: bytes, key: str) -> Document:
    from .docmeta import parse_export_entry

    return parse_export_entry(data, key)


def _parse_export_bundle(data: bytes, key: str) -> Document:
    """A ``doc_meta`` record with its document's Polar 3 blocks
    (``blocks.pack``): one Document of both (``blocks.merge``)."""
    from .blocks import merge, page_cards, read_blocks, unpack
    from .docmeta import export_docmeta, parse_docmeta

    record, blocks, authoritative = unpack(data)
    docmeta, ident, ver = export_docmeta(record, key)
    return merge(parse_docmeta(docmeta, ident), read_blocks(blocks), ver == 3, authoritative,
                 page_cards(docmeta))


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

    def earlier_copies(self, key: str) -> List[Callable[[], bytes]]:
        """Readers of the start (up to 64 KB) of the copies of document
        ``key`` that Polar's own backups keep, newest first: a damaged
        document's title may be read from one of them. None by default."""
        return []

    def has_image(self, name: str) -> bool:
        """Whether the area-highlight image ``files/image/<name>`` is on this
        computer now (a plain file name; False for an export, which has none)."""
        return False

    @property
    def problems(self) -> List[Tuple[str, str]]:
        """(label, message) of what could not be read beyond single
        documents (those fail as documents): an export's damage."""
        return []

    @property
    def complete(self) -> bool:
        """False when damage ended the read early: documents not listed may
        still exist, so none may be taken as deleted."""
        return True

    @property
    def unidentified(self) -> List[Tuple[str, str]]:
        """(label, key) of the documents listed (by ``list_documents``) under
        a stand-in key because which document they are could not be told:
        one of them may be a document that looks gone."""
        return []

    @property
    def copies(self) -> List[Tuple[str, str]]:
        """(copy, document) of the folders a file-syncing service made as
        copies of a document's folder, not read (``copy_of``). Known once
        the documents are listed."""
        return []

    @property
    def block_flashcards(self) -> int:
        """How many flashcards the library holds as Polar 3 blocks that the
        sync does not read: of no document it lists (see
        docs/dev-notes/blocks.md). Known once the documents are listed."""
        return 0

    @property
    def owner(self) -> Optional[str]:
        """The Polar account the library is of (an export's ``uid``), None
        when it does not say (a data directory)."""
        return None


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
        self._backups: Optional[List[str]] = None  # Polar's .backup-* folders, newest first
        self._copies: List[Tuple[str, str]] = []

    @property
    def copies(self) -> List[Tuple[str, str]]:
        return self._copies

    def _inside(self, candidate: Union[str, Path]) -> bool:
        real = os.path.realpath(candidate)
        return real == str(self.root) or real.startswith(str(self.root) + os.sep)

    def list_documents(self) -> List[DocumentFile]:
        try:
            entries = sorted(os.scandir(self.root), key=lambda e: e.name)
        except OSError as exc:
            from .archive import printable

            raise SourceError(f"cannot read the Polar data directory {printable(str(self.path))}: "
                              f"{exc.strerror}", "folder_unreadable", file=printable(str(self.path)),
                              reason=str(exc.strerror)) from None
        docs: List[DocumentFile] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # .backup-* snapshots, temp files
            key, notice = safe_key(entry.name)
            # os.path, not pathlib: ~8 us a document, on every resync.
            state = os.path.join(entry.path, "state.json")
            # lstat first: only a symlink (the folder or the file) can lead
            # out of the real root, so only then is the realpath walk (an
            # lstat per path component, ~40 ms per 1,000 documents) needed.
            # A state.json that is a device, a FIFO, a link out of the data
            # directory or one that leads nowhere, or that cannot be looked at
            # (no rights), is never opened, but listed as a failed document:
            # the report names it, and its cards are not swept as deleted.
            refusal: Optional[Refused] = None
            failure: Optional[OSError] = None
            try:
                st = os.lstat(state)
            except OSError as exc:
                if exc.errno == errno.ENOENT and entry.name not in _POLARS_OWN:
                    service = online_only(entry.path, "state.json")
                    if service is not None:  # (see _COPY_ENDING)
                        docs.append(DocumentFile(
                            key=key, label=f"{key}/state.json", signature=(-1, -1), parser=_parse_docmeta,
                            notice=notice, offline=service, reader=_fail(OSError(errno.ENOENT, (
                                f"{service} keeps this file online only, not on this computer yet; "
                                "download it (make the Polar folder available offline) and sync again")))))
                        continue
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    continue  # no state.json: not a document (a stray file or folder)
                if entry.name.lower() in SYSTEM_FOLDERS:
                    continue  # (the system's, at a drive's root: never Polar's)
                failure = exc  # (a folder without the rights to look in it: EACCES)
            if failure is None:
                linked = entry.is_symlink() or stat.S_ISLNK(st.st_mode)
                if linked:
                    try:
                        st = os.stat(state)
                    except OSError as exc:  # dangling, or a loop of links
                        refusal = Refused(f"state.json is a link that leads nowhere ({exc.strerror or exc}); not read",
                                          "dangling")
                if refusal is None and not stat.S_ISREG(st.st_mode):
                    refusal = Refused("state.json is not a regular file; not read", "not_regular")
                elif refusal is None and linked and not self._inside(state):
                    refusal = Refused("state.json leads outside the data directory; not read", "outside")
            docs.append(
                DocumentFile(
                    key=key,
                    label=f"{key}/state.json",
                    signature=(st.st_size, st.st_mtime_ns) if failure is None else (-1, -1),
                    reader=(_fail(failure) if failure is not None else _refuse(refusal) if refusal
                            else _file_reader(state)),
                    parser=_parse_docmeta,
                    notice=notice,
                )
            )
        self._copies = []
        # (Fingerprints hold none of a copy's separators: one search of all
        # the names, ~0.16 ms for 2,000 documents, and a library without a copy
        # is done.)
        if _COPY_START.search("/".join([d.key for d in docs])):
            keys = {d.key for d in docs}
            of = {d.key: copy_of(d.key, keys) for d in docs}
            self._copies = [(key, doc) for key, doc in of.items() if doc is not None]
            docs = [d for d in docs if of[d.key] is None]
        return docs

    def earlier_copies(self, key: str) -> List[Callable[[], bytes]]:
        """Polar's ``.backup-YYYY-MM-DD`` snapshots of the whole folder (hard
        links), the newest first: ``<backup>/<key>/state.json``. Asked only
        for a document that cannot be read (the folder is listed once)."""
        if self._backups is None:
            try:
                names = [e.name for e in os.scandir(self.root) if e.name.startswith(".backup-") and e.is_dir()]
            except OSError:
                names = []
            self._backups = sorted(names, reverse=True)
        readers = []
        for name in self._backups:
            state = os.path.join(self.root, name, key, "state.json")
            if os.path.isfile(state) and self._inside(state):
                readers.append(_start_reader(state))
        return readers

    def has_image(self, name: str) -> bool:
        try:
            _check_image_name(name)
        except UnsafePathError:
            return False
        return os.path.isfile(os.path.join(self.root, "files", "image", name))

    def read_image(self, name: str, max_bytes: int) -> bytes:
        _check_image_name(name)
        # A plain name (checked above) joined by os.path, not pathlib: the
        # same path, without pathlib's ~4 us per image.
        path = os.path.join(self.root, "files", "image", name)
        # As in list_documents: a plain file in a folder that resolves inside
        # the root cannot lead out; the folder is resolved once per source.
        if self._images_inside is None:
            self._images_inside = self._inside(self.root / "files" / "image")
        if not self._images_inside and not self._inside(Path(path)):
            raise UnsafePathError(f"image {name!r} leads outside the data directory")
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            service = online_only(os.path.dirname(path), name)
            if service is not None:
                raise ImageOnlineOnly(errno.ENOENT, f"{service} keeps image {name!r} online only",
                                      service=service) from None
            raise
        if stat.S_ISLNK(st.st_mode):
            if not self._inside(Path(path)):
                raise UnsafePathError(f"image {name!r} leads outside the data directory")
            st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"image {name!r} is not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"image {name!r} is {st.st_size} bytes, over the {max_bytes}-byte limit")
        data = _read_file(path, st.st_size, max_bytes)
        if len(data) > max_bytes:
            raise ValueError(f"image {name!r} is over the {max_bytes}-byte limit")
        return data


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # (Windows would translate line ends)


def _read_file(path: str, size: int, max_bytes: int) -> bytes:
    """The file's bytes, up to ``max_bytes + 1`` (see :func:`_read_fd`).
    On a file descriptor, not a file object: a first sync reads ~3,500
    images, and ``open()`` adds an object pair and four system calls to
    each (13 us against 8; each call can also hand the GIL to Anki's
    thread)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        return _read_fd(fd, size, max_bytes)
    finally:
        os.close(fd)


def _read_fd(fd: int, size: int, max_bytes: int) -> bytes:
    """Up to ``max_bytes + 1`` bytes of an open file that ``stat`` saw at
    ``size``. One read of that size + 1 (to see growth), not of the limit:
    a read of n bytes allocates n first (10 MB for an image, 64 MB for a
    document). A file that grew, or a short read, is read on to the limit."""
    data = os.read(fd, size + 1)
    if len(data) != size:
        parts, got = [data], len(data)
        while got <= max_bytes:
            more = os.read(fd, max_bytes + 1 - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
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


def _refuse(why: Union[str, Refused]) -> Callable[[], bytes]:
    def read() -> bytes:
        raise why if isinstance(why, Refused) else ValueError(why)

    return read


def _fail(exc: OSError) -> Callable[[], bytes]:
    """A reader that raises the error met while listing (reported as the
    document's, as the same error met while reading would be)."""

    def read() -> bytes:
        raise exc

    return read


def _start_reader(path: str, limit: int = 65536) -> Callable[[], bytes]:
    def read() -> bytes:
        fd = os.open(path, _READ_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError("not a regular file")
            return os.read(fd, limit)
        finally:
            os.close(fd)

    return read


def _file_reader(path: str) -> Callable[[], bytes]:
    def read() -> bytes:
        fd = os.open(path, _READ_FLAGS)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Refused("not a regular file", "not_regular")
            if st.st_size > MAX_DOCMETA_BYTES:
                raise Refused(f"file is {st.st_size} bytes, over the {MAX_DOCMETA_BYTES}-byte limit", "too_large")
            return _read_fd(fd, st.st_size, MAX_DOCMETA_BYTES)
        finally:
            os.close(fd)

    return read


# Members of an export that are read: the records. The optional first
# folders are those of a user who unpacked the export and zipped the folder
# (two: 7-Zip unpacks X.zip into X/X/, and that X zipped again).
_DOC_META = re.compile(r"^(?:[^/]+/){0,2}doc_meta/([^/.][^/]*)\.json$")
_DOC_INFO = re.compile(r"^(?:[^/]+/){0,2}doc_info/([^/.][^/]*)\.json$")
_STASH = re.compile(r"^(?:[^/]+/){0,2}stash/[^/.][^/]*$")
# Polar 3's notes and annotations: its annotation and document blocks are
# kept (polar.blocks.digest), its notes skipped.
_BLOCK = re.compile(r"^(?:[^/]+/){0,2}block/[^/.][^/]*\.json$")
# How many records ExportSource.owner looks at for a uid before giving up.
_OWNER_TRIES = 5
_DOC_META_ID = re.compile(r"^.*doc_meta/([^/]*)\.json$")


def _deep_note_root(data: bytes) -> Optional[bytes]:
    """The root block id of a block two levels down or more, else None, read
    from its bytes as Polar's exporter writes them (``JSON.stringify(block,
    null, 2)``: ``"parents": [\n    "<root>",\n    "<parent>"...``, or compact; the
    root is the first of its parents, a comment's are [document,
    highlight]). Inside a JSON string a quote is always escaped, so the key
    cannot be words of the note; ids have no quote. One ``partition`` and
    one ``split``: an export of Polar 3 notes has a member per note (two
    regexes cost three times as much a note, four bounded ``find``s twice)."""
    _, found, tail = data.partition(b'"parents": [')
    if not found:  # (compact JSON, as no exporter of Polar's writes it)
        _, found, tail = data.partition(b'"parents":[')
        if not found:
            return None
    parts = tail.split(b'"', 4)
    if len(parts) < 5 or parts[2].strip() != b",":
        return None  # (fewer than two ids: the top of a page, Polar's own note)
    return parts[1]


_FLAG_CRC = struct.Struct("<BI")  # a document with blocks: (authoritative, its record's crc32)
_RENAMED_MEMBER = "the member name is not valid UTF-8 (its undecodable bytes shown as \\xNN); read all the same"


def _fingerprint_of(name: str, data: bytes) -> str:
    """``docInfo.fingerprint`` of a ``doc_meta`` or ``doc_info`` record
    ("" when it has none); an unparsable record is left to the sync, which
    reports it as the document's error."""
    from .docmeta import DocMetaError, load_json

    try:
        record = load_json(data)
    except DocMetaError:
        return ""
    value = record.get("value") if isinstance(record, dict) else None
    if not isinstance(value, dict):
        return ""
    if _DOC_INFO.match(name):
        info: Any = value
    else:
        info = value.get("docInfo")
        if not isinstance(info, dict) or not isinstance(info.get("fingerprint"), str):
            inner = value.get("value")  # the DocMeta itself, as a JSON string
            try:
                meta = load_json(inner.encode("utf-8")) if isinstance(inner, str) else inner
            except DocMetaError:
                return ""
            info = meta.get("docInfo") if isinstance(meta, dict) else None
    fp = info.get("fingerprint") if isinstance(info, dict) else None
    return fp if isinstance(fp, str) and 0 < len(fp) <= 200 else ""

ExportProgress = Callable[[int, int], None]  # (bytes read, archive size)


def _keep_member(name: str) -> Optional[int]:
    # (Blocks first: an export of Polar 3 blocks has a member per block.)
    if "block/" in name and _BLOCK.match(name):
        return MAX_EXPORT_MEMBER_BYTES
    if _DOC_META.match(name) or _DOC_INFO.match(name):
        return MAX_EXPORT_MEMBER_BYTES
    return None


class ExportSource(Source):
    """A Polar 2.x "Export Data" archive: a gzip'd tar named ``.zip`` as
    Polar writes it, or the same members re-packed as a zip or a plain tar.

    The archive is read once, sequentially (``archive.scan``), keeping only
    the ``doc_meta``/``doc_info`` records; with a ``cache_path`` what was
    read is remembered (``export_cache``) so the same file is never
    decompressed again. Damage is reported in ``problems`` (everything read
    before it is listed); ``complete`` is False when damage ended the read,
    so documents not seen must not be taken as deleted."""

    def __init__(self, path: Path, kind: str, cache_path: Optional[Path] = None) -> None:
        from .archive import printable

        self.path = path
        # The archive's name as reports show it: a name that is not UTF-8
        # (copied from an old system) as \xNN, never a lone surrogate.
        self.shown = printable(path.name)
        self.kind = kind
        self.cache_path = cache_path
        self.on_progress: Optional[ExportProgress] = None
        self.read_now = False  # True when this run decompressed the archive
        self._snapshot: Optional[export_cache.Snapshot] = None
        self._bodies: Dict[str, Optional[str]] = {}
        self._unidentified: List[Tuple[str, str]] = []
        self._unread_blocks = 0
        self._owner: Optional[str] = None  # "" once looked for and not found
        # The folder chosen as the library when this export was found in it
        # (export_in_folder), and how many exports that folder holds.
        self.chosen_in: Optional[Path] = None
        self.exports_in_folder = 1

    # -- reading -----------------------------------------------------------------

    def _identity(self) -> str:
        from . import archive

        try:
            return archive.identity(str(self.path))
        except OSError as exc:
            raise SourceError(f"cannot read the Polar export {self.shown}: {exc.strerror or exc}",
                              "export_unreadable", file=self.shown, reason=str(exc.strerror or exc)) from None

    def needs_reading(self) -> bool:
        """True when listing will decompress the archive (not read before)."""
        if self._snapshot is not None:
            return False
        if self.cache_path is None:
            return True
        from . import export_cache

        return export_cache.load(self.cache_path, self._identity()) is None

    def snapshot(self) -> export_cache.Snapshot:
        if self._snapshot is None:
            from . import export_cache

            ident = self._identity()
            cached = export_cache.load(self.cache_path, ident) if self.cache_path is not None else None
            self._snapshot = cached if cached is not None else self._read(ident)
        return self._snapshot

    def _read(self, ident: str) -> export_cache.Snapshot:
        from . import archive, export_cache

        self.read_now = True
        # What the export read before (another download, its cache about to
        # be replaced) knew of each document: see _remember.
        earlier = export_cache.load(self.cache_path, None) if self.cache_path is not None else None
        writer = export_cache.Writer(ident, self.kind, self.cache_path)
        # Note blocks two levels down (root, name, bytes, crc): comments if
        # their root is a document block (known at the end: Writer.finish).
        notes: List[Tuple[bytes, str, bytes, int]] = []
        # The block parser, imported at the first annotation block.
        digest: Optional[Callable[[bytes], Optional[Tuple[str, str, str, str, bytes]]]] = None
        unreadable: Type[Exception] = Exception
        # doc_meta members met (read or not) and doc_info records naming a
        # document: one without its doc_meta is an export missing a part.
        metas: Set[str] = set()
        infos: List[str] = []
        try:
            for entry in archive.scan(str(self.path), self.kind, _keep_member, self.on_progress):
                if "doc_meta/" in entry.name:
                    metas.add(entry.name)
                if entry.name == archive.LEFTOVERS:
                    writer.snapshot.leftovers = (entry.data or b"").decode("utf-8")
                elif entry.problem:
                    writer.problem(entry.name, entry.problem, entry.fatal)
                elif entry.data is not None and "block/" in entry.name and _BLOCK.match(entry.name):
                    if b'"annotation-' not in entry.data and b'"document"' not in entry.data:
                        # A Polar 3 note (most blocks): the parser not even
                        # imported. One two levels down or more may be a
                        # comment on a highlight (kept if its root turns out
                        # a document block and it is a markdown block).
                        deep = _deep_note_root(entry.data)
                        if deep is not None:
                            notes.append((deep, entry.name, entry.data, entry.crc))
                        continue
                    if digest is None:
                        from .blocks import UnreadableBlock
                        from .blocks import digest as digest_block

                        digest, unreadable = digest_block, UnreadableBlock
                    try:
                        kept = digest(entry.data)
                    except unreadable as exc:
                        writer.problem(entry.name, str(exc))
                        continue
                    if kept is not None and kept[1] == "markdown":  # (a note naming an annotation)
                        notes.append((kept[3].encode("utf-8"), entry.name, entry.data, entry.crc))
                    elif kept is not None:
                        ident, kind, fingerprint, root, reduced = kept
                        ident = ident or entry.name.rsplit("/", 1)[-1][:-5]
                        writer.block(entry.name, ident, kind, fingerprint, root, reduced, len(entry.data),
                                     entry.crc)
                elif entry.data is not None:
                    fingerprint = _fingerprint_of(entry.name, entry.data)
                    writer.record(entry.name, fingerprint, entry.data, entry.crc)
                    if fingerprint and "doc_info/" in entry.name and _DOC_INFO.match(entry.name):
                        infos.append(entry.name)
                elif _STASH.match(entry.name):
                    writer.body(entry.name, entry.size, entry.offset)
            if self.kind != archive.DIR and writer.snapshot.complete:  # (a folder's scan says it itself)
                self._missing_doc_meta(writer, metas, infos)
            if earlier is not None:
                self._remember(earlier, writer)
            return writer.finish(notes)
        except archive.ArchiveError as exc:
            writer.abandon()
            raise SourceError(f"cannot open the Polar export {self.shown}: {exc}",
                              "export_unopenable", file=self.shown, reason=str(exc), why=exc.why,
                              detail=exc.detail) from None
        except OSError as exc:
            writer.abandon()
            raise SourceError(f"cannot read the Polar export {self.shown}: {exc.strerror or exc}",
                              "export_unreadable", file=self.shown, reason=str(exc.strerror or exc)) from None
        except BaseException:
            writer.abandon()
            raise

    @staticmethod
    def _missing_doc_meta(writer: export_cache.Writer, metas: Set[str], infos: List[str]) -> None:
        """Polar writes and deletes a document's doc_meta and doc_info
        records together: a doc_info record naming a document with no
        doc_meta member beside it (left out, or not a file: a directory of
        that name) is a part missing, not a deletion. One fatal problem, as
        an unpacked export's (``archive._scan_dir``): nothing not seen is
        taken as deleted."""
        missing = sorted(name for name in infos
                         if name[: name.rindex("doc_info/")] + "doc_meta/" + name.rsplit("/", 1)[1] not in metas)
        if missing:
            more = f" (nor have {len(missing) - 1} more)" if len(missing) > 1 else ""
            writer.problem(missing[0], f"the export is incomplete: {missing[0]} has no doc_meta record beside "
                                       f"it{more}; export your library from Polar again", True)

    # -- what the sync sees ---------------------------------------------------------

    def list_documents(self) -> List[DocumentFile]:
        """One document per ``doc_meta`` record, keyed by its fingerprint as
        in a data directory (so moving from Polar 1.x's folder to a 2.x
        export, or between exports, finds the same documents)."""
        snap = self.snapshot()
        docs: Dict[str, DocumentFile] = {}
        blocks = dict(snap.block_groups)
        authoritative: Optional[bool] = None
        keys, guessed = self._identify(snap)
        self._unidentified = [(f"{self.shown}:{name}", key) for name, key in keys.items() if name in guessed]
        # By name, not member order (the exporter interleaves its streams):
        # of two records of one document, the same one is it in every export.
        for name, key in sorted(keys.items()):
            record = snap.records.get(name)
            if key in docs:
                key = _DOC_META_ID.sub(r"\1", name)  # a second record of one document: kept apart
            if record is not None and key in blocks:
                if authoritative is None:
                    # Blocks decide which cards were deleted in Polar 3 only when none
                    # can be missing: the read was whole and no block record was damaged.
                    authoritative = snap.complete and not any(_BLOCK.match(p.name) for p in snap.problems)
                docs[key] = self._with_blocks(snap, record, key, blocks.pop(key), authoritative)
            elif record is not None:
                docs[key] = DocumentFile(
                    key=key,
                    label=f"{self.shown}:{name}",
                    signature=(record.size, record.crc),
                    reader=self._record_reader(snap, name),
                    parser=_parse_export_entry,
                    timestamped=False,
                    # Only archive.printable puts a backslash in a member name.
                    notice=_RENAMED_MEMBER if "\\" in name else None,
                )
            else:
                # A record that could not be read is a document all the same:
                # its failure is reported once, its cards are not taken as deleted.
                problem = next(p.message for p in snap.problems if p.name == name)
                docs[key] = DocumentFile(
                    key=key,
                    label=f"{self.shown}:{name}",
                    signature=(-1, -1),
                    reader=_refuse(problem),
                    parser=_parse_export_entry,
                    timestamped=False,
                )
        # Block flashcards of no document listed: not read (said in the report).
        self._unread_blocks = sum(group.flashcards for group in blocks.values())
        return sorted(docs.values(), key=lambda d: d.key)

    def _with_blocks(self, snap: export_cache.Snapshot, record: export_cache.Record, key: str,
                     group: export_cache.BlockGroup, authoritative: bool) -> DocumentFile:
        """A document with Polar 3 blocks (``group``: those the export cache
        grouped under its fingerprint): read, hashed and parsed with them,
        its signature theirs too (an edit in Polar 3 reads it again): the
        sum of the sizes, and the crc32 of (authoritative, the record's
        crc32, the blocks' crc32s in member-name order) packed '<B' + '<I's."""
        crc = zlib.crc32(group.crcs, zlib.crc32(_FLAG_CRC.pack(int(authoritative), record.crc)))
        label = f"{self.shown}:{record.name}"

        def read() -> bytes:
            from .blocks import pack

            data, blocks = snap.read_with_blocks(record.name, group.fingerprint)
            return pack(data, blocks, authoritative)

        return DocumentFile(key=key, label=label, signature=(record.size + group.size, crc),
                            reader=read, parser=_parse_export_bundle, timestamped=False,
                            notice=_RENAMED_MEMBER if "\\" in record.name else None)

    def _remember(self, earlier: export_cache.Snapshot, writer: export_cache.Writer) -> None:
        """For each record of the new export that cannot say which document
        it is (unreadable, cut short, no ``doc_info`` beside it), the
        fingerprint the earlier export knew for its id: otherwise that
        document would look gone and its notes be swept. Kept in the new
        cache, so it carries on while the record stays unreadable."""
        keys, guessed = self._identify(earlier)
        known = {_DOC_META_ID.sub(r"\1", name): key for name, key in keys.items() if name not in guessed}
        for name in self._identify(writer.snapshot)[1]:
            ident = _DOC_META_ID.sub(r"\1", name)
            if ident in known:
                writer.remember(ident, known[ident])

    def _document_keys(self, snap: export_cache.Snapshot) -> Dict[str, str]:
        return self._identify(snap)[0]

    def _identify(self, snap: export_cache.Snapshot) -> Tuple[Dict[str, str], Set[str]]:
        """doc_meta member -> document key: the fingerprint its record
        names, else the one its ``doc_info`` record names (the only way to
        know which document an unreadable record was), else the one an
        earlier export gave its id (``_remember``), else its export id; and
        the members keyed by that last stand-in."""
        # (Each pattern only where its folder's name is: half the records
        # are the other kind, and every unchanged resync lists them all.)
        by_id: Dict[str, str] = {}
        for info in snap.records.values():
            match = _DOC_INFO.match(info.name) if "doc_info/" in info.name and info.fingerprint else None
            if match is not None:
                by_id.setdefault(match.group(1), info.fingerprint)
        keys: Dict[str, str] = {}
        guessed: Set[str] = set()
        names = [r.name for r in snap.records.values()] + [p.name for p in snap.problems]
        for name in names:
            match = _DOC_META.match(name) if "doc_meta/" in name else None
            if match is None or name in keys:
                continue
            record = snap.records.get(name)
            own = record.fingerprint if record is not None else ""
            ident = match.group(1)
            key = own or by_id.get(ident) or snap.known.get(ident)
            if not key:
                key = ident
                guessed.add(name)
            keys[name] = key
        return keys, guessed

    @property
    def problems(self) -> List[Tuple[str, str]]:
        """(label, message) of what could not be read, other than documents
        (those fail as documents): damage, refused members."""
        out: List[Tuple[str, str]] = []
        alike: Dict[str, int] = {}  # message -> where its row is in out
        more: Dict[int, int] = {}  # row -> members of the same message after it
        for problem in self.snapshot().problems:
            if _DOC_META.match(problem.name):
                continue
            label = f"{self.shown}:{problem.name}" if problem.name else self.shown
            at = alike.get(problem.message) if not problem.fatal else None
            if at is not None:
                # (A re-pack with absolute names, tar -P: every member refused
                # alike; one row for them, not tens of thousands.)
                more[at] = more.get(at, 0) + 1
                continue
            if not problem.fatal:
                alike[problem.message] = len(out)
            out.append((label, problem.message))
        for at, count in more.items():
            label, message = out[at]
            out[at] = (label, f"{message} (and {count} more member{'s' if count != 1 else ''} alike)")
        return out

    @property
    def complete(self) -> bool:
        return self.snapshot().complete

    @property
    def block_flashcards(self) -> int:
        return self._unread_blocks

    @property
    def owner(self) -> Optional[str]:
        """The ``uid`` of the export's records (Polar exports one account's
        records, filtered by uid): read from one record, the first by name
        that says it, so the same in every sync of the export (a record's
        read: ~1 ms, once per source)."""
        if self._owner is None:
            from .docmeta import load_json

            snap = self.snapshot()
            self._owner = ""
            for name in sorted(n for n in snap.records if "doc_meta/" in n)[:_OWNER_TRIES]:
                try:
                    record = load_json(snap.read(name))
                except (OSError, ValueError):
                    continue
                uid = record.get("uid") if isinstance(record, dict) else None
                if isinstance(uid, str) and uid:
                    self._owner = uid
                    break
        return self._owner or None

    @property
    def unidentified(self) -> List[Tuple[str, str]]:
        return list(self._unidentified)

    @property
    def leftovers(self) -> Optional[Dict[str, Any]]:
        """Of an unpacked export: the files an older export left in its
        folder (``archive._leftovers``): ``documents``, ``blocks``, ``dated``
        and ``taken`` (read as not in this export); None when none."""
        found = self._times()
        return found if "dated" in found else None

    @property
    def made_at(self) -> Optional[int]:
        """Of an unpacked export: when its newest files were made (Unix
        seconds), as the exporter dated them (tar and 7-Zip keep the
        times): the export last unpacked there, whatever the folder's name."""
        newest = self._times().get("newest")
        return newest if isinstance(newest, int) else None

    def _times(self) -> Dict[str, Any]:
        said = self.snapshot().leftovers
        if not said:
            return {}
        import json

        try:
            found = json.loads(said)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    @staticmethod
    def _record_reader(snap: export_cache.Snapshot, name: str) -> Callable[[], bytes]:
        def read() -> bytes:
            return snap.read(name)

        return read

    def read_image(self, name: str, max_bytes: int) -> bytes:
        # Polar's exports carry no area-highlight images: those cards show
        # their text context only (the renderer treats this as expected).
        _check_image_name(name)
        raise ImagesNotExported(name)

    # -- the documents' own files (for opening a document, not for syncing) ----------

    def document_body(self, key: str) -> Optional[str]:
        """The archive member holding the document's PDF/EPUB, or None when
        it cannot be matched (not in the export, or no filename)."""
        if key not in self._bodies:
            self._bodies[key] = self._match_body(key)
        return self._bodies[key]

    def _match_body(self, key: str) -> Optional[str]:
        snap = self.snapshot()
        if not snap.bodies:
            return None
        name = next((n for n, k in self._document_keys(snap).items() if k == key), None)
        record = snap.records.get(name) if name is not None else None
        if record is None:
            return None
        from .docmeta import load_json
        from .hashcodes import stash_names

        try:
            wrapper = load_json(snap.read(record.name))
        except (OSError, ValueError):
            return None
        if not isinstance(wrapper, dict):
            return None
        uid = wrapper.get("uid")
        outer = wrapper.get("value")
        info = outer.get("docInfo") if isinstance(outer, dict) else None
        if not isinstance(info, dict):
            info = self._doc_info(snap, record.name, key)
        if not isinstance(uid, str) or not isinstance(info, dict):
            return None
        prefix = record.name[: record.name.index("doc_meta/")]
        for name in stash_names(uid, info):
            if prefix + name in snap.bodies:
                return prefix + name
        return None

    @staticmethod
    def _doc_info(snap: export_cache.Snapshot, meta_name: str, key: str) -> Optional[Dict[str, Any]]:
        from .docmeta import load_json

        name = meta_name.replace("doc_meta/", "doc_info/", 1)
        if name not in snap.records:
            return None
        try:
            record = load_json(snap.read(name))
        except (OSError, ValueError):
            return None
        value = record.get("value") if isinstance(record, dict) else None
        return value if isinstance(value, dict) else None


class ImagesNotExported(FileNotFoundError):
    """Area-highlight images are not part of a Polar export."""


class ImageOnlineOnly(FileNotFoundError):
    """An area-highlight image a file-syncing service keeps online only, a
    placeholder in its place (``PLACEHOLDERS``: iCloud Drive's "Optimise Mac
    Storage" takes the images not opened for a while off the computer). A
    note that has the picture keeps it: a document read again while its
    image is away lost it from its notes, until the document next changed in
    Polar. ``service``: which keeps it ("iCloud Drive")."""

    def __init__(self, code: int, message: str, service: str = "") -> None:
        super().__init__(code, message)
        self.service = service


def open_source(path: Path, cache_path: Optional[Path] = None) -> Source:
    """A data directory or an export archive, recognised by its content
    (any name). Raises :class:`SourceError` when the path is neither
    (missing, not an archive, an archive that cannot be opened at all).

    ``cache_path``: where an export's listing is remembered between syncs.

    A browser's file of a download in progress (``.crdownload``, ``.part``)
    chosen while the download ran: once it is gone, the finished file of the
    same name without that ending is read.

    A folder that is an export unpacked, or holds exports (packed or not)
    and no Polar 1.x document, is read as its latest export
    (:func:`export_in_folder`; the source's ``chosen_in`` then names the
    folder)."""
    if not path.exists() and path.name.lower().endswith(_DOWNLOADING):
        finished = path.with_name(path.name[: path.name.rindex(".")])
        if finished.is_file():
            path = finished
    if path.is_dir():
        found = export_in_folder(path)
        if found is None:
            return DataDirSource(path)
        chosen, count = found
        if chosen.is_dir():
            from .archive import DIR

            source: ExportSource = ExportSource(chosen, DIR, cache_path)
        else:
            source = _open_export_file(chosen, cache_path)
        source.chosen_in = path if chosen != path else None
        source.exports_in_folder = count
        return source
    if path.is_file():
        return _open_export_file(path, cache_path)
    # Named for what the path looks like it was (an export is chosen as a file).
    from .archive import printable

    shown = printable(str(path))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # (missing, a link to nothing: said below)
    if mode is not None:
        # There, but neither a folder nor a file (a pipe, a device): never
        # opened (a pipe's read would wait for ever, a device's never end).
        code = "pipe" if stat.S_ISFIFO(mode) else "device" if (
            stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) else "socket" if stat.S_ISSOCK(mode) else "special"
        kind = {"pipe": "a pipe (FIFO)", "device": "a device", "socket": "a socket"}.get(code, "a special file")
        raise SourceError(f"{shown} is {kind}, not a folder or a regular file, so it is not read as a Polar "
                          "data directory or export", "special_file", file=shown, kind=code)
    what = "export" if path.name.lower().endswith(_EXPORT_SUFFIXES + _DOWNLOADING) else "folder"
    newer = newer_export_beside(path)
    ends = {"newer": printable(newer.name)} if newer else {}
    later = f"; a Polar export downloaded later is in that folder: {printable(newer.name)}" if newer else ""
    same = same_export_elsewhere(path, cache_path) if newer is None else None
    if same is not None:  # (renamed by its user: nothing of it is lost)
        what = "unpacked" if same.is_dir() else "export"
        ends = {"same": printable(same.name)}
        later = f"; the same export is in that folder, named {printable(same.name)}: choose that one"
    named = {"export": "Polar export", "folder": "Polar data directory", "unpacked": "unpacked Polar export"}[what]
    error = SourceError(f"the {named} {shown} does not exist{later}", "missing", file=shown, what=what, **ends)
    error.renamed = same
    raise error


def _open_export_file(path: Path, cache_path: Optional[Path]) -> ExportSource:
    from . import archive

    shown = archive.printable(str(path))
    try:
        kind = archive.sniff(str(path))
        empty = kind is None and path.stat().st_size == 0
    except OSError as exc:
        raise SourceError(f"cannot read the Polar export {shown}: {exc.strerror or exc}",
                          "export_unreadable", file=shown, reason=str(exc.strerror or exc)) from None
    if empty:
        raise SourceError(f"{shown} is empty (0 bytes){_still_downloading(path)}", "export_empty", file=shown,
                          downloading=_downloading(path))
    if kind is None:
        raise SourceError(
            f"{shown} is neither a Polar data directory nor a Polar export (a .zip, .tar.gz or .tar archive)",
            "not_an_export", file=shown)
    try:
        archive.probe(str(path), kind)
    except archive.ArchiveError as exc:
        raise SourceError(f"cannot open the Polar export {shown}: {exc}{_still_downloading(path)}",
                          "export_unopenable", file=shown, reason=str(exc), why=exc.why, detail=exc.detail,
                          downloading=_downloading(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot read the Polar export {shown}: {exc.strerror or exc}",
                          "export_unreadable", file=shown, reason=str(exc.strerror or exc)) from None
    return ExportSource(path, kind, cache_path)


def unpacked_export_around(path: Path) -> Optional[Path]:
    """The unpacked export ``path`` is inside of: a file or folder picked
    within it (``doc_meta/x.json``, ``stash/``, a file at its top) when the
    export was wanted. None otherwise. Two stats at most."""
    from .archive import EXPORT_FOLDERS

    parent = path.parent
    if parent.name in EXPORT_FOLDERS and (parent.parent / "doc_meta").is_dir():
        return parent.parent
    if path.name in EXPORT_FOLDERS and (parent / "doc_meta").is_dir():
        return parent
    if path.is_file() and (parent / "doc_meta").is_dir():
        return parent
    return None


def export_in_folder(folder: Path) -> Optional[Tuple[Path, int]]:
    """The Polar export a folder chosen as the library stands for, and how
    many exports it holds; None when it is a data directory (or holds
    nothing of Polar's: the sync says it has no documents).

    * the folder is an unpacked export (``doc_meta/`` in it: never in a data
      directory; ``tar -xzf`` there, or Linux's file managers): itself,
      unless Polar 1.x documents are in it too (unpacked into ``~/.polar``:
      the data directory it was stays one);
    * else, when no sub-folder is a Polar 1.x document, the latest export
      in it: a sub-folder that is an unpacked export (macOS's Archive
      Utility and 7-Zip unpack into a folder named after the file; a folder
      nested one level deeper) or a file named as Polar names its exports
      (Downloads chosen as the folder). Latest by the date in the name,
      else by modification time. A file still downloading is left out.

    One listing of the folder, stopping at its first document folder."""
    unpacked = (folder / "doc_meta").is_dir()
    found: List[Tuple[Tuple[Any, ...], Path]] = []
    try:
        with os.scandir(folder) as entries:
            for seen, entry in enumerate(entries):
                if seen >= _NEWER_LOOKS:
                    break
                name = entry.name
                if name.startswith("."):
                    continue
                if os.path.isfile(os.path.join(entry.path, "state.json")):
                    return None  # a Polar 1.x data directory (an export unpacked into it too: not read)
                if unpacked:
                    continue
                when = _export_date(name) if name.endswith(".zip") else None
                try:
                    if when is not None and entry.is_file() and entry.stat().st_size > 0:
                        if download_in_progress(Path(entry.path)) is None:
                            found.append(((1,) + when + (entry.stat().st_mtime_ns,), Path(entry.path)))
                    elif entry.is_dir() and os.path.isdir(os.path.join(entry.path, "doc_meta")):
                        date = _export_date(name + ".zip") or ()
                        found.append(((1,) + date if date else (0, os.stat(os.path.join(entry.path, "doc_meta"))
                                                                 .st_mtime_ns), Path(entry.path)))
                except OSError:
                    continue
    except OSError:
        return None
    if unpacked:
        return folder, 1
    if not found:
        return None
    # An export and its unpacked folder beside it (X.zip, X/) are one export,
    # and so is the same export downloaded again (a browser's X (1).zip).
    exports = len({_COPY_NUMBER.sub("", path.name[:-4] if path.name.endswith(".zip") else path.name)
                   for _, path in found})
    return max(found, key=lambda item: (item[0], item[1].name))[1], exports


# How many entries of the export's folder newer_export_beside looks at, at most.
_NEWER_LOOKS = 10_000


def newer_export_beside(path: Path, made_at: Optional[int] = None) -> Optional[Path]:
    """The latest file in ``path``'s folder named as Polar names its
    exports and made (by the date in its name) after ``path`` was; None
    when there is none, or ``path`` is not so named (renamed by its user:
    nothing to compare). A listing of the folder, once a sync.

    ``made_at`` (Unix seconds): when an unpacked export's newest files were
    made; an export made no later is what was unpacked over it (its files
    are dated after the date in its name), not a newer one."""
    # (An unpacked export's folder keeps the name without .zip.)
    mine = _export_date(path.name if path.name.endswith(".zip") else path.name + ".zip")
    if mine is None:
        return None
    if made_at is not None:
        import datetime

        made = datetime.datetime.fromtimestamp(made_at, datetime.timezone.utc)
        mine = max(mine, (made.year, made.month, made.day, made.hour, made.minute, made.second, 999))
    best: Optional[Tuple[Tuple[int, ...], str]] = None
    try:
        with os.scandir(path.parent) as entries:
            for seen, entry in enumerate(entries):
                if seen >= _NEWER_LOOKS:
                    break  # a huge folder (a network share): not worth a sync's time
                name = entry.name
                when = _export_date(name) if name.endswith(".zip") else None
                if when is not None and when > mine and (best is None or when > best[0]):
                    best = (when, name)
    except OSError:
        return None
    if best is None:
        return None
    found = path.parent / best[1]
    try:
        return found if found.is_file() and found.stat().st_size > 0 else None
    except OSError:
        return None


def same_export_elsewhere(path: Path, cache_path: Optional[Path]) -> Optional[Path]:
    """The export read last (the cache beside the sync state says which),
    under another name in the folder of ``path``, which is gone: renamed by
    its user (a rename keeps a file's size and time; an unpacked export's
    folder keeps its files). None when ``path`` is there, or nothing in its
    folder is that export. A listing of the folder, and a digest of what
    matches by size and time; only asked when ``path`` is gone."""
    if cache_path is None:
        return None
    from . import archive
    from .export_cache import cached_identity

    try:
        if path.exists() or not path.parent.is_dir():
            return None
        cached = cached_identity(cache_path)
        if cached is None:
            return None
        ident, kind = cached
        folder = kind == archive.DIR
        size_time = ident.split(":")[:2]
        with os.scandir(path.parent) as entries:
            for seen, entry in enumerate(entries):
                if seen >= _NEWER_LOOKS:
                    break
                try:
                    if folder:
                        if not entry.is_dir(follow_symlinks=False) or not os.path.isdir(
                                os.path.join(entry.path, "doc_meta")):
                            continue
                    else:
                        st = entry.stat(follow_symlinks=False)
                        if not stat.S_ISREG(st.st_mode) or [str(st.st_size), str(st.st_mtime_ns)] != size_time:
                            continue
                    if archive.identity(entry.path) == ident:
                        return Path(entry.path)
                except OSError:
                    continue
    except OSError:
        return None
    return None


def download_in_progress(path: Path) -> Optional[Path]:
    """The browser's file of an unfinished download of ``path``: ``path``
    itself when its name says so, else such a file beside it. A few stats:
    only asked when an export is empty or cut short."""
    if path.name.lower().endswith(_DOWNLOADING):
        return path
    for ending in _DOWNLOADING:
        beside_it = path.with_name(path.name + ending)
        if beside_it.exists():
            return beside_it
    return None


def _downloading(path: Path) -> str:
    """``_still_downloading``'s fact for a SourceError's details: "" (no
    download running), "self" (``path`` is the download) or the partial
    download's name beside it."""
    from .archive import printable

    partial = download_in_progress(path)
    return "" if partial is None else "self" if partial == path else printable(partial.name)


def _still_downloading(path: Path) -> str:
    """The end of a message about an export that is empty or cannot be
    opened: what to do when it is a download still running."""
    from .archive import printable

    partial = download_in_progress(path)
    if partial is None:
        return ""
    if partial == path:
        return "; it is a download not finished yet: try again once the download is done"
    return (f"; its download is not finished ({printable(partial.name)} is beside it): "
            "try again once the download is done")


_EXPORT_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def beside(state_path: Path) -> Path:
    """The export cache file (export_cache) that goes with a sync state file.
    (Here: the GUI names it on Anki's main thread when a sync starts.)"""
    return state_path.with_name(state_path.stem + ".export-cache.sqlite")


def export_needs_reading(path: Path, cache_path: Optional[Path]) -> bool:
    """True when ``path`` is an export a sync would decompress (new, or
    changed since it was last read): worth a progress window. Cheap: a
    stat, two 64 KiB reads and the cache's header. A folder holding an
    export file counts (its latest export is read); an unpacked export does
    not (its records are small files, read in seconds: not worth a stat of
    each here on Anki's main thread)."""
    if not path.is_file() and not path.is_dir():
        return False
    try:
        source = open_source(path, cache_path)
        return isinstance(source, ExportSource) and source.path.is_file() and source.needs_reading()
    except SourceError:
        return False


def find_document(source: Source, key: str) -> Optional[DocumentFile]:
    for doc in source.list_documents():
        if doc.key == key:
            return doc
    return None
