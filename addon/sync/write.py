"""Writing a plan into the collection: one undo step named "Sync from Polar".

Everything the plan decided is carried out here, nothing is decided: the
steps (``WRITE_STEPS``) run in order on one :class:`Writing` context. Note
types and decks first (made before the undo step when they would not fit in
Anki's 30-step undo queue), media, new notes in a few batches, note updates,
the new cards' reading order, the orphans' changes, then one call each to
save notes, move cards, (un)suspend and remove. Everything goes through Anki's batch APIs; no SQL
writes. The result is the state rows to remember.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..render.card import ReadingKey, RenderedCard
from ..settings import Settings
from .collection_view import existing_deck_id
from .field_merge import remember_hash
from .identity import GUID_PREFIX, guid_for
from .media_store import BULK_THRESHOLD, MediaWriter
from .notetypes import (
    KINDS,
    NoteTypeRef,
    choose,
    create_own,
    describe_missing,
    find_own,
    refresh_look,
    reshaped_own,
    wanted_fields,
)
from .plan import ORPHAN_TAG, Create, Orphan, Plan, merge_tags
from .read import CardMeta
from .reading_order import order_new_cards
from .report import Report
from .state import CardState

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.collection import AddNoteRequest, Collection
    from anki.decks import DeckId
    from anki.notes import Note, NoteId

UNDO_NAME = "Sync from Polar"
ADD_BATCH = 5000
ADD_BATCHES_MAX = 4
# Anki's undo queue holds 30 steps; stay well inside it.
UNDO_STEPS_SAFE = 24
MERGE_EVERY = 8  # deck moves (one undo op per target deck) merged into ours this often


@dataclass
class Writing:
    """What the write steps share."""

    col: Collection
    plan: Plan
    settings: Settings
    report: Report
    say: Callable[[str], None]
    rows: List[CardState] = field(default_factory=list)  # state rows to remember
    undo_name: str = UNDO_NAME
    undo_start: int = 0
    types: Dict[str, NoteTypeRef] = field(default_factory=dict)  # by card kind
    renamed: Dict[str, str] = field(default_factory=dict)  # media name -> the name Anki stored
    media: Optional[MediaWriter] = None
    decks: Dict[str, DeckId] = field(default_factory=dict)  # by lower-case name
    created: List[Tuple[NoteId, ReadingKey]] = field(default_factory=list)  # new notes, in the order added
    to_save: List[Note] = field(default_factory=list)  # for one update_notes
    moves: Dict[DeckId, List[CardId]] = field(default_factory=lambda: defaultdict(list))
    unsuspend: List[CardId] = field(default_factory=list)
    suspend: List[CardId] = field(default_factory=list)
    remove: List[NoteId] = field(default_factory=list)

    def deck_id(self, name: str) -> DeckId:
        """The deck's id, made when missing. A name Anki still refuses (the
        plan avoids the known cases) costs that deck, not the sync: its cards
        go to the profile's default deck and the report says so."""
        key = name.lower()
        if key not in self.decks:
            found = existing_deck_id(self.col, name)
            if found is None:
                try:
                    found = self.col.decks.id(name)  # creates it
                    assert found is not None
                except Exception as exc:  # an Anki refusal (anki.errors.*)
                    from anki.decks import DEFAULT_DECK_ID  # anki.decks alone is a circular import

                    self.report.error(f"deck {name!r}", f"Anki refused to create it ({exc}); "
                                                         "its cards went to the default deck", code="deck_refused")
                    found = DEFAULT_DECK_ID
            self.decks[key] = found
        return self.decks[key]

    def fix_media(self, value: str) -> str:
        for old, new in self.renamed.items():
            value = value.replace(f'src="{old}"', f'src="{new}"')
        return value


def write_plan(col: Collection, plan: Plan, settings: Settings, report: Report,
               say: Callable[[str], None], undo_name: str = UNDO_NAME) -> List[CardState]:
    """All collection writes, inside one undo step. Returns the state rows."""
    w = Writing(col, plan, settings, report, say, rows=list(plan.carry), undo_name=undo_name)
    if not plan.writes_anything:
        # Nothing to write: no undo step, no mtime bumps; only remember.
        w.rows += [_row(u.rc.card_id, u.doc, u.guid, u.meta, u.base, u.polar_tags) for u in plan.updates]
        w.rows += [_orphan_row(o) for o in plan.orphans if not o.duplicate]
        return w.rows
    for step in WRITE_STEPS:
        step(w)
    return w.rows


def open_undo_step(w: Writing) -> None:
    """Start the undo step; make the missing decks and note types.

    Anki keeps the last 30 undo steps, and merging ours needs its start
    still there. Each new deck and note type is a step of its own, so when
    a sync needs many (a first sync of a large library), they are made
    before the undo step: Undo then leaves them, empty, and removes the rest."""
    col, plan = w.col, w.plan
    kinds = sorted({c.kind for c in plan.creates})
    wanted_decks = {c.deck for c in plan.creates} | {u.move_to for u in plan.updates if u.move_to}
    new_decks = [d for d in sorted(wanted_decks) if existing_deck_id(col, d) is None]
    new_types = [k for k in kinds if choose(col, k, w.settings.use_stock_note_types) is None]
    move_targets = min(len({u.move_to for u in plan.updates if u.move_cids}), MERGE_EVERY)  # see move_cards
    # + own types' looks, updates, reading order, (un)suspend, remove
    steps = len(new_decks) + len(new_types) + len(KINDS) + ADD_BATCHES_MAX + move_targets + 5
    early = steps > UNDO_STEPS_SAFE
    if early:
        _make_structure(w, new_decks, new_types)
    w.undo_start = col.add_custom_undo_entry(w.undo_name)
    if not early:
        _make_structure(w, new_decks, new_types)
    for kind in kinds:
        ref = choose(col, kind, w.settings.use_stock_note_types)
        assert ref is not None  # made above
        w.types[kind] = ref
        if kind in new_types:
            for old in reshaped_own(col, kind):
                w.report.warn(f"note type {old.name}", f"{describe_missing(old, old.missing)}; new notes of "
                                                       f"this kind go to the new note type {ref.name!r} instead")


def _make_structure(w: Writing, decks: Sequence[str], kinds: Sequence[str]) -> None:
    for name in decks:
        w.deck_id(name)  # creates missing parents too
    for kind in kinds:
        create_own(w.col, kind)
    # Own types made by an older version get today's look (CSS and answer
    # templates only: no full AnkiWeb sync); once, then they are current.
    for kind in KINDS:
        own = find_own(w.col, kind)
        if own is not None:
            refresh_look(w.col, own)


def store_media(w: Writing) -> None:
    """Media first: the names Anki actually stored go into the fields. New
    files are written on a thread while the notes are added."""
    w.say("Writing media…")
    plan = w.plan
    needing: List[RenderedCard] = [c.rc for c in plan.creates] + [u.rc for u in plan.updates if u.content_changed]
    needing += plan.missing_media
    n_media = len({m.name for rc in needing for m in rc.media})
    w.media = MediaWriter(w.col, bulk=n_media >= BULK_THRESHOLD)
    written: Set[str] = set()
    for rc in needing:
        for media in rc.media:
            if media.name in written:
                continue
            written.add(media.name)
            try:
                stored = w.media.write(media.name, media.data)
            except Exception as exc:  # disk full, permissions: the note still syncs
                w.report.error(f"media/{media.name}", f"could not store the image: {exc}", code="image_not_stored")
                continue
            if stored != media.name:
                w.renamed[media.name] = stored
    w.media.start()


def add_notes(w: Writing) -> None:
    """New notes, in a few batches: one add_notes of 50,000 notes peaks ~260 MB
    higher (the whole request is serialised, then decoded by the backend)
    for no gain in speed. Few, because each call is an undo op and Anki
    keeps only the last 30: the merge at the end needs our entry still there."""
    from anki.collection import AddNoteRequest

    col, creates = w.col, w.plan.creates
    w.say(f"Adding {len(creates)} notes…")
    batch = max(ADD_BATCH, -(-len(creates) // ADD_BATCHES_MAX))
    requests = []
    done = 0  # creates added so far
    # One backend-made note per kind, cloned for each new note: col.new_note
    # is a backend round trip plus a field-map build per call (~1.2 s for
    # 50,000 notes). A clone differs from a fresh note only in guid, fields
    # and tags, and all three are set right below. (Not copy.copy: Note's
    # deprecated-names __getattr__ makes that ~18 us a note.)
    blanks: Dict[str, Note] = {}
    if w.settings.reading_order:  # Anki's due positions then come out in reading order already
        creates = sorted(creates, key=lambda c: c.rc.position)
    added: List[Tuple[Note, ReadingKey]] = []
    for c in creates:
        nt = w.types[c.kind]
        blank = blanks.get(c.kind)
        if blank is None:
            model = col.models.get(nt.id)
            assert model is not None  # chosen or made in open_undo_step
            blank = blanks[c.kind] = col.new_note(model)
        note = object.__new__(type(blank))
        note.__dict__.update(blank.__dict__)
        note.fields = list(blank.fields)
        base: List[str] = []
        for i, want in enumerate(wanted_fields(nt, c.rc)):
            if want is None:
                base.append("")
                continue
            note.fields[i] = w.fix_media(want.value)
            base.append(remember_hash(w.fix_media(want.text), None if want.tail is None else w.fix_media(want.tail)))
        note.guid = guid_for(c.rc.card_id)
        note.tags = merge_tags([], None, list(c.rc.tags))
        requests.append(AddNoteRequest(note=note, deck_id=w.deck_id(c.deck)))
        added.append((note, c.rc.position))
        w.rows.append(_row(c.rc.card_id, c.doc, note.guid, c.meta, base, list(c.rc.tags)))
        if len(requests) >= batch:
            _add(col, requests, creates, done)
            done += len(requests)
            requests = []
            if done < len(creates):
                w.say(f"Adding notes… {done}/{len(creates)}")  # also where a closing Anki stops us
    if requests:
        _add(col, requests, creates, done)
    w.created = [(note.id, key) for note, key in added]  # _add set the ids
    assert w.media is not None
    for name, why in w.media.finish():
        w.report.error(f"media/{name}", f"could not store the image: {why}", code="image_not_stored")


def _add(col: Collection, requests: List[AddNoteRequest], creates: List[Create], start: int) -> None:
    col.add_notes(requests)  # sets each request's note.id
    for offset, request in enumerate(requests):
        creates[start + offset].note_id = int(request.note.id)


def update_notes(w: Writing) -> None:
    """Matched notes: content, tags, guid (re-keyed/adopted), restored orphans;
    the cards to move and to unsuspend."""
    w.say("Updating notes…")
    for u in w.plan.updates:
        base = list(u.base)
        if u.writes_note:
            note = w.col.get_note(u.note.id)
            for i, new in enumerate(u.fields):
                want = u.wants[i] if i < len(u.wants) else None
                if new is not None and want is not None and i < len(note.fields):
                    note.fields[i] = w.fix_media(new)
                    # Polar's side, as stored (media names may have changed),
                    # even where the user's text was kept.
                    base[i] = remember_hash(w.fix_media(want.text),
                                            None if want.tail is None else w.fix_media(want.tail))
            note.tags = u.tags
            note.guid = u.guid
            w.to_save.append(note)
        if u.move_cids:
            w.moves[w.deck_id(u.move_to or "")] += u.move_cids
        w.unsuspend += u.unsuspend
        w.rows.append(_row(u.rc.card_id, u.doc, u.guid, u.meta, base, u.polar_tags))


def queue_in_reading_order(w: Writing) -> None:
    """The notes added by this sync, due in reading order (``reading_order``)."""
    if w.settings.reading_order and w.created:
        order_new_cards(w.col, w.created)


def handle_orphans(w: Writing) -> None:
    """Notes whose Polar card is gone: what ``plan.decide_deletions`` chose."""
    for o in w.plan.orphans:
        if o.remove:
            w.remove.append(o.note.id)
            continue
        note = w.col.get_note(o.note.id)
        if o.new_guid is not None:
            note.guid = o.new_guid
        if o.add_tag:
            note.tags = list(note.tags) + [ORPHAN_TAG]
        w.suspend += o.suspend
        if note.guid != o.note.guid or note.tags != o.note.tags:
            w.to_save.append(note)
        if not o.duplicate:
            w.rows.append(_orphan_row(o))


def save_notes(w: Writing) -> None:
    if w.to_save:
        w.col.update_notes(w.to_save)


def move_cards(w: Writing) -> None:
    """Through Anki's own deck move (Browse ▸ Change Deck), one call per
    target deck: a card in a filtered deck leaves it for its new home with
    its real due date back (setting ``did`` would keep the filtered deck's
    bookkeeping, which Check Database then "repairs", losing the due date)."""
    from anki.decks import DeckId

    for n, (did, cids) in enumerate(w.moves.items(), 1):
        w.col.set_deck(cids, DeckId(did))
        if n % MERGE_EVERY == 0:  # each call is an undo op: fold them in before the 30 run out
            w.col.merge_undo_entries(w.undo_start)


def set_suspension(w: Writing) -> None:
    if w.unsuspend:
        w.col.sched.unsuspend_cards(w.unsuspend)
    if w.suspend:
        w.col.sched.suspend_cards(w.suspend)


def remove_notes(w: Writing) -> None:
    if w.remove:
        w.col.remove_notes(w.remove)


def close_undo_step(w: Writing) -> None:
    w.report.op_changes = w.col.merge_undo_entries(w.undo_start)


WRITE_STEPS: Sequence[Callable[[Writing], None]] = (
    open_undo_step,
    store_media,
    add_notes,
    queue_in_reading_order,
    update_notes,
    handle_orphans,
    save_notes,
    move_cards,
    set_suspension,
    remove_notes,
    close_undo_step,
)


def foreign_row(guid: str) -> CardState:
    """The state row of a Polar note no earlier sync recorded: remembered as
    handled (orphaned, in no document), so it is left alone from now on."""
    return CardState("guid:" + guid[len(GUID_PREFIX):], "", guid, "", "", "", (), (), True)


def _orphan_row(o: Orphan) -> CardState:
    c = o.card
    if c is None:
        return foreign_row(o.note.guid)  # a duplicate's or a note no state row knew
    return CardState(c.card_id, c.doc, c.guid, c.ref, c.type, c.created, c.fields, c.tags, True)


def _row(card_id: str, doc: str, guid: str, meta: CardMeta, base: Sequence[str],
         polar_tags: Sequence[str]) -> CardState:
    return CardState(card_id, doc, guid, meta.ref, meta.type, meta.created, tuple(base), tuple(polar_tags), False)
