"""Writing a plan into the collection: one undo step named "Sync from Polar".

Note types and decks first (made before the undo step when they would not
fit in Anki's 30-step undo queue), media, new notes in a few batches, note
updates, deck moves, suspensions and removals; then the state rows to
remember. Everything goes through Anki's batch APIs; no SQL writes.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from .collection_view import polar_note_count
from .identity import GUID_PREFIX, guid_for
from .media_store import BULK_THRESHOLD, MediaWriter
from .notetypes import NoteTypeRef, choose, create_own, fill_fields
from .plan import ORPHAN_TAG, Orphan, Plan, field_hash, merge_tags
from .report import Report
from .state import CardState

if TYPE_CHECKING:
    from .engine import Prepared

UNDO_NAME = "Sync from Polar"
ADD_BATCH = 5000
ADD_BATCHES_MAX = 4


DEFAULT_DECK_ID = 1
# Anki's undo queue holds 30 steps; stay well inside it.
UNDO_STEPS_SAFE = 24


def make_structure(col: Any, decks: List[str], kinds: List[str]) -> None:
    for name in decks:
        col.decks.id(name)  # creates missing parents too
    for kind in kinds:
        create_own(col, kind)


def existing_deck_id(col: Any, name: str) -> Optional[int]:
    """The deck's id, or None if it does not exist yet. "Default" (Polar's
    name for "no deck chosen") is the profile's own default deck, whatever
    its name in the profile's language ("Standard", "既定", ...)."""
    if name.lower() == "default" and col.decks.get(DEFAULT_DECK_ID, default=False):
        return DEFAULT_DECK_ID
    did = col.decks.id_for_name(name)
    return int(did) if did is not None else None


def orphan_needs_work(o: Orphan, policy: str) -> bool:
    if policy == "delete" or o.duplicate:
        return True
    if policy in ("tag", "suspend") and not o.note.has_tag(ORPHAN_TAG):
        return True
    return policy == "suspend" and any(c.queue != -1 for c in o.note.cards)


def write_plan(col: Any, plan: Plan, prep: Prepared, rep: Report, settings: Any) -> List[CardState]:
    """All collection writes, inside one undo step. Returns the state rows."""
    from anki.collection import AddNoteRequest
    from anki.decks import DeckId

    say = prep.progress or (lambda _msg: None)
    rows: List[CardState] = list(plan.carry)
    meta = {cid: m for d in prep.docs.values() for cid, m in d.card_meta.items()}
    policy = settings.deletion_policy

    def must_move(u: Any) -> bool:
        if not u.move_to:
            return False
        did = existing_deck_id(col, u.move_to)
        return did is None or any(c.did != did for c in u.note.cards)

    # A sync killed after adding its notes but before the media thread had
    # written their files leaves notes pointing at missing files; the next
    # run finds those notes unchanged, so re-check (a stat per image) the
    # media of the matched cards of the documents read this time.
    folder = col.media.dir()
    missing_media = [
        u.rc for u in plan.updates
        if not u.content_changed and any(not os.path.exists(os.path.join(folder, m.name)) for m in u.rc.media)
    ]
    touched = (
        plan.creates
        or missing_media
        or any(u.writes_note or u.unsuspend or must_move(u) for u in plan.updates)
        or any(orphan_needs_work(o, policy) for o in plan.orphans)
    )
    if not touched:
        # Nothing to write: no undo step, no mtime bumps; only remember.
        rows += [_row(u.rc.card_id, u.doc, u.guid, meta, u.base, u.polar_tags, False) for u in plan.updates]
        rows += [_orphan_row(o) for o in plan.orphans if not o.duplicate]
        return rows

    # Anki keeps the last 30 undo steps, and merging ours needs its start
    # still there. Each new deck and note type is a step of its own, so when
    # a sync needs many (a first sync of a large library), they are made
    # before the undo step: Undo then leaves them, empty, and removes the rest.
    kinds = sorted({c.kind for c in plan.creates})
    wanted_decks = {c.deck for c in plan.creates} | {u.move_to for u in plan.updates if u.move_to}
    new_decks = [d for d in sorted(wanted_decks) if existing_deck_id(col, d) is None]
    new_types = [k for k in kinds if choose(col, k, settings.use_stock_note_types) is None]
    steps = len(new_decks) + len(new_types) + ADD_BATCHES_MAX + 5  # + updates, moves, (un)suspend, remove
    early = steps > UNDO_STEPS_SAFE
    if early:
        make_structure(col, new_decks, new_types)
    pos = col.add_custom_undo_entry(UNDO_NAME)
    if not early:
        make_structure(col, new_decks, new_types)

    # Note types, created only when a card needs one the profile lacks.
    types: Dict[str, NoteTypeRef] = {}
    for kind in kinds:
        ref = choose(col, kind, settings.use_stock_note_types)
        assert ref is not None  # made above
        types[kind] = ref

    # Media first: the names Anki actually stored go into the fields.
    say("Writing media…")
    renamed: Dict[str, str] = {}
    written: Set[str] = set()
    needing_media = [c.rc for c in plan.creates] + [u.rc for u in plan.updates if u.content_changed]
    needing_media += missing_media
    n_media = len({m.name for rc in needing_media for m in rc.media})
    store = MediaWriter(col, bulk=n_media >= BULK_THRESHOLD)
    for rc in needing_media:
        for media in rc.media:
            if media.name in written:
                continue
            written.add(media.name)
            try:
                stored = store.write(media.name, media.data)
            except Exception as exc:  # disk full, permissions: the note still syncs
                rep.error(f"media/{media.name}", f"could not store the image: {exc}")
                continue
            if stored != media.name:
                renamed[media.name] = stored
    store.start()  # new files are written on a thread while the notes are added

    def fix_media(value: str) -> str:
        for old, new in renamed.items():
            value = value.replace(f'src="{old}"', f'src="{new}"')
        return value

    decks: Dict[str, int] = {}

    def deck_id(name: str) -> int:
        key = name.lower()
        if key not in decks:
            found = existing_deck_id(col, name)
            decks[key] = found if found is not None else int(col.decks.id(name))
        return decks[key]

    # Creates, in a few batches: one add_notes of 50,000 notes peaks ~260 MB
    # higher (the whole request is serialised, then decoded by the backend)
    # for no gain in speed. Few, because each call is an undo op and Anki
    # keeps only the last 30: the merge below needs our entry still there.
    say(f"Adding {len(plan.creates)} notes…")
    batch = max(ADD_BATCH, -(-len(plan.creates) // ADD_BATCHES_MAX))
    requests = []
    # One backend-made note per kind, cloned for each new note: col.new_note
    # is a backend round trip plus a field-map build per call (~1.2 s for
    # 50,000 notes). A clone differs from a fresh note only in guid, fields
    # and tags, and all three are set right below. (Not copy.copy: Note's
    # deprecated-names __getattr__ makes that ~18 us a note.)
    blanks: Dict[str, Any] = {}
    for c in plan.creates:
        nt = types[c.kind]
        blank = blanks.get(c.kind)
        if blank is None:
            blank = blanks[c.kind] = col.new_note(col.models.get(nt.id))
        note = object.__new__(type(blank))
        note.__dict__.update(blank.__dict__)
        note.fields = list(blank.fields)
        values = fill_fields(nt.field_names, c.rc, nt.own)
        base: List[str] = []
        for i, value in enumerate(values):
            if value is None:
                base.append("")
                continue
            value = fix_media(value)
            note.fields[i] = value
            base.append(field_hash(value))
        note.guid = guid_for(c.rc.card_id)
        note.tags = merge_tags([], None, list(c.rc.tags))
        requests.append(AddNoteRequest(note=note, deck_id=DeckId(deck_id(c.deck))))
        rows.append(_row(c.rc.card_id, c.doc, note.guid, meta, base, list(c.rc.tags), False))
        if len(requests) >= batch:
            col.add_notes(requests)
            requests = []
    if requests:
        col.add_notes(requests)
    for name, why in store.finish():
        rep.error(f"media/{name}", f"could not store the image: {why}")

    # Updates: content, tags, guid (re-keyed/adopted), restored orphans.
    say("Updating notes…")
    to_update = []
    moves: Dict[int, List[int]] = defaultdict(list)
    unsuspend: List[int] = []
    moved_notes = 0
    for u in plan.updates:
        base = list(u.base)
        if u.writes_note:
            note = col.get_note(u.note.id)
            for i, value in enumerate(u.fields):
                if value is not None and i < len(note.fields):
                    value = fix_media(value)
                    note.fields[i] = value
                    base[i] = field_hash(value)
            note.tags = u.tags
            note.guid = u.guid
            to_update.append(note)
        if u.move_to:
            did = deck_id(u.move_to)
            cids = [c.id for c in u.note.cards if c.did != did]
            if cids:
                moves[did] += cids
                moved_notes += 1
        unsuspend += u.unsuspend
        rows.append(_row(u.rc.card_id, u.doc, u.guid, meta, base, u.polar_tags, False))
    rep.moved = moved_notes

    # Gone from Polar: the deletion policy.
    remove: List[int] = []
    suspend: List[int] = []
    orphans = plan.orphans
    fresh_deletes = [o for o in orphans if policy == "delete"]
    # Only the delete policy needs the total (a scan of the notes table).
    total = max(polar_note_count(col), 1) if policy == "delete" else 1
    if policy == "delete" and len(fresh_deletes) > settings.delete_max_share * total:
        rep.error(
            prep.source.describe(),
            f"refused to delete {len(fresh_deletes)} of {total} synced notes "
            f"(over the delete_max_share limit of {settings.delete_max_share:.0%}); nothing was deleted",
        )
        rep.deleted = 0
        orphans = []
        rows += [o.card for o in plan.orphans if o.card is not None]
    for o in orphans:
        if policy == "delete":
            remove.append(o.note.id)
            if o.card is not None:
                plan.drop_cards.append(o.card.card_id)
            continue
        note = col.get_note(o.note.id)
        if o.duplicate:
            # No longer a second copy of the Polar card: it keeps its reviews
            # but gets a guid of its own, so it is never matched again.
            note.guid = f"polar-dup:{o.note.id}"
        if policy in ("tag", "suspend") and not o.note.has_tag(ORPHAN_TAG):
            note.tags = list(note.tags) + [ORPHAN_TAG]
        if policy == "suspend":
            suspend += [c.id for c in o.note.cards if c.queue != -1]
        if note.guid != o.note.guid or note.tags != o.note.tags:
            to_update.append(note)
        if not o.duplicate:
            rows.append(_orphan_row(o))

    if to_update:
        col.update_notes(to_update)
    if moves:
        # One undo step for every move, whatever the number of target decks.
        cards = []
        for did, cids in moves.items():
            for cid in cids:
                card = col.get_card(cid)
                card.did = did
                cards.append(card)
        col.update_cards(cards)
    if unsuspend:
        col.sched.unsuspend_cards(unsuspend)
    if suspend:
        col.sched.suspend_cards(suspend)
    if remove:
        col.remove_notes(remove)
    rep.op_changes = col.merge_undo_entries(pos)
    return rows


def _orphan_row(o: Orphan) -> CardState:
    c = o.card
    if c is None:
        # A Polar note no state row knew (the state was lost): remember it.
        guid = o.note.guid
        return CardState("guid:" + guid[len(GUID_PREFIX):], "", guid, "", "", "", (), (), True)
    return CardState(c.card_id, c.doc, c.guid, c.ref, c.type, c.created, c.fields, c.tags, True)


def _row(card_id: str, doc: str, guid: str, meta: Dict[str, Any], base: List[str],
         polar_tags: List[str], orphaned: bool) -> CardState:
    ref, ctype, created = meta.get(card_id, ("", "", ""))
    return CardState(card_id, doc, guid, ref, ctype, created, tuple(base), tuple(polar_tags), orphaned)
