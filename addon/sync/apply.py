"""One sync against the collection, as a list of named steps (``APPLY_STEPS``)
on one :class:`Applying` context: check what the collection holds against
the last sync (and read again what that makes untrustworthy), look up the
notes that matter, plan, count; then, unless a dry run, write (``write.py``)
and remember (``state.py``).

Order matters for crash safety: the collection is written first (each Anki
batch call commits on its own), the state file last. A sync killed in between
leaves a state that is merely old, and the next sync converges because
identity comes from the notes' guids, not from the state.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from functools import partial
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, cast

from ..numbers import counted
from ..render.context import KEPT_IMAGE
from ..settings import ENGLISH_PAGE_LABEL
from .applying import (
    COPIES_TOLD_KEY,
    FIELDS_MISSING_KEY,
    LEFTOVERS_KEY,
    NOTE_TYPES_KEY,
    NOTES_SEEN_KEY,
    OLDER_KEY,
    OWNED_SINCE_KEY,
    SCHEMA_KEY,
    Applying,
    notes_as_booked,
    planner_of,
)
from .collection_view import (
    PROBE_MAX,
    Probe,
    existing_deck_id,
    filtered_deck_on_path,
    lacking_media,
    legacy_note_added_after,
    legacy_notes,
    max_note_id,
    normal_decks,
    notes_by_guid,
    notes_fingerprint,
    notes_tagged,
    polar_guids,
    polar_note_count_and_probe,
    polar_note_types,
    schema_stamp,
)
from .deck_steps import (
    deck_homes,
    follow_renamed_decks,
    follow_twin_decks,
    live_cards,
    name_decks_as_anki_does,
    name_decks_holding_back_new_cards,
    name_decks_notes_are_in,
    name_emptied_decks,
    name_the_default_deck,
)
from .decks import default_deck
from .field_merge import EMPTY_HASH, laid_out_for
from .identity import collection_identity, guid_for
from .journal import MARKER_KEY, Generation, marked_generation, marker
from .left_deleted import (
    deck_summary,
    gone_types,
    leave_deleted_notes,
    note_types_held,
    recall_left_deleted,
    recall_note_types,
    types_said,
)
from .legacy import old_sync_label
from .legacy_steps import follow_old_sync_decks, legacy_type_ids, pair_legacy_notes
from .notetypes import LAYOUT_MARK, describe_missing, lacks, note_types
from .plan import (
    ORPHAN_TAG,
    LegacyIndex,
    Planner,
    Written,
    count,
    decide_deletions,
    emptied_cloze_cards,
    leave_alone,
    pick_keeper,
    render_creates,
    resolve_moves,
    resolve_suspensions,
    spare_copy,
)
from .read import COPY_SHA, WAITING_KEY, Card, Pending, Reading, settings_key, trusted_signature, waiting_images_meta
from .report import Report
from .sql import in_chunks
from .state import REST_KEY, CardState, DocState, SyncState
from .stop import Stopped
from .touched import touched_since
from .write import (
    UNDO_NAME,
    batched,
    foreign_row,
    preview_note_types,
    say_picture_online_only,
    set_aside_notes,
    write_plan,
    written_notes,
)

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckId
    from anki.models import NotetypeId
    from anki.notes import NoteId

_EMPTY_TAIL = "+" + EMPTY_HASH  # a field hash of an answer written without a block
# Above this many guids to look up, one scan of the notes table beats
# reading them by their remembered ids.
HINT_MAX = 5000


def apply(col: Collection, reading: Reading, dry_run: bool, undo_name: str = UNDO_NAME,
          leave_alone: AbstractSet[int] = frozenset(), set_aside_later: AbstractSet[int] = frozenset()) -> Report:
    ctx = Applying(col, reading, dry_run, undo_name, leave_alone, set_aside_later)
    ctx.owned_since = int(reading.state.meta(OWNED_SINCE_KEY) or 0)
    ctx.report.dry_run = dry_run
    try:
        for step in APPLY_STEPS:
            step(ctx)
            if ctx.done:
                break
    finally:
        if ctx.staged is not None:
            ctx.staged.close()  # (remember closed it, unless a step failed)
        _let_go(ctx)
    return ctx.report


# Items freed at a time by ``_let_go``: ~2 ms on a slow machine.
FREE_PIECE = 2000
# The thread freeing the last sync's lists (``_let_go``), while it runs.
_freeing: Optional[threading.Thread] = None


def _let_go(ctx: Applying) -> None:
    """Free the sync's per-card lists a piece at a time, on a thread of
    their own: the report is ready before they are gone (a 50,000-card sync's
    take ~45 ms), so Anki shows it that much sooner. Freed at once, when
    ``apply`` returns, they took ~100 ms of deallocation in one C call,
    which holds the GIL: Anki's window, whose thread needs the GIL for every
    event, froze that long. Between pieces another thread can take it. Only
    lists nothing else holds once the sync is over (the report keeps its own)."""
    global _freeing
    big: List[List[Any]] = [ctx.rows, ctx.ids.made, ctx.ids.keyed, ctx.ids.gone]
    if ctx.planner is not None:
        plan = ctx.planner.plan
        big += [plan.creates, plan.updates, plan.orphans, plan.carry]
    if sum(len(items) for items in big) <= FREE_PIECE:
        _free_pieces(big)  # a small sync's: at once, no thread
        return
    thread = threading.Thread(target=_free_pieces, args=(big, 0.002), name="polar-sync-let-go", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # (the interpreter is shutting down: no new thread)
        _free_pieces(big)
        return
    _freeing = thread


def _free_pieces(big: List[List[Any]], first_wait: float = 0.0) -> None:
    # A new thread runs holding the GIL, and the thread that started it
    # waited ~5 ms (the switch interval) to get it back and return the
    # report: let that one go first.
    if first_wait:
        time.sleep(first_wait)
    for items in big:
        while items:
            del items[-FREE_PIECE:]


def let_go_done(timeout: Optional[float] = None) -> bool:
    """Wait until the last sync's lists are freed (``_let_go``); False when
    ``timeout`` ran out first. For measurements and tests: what runs next
    then neither shares the GIL with the freeing nor finds the lists full."""
    thread = _freeing
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def check_collection_identity(ctx: Applying) -> None:
    """A state file written for another collection (restored backup, profile
    copied) cannot be trusted for "unchanged": read everything again."""
    state = ctx.reading.state
    col_id = collection_identity(ctx.col)
    stored = state.stored_collection()
    if stored is not None and col_id and stored != col_id:
        why = "the sync state belonged to another collection; it was rebuilt"
        state.forget(why)
        ctx.report.warn(str(state.path), why, code="state_rebuilt")
        ctx.reading.reread([d.key for d in ctx.reading.with_status("unchanged")])
    state.collection_id = col_id
    ctx.known_docs = state.documents()


def follow_undo(ctx: Applying) -> None:
    """Earlier syncs undone in Anki (Edit ▸ Undo "Sync from Polar"): the
    collection's undo marker names a generation before the state's, so the
    state is rolled back to it (``journal.py``) and the documents those syncs
    changed are read again: Polar's edits they brought come back, re-keys
    are made again, and nothing the undo took back is mistaken for the
    user's own edit. Redone, the marker is the state's again: nothing to do."""
    state = ctx.reading.state
    ident, gen = state.generation()
    if not gen:
        return  # nothing journaled yet (a first sync, an older version's file)
    marked = marked_generation(ctx.col.get_config(MARKER_KEY, None), ident)
    if marked is None or marked >= gen:
        return  # not undone (or the state is behind: a sync killed before its commit)
    if ctx.dry_run:
        # A preview changes no file, so it plans from the state as it is:
        # say that the real sync will differ.
        ctx.report.warn(str(state.path), "an earlier sync was undone in Anki: the next sync brings back what it "
                                         "changed, which this preview does not show", code="preview_after_undo")
        return
    touched = state.roll_back(marked)
    if touched is None:
        # Undone further back than the journal keeps: every document read
        # again; text that differs is then taken as the user's, as before.
        touched = set(ctx.known_docs)
        ctx.rows_vouch = False  # the notes may hold what earlier syncs wrote: whose text is unknown
        ctx.report.warn(str(state.path), "syncs undone in Anki go back further than the sync state remembers; "
                                         "every document was read again", code="undo_beyond_memory")
    ctx.known_docs = state.documents()
    ctx.reading.reread([k for k in touched if k in ctx.reading.docs])


def find_missing_notes(ctx: Applying) -> None:
    """Read again the documents whose notes went missing (deleted in Anki,
    undone) or came twice (another computer created them too), before
    anything is planned; note the Polar notes no state row knows.

    Cheapest when nothing happened: if the collection holds the very notes
    the last sync left (one read of an index, ~6 ms at 50,000 notes), nothing
    is looked at and the notes are found by their remembered ids. Cheap
    otherwise: if it holds exactly as many Polar notes as the state
    remembers (one scan of the notes table), the unchanged documents need no
    look."""
    state = ctx.reading.state
    ctx.fingerprint = notes_fingerprint(ctx.col)
    if ctx.fingerprint and ctx.known_docs and state.trusted_fingerprint() == ctx.fingerprint:
        ctx.polar_notes = state.card_count()
        ctx.trusted = ctx.hints_exact = True
        return
    ctx.polar_notes, polar_sum, ctx.probe = polar_note_count_and_probe(ctx.col, _likely_interest(ctx))
    ctx.hints_exact = (ctx.polar_notes, polar_sum) == state.note_id_summary()
    if ctx.polar_notes == state.card_count() and ctx.known_docs:
        # The same notes by count and ids, but not the very notes the last
        # sync left (the fingerprint's usn part moved: AnkiWeb or an edit
        # changed some): a guid may be on another note now (a Polar edit
        # synced on another computer re-keys the note there), which the ids
        # do not show; a hint missing for a guid would make the next trusted
        # sync take its note for absent and make it again. So the hints are
        # made anew from the guids (one more scan, only after such a change:
        # a sync that trusts the fingerprint never gets here).
        if ctx.fingerprint or not ctx.hints_exact:
            in_col = polar_guids(ctx.col)
            _find_replaced_notes(ctx, in_col)
            _rebuild_hints(ctx, in_col)
        return
    ctx.say("Checking the collection against the last sync…")
    in_col = polar_guids(ctx.col)
    remembered = state.all_cards()
    missing = {c.guid for c in remembered.values() if c.doc and not c.orphaned and c.guid not in in_col}
    last_ids = state.note_ids(missing) if missing else {}  # (before the hints are made anew)
    if not ctx.hints_exact:
        _find_replaced_notes(ctx, in_col)
        _rebuild_hints(ctx, in_col)
    recheck = {
        c.doc for c in remembered.values()
        if (c.guid not in in_col and not c.orphaned) or len(in_col.get(c.guid, ())) > 1
    }
    ctx.reading.reread([k for k in recheck if k in ctx.reading.docs])
    ctx.deleted_in_anki = missing
    ctx.replaced_away = set() if _marked_by_last_write(ctx) else _left_no_grave(ctx.col, last_ids)
    known_guids = {c.guid for c in remembered.values()}
    # Rows of no note any more: foreign ones (document ""), and orphans (a
    # card gone from Polar whose suspended note the person then deleted).
    # An orphan of a document gone from the library is in no document the
    # sync reads again: its row would stay for good, and the rows would
    # never again agree with the Polar notes by count (the cheap path above).
    ctx.stale_rows = [c.card_id for c in remembered.values()
                      if (not c.doc or c.orphaned) and c.guid not in in_col]
    ctx.unknown = {g: nids for g, nids in in_col.items() if g not in known_guids}


def follow_changed_note_types(ctx: Applying) -> None:
    """Notes the user moved to another note type (Browser ▸ Change Note
    Type) are laid out for it now, as a first sync into that type would lay
    them out, not when their document next changes in Polar: the context
    block leaves a field a question shows (stock "Basic (and reversed
    card)": card 2 asked with the title, highlight and comments under it),
    and comes into stock Basic's answer from an own type's fields. Their
    documents are read again; the merge keeps the user's edits as ever.

    Cheap: Anki moves the collection's schema stamp on every Change Note
    Type, so unless it moved since the last sync (one read) nothing is
    looked at; then one scan of the notes' types, and the rows of the
    unchanged documents (``laid_out_for``)."""
    stamp = schema_stamp(ctx.col)
    state = ctx.reading.state
    named_back = _fields_named_back(ctx)
    if not ctx.known_docs or (state.meta(SCHEMA_KEY) == stamp and not named_back):
        ctx.schema = stamp
        ctx.schema_moved = not ctx.known_docs
        return
    ctx.schema_moved = state.meta(SCHEMA_KEY) != stamp
    docs = ctx.reading.docs
    # The unchanged documents, and those a partial sync does not read (checked
    # too: one of them to lay out anew leaves the stamp for the next sync).
    keys = [d.key for d in ctx.reading.with_status("unchanged")] + [k for k in ctx.known_docs if k not in docs]
    again: Set[str] = set()
    if keys:
        types = polar_note_types(ctx.col)
        refs = note_types(ctx.col)
        context = ctx.reading.settings.context
        # Rows alike in what laid_out_for looks at (the layout, how many
        # answers hold a block, how many were written without) are judged once
        # per note type: a handful of kinds, not 50,000 rows parsed.
        judged: Dict[Tuple[NotetypeId, str, int, int], bool] = {}
        for doc, guid, fields in state.live_fields(keys):
            if doc in again:
                continue
            pluses, empty = fields.count("+"), fields.count(_EMPTY_TAIL)
            kind = fields[fields.rfind('"' + LAYOUT_MARK):]
            for mid in types.get(guid, ()):
                nt = refs.get(mid)
                if nt is None:
                    continue
                key = (mid, kind, pluses, empty)
                fine = judged.get(key)
                if fine is None:
                    fine = laid_out_for(_json_list(fields), nt, context)
                    if pluses <= 1 and kind.count("a") <= 1:  # (two answers: which one holds the block counts)
                        judged[key] = fine
                if not fine:
                    again.add(doc)
                    break
        ctx.reading.reread(sorted(k for k in again if k in docs))
    ctx.schema = "" if any(k not in docs for k in again) else stamp


def _fields_named_back(ctx: Applying) -> bool:
    """Whether a note type the last sync found lacking fields of Polar's
    (``fields_missing``: the user renamed or removed them) has them again:
    its notes were then laid out without them (``laid_out_for`` tells
    which), and a change Polar made meanwhile is written now. Renaming a
    field does not move the schema stamp. The rows whose note types still
    lack the fields are told again (``ctx.lacking_before``)."""
    raw = ctx.reading.state.meta(FIELDS_MISSING_KEY)
    if not raw:
        return False
    ctx.lacking_told = True
    try:
        rows = [r for r in json.loads(raw) if isinstance(r, dict)]
    except (ValueError, TypeError):
        return False
    refs = note_types(ctx.col)
    back = False
    for row in rows:
        mid = row.get("notetype_id")
        nt = refs.get(cast("NotetypeId", mid)) if isinstance(mid, int) else None
        if nt is None:  # deleted (a Change Note Type moves the stamp): nothing to tell or to read
            continue
        names = [name for name in str(row.get("fields") or "").split(", ") if name]
        still = lacks(nt, names)
        back = back or len(still) < len(names)
        if still:
            ctx.lacking_before.append(row)
    return back


def _json_list(raw: str) -> List[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []

def settle_page_label(ctx: Applying) -> None:
    """A collection with no page label stored, no document in the sync state
    and yet Polar notes (the state file lost, or made on another computer by
    a version that stored no label): those notes have English labels, so
    the new ones get them too and none is rewritten (page_label.py). Only
    read documents' cards were rendered so far: none of a first sync's."""
    reading = ctx.reading
    if reading.label_fixed or not ctx.polar_notes or reading.settings.page_label == ENGLISH_PAGE_LABEL:
        return
    reading.settings = reading.settings._replace(page_label=ENGLISH_PAGE_LABEL)
    reading.state.settings_key = settings_key(reading.settings)


def _find_replaced_notes(ctx: Applying, in_col: Dict[str, List[NoteId]]) -> None:
    """Polar notes this computer made that are gone while a note of the same
    card, made elsewhere, is there: another computer made it too, and the
    duplicates were settled there in favour of its note (AnkiWeb brought
    the removal). Their documents are read again, so ``follow_kept_notes``
    sends their new cards where the kept notes are. Only when the note-id
    hints no longer match the collection (notes came or went)."""
    if not ctx.known_docs or ctx.dry_run:
        return
    state = ctx.reading.state
    hints = state.note_ids(in_col)
    replaced = {g for g, nid in hints.items() if nid not in in_col[g]}
    if not replaced:
        return
    docs = {c.doc for c in state.cards_by_guid(replaced) if c.doc}
    ctx.replaced_docs |= docs
    ctx.reading.reread(sorted(k for k in docs if k in ctx.reading.docs))


def _marked_by_last_write(ctx: Applying) -> bool:
    """The collection carries the undo marker of the last sync that wrote to
    it (this state's id and generation): it is not a replacement from before
    that sync (a full download, a backup, a .colpkg), so a note gone since
    was deleted by a person, also one that left no grave (a full upload
    clears every grave). A marker of another computer's state (AnkiWeb
    brings it) or none tells nothing: the graves decide. (An older marker
    of this state was an undo or a replacement from after an earlier sync:
    ``follow_undo`` rolled the state back to it, so the two match again.)"""
    ident, gen = ctx.reading.state.generation()
    return bool(gen) and marked_generation(ctx.col.get_config(MARKER_KEY, None), ident) == gen


def _left_no_grave(col: Collection, last_ids: Dict[str, int]) -> Set[str]:
    """The guids (of notes gone from the collection, with the id each last
    had) whose note left no grave. Anki keeps a grave for every note removed
    (the Browser, Empty Cards, an AnkiWeb sync bringing another computer's
    deletion), also after syncing it; a note gone without one went with the
    collection itself (replaced by a full download, a backup, a .colpkg).
    One scan of the graves, only when notes are missing."""
    if not last_ids:
        return set()
    db = col.db
    assert db is not None
    graves = set(db.list("SELECT oid FROM graves WHERE type = 1"))  # 1: a note's grave
    return {guid for guid, nid in last_ids.items() if nid not in graves}


def _rebuild_hints(ctx: Applying, in_col: Dict[str, List[NoteId]]) -> None:
    """The note-id hints anew, from every Polar note's guid and id; exact
    unless a guid is on several notes (the plan settles those; a later
    sync makes the hints again)."""
    if ctx.dry_run:  # a preview writes nothing, not even hints
        return
    hints = {g: nids[0] for g, nids in in_col.items() if len(nids) == 1}
    ctx.hints_exact = ctx.reading.state.replace_note_ids(hints) and len(hints) == len(in_col)


def _likely_interest(ctx: Applying) -> List[str]:
    """The guids ``look_up_notes`` will most likely look for, when they are
    few (a resync of a document or two): those of the cards read and of the
    last sync's rows of those documents and of the gone ones. Found in the
    scan that counts Polar notes, they cost no scan of their own."""
    if not ctx.known_docs:
        return []  # a first sync: looked up on their own
    parsed = ctx.reading.with_status("parsed")
    if sum(len(d.cards) + len(d.pending) for d in parsed) > PROBE_MAX:
        return []  # many: likewise (and their guids not made for nothing)
    guids = [guid_for(c.card_id) for d in parsed for c in d.every_card()]
    keys = [d.key for d in parsed] + _gone_docs(ctx)
    return guids + [c.guid for c in ctx.reading.state.cards_for(keys).values()]


def read_where_cards_moved(ctx: Applying) -> None:
    """A card can move from one document to another (out of one's
    ``pageMetas``, into the other's). Only a document read this time shows
    what it holds now; read again, before anything is reported or planned:

    * an unchanged document whose last read refused a card as held by
      another document (``same_card_twice``) when that document no longer
      holds it (its row orphaned or gone, or read this time without it):
      the card is this one's now;
    * an unchanged document the last sync had a card from that a document
      read this time holds: it still holds the card (a copy: it keeps it)
      or not (the card moved: its note follows), which only its file can tell.

    A resync that read nothing and remembers no such problem asks nothing more
    (the unchanged documents' problems are read once, for ``repeat_known_problems``)."""
    reading = ctx.reading
    known = reading.state.problems_for([d.key for d in reading.with_status("unchanged")])
    refused = {(doc, str(row["card"])) for doc, rows in known.items() for row in rows
               if row.get("code") == "same_card_twice" and row.get("card")}
    if refused:
        owners = reading.state.owners(sorted({cid for _, cid in refused}))
        free = {doc for doc, cid in refused
                if cid not in owners or owners[cid][0] == doc or not _still_holds(reading, cid, *owners[cid])}
        reading.reread(sorted(free))
    owners = _owners(ctx)
    stale = set()
    for d in reading.with_status("parsed"):
        for c in d.every_card():
            prev = owners.get(c.card_id)
            if prev is not None and prev[0] != d.key and not prev[1]:
                other = reading.docs.get(prev[0])
                if other is not None and other.status == "unchanged":
                    stale.add(prev[0])
    reading.reread(sorted(stale))
    ctx.known_problems = {k: rows for k, rows in known.items()
                          if k in reading.docs and reading.docs[k].status == "unchanged"}


def _owners(ctx: Applying) -> Dict[str, Tuple[str, bool]]:
    """``ctx.owners`` for the cards of every document parsed by now (each
    document's looked up once: one query per batch of documents read)."""
    todo = [d for d in ctx.reading.with_status("parsed") if d.key not in ctx.owners_of]
    ids = [c.card_id for d in todo for c in d.every_card()]
    ctx.owners.update(ctx.reading.state.owners(ids))
    ctx.owners_of.update(d.key for d in todo)
    return ctx.owners


def _still_holds(reading: Reading, card_id: str, doc: str, orphaned: bool) -> bool:
    """Whether ``doc``, which the last sync had ``card_id`` from (``orphaned``:
    it was gone from it then), holds it still, as far as this sync can tell."""
    other = reading.docs.get(doc)
    if other is None:
        return False  # gone from the library (or not part of this sync): the card is where it is now
    if other.status in ("parsed", "skipped"):
        return card_id in other.card_ids
    # Unchanged: as the last sync read it. Unreadable: cannot tell, so it
    # keeps what it had (never taken from a document that failed to parse).
    return not orphaned


def repeat_known_problems(ctx: Applying) -> None:
    """What could not be synced from a document that is unchanged since: the
    errors of its last read, again, so a card still missing is never hidden
    by the document not being read (``remember`` keeps them)."""
    known = ctx.known_problems
    if known is None:
        known = ctx.reading.state.problems_for([d.key for d in ctx.reading.with_status("unchanged")])
    for rows in known.values():
        for row in rows:
            ctx.report.error(**row)


def drop_cards_claimed_elsewhere(ctx: Applying) -> None:
    """One Polar card id is one note. If two documents hold the same card id
    (a copied document, a hand-edited file), the first owner keeps it (the
    document the last sync had it from, while it still holds it; else the
    first by key) and the other copy is reported instead of becoming a
    second note. A card the last sync had from a document that no longer
    holds it has moved (``ctx.moved``): its note follows it."""
    reading = ctx.reading
    ctx.parsed = reading.with_status("parsed")
    owners = _owners(ctx)
    ids = [c.card_id for d in ctx.parsed for c in d.every_card()]
    if not owners and len(set(ids)) == len(ids):
        return  # no card held twice, none synced before (a first sync): the check below finds nothing
    seen: Dict[str, str] = {}
    for d in sorted(ctx.parsed, key=lambda d: d.key):
        keep: List[Card] = []
        for c in d.every_card():
            owner = seen.get(c.card_id)
            prev = owners.get(c.card_id)
            elsewhere = prev is not None and prev[0] != d.key
            if owner is None and prev is not None and elsewhere and _still_holds(reading, c.card_id, *prev):
                owner = prev[0]
            if owner is not None:
                rc = reading.render(c) if isinstance(c, Pending) else c  # the report shows its front
                reading.report.error(f"{d.file.label}#{c.card_id}",
                                     f"the same flashcard id is already synced from document {owner}; skipped here",
                                     code="same_card_twice", document=d.key, card=c.card_id,
                                     front=rc.front if rc is not None else "")
                continue
            seen[c.card_id] = d.key
            if prev is not None and elsewhere:
                ctx.moved[c.card_id] = (prev[0], d.key)
            keep.append(c)
        d.cards = [c for c in keep if not isinstance(c, Pending)]
        d.pending = [c for c in keep if isinstance(c, Pending)]


def avoid_filtered_decks(ctx: Applying) -> None:
    """A document whose deck is a filtered deck (a Custom Study session, a
    user's filtered deck) or would nest under one goes to the default deck
    instead, with a warning: Anki keeps no cards of their own there (new
    cards would land in Default unannounced, moved ones lose their home deck)
    and refuses children of one, which would fail the whole sync."""
    fallback: Optional[str] = None
    seen: Dict[str, Optional[str]] = {}
    for d in ctx.parsed:
        if d.place:
            continue  # a deck followed by its id: one that holds cards (follow_renamed_decks)
        key = d.deck.lower()
        if key not in seen:
            seen[key] = filtered_deck_on_path(ctx.col, d.deck)
        filtered = seen[key]
        if filtered is None:
            continue
        if fallback is None:
            wanted = default_deck(ctx.reading.settings)
            fallback = "Default" if filtered_deck_on_path(ctx.col, wanted) else wanted
        where = "is the filtered deck" if filtered.lower() == key else f"is inside the filtered deck {filtered!r}"
        ctx.report.warn(d.file.label, f"deck {d.deck!r} {where}, which cannot hold cards of its own; "
                                      f"its cards go to {fallback!r} instead", code="filtered_deck",
                        deck=d.deck, fallback=fallback, document=d.key)
        d.deck = fallback


def _gone_docs(ctx: Applying) -> List[str]:
    reading = ctx.reading
    if reading.listed == 0:
        # An empty library (the wrong folder chosen, a drive not mounted)
        # says nothing of the documents synced before: their records stay,
        # so the sync that finds them again knows its notes (dropped, the
        # notes were "made by another tool" and no deletion in Polar was seen).
        return []
    return [k for k in ctx.known_docs
            if k not in reading.docs and (reading.only is None or k in reading.only) and k not in reading.apart]


def find_gone_documents(ctx: Applying) -> None:
    """Documents the last sync saw that the library no longer lists (within
    ``only`` for a partial sync); the last sync's rows of those and the parsed ones."""
    reading = ctx.reading
    ctx.gone_docs = _gone_docs(ctx)
    if reading.listed == 0 and ctx.known_docs:
        ctx.report.warn(reading.source.describe(), "the library has no documents; nothing was marked as deleted",
                        code="library_empty")
    old_by_doc: Dict[str, Dict[str, CardState]] = defaultdict(dict)
    ctx.stored_rows = reading.state.cards_for([d.key for d in ctx.parsed] + ctx.gone_docs)
    for cid, c in ctx.stored_rows.items():
        old_by_doc[c.doc][cid] = c
    ctx.old_by_doc = old_by_doc
    if ctx.moved:
        _rehome_moved_cards(ctx)


def _rehome_moved_cards(ctx: Applying) -> None:
    """A moved card's row goes with it, from the document it left (which
    then neither orphans nor re-keys its note) to the one that holds it now
    (which updates the note against that row, as its own card)."""
    old_by_doc = ctx.old_by_doc
    rows: Dict[str, CardState] = {}
    for cid, (src, _) in ctx.moved.items():
        row = old_by_doc[src].pop(cid, None) if src in old_by_doc else None
        if row is not None:
            rows[cid] = row
    # From a document neither read nor gone (unchanged with the card gone
    # from it, out of a partial sync): by id.
    rows.update(ctx.reading.state.cards_by_id([cid for cid in ctx.moved if cid not in rows]))
    for cid, row in rows.items():
        src, dst = ctx.moved[cid]
        if row.doc == src:
            old_by_doc[dst][cid] = row._replace(doc=dst)


def look_up_notes(ctx: Applying) -> None:
    """A snapshot of the notes that matter: those of the cards read, of the
    last sync's rows and the unknown Polar notes; the old sync's notes only
    when a card found no note of its own."""
    ctx.say("Looking up existing notes…")
    interest: Set[str] = set()
    if ctx.polar_notes or ctx.trusted:  # (none at all, as in a first sync: nothing to look for)
        interest = {guid_for(c.card_id) for d in ctx.parsed for c in d.every_card()}
        interest |= {c.guid for cards in ctx.old_by_doc.values() for c in cards.values()}
        interest |= set(ctx.unknown)
    hints: Dict[str, int] = {}
    if ctx.trusted and len(interest) <= HINT_MAX:
        # Every Polar note has its id remembered: a guid without one has no note.
        hints = ctx.reading.state.note_ids(interest)
        ctx.probe = Probe(frozenset(interest), sorted(cast("NoteId", n) for n in hints.values()), frozenset(hints))
    ctx.by_guid = by_guid = notes_by_guid(ctx.col, interest, ctx.probe)
    if any(nid not in {n.id for n in by_guid.get(g, ())} for g, nid in hints.items()):
        ctx.hints_exact = False  # a hint gone stale (found by guid): not trusted until made again
    notetypes = note_types(ctx.col)
    # The old sync's notes are looked for (a scan of every note's tags, ~20 ms
    # at 50,000 notes) on the first sync, while the last look found some that
    # matched no card (reported on every sync until the user acts), and when
    # the collection gained or lost notes since that look: an old-sync note
    # can only arrive as a note added (an import, AnkiWeb, Polar's old sync).
    state = ctx.reading.state
    needs_legacy = (
        state.meta(LEFTOVERS_KEY) != "0"
        or state.meta(NOTES_SEEN_KEY) != str(ctx.col.note_count())
    )
    old_notes = legacy_notes(ctx.col) if needs_legacy else []
    ctx.looked_up_to = max_note_id(ctx.col)  # a note added after this look is not in it
    legacy = LegacyIndex(old_notes, legacy_type_ids(notetypes, old_notes))
    if legacy.by_content:
        legacy.doc_labels = [frozenset(tag for t in d.labels for tag in old_sync_label(t)) for d in ctx.parsed]
    ctx.planner = Planner(ctx.reading.settings, notetypes, by_guid, legacy, ctx.reading.render)
    ctx.planner.rows_vouch = ctx.rows_vouch
    written: List[Dict[int, Written]] = []
    col = ctx.col  # (not ctx: the planner is ctx's, a cycle only the collector frees)

    def written_by_a_sync(nid: int) -> Optional[Written]:
        if not written:  # read once, when a conflict asks
            written.append(written_notes(col))
        return written[0].get(nid)

    ctx.planner.written = written_by_a_sync


def follow_kept_notes(ctx: Applying) -> None:
    """A document whose cards have notes made on two computers (duplicates
    met through AnkiWeb: each computer put its own in a deck of its own
    making, which AnkiWeb then shows twice, one called "<name>+"), or whose
    notes were replaced by the other computer's (``_find_replaced_notes``):
    its cards go to the deck where the notes kept are (``plan.pick_keeper``),
    when that is one normal deck, and the deck home follows it. Both
    computers then put the document's new cards in one deck, by its id.
    Nothing to do unless some guid is on several notes or a document's
    notes were replaced."""
    by_guid = ctx.by_guid
    docs = [d for d in ctx.parsed if d.key in ctx.replaced_docs
            or any(len(by_guid.get(guid_for(c.card_id), ())) > 1 for c in d.every_card())] if by_guid else []
    if not docs:
        return
    decks = normal_decks(ctx.col)
    for d in docs:
        kept: Set[DeckId] = set()
        for c in d.every_card():
            notes = by_guid.get(guid_for(c.card_id))
            if notes:
                kept.update(card.home for card in pick_keeper(notes)[0].cards)
        if len(kept) != 1:
            continue
        did = next(iter(kept))
        name = decks.get(did)
        if name is None or ctx.deck_ids.get(d.target.lower()) == did:
            continue
        if name.lower() == d.target.lower() and existing_deck_id(ctx.col, name) == did:
            continue  # the deck it goes to by name anyway
        ctx.deck_ids[name.lower()] = did
        d.place = ctx.places[d.key] = name


def _unsyncable_before(state: SyncState, doc: str) -> Set[str]:
    """The ids of the cards of ``doc`` the last sync could not sync."""
    return {str(row.get("card") or str(row.get("path", "")).rpartition("#")[2])
            for row in state.problems_for([doc]).get(doc, [])}


def plan_documents(ctx: Applying) -> None:
    ctx.say("Planning…")
    planner = planner_of(ctx)
    planner.unsyncable_before = partial(_unsyncable_before, ctx.reading.state)  # (no cycle through ctx)
    planner.left_deleted = frozenset(ctx.left_known or ())
    arrived: Dict[str, Set[str]] = defaultdict(set)  # document -> cards moved in from another deck's document
    for cid, (src, dst) in ctx.moved.items():
        left = ctx.known_docs.get(src)
        target = ctx.reading.docs[dst].deck
        if left is None or not left.deck or left.deck.lower() != target.lower():
            arrived[dst].add(cid)
    for d in ctx.parsed:
        prev = ctx.known_docs.get(d.key)
        deck_changed = prev is not None and bool(prev.deck) and prev.deck.lower() != d.deck.lower()
        planner.document(d, ctx.old_by_doc.get(d.key, {}), deck_changed, arrived.get(d.key, frozenset()))
        if d.every_card() or d.card_ids:
            ctx.report.decks.add(d.target)
    planner.plan.deck_ids = ctx.deck_ids
    _report_dropped_fields(ctx)
    _report_kind_kept(ctx)
    per_doc = live_cards(ctx)
    for d in ctx.reading.with_status("unchanged"):
        if per_doc.get(d.key):
            ctx.report.decks.add(d.target)
            ctx.report.unchanged += per_doc[d.key]


def _report_kind_kept(ctx: Applying) -> None:
    """One row per note the person changed to a type of the other kind
    (Cloze <-> Basic) whose front Polar changed: not written there."""
    for row in planner_of(ctx).plan.kind_kept:
        was, now = ("a cloze", "not a cloze type") if row["cloze"] else ("a basic", "a cloze type")
        ctx.report.warn(row["path"], (
            f"{was} card in Polar whose note was changed in Anki to the note type {row['notetype']!r}, "
            f"{now}: Polar's change to its front was not written into {row['field']!r}, which keeps what it has"),
            code="kind_changed_kept", **{k: v for k, v in row.items() if k != "path"})


def _report_dropped_fields(ctx: Applying) -> None:
    """One warning per reshaped own note type whose notes lost content here."""
    planner = planner_of(ctx)
    by_type: Dict[NotetypeId, Dict[str, int]] = defaultdict(dict)
    for (mid, name), n in planner.plan.dropped.items():
        by_type[mid][name] = n
    for mid, lost in sorted(by_type.items()):
        nt = planner.notetypes[mid]
        ctx.report.warn(f"note type {nt.name}", (
            f"{describe_missing(nt, sorted(lost))}: that part of "
            f"{counted(max(lost.values()), 'note', 'notes')} could not be written, and "
            f"{'it keeps what it' if max(lost.values()) == 1 else 'they keep what they'} had there; rename the "
            "field back to keep them in step (new notes go to a complete Polar note type)"),
            code="fields_missing", notetype=nt.name,
            fields=", ".join(sorted(lost)), count=max(lost.values()), notetype_id=int(mid))
    # Told by an earlier sync, the type still lacking them: its notes still
    # keep what they had there, though their documents were not read now.
    for row in ctx.lacking_before:
        if row.get("notetype_id") not in by_type:
            ctx.report.warn(**dict(row, told_before=True))  # (the report's row; no notice again)


def plan_sweep(ctx: Applying) -> None:
    """Cards of documents gone from the library become orphans.

    Polar notes the sync state has no record of (made by another tool, an
    import, another computer, or before the state was lost) and that no
    document holds are never swept: nothing shows that this add-on made
    them. They are reported once and remembered, so they stay untouched
    (only in a whole-library sync in which every document could be read)."""
    reading = ctx.reading
    gone = [c for key in ctx.gone_docs for c in ctx.old_by_doc.get(key, {}).values()]
    planner = planner_of(ctx)
    planner.sweep(gone, can_sweep=reading.listed > 0)
    if ctx.unknown and reading.only is None and not reading.with_status("failed"):
        current = {guid_for(cid) for d in reading.docs.values() for cid in d.card_ids}
        foreign = sorted(g for g in ctx.unknown if g not in current)
        # A note a sync set aside (its card deleted in Polar), deleted by the
        # person and brought back by Anki's Undo after a sync dropped its row
        # (find_missing_notes): the add-on's own, not another tool's.
        ours = notes_tagged(ctx.col, [n for g in foreign for n in ctx.unknown[g]], ORPHAN_TAG) if foreign else set()
        told = [g for g in foreign if not ours.issuperset(ctx.unknown[g])]
        if told:
            ctx.report.warn(reading.source.describe(), (
                f"{counted(len(told), 'note', 'notes')} with Polar ids that no document of this library holds "
                f"and no earlier sync recorded {'was left as it is' if len(told) == 1 else 'were left as they are'} "
                "(made by another tool, an import, another computer or "
                f"before the sync state was lost), e.g. {told[0]!r}"), code="foreign_notes", count=len(told))
        planner.plan.carry += [foreign_row(g) for g in foreign]


def plan_collection_changes(ctx: Applying) -> None:
    """What the plan means for this collection: which cards move, which
    images are missing from the media folder, what the deletion policy does,
    which suspended cards a restore gives back (the sync's own only)."""
    plan = planner_of(ctx).plan
    settle_duplicates(ctx)
    resolve_moves(plan, lambda name: ctx.deck_ids.get(name.lower()) or existing_deck_id(ctx.col, name))
    # A sync killed after adding its notes but before the media thread had
    # written their files leaves notes pointing at missing files; the next
    # run finds those notes unchanged, so re-check (a stat per image) the
    # media of the matched cards of the documents read this time.
    plan.missing_media = lacking_media(ctx.col, [u.rc for u in plan.updates if not u.content_changed])
    # The share counts the notes there were before this sync: the new ones
    # must not make room for deleting more of the old.
    refused = decide_deletions(plan, ctx.reading.settings, ctx.polar_notes, ctx.reading.state.suspended_by_sync,
                               lambda: set_aside_notes(ctx.col))
    if refused:
        ctx.report.error(ctx.reading.source.describe(), refused, code="delete_refused")
    resolve_suspensions(plan, lambda nids: still_suspended_by_sync(ctx, nids))


def still_suspended_by_sync(ctx: Applying, nids: Sequence[int]) -> Dict[int, List[int]]:
    """The suspension records of these notes (``SyncState.suspended_by_sync``)
    less the cards studied since the sync suspended them: the user
    unsuspended such a card, so a suspension it has now is theirs, or Anki's
    leech action's, and a restore leaves it. One query of the review log,
    only for the notes a restore or a new suspension asks about."""
    records = ctx.reading.state.suspension_records(nids)
    stamped = {cid: r.at for r in records.values() if r.at is not None for cid in r.cids}
    # Reviews, and Set Due Date and Forget (Anki unsuspends each card it does
    # either to); not an FSRS reschedule (touched.py).
    studied = touched_since(ctx.col, stamped)
    return {nid: [c for c in r.cids if c not in studied] for nid, r in records.items()}


def settle_duplicates(ctx: Applying) -> None:
    """Which duplicates (notes of one Polar card made on two computers, met
    through AnkiWeb) are spare copies of the note kept (``plan.spare_copy``)
    with no review in the log and no flag either: those go, whatever the
    deletion policy; the others are set aside as ever. One query, and only
    when there are duplicates."""
    plan = planner_of(ctx).plan
    maybe = [o for o in plan.orphans if o.duplicate and spare_copy(o)]
    if not maybe:
        return
    db = ctx.col.db
    assert db is not None
    cids = [c.id for o in maybe for c in o.note.cards]
    studied: Set[int] = set()
    for marks, chunk in in_chunks(cids):
        studied.update(db.list(f"SELECT id FROM cards WHERE id IN ({marks}) AND flags != 0", *chunk))
        studied.update(db.list(f"SELECT DISTINCT cid FROM revlog WHERE cid IN ({marks})", *chunk))
    for o in maybe:
        o.spare = not any(c.id in studied for c in o.note.cards)


def leave_open_notes_alone(ctx: Applying) -> None:
    """Notes the caller must not write now (open in an Anki editor): out of
    the plan; ``remember`` then keeps their documents unsynced."""
    ctx.report.deferred = leave_alone(planner_of(ctx).plan, ctx.leave_alone, ctx.set_aside_later)


def wait_for_scheduler_update(ctx: Applying) -> None:
    """A collection on Anki's v1 scheduler (last studied in an Anki of before
    2.1.45 or so, its deck list's "update the scheduler" not yet taken): Anki
    refuses to move or suspend any of its cards (SchedulerUpgradeRequired),
    which failed the whole sync, each time. The notes whose cards would move
    or be suspended are left out, as a note open in an editor is (their
    documents stay unsynced), the rest is synced, and the report says why;
    the first sync after the update does the rest."""
    if ctx.col.sched_ver() != 1:
        return
    plan = planner_of(ctx).plan
    moving = {u.note.id for u in plan.updates if u.move_cids}
    setting_aside = {o.note.id for o in plan.orphans if o.suspend or o.move_cids}
    if not moving and not setting_aside:
        return
    ctx.held_for_scheduler = leave_alone(plan, moving, setting_aside)
    if ctx.held_for_scheduler:
        n = len(ctx.held_for_scheduler)
        ctx.report.warn(ctx.reading.source.describe(), (
            f"this collection still uses Anki's old scheduler (v1), and Anki moves and suspends no card until it is "
            f"updated: {counted(n, 'note', 'notes')} whose cards were to be moved or suspended "
            f"{'was left as it is' if n == 1 else 'were left as they are'}, for the sync after the update "
            "(Anki's deck list offers it)"), code="old_scheduler", count=n)


def count_changes(ctx: Applying) -> None:
    plan = planner_of(ctx).plan
    if ctx.dry_run:  # a preview shows each new note's front, and counts only what can be synced
        plan.creates = render_creates(plan.creates, ctx.reading.render)
        for create in plan.creates:  # (a sync says it as it makes the note, write._new_note)
            if create.card.context.image is KEPT_IMAGE:
                say_picture_online_only(ctx.report, create.doc, create.card)
    deck_of = {k: ctx.places.get(k) or d.deck for k, d in ctx.known_docs.items()}
    deck_of.update((k, d.target) for k, d in ctx.reading.docs.items() if d.deck)
    count(plan, ctx.report, ctx.reading.settings.deletion_policy, deck_of)
    # (A preview says them too: what a sync would do, every row of it. Not after
    # undo_beyond_memory, which said why.)
    if ctx.deleted_in_anki and ctx.rows_vouch:
        made = [guid_for(c.rc.card_id) for c in plan.creates]
        again_made = [c for c, g in zip(plan.creates, made) if g in ctx.deleted_in_anki and g not in ctx.replaced_away]
        again = len(again_made)
        if again:
            named, total = deck_summary(ctx, again_made)
            where = ", ".join(named) + (f" and {total - len(named)} more" if total > len(named) else "")
            ctx.report.warn(ctx.reading.source.describe(), (
                f"{counted(again, 'note', 'notes')} deleted in Anki since the last sync "
                f"{'is made again (was' if again == 1 else 'are made again (were'} in {where}{types_said(ctx)}): "
                f"{'its card is' if again == 1 else 'their cards are'} still in Polar (delete a card in Polar, or "
                "suspend its note in Anki, to be rid of it; the setting Deleted in Anki: Leave them deleted leaves "
                "such notes deleted)"),
                code="made_again", count=again, decks=named, more_decks=max(total - len(named), 0),
                **gone_types(ctx))
        replaced = sum(g in ctx.replaced_away for g in made)
        if replaced:
            ctx.report.warn(ctx.reading.source.describe(), (
                f"{counted(replaced, 'note an earlier sync made is', 'notes an earlier sync made are')} made "
                "again: the collection was replaced since "
                "(a full download from AnkiWeb, a backup or a .colpkg opened) by one without them"),
                code="made_again_replaced", count=replaced)
    for u, n in emptied_cloze_cards(plan, planner_of(ctx).notetypes):
        ctx.report.warn(f"{u.doc}#{u.rc.card_id}", (
            f"{counted(n, 'card of this cloze lost its', 'cards of this cloze lost their')} cloze deletion in "
            f"Polar: Anki keeps {'it and shows it' if n == 1 else 'them and shows them'} as empty until Tools > "
            f"Empty Cards deletes {'it, with its' if n == 1 else 'them, with their'} reviews"),
            code="cloze_cards_emptied", count=n, note_id=u.note.id, document=u.doc, card=u.rc.card_id,
            page=u.meta.page or None, front=u.rc.front)
    name_decks_notes_are_in(ctx)
    name_decks_as_anki_does(ctx)
    if ctx.dry_run:  # (a sync says these as it writes, and as its last step, of the notes it made)
        preview_note_types(ctx.col, plan, ctx.reading.settings, ctx.report)
        name_decks_holding_back_new_cards(ctx)
    ctx.done = ctx.dry_run


def write_collection(ctx: Applying) -> None:
    plan = planner_of(ctx).plan
    # From here the plan holds the rendered cards and card metadata the write
    # needs: the documents' own lists go, so the write can let go of each
    # card's content once its note is built (the peak memory of a first sync).
    for d in ctx.parsed:
        d.cards, d.pending, d.card_meta = [], [], {}
    stop = ctx.reading.stop
    if stop is not None and stop():
        ctx.reading.state.owe_the_rest()  # (the next sync reads the whole library)
        raise Stopped()  # (nothing else written)
    state = ctx.reading.state
    gen = ctx.generation = _generation(ctx) if plan.writes_anything else None
    if batched(len(plan.creates)):  # the builder then has time to write state rows ahead
        ctx.staged = state.stage()
        if ctx.staged is not None:
            ctx.staged.generation = gen
    ctx.rows = write_plan(ctx.col, plan, ctx.reading.settings, ctx.report, ctx.say, ctx.undo_name, ctx.staged,
                          ctx.reading.render, ctx.ids, ctx.suspended,
                          None if gen is None else (marker(gen.state_id, gen.prev), marker(gen.state_id, gen.number)),
                          stop=stop, unfinished=ctx.unfinished)
    if ctx.unfinished and ctx.staged is not None:
        # Stopped between two batches: the rows staged ahead include notes
        # never added. Rolled back; remember writes the rows of those added.
        ctx.staged.close()
        ctx.staged = None
    # The new notes have ids now: the report's rows for them (first, in
    # ``plan.creates`` order) can point at them. A create the write rendered
    # brings its front; one that turned out not to be syncable (reported
    # then) is no change.
    report = ctx.report
    made = []
    for change, create in zip(report.changes, plan.creates):
        if create.failed:
            continue
        change.note_id = create.note_id
        if create.front is not None:
            change.front = create.front
        made.append(change)
    if len(made) < len(plan.creates):
        report.created -= len(plan.creates) - len(made)
        report.changes[: len(plan.creates)] = made


def remember(ctx: Applying) -> None:
    """The state file, last: what this sync saw and wrote."""
    doc_rows: List[DocState] = []
    # (and those the person stopped the sync in the middle of: their other new notes come next time)
    held_docs = set(ctx.report.deferred.values()) | set(ctx.held_for_scheduler.values()) | ctx.unfinished
    for d in ctx.reading.docs.values():
        prev = ctx.known_docs.get(d.key)
        if d.key in held_docs:
            # Not synced as a whole: a signature no file has makes the next
            # sync read it again; the old deck name keeps a pending move.
            doc_rows.append(DocState(d.key, -1, -1, "", prev.deck if prev else d.deck, True))
        elif d.status in ("parsed", "skipped") or (d.status == "unchanged" and d.read_at_ns):
            size, stamp = trusted_signature(d)
            doc_rows.append(DocState(d.key, size, stamp, d.sha, d.deck, True))
        elif d.status == "failed" and d.sha.startswith(COPY_SHA):  # (read.COPY_SHA: not read while unchanged)
            size, stamp = trusted_signature(d) if d.read_at_ns else tuple(d.file.signature)
            doc_rows.append(DocState(d.key, size, stamp, d.sha, prev.deck if prev else "", False))
        elif d.status == "failed":
            doc_rows.append(DocState(d.key, -1, -1, "", prev.deck if prev else "", False))
    # The errors of each document read this time, to report again while it
    # stays unchanged; a skipped or unreadable one is read (or not) anew.
    problems: Dict[str, List[Dict[str, Any]]] = {}
    for d in ctx.reading.docs.values():
        if d.status in ("parsed", "failed", "skipped"):
            label = d.file.label
            problems[d.key] = [e for e in ctx.report.errors
                               if d.status == "parsed" and (e["path"] == label or e["path"].startswith(label + "#"))]
    titles = ctx.report.titles
    # What the next sync needs to know to skip the old-sync scan: settled
    # in a whole-library sync, or in any sync that left nothing unsettled.
    meta = {
        LEFTOVERS_KEY: str(len(planner_of(ctx).plan.legacy_leftovers)),
        OLDER_KEY: ",".join(map(str, planner_of(ctx).plan.legacy_older)),
        # An old-sync note added while this sync wrote (Polar's own sync
        # still on, answered by AnkiConnect meanwhile) was not looked at:
        # the next sync looks.
        # (None added at all, by the notes' count and ids: nothing to read.)
        NOTES_SEEN_KEY: "" if ctx.looked_up_to is not None and not notes_as_booked(ctx)
        and legacy_note_added_after(ctx.col, ctx.looked_up_to) else str(ctx.col.note_count()),
    } if ctx.whole_library or not ctx.legacy_unsettled else None
    if not ctx.dry_run and not ctx.owned_since:  # (not read here: the staged rows may lock the file)
        meta = {**(meta or {}), OWNED_SINCE_KEY: str(ctx.started_ms)}
    if not ctx.dry_run and ctx.copies_told is not None:
        meta = {**(meta or {}), COPIES_TOLD_KEY: ctx.copies_told}
    if ctx.unfinished:  # stopped part-way through the adds: the next sync, whatever asks, does the rest
        meta = {**(meta or {}), REST_KEY: "1"}
    elif ctx.whole_library and ctx.reading.rest_owed:  # (and this one did it)
        meta = {**(meta or {}), REST_KEY: ""}
    if ctx.reading.library_meta:  # which library this is (read.set_apart)
        meta = {**(meta or {}), **ctx.reading.library_meta}
    if ctx.schema:  # the stamp now, past this sync's own changes (a note type it made)
        meta = {**(meta or {}), SCHEMA_KEY: schema_stamp(ctx.col)}
    held = note_types_held(ctx)
    if held is not None:
        meta = {**(meta or {}), NOTE_TYPES_KEY: held}
    # (A skipped document was read too: it renders no card, so waits for no picture.)
    read = {d.key for d in ctx.parsed} | {d.key for d in ctx.reading.with_status("skipped")}
    waiting = waiting_images_meta(ctx.reading.waiting_images, ctx.report, read, ctx.gone_docs)
    if waiting is not None and not ctx.dry_run:  # (pictures kept online only: their documents read again once here)
        meta = {**(meta or {}), WAITING_KEY: waiting}
    lacking = [w for w in ctx.report.warnings if w.get("code") == "fields_missing" and w.get("notetype_id")]
    if lacking or ctx.lacking_told:
        meta = {**(meta or {}), FIELDS_MISSING_KEY: json.dumps(lacking, ensure_ascii=False) if lacking else ""}
    ctx.reading.state.commit(
        docs=doc_rows,
        cards=ctx.rows,
        replace_docs=[d.key for d in ctx.parsed] + ctx.gone_docs,
        drop_docs=[k for k in ctx.gone_docs if k not in held_docs],  # kept: notes still to handle
        drop_cards=planner_of(ctx).plan.drop_cards + ctx.stale_rows,
        problems=problems,
        meta=meta,
        titles={d.key: titles[d.key] for d in ctx.reading.docs.values()
                if d.status in ("parsed", "skipped") and titles.get(d.key)},
        sources={d.key: ctx.report.sources.get(d.key, "") for d in ctx.reading.docs.values()
                 if d.status in ("parsed", "skipped")},
        staged=ctx.staged,
        note_ids=ctx.ids,
        fingerprint=_fingerprint_after(ctx),
        suspended=ctx.suspended,
        generation=ctx.generation,
        homes=deck_homes(ctx, held_docs),
        as_stored=_rows_as_stored(ctx),
        left_deleted=ctx.left_changes,
    )


def _rows_as_stored(ctx: Applying) -> Set[str]:
    """The card ids whose row this sync leaves exactly as the state holds
    it (the last row written for an id counts): a note whose update the
    person stopped, a card whose document changed elsewhere. Not rewritten."""
    stored = ctx.stored_rows
    if not stored or ctx.staged is not None:
        return set()
    last = {row.card_id: row for row in ctx.rows}
    dropped = set(planner_of(ctx).plan.drop_cards) | set(ctx.stale_rows)
    return {cid for cid, row in last.items() if stored.get(cid) == row and cid not in dropped}


def _generation(ctx: Applying) -> Optional[Generation]:
    """This sync's undo journal entry: the state rows it may change are
    those of the documents it read or found gone (and the foreign rows,
    document ""), and those of the card ids it drops, writes or leaves
    deleted (a row may come from another document). A first sync has none
    to keep."""
    docs = [d.key for d in ctx.parsed] + list(ctx.gone_docs) + [""]
    ids: List[str] = []
    if ctx.known_docs:
        plan = planner_of(ctx).plan
        ids = plan.drop_cards + ctx.stale_rows + [c.card_id for c in plan.carry]
        ids += [c.rc.card_id for c in plan.creates] + [u.rc.card_id for u in plan.updates]
        ids += [o.card.card_id for o in plan.orphans if o.card is not None]
    # The cards this sync leaves deleted or forgets as such (left_deleted.py):
    # their rows lie under documents read, unless a card moved.
    ids += list(ctx.left_changes.made) + list(ctx.left_changes.cleared)
    return ctx.reading.state.next_generation(docs, ids, ctx.homes_todo)


def _fingerprint_after(ctx: Applying) -> str:
    """The collection's notes as this sync leaves them, for the next sync to
    trust: only when the note-id hints were exact as this sync began (with
    this sync's changes they are exact now), and when the notes added and
    deleted since it began are exactly those this sync recorded (its own
    bookkeeping checked: a note made but not recorded would be a note the
    next sync cannot find)."""
    if not (ctx.hints_exact and notes_as_booked(ctx)):
        return ""
    return ctx.fingerprint_now or ""


APPLY_STEPS: Sequence[Callable[[Applying], None]] = (
    check_collection_identity,
    follow_undo,
    find_missing_notes,
    recall_note_types,
    recall_left_deleted,
    follow_changed_note_types,
    settle_page_label,
    read_where_cards_moved,
    repeat_known_problems,
    drop_cards_claimed_elsewhere,
    follow_renamed_decks,
    avoid_filtered_decks,
    find_gone_documents,
    look_up_notes,
    follow_kept_notes,
    follow_twin_decks,
    follow_old_sync_decks,
    name_the_default_deck,
    plan_documents,
    pair_legacy_notes,
    plan_sweep,
    plan_collection_changes,
    leave_deleted_notes,
    leave_open_notes_alone,
    wait_for_scheduler_update,
    count_changes,
    write_collection,
    name_emptied_decks,
    remember,
    name_decks_holding_back_new_cards,  # (after remember: it only reads, and says)
)
