"""What one read of a Polar export found, kept so it is never read twice.

An export is gigabytes of documents around a few MB of records. The first
sync streams it once (``archive.scan``) and stores here the records it needs
(``doc_meta`` and ``doc_info`` JSON, zlib-compressed), where each stash file
sits, what the sync needs of Polar 3's annotation ``block/`` records (flashcards,
highlights, documents; not its notes) grouped by document, and the problems met; a later sync of the same file (same
size, mtime and head/tail digest) reads only this. It is only ever a cache: deleting it
costs one more read of the export.

The file is SQLite, written under a temporary name and renamed into place,
so a sync killed mid-read leaves the previous cache (or none), never half of
one. Each lookup opens its own short connection, so nothing stays open
between syncs (Windows could not replace a file held open).
"""

from __future__ import annotations

import os
import sqlite3
import struct
import zlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

FORMAT = "2"
# What a cache's block groups hold: "3" since they keep the comments on
# highlights (``markdown`` blocks under a document's highlight blocks). A
# cache with block groups written before (no key) is read again from the
# export once: its groups lack the comments, and merge would take the
# DocMeta's comments on every copied highlight as deleted in Polar 3. A
# cache without block groups (an export with no document block, so no
# comment on one) stays valid.
BLOCKS_FORMAT = "3"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    name TEXT PRIMARY KEY,      -- archive member, e.g. doc_meta/<id>.json
    fingerprint TEXT NOT NULL,  -- the document's docInfo.fingerprint, "" if not found
    size INTEGER NOT NULL,
    crc INTEGER NOT NULL,       -- zlib.crc32 of the member's bytes
    data BLOB NOT NULL          -- zlib-compressed bytes
);
-- The listing without the bytes: an unchanged export's resync reads only this
-- (a scan of the table itself visits a page of every record: ~8 against ~3 ms
-- for 2,000 records). Caches written before it have no such index and are
-- read as they are.
CREATE INDEX records_listing ON records (name, fingerprint, size, crc);
CREATE TABLE bodies (name TEXT PRIMARY KEY, size INTEGER NOT NULL, offset INTEGER NOT NULL);
CREATE TABLE problems (seq INTEGER PRIMARY KEY, name TEXT NOT NULL, message TEXT NOT NULL, fatal INTEGER NOT NULL);
-- The fingerprint an earlier export gave a doc_meta id that this one cannot
-- tell (its record unreadable, no doc_info record): without it the document
-- would look gone. Caches written before it have no such table.
CREATE TABLE known (id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
-- Polar 3's annotation blocks (block/<id>.json whose content is a flashcard,
-- a highlight or a document), one row per document: its fingerprint (the one
-- they name, content.docID, else their root document block's; "" if neither),
-- how many, the sum of their members' sizes, their zlib.crc32s ('<I' each, in
-- member-name order), how many are flashcards, and their reduced records
-- (polar.blocks.digest; the comments, markdown blocks whose root is the
-- document's block, too: digest_note) as one JSON array, zlib-compressed. A
-- resync reads the listing only: a row per document, not per block. Caches written before it
-- have none (or a per-block "blocks" table): see load.
CREATE TABLE block_groups (
    fingerprint TEXT PRIMARY KEY, blocks INTEGER NOT NULL, size INTEGER NOT NULL, crcs BLOB NOT NULL,
    flashcards INTEGER NOT NULL, data BLOB NOT NULL
);
"""


class Record(NamedTuple):
    """A record's listing. A NamedTuple: an unchanged export's resync loads
    one per record (~2,000 for 1,000 documents) before anything else."""

    name: str
    fingerprint: str
    size: int
    crc: int


_new_record = partial(tuple.__new__, Record)  # from a row, in C (every field, in order)


class BlockGroup(NamedTuple):
    """The kept ``block/`` records of one document (docs/dev-notes/blocks.md)."""

    fingerprint: str  # the document's (content.docID, else the root document block's), "" if none
    blocks: int
    size: int  # the sum of the members' sizes
    crcs: bytes  # the members' zlib.crc32s, '<I' each, in member-name order
    flashcards: int


_new_group = partial(tuple.__new__, BlockGroup)


@dataclass(frozen=True)
class Problem:
    name: str  # member, or "" for the archive as a whole
    message: str
    fatal: bool = False


@dataclass
class Snapshot:
    """The listing of one export: records (without their bytes), stash
    files and problems. Bytes are fetched one record at a time."""

    identity: str
    kind: str
    complete: bool = True  # False: damage ended the read early
    records: Dict[str, Record] = field(default_factory=dict)
    bodies: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # name -> (size, offset)
    problems: List[Problem] = field(default_factory=list)
    known: Dict[str, str] = field(default_factory=dict)  # doc_meta id -> fingerprint remembered
    # Flashcards held as Polar 3 blocks (all of them, read or not). A cache
    # written before the count says 0 (meta key absent).
    block_flashcards: int = 0
    block_groups: Dict[str, BlockGroup] = field(default_factory=dict)  # fingerprint -> its kept blocks
    # An unpacked export's files left from an older export unpacked there
    # (archive._leftovers: JSON), "" when none (or a cache written before).
    leftovers: str = ""
    path: Optional[Path] = None  # the cache file; None: bytes held in memory
    _memory: Dict[str, bytes] = field(default_factory=dict, repr=False)
    _memory_groups: Dict[str, bytes] = field(default_factory=dict, repr=False)

    def read(self, name: str) -> bytes:
        return self.read_with_blocks(name, None)[0]

    def read_with_blocks(self, name: str, fingerprint: Optional[str]) -> Tuple[bytes, bytes]:
        """The bytes of record ``name`` and the reduced records of the blocks
        grouped under ``fingerprint`` (a JSON array; b"" when None), through
        one connection."""
        if self.path is None:
            packed = self._memory.get(name)
            group = self._memory_groups.get(fingerprint) if fingerprint is not None else b""
        else:
            try:
                con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                try:
                    row = con.execute("SELECT data FROM records WHERE name = ?", (name,)).fetchone()
                    packed = row[0] if row else None
                    group = b""
                    if fingerprint is not None:
                        row = con.execute("SELECT data FROM block_groups WHERE fingerprint = ?",
                                          (fingerprint,)).fetchone()
                        group = row[0] if row else None
                finally:
                    con.close()
            except sqlite3.Error as exc:
                raise OSError(f"the export cache {self.path.name} cannot be read: {exc}") from None
        if packed is None:
            raise FileNotFoundError(f"{name} is not in the export cache")
        if group is None:
            raise FileNotFoundError(f"the blocks of {fingerprint} are not in the export cache")
        return zlib.decompress(packed), zlib.decompress(group) if group else b""


def storable(text: str) -> str:
    """``text`` as SQLite (and the report, and Anki) can hold it: a lone
    surrogate (an escaped ``\\udcXX`` in a record's JSON, a name not
    decoded by the archive reader, which delivers printable ones) written
    as a backslash escape instead of failing the whole write (it once failed
    the sync: "surrogates not allowed")."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class Writer:
    """Builds a :class:`Snapshot` while an export is read; ``finish``
    publishes it (atomically replacing the cache file, when there is one)."""

    def __init__(self, identity: str, kind: str, path: Optional[Path]) -> None:
        self.snapshot = Snapshot(identity, kind, path=path)
        self._tmp: Optional[Path] = None
        self._con: Optional[sqlite3.Connection] = None
        # Kept blocks until they are grouped (finish): name -> (fingerprint,
        # root when no fingerprint, id of a document block, size, crc,
        # flashcard, reduced record).
        self._staged: Dict[str, Tuple[str, str, str, int, int, bool, bytes]] = {}
        self._fingerprints: Dict[str, str] = {}
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
            self._tmp.unlink(missing_ok=True)
            self._con = sqlite3.connect(str(self._tmp))
            self._con.execute("PRAGMA journal_mode = OFF")
            self._con.execute("PRAGMA synchronous = OFF")  # fsync'd once, before the rename
            self._con.executescript(_SCHEMA)

    def record(self, name: str, fingerprint: str, data: bytes, crc: int) -> None:
        name, fingerprint = storable(name), storable(fingerprint)
        packed = zlib.compress(data, 1)
        self.snapshot.records[name] = Record(name, fingerprint, len(data), crc)
        if self._con is None:
            self.snapshot._memory[name] = packed
        else:
            self._con.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)",
                              (name, fingerprint, len(data), crc, packed))

    def body(self, name: str, size: int, offset: int) -> None:
        self.snapshot.bodies[storable(name)] = (size, offset)

    def problem(self, name: str, message: str, fatal: bool = False) -> None:
        self.snapshot.problems.append(Problem(storable(name), storable(message), fatal))
        if fatal:
            self.snapshot.complete = False

    def block(self, name: str, ident: str, kind: str, fingerprint: str, root: str, record: bytes, size: int,
              crc: int) -> None:
        """A ``block/`` record kept (an annotation or a document block):
        ``record`` is what the sync needs of it (``polar.blocks.digest``),
        ``size`` and ``crc`` the member's. Held until ``finish`` groups
        them by document (~0.5 KB a block; the listing it replaces held as
        much for as long as the snapshot lived)."""
        if not (name.isascii() and ident.isascii() and fingerprint.isascii() and root.isascii()):
            name, ident, kind = storable(name), storable(ident), storable(kind)
            fingerprint, root = storable(fingerprint), storable(root)
        flashcard = kind == "annotation-flashcard"
        if flashcard:
            self.snapshot.block_flashcards += 1
        fingerprint = self._fingerprints.setdefault(fingerprint, fingerprint)  # one string per document
        self._staged.pop(name, None)  # (a name met twice: the last one, as a replaced row)
        self._staged[name] = (fingerprint, "" if fingerprint else root, ident if kind == "document" else "",
                              size, crc, flashcard, record)

    def _comments(self, notes: List[Tuple[bytes, str, bytes, int]], documents: Dict[str, str],
                  groups: Dict[str, List[Tuple[str, int, int, bool, bytes]]]) -> None:
        """Of the note blocks held while the export was read (``notes``:
        root block id, member name, record, crc32; those two levels down
        or more, whose root may be a document block that came later), those
        under a document block are comments on its highlights: reduced
        (``polar.blocks.digest_note``) into that document's group (a name
        met twice: the last one)."""
        roots = {ident.encode("utf-8"): fingerprint for ident, fingerprint in documents.items()}
        found = {name: (roots[root], data, crc) for root, name, data, crc in notes if root in roots}
        if not found:
            return
        from .blocks import UnreadableBlock, digest_note

        for name, (fingerprint, data, crc) in found.items():
            name = storable(name)
            try:
                reduced = digest_note(data)
            except UnreadableBlock as exc:
                self.problem(name, str(exc))
                continue
            if reduced is not None:
                groups.setdefault(fingerprint, []).append((name, len(data), crc, False, reduced))

    def _group_blocks(self, notes: List[Tuple[bytes, str, bytes, int]]) -> None:
        """The kept blocks grouped by document (``block_groups``): by the
        fingerprint they name, else by their root document block's; in
        member-name order within a document."""
        snap = self.snapshot
        # Document block id -> fingerprint (of two with one id, the one met last).
        documents = {ident: fp for fp, _, ident, _, _, _, _ in self._staged.values() if ident and fp}
        groups: Dict[str, List[Tuple[str, int, int, bool, bytes]]] = {}
        for name, (fingerprint, root, _, size, crc, flashcard, record) in self._staged.items():
            if not fingerprint:
                fingerprint = documents.get(root, "")
            groups.setdefault(fingerprint, []).append((name, size, crc, flashcard, record))
        self._staged = {}
        if notes:
            self._comments(notes, documents, groups)
        rows = []
        for fingerprint, members in groups.items():
            members.sort()
            crcs = struct.pack(f"<{len(members)}I", *(m[2] for m in members))
            snap.block_groups[fingerprint] = BlockGroup(fingerprint, len(members), sum(m[1] for m in members), crcs,
                                                        sum(m[3] for m in members))
            packed = zlib.compress(b"[" + b",".join([m[4] for m in members]) + b"]", 1)
            if self._con is None:
                snap._memory_groups[fingerprint] = packed
            else:
                rows.append((fingerprint, len(members), snap.block_groups[fingerprint].size, crcs,
                             snap.block_groups[fingerprint].flashcards, packed))
        if self._con is not None:
            self._con.executemany("INSERT INTO block_groups VALUES (?, ?, ?, ?, ?, ?)", rows)

    def remember(self, ident: str, fingerprint: str) -> None:
        """``ident``'s fingerprint, as an earlier read of another export knew it."""
        self.snapshot.known[ident] = fingerprint

    def finish(self, notes: Optional[List[Tuple[bytes, str, bytes, int]]] = None) -> Snapshot:
        """The snapshot, published. ``notes``: see ``_comments``."""
        snap = self.snapshot
        self._group_blocks(notes or [])
        if self._con is not None and self._tmp is not None and snap.path is not None:
            con = self._con
            con.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)",
                            [(n, s, o) for n, (s, o) in snap.bodies.items()])
            con.executemany("INSERT INTO problems (name, message, fatal) VALUES (?, ?, ?)",
                            [(p.name, p.message, int(p.fatal)) for p in snap.problems])
            con.executemany("INSERT INTO known VALUES (?, ?)", list(snap.known.items()))
            con.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", FORMAT), ("identity", snap.identity), ("kind", snap.kind),
                ("complete", "1" if snap.complete else "0"),
                ("block_flashcards", str(snap.block_flashcards)), ("blocks_format", BLOCKS_FORMAT),
                ("leftovers", snap.leftovers),
            ])
            con.commit()
            con.close()
            self._con = None
            with open(self._tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(self._tmp, snap.path)
        return snap

    def abandon(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def _has_rows(con: sqlite3.Connection, table: str) -> bool:
    try:
        return con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:
        return False  # no such table


def cached_identity(path: Path) -> Optional[Tuple[str, str]]:
    """(identity, kind) of the export the cache file holds, or None: its
    meta only (a look, not a load)."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('format', 'identity', 'kind')"))
        finally:
            con.close()
    except sqlite3.Error:
        return None
    if meta.get("format") != FORMAT or not meta.get("identity"):
        return None
    return meta["identity"], meta.get("kind", "")


def load(path: Path, identity: Optional[str]) -> Optional[Snapshot]:
    """The cached listing of the export with this identity (None: of
    whichever export it holds), or None (no cache, another export, an
    unreadable or older cache file)."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != FORMAT or identity not in (None, meta.get("identity")):
                return None
            snap = Snapshot(meta.get("identity", ""), meta.get("kind", ""),
                            complete=meta.get("complete") == "1", path=path,
                            block_flashcards=int(meta.get("block_flashcards") or 0),
                            leftovers=meta.get("leftovers") or "")
            snap.records = {row[0]: _new_record(row)
                            for row in con.execute("SELECT name, fingerprint, size, crc FROM records")}
            snap.bodies = {name: (size, offset)
                           for name, size, offset in con.execute("SELECT name, size, offset FROM bodies")}
            for name, message, fatal in con.execute("SELECT name, message, fatal FROM problems ORDER BY seq"):
                snap.problems.append(Problem(name, message, bool(fatal)))
            try:
                snap.known = dict(con.execute("SELECT id, fingerprint FROM known").fetchall())
            except sqlite3.OperationalError:
                pass  # a cache written before the table: nothing remembered
            try:
                snap.block_groups = {row[0]: _new_group(row) for row in con.execute(
                    "SELECT fingerprint, blocks, size, crcs, flashcards FROM block_groups")}
            except sqlite3.OperationalError:
                # A cache written before blocks were kept by document: one
                # whose export holds block flashcards (or that did not count
                # them), or that kept blocks one by one (a "blocks" table
                # with rows), is read again, so those cards reach Anki.
                if identity is not None and (meta.get("block_flashcards") != "0" or _has_rows(con, "blocks")):
                    return None
            if identity is not None and snap.block_groups and meta.get("blocks_format") != BLOCKS_FORMAT:
                return None  # block groups without the comments (see BLOCKS_FORMAT)
            return snap
        finally:
            con.close()
    except (sqlite3.Error, ValueError):
        return None  # a damaged cache is read again from the export
