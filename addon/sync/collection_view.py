"""Read-only queries for what the collection already holds of Polar's cards.

Anki has no guid search, so identity is looked up with a handful of plain
SELECTs per sync (reads only; every write goes through Anki's APIs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Sequence

from .identity import GUID_PREFIX, LEGACY_GUID_TAG, LEGACY_MARKER_TAG

_LIKE = GUID_PREFIX.replace("%", r"\%").replace("_", r"\_") + "%"
# Above this many guids one table scan beats chunked IN (...) lookups.
_SCAN_THRESHOLD = 2000


@dataclass
class CardInfo:
    id: int
    did: int
    queue: int
    reps: int


@dataclass
class NoteInfo:
    id: int
    guid: str
    mid: int
    fields: List[str]
    tags: List[str]
    cards: List[CardInfo] = field(default_factory=list)

    @property
    def reviewed(self) -> bool:
        return any(c.reps > 0 for c in self.cards)

    def has_tag(self, tag: str) -> bool:
        low = tag.lower()
        return any(t.lower() == low for t in self.tags)


def polar_note_count(col: Any) -> int:
    return int(col.db.scalar(f"SELECT count() FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'"))


def polar_guids(col: Any) -> Dict[str, List[int]]:
    found: Dict[str, List[int]] = {}
    for nid, guid in col.db.all(f"SELECT id, guid FROM notes WHERE guid LIKE '{_LIKE}' ESCAPE '\\'"):
        found.setdefault(guid, []).append(nid)
    return found


def _note_rows(col: Any, guids: Sequence[str]) -> Iterable[Sequence[Any]]:
    cols = "SELECT id, guid, mid, flds, tags FROM notes"
    if len(guids) > _SCAN_THRESHOLD:
        wanted = set(guids)
        for row in col.db.execute(f"{cols} WHERE guid LIKE '{_LIKE}' ESCAPE '\\'"):
            if row[1] in wanted:
                yield row
        return
    for i in range(0, len(guids), 500):
        chunk = list(guids[i: i + 500])
        marks = ",".join("?" * len(chunk))
        yield from col.db.execute(f"{cols} WHERE guid IN ({marks})", *chunk)


def _attach_cards(col: Any, notes: Dict[int, NoteInfo]) -> None:
    ids = list(notes)
    for i in range(0, len(ids), 500):
        chunk = ids[i: i + 500]
        marks = ",".join("?" * len(chunk))
        for cid, nid, did, queue, reps in col.db.execute(
            f"SELECT id, nid, did, queue, reps FROM cards WHERE nid IN ({marks}) ORDER BY ord", *chunk
        ):
            notes[nid].cards.append(CardInfo(cid, did, queue, reps))


def _note_info(row: Sequence[Any]) -> NoteInfo:
    return NoteInfo(
        id=int(row[0]), guid=str(row[1]), mid=int(row[2]),
        fields=str(row[3]).split("\x1f"), tags=str(row[4]).split(),
    )


def notes_by_guid(col: Any, guids: Iterable[str]) -> Dict[str, List[NoteInfo]]:
    """Every note (with its cards) whose guid is one of ``guids``. A guid may
    map to several notes when two computers each created it (AnkiWeb matches
    by note id, not guid)."""
    unique = sorted(set(guids))
    if not unique:
        return {}
    notes: Dict[int, NoteInfo] = {}
    for row in _note_rows(col, unique):
        info = _note_info(row)
        notes[info.id] = info
    _attach_cards(col, notes)
    by_guid: Dict[str, List[NoteInfo]] = {}
    for info in sorted(notes.values(), key=lambda n: n.id):
        by_guid.setdefault(info.guid, []).append(info)
    return by_guid


def legacy_notes(col: Any) -> List[NoteInfo]:
    """Notes made by Polar's old AnkiConnect sync (tagged ``polar_guid:<id>``
    or ``_polar-flashcard``) that this add-on has not taken over yet."""
    rows = col.db.all(
        "SELECT id, guid, mid, flds, tags FROM notes WHERE "
        f"(tags LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\') AND guid NOT LIKE '{_LIKE}' ESCAPE '\\'",
        "%" + LEGACY_GUID_TAG.replace("_", r"\_") + "%",
        "%" + LEGACY_MARKER_TAG.replace("_", r"\_") + "%",
    )
    notes = {int(r[0]): _note_info(r) for r in rows}
    _attach_cards(col, notes)
    return sorted(notes.values(), key=lambda n: n.id)
