"""One sync against the collection: look up what it holds, plan, write
(``write.py``), then remember (``state.py``).

Order matters for crash safety: the collection is written first (each Anki
batch call commits on its own), the state file last. A sync killed in between
leaves a state that is merely old, and the next sync converges because
identity comes from the notes' guids, not from the state.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, Set

from .collection_view import legacy_notes, notes_by_guid, polar_guids, polar_note_count
from .identity import guid_for
from .notetypes import KINDS, NoteTypeRef, legacy_type_name, ref_of
from .plan import ORPHAN_TAG, LegacyIndex, Orphan, Plan, Planner
from .report import Report
from .state import CardState, DocState
from .write import existing_deck_id, orphan_needs_work, write_plan

if TYPE_CHECKING:
    from .engine import Prepared


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
        name = legacy_type_name(kind)
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

    _count(col, plan, rep, settings)
    if dry_run:
        return rep

    # -- write -----------------------------------------------------------------
    synced_rows = write_plan(col, plan, prep, rep, settings)

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


def _count(col: Any, plan: Plan, rep: Report, settings: Any) -> None:
    rep.created = len(plan.creates)
    rep.updated = sum(1 for u in plan.updates if u.content_changed)
    rep.unchanged += sum(1 for u in plan.updates if not u.content_changed)
    rep.moved = sum(
        1 for u in plan.updates
        if u.move_to and any(c.did != existing_deck_id(col, u.move_to) for c in u.note.cards)
    )
    rep.restored = sum(1 for u in plan.updates if u.note.has_tag(ORPHAN_TAG))
    rep.adopted = plan.adopted
    rep.rekeyed = plan.rekeyed
    rep.conflicts = plan.conflicts
    policy = settings.deletion_policy
    fresh = [
        o for o in plan.orphans
        if not o.duplicate and (not o.card.orphaned if o.card else orphan_needs_work(o, policy))
    ]
    rep.duplicates = sum(1 for o in plan.orphans if o.duplicate)
    if settings.deletion_policy == "delete":
        rep.deleted = len(fresh) + rep.duplicates
    else:
        rep.orphaned = len(fresh)
