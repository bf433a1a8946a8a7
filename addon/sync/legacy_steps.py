"""The apply steps for notes of Polar's old AnkiConnect sync (``legacy.py``
matches them to cards): their decks followed, an older version of a card
taken over, and copies Polar's own sync, still on, added beside this
add-on's notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, AbstractSet, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, cast

from ..numbers import counted
from .applying import COPIES_TOLD_KEY, OLDER_KEY, Applying, planner_of
from .collection_view import NoteInfo, normal_decks
from .field_merge import field_hash
from .identity import GUID_PREFIX, guid_for, legacy_card_id
from .legacy import OldNote, composed, note_tags, old_sync_deck_names
from .notetypes import KINDS, ROLE_ANSWER, ROLE_FRONT, NoteTypeRef, field_roles, legacy_type_name
from .plan import DUPLICATE_GUID_PREFIX, LegacyIndex, Orphan
from .read import LoadedDoc
from .sql import in_chunks

if TYPE_CHECKING:
    from anki.decks import DeckId
    from anki.models import NotetypeId


def follow_old_sync_decks(ctx: Applying) -> None:
    """A document first synced here whose ``deck:`` tag holds an ``_`` goes
    to the deck Polar's old sync made for it, when that deck holds its old
    notes and the one this add-on would make does not exist yet: the old
    sync wrote ``_`` as a space (2.x) or a level (1.x), this add-on keeps it,
    so the adopted notes (with their reviews) stayed in "machine learning"
    while the document's new cards went to a new "machine_learning" beside
    it. The deck is then followed by its id, as a renamed one is."""
    legacy = planner_of(ctx).legacy
    if not legacy.notes:
        return
    homes: Set[DeckId] = {card.home for note in legacy.notes for card in note.cards}
    decks: Optional[Dict[DeckId, str]] = None
    for d in ctx.parsed:
        if d.key in ctx.known_docs or d.place:
            continue
        names = old_sync_deck_names(d.labels)
        untagged = not names and not any(label.lower().startswith("deck:") for label in d.labels)
        if not names and not untagged:
            continue
        if decks is None:
            decks = normal_decks(ctx.col)
            by_name = {_deck_key(name): did for did, name in decks.items()}
        if untagged:
            _follow_title_deck(ctx, d, legacy, decks, by_name)
            continue
        if _deck_key(d.deck) in by_name:
            continue  # the deck it goes to by name exists: as before
        found = {by_name[k] for k in map(_deck_key, names) if k in by_name and by_name[k] in homes}
        if len(found) != 1:
            continue
        did = next(iter(found))
        ctx.deck_ids[decks[did].lower()] = did
        d.place = ctx.places[d.key] = decks[did]


def _follow_title_deck(ctx: Applying, d: LoadedDoc, legacy: LegacyIndex, decks: Dict[DeckId, str],
                       by_name: Dict[str, DeckId]) -> None:
    """A document without a ``deck:`` tag whose old notes are all in the
    deck of its title (Polar before 1.8 made a deck per document): its
    cards go there, not to the default deck beside them (or, with
    ``deck_strategy: document``, to a title deck of this add-on's making
    that does not exist yet)."""
    title = ctx.report.titles.get(d.key, "")
    did = by_name.get(_deck_key(title)) if title.strip() else None
    if did is None or _deck_key(d.deck) == _deck_key(title):
        return
    if ctx.reading.settings.deck_strategy == "document" and _deck_key(d.deck) in by_name:
        return  # its own deck is there already: as before
    own = legacy.notes_of(d.every_card())
    if not own or {card.home for note in own for card in note.cards} != {did}:
        return
    ctx.deck_ids[decks[did].lower()] = did
    d.place = ctx.places[d.key] = decks[did]


def _deck_key(name: str) -> str:
    """A deck name as Anki compares it: levels trimmed, case folded."""
    return composed("::".join(part.strip() for part in name.split("::")).lower())


def legacy_type_ids(notetypes: Dict[NotetypeId, NoteTypeRef], notes: Sequence[NoteInfo]) -> Dict[str, List[NotetypeId]]:
    """For each card kind, the note types the old sync's notes (``notes``)
    are in now that can hold it: cloze types for cloze cards, the others for
    basic ones. The old sync used "Basic" and "Cloze" by name, but the user
    may have renamed them since (or made them in a profile whose own are
    "Einfach"/"Lückentext"): the types the notes are in count, not names.
    Those named as the old sync named them come first."""
    mids = sorted({n.mid for n in notes if n.mid in notetypes},
                  key=lambda m: (notetypes[m].name not in (legacy_type_name("basic"), legacy_type_name("cloze")), m))
    return {kind: [m for m in mids if _holds_cloze(notetypes[m]) == (kind == "cloze")] for kind in KINDS}


def _holds_cloze(nt: NoteTypeRef) -> bool:
    """A cloze type, or the old sync's own "Cloze": where a profile had none
    by that name (a German one's is "Lückentext"), Polar made it through
    AnkiConnect's createModel without isCloze (AnkiSyncEngine's
    createRequiredModels), a standard type with the fields Text and Back
    Extra that holds its cloze cards all the same."""
    return bool(nt.cloze) or nt.name == legacy_type_name("cloze")


# A copy of Polar's own sync never studied, by the deletion policy (the
# summary's words; the report window says it in the user's language).
_COPY_FATES = {"suspend": "suspended and tagged polar::deleted", "tag": "tagged polar::deleted",
               "keep": "left as they are", "delete": "deleted"}


def pair_legacy_notes(ctx: Applying) -> None:
    """Notes of Polar's old sync that no current card claimed: an older
    version of a card about to be created is taken over instead (its reviews
    kept, no second note); the rest are reported. Only a sync of the whole
    library can tell that a note matches no card; a partial one only pairs."""
    planner = planner_of(ctx)
    reading = ctx.reading
    # A duplicate set aside by an earlier sync (below) is told of once.
    untaken = [n for n in planner.legacy.untaken() if not n.guid.startswith(DUPLICATE_GUID_PREFIX)]
    current: Set[str] = set()
    named = {i for note in untaken for i in (legacy_card_id(t) for t in note.tags) if i}
    if named:  # only the cards the old notes name: asked of the state by id, not every row read
        current = {cid for d in reading.docs.values() for cid in d.card_ids if cid in named}
        if any(d.status != "parsed" for d in reading.docs.values()):
            # (every row was read here on each sync while leftovers remained:
            # ~50 ms at 2,500 cards, a second at 50,000, watcher syncs too)
            current |= {cid for cid, (_, orphaned) in reading.state.owners(named - current).items() if not orphaned}
    copies, studied_copies = _polar_sync_copies(ctx, untaken, current)
    if copies or studied_copies:
        planner.plan.orphans += copies
        set_apart = {o.note.id for o in copies} | set(studied_copies)
        untaken = [n for n in untaken if n.id not in set_apart]
        # A studied copy stays listed on every sync; Polar's sync is said to
        # be on only when it added one since (the ones told of are kept).
        # Only a note added after this add-on's first sync says so: two old
        # notes of one card from before (Polar's sync on two computers) are
        # a duplicate of the old sync's, set aside the same way, unsaid.
        since = ctx.owned_since
        told = {int(n) for n in (reading.state.meta(COPIES_TOLD_KEY) or "").split(",") if n.isdigit()}
        news = [nid for nid in studied_copies if nid not in told and since and nid > since]
        ctx.copies_told = ",".join(map(str, sorted(studied_copies)))
        set_now = [o for o in copies if since and o.note.id > since]
        n = len(set_now) + len(news)
        if n:
            # (What became of a copy never studied: the deletion policy's, said as it is.)
            policy = reading.settings.deletion_policy
            fate = _COPY_FATES.get(policy, f"handled as {policy!r} says")
            ctx.report.warn(reading.source.describe(), (
                f"Polar's own Anki sync is still on: it added {counted(n, 'note of a card', 'notes of cards')} "
                "this add-on already keeps "
                f"({len(set_now)} never studied, {fate} as deletion_policy says; {len(news)} studied, listed to "
                "look at); stop using “Start Anki Sync” in Polar, or remove AnkiConnect"),
                code="polar_sync_on", count=n, removed_as=policy)
    elif reading.state.meta(COPIES_TOLD_KEY):
        ctx.copies_told = ""
    leftovers = []
    deck_names: Dict[Optional[DeckId], str] = {}
    for note in untaken:
        ids = {i for i in (legacy_card_id(t) for t in note.tags) if i}
        if ids & current:
            continue  # a note of a current card that has a note already: not a leftover
        kind = planner.legacy.kind_of(note.mid)
        home = note.cards[0].home if note.cards else None
        if home not in deck_names:
            deck_names[home] = (ctx.col.decks.name_if_exists(home) or "").lower() if home is not None else ""
        nt = planner.notetypes.get(note.mid)
        text = _old_sync_text(nt, note.fields)
        question, answer = _old_sync_parts(nt, note.fields) if kind == "basic" else ("", "")
        old = OldNote(note.id, kind or "", text, note_tags(note.tags), deck_names[home],
                      bool(note.cards) and all(c.queue == -1 for c in note.cards), question, answer)
        leftovers.append((note, old))
    planner.pair_legacy(leftovers, ctx.parsed, ctx.report.titles, _adopted_decks(ctx, deck_names))
    if studied_copies:  # the user studies both: theirs to choose, never set aside by a sync
        planner.plan.legacy_leftovers = sorted(set(planner.plan.legacy_leftovers) | set(studied_copies))
    # Older versions found when their card was taken over (an earlier sync)
    # stay named as such while they are left over.
    plan = planner.plan
    known = {int(n) for n in (reading.state.meta(OLDER_KEY) or "").split(",") if n.isdigit()}
    if known:
        left = set(plan.legacy_leftovers)
        plan.legacy_older = sorted((known & left) | set(plan.legacy_older))
    # A document that could not be read keeps its cards' ids in the state
    # (``current`` above); an empty library (a wrong folder) proves nothing.
    ctx.whole_library = reading.only is None and reading.listed > 0
    ctx.legacy_unsettled = len(planner.plan.legacy_leftovers)
    if not ctx.whole_library:
        planner.plan.legacy_leftovers = []
        planner.plan.legacy_older = []


def _polar_sync_copies(ctx: Applying, untaken: Sequence[NoteInfo],
                       current: AbstractSet[str]) -> Tuple[List[Orphan], List[int]]:
    """Notes Polar's own AnkiConnect sync, still on beside this add-on, added
    of a card this add-on already keeps a note of: a second note of one
    question. Polar's sync looks a card up by ``findNotes "tag:polar_guid:<id>"``
    (1.x; the tag is gone from a note taken over) or by its own record of the
    cards it sent (2.x), and AnkiConnect's ``addNote`` refuses only a note
    whose first field another note of its type has: a card edited in Polar
    since, a front edited in Anki, or a note type of one's own let it add
    the card again. Such a note is one that names a card whose note this
    add-on keeps (``polar_guid:<id>``), or (2.x, no id) one added after this
    add-on's first sync with the first field of a note of its of the same
    kind (cloze or not: AnkiConnect checks Basic and Cloze only, so a note
    of the add-on's own "Polar Basic" never stopped it), added before it,
    or with the front this add-on last wrote for a card (the user edited it
    in Anki since, so AnkiConnect's check let Polar's front in again). Returned: the never-studied ones as
    duplicates of that note (set aside as the deletion policy says, never
    a spare copy: nothing goes without the policy), and the ids of those
    with a review or a flag (the user studies both: listed, left alone)."""
    if not untaken:
        return [], []
    from anki.utils import field_checksum, strip_html_media  # (in Anki 23.10 too)

    db = ctx.col.db
    assert db is not None
    since = ctx.owned_since
    # The notes this sync updates, as it leaves them (a card edited in Polar
    # takes its note's guid and front only now).
    updates = planner_of(ctx).plan.updates
    planned = {u.rc.card_id: u.note for u in updates}
    cloze: Dict[int, bool] = {}

    def is_cloze(mid: int) -> bool:  # Basic and Cloze, or the add-on's own types of a kind
        if mid not in cloze:
            model = ctx.col.models.get(cast("NotetypeId", mid))
            cloze[mid] = bool(model and model.get("type") == 1)
        return cloze[mid]

    fronts: Optional[Dict[Tuple[bool, str], NoteInfo]] = None  # made once, when asked

    def front_of(key: Tuple[bool, str]) -> Optional[NoteInfo]:
        nonlocal fronts
        if fronts is None:
            fronts = {}
            for u in updates:
                front = u.fields[0] if u.fields and u.fields[0] is not None else (u.note.fields or [""])[0]
                fronts.setdefault((is_cloze(u.note.mid), strip_html_media(front).strip()), u.note)
        return fronts.get(key)
    found: List[Tuple[NoteInfo, NoteInfo]] = []
    written_fronts: Optional[Dict[Tuple[bool, str], str]] = None  # read once, when asked
    for note in untaken:
        if note.cards and all(c.queue == -1 for c in note.cards):
            continue  # suspended: the user's answer already
        ids = sorted({i for i in (legacy_card_id(t) for t in note.tags) if i})
        row = None
        keeper: Optional[NoteInfo] = next((planned[i] for i in ids if i in planned), None)
        if keeper is not None:
            pass
        elif ids:
            guids = [guid_for(i) for i in ids if i in current]
            if guids:
                marks = ",".join("?" * len(guids))
                row = db.first(f"SELECT id, guid, mid, flds, tags FROM notes WHERE guid IN ({marks}) "
                               "ORDER BY id LIMIT 1", *guids)
        elif since and note.id > since and note.fields:
            first = strip_html_media(note.fields[0]).strip()
            kind = is_cloze(note.mid)
            mine = front_of((kind, first)) if first else None
            if mine is not None and mine.id < note.id:
                keeper = mine
            elif first:
                for cand in db.all(f"SELECT id, guid, mid, flds, tags FROM notes WHERE csum = ? "
                                   f"AND id < ? AND guid LIKE '{GUID_PREFIX}%' ORDER BY id",
                                   field_checksum(note.fields[0]), note.id):
                    if is_cloze(cand[2]) == kind and strip_html_media(str(cand[3]).split("\x1f")[0]).strip() == first:
                        row = cand
                        break
        if row is None and keeper is None and not ids and since and note.id > since and note.fields:
            # The front edited in Anki since: what Polar sent is what this
            # add-on wrote there (the state's hash of it), not what is there now.
            if written_fronts is None:
                written_fronts = {}
                for c in ctx.reading.state.all_cards().values():
                    if c.fields and not c.orphaned:
                        written_fronts.setdefault((c.type == "CLOZE", c.fields[0]), c.guid)
            guid = written_fronts.get((is_cloze(note.mid), field_hash(note.fields[0])))
            if guid is not None:
                row = db.first("SELECT id, guid, mid, flds, tags FROM notes WHERE guid = ? AND id < ? ORDER BY id "
                               "LIMIT 1", guid, note.id)
        if row is not None:
            keeper = NoteInfo(id=row[0], guid=str(row[1]), mid=row[2], fields=str(row[3]).split("\x1f"),
                              tags=str(row[4]).split())
        if keeper is not None and keeper.id != note.id:
            found.append((note, keeper))
    if not found:
        return [], []
    studied: Set[int] = set()
    cids = [c.id for note, _ in found for c in note.cards]
    for marks, chunk in in_chunks(cids):
        studied.update(db.list(f"SELECT id FROM cards WHERE id IN ({marks}) AND (flags != 0 OR reps > 0)", *chunk))
        studied.update(db.list(f"SELECT DISTINCT cid FROM revlog WHERE cid IN ({marks})", *chunk))
    copies = [Orphan(note, None, duplicate=True, keeper=keeper, polar_copy=True)
              for note, keeper in found if not any(c.id in studied for c in note.cards)]
    return copies, [note.id for note, _ in found if any(c.id in studied for c in note.cards)]


def _old_sync_text(nt: Optional[NoteTypeRef], fields: Sequence[str]) -> str:
    """An old note's text as the old sync wrote it, to compare with a card's:
    its question and answer fields (a cloze's text alone), not fields the
    old sync never wrote (a cloze's "Back Extra", "Source" or "Notes" of the
    user's own type, filled by hand, made an edited card look like another)."""
    if nt is not None:
        roles = field_roles(nt)
        # (a cloze's "Back Extra" is the user's: the old sync wrote "Text" alone)
        text = [f for f, role in zip(fields, roles)
                if role == ROLE_FRONT or (role.startswith(ROLE_ANSWER) and not nt.cloze)]
        if not text:  # its own names ("Question", "Answer"): all but the context parts' names
            text = [f for f, role in zip(fields, roles) if not role]
        if text:
            return " ".join(text)
    return " ".join(fields)


def _old_sync_parts(nt: Optional[NoteTypeRef], fields: Sequence[str]) -> Tuple[str, str]:
    """A basic old note's question and answer as two texts (its first field
    of each role), ("", "") when its type does not tell them."""
    if nt is None or nt.cloze:
        return "", ""
    roles = field_roles(nt)
    question = next((f for f, role in zip(fields, roles) if role == ROLE_FRONT), "")
    answer = next((f for f, role in zip(fields, roles) if role.startswith(ROLE_ANSWER)), "")
    return question, answer


def _adopted_decks(ctx: Applying, names: Dict[Optional[DeckId], str]) -> Dict[str, FrozenSet[str]]:
    """For each document without tags, the (lower-case) home decks of its
    old-sync notes taken over this sync (by id or front): where the user
    keeps its old notes now. Without tags the deck is all that traces an old
    note to its document, and the user may have moved them all from
    "Default" or the title's deck into one of their own."""
    untagged = {d.key for d in ctx.parsed if not d.labels}
    out: Dict[str, Set[str]] = {}
    for u in planner_of(ctx).plan.updates:
        if u.taken_over and u.doc in untagged:
            for card in u.note.cards:
                if card.home not in names:
                    names[card.home] = (ctx.col.decks.name_if_exists(card.home) or "").lower()
                if names[card.home]:
                    out.setdefault(u.doc, set()).add(names[card.home])
    return {doc: frozenset(decks) for doc, decks in out.items()}
