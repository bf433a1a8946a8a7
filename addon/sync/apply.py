"""Plan against the collection, then write it in one undo step, then remember.

Order matters for crash safety: the collection is written first (each Anki
batch call commits on its own), the state file last. A sync killed in between
leaves a state that is merely old, and the next sync converges because
identity comes from the notes' guids, not from the state.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from .collection_view import NoteInfo, legacy_notes, notes_by_guid, polar_guids, polar_note_count
from .identity import GUID_PREFIX, guid_for
from .media_store import BULK_THRESHOLD, MediaWriter
from .notetypes import _STOCK, KINDS, NoteTypeRef, choose, create_own, fill_fields, ref_of
from .plan import ORPHAN_TAG, LegacyIndex, Orphan, Plan, Planner, field_hash, merge_tags
from .report import Report
from .state import CardState, DocState

if TYPE_CHECKING:
    from .engine import Prepared

UNDO_NAME = "Sync from Polar"
ADD_BATCH = 5000
ADD_BATCHES_MAX = 4


def apply_prepared(col: Any, prep: Prepared, dry_run: bool) -> Report:
    from .engine import collection_identity, trusted_signature

    rep = prep.report
    rep.dry_run = dry_run
    settings = prep.settings
    state = prep.state
    say = prep.progress or (lambda _msg: None)

    # A state file written for another collection (restored backup, profile
    # copied) cannot be trusted for "unchanged": read everything again.
    col_id = collection_identity(col)
    stored = state.stored_collection()
    if stored is not None and col_id and stored != col_id:
        state.forget("the sync state belonged to another collection; it was rebuilt")
        rep.warn(str(state.path), "the sync state belonged to another collection; it was rebuilt")
        prep.load_more([k for k, d in prep.docs.items() if d.status == "unchanged"])
    state.collection_id = col_id
    known_docs = state.documents()

    # Cheap consistency check: if the collection holds exactly as many Polar
    # notes as the state remembers, the unchanged documents need no look.
    full_check = polar_note_count(col) != state.card_count() or not known_docs
    unknown: Dict[str, List[int]] = {}
    if full_check:
        say("Checking the collection against the last sync…")
        in_col = polar_guids(col)
        remembered = state.all_cards()
        # Documents to read again: a note of theirs went missing (deleted in
        # Anki, undone) or came twice (another computer created it too).
        recheck = {
            c.doc for c in remembered.values()
            if (c.guid not in in_col and not c.orphaned) or len(in_col.get(c.guid, ())) > 1
        }
        prep.load_more([k for k in recheck if k in prep.docs])
        known_guids = {c.guid for c in remembered.values()}
        unknown = {g: nids for g, nids in in_col.items() if g not in known_guids}

    failed = [d for d in prep.docs.values() if d.status == "failed"]
    parsed = [d for d in prep.docs.values() if d.status == "parsed"]
    _drop_cards_claimed_elsewhere(prep, parsed, state)
    listed_keys = set(prep.docs)
    gone_docs = [
        k for k in known_docs
        if k not in listed_keys and (prep.only is None or k in prep.only)
    ]
    can_sweep = prep.listed > 0
    if not can_sweep and known_docs:
        rep.warn(prep.source.describe(), "the library has no documents; nothing was marked as deleted")

    # -- snapshot of the notes that matter -----------------------------------
    say("Looking up existing notes…")
    old_cards = state.cards_for([d.key for d in parsed] + gone_docs)
    interest: Set[str] = {guid_for(rc.card_id) for d in parsed for rc in d.cards}
    interest |= {c.guid for c in old_cards.values()}
    interest |= set(unknown)
    by_guid = notes_by_guid(col, interest)
    notetypes: Dict[int, NoteTypeRef] = {}
    for entry in col.models.all_names_and_ids():
        model = col.models.get(entry.id)
        if model:
            notetypes[int(entry.id)] = ref_of(model)

    legacy_mids: Dict[str, List[int]] = {}
    for kind in KINDS:
        name = _STOCK["cloze" if kind == "cloze" else "basic"]["name"]
        legacy_mids[kind] = [i for i, nt in notetypes.items() if nt.name == name]
    planner = Planner(settings, notetypes)
    matched_guids = {g for g in interest if g in by_guid}
    needs_legacy = any(
        guid_for(rc.card_id) not in matched_guids for d in parsed for rc in d.cards
    )
    legacy = LegacyIndex(legacy_notes(col) if needs_legacy else [])

    # -- plan ------------------------------------------------------------------
    say("Planning…")
    old_by_doc: Dict[str, Dict[str, CardState]] = defaultdict(dict)
    for cid, c in old_cards.items():
        old_by_doc[c.doc][cid] = c
    for d in parsed:
        doc_old = old_by_doc.get(d.key, {})
        prev = known_docs.get(d.key)
        deck_changed = prev is not None and bool(prev.deck) and prev.deck.lower() != d.deck.lower()
        planner.document(
            d.key, d.deck, d.cards, d.card_ids, d.card_meta, doc_old, by_guid, deck_changed, legacy,
            lambda kind: legacy_mids.get(kind, []),
        )
        # Cards that failed to render keep their note and their state row.
        rendered = {rc.card_id for rc in d.cards}
        planner.plan.carry += [c for cid, c in doc_old.items() if cid in d.card_ids and cid not in rendered]
        if d.cards or d.card_ids:
            rep.decks.add(d.deck)
    per_doc = state.live_cards_per_doc()
    for d in prep.docs.values():
        if d.status == "unchanged" and per_doc.get(d.key):
            rep.decks.add(d.deck)
            rep.unchanged += per_doc.get(d.key, 0)
    plan = planner.plan
    if can_sweep:
        for key in gone_docs:
            for c in old_by_doc.get(key, {}).values():
                planner.vanished(c, by_guid)
        if unknown and prep.only is None and not failed:
            current = {guid_for(cid) for d in prep.docs.values() for cid in d.card_ids}
            for g in unknown:
                if g not in current:
                    for note in by_guid.get(g, []):
                        plan.orphans.append(Orphan(note, None))
    else:
        plan.orphans = [o for o in plan.orphans if o.duplicate]

    _count(plan, rep, settings)
    if dry_run:
        return rep

    # -- write -----------------------------------------------------------------
    synced_rows = _write(col, plan, prep, rep, settings)

    # -- remember ----------------------------------------------------------------
    doc_rows: List[DocState] = []
    for d in prep.docs.values():
        prev = known_docs.get(d.key)
        if d.status in ("parsed", "skipped") or (d.status == "unchanged" and d.read_at_ns):
            size, stamp = trusted_signature(d)
            doc_rows.append(DocState(d.key, size, stamp, d.sha, d.deck, True))
        elif d.status == "failed":
            doc_rows.append(DocState(d.key, -1, -1, "", prev.deck if prev else "", False))
    state.commit(
        docs=doc_rows,
        cards=synced_rows,
        replace_docs=[d.key for d in parsed] + gone_docs,
        drop_docs=gone_docs,
        drop_cards=plan.drop_cards,
    )
    return rep


def _drop_cards_claimed_elsewhere(prep: Prepared, parsed: List[Any], state: Any) -> None:
    """One Polar card id is one note. If two documents hold the same card id
    (a copied document, a hand-edited file), the first owner keeps it and
    the other copy is reported instead of becoming a second note."""
    ids = [rc.card_id for d in parsed for rc in d.cards]
    owners = state.owners(ids)
    seen: Dict[str, str] = {}
    for d in sorted(parsed, key=lambda d: d.key):
        keep = []
        for rc in d.cards:
            owner = seen.get(rc.card_id)
            if owner is None:
                prev = owners.get(rc.card_id)
                other = prep.docs.get(prev) if prev and prev != d.key else None
                owner = prev if other is not None and other.status in ("unchanged", "skipped", "failed") else None
            if owner is not None:
                prep.report.error(f"{d.file.label}#{rc.card_id}",
                                  f"the same flashcard id is already synced from document {owner}; skipped here")
                continue
            seen[rc.card_id] = d.key
            keep.append(rc)
        d.cards = keep


def _count(plan: Plan, rep: Report, settings: Any) -> None:
    rep.created = len(plan.creates)
    rep.updated = sum(1 for u in plan.updates if u.content_changed)
    rep.unchanged += sum(1 for u in plan.updates if not u.content_changed)
    rep.moved = sum(1 for u in plan.updates if _needs_move(u.note, u.move_to, None))
    rep.restored = sum(1 for u in plan.updates if u.note.has_tag(ORPHAN_TAG))
    rep.adopted = plan.adopted
    rep.rekeyed = plan.rekeyed
    rep.conflicts = plan.conflicts
    policy = settings.deletion_policy
    fresh = [
        o for o in plan.orphans
        if not o.duplicate and (not o.card.orphaned if o.card else _orphan_needs_work(o, policy))
    ]
    rep.duplicates = sum(1 for o in plan.orphans if o.duplicate)
    if settings.deletion_policy == "delete":
        rep.deleted = len(fresh) + rep.duplicates
    else:
        rep.orphaned = len(fresh)


def _needs_move(note: NoteInfo, deck: Optional[str], deck_id: Optional[int]) -> bool:
    if not deck:
        return False
    if deck_id is None:
        return True  # planning: the deck's id is not looked up yet
    return any(c.did != deck_id for c in note.cards)


DEFAULT_DECK_ID = 1
# Anki's undo queue holds 30 steps; stay well inside it.
UNDO_STEPS_SAFE = 24


def _make_structure(col: Any, decks: List[str], kinds: List[str]) -> None:
    for name in decks:
        col.decks.id(name)  # creates missing parents too
    for kind in kinds:
        create_own(col, kind)


def _existing_deck_id(col: Any, name: str) -> Optional[int]:
    """The deck's id, or None if it does not exist yet. "Default" (Polar's
    name for "no deck chosen") is the profile's own default deck, whatever
    its name in the profile's language ("Standard", "既定", ...)."""
    if name.lower() == "default" and col.decks.get(DEFAULT_DECK_ID, default=False):
        return DEFAULT_DECK_ID
    did = col.decks.id_for_name(name)
    return int(did) if did is not None else None


def _orphan_needs_work(o: Orphan, policy: str) -> bool:
    if policy == "delete" or o.duplicate:
        return True
    if policy in ("tag", "suspend") and not o.note.has_tag(ORPHAN_TAG):
        return True
    return policy == "suspend" and any(c.queue != -1 for c in o.note.cards)


def _write(col: Any, plan: Plan, prep: Prepared, rep: Report, settings: Any) -> List[CardState]:
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
        did = _existing_deck_id(col, u.move_to)
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
        or any(_orphan_needs_work(o, policy) for o in plan.orphans)
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
    new_decks = [d for d in sorted(wanted_decks) if _existing_deck_id(col, d) is None]
    new_types = [k for k in kinds if choose(col, k, settings.use_stock_note_types) is None]
    steps = len(new_decks) + len(new_types) + ADD_BATCHES_MAX + 5  # + updates, moves, (un)suspend, remove
    early = steps > UNDO_STEPS_SAFE
    if early:
        _make_structure(col, new_decks, new_types)
    pos = col.add_custom_undo_entry(UNDO_NAME)
    if not early:
        _make_structure(col, new_decks, new_types)

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
            found = _existing_deck_id(col, name)
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
