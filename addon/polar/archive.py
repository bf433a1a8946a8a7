"""Reading a Polar export archive in one pass, whatever it is packed as.

Polar 2.x writes its "Export Data" download as a gzip-compressed tar named
``.zip``; a user who unpacked and re-packed it may have a real zip or a
plain tar. :func:`sniff` tells them apart by content, :func:`scan` walks the
members in file order, handing over the bytes only of the members the caller
keeps (small JSON records) and skipping everything else (gigabytes of
PDFs) at I/O speed without holding it.

Nothing is ever written: members are read into memory (up to a per-member
cap) or skipped. Links, devices and names that are absolute or contain
``..`` are refused. A name that is not valid UTF-8 is delivered in its
printable form (:func:`printable`), never as lone surrogates. Damage ends
the walk with one problem naming the member it hit; everything before it
has been delivered.
"""

from __future__ import annotations

import bz2
import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from typing import IO, Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

TAR_GZ = "tar.gz"
TAR = "tar"
ZIP = "zip"
# The export unpacked into a folder (tar -xzf, a file manager, 7-Zip): its
# members are the files of the folders Polar's exporter names them under.
DIR = "dir"
EXPORT_FOLDERS = ("block", "doc_info", "doc_meta", "stash")

# Compressed bytes read per call, and the most decompressed bytes produced
# per call (a highly compressible member must not balloon memory).
CHUNK = 1 << 20
MAX_OUT = 4 << 20
# pax / GNU long-name headers hold a few names; anything larger is damage.
MAX_HEADER_DATA = 1 << 20
BLOCK = 512
PROBE_CHUNK = 16 << 10  # what probe reads at a time

Progress = Callable[[int, int], None]  # (bytes read, total bytes)


class ArchiveError(Exception):
    """The file cannot be read as an archive at all (nothing was delivered).
    The message is English (the CLI, the log); ``why`` names the reason for
    the add-on's window to word (``truncated``, ``checksum``, ``compressed``
    with zlib's own ``detail``, ``no_member``, ``gzip_not_tar``, ``not_tar``,
    ``zip_damaged``, ``no_doc_meta``; "" for a reason it has no words for)."""

    def __init__(self, message: str, why: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.why = why
        self.detail = detail


class Entry(NamedTuple):
    """One member as the walk met it.

    ``data`` is set for kept members that were read; ``problem`` says why a
    member could not be read (``data`` is then None); ``fatal`` marks the
    damage that ended the walk. (A NamedTuple, not a frozen dataclass: an
    export of Polar 3 blocks has a member per block; ~0.5 against 2.2 us.)"""

    name: str
    size: int
    offset: int  # tar: where the data starts in the (uncompressed) tar; zip: local header
    data: Optional[bytes] = None
    crc: int = 0  # zlib.crc32 of data
    problem: str = ""
    fatal: bool = False


Keep = Callable[[str], Optional[int]]  # name -> size cap to read it, or None to skip


def sniff(path: str) -> Optional[str]:
    """``TAR_GZ``, ``ZIP``, ``TAR`` or None, from the first bytes (never the name).

    Raises OSError when the file cannot be read."""
    with open(path, "rb") as fh:
        head = fh.read(BLOCK)
    if head[:2] == b"\x1f\x8b":
        return TAR_GZ
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return ZIP
    if len(head) == BLOCK and _header_checksum_ok(head):
        return TAR
    return None


def identity(path: str, st: Optional[os.stat_result] = None) -> str:
    """Size, modification time and a digest of the first and last 64 KiB:
    enough to know an export was read before without reading it again (a
    gzip ends with the CRC of everything, a zip with its directory)."""
    if os.path.isdir(path):
        return _dir_identity(path)
    st = st or os.stat(path)
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        digest.update(fh.read(65536))
        if st.st_size > 65536:
            fh.seek(max(65536, st.st_size - 65536))
            digest.update(fh.read(65536))
    return f"{st.st_size}:{st.st_mtime_ns}:{digest.hexdigest()}"


def name_problem(name: str) -> str:
    """Why a member name is refused ("" when it is a plain relative path)."""
    if not name or "\x00" in name:
        return "the member has no usable name"
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        return "absolute member names are refused"
    if ".." in name.replace("\\", "/").split("/"):
        return "member names containing '..' are refused"
    return ""


def printable(name: str) -> str:
    """A member name that can be stored and shown anywhere (SQLite, JSON,
    Anki and logs refuse the lone surrogates Python decodes a non-UTF-8
    name's bytes to): such bytes become ``\\xNN``, as data directories'
    folder names do (``library.safe_key``). No other name holds a backslash
    (``normalise`` turned them into ``/``), so two names never become one."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def normalise(name: str) -> str:
    """``./doc_meta//x.json`` (tar -C dir .) and ``doc_meta\\x.json`` (some
    Windows zippers) as ``doc_meta/x.json``."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    while "//" in name:
        name = name.replace("//", "/")
    return name


def probe(path: str, kind: str) -> None:
    """Check the archive can be opened (its first member header reads):
    raises :class:`ArchiveError` otherwise. Reads a few KB at most."""
    try:
        with open(path, "rb") as fh:
            if kind == ZIP:
                _probe_zip(fh)
                return
            stream: _Stream = _GzipStream(fh, PROBE_CHUNK) if kind == TAR_GZ else _PlainStream(fh)
            block = stream.read(BLOCK)
    except (zlib.error, EOFError, _Truncated) as exc:
        raise ArchiveError(f"the archive cannot be opened ({_why(exc)})", *_why_key(exc)) from None
    if len(block) == 0 and kind == TAR_GZ:
        return  # an empty tar.gz: no members
    if len(block) < BLOCK:
        raise ArchiveError("the archive ends before its first member", "no_member")
    if block.count(0) != BLOCK and not _header_checksum_ok(block):
        if kind == TAR_GZ:
            raise ArchiveError("the gzip stream does not hold a tar archive", "gzip_not_tar")
        raise ArchiveError("not a tar archive", "not_tar")


def scan(path: str, kind: str, keep: Keep, progress: Optional[Progress] = None) -> Iterator[Entry]:
    """Every file member in archive order (directories are left out).

    Raises :class:`ArchiveError` when nothing can be read, OSError when the
    file cannot be read; damage after the first member is a ``fatal`` Entry."""
    if kind == DIR:
        yield from _scan_dir(path, keep, progress)
        return
    with open(path, "rb") as fh:
        total = os.fstat(fh.fileno()).st_size
        meter = _Meter(fh, total, progress)
        if kind == ZIP:
            yield from _scan_zip(fh, keep, meter)
        else:
            stream: _Stream = _GzipStream(fh) if kind == TAR_GZ else _PlainStream(fh)
            yield from _scan_tar(stream, keep, meter)
        meter.done()


class _Meter:
    """Calls ``progress`` about every 1 % of the file (and at the end)."""

    def __init__(self, fh: IO[bytes], total: int, progress: Optional[Progress]) -> None:
        self.fh = fh
        self.total = total
        self.progress = progress
        self.step = max(total // 100, CHUNK)
        self.next = 0

    def tick(self) -> None:
        if self.progress is None:
            return
        pos = self.fh.tell()
        if pos >= self.next:
            self.next = pos + self.step
            self.progress(min(pos, self.total), self.total)

    def done(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


# ---------------------------------------------------------------------------
# an unpacked export


def _dir_files(root: str) -> Iterator[Tuple[str, os.DirEntry[str]]]:
    """(member name, entry) of every file an unpacked export holds, in name
    order: only the exporter's folders are looked in (the folder may be
    Downloads itself, after ``tar -xzf`` there), never deeper, never a
    hidden file (macOS's ``._x.json`` beside each file on a FAT disk)."""
    for folder in EXPORT_FOLDERS:
        if os.path.islink(os.path.join(root, folder)):
            continue  # leads out of the export: refused (_scan_dir says so)
        try:
            with os.scandir(os.path.join(root, folder)) as it:
                entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                yield f"{folder}/{printable(entry.name)}", entry


def _dir_identity(root: str) -> str:
    """What tells an unchanged unpacked export without reading it: each
    exporter folder's modification time and sorted file names, and the size
    and modification time of each file but the Polar 3 blocks (tens of
    thousands; a stat each cost 0.36 s a sync at 53,000 files). A block
    written again with its name kept changes its folder's time: tar,
    bsdtar/libarchive and 7-Zip unlink a file in the way before writing it;
    only an edit in place by hand would go unseen (until the folder changes)."""
    digest = hashlib.sha1()
    count = 0
    for folder in EXPORT_FOLDERS:
        path = os.path.join(root, folder)
        if os.path.islink(path):
            digest.update(f"{folder}\0link\0".encode())
            continue
        try:
            mtime = os.stat(path).st_mtime_ns
            if folder == "block":
                names = sorted(name for name in os.listdir(path) if not name.startswith("."))
                entries: List[os.DirEntry[str]] = []
            else:
                # (A DirEntry's stat: on Windows it comes with the listing.)
                with os.scandir(path) as it:
                    entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
                names = [entry.name for entry in entries]
        except (FileNotFoundError, NotADirectoryError):
            continue
        count += len(names)
        digest.update(f"{folder}\0{mtime}\0{len(names)}\0".encode())
        digest.update("\0".join(names).encode("utf-8", "surrogateescape"))
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            digest.update(f"\n{entry.name}\0{st.st_size}\0{st.st_mtime_ns}".encode("utf-8", "surrogateescape"))
    return f"dir2:{count}:{digest.hexdigest()}"


def _scan_dir(root: str, keep: Keep, progress: Optional[Progress]) -> Iterator[Entry]:
    """The files of an unpacked export as members: kept ones read (each a
    file of its own, so a file that cannot be read is its own problem, never
    the end of the walk), the documents' files only stat'ed."""
    if not os.path.isdir(os.path.join(root, "doc_meta")):
        raise ArchiveError("the folder holds no doc_meta folder", "no_doc_meta")
    for folder in EXPORT_FOLDERS:
        if os.path.islink(os.path.join(root, folder)):
            # (A tar holding "doc_meta -> /elsewhere", or a link made by
            # hand: nothing is read outside the export. Its records unread,
            # no document may be taken as deleted; its documents' files are
            # only opened.)
            yield Entry(folder, 0, 0, problem="the folder is a link, which is refused: nothing is read outside "
                        "the export", fatal=folder != "stash")
    files = list(_dir_files(root))
    caps = [keep(name) for name, _ in files]
    sizes = []
    times: Dict[str, int] = {}  # kept file -> its modification time (ns)
    for (name, entry), cap in zip(files, caps):
        try:
            st = entry.stat(follow_symlinks=False) if cap is not None else None
        except OSError:
            st = None
        sizes.append(st.st_size if st is not None else 0)
        if st is not None and stat.S_ISREG(st.st_mode):
            times[name] = st.st_mtime_ns
    leftovers = _leftovers(root, times)
    if leftovers is not None and leftovers.taken:
        # Files of an older export unpacked here before, this export not
        # holding them: what Polar deleted since, as the archive would say.
        keeping = [i for i, (name, _) in enumerate(files) if name not in leftovers.names]
        files, caps, sizes = [files[i] for i in keeping], [caps[i] for i in keeping], [sizes[i] for i in keeping]
    if times:
        # What the files' times say: when the newest were made (the export
        # unpacked last, whatever the folder is named), and any leftovers.
        import json

        said = dict(json.loads(leftovers.said)) if leftovers is not None else {}
        said["newest"] = max(times.values()) // 10**9
        yield Entry(LEFTOVERS, 0, 0, json.dumps(said).encode("utf-8"))
    total, done = sum(sizes), 0
    step, next_at = max(total // 100, CHUNK), 0
    for (name, entry), cap, size in zip(files, caps, sizes):
        if progress is not None and done >= next_at:
            next_at = done + step
            progress(done, total)
        done += size
        try:
            if entry.is_symlink():
                yield Entry(name, 0, 0, problem="links are refused")
                continue
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                yield Entry(name, 0, 0, problem="devices and pipes are refused")
            elif cap is None:
                yield Entry(name, st.st_size, 0)
            elif st.st_size > cap:
                yield Entry(name, st.st_size, 0, problem=f"{st.st_size} bytes, over the {cap}-byte limit; not read")
            else:
                with open(entry.path, "rb") as fh:
                    data = fh.read(cap + 1)
                if len(data) > cap:
                    yield Entry(name, len(data), 0, problem=f"over the {cap}-byte limit; not read")
                else:
                    yield Entry(name, len(data), 0, data, zlib.crc32(data))
        except OSError as exc:
            yield Entry(name, 0, 0, problem=f"cannot read this file: {exc.strerror or exc}")
    # Polar writes and deletes a document's doc_meta and doc_info records
    # together; one without the other is an export unpacked from a download
    # cut short (tar and 7-Zip leave what came before the cut): documents
    # not in it must not be taken as deleted.
    names = {name for name, _ in files}
    missing = sorted(name for name in names if name.startswith("doc_info/") and name.endswith(".json")
                     and "doc_meta/" + name[len("doc_info/"):] not in names)
    if missing and not os.path.islink(os.path.join(root, "doc_meta")):  # (that said above)
        yield Entry(missing[0], 0, 0, fatal=True, problem=(
            f"the unpacked export is incomplete: {missing[0]} has no doc_meta record beside it"
            + (f" (nor have {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; was it unpacked from a download cut short?"))
    if progress is not None:
        progress(total, total)


# The name of the Entry an unpacked export's scan yields about its files'
# times: JSON, "newest" (seconds) and, when an older export left files,
# :attr:`_Leftovers.said`'s keys. No member has it (a name holding NUL is
# refused).
LEFTOVERS = "\x00leftovers"
# Every member of one export is dated within the minute or so Polar's
# exporter (an HTTP cloud function) ran; exports unpacked over one another
# are days apart. A gap this long between two files' times parts two exports.
_EXPORT_GAP_NS = 3600 * 10**9
_DAY_NS = 86400 * 10**9
_RECORD_NAME = re.compile(r"^(doc_meta|doc_info)/(.+)\.json$")


class _Leftovers(NamedTuple):
    names: frozenset  # the records of the documents only older exports hold
    taken: bool  # True: those read as not in this export (deleted in Polar since)
    said: str  # JSON: documents, blocks, dated (YYYY-MM-DD), taken; cut (the archive cut short) when found


def _leftovers(root: str, times: Dict[str, int]) -> Optional[_Leftovers]:
    """Files an older export left in the folder a newer one was unpacked
    over (tar, 7-Zip and file managers write files, never delete them), told
    by the times the exporter gave its members (tar and 7-Zip keep them):
    an export's records are dated within its minute, an older export's
    days before. None when the folder holds one export's files.

    Taken as not in the export only when the newer export was seen to be
    written *over* the older one: a document of the newest files unchanged
    in Polar (``doc_info`` ``lastUpdated``) since a day before the older
    export was dated, whose files an unpack that skips existing files (or a
    sync tool copying only what changed) would have left old. Otherwise the
    older files are read as they are, and only said. A hand edit (one file
    newer than its document's other record) makes no two exports."""
    if not times:
        return None
    ordered = sorted(set(times.values()), reverse=True)
    bound = ordered[0]
    for later, earlier in zip(ordered, ordered[1:]):
        if later - earlier >= _EXPORT_GAP_NS:
            break
        bound = earlier
    old = {name for name, when in times.items() if when < bound}
    if not old:
        return None
    before = max(times[name] for name in old)
    docs: Dict[str, List[bool]] = {}  # id -> is each of its records new
    for name, when in times.items():
        match = _RECORD_NAME.match(name)
        if match is not None:
            docs.setdefault(match.group(2), []).append(when >= bound)
    if any(any(new) and not all(new) for new in docs.values()):
        return None  # a document's two records of two times: an edit, not two exports
    gone = sorted(ident for ident, new in docs.items() if not any(new))
    blocks = sum(1 for name in old if name.startswith("block/"))
    current = [ident for ident, new in docs.items() if all(new)]
    # (Most of a library outlives an export: newest files not more than the
    # older ones are no export written over the folder.) Only documents are
    # taken, never a block file on its own: an unpack of a download cut short
    # after the records leaves the blocks after the cut dated as the older
    # export's, and their cards live.
    looks_deleted = bool(gone) and len(current) > len(gone) and any(
        _unchanged_before(root, ident, before - _DAY_NS) for ident in current)
    # (The archive is looked at whenever the older files would otherwise be
    # taken: a cut is then named, also one the files themselves show.)
    cut = _unpacked_from_a_cut_download(root, bound, ordered[0]) if looks_deleted else None
    taken = looks_deleted and cut is None and _written_whole(root, current, bound, ordered[0])
    names = frozenset(f"{folder}/{ident}.json" for ident in gone for folder in ("doc_meta", "doc_info"))
    import datetime
    import json

    dated = datetime.datetime.fromtimestamp(before / 1e9, datetime.timezone.utc).strftime("%Y-%m-%d")
    said = json.dumps({"documents": len(gone), "blocks": blocks, "dated": dated, "taken": taken,
                       **({"cut": cut} if cut is not None else {})})
    return _Leftovers(names, taken, said)


def _doc_info(root: str, ident: str) -> Any:
    """The document's ``doc_info`` record as read from the folder, or None."""
    import json

    path = os.path.join(root, "doc_info", ident + ".json")
    if os.path.islink(os.path.dirname(path)) or os.path.islink(path):
        return None  # (nothing is read outside the export)
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read(1 << 20))
    except (OSError, ValueError):
        return None


def _written_whole(root: str, current: List[str], bound: int, newest: int) -> bool:
    """True when the newest export's documents' files (``stash/``) were
    all written by its unpack: each one there dated within that export's
    times (a record naming no file there says nothing). An unpack of a download cut short stops
    before the end: the documents' files come last (the exporter reads them
    from storage, slower than the records), so those after the cut keep
    the older export's time, and the one cut in half the time of the unpack
    (tar and 7-Zip date a file only once it is whole). Then the records
    after the cut (whole documents, both records) only *look* like Polar's
    deletions: nothing is taken."""
    from .hashcodes import stash_names

    if os.path.islink(os.path.join(root, "stash")):
        return False  # (said as a problem of its own)
    for ident in current:
        record = _doc_info(root, ident)
        if not isinstance(record, dict) or not isinstance(record.get("value"), dict):
            continue
        for name in stash_names(str(record.get("uid") or ""), record["value"]):
            try:
                st = os.lstat(os.path.join(root, *name.split("/")))
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or not bound <= st.st_mtime_ns < newest + _EXPORT_GAP_NS:
                return False
            break
    return True


# How many entries of the folder _unpacked_from_a_cut_download looks at, at most.
_ARCHIVE_LOOKS = 10_000


def _unpacked_from_a_cut_download(root: str, bound: int, newest: int) -> Optional[str]:
    """The name (printable) of the archive the newest files were unpacked
    from, when it lies in the folder itself (``tar -xzf`` run in Downloads;
    named as Polar names exports, dated by its name within those files'
    times) and is cut short: its gzip stream ends before its end, or its tar
    lacks the end-of-archive blocks, or the browser's file of it is still an
    unfinished download; else None. A cut that fell exactly between two
    members leaves every file written whole and dated as the export's, so
    only the archive tells that the records after the cut (whole documents)
    are missing, not deleted in Polar. The folder above is not looked at:
    nothing outside the folder the user chose is read, so an archive there
    (the usual unpack into a folder of its own) says nothing, and the older
    files' cards are suspended as before, which is reversible. Cost: one
    listing and, per archive found, one pass through it (decompressed, not
    kept); only asked when older files would be taken as deleted, once per
    change of the folder."""
    import datetime

    from .export_names import DOWNLOADING, export_date

    low, high = bound // 10**9 - _EXPORT_GAP_NS // 10**9, newest // 10**9 + _EXPORT_GAP_NS // 10**9
    try:
        with os.scandir(root) as it:
            entries = [entry for _, entry in zip(range(_ARCHIVE_LOOKS), it)]
    except OSError:
        return None
    for entry in entries:
        name, unfinished = entry.name, False
        for ending in DOWNLOADING:
            if name.lower().endswith(ending):
                name, unfinished = name[: -len(ending)], True
                break
        date = export_date(name)
        if date is None:
            continue
        try:
            year, month, day, hour, minute, second = date[:6]
            made = datetime.datetime(year, month, day, hour, minute, second,
                                     tzinfo=datetime.timezone.utc).timestamp()
            if not low <= made <= high or not entry.is_file(follow_symlinks=False):
                continue
            if unfinished:
                return printable(entry.name)
            kind = sniff(entry.path)
            if kind is not None and any(e.fatal for e in scan(entry.path, kind, lambda member: None)):
                return printable(entry.name)
        except ArchiveError:
            return printable(entry.name)
        except (OSError, ValueError, OverflowError):
            continue
    return None


def _unchanged_before(root: str, ident: str, when_ns: int) -> bool:
    """True when the document's ``doc_info`` record says it was last
    changed in Polar before ``when_ns``."""
    import datetime

    record = _doc_info(root, ident)
    try:
        value = record.get("value") if isinstance(record, dict) else None
        stamps = [value.get(key) for key in ("added", "lastUpdated")] if isinstance(value, dict) else []
        latest = max(datetime.datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc) for stamp in stamps if isinstance(stamp, str))
    except (OSError, ValueError, TypeError):
        return False
    return latest.timestamp() * 1e9 < when_ns


def _why(exc: BaseException) -> str:
    why, detail = _why_key(exc)
    if why == "checksum":
        return "the gzip checksum does not match"
    if why == "compressed":
        return f"corrupt compressed data: {detail}"
    if why == "truncated":
        return "the archive is truncated"
    return str(exc) or type(exc).__name__


def _why_key(exc: BaseException) -> Tuple[str, str]:
    """``_why``'s reason as :class:`ArchiveError`'s ``why`` and ``detail``."""
    if isinstance(exc, zlib.error):
        text = str(exc)
        if "incorrect data check" in text or "incorrect length check" in text:
            return "checksum", ""
        return "compressed", text.split(":", 1)[-1].strip()
    if isinstance(exc, (EOFError, _Truncated)):
        return "truncated", ""
    return "", ""


# ---------------------------------------------------------------------------
# byte streams under the tar reader


class _Truncated(Exception):
    pass


class _Stream:
    """Sequential bytes with a position: ``read`` and ``skip`` only."""

    pos = 0

    def read(self, n: int) -> bytes:
        raise NotImplementedError

    def skip(self, n: int) -> None:
        """Discard exactly ``n`` bytes; raises _Truncated at the end."""
        raise NotImplementedError

    def rest_is_zeros(self) -> bool:
        """Read to the end: True when nothing but zero bytes follows."""
        raise NotImplementedError


class _PlainStream(_Stream):
    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.size = os.fstat(fh.fileno()).st_size

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        self.pos += len(data)
        return data

    def skip(self, n: int) -> None:
        if self.pos + n > self.size:
            self.fh.seek(self.size)
            self.pos = self.size
            raise _Truncated()
        self.pos += n
        self.fh.seek(self.pos)

    def rest_is_zeros(self) -> bool:
        while True:
            data = self.fh.read(CHUNK)
            if not data:
                return True
            if data.count(0) != len(data):
                return False


class _GzipStream(_Stream):
    """A gzip file (any number of members) inflated on the fly.

    The header and trailer are handled here, not by zlib, so that damage
    costs as little as possible: output inflated before a corrupt spot is
    still delivered, and a checksum mismatch is raised only after all of the
    member's data was (the caller then knows what it got)."""

    def __init__(self, fh: IO[bytes], chunk: int = CHUNK) -> None:
        self.fh = fh
        # Bytes read (and inflated at most) at a time: a scan's 1 MiB; a
        # probe needs one 512-byte header (every unchanged export's resync
        # probes: a full chunk cost ~5 ms of it).
        self.chunk = chunk
        self.max_out = min(MAX_OUT, 4 * chunk)
        self.buf = b""
        self.i = 0
        self.pending = b""  # input not yet given to a decompressor
        self.d: Optional[Any] = None  # None: a member header comes next
        self.crc = 0
        self.isize = 0
        self.error: Optional[BaseException] = None  # raised once the output before it is used

    def _fill(self, n: int) -> bool:
        while len(self.pending) < n:
            raw = self.fh.read(self.chunk)
            if not raw:
                return False
            self.pending += raw
        return True

    def _start_member(self) -> bool:
        """Parse a gzip member header; False at a clean end of the file."""
        self._fill(10)
        head = self.pending
        if not head or (head.count(0) == len(head) and not self.fh.read(self.chunk).strip(b"\x00")):
            return False  # the end (maybe zero padding)
        if head[:2] != b"\x1f\x8b":
            raise zlib.error("Error -3: data after the end of the gzip stream")
        if len(head) < 10:
            raise _Truncated()
        if head[2] != 8:
            raise zlib.error(f"Error -3: unknown gzip compression method {head[2]}")
        flags = head[3]
        pos = 10
        if flags & 4:  # FEXTRA
            if not self._fill(pos + 2):
                raise _Truncated()
            pos += 2 + struct.unpack("<H", self.pending[pos:pos + 2])[0]
        for flag in (8, 16):  # FNAME, FCOMMENT: zero-terminated
            if flags & flag:
                while True:
                    end = self.pending.find(b"\x00", pos)
                    if end >= 0:
                        pos = end + 1
                        break
                    if len(self.pending) > MAX_HEADER_DATA or not self._fill(len(self.pending) + 1):
                        raise _Truncated()
        if flags & 2:  # FHCRC
            pos += 2
        if not self._fill(pos):
            raise _Truncated()
        self.pending = self.pending[pos:]
        self.d = zlib.decompressobj(-15)
        self.crc = self.isize = 0
        return True

    def _more(self) -> bytes:
        """The next piece of inflated data; b"" at the end of the file."""
        if self.error is not None:
            raise self.error
        while True:
            if self.d is None and not self._start_member():
                return b""
            d = self.d
            assert d is not None
            data = d.unconsumed_tail
            if not data:
                data, self.pending = self.pending or self.fh.read(self.chunk), b""
                if not data:
                    raise _Truncated()
            saved = d.copy()
            try:
                out = d.decompress(data, self.max_out)
            except zlib.error as exc:
                out = _salvage(saved, data)
                self.error = exc
                if not out:
                    raise
                return out
            self.crc = zlib.crc32(out, self.crc)
            self.isize += len(out)
            if d.eof:
                self.pending = d.unused_data
                if not self._fill(8):
                    self.error = _Truncated()
                else:
                    crc, isize = struct.unpack("<2L", self.pending[:8])
                    self.pending = self.pending[8:]
                    self.d = None
                    if crc != self.crc or isize != self.isize & 0xFFFFFFFF:
                        self.error = zlib.error("Error -3: incorrect data check")
                if not out and self.error is not None:
                    raise self.error
            if out:
                return out

    def read(self, n: int) -> bytes:
        avail = len(self.buf) - self.i
        if avail >= n:
            data = self.buf[self.i:self.i + n]
            self.i += n
            self.pos += n
            return data
        parts = [self.buf[self.i:]]
        got = avail
        self.buf, self.i = b"", 0
        while got < n:
            more = self._more()
            if not more:
                break
            if got + len(more) > n:
                take = n - got
                parts.append(more[:take])
                self.buf, self.i = more, take
                got = n
                break
            parts.append(more)
            got += len(more)
        self.pos += got
        return b"".join(parts)

    def skip(self, n: int) -> None:
        avail = len(self.buf) - self.i
        if avail >= n:
            self.i += n
            self.pos += n
            return
        left = n - avail
        self.pos += avail
        self.buf, self.i = b"", 0
        while left:
            more = self._more()
            if not more:
                raise _Truncated()
            if len(more) > left:
                self.buf, self.i = more, left
                self.pos += left
                return
            left -= len(more)
            self.pos += len(more)

    def rest_is_zeros(self) -> bool:
        clean = self.buf.count(0, self.i) == len(self.buf) - self.i
        self.buf, self.i = b"", 0
        while True:
            more = self._more()
            if not more:
                return clean
            if clean and more.count(0) != len(more):
                clean = False  # keep reading: the gzip checksum is at the very end


def _salvage(d: Any, data: bytes) -> bytes:
    """Inflate ``data`` in small steps up to the spot zlib rejects: the
    output before it (lost when the whole chunk fails at once)."""
    out = []
    total = 0
    for start in range(0, len(data), 512):
        try:
            piece = d.decompress(data[start:start + 512])
        except zlib.error:
            break
        out.append(piece)
        total += len(piece)
        if total > 4 * MAX_OUT:
            break  # a bomb: what is left of it does not matter
    return b"".join(out)


# ---------------------------------------------------------------------------
# tar


def _header_checksum_ok(block: bytes) -> bool:
    try:
        stored = int(block[148:156].split(b"\x00", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    # The sum of the bytes, the checksum field counted as spaces (8 x 32).
    # Adler-32's first half is 1 + the sum of the bytes mod 65521, exact for
    # 256 bytes (at most 65,280): the sum of each half in C, ~15x faster
    # than sum() (an export of Polar 3 blocks has a member per block).
    unsigned = (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2 \
        - sum(block[148:156]) + 256
    if stored == unsigned:
        return True
    signed = sum(struct.unpack("148b", block[:148])) + 256 + sum(struct.unpack("356b", block[156:]))
    return stored == signed


def _text(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256 for sizes over 8 GiB
        value = int.from_bytes(field[1:], "big")
        return value if field[0] == 0x80 else value - (1 << (8 * (len(field) - 1)))
    text = field.split(b"\x00", 1)[0].strip()
    return int(text, 8) if text else 0


def _pax_records(data: bytes) -> Dict[str, str]:
    """``"<len> key=value\\n"`` records; malformed ones end the parse."""
    out: Dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            break
        if length <= 0 or pos + length > len(data):
            break
        record = data[space + 1:pos + length - 1]
        key, sep, value = record.partition(b"=")
        if sep:
            out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


_REGULAR = (b"0", b"\x00", b"7")
_LINKS = (b"1", b"2")
_DEVICES = (b"3", b"4", b"6")


def _scan_tar(stream: _Stream, keep: Keep, meter: _Meter) -> Iterator[Entry]:
    last = ""  # the last member read whole
    current = ""  # the member whose data is being read or skipped
    long_name: Optional[str] = None
    pax: Dict[str, str] = {}
    try:
        while True:
            meter.tick()
            current = ""
            start = stream.pos
            block = stream.read(BLOCK)
            if not block and start == 0:
                return  # empty archive
            if len(block) < BLOCK:
                raise _Truncated()
            if block[0] == 0 and block.count(0) == BLOCK:  # (a header starts with its name)
                # End of archive (zero blocks). Everything after must be zero
                # too: otherwise a member lied about its size and the walk
                # landed on zeros inside some document.
                if not stream.rest_is_zeros():
                    yield _damage(last, "data follows the end of the tar archive (a member's size is wrong?)")
                return
            if not _header_checksum_ok(block):
                yield _damage(last, f"no valid tar header at byte {start} (a member's size is wrong, or the "
                                    "archive is corrupt); members after it are missing")
                return
            try:
                size = _number(block[124:136])
            except ValueError:
                size = -1
            if size < 0:
                yield _damage(last, f"the tar header at byte {start} has no valid size")
                return
            kind = block[156:157]
            name = _text(block[0:100])
            if block[345] and block[257:263] == b"ustar\x00" and kind not in (b"L", b"K"):  # a prefix
                prefix = _text(block[345:500])
                if prefix:
                    name = prefix + "/" + name
            if kind in (b"x", b"g", b"L", b"K"):
                if size > MAX_HEADER_DATA:
                    yield _damage(last, f"the tar header at byte {start} announces {size} bytes of names")
                    return
                data = stream.read(size + (-size % BLOCK))[:size]
                if len(data) < size:
                    raise _Truncated()
                if kind == b"x":
                    pax.update(_pax_records(data))
                elif kind == b"L":
                    long_name = _text(data)
                continue  # "g" (global) and "K" (long link name) do not matter here
            if long_name is not None:
                name = long_name
            if "path" in pax:
                name = pax["path"]
            if "size" in pax:
                try:
                    size = int(pax["size"])
                except ValueError:
                    size = -1
                if size < 0:
                    yield _damage(last, f"the pax header of {printable(name)!r} has no valid size")
                    return
            long_name = None
            if pax:
                pax = {}
            padded = size + (-size % BLOCK)
            data_at = stream.pos
            name = normalise(name)
            # Judged as it is (its \\xNN form could start with a backslash),
            # then named only by its printable form from here on.
            refusal = name_problem(name)
            name = printable(name)
            current = name
            if kind == b"5" or (kind in (b"0", b"\x00") and name.endswith("/")):
                stream.skip(padded)  # a directory
                continue
            if not refusal and kind in _LINKS:
                refusal = "links are refused"
            elif not refusal and kind in _DEVICES:
                refusal = "devices and pipes are refused"
            elif not refusal and kind not in _REGULAR:
                refusal = f"unsupported tar member type {kind.decode('latin-1')!r}"
            cap = None if refusal else keep(name)
            if refusal:
                stream.skip(padded)
                yield Entry(name, size, data_at, problem=refusal)
            elif cap is None:
                stream.skip(padded)
                yield Entry(name, size, data_at)
            elif size > cap:
                stream.skip(padded)
                yield Entry(name, size, data_at, problem=f"{size} bytes, over the {cap}-byte limit; not read")
            else:
                data = stream.read(size)
                if len(data) < size:
                    raise _Truncated()
                stream.skip(padded - size)
                yield Entry(name, size, data_at, data, zlib.crc32(data))
            last = name
    except (_Truncated, EOFError):
        yield _damage(last, "the archive is truncated; members after this point are missing", current)
    except zlib.error as exc:
        why = _why(exc)
        if "checksum" in why:
            yield _damage(last, "the gzip checksum does not match: some member may be damaged", current)
        else:
            yield _damage(last, f"{why}; members after this point are missing", current)


def _damage(after: str, message: str, inside: str = "") -> Entry:
    """The damage that ends a walk: named after the member it hit, when
    that is known, else after the last member read whole."""
    if inside:
        return Entry(inside, 0, 0, problem=f"archive damaged inside this member: {message}", fatal=True)
    where = f"after {after}" if after else "at the start"
    return Entry("", 0, 0, problem=f"archive damaged {where}: {message}", fatal=True)


# ---------------------------------------------------------------------------
# zip


def _probe_zip(fh: IO[bytes]) -> None:
    try:
        zipfile.ZipFile(fh).close()
        return
    except (zipfile.BadZipFile, EOFError, ValueError):
        pass
    # No usable central directory: readable only if the first entry is.
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(0)
    header = fh.read(30)
    if len(header) == 30 and header[:4] == b"PK\x03\x04":
        _sig, _ver, flags, method, _t, _d, _crc, csize, _usize, nlen, xlen = _LOCAL.unpack(header)
        end = 30 + nlen + xlen + (0 if flags & 0x8 else csize)
        if 0 < nlen and end <= size and method in _SUPPORTED and name_problem(
                fh.read(nlen).decode("utf-8", "replace")) == "":
            return
    raise ArchiveError("the zip is damaged: neither its directory nor its first entry can be read", "zip_damaged")


try:
    from lzma import LZMAError as _LZMA_ERROR
except ImportError:  # pragma: no cover - a Python built without lzma
    _LZMA_ERROR = zlib.error  # type: ignore[misc,assignment]

_SUPPORTED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _scan_zip(fh: IO[bytes], keep: Keep, meter: _Meter) -> Iterator[Entry]:
    try:
        zf = zipfile.ZipFile(fh)
    except UnicodeDecodeError:
        # A directory whose names are flagged UTF-8 but are not (some
        # Windows zippers): zipfile refuses it, yet it is whole.
        fh.seek(0)
        yield from _scan_zip_local(fh, keep, meter, directory_whole=True)
        return
    except (zipfile.BadZipFile, EOFError, ValueError):
        fh.seek(0)
        yield from _scan_zip_local(fh, keep, meter)
        return
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.header_offset):
            if info.is_dir():
                continue
            name = normalise(info.filename)
            refusal = name_problem(name)
            mode = info.external_attr >> 16
            # Unix zips carry the file type (many writers leave it 0: a file).
            if not refusal and info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                refusal = "links are refused" if stat.S_ISLNK(mode) else "only plain files are read"
            cap = None if refusal else keep(name)
            if refusal:
                yield Entry(name, info.file_size, info.header_offset, problem=refusal)
                continue
            if cap is None:
                yield Entry(name, info.file_size, info.header_offset)
                continue
            fh.seek(info.header_offset)
            meter.tick()
            problem = _zip_refusal(info.flag_bits, info.compress_type, info.file_size, cap)
            if problem:
                yield Entry(name, info.file_size, info.header_offset, problem=problem)
                continue
            try:
                with zf.open(info) as member:
                    data = member.read(cap + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                    ValueError, _LZMA_ERROR) as exc:
                yield Entry(name, info.file_size, info.header_offset, problem=_zip_why(exc))
                continue
            if len(data) > cap:
                yield Entry(name, info.file_size, info.header_offset,
                            problem=f"over the {cap}-byte limit; not read")
                continue
            if len(data) != info.file_size:
                yield Entry(name, info.file_size, info.header_offset,
                            problem=f"the entry says it holds {info.file_size} bytes but has {len(data)} "
                                    "(damaged); not read")
                continue
            yield Entry(name, len(data), info.header_offset, data=data, crc=zlib.crc32(data))


def _zip_refusal(flags: int, method: int, size: int, cap: int) -> str:
    if flags & 0x1:
        return "the entry is encrypted; not read"
    if method not in _SUPPORTED:
        return f"compression method {method} is not supported; not read"
    if size > cap:
        return f"{size} bytes, over the {cap}-byte limit; not read"
    return ""


def _zip_why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "Bad CRC-32" in text:
        return "the entry's checksum does not match (damaged); not read"
    if isinstance(exc, EOFError):
        return "the entry is shorter than its stated size (damaged); not read"
    return f"cannot read the entry ({text}); not read"


_LOCAL = struct.Struct("<4s5H3L2H")  # signature .. extra length: 30 bytes


def _scan_zip_local(fh: IO[bytes], keep: Keep, meter: _Meter, directory_whole: bool = False) -> Iterator[Entry]:
    """Entries from their local headers, front to back: for a zip whose
    central directory is damaged or missing (a truncated download), or
    whole but unreadable to ``zipfile`` (``directory_whole``: names flagged
    UTF-8 that are not), where reaching the directory is a normal end."""
    last = ""
    pos = 0
    while True:
        meter.tick()
        fh.seek(pos)
        header = fh.read(30)
        if header[:4] in (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06"):
            if directory_whole:
                return
            # Every entry was seen, but the directory that lists them is
            # broken: no sync may take a document as deleted from this.
            yield _damage(last, "the zip's central directory is damaged (entries were read from their "
                                "local headers)")
            return
        if len(header) < 30:
            yield _damage(last, "the zip is truncated here and has no central directory; entries after "
                                "this point are missing")
            return
        sig, _ver, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack(header)
        if sig != b"PK\x03\x04":
            yield _damage(last, f"the zip's central directory is damaged and no entry header follows at "
                                f"byte {pos}; entries after this point may be missing")
            return
        raw_name = fh.read(nlen)
        extra = fh.read(xlen)
        if len(raw_name) < nlen or len(extra) < xlen:
            yield _damage(last, "the archive is truncated here; entries after it are missing")
            return
        # Undecodable bytes kept apart (not all made U+FFFD: two names would
        # become one, and one record would hide the other).
        name = normalise(raw_name.decode("utf-8", "surrogateescape") if flags & 0x800 else raw_name.decode("cp437"))
        if csize == 0xFFFFFFFF or usize == 0xFFFFFFFF:
            usize, csize = _zip64_sizes(extra, usize, csize)
        data_at = pos + 30 + nlen + xlen
        refusal = name_problem(name)
        name = printable(name)
        cap = None if refusal or name.endswith("/") else keep(name)
        problem = refusal or (_zip_refusal(flags, method, usize, cap) if cap is not None else "")
        data: Optional[bytes] = None
        fh.seek(data_at)
        if flags & 0x8 and csize == 0:
            # Sizes follow the data: only deflate marks its own end.
            if method != zipfile.ZIP_DEFLATED:
                yield _damage(last, f"cannot find where {name!r} ends without the central directory")
                return
            inflated = _inflate(fh, None if problem else cap)
            if inflated is None:
                yield _damage(last, "the archive is truncated or corrupt here; entries after it are missing")
                return
            csize, data, usize = inflated
        elif cap is not None and not problem:
            packed = fh.read(csize)
            if len(packed) < csize:
                yield _damage(last, "the archive is truncated here; entries after it are missing")
                return
            try:
                data = _decompress(method, packed, cap)
            except (zlib.error, OSError, EOFError, ValueError) as exc:
                problem = _zip_why(exc)
        pos = data_at + csize
        if flags & 0x8:
            length, crc = _descriptor(fh, pos)
            pos += length
        if data is not None and not problem:
            if len(data) > (cap or 0):
                problem = f"over the {cap}-byte limit; not read"
            elif zlib.crc32(data) != crc:
                problem = "the entry's checksum does not match (damaged); not read"
        if not name.endswith("/"):
            if problem:
                yield Entry(name, usize, data_at, problem=problem)
            else:
                yield Entry(name, usize, data_at, data=data, crc=zlib.crc32(data) if data is not None else 0)
        last = name


def _zip64_sizes(extra: bytes, usize: int, csize: int) -> Tuple[int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack("<2H", extra[pos:pos + 4])
        if tag == 1:
            fields = extra[pos + 4:pos + 4 + length]
            values = [struct.unpack("<Q", fields[i:i + 8])[0] for i in range(0, len(fields) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            break
        pos += 4 + length
    return usize, csize


def _descriptor(fh: IO[bytes], at: int) -> Tuple[int, int]:
    """(length, crc) of the data descriptor at ``at`` (signature optional)."""
    fh.seek(at)
    head = fh.read(8)
    if head[:4] == b"PK\x07\x08":
        return 16, struct.unpack("<L", head[4:8])[0] if len(head) == 8 else 0
    return 12, struct.unpack("<L", head[:4])[0] if len(head) >= 4 else 0


def _inflate(fh: IO[bytes], cap: Optional[int]) -> Optional[Tuple[int, Optional[bytes], int]]:
    """Inflate a raw deflate stream from the current position to its end:
    (compressed size, the data when kept and within ``cap``, its size)."""
    d = zlib.decompressobj(-15)
    consumed = produced = 0
    parts: Optional[List[bytes]] = [] if cap is not None else None
    try:
        while not d.eof:
            if d.unconsumed_tail:
                raw = d.unconsumed_tail
            else:
                raw = fh.read(CHUNK)
                if not raw:
                    return None
                consumed += len(raw)
            out = d.decompress(raw, MAX_OUT)
            produced += len(out)
            if parts is not None:
                if cap is not None and produced > cap:
                    parts = None  # too big: its size is still needed, not its bytes
                else:
                    parts.append(out)
    except zlib.error:
        return None
    consumed -= len(d.unused_data)
    return consumed, (b"".join(parts) if parts is not None else None), produced


def _decompress(method: int, packed: bytes, cap: int) -> bytes:
    if method == zipfile.ZIP_STORED:
        return packed
    if method == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-15)
        data = d.decompress(packed, cap + 1)
        if not d.eof and len(data) <= cap:
            raise EOFError("the compressed data ends early")
        return data
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor().decompress(packed, cap + 1)
    raise ValueError(f"compression method {method} is not supported without the central directory")
