"""Local sync state: what the last sync saw and wrote, per document and card.

It makes syncs differential (an unchanged file is not parsed again) and lets
the planner tell a Polar-side change from an Anki-side edit (three-way merge
against the field hashes written last time). It is only ever a cache: the
collection (guids) is the source of identity, so a lost, stale or corrupt
state file costs time, never a duplicate. SQLite gives atomic commits, so a
sync killed mid-write leaves the previous state intact.

Every release reads the file the others wrote (an update, and a user who goes
back to an older one: tools/upgrade_walk.py). So a change of it adds a table
(``CREATE TABLE IF NOT EXISTS``; older versions ignore it), never a column to
a table (releases before 2026-12-05 insert rows positionally: their writes
would fail; this one names its columns) nor an element to a row's
JSON lists (``cards.fields`` holds one hash per field: releases before
2026-12-03 read a longer row as no record and wrote Polar's text over the
user's edits), and ``SCHEMA_VERSION`` stays "1" (any other value makes every
release move the file aside and start again).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import (
    AbstractSet,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from . import journal
from .journal import Generation
from .sql import in_chunks, insert_rows

# notetypes.LAYOUT_MARK (not imported: that module imports Anki; test_state
# checks they agree).
LAYOUT_MARK = "@"

SCHEMA_VERSION = "1"

# Meta key: the collection's notes as the last sync left them (a
# collection_view.notes_fingerprint), with a stamp of the cards table as that
# sync left it ("fingerprint@count:max rowid"): only while both hold are the
# note-id hints trusted. The stamp notices any other writer of the file in
# between (an older version of the add-on, which knows nothing of the hints).
FINGERPRINT_KEY = "notes_fingerprint"

# Meta key: "1" while a sync the person stopped (Escape, Cancel) has left
# work for the next one (documents not read, new notes not added). The next
# sync reads the whole library, whatever asked for it (the watcher's
# one-document sync, the CLI's ``only``), across Anki's restarts; a
# whole-library sync that runs to its end sets it to "". Written in the
# stopped sync's own commit (a stop part-way through adding notes), or alone
# (a stop before the write, which changes nothing else).
REST_KEY = "rest_to_come"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    sha TEXT NOT NULL,
    deck TEXT NOT NULL,
    ok INTEGER NOT NULL            -- 0: last parse failed; never trusted as unchanged
);
CREATE TABLE IF NOT EXISTS cards (
    card_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    guid TEXT NOT NULL,
    ref TEXT NOT NULL,             -- "<type>:<id>" of the parent, for edit detection
    type TEXT NOT NULL,
    created TEXT NOT NULL,
    fields TEXT NOT NULL,          -- JSON list of field hashes as last written (one a field)
    tags TEXT NOT NULL,            -- JSON list of the Polar-derived tags last written
    orphaned INTEGER NOT NULL      -- 1: card gone from Polar, note handled by the policy
);
-- By document, with the orphaned flag: a resync's per-document counts
-- (live_cards_per_doc) read only this index, not every row. It serves the
-- lookups by document too, so the older index on doc alone is dropped (an
-- older version makes it again; both then simply exist).
CREATE INDEX IF NOT EXISTS cards_doc_live ON cards(doc, orphaned);
DROP INDEX IF EXISTS cards_doc;
-- What could not be synced from a document when it was last read (a card
-- that failed to render, ...): reported again on every sync while the
-- document is unchanged, until a new version of it syncs cleanly.
CREATE TABLE IF NOT EXISTS problems (
    doc TEXT NOT NULL,
    path TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_doc ON problems(doc);
-- Documents' titles, so a report names a document that was not read this
-- time (unchanged, now unreadable, or gone). Added later: IF NOT EXISTS
-- gives files of older versions the table without a schema change.
CREATE TABLE IF NOT EXISTS titles (key TEXT PRIMARY KEY, title TEXT NOT NULL);
-- What a person knows each document by besides its title (its file as
-- imported, a web capture's address: Document.known_as), for the report's
-- tooltips of a document not read this time. Added later, like titles:
-- older versions ignore it.
CREATE TABLE IF NOT EXISTS sources (key TEXT PRIMARY KEY, source TEXT NOT NULL);
-- The note id of each Polar guid, as the last sync left the collection: a
-- resync finds its notes by id instead of reading every note's guid (the
-- notes table has no index on guid). Only a hint: every id read is checked
-- against its guid, and it is trusted at all only while the collection
-- holds the same notes as when it was written (apply.find_missing_notes).
-- Added later, like titles: older versions simply ignore it.
CREATE TABLE IF NOT EXISTS note_ids (guid TEXT PRIMARY KEY, nid INTEGER NOT NULL) WITHOUT ROWID;
-- The cards a sync suspended itself when it orphaned a note (the deletion
-- policy "suspend"), so that restoring the note unsuspends only those: a
-- card the user had suspended stays suspended. One row per note orphaned
-- (``cids``: a JSON list of Anki card ids, [] when the sync suspended none,
-- and since 2026-12 the string "at:<ms>": when the sync wrote it; a card
-- reviewed after that was unsuspended by the user, and a suspension it has
-- now is theirs or Anki's leech action), with the Polar card id of its
-- state row (dropped with that row). No row:
-- the note was orphaned by an older version, and its restore unsuspends
-- every suspended card, as that version did. Cleared when the note is
-- restored or removed. Added later, like titles: older versions ignore it.
CREATE TABLE IF NOT EXISTS suspended_by_sync (nid INTEGER PRIMARY KEY, card_id TEXT NOT NULL, cids TEXT NOT NULL);
-- The deck each document's cards were put in, as the last sync that read
-- it left it: the deck's id and the deck name the sync computed from Polar
-- then (documents.deck as that sync wrote it; kept here too, so that an
-- older version changing documents.deck without this table leaves a row
-- that no longer matches, and is not followed). While Polar's name for the
-- document stays the same, a deck the user renamed or moved in Anki is
-- followed by its id (deck_steps.follow_renamed_decks). Only a hint: the id is
-- checked against the collection on every use. Added later, like titles:
-- older versions ignore it.
CREATE TABLE IF NOT EXISTS deck_homes (doc TEXT PRIMARY KEY, did INTEGER NOT NULL, name TEXT NOT NULL) WITHOUT ROWID;
-- The layout each card's hashes were written for (notetypes.layout_tag:
-- "@" and a letter per field). Kept apart from cards.fields so that a row
-- holds exactly one hash per field, as every release before the layout
-- tags (2026-12-03) expects: those take a row of another length for "no
-- record" and wrote Polar's text over every Anki edit when they met one
-- (tools/upgrade_walk.py). Releases of 2026-12-03 to -05 wrote the tag as
-- the last element of cards.fields; such a row is read with it (the tag in
-- the row wins: its writer wrote the row after this table's row). Added
-- later, like titles: older versions ignore it.
CREATE TABLE IF NOT EXISTS layouts (card_id TEXT PRIMARY KEY, layout TEXT NOT NULL) WITHOUT ROWID;
-- The undo journal (sync/journal.py): per generation of a sync that wrote to
-- the collection, the rows it changed as they were before. Added later,
-- like titles: older versions ignore it.
CREATE TABLE IF NOT EXISTS journal (gen INTEGER PRIMARY KEY, prev INTEGER NOT NULL, data TEXT NOT NULL);
-- The cards whose notes the person deleted in Anki and the sync left
-- deleted (the setting "Deleted in Anki": "Leave them deleted";
-- sync/left_deleted.py): the card's document, and a signature of its
-- content in Polar then (an edit in Polar makes a new note). Such a card
-- has no row in ``cards``. Added later, like titles: older versions ignore
-- it (and make the notes again, as they always did).
CREATE TABLE IF NOT EXISTS left_deleted (card_id TEXT PRIMARY KEY, doc TEXT NOT NULL, sig TEXT NOT NULL) WITHOUT ROWID;
"""


@dataclass
class NoteIdChanges:
    """What one sync did to the collection's Polar notes, for the note-id
    hints (``note_ids``): notes added, notes re-keyed (saved with another
    guid), notes deleted."""

    made: List[Tuple[str, int]] = field(default_factory=list)  # (guid, note id), in the order added
    keyed: List[Tuple[str, int]] = field(default_factory=list)  # (guid now, note id) of a note re-keyed
    gone: List[Tuple[str, int]] = field(default_factory=list)  # (guid, id) no longer so: deleted, re-keyed
    removed: List[int] = field(default_factory=list)  # ids of the notes deleted
    # The note types of the notes added (a kind's type, as the write chose it):
    # after a first sync, the note types holding Polar notes without a scan.
    made_types: Set[int] = field(default_factory=set)


class SuspendRecord(NamedTuple):
    """One note's row of ``suspended_by_sync``: the card ids the sync
    suspended on it, and when it last did (ms since the epoch, as the review
    log's ids; None in a row an older version wrote). Written as a JSON list
    of the ids and ``"at:<ms>"`` (older versions read only its numbers)."""

    cids: List[int]
    at: Optional[int]


@dataclass
class SuspendRecords:
    """What one sync changes in ``suspended_by_sync``: the records it makes
    or extends (each stamped with the time of the commit) (note id -> (Polar card id, every card id the sync has
    suspended on it)) and the notes whose record goes (restored, removed)."""

    made: Dict[int, Tuple[str, List[int]]] = field(default_factory=dict)
    cleared: List[int] = field(default_factory=list)
    # The newest review (revlog id, ms) of the cards ``made`` records when
    # the sync wrote them: the stamp is never older (a clock set back).
    newest_review: int = 0

    def __bool__(self) -> bool:
        return bool(self.made or self.cleared)


@dataclass
class LeftDeleted:
    """What one sync changes in ``left_deleted``: rows made (card id ->
    (document, signature)) and card ids whose row goes."""

    made: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    cleared: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.made or self.cleared)


class DeckHome(NamedTuple):
    """Where the last sync that read a document put its cards: the deck's
    id, and the deck name it computed from Polar then (see ``deck_homes``)."""

    did: int
    name: str


@dataclass
class DeckHomes:
    """What one sync changes in ``deck_homes``: rows made or replaced
    (document key -> its deck home) and documents whose row goes."""

    made: Dict[str, DeckHome] = field(default_factory=dict)
    cleared: List[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.made or self.cleared)


class DocState(NamedTuple):
    """A document as the last sync left it. A NamedTuple: every sync reads
    one per document and writes one per document read (a frozen dataclass
    cost 1.5 us a row against 0.3)."""

    key: str
    size: int
    mtime: int
    sha: str
    deck: str
    ok: bool


class CardState(NamedTuple):
    """One card's row. A NamedTuple (immutable like the frozen dataclass it
    was), made positionally: a first sync holds 50,000 until the state is
    written, and a tuple is a third of the memory and the time to make."""

    card_id: str
    doc: str
    guid: str
    ref: str
    type: str
    created: str
    fields: Tuple[str, ...]
    tags: Tuple[str, ...]
    orphaned: bool


class SyncState:
    """One state file. Opened per operation (cheap), so it can be used from
    whichever thread Anki runs the step on."""

    def __init__(self, path: Optional[Path], collection_id: str = "", settings_key: str = "") -> None:
        self.path = path
        self.collection_id = collection_id
        self.settings_key = settings_key
        self.problem: Optional[str] = None  # set when the file had to be discarded
        self._docs: Optional[Dict[str, DocState]] = None
        # The collection id the file was last validated for: a sync opens the
        # file several times, and schema + checks need to run only once.
        self._checked_for: Optional[str] = None

    # -- connection ---------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not tied to a thread: StagedCards' connection is used by the
        # write's mover thread, then by the commit (one at a time, never both).
        conn = sqlite3.connect(str(self.path), timeout=10, check_same_thread=False)
        conn.executescript(_SCHEMA)
        return conn

    def _open_checked(self) -> Optional[sqlite3.Connection]:
        """A connection, or None when there is no usable state (first run,
        another collection's file, corrupt file: the latter is moved aside)."""
        if self.path is None or not self.path.exists():
            return None
        if self._checked_for == self.collection_id:
            try:
                return sqlite3.connect(str(self.path), timeout=10, check_same_thread=False)
            except sqlite3.DatabaseError:
                self._checked_for = None  # fall through to the full check
        try:
            conn = self._connect()
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            conn.execute("SELECT count(*) FROM cards").fetchone()
        except sqlite3.DatabaseError as exc:
            self._discard(f"sync state {self.path.name} is unreadable ({exc}); rebuilding it")
            return None
        if meta.get("version") != SCHEMA_VERSION or (
            self.collection_id and meta.get("collection") not in (None, self.collection_id)
        ):
            conn.close()
            self._discard(f"sync state {self.path.name} belongs to another collection or version; rebuilding it")
            return None
        self._checked_for = self.collection_id
        return conn

    @contextmanager
    def _reading(self) -> Iterator[Optional[sqlite3.Connection]]:
        """A checked connection in a transaction, closed afterwards even when
        the body raises; None when there is no usable state."""
        conn = self._open_checked()
        if conn is None:
            yield None
            return
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def _discard(self, why: str) -> None:
        self.problem = why
        self._checked_for = None
        assert self.path is not None
        aside = self.path.with_name(f"{self.path.name}.bad-{int(time.time())}")
        try:
            os.replace(self.path, aside)
        except OSError:
            try:
                self.path.unlink()
            except OSError:
                pass

    # -- reads --------------------------------------------------------
    def documents(self) -> Dict[str, DocState]:
        if self._docs is None:
            docs: Dict[str, DocState] = {}
            with self._reading() as conn:
                if conn is not None:
                    for row in conn.execute("SELECT key, size, mtime, sha, deck, ok FROM documents"):
                        docs[row[0]] = DocState(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
            self._docs = docs
        return self._docs

    def deck_home_outline(self) -> Tuple[Set[DeckHome], Set[str]]:
        """The distinct deck homes (a few with deck tags), and the documents
        the state knows that have none: what a sync needs of ``deck_homes``
        while no deck was renamed, without a row per document in Python."""
        with self._reading() as conn:
            if conn is None:
                return set(), set()
            pairs = {DeckHome(int(did), str(name))
                     for did, name in conn.execute("SELECT DISTINCT did, name FROM deck_homes")}
            homeless = {str(key) for (key,) in conn.execute(
                "SELECT key FROM documents WHERE key NOT IN (SELECT doc FROM deck_homes)")}
        return pairs, homeless

    def deck_homes(self) -> Dict[str, DeckHome]:
        """document key -> the deck the last sync that read it put its cards
        in (see the table); empty without a usable state."""
        with self._reading() as conn:
            rows = conn.execute("SELECT doc, did, name FROM deck_homes").fetchall() if conn else []
        return {str(doc): DeckHome(int(did), str(name)) for doc, did, name in rows}

    def meta(self, key: str) -> Optional[str]:
        with self._reading() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone() if conn else None
        return str(row[0]) if row else None

    def stored_collection(self) -> Optional[str]:
        return self.meta("collection")

    def rest_to_come(self) -> bool:
        """Whether a stopped sync left work for the next one (``REST_KEY``)."""
        return self.meta(REST_KEY) == "1"

    def forget(self, why: str) -> None:
        """Treat the file as lost from now on (it belongs elsewhere)."""
        if self.path is not None and self.path.exists():
            self._discard(why)
        self._docs = {}

    def live_cards_per_doc(self) -> Dict[str, int]:
        """Synced (not orphaned) cards per document: the "unchanged" count of
        documents that were not read again."""
        with self._reading() as conn:
            rows = (conn.execute("SELECT doc, count(*) FROM cards WHERE orphaned = 0 GROUP BY doc").fetchall()
                    if conn else [])
        return {str(r[0]): int(r[1]) for r in rows}

    def titles(self) -> Dict[str, str]:
        """document key -> title, as last read."""
        return self._by_document("SELECT key, title FROM titles")

    def sources(self) -> Dict[str, str]:
        """document key -> its file as imported or its web address, as last read."""
        return self._by_document("SELECT key, source FROM sources")

    def _by_document(self, query: str) -> Dict[str, str]:
        """A (document key, text) table as a dict; empty in a file from before the table."""
        try:
            with self._reading() as conn:
                rows = conn.execute(query).fetchall() if conn else []
        except sqlite3.OperationalError:
            rows = []
        return {str(k): str(t) for k, t in rows}

    def left_deleted(self) -> Dict[str, Tuple[str, str]]:
        """card id -> (document, signature) of the cards whose notes were
        deleted in Anki and left deleted (see the table)."""
        with self._reading() as conn:
            rows = conn.execute("SELECT card_id, doc, sig FROM left_deleted").fetchall() if conn else []
        return {str(cid): (str(doc), str(sig)) for cid, doc, sig in rows}

    def card_count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT count(*) FROM cards").fetchone()[0]) if conn else 0

    def note_ids(self, guids: Iterable[str]) -> Dict[str, int]:
        """guid -> the note id the last sync left it on (a hint, see the table)."""
        rows = self._rows("SELECT guid, nid FROM note_ids WHERE guid IN ({marks})", sorted(set(guids)))
        return {str(guid): int(nid) for guid, nid in rows}

    def suspended_by_sync(self, nids: Iterable[int]) -> Dict[int, List[int]]:
        """note id -> the card ids the sync suspended when it orphaned the
        note, for the notes that have a record (see the table)."""
        return {nid: record.cids for nid, record in self.suspension_records(nids).items()}

    def suspension_records(self, nids: Iterable[int]) -> Dict[int, SuspendRecord]:
        """note id -> its record (see the table): the card ids, and when the
        sync last suspended them (None in a record of an older version)."""
        try:
            rows = self._rows("SELECT nid, cids FROM suspended_by_sync WHERE nid IN ({marks})", sorted(set(nids)))
        except sqlite3.OperationalError:  # a file no version with the table has opened (read-only)
            rows = []
        records: Dict[int, SuspendRecord] = {}
        for nid, cids in rows:
            try:
                value = json.loads(str(cids))
            except ValueError:
                continue  # damaged: as if none (every suspended card comes back, as before the table)
            if isinstance(value, list):
                at = [int(v[3:]) for v in value if isinstance(v, str) and v.startswith("at:") and v[3:].isdigit()]
                records[int(nid)] = SuspendRecord([int(c) for c in value if isinstance(c, int)], at[0] if at else None)
        return records

    def _rows(self, sql: str, keys: Sequence[object]) -> List[Tuple[Any, ...]]:
        """The rows of ``sql`` (``{marks}`` stands for the IN list) for
        ``keys``, asked in chunks; none without a usable state."""
        rows: List[Tuple[Any, ...]] = []
        if not keys:
            return rows
        with self._reading() as conn:
            if conn is not None:
                for marks, chunk in in_chunks(keys):
                    rows += conn.execute(sql.format(marks=marks), chunk).fetchall()
        return rows

    def replace_note_ids(self, hints: Mapping[str, int]) -> bool:
        """The note-id hints made anew (guid -> id, read from the collection),
        at once: hints need no commit of the sync's to be safe, and the
        note builder may add this sync's own while Anki adds notes. False when
        they could not be written."""
        if self.path is None:
            return False
        conn = self._open_checked()
        try:
            if conn is None:  # no file yet (or a discarded one): made and stamped, as stage() does
                conn = self._connect()
                with conn:
                    self._stamp(conn)
            with conn:
                conn.execute("DELETE FROM note_ids")
                conn.executemany(_INSERT_ID, hints.items())
        except sqlite3.Error:
            return False  # only hints: a later sync makes them again
        finally:
            if conn is not None:
                conn.close()
        return True

    def trusted_fingerprint(self) -> str:
        """The notes fingerprint the last commit stored, if no one has
        written the cards table since; else ""."""
        with self._reading() as conn:
            if conn is None:
                return ""
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,)).fetchone()
            fingerprint, _, stamp = str(row[0] if row else "").partition("@")
            now = _cards_stamp(conn) if fingerprint else ""
        return fingerprint if fingerprint and stamp == now else ""

    def note_id_summary(self) -> Tuple[int, int]:
        """(count, sum of ids) of the remembered note ids: equal to the
        collection's Polar notes' (``collection_view.polar_note_summary``)
        exactly when they are those notes."""
        with self._reading() as conn:
            count, total = conn.execute("SELECT count(), sum(nid) FROM note_ids").fetchone() if conn else (0, 0)
        return int(count), int(total or 0)

    def cards_for(self, doc_keys: Iterable[str]) -> Dict[str, CardState]:
        keys = list(doc_keys)
        cards: Dict[str, CardState] = {}
        if not keys:
            return cards
        with self._reading() as conn:
            if conn is not None:
                for marks, chunk in in_chunks(keys):
                    for r in conn.execute(f"SELECT {_CARD_COLUMNS} FROM {_CARDS} WHERE c.doc IN ({marks})", chunk):
                        cards[r[0]] = _card_from_row(r)
        return cards

    def live_fields(self, doc_keys: Iterable[str]) -> List[Tuple[str, str, str]]:
        """(document, guid, the field hashes as stored: a JSON list) of the
        live cards of these documents, unparsed (a caller that looks at most
        rows only in passing: ``apply.follow_changed_note_types``)."""
        wanted = set(doc_keys)
        if not wanted:
            return []
        select = f"SELECT c.doc, c.guid, c.fields, l.layout FROM {_CARDS} WHERE c.orphaned = 0"
        queries = ([(select, [])] if len(wanted) > _FEW_KEYS else
                   [(f"{select} AND c.doc IN ({marks})", chunk) for marks, chunk in in_chunks(sorted(wanted))])
        found: List[Tuple[str, str, str]] = []
        with self._reading() as conn:
            if conn is not None:
                for sql, args in queries:
                    found += [(str(d), str(g), _with_layout(str(f), lay))
                              for d, g, f, lay in conn.execute(sql, args) if d in wanted]
        return found

    def owners(self, card_ids: Iterable[str]) -> Dict[str, Tuple[str, bool]]:
        """card id → (the document it was last synced from, whether it was
        gone from that document then: its row orphaned)."""
        rows = self._rows("SELECT card_id, doc, orphaned FROM cards WHERE card_id IN ({marks})", list(card_ids))
        return {str(cid): (str(doc), bool(orphaned)) for cid, doc, orphaned in rows}

    def cards_by_id(self, card_ids: Iterable[str]) -> Dict[str, CardState]:
        """card id → its row, for these card ids (the few a sync needs by id)."""
        rows = self._rows(f"SELECT {_CARD_COLUMNS} FROM {_CARDS} WHERE c.card_id IN ({{marks}})",
                          sorted(set(card_ids)))
        return {str(r[0]): _card_from_row(r) for r in rows}

    def cards_by_guid(self, guids: Iterable[str]) -> List[CardState]:
        """The rows of the cards whose notes have these guids (a few, rarely)."""
        rows = self._rows(f"SELECT {_CARD_COLUMNS} FROM {_CARDS} WHERE c.guid IN ({{marks}})", sorted(set(guids)))
        return [_card_from_row(r) for r in rows]

    def problems_for(self, doc_keys: Iterable[str]) -> Dict[str, List[Dict[str, Any]]]:
        """doc key → the report rows of the errors remembered for it."""
        keys = list(doc_keys)
        found: Dict[str, List[Dict[str, Any]]] = {}
        if not keys:
            return found
        wanted = set(keys)
        select = "SELECT doc, path, message FROM problems"
        # Most of a library's documents (a resync asks for every unchanged
        # one): one pass over the table, which holds only the few documents
        # with problems, instead of IN lists of every key (~2 ms at 1,000).
        queries = ([(f"{select} ORDER BY rowid", [])] if len(keys) > _FEW_KEYS else
                   [(f"{select} WHERE doc IN ({marks}) ORDER BY rowid", chunk) for marks, chunk in in_chunks(keys)])
        with self._reading() as conn:
            if conn is not None:
                for sql, args in queries:
                    for doc, path, message in conn.execute(sql, args):
                        if doc in wanted:
                            found.setdefault(str(doc), []).append(_unpack_problem(str(path), str(message)))
        return found

    def card_refs(self, doc: str) -> Dict[str, str]:
        """Card id -> its parent ref ("<type>:<id>") as the last sync stored it,
        for one document (read only when a card's highlight ref names no
        highlight: ``read._stored_parent``)."""
        with self._reading() as conn:
            rows = conn.execute("SELECT card_id, ref FROM cards WHERE doc = ?", (doc,)).fetchall() if conn else []
        return {str(card_id): str(ref) for card_id, ref in rows}

    def all_cards(self) -> Dict[str, CardState]:
        with self._reading() as conn:
            rows = conn.execute(f"SELECT {_CARD_COLUMNS} FROM {_CARDS}").fetchall() if conn else []
        return {r[0]: _card_from_row(r) for r in rows}

    # -- the undo journal (journal.py) --------------------------------
    def generation(self) -> Tuple[str, int]:
        """(the file's id, its generation): ("", 0) before any sync that
        wrote to the collection was journaled."""
        with self._reading() as conn:
            ident, gen, _ = journal.read_generation(conn) if conn else ("", 0, 0)
        return ident, gen

    def next_generation(self, docs: Sequence[str], card_ids: Sequence[str],
                        homes: Sequence[str] = ()) -> Optional[Generation]:
        """The journal entry of a sync about to write to the collection,
        which may change the rows of ``docs`` and of ``card_ids``, and the
        deck homes of ``homes`` (None without a state file)."""
        if self.path is None:
            return None
        with self._reading() as conn:
            if conn is None:  # a first sync (or a file just discarded): no rows yet, only their documents
                return Generation(journal.new_state_id(), 0, 1, docs, card_ids, homes)
            ident, gen, top = journal.read_generation(conn)
        return Generation(ident or journal.new_state_id(), gen, max(gen, top) + 1, docs, card_ids, homes)

    def roll_back(self, to: int) -> Optional[Set[str]]:
        """The state as generation ``to`` left it (``journal.roll_back``):
        the documents that changed, or None when the journal does not reach
        back so far."""
        with self._reading() as conn:
            if conn is None:
                return None
            touched = journal.roll_back(conn, to, (FINGERPRINT_KEY,))
        self._docs = None
        return touched

    # -- writes -------------------------------------------------------
    def _stamp(self, conn: sqlite3.Connection) -> None:
        """The file's version, collection and settings (inside a transaction)."""
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", (SCHEMA_VERSION,))
        if self.collection_id:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('collection', ?)",
                         (self.collection_id,))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('settings', ?)", (self.settings_key,))

    def owe_the_rest(self) -> None:
        """A sync the person stopped before it wrote: the next sync reads the
        whole library (``REST_KEY``). Only the key is written. Without a
        state file (a profile's first sync) nothing is: the file's absence
        is what makes the next sync a first one (Anki backs up before it).
        (A state that cannot be written: the stop still stops; only the next
        sync's reach is lost.)"""
        self.note(REST_KEY, "1")

    def note(self, key: str, value: str) -> None:
        """One value of ``meta`` written outside a sync's commit (what the
        report told, for the next sync). Never a reason to fail a sync: a
        state that cannot be written forgets it; without a state file
        nothing is written."""
        try:
            conn = self._open_checked()
            if conn is None:
                return
            try:
                with conn:
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            finally:
                conn.close()
        except sqlite3.Error:
            pass

    def stage(self) -> Optional[StagedCards]:
        """Somewhere to write card rows ahead of :meth:`commit` (see
        :class:`StagedCards`); None without a state file, or when it cannot
        be opened (the rows then simply go in at commit)."""
        if self.path is None:
            return None
        try:
            conn = self._open_checked()
            if conn is None:
                # A first sync: the file is made now, stamped as commit would,
                # so a sync that ends before its commit leaves a valid empty
                # state (not a file the next sync must discard and warn about).
                conn = self._connect()
                with conn:
                    self._stamp(conn)
        except sqlite3.Error:
            return None
        return StagedCards(conn)

    def commit(
        self,
        docs: Sequence[DocState],
        cards: Sequence[CardState],
        replace_docs: Sequence[str],
        drop_docs: Sequence[str],
        drop_cards: Sequence[str],
        problems: Optional[Mapping[str, Sequence[Dict[str, Any]]]] = None,
        meta: Optional[Dict[str, str]] = None,
        titles: Optional[Dict[str, str]] = None,
        sources: Optional[Dict[str, str]] = None,
        staged: Optional[StagedCards] = None,
        note_ids: Optional[NoteIdChanges] = None,
        fingerprint: str = "",
        suspended: Optional[SuspendRecords] = None,
        generation: Optional[Generation] = None,
        homes: Optional[DeckHomes] = None,
        as_stored: AbstractSet[str] = frozenset(),
        left_deleted: Optional[LeftDeleted] = None,
    ) -> None:
        """One atomic transaction: the cards of ``replace_docs`` are replaced by
        ``cards`` (those of ``as_stored``, card ids whose row in ``cards`` is
        the one stored, are left as they are: neither deleted nor written);
        ``drop_docs`` are forgotten entirely; ``drop_cards`` removed;
        the remembered problems of each document in ``problems`` (report rows;
        and of the dropped ones) are replaced by its list; ``meta``: more
        values to remember (see :meth:`meta`); ``titles`` (document key ->
        title) remembered; ``sources`` (document key -> file or address, ""
        for none any more) likewise. ``staged``: where ``cards`` were begun ahead (the
        rows it holds are its first ones); it is closed here. ``note_ids``:
        this sync's changes to the note-id hints (its first ``made`` pairs
        may be staged, see :meth:`StagedCards.add_ids`). ``fingerprint``: the
        collection's notes now, for :meth:`trusted_fingerprint` ("" forgets it).
        ``suspended``: this sync's changes to ``suspended_by_sync`` (the
        records of ``drop_cards`` go as well). ``generation``: the journal
        entry of a sync that wrote to the collection (its pre-images kept
        first, unless a staged move kept them already). ``homes``: this
        sync's changes to ``deck_homes`` (the rows of ``drop_docs`` go too).
        ``left_deleted``: this sync's changes to ``left_deleted`` (the rows
        of ``drop_docs`` go too)."""
        problems = problems or {}
        if self.path is None:
            if staged is not None:
                staged.close()
            return
        made = note_ids.made if note_ids is not None else []
        if as_stored:
            # (not with staged rows: their count is of the whole list)
            assert staged is None
            cards = [c for c in cards if c.card_id not in as_stored]
        if staged is not None:
            staged.add(cards)  # the rest (made ready; written below)
        conn = staged.conn if staged is not None else None
        moved = conn is not None
        conn = conn or self._open_checked() or self._connect()
        try:
            with conn:
                self._stamp(conn)
                if generation is not None and not generation.captured:
                    journal.capture(conn, generation)
                conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                 sorted((meta or {}).items()))
                # Rows moved ahead (StagedCards.move_ahead) are this sync's:
                # the deletes below are of the rows that were there before.
                before = "" if staged is None or staged.rowid_bound is None else f" AND rowid <= {staged.rowid_bound:d}"
                # None there before (a first sync): no card row to delete, and
                # each delete would look at every row moved in (~12 ms at 50,000).
                empty_before = staged is not None and staged.rowid_bound == 0
                # A large sync stopped part-way, or one that read much and changed
                # little, rewrote every row of its documents (~1 s at 50,000).
                keep = _keep_rows(conn, as_stored)
                for marks, chunk in in_chunks([] if empty_before else list(replace_docs) + list(drop_docs)):
                    conn.execute(f"DELETE FROM layouts WHERE card_id IN "
                                 f"(SELECT card_id FROM cards WHERE doc IN ({marks}){before}{keep})", chunk)
                    conn.execute(f"DELETE FROM cards WHERE doc IN ({marks}){before}{keep}", chunk)
                for marks, chunk in in_chunks(list(drop_docs)):
                    conn.execute(f"DELETE FROM documents WHERE key IN ({marks})", chunk)
                    conn.execute(f"DELETE FROM titles WHERE key IN ({marks})", chunk)
                    conn.execute(f"DELETE FROM sources WHERE key IN ({marks})", chunk)
                    conn.execute(f"DELETE FROM deck_homes WHERE doc IN ({marks})", chunk)
                    # (left_deleted's rows of a document gone stay: back from a
                    # restore or a folder missing for a while, its cards whose notes
                    # the person deleted stay deleted; a row is one small line)
                if left_deleted:
                    for marks, chunk in in_chunks(sorted(set(left_deleted.cleared))):
                        conn.execute(f"DELETE FROM left_deleted WHERE card_id IN ({marks})", chunk)
                    conn.executemany("INSERT OR REPLACE INTO left_deleted (card_id, doc, sig) VALUES (?, ?, ?)",
                                     [(cid, doc, sig) for cid, (doc, sig) in sorted(left_deleted.made.items())])
                if homes:
                    for marks, chunk in in_chunks(sorted(set(homes.cleared))):
                        conn.execute(f"DELETE FROM deck_homes WHERE doc IN ({marks})", chunk)
                    conn.executemany("INSERT OR REPLACE INTO deck_homes (doc, did, name) VALUES (?, ?, ?)",
                                     [(doc, home.did, home.name) for doc, home in sorted(homes.made.items())])
                if titles:
                    conn.executemany("INSERT OR REPLACE INTO titles (key, title) VALUES (?, ?)",
                                     list(titles.items()))
                if sources:
                    conn.executemany("DELETE FROM sources WHERE key = ?", [(k,) for k, v in sources.items() if not v])
                    conn.executemany("INSERT OR REPLACE INTO sources (key, source) VALUES (?, ?)",
                                     [(k, v) for k, v in sources.items() if v])
                for marks, chunk in in_chunks([] if empty_before else list(drop_cards)):
                    conn.execute(f"DELETE FROM layouts WHERE card_id IN "
                                 f"(SELECT card_id FROM cards WHERE card_id IN ({marks}){before})", chunk)
                    conn.execute(f"DELETE FROM cards WHERE card_id IN ({marks}){before}", chunk)
                    conn.execute(f"DELETE FROM suspended_by_sync WHERE card_id IN ({marks})", chunk)
                if suspended:
                    for marks, nids in in_chunks(sorted(set(suspended.cleared))):
                        conn.execute(f"DELETE FROM suspended_by_sync WHERE nid IN ({marks})", nids)
                    # After this, a review means the user unsuspended. Not
                    # before a review already there: with the clock set back
                    # (or behind another computer's) that one looked newer.
                    at = f"at:{max(int(time.time() * 1000), suspended.newest_review)}"
                    conn.executemany("INSERT OR REPLACE INTO suspended_by_sync (nid, card_id, cids) "
                                     "VALUES (?, ?, ?)",
                                     [(nid, card_id, json.dumps([*sorted(cids), at]))
                                      for nid, (card_id, cids) in sorted(suspended.made.items())])
                for marks, chunk in in_chunks(list(problems) + list(drop_docs)):
                    conn.execute(f"DELETE FROM problems WHERE doc IN ({marks})", chunk)
                conn.executemany(
                    "INSERT INTO problems (doc, path, message) VALUES (?, ?, ?)",
                    [(doc, row["path"], _pack_problem(row)) for doc, rows in problems.items() for row in rows],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO documents (key, size, mtime, sha, deck, ok) VALUES (?, ?, ?, ?, ?, ?)",
                    [(d.key, d.size, d.mtime, d.sha, d.deck, int(d.ok)) for d in docs],
                )
                if moved:
                    assert staged is not None
                    staged.write_rest(conn, ids=note_ids is not None)  # what no move took, in order
                else:
                    # A generator, not a list: at 50,000 rows the tuples and their
                    # JSON were ~15 MB at once, at the end of a first sync (its peak).
                    layouts: List[object] = []
                    conn.executemany(_INSERT_CARD, _card_rows(cards, layouts))
                    _insert(conn, _INSERT_LAYOUTS, [(len(layouts) // 2, layouts)])
                if note_ids is not None:
                    conn.executemany(_INSERT_ID, islice(made, staged.id_count if moved and staged else 0, None))
                    conn.executemany("DELETE FROM note_ids WHERE guid = ? AND nid = ?", note_ids.gone)
                    conn.executemany(_INSERT_ID, note_ids.keyed)
                stored = f"{fingerprint}@{_cards_stamp(conn)}" if fingerprint else ""
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (FINGERPRINT_KEY, stored))
        finally:
            conn.close()
            if staged is not None:
                staged.conn = None
        self._docs = None


# Up to this many documents, problems_for asks for each by its key.
_FEW_KEYS = 50

# The cards table's columns, in its order, and the card's layout (what
# _card_from_row reads), from _CARDS.
_CARD_COLUMNS = "c.card_id, c.doc, c.guid, c.ref, c.type, c.created, c.fields, c.tags, c.orphaned, l.layout"
_CARDS = "cards c LEFT JOIN layouts l ON l.card_id = c.card_id"
# Every insert names its columns: a column a later release adds (with a
# default) does not make this one's writes fail (see the module's docstring).
_CARD_NAMES = "card_id, doc, guid, ref, type, created, fields, tags, orphaned"
_INSERT_CARD = f"INSERT OR REPLACE INTO cards ({_CARD_NAMES}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_ID = "INSERT OR REPLACE INTO note_ids (guid, nid) VALUES (?, ?)"


def _keep_rows(conn: sqlite3.Connection, card_ids: AbstractSet[str]) -> str:
    """A condition on the cards table's rows that leaves ``card_ids`` out
    (held in a table of the connection's own: as many as a library's cards)."""
    if not card_ids:
        return ""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS as_stored (card_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.as_stored")
    insert_rows(conn, "INSERT", "temp.as_stored (card_id)", 1, list(card_ids))
    return " AND card_id NOT IN (SELECT card_id FROM temp.as_stored)"


def _cards_stamp(conn: sqlite3.Connection) -> str:
    """The cards table's row count and highest rowid: a row written (a
    replaced row gets a new rowid) or deleted changes it."""
    # Two queries: each has its shortcut (a count of the smallest index, the
    # last rowid); together they scanned every row (~3 ms at 50,000, twice a resync).
    count = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM cards").fetchone()[0]
    return f"{count}:{top}"


def _card_values(cards: Iterable[CardState], layouts: List[object]) -> List[object]:
    """The cards' rows, their values one after another (the staged rows'
    multi-row inserts take them so: no tuple a row, ~0.15 us a row less);
    each row's layout tag (the last of its hashes) goes to ``layouts`` as
    (card id, tag) values instead (see the table)."""
    # The cards of a document come one after another and share its tags:
    # their JSON is made once per run of them (with a tag outside plain
    # ASCII, json.dumps' ~2 us a card).
    # (Each row unpacked at once: ~0.3 us a row less than nine attribute reads.)
    values: List[object] = []
    tags: Tuple[str, ...] = ()
    tags_json = "[]"
    for card_id, doc, guid, ref, kind, created, fields, card_tags, orphaned in cards:
        if card_tags != tags:
            tags, tags_json = card_tags, _json_list(card_tags)
        if fields and fields[-1][:1] == LAYOUT_MARK:
            layouts += (card_id, fields[-1])
            fields = fields[:-1]
        values += (card_id, doc, guid, ref, kind, created, _json_list(fields), tags_json, 1 if orphaned else 0)
    return values


def _card_rows(cards: Iterable[CardState], layouts: List[object]) -> Iterator[Tuple[object, ...]]:
    """The cards' rows, a tuple each (for executemany); their layouts go to
    ``layouts`` (see _card_values)."""
    values = iter(_card_values(cards, layouts))
    return zip(*[values] * _INSERT_CARDS[2])


class StagedCards:
    """Card rows (and note-id hints) begun ahead of :meth:`SyncState.commit`,
    while Anki adds a large sync's notes (``write.add_notes``). The note
    builder makes each batch's rows ready (:meth:`add`: their values, in
    memory); after each of Anki's adds a helper thread moves what is ready
    into the file's tables (:meth:`move_ahead`), in a transaction the
    commit ends, and the commit writes the rest. So the file is neither
    changed nor locked before the first move, and the builder does no SQL:
    at 50,000 cards ~0.15 s less on the thread the sync waits for, and the
    commit ~0.35 s shorter than writing every row itself. Any error in a
    move: the connection closes, which rolls every move back, and the
    commit writes every row itself."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn: Optional[sqlite3.Connection] = conn
        self.count = 0  # rows[:count] of the list given to add are made ready (or moved)
        self.id_count = 0  # the same for add_ids
        # After move_ahead: how many of them are in the file's tables, and
        # the cards table's highest rowid before them.
        self.moved = 0
        self.moved_ids = 0
        self.rowid_bound: Optional[int] = None
        # Made ready, not moved yet: (rows, their values one after another).
        self._rows: List[Tuple[int, List[object]]] = []
        self._layouts: List[Tuple[int, List[object]]] = []
        self._ids: List[Tuple[int, List[object]]] = []
        # The sync's journal entry: its pre-images kept by the first move,
        # before any row of the file changes (see journal.py).
        self.generation: Optional[Generation] = None
        self._lock = threading.Lock()  # the lists above: the builder adds while the mover takes
        self._sql = threading.Lock()  # the connection: a move, the commit's rest, a close

    def add(self, rows: Sequence[CardState]) -> None:
        """Make ready the rows of ``rows`` not staged yet (the list only
        grows): the builder's share, plain Python, no SQL."""
        start, end = self.count, len(rows)
        if self.conn is None or end <= start:
            return
        layouts: List[object] = []
        values = _card_values(islice(rows, start, end), layouts)
        with self._lock:
            self._rows.append((end - start, values))
            self._layouts.append((len(layouts) // 2, layouts))
            self.count = end

    def add_ids(self, made: Sequence[Tuple[str, int]]) -> None:
        """The same for the (guid, note id) pairs of ``made``: the note-id
        hints of the notes added so far."""
        start, end = self.id_count, len(made)
        if self.conn is None or end <= start:
            return
        values = list(chain.from_iterable(islice(made, start, end)))
        with self._lock:
            self._ids.append((end - start, values))
            self.id_count = end

    def move_ahead(self) -> None:
        """Move the rows and ids made ready so far into the file's tables, in
        the transaction :meth:`SyncState.commit` ends. Called after each of
        Anki's adds, on a thread of its own (``write.add_notes``: neither
        Rust's next batch nor the note builder waits for it), while the
        builder makes the next batch: SQLite's work, mostly without the GIL.
        The file is locked for writing from the first move until the commit
        (readers go on, as during a commit; they wait if SQLite must write
        pages early), and nothing here commits. A failure closes, which
        rolls every move back."""
        with self._sql:
            conn = self.conn
            if conn is None:
                return
            with self._lock:
                rows, self._rows = self._rows, []
                layouts, self._layouts = self._layouts, []
                ids, self._ids = self._ids, []
            if not rows and not ids:
                return
            try:
                if self.rowid_bound is None:
                    if conn.in_transaction:
                        conn.commit()  # (nothing of the file's)
                    conn.execute("BEGIN IMMEDIATE")
                    self.rowid_bound = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM main.cards").fetchone()[0])
                    if self.generation is not None:
                        journal.capture(conn, self.generation)
                _insert(conn, _INSERT_CARDS, rows)
                _insert(conn, _INSERT_LAYOUTS, layouts)
                _insert(conn, _INSERT_IDS, ids)
            except sqlite3.Error:
                self._close()
                return
            self.moved += sum(n for n, _ in rows)
            self.moved_ids += sum(n for n, _ in ids)

    def write_rest(self, conn: sqlite3.Connection, ids: bool) -> None:
        """The commit's share, in its transaction on ``conn`` (this object's
        connection): what was made ready but not moved, in the order staged;
        the ids too when ``ids``."""
        with self._sql:
            with self._lock:
                rows, self._rows = self._rows, []
                layouts, self._layouts = self._layouts, []
                ready, self._ids = self._ids, []
            _insert(conn, _INSERT_CARDS, rows)
            _insert(conn, _INSERT_LAYOUTS, layouts)
            if ids:
                _insert(conn, _INSERT_IDS, ready)

    def close(self) -> None:
        with self._sql:
            self._close()

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()  # (rolls back moves not committed)
            self.conn = None
            if self.generation is not None:
                self.generation.captured = False  # rolled back with them: the commit keeps them
        self.rowid_bound, self.moved, self.moved_ids = None, 0, 0
        with self._lock:
            self._rows, self._ids = [], []


# (verb, table, row width) of the staged rows' inserts. In the order staged:
# a card id (or guid) met twice keeps its last row, as the rows one by one would.
_INSERT_CARDS = ("INSERT OR REPLACE", f"main.cards ({_CARD_NAMES})", 9)
_INSERT_IDS = ("INSERT OR REPLACE", "main.note_ids (guid, nid)", 2)
_INSERT_LAYOUTS = ("INSERT OR REPLACE", "main.layouts (card_id, layout)", 2)


def _insert(conn: sqlite3.Connection, how: Tuple[str, str, int], packs: Sequence[Tuple[int, List[object]]]) -> None:
    verb, table, width = how
    for _, values in packs:
        insert_rows(conn, verb, table, width, values)


# Printable ASCII without '"' and '\\': json.dumps writes such strings as they are.
_JSON_PLAIN = re.compile(r'[ !#-\[\]-~]*')


def _json_list(items: Sequence[str]) -> str:
    """``json.dumps(list(items))``, byte for byte, ~2.5x faster for the usual
    hex hashes and plain tags (100,000 lists per 50,000-card first sync)."""
    if not items:
        return "[]"
    # The pattern is one character class: the items are all plain exactly
    # when their concatenation is (one match instead of one per item).
    if not _JSON_PLAIN.fullmatch("".join(items)):
        return json.dumps(list(items))
    return '["' + '", "'.join(items) + '"]'


def _pack_problem(row: Mapping[str, Any]) -> str:
    """The ``message`` column: the message, or with the row's details (the
    report's title/card/code for it) a JSON object holding both."""
    details = {k: v for k, v in row.items() if k != "path"}
    if set(details) == {"message"}:
        return str(row["message"])
    return json.dumps(details, ensure_ascii=False)


def _unpack_problem(path: str, stored: str) -> Dict[str, Any]:
    if stored.startswith("{"):
        try:
            details = json.loads(stored)
        except ValueError:
            details = None
        if isinstance(details, dict) and isinstance(details.get("message"), str):
            return {**details, "path": path}
    return {"path": path, "message": stored}


try:  # orjson ships with every Anki: a row's two lists in a fifth of json's time
    import orjson as _orjson

    _loads_list: Callable[[str], Any] = _orjson.loads
except ImportError:  # pragma: no cover - exercised only without orjson
    _loads_list = json.loads


def _card_from_row(r: Sequence[object]) -> CardState:
    def as_tuple(raw: object) -> Tuple[str, ...]:
        try:
            value = _loads_list(str(raw))
        except ValueError:  # (orjson's error is one)
            return ()
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    fields = as_tuple(r[6])
    if r[9] and not (fields and fields[-1][:1] == LAYOUT_MARK):
        fields += (str(r[9]),)
    return CardState(
        card_id=str(r[0]), doc=str(r[1]), guid=str(r[2]), ref=str(r[3]), type=str(r[4]),
        created=str(r[5]), fields=fields, tags=as_tuple(r[7]), orphaned=bool(r[8]),
    )


def _with_layout(fields: str, layout: Optional[str]) -> str:
    """A row's stored hashes (a JSON list) with its layout tag last, as
    :func:`_card_from_row` gives them, still unparsed (``live_fields``)."""
    if not layout or '"' + LAYOUT_MARK in fields or not fields.endswith("]"):
        return fields
    return f'{fields[:-1]}{"," if fields != "[]" else ""}{json.dumps(layout)}]'


def card_origin(path: Path, guid: str) -> Optional[Tuple[str, str]]:
    """(document key, parent ref) of the synced card whose note has ``guid``,
    or None. For showing a card, so read-only and never waiting: a sync
    holding the file for writing makes this None for that moment, and no
    schema check or repair happens here (that is the sync's job)."""
    if not guid or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0.05)
    except sqlite3.Error:
        return None
    try:
        # The card id is the key (an index); guids of adopted or long ids
        # are not derivable, so they fall back to the guid column.
        row = None
        if guid.startswith("polar:") and not guid.startswith("polar:#"):
            row = conn.execute(
                "SELECT doc, ref FROM cards WHERE card_id = ? AND guid = ? AND orphaned = 0",
                (guid[len("polar:"):], guid),
            ).fetchone()
        if row is None:
            row = conn.execute("SELECT doc, ref FROM cards WHERE guid = ? AND orphaned = 0", (guid,)).fetchone()
        return (str(row[0]), str(row[1])) if row else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()


EXPORT_CACHE_SUFFIX = ".export-cache.sqlite"  # (polar/library.beside names it so)
_SAMPLE = 50  # remembered notes a taken-over state must find in the collection


def take_over_renamed(path: Path, collection_id: str, live: Iterable[Path],
                      has_notes: Callable[[Sequence[Tuple[str, int]]], int]) -> Optional[Path]:
    """Before a sync whose state file ``path`` does not exist: the state
    file beside it (``state-*.sqlite``) of this very collection whose
    profile is no more (not in ``live``, the state files of the profiles
    there are) is this profile's, renamed in Anki (Switch Profile ▸ Rename),
    and becomes ``path``, its export cache along. "This very collection":
    the same creation day (``collection_id``) and, of up to 50 notes it
    remembers (guid, note id), ``has_notes`` finds at least half in the
    collection (note ids are creation times in ms: another collection, a
    profile deleted on the day this one was made, has none of them). Only
    when exactly one file fits. Returns the file taken over, or None."""
    if not collection_id or path.exists() or not path.parent.is_dir():
        return None
    keep = {p.name for p in live} | {path.name}
    found: List[Path] = []
    for other in sorted(path.parent.glob("state-*.sqlite")):
        if other.name in keep or other.name.endswith(EXPORT_CACHE_SUFFIX):
            continue
        try:
            conn = sqlite3.connect(f"{other.as_uri()}?mode=ro", uri=True, timeout=0.05)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'collection'").fetchone()
                sample = [(str(g), int(n)) for g, n in conn.execute(
                    "SELECT guid, nid FROM note_ids ORDER BY nid DESC LIMIT ?", (_SAMPLE,))]
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        if row is not None and str(row[0]) == collection_id and sample and 2 * has_notes(sample) >= len(sample):
            found.append(other)
    if len(found) != 1:
        return None
    old = found[0]
    try:
        os.replace(old, path)
        for suffix in ("-wal", "-shm", "-journal"):
            side = old.with_name(old.name + suffix)
            if side.exists():
                os.replace(side, path.with_name(path.name + suffix))
        cache = old.with_name(old.stem + EXPORT_CACHE_SUFFIX)
        if cache.exists():
            os.replace(cache, path.with_name(path.stem + EXPORT_CACHE_SUFFIX))
    except OSError:
        return None
    return old
