"""New cards in reading order: one step after the notes are added.

Anki gives each new note the next "due" position (siblings share it), so
new cards come up in the order notes were added. This step reorders only
the notes this sync created, among the positions they were given: the
first document added to Polar first, then by page, then by place on the
page (``RenderedCard.position``). Nothing else moves: cards already queued
keep their positions (a later addition to an old document goes after them,
as Anki's next position is past them), seen cards are never touched, and a
deck whose options insert new cards in random order is left random.

Kept apart from how notes are added (it takes note ids and keys), so any
way of adding them can call it; run it inside the sync's undo step.
"""

from __future__ import annotations

from itertools import islice
from operator import le
from typing import TYPE_CHECKING, Dict, List, Sequence, Tuple, TypeVar, cast

from ..render.card import ReadingKey

if TYPE_CHECKING:
    from anki.cards import Card, CardId
    from anki.collection import Collection
    from anki.decks import DeckId
    from anki.notes import NoteId

Key = TypeVar("Key", ReadingKey, int)  # a reading key, or a rank in reading order

_NEW = 0  # card type and queue of a new card
_RANDOM_ORDER = 0  # deck option new.order: NEW_CARDS_RANDOM


def _new_cards(col: Collection, note_ids: Sequence[NoteId]) -> Dict[NoteId, List[Tuple[CardId, DeckId, int]]]:
    """note id -> [(card id, deck id, due)] of its new, unsuspended cards (a read).

    One range query: the notes a sync just added have neighbouring ids, and
    100 chunked IN (...) lookups cost ~10x more at 50,000 notes."""
    wanted = set(note_ids)
    found: Dict[NoteId, List[Tuple[CardId, DeckId, int]]] = {}
    assert col.db is not None
    for cid, nid, did, due in col.db.execute(
        "SELECT id, nid, did, due FROM cards WHERE nid BETWEEN ? AND ? AND type = ? AND queue = ?",
        min(wanted), max(wanted), _NEW, _NEW,
    ):
        if nid in wanted:
            found.setdefault(cast("NoteId", nid), []).append((cast("CardId", cid), cast("DeckId", did), int(due)))
    return found


def order_new_cards(col: Collection, created: Sequence[Tuple[NoteId, Key]]) -> int:
    """Give the new cards of the notes in ``created`` ((note id, reading key
    or the note's rank in reading order), the notes this sync added, *in the
    order they were added*) their due positions in reading order, reusing
    the positions they already hold.
    Returns how many cards were changed (0: already in order; then nothing
    is written).

    Anki gives each note it adds the next position, so notes added in
    reading order are in it already: then nothing is even read (a read of
    50,000 notes' cards would cost a first sync ~0.2 s)."""
    keys = [key for _, key in created]
    if all(map(le, keys, islice(keys, 1, None))):  # in C: ~2 ms at 50,000 notes, a generator's ~8
        return 0
    cards = _new_cards(col, [nid for nid, _ in created])
    random_decks: Dict[DeckId, bool] = {}

    def in_order(did: DeckId) -> bool:
        if did not in random_decks:
            conf = col.decks.config_dict_for_deck_id(did)
            random_decks[did] = conf.get("new", {}).get("order") == _RANDOM_ORDER
        return not random_decks[did]

    notes = [
        (key, nid) for nid, key in created
        if cards.get(nid) and all(in_order(did) for _, did, _ in cards[nid])
    ]
    slots = sorted(min(due for _, _, due in cards[nid]) for _, nid in notes)
    changed: List[Card] = []
    for slot, (_, nid) in zip(slots, sorted(notes)):
        for cid, _, due in cards[nid]:
            if due != slot:
                card = col.get_card(cid)
                card.due = slot
                changed.append(card)
    if changed:
        col.update_cards(changed)  # one undoable op, merged into the sync's step
    return len(changed)
