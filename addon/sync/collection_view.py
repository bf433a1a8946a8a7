"""Read-only lookups of what the collection already holds: Polar's notes and
their cards, decks, media files, the collection's identity.

Anki has no guid search, so identity is looked up with a handful of plain
SELECTs per sync (reads only; every write goes through Anki's APIs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, cast

from .identity import GUID_PREFIX, LEGACY_GUID_TAG, LEGACY_MARKER_TAG
from .sql import in_chunks

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.collection import Collection
    from anki.dbproxy import DBProxy
    from anki.decks import DeckId
    from anki.models import NotetypeId
    from anki.notes import NoteId

    from ..render.card import RenderedCard

_LIKE = GUID_PREFIX.replace("%", r"\%").replace("_", r"\_") + "%"
# Above this many guids one table scan beats chunked IN (...) lookups.
_SCAN_THRESHOLD = 2000
# Notes a query of that scan reads at once (see _note_rows).
SCAN_PAGE = 2000


@dataclass
class CardInfo:
    id: CardId
    did: DeckId
    queue: int
    reps: int
    odid: DeckId  # the home deck while the card is in a filtered deck, else 0

    @property
    def home(self) -> DeckId:
        """The deck the card belongs to: a filtered deck only borrows it."""
        return self.odid or self.did


@dataclass
class NoteInfo:
    id: NoteId
    guid: str
    mid: NotetypeId
    fields: List[str]
    tags: List[str]
    cards: List[CardInfo] = field(default_factory=list)
    # tag -> tag_or_moved(tag): a sync asks about the set-aside tag four
    # times a note (a snapshot: its tags do not change under it)
    _moved: Dict[str, Optional[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def reviewed(self) -> bool:
        return any(c.reps > 0 for c in self.cards)

    def has_tag(self, tag: str) -> bool:
        low = tag.lower()
        return any(t.lower() == low for t in self.tags)

    def has_tag_or_moved(self, tag: str) -> bool:
        """``tag``, or ``tag`` moved with its parent (see ``tag_or_moved``)."""
        return self.tag_or_moved(tag) is not None

    def tag_or_moved(self, tag: str) -> Optional[str]:
        """The note's spelling of ``tag``, or of ``tag`` moved along with its
        parent tag, which the user renamed in the Browser: ``polar`` →
        ``reading::polar`` takes ``polar::deleted`` to ``reading::polar::deleted``,
        and ``polar`` → ``reading`` takes it to ``reading::deleted`` (the note
        then has ``reading`` and no ``polar``); else None."""
        try:
            return self._moved[tag]
        except KeyError:
            found = self._moved[tag] = self._tag_or_moved(tag)
            return found

    def _tag_or_moved(self, tag: str) -> Optional[str]:
        low = tag.lower()
        tail = "::" + low
        parent, _, leaf = low.rpartition("::")
        renamed: List[str] = []
        for t in self.tags:
            lt = t.lower()
            if lt == low or lt.endswith(tail):
                return t
            if parent and lt.endswith("::" + leaf):
                renamed.append(t)
        if renamed:
            lows = {t.lower() for t in self.tags}
            if parent not in lows:
                for t in renamed:
                    if t.lower()[: -len(leaf) - 2] in lows:
                        return t
        return None


def existing_deck_id(col: Collection, name: str) -> Optional[DeckId]:
    """The deck's id, or None if it does not exist yet. "Default" (Polar's
    name for "no deck chosen") is the deck of that name, else the profile's
    own default deck, whatever its name in the profile's language
    ("Standard", "既定", ...). (Polar's old sync made a "Default" beside a
    German profile's "Standard" and put its cards there: they stay one deck.)"""
    from anki.decks import DEFAULT_DECK_ID  # anki.decks alone is a circular import; col loaded it

    found = col.decks.id_for_name(name)
    if found is None and name.lower() == "default" and col.decks.get(DEFAULT_DECK_ID, default=False):
        return DEFAULT_DECK_ID
    return found


def normal_decks(col: Collection) -> Dict[DeckId, str]:
    """Every deck that can hold cards of its own (not a filtered deck): id ->
    name. One call however many decks (~1 us a deck)."""
    return {cast("DeckId", d.id): str(d.name) for d in col.decks.all_names_and_ids(include_filtered=False)}


def deck_ids_by_name(decks: Dict[DeckId, str]) -> Dict[str, DeckId]:
    """``decks`` (:func:`normal_decks`) by lower-case name, "default" the
    deck of that name, else the profile's own default deck whatever its name
    (as :func:`existing_deck_id`)."""
    from anki.decks import DEFAULT_DECK_ID  # anki.decks alone is a circular import; col loaded it

    ids = {name.lower(): did for did, name in decks.items()}
    if DEFAULT_DECK_ID in decks and "default" not in ids:
        ids["default"] = DEFAULT_DECK_ID
    return ids


def filtered_deck_on_path(col: Collection, name: str) -> Optional[str]:
    """The name of the filtered deck that ``name`` is or would nest under, or
    None. Anki keeps no cards of their own in a filtered deck (new cards
    land in Default, moved ones lose their home) and refuses children of one."""
    parts = name.split("::")
    for depth in range(1, len(parts) + 1):
        did = existing_deck_id(col, "::".join(parts[:depth]))
        if did is None:
            return None  # its children do not exist either
        deck = col.decks.get(did, default=False)
        if deck and deck.get("dyn"):
            return str(deck["name"])
    return None


def lacking_media(col: Collection, cards: Iterable[RenderedCard]) -> List[RenderedCard]:
    """Those of ``cards`` with an image missing from the media folder (a stat
    per image)."""
    folder = col.media.dir()
    return [rc for rc in cards if any(not os.path.exists(os.path.join(folder, m.name)) for m in rc.media)]


def _db(col: Collection) -> DBProxy:
    assert col.db is not None, "the collection is closed"
    return col.db


def polar_note_count(col: Collection) -> int:
    return polar_note_summary(col)[0]


def polar_note_summary(col: Collection) -> Tuple[int, int]:
    """(count, sum of ids) of the Polar notes: one scan of the notes table.
    The sum tells, with the count, whether remembered note ids
    (``SyncState.note_id_summary``) are exactly the collection's."""
    row = _db(col).first(f"SELECT count(), sum(id) FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'")
    assert row is not None  # an aggregate always returns its one row
    return int(row[0]), int(row[1] or 0)


def notes_present(col: Collection, pairs: Sequence[Tuple[str, int]]) -> int:
    """How many of ``pairs`` (guid, note id) the collection holds as such."""
    wanted = dict((nid, guid) for guid, nid in pairs)
    found = 0
    for marks, chunk in in_chunks(list(wanted)):
        for nid, guid in _db(col).all(f"SELECT id, guid FROM notes WHERE id IN ({marks})", *chunk):
            found += wanted.get(int(nid)) == guid
    return found


def notes_fingerprint(col: Collection) -> str:
    """Which notes the collection holds, and whether any came or changed
    through AnkiWeb or an edit since: their count, the sum of their ids and
    the sum of their sync numbers (``usn``: -1 once edited here, the
    server's number once synced), all read from one index (~6 ms at 50,000
    notes, where a look at the notes' guids reads the whole table, ~30 ms;
    the table has no index on guid). A note added or deleted changes it (ids
    are unique creation times), and so does a note another computer changed
    (a guid re-keyed there). "" when there is none (the sum of a few million
    ids overflows SQLite's integers)."""
    try:
        row = _db(col).first("SELECT count(), sum(id), sum(usn) FROM notes")
    except Exception:  # Anki's DBError: integer overflow
        return ""
    return f"{int(row[0])}:{int(row[1] or 0)}:{int(row[2] or 0)}" if row else ""


# At most this many guids ride along with the count's scan (one SQL
# parameter each); a sync of more documents looks them up on its own.
PROBE_MAX = 500


@dataclass(frozen=True)
class Probe:
    """Where some Polar guids are, found by the scan that counts Polar notes
    or remembered by the sync state (``SyncState.note_ids``): the notes
    holding one of ``guids`` are among ``ids`` (no others are). A guid in
    ``hinted`` that none of ``ids`` holds after all (a remembered id gone
    stale) is looked for by guid."""

    guids: FrozenSet[str]
    ids: List[NoteId]
    hinted: FrozenSet[str] = frozenset()


NO_PROBE = Probe(frozenset(), [])


def polar_note_count_and_probe(col: Collection, guids: Iterable[str]) -> Tuple[int, int, Probe]:
    """``polar_note_summary`` (count, sum of ids), and in the same scan the ids of the notes whose
    guid is one of ``guids`` (Polar guids, at most ``PROBE_MAX``; otherwise
    nothing is probed). The notes table has no index on guid, so each look
    for a guid is a scan of it (~20 ms at 50,000 notes): a resync of one
    document needs the count and its notes, and gets both from one scan."""
    wanted = sorted({g for g in guids if g.startswith(GUID_PREFIX)})
    if not wanted or len(wanted) > PROBE_MAX:
        count, total = polar_note_summary(col)
        return count, total, NO_PROBE
    marks = ",".join("?" * len(wanted))
    row = _db(col).first(
        f"SELECT count(), sum(id), group_concat(CASE WHEN guid IN ({marks}) THEN id END) "
        f"FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'",
        *wanted,
    )
    assert row is not None  # an aggregate always returns its one row
    count, total, ids = row
    found = [cast("NoteId", int(i)) for i in str(ids).split(",")] if ids else []
    return int(count), int(total or 0), Probe(frozenset(wanted), found)


def notes_tagged(col: Collection, nids: Sequence[int], tag: str) -> Set[int]:
    """Of ``nids``, the notes that carry ``tag`` (any case; not a tag under
    it): one look at those notes' rows."""
    found: Set[int] = set()
    for marks, chunk in in_chunks(list(nids)):
        found.update(int(n) for n in _db(col).list(
            f"SELECT id FROM notes WHERE id IN ({marks}) AND lower(tags) LIKE ?", *chunk, f"% {tag.lower()} %"))
    return found


def polar_guids(col: Collection) -> Dict[str, List[NoteId]]:
    found: Dict[str, List[NoteId]] = {}
    for nid, guid in _db(col).all(f"SELECT id, guid FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'"):
        found.setdefault(guid, []).append(nid)
    return found



def polar_note_types(col: Collection) -> Dict[str, List[NotetypeId]]:
    """The note type of each Polar note, by guid (several when two computers
    made one): one scan of the notes table."""
    found: Dict[str, List[NotetypeId]] = {}
    for guid, mid in _db(col).all(f"SELECT guid, mid FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'"):
        found.setdefault(guid, []).append(mid)
    return found


def polar_notes_by_type(col: Collection) -> Dict[int, int]:
    """Note type id -> how many Polar notes it holds: one scan of the notes
    table (asked only when a stock type the sync would use is gone or
    reshaped, see ``notetypes.followed_type``)."""
    rows = _db(col).all(f"SELECT mid, count() FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\' GROUP BY mid")
    return {int(mid): int(n) for mid, n in rows}


def note_types_of(col: Collection, nids: Sequence[int]) -> Set[int]:
    """The note type ids of these notes (a sync's new notes)."""
    found: Set[int] = set()
    for marks, chunk in in_chunks(list(nids)):
        found.update(int(mid) for mid in _db(col).list(f"SELECT DISTINCT mid FROM notes WHERE id IN ({marks})", *chunk))
    return found


def holds_polar_note(col: Collection, mid: int) -> bool:
    """Whether note type ``mid`` holds a Polar note: Anki's index of the
    notes' types (``idx_notes_mid``) finds the first one, no scan of the
    notes table (``polar_notes_by_type`` is asked only when it holds none)."""
    return _db(col).scalar(
        f"SELECT 1 FROM notes WHERE mid = ? AND guid LIKE '{_LIKE}' ESCAPE '\\' LIMIT 1", mid) is not None


def schema_stamp(col: Collection) -> str:
    """When the collection's schema last changed (``scm``): Anki moves it on
    every Change Note Type, field or template added or removed, full sync."""
    return str(_db(col).scalar("SELECT scm FROM col"))

# The columns _note_info reads, in its order.
_NOTE_SELECT = "SELECT id, guid, mid, flds, tags FROM notes"


def _note_rows(col: Collection, guids: Sequence[str]) -> Iterable[Sequence[Any]]:
    if len(guids) > _SCAN_THRESHOLD:
        # The scan a page of notes at a time, in id order: Anki hands a
        # query's rows over as one JSON text, decoded holding the GIL, and
        # at 50,000 notes one text held Anki's window 85-100 ms (an update
        # of every note); a page of 2,000 holds it ~25 ms, for no more time.
        wanted = set(guids)
        after = 0
        while True:
            rows = _db(col).all(f"{_NOTE_SELECT} WHERE guid LIKE '{_LIKE}' ESCAPE '\\' AND id > ? ORDER BY id "
                                f"LIMIT {SCAN_PAGE:d}", after)
            for row in rows:
                if row[1] in wanted:
                    yield row
            if len(rows) < SCAN_PAGE:
                return
            after = rows[-1][0]
    for marks, chunk in in_chunks(guids):
        yield from _db(col).execute(f"{_NOTE_SELECT} WHERE guid IN ({marks})", *chunk)


def _attach_cards(col: Collection, notes: Dict[NoteId, NoteInfo]) -> None:
    for marks, chunk in in_chunks(list(notes)):
        for cid, nid, did, queue, reps, odid in _db(col).execute(
            f"SELECT id, nid, did, queue, reps, odid FROM cards WHERE nid IN ({marks}) ORDER BY ord", *chunk
        ):
            notes[nid].cards.append(CardInfo(cid, did, queue, reps, odid))


def _note_info(row: Sequence[Any]) -> NoteInfo:
    return NoteInfo(
        id=row[0], guid=str(row[1]), mid=row[2],
        fields=str(row[3]).split("\x1f"), tags=str(row[4]).split(),
    )


def notes_by_guid(col: Collection, guids: Iterable[str], probe: Probe = NO_PROBE) -> Dict[str, List[NoteInfo]]:
    """Every note (with its cards) whose guid is one of ``guids``. A guid may
    map to several notes when two computers each created it (AnkiWeb matches
    by note id, not guid). The notes of guids in ``probe`` are read by id;
    only the others are looked for by guid."""
    unique = sorted(set(guids))
    if not unique:
        return {}
    notes: Dict[NoteId, NoteInfo] = {}
    probed = {g for g in unique if g in probe.guids}
    if probed:
        for marks, chunk in in_chunks(probe.ids):
            for row in _db(col).execute(f"{_NOTE_SELECT} WHERE id IN ({marks})", *chunk):
                if row[1] in probed:
                    info = _note_info(row)
                    notes[info.id] = info
    if probe.hinted:  # a remembered id that no longer holds its guid: looked for by guid
        probed -= probe.hinted - {n.guid for n in notes.values()}
    rest = [g for g in unique if g not in probed]
    for row in _note_rows(col, rest) if rest else ():
        info = _note_info(row)
        notes[info.id] = info
    _attach_cards(col, notes)
    by_guid: Dict[str, List[NoteInfo]] = {}
    for info in sorted(notes.values(), key=lambda n: n.id):
        by_guid.setdefault(info.guid, []).append(info)
    return by_guid


def max_note_id(col: Collection) -> int:
    """The newest note's id (the primary key's end: no scan)."""
    return int(_db(col).scalar("SELECT coalesce(max(id), 0) FROM notes") or 0)


def legacy_note_added_after(col: Collection, nid: int) -> bool:
    """Whether a note of Polar's old sync (``legacy_notes``' kind) was added
    after note id ``nid``: only the notes added since are read (the id's
    range), most of them this add-on's own (their guid says so)."""
    return _db(col).scalar(
        f"SELECT 1 FROM notes WHERE id > ? AND guid NOT LIKE '{_LIKE}' ESCAPE '\\' "
        "AND (tags LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\') LIMIT 1", nid,
        "%" + LEGACY_GUID_TAG.replace("_", r"\_") + "%",
        "%" + LEGACY_MARKER_TAG.replace("_", r"\_") + "%",
    ) is not None


def legacy_notes(col: Collection) -> List[NoteInfo]:
    """Notes made by Polar's old AnkiConnect sync (tagged ``polar_guid:<id>``
    or ``_polar-flashcard``) that this add-on has not taken over yet."""
    rows = _db(col).all(
        f"{_NOTE_SELECT} WHERE "
        f"(tags LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\') AND guid NOT LIKE '{_LIKE}' ESCAPE '\\'",
        "%" + LEGACY_GUID_TAG.replace("_", r"\_") + "%",
        "%" + LEGACY_MARKER_TAG.replace("_", r"\_") + "%",
    )
    notes = {r[0]: _note_info(r) for r in rows}
    _attach_cards(col, notes)
    return sorted(notes.values(), key=lambda n: n.id)
