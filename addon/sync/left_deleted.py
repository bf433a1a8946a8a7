"""Notes a person deleted in Anki while their cards are still in Polar: the
setting "Deleted in Anki" (``Settings.deleted_in_anki``).

* ``make_again`` (the default, as every version before): the next sync
  makes them again, without their reviews, and says so (``made_again``).
* ``leave_deleted``: the sync does not make them again. It remembers each
  card as left deleted (the state's ``left_deleted`` table, with a
  signature of the card's content in Polar) and says so once
  (``left_deleted``). Later syncs leave the card alone while it stays as it
  was; a card edited in Polar is new content and gets a new note (Polar 2
  gives an edited card a new id anyway); a card gone from its document in
  Polar, or one whose note came back (AnkiWeb brought another computer's
  note of it), is forgotten. A whole document gone is not: back (a restore,
  a folder missing for a while), its cards stay left deleted. Set back to ``make_again``: the next sync reads their
  documents again and makes them (``made_again_by_setting``).

Only a note Anki keeps a grave for counts as deleted by the person (the
Browser, a deck or note type deleted with its notes, another computer's
deletion brought by AnkiWeb): notes gone with a replaced collection (a
backup, a full download) are made again in both modes
(``made_again_replaced``), as are notes gone when earlier syncs were undone
further back than the journal remembers (``rows_vouch``)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Dict, List, Optional, Set, Tuple

from ..numbers import counted
from .applying import NOTE_TYPES_KEY, Applying, planner_of
from .collection_view import note_types_of, polar_notes_by_type
from .identity import guid_for
from .plan import Create

LEAVE = "leave_deleted"
# Decks named in a report row; more are counted ("and 2 more").
DECKS_NAMED = 3


def signature(c: Create) -> str:
    """What a card says in Polar (its kind and its two sides, as rendered):
    an edit there changes it. Not the context nor the tags."""
    rc = c.card
    text = "\x1f".join((rc.kind, rc.front, rc.back))
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def recall_left_deleted(ctx: Applying) -> None:
    """Read what earlier syncs left deleted. Set back to make them again:
    their documents are read again (unchanged files are not), so the plan
    makes their notes."""
    known = ctx.left_known = ctx.reading.state.left_deleted()
    if not known:
        return
    docs = ctx.reading.docs
    if ctx.reading.settings.deleted_in_anki != LEAVE:
        ctx.reading.reread(sorted({doc for doc, _ in known.values() if doc in docs}))
        return
    # A note of such a card is there again (the deletion undone in Anki, or
    # another computer's note brought by AnkiWeb): its document is read
    # again, so the note is synced and the card no longer left deleted.
    back = {doc for cid, (doc, _) in known.items() if guid_for(cid) in ctx.unknown and doc in docs}
    if back:
        ctx.reading.reread(sorted(back))


def recall_note_types(ctx: Applying) -> None:
    """The note types that held Polar notes as the last sync left them
    (the state's ``note_types_held``: a few ids and names, not a record per
    card), and which of them are gone from the collection now: a note type
    deleted in Anki with its notes, named in the rows of those notes (Anki's
    graves keep no note type). Looked at only when notes are missing."""
    ctx.types_held = _held(ctx.reading.state.meta(NOTE_TYPES_KEY))
    if not ctx.deleted_in_anki or not ctx.types_held or not ctx.rows_vouch:
        return
    there = {int(entry.id) for entry in ctx.col.models.all_names_and_ids()}
    ctx.gone_types = sorted({name for mid, name in ctx.types_held.items() if mid not in there}, key=str.lower)


def _held(raw: Optional[str]) -> Optional[Dict[int, str]]:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return {int(k): str(v) for k, v in value.items() if str(k).isdigit()}


def gone_types(ctx: Applying) -> Dict[str, Any]:
    """The row's ``note_types``: the note types deleted in Anki with the notes
    it counts (none: no key, as before)."""
    return {"note_types": list(ctx.gone_types)} if ctx.gone_types else {}


def types_said(ctx: Applying) -> str:
    if not ctx.gone_types:
        return ""
    said = "; note type deleted: " if len(ctx.gone_types) == 1 else "; note types deleted: "
    return said + ", ".join(ctx.gone_types)


def note_types_held(ctx: Applying) -> Optional[str]:
    """What the state is to remember as ``note_types_held`` after this sync
    (None: unchanged). Made anew (one scan of the notes' types) only when
    Anki's schema stamp moved since the last sync (Anki moves it when a note
    type is deleted, or notes change their type) or nothing was recorded;
    else the types of the notes this sync added are added to it. With no
    Polar note before the sync, the types of those it added, no scan."""
    held = ctx.types_held  # (read as the sync began: staged rows may hold the file now)
    if held is not None and not ctx.schema_moved and not ctx.ids.made:
        return None
    names = {int(entry.id): entry.name for entry in ctx.col.models.all_names_and_ids()}
    if not ctx.polar_notes and not ctx.trusted and not ctx.ids.keyed:
        # No Polar note before this sync (counted as it began), and none made
        # one of another note (an old sync's): the Polar notes now are those
        # it added (a first sync: the scan below would read 50,000 notes
        # after Anki's last add).
        now = {mid: names[mid] for mid in ctx.ids.made_types if mid in names}
    elif held is None or ctx.schema_moved:
        now = {mid: names[mid] for mid in polar_notes_by_type(ctx.col) if mid in names}
    else:
        mids = note_types_of(ctx.col, [nid for _, nid in ctx.ids.made])
        now = {mid: names.get(mid, name) for mid, name in held.items() if mid in names}
        now.update((mid, names[mid]) for mid in mids if mid in names)
        if now == held:
            return None
    return json.dumps({str(mid): name for mid, name in sorted(now.items())}, ensure_ascii=False)


def leave_deleted_notes(ctx: Applying) -> None:
    """Take out of the plan the new notes of cards whose notes the person
    deleted in Anki, with the setting "Leave them deleted"; keep the
    ``left_deleted`` table in step with the documents read. After the plan,
    before anything is counted (a preview counts and says the same)."""
    plan = planner_of(ctx).plan
    leave = ctx.reading.settings.deleted_in_anki == LEAVE
    known = ctx.left_known
    fresh = ctx.deleted_in_anki - ctx.replaced_away if ctx.rows_vouch else set()
    changes = ctx.left_changes
    if not (known or (leave and fresh)):
        return
    read = {d.key for d in ctx.parsed}
    kept: List[Create] = []
    left_now: List[Create] = []
    still: Set[str] = set()  # card ids of ``known`` left deleted still
    render = ctx.reading.render
    for c in plan.creates:
        cid = c.rc.card_id
        if leave and (cid in known or guid_for(cid) in fresh):
            if c.rendered(render):  # (one that cannot be synced: reported, no note either way)
                sig = signature(c)
                before = known.get(cid)
                if before is None or guid_for(cid) in fresh:  # deleted since the last sync: said
                    left_now.append(c)
                    changes.made[cid] = (c.doc, sig)
                    continue
                if before[1] == sig:
                    still.add(cid)
                    if before[0] != c.doc:  # (the card moved to another document)
                        changes.made[cid] = (c.doc, sig)
                    continue
                # Edited in Polar since: new content, a new note.
        elif cid in known:
            ctx.made_by_setting.append(c)
        kept.append(c)
    plan.creates = kept
    # A row of a document read this time that no card held back is forgotten:
    # the card is gone from Polar, edited, made again or has a note again.
    changes.cleared += sorted(cid for cid, (doc, _) in known.items() if doc in read and cid not in still)
    if left_now:
        _say_left(ctx, left_now)
    if leave and ctx.dry_run:
        _say_left_before(ctx, known, set(changes.cleared) | {c.rc.card_id for c in left_now})
    if ctx.made_by_setting:  # (a preview too: its notes would be made again)
        ctx.report.warn(ctx.reading.source.describe(), (
            f"{counted(len(ctx.made_by_setting), 'note', 'notes')} you deleted in Anki, left deleted until now, "
            f"{'is' if len(ctx.made_by_setting) == 1 else 'are'} made again: the setting Deleted in Anki is Make "
            "them again"),
            code="made_again_by_setting", count=len(ctx.made_by_setting), decks=_decks(ctx, ctx.made_by_setting))


def _decks(ctx: Applying, creates: List[Create]) -> List[str]:
    """The decks the notes were in, as far as the state knows (the deck
    each card's document was synced to; Anki's graves keep no deck): most
    first, at most ``DECKS_NAMED`` (the row's count says how many notes)."""
    places: Dict[str, str] = {k: ctx.places.get(k) or d.deck for k, d in ctx.known_docs.items()}
    by_deck: Counter = Counter(places.get(c.doc) or c.deck for c in creates)
    return [deck for deck, _ in by_deck.most_common() if deck][:DECKS_NAMED]


def deck_summary(ctx: Applying, creates: List[Create]) -> Tuple[List[str], int]:
    """(the decks named, how many decks in all)."""
    places: Dict[str, str] = {k: ctx.places.get(k) or d.deck for k, d in ctx.known_docs.items()}
    every = {places.get(c.doc) or c.deck for c in creates} - {""}
    return _decks(ctx, creates), len(every)


def _say_left_before(ctx: Applying, known: Dict[str, Tuple[str, str]], not_before: Set[str]) -> None:
    """A preview: the cards earlier syncs left deleted that a sync now
    would leave deleted too (their documents still in the library). The
    sync says nothing of them (it was said once); a person who asks what a
    sync would do is told why those cards have no notes, and the way back."""
    docs = ctx.reading.docs
    held = [doc for cid, (doc, _) in known.items() if cid not in not_before and doc in docs]
    if not held:
        return
    places: Dict[str, str] = {k: ctx.places.get(k) or d.deck for k, d in ctx.known_docs.items()}
    by_deck: Counter = Counter(places.get(doc) or docs[doc].target for doc in held)
    every = [deck for deck, _ in by_deck.most_common() if deck]
    named = every[:DECKS_NAMED]
    where = ", ".join(named) + (f" and {len(every) - len(named)} more" if len(every) > len(named) else "")
    ctx.report.warn(ctx.reading.source.describe(), (
        f"{counted(len(held), 'note', 'notes')} you deleted in Anki {'stays' if len(held) == 1 else 'stay'} "
        f"deleted ({'was' if len(held) == 1 else 'were'} in {where}), as an earlier sync said: the "
        "setting Deleted in Anki is Leave them deleted"),
        code="left_deleted_before", count=len(held), decks=named, more_decks=len(every) - len(named))


def _say_left(ctx: Applying, left: List[Create]) -> None:
    n = len(left)
    named, total = deck_summary(ctx, left)
    where = ", ".join(named) + (f" and {total - len(named)} more" if total > len(named) else "")
    ctx.report.warn(ctx.reading.source.describe(), (
        f"{counted(n, 'note', 'notes')} you deleted in Anki left deleted ({'was' if n == 1 else 'were'} in "
        f"{where}{types_said(ctx)}): the setting Deleted in Anki is Leave them deleted; a card edited in Polar "
        f"gets a new note, and Make them again brings {'it' if n == 1 else 'them'} back"),
        code="left_deleted", count=n, decks=named, more_decks=max(total - len(named), 0), **gone_types(ctx))
