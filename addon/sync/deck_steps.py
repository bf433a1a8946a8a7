"""The apply steps that follow and name decks: a deck renamed or moved in
Anki is followed, another computer's twin decks, the default deck and the
decks a sync leaves empty named as Anki names them."""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Set, Tuple, cast

from ..numbers import counted
from .applying import Applying, notes_as_booked, planner_of
from .collection_view import deck_ids_by_name, existing_deck_id, filtered_deck_on_path, normal_decks
from .identity import GUID_PREFIX, guid_for
from .state import DeckHome, DeckHomes

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckConfigId, DeckId


def follow_renamed_decks(ctx: Applying) -> None:
    """A deck the user renamed or moved in Anki (itself, or a parent of it)
    is followed, not made again under its old name. While Polar's name for
    a document is the one the sync put its cards under, they go to the deck
    the sync put them in (by its id, ``state.deck_homes``), whatever it is
    called now (``LoadedDoc.place``). A document with no deck of its own yet
    (new, or whose Polar deck changed) goes where the sync put the cards of
    that Polar name for other documents, when that is one deck, renamed,
    and no deck has the name itself. Otherwise, as without any of this:
    the deck of that name (made when missing); so also when the deck is
    gone or is now a filtered deck. A Polar name never synced before whose
    parent (or grandparent ...) was renamed goes under the parent's new
    name (``_under_renamed_parent``). Cheap while no deck was renamed: the
    distinct deck homes (a few, with deck tags) and the documents without
    one, from SQL, and one look at the collection's decks (~1 us a deck);
    nothing on a first sync. Each document's home is read only when a deck
    was renamed."""
    reading = ctx.reading
    pairs, homeless = reading.state.deck_home_outline()
    live = live_cards(ctx)
    # The unchanged documents with cards whose deck the state does not know
    # (a state from before deck homes): recorded by name, by ``remember``.
    ctx.homes_todo = sorted(k for k in homeless
                            if live.get(k) and k in reading.docs and reading.docs[k].status == "unchanged")
    if not pairs:
        return
    decks = normal_decks(ctx.col)
    shared: Dict[str, Set[DeckId]] = defaultdict(set)  # Polar name -> the decks the sync put its cards in
    renamed: Set[str] = set()  # Polar names whose deck is called otherwise now
    for did, name in pairs:
        now = decks.get(cast("DeckId", did))
        if now is not None:
            shared[name.lower()].add(cast("DeckId", did))
            if now != name:
                renamed.add(name.lower())
    if not renamed:
        return  # every deck the sync put cards in is called as Polar calls it (or is gone)
    homes = reading.state.deck_homes()
    named = deck_ids_by_name(decks)

    def followed(key: str, name: str) -> Optional[str]:
        """The deck's name now when it is followed, else None."""
        low = name.lower()
        if low not in renamed:
            return None
        own = homes.get(key)
        if own is not None and own.did in decks and own.name.lower() == low:
            did = cast("DeckId", own.did)
        elif low in named:
            return None  # a deck of that name exists: it is the one, as ever
        else:
            found = shared[low]
            if len(found) != 1:
                return None  # the sync put that name's cards in several decks: none is the one
            did = next(iter(found))
        ctx.deck_ids[decks[did].lower()] = did
        return decks[did] if decks[did] != name else None

    synced = {name.lower() for _, name in pairs}  # every Polar name the sync ever put cards under
    moves = [(name, decks[cast("DeckId", did)]) for did, name in pairs
             if cast("DeckId", did) in decks and decks[cast("DeckId", did)] != name]
    for d in reading.docs.values():
        place = followed(d.key, d.deck)
        if place is None and d.deck.lower() not in synced and d.deck.lower() not in named:
            place = _under_renamed_parent(ctx, d.deck, moves, named)
        if place is not None:
            d.place = ctx.places[d.key] = place
    for key, known in ctx.known_docs.items():  # documents not in this sync: for the report's names
        if key not in reading.docs:
            place = followed(key, known.deck)
            if place is not None:
                ctx.places[key] = place


def _under_renamed_parent(ctx: Applying, polar: str, moves: List[Tuple[str, str]],
                          named: Dict[str, DeckId]) -> Optional[str]:
    """Where a Polar deck name never synced before goes when a parent of it
    was renamed or moved in Anki (``deck:compsci/networking`` after renaming
    ``compsci`` to ``CS``: ``CS::networking``), or None: by its name.

    Derived from the decks the sync put cards in (``moves``: Polar's name,
    the deck's name now, of those called otherwise now): the nearest
    ancestor of ``polar`` that no deck is called any more (one that exists
    ends the search: it is the parent, as ever) is what the one deck the
    sync put a card under it, ``ancestor::rest``, is under now, when the
    deck's name still ends in ``rest`` (``compsci::os`` now ``CS::os``:
    ``compsci`` is ``CS``). Several answers, or one that is not a normal
    deck now: by name."""
    parts = polar.split("::")
    for depth in range(len(parts) - 1, 0, -1):
        ancestor = [p.lower() for p in parts[:depth]]
        if "::".join(ancestor) in named:
            return None  # the parent exists under its Polar name: made under it
        found: Dict[str, str] = {}
        for name, now in moves:
            q, n = name.lower().split("::"), now.split("::")
            rest = q[depth:]
            if q[:depth] != ancestor or len(n) <= len(rest) or [x.lower() for x in n[len(n) - len(rest):]] != rest:
                continue
            parent = "::".join(n[:len(n) - len(rest)])
            found[parent.lower()] = parent
        if not found:
            continue
        if len(found) != 1:
            return None  # its cards went under several decks since: none is the one
        parent = next(iter(found.values()))
        if parent.lower() not in named:
            return None
        place = "::".join([parent] + parts[depth:])
        if filtered_deck_on_path(ctx.col, place) is not None:
            return None
        if place.lower() in named:
            ctx.deck_ids[place.lower()] = named[place.lower()]
        return place
    return None


def live_cards(ctx: Applying) -> Dict[str, int]:
    """Synced cards per document, as the state has them (read once a sync)."""
    if ctx.live is None:
        ctx.live = ctx.reading.state.live_cards_per_doc()
    return ctx.live


def _twin_key(name: str) -> str:
    """A deck name without the "+" Anki's sync appends to a deck (or a parent
    of it) whose name is taken on the receiving side."""
    return "::".join(part.rstrip("+") for part in name.lower().split("::"))


def follow_twin_decks(ctx: Applying) -> None:
    """A document moved to another deck in Polar and synced on two computers
    before AnkiWeb met them: each made the new deck and moved the cards
    there; AnkiWeb kept each card's later move (the other computer's deck,
    shown here as "<name>+") and left this computer's deck empty. A document
    read this time whose deck holds none of its cards while all of them are
    in one deck of that name plus Anki's "+" follows them there (its new
    cards too, and the deck home), as both computers then do. Cheap: one
    look at the decks (~1 us a deck); only when a deck name has a "+", the
    documents read, one dict lookup a card (~12 ms at 50,000)."""
    by_guid = ctx.by_guid
    if not by_guid or not ctx.parsed:
        return
    decks = normal_decks(ctx.col)
    if not any("+::" in name or name.endswith("+") for name in decks.values()):
        return  # no deck Anki's sync renamed
    for d in ctx.parsed:
        if d.place:
            continue  # a deck followed already (renamed, kept notes)
        homes: Set[DeckId] = set()
        for c in d.every_card():
            for note in by_guid.get(guid_for(c.card_id), ()):
                homes.update(card.home for card in note.cards)
        if len(homes) != 1:
            continue
        did = next(iter(homes))
        target = ctx.deck_ids.get(d.target.lower()) or existing_deck_id(ctx.col, d.target)
        if target is None or target == did:
            continue
        name, own = decks.get(did), decks.get(cast("DeckId", target))
        if name is None or own is None or name.lower() == own.lower() or _twin_key(name) != _twin_key(own):
            continue
        ctx.deck_ids[name.lower()] = did
        d.place = ctx.places[d.key] = name


def name_the_default_deck(ctx: Applying) -> None:
    """Polar's "Default" (no ``deck:`` tag, ``default_deck``'s default) is the
    profile's own default deck, whatever its name in the profile's language
    (``existing_deck_id``): the report names it as Anki does. A German
    profile's first sync listed its cards under "Default", a deck the user
    could not find beside "Standard" (later syncs followed it by its id, as
    a renamed deck, and said "Standard"). Followed here by its id as well."""
    from anki.decks import DEFAULT_DECK_ID  # anki.decks alone is a circular import; col loaded it

    docs = [d for d in ctx.reading.docs.values() if not d.place and d.deck.lower() == "default"]
    known = [k for k, d in ctx.known_docs.items()
             if k not in ctx.reading.docs and k not in ctx.places and d.deck.lower() == "default"]
    if not docs and not known:
        return
    decks = normal_decks(ctx.col)
    name = decks.get(cast("DeckId", DEFAULT_DECK_ID))
    if not name or any(other.lower() == "default" for other in decks.values()):
        return  # (a deck called "Default" is the one: existing_deck_id)
    ctx.deck_ids[name.lower()] = cast("DeckId", DEFAULT_DECK_ID)
    for d in docs:
        d.place = ctx.places[d.key] = name
    for key in known:  # documents not in this sync: for the report's names
        ctx.places[key] = name


def name_decks_notes_are_in(ctx: Applying) -> None:
    """The report's decks are where the documents' notes are. A note of
    Polar's old sync taken over stays in the deck that sync put it in
    ("net", though its document is ``deck:networking/tcp`` in Polar now;
    "All" for Polar's ``deck:All::DevOps``, Polar #758): its row and the
    decks line name that deck, not the document's Polar deck, which a sync
    that only took notes over never made (the first sync's summary listed
    decks nobody could find in Anki). A deck named that neither exists nor
    gets a note is left out."""
    plan = planner_of(ctx).plan
    taken = [u for u in plan.updates if u.taken_over and not u.move_cids and u.note.cards]
    if not ctx.report.decks and not taken:
        return
    decks = normal_decks(ctx.col)
    home: Dict[int, Optional[str]] = {u.note.id: decks.get(u.note.cards[0].home) for u in taken}
    going = {deck_key(deck) for deck in {c.deck for c in plan.creates}}  # (50,000 creates, a few decks)
    going.update(deck_key(u.move_to or "") for u in plan.updates if u.move_cids)
    going.update(deck_key(o.move_to or "") for o in plan.orphans if o.move_cids)
    there = {deck_key(name) for name in decks.values()} | going
    kept = {n for n in ctx.report.decks if deck_key(n) in there}
    kept.update(name for name in home.values() if name)
    ctx.report.decks = kept
    for change in ctx.report.changes:
        name = home.get(change.note_id) if change.kind == "updated" else None
        if name:
            change.deck = name


def deck_key(name: str) -> str:
    """A deck name as Anki tells decks apart enough for the report: its case
    aside, and composed (Anki stores names NFC: Polar's "Cafe\u0301" tag is
    its deck "Café")."""
    return unicodedata.normalize("NFC", name).lower()


def name_decks_as_anki_does(ctx: Applying) -> None:
    """The report names each deck as Anki spells it: Anki's deck names are
    one deck whatever their case, so Polar's ``deck:compsci/os`` fills a
    long-standing "CompSci::OS", which the report called "compsci::os", a
    deck the person does not see in Anki. (Decks the sync makes are spelled
    as Polar spells them, composed as Anki stores them.) One list of the
    decks, only when a name differs."""
    anki = {deck_key(name): name for name in normal_decks(ctx.col).values()}
    # (a deck the sync makes: composed, as Anki will store it)
    as_anki = {n: anki.get(deck_key(n)) or unicodedata.normalize("NFC", n) for n in ctx.report.decks}
    spelled = {n: name for n, name in as_anki.items() if name != n}
    if not spelled:
        return
    ctx.report.decks = {spelled.get(n, n) for n in ctx.report.decks}
    for change in ctx.report.changes:
        if change.deck in spelled:
            change.deck = spelled[change.deck]


def name_emptied_decks(ctx: Applying) -> None:
    """The decks the spare copies removed this time leave empty (another
    computer's decks, which AnkiWeb shows with a "+": "compsci::os+", and
    its parent "compsci+", which never held a card): those that can be
    deleted are named in a warning, for the user to delete. Never deleted
    here: a deck deleted travels to the other computer through AnkiWeb with
    whatever was put there meanwhile. Looked at: the decks the copies were
    in and, for each deck above them, the decks of that name with and without
    a "+"; named: those with no card (also none borrowed by a filtered deck)
    and no deck under them, here or on the other computer (deleting a
    parent there leaves its child decks without one: Check Database then
    reports a missing deck). Nothing to do unless copies were removed."""
    plan = planner_of(ctx).plan
    homes = {c.home for o in plan.orphans if o.spare and o.remove for c in o.note.cards}
    if not homes:
        return
    db = ctx.col.db
    assert db is not None
    decks = normal_decks(ctx.col)
    by_name = {name: did for did, name in decks.items()}
    looked: Set[str] = set()
    for did in homes:
        name = decks.get(did)
        if name is None:
            continue
        looked.add(name)
        parts = name.split("::")
        for depth in range(1, len(parts)):
            above = "::".join(parts[:depth])
            plain = above[:-1] if above.endswith("+") else above
            looked.update(n for n in (plain, plain + "+") if n in by_name)
    held = {decks[d] for d in db.list("SELECT DISTINCT did FROM cards") if d in decks}
    held |= {decks[d] for d in db.list("SELECT DISTINCT odid FROM cards WHERE odid != 0") if d in decks}

    def deletable(name: str) -> bool:
        # No card in it, and no deck under it: here, nor on the other
        # computer, where its "+" is the other way round ("compsci+" here is
        # "compsci" there, above that computer's "compsci::os+").
        if by_name[name] == 1 or name in held:
            return False
        plain = "::".join(part[:-1] if part.endswith("+") else part for part in name.split("::"))
        return not any(other.startswith((name + "::", plain + "::")) for other in by_name)

    named = sorted(n for n in looked if deletable(n))
    if named:
        ctx.report.warn(ctx.reading.source.describe(), (
            f"{'deck' if len(named) == 1 else 'decks'} left empty by the duplicates removed: {', '.join(named)} "
            f"(made by the other computer's sync; delete {'it' if len(named) == 1 else 'them'} in Anki if you like, "
            "on one computer: AnkiWeb takes that to the other)"),
            code="emptied_decks", decks=named, count=len(named))


def deck_homes(ctx: Applying, held: Set[str]) -> DeckHomes:
    """Where this sync put the cards of each document it read (and of each
    unchanged one the state knows no deck of yet, by name): the deck's id
    and Polar's name for it, for ``follow_renamed_decks``. A deck that does
    not exist (nothing was put there; a name Anki refused) is no home."""
    changes = DeckHomes()
    docs = ctx.reading.docs
    ids: Optional[Dict[str, DeckId]] = None  # lower-case name -> id, of the decks now
    for d in [*ctx.parsed, *(docs[k] for k in ctx.homes_todo)]:
        if d.key in held:
            continue
        did = ctx.deck_ids.get(d.place.lower()) if d.place else None
        if did is None:
            if ids is None:
                ids = deck_ids_by_name(normal_decks(ctx.col))
            did = ids.get((d.place or d.deck).lower())  # a place made by name: under a renamed parent
        if did is not None:
            changes.made[d.key] = DeckHome(did, d.deck)
        elif d.key in ctx.known_docs:
            changes.cleared.append(d.key)
    return changes


def name_decks_holding_back_new_cards(ctx: Applying) -> None:
    """The decks this sync put new notes in that show no new card to study
    (Anki's own count, as its deck list shows it): a preset or a deck's own
    limit of 0 new cards a day (a long-time user's Default, a parent's limit
    Anki applies to the decks under it), or of 0 reviews a day (which the
    v3 scheduler counts new cards against), today's limit used up, or new
    cards held back by reviews due. The notes are there but never come up,
    and a person who just synced 300 cards and sees none takes the sync for
    failed: a warning per deck names it, and the deck whose options say 0
    when one does. Never written: the options are the user's. Only after a
    sync that made notes. On a collection Anki studies with no scheduler
    of its own (v1, or v2 with v3 off) one warning instead: no card comes
    up there until the scheduler update, whatever the limits (raising one
    would not help), while its deck list shows counts.
    Anki's deck tree once (its counts, as the deck list computes them).
    Past the state's commit: a word to add, never a reason to fail a sync
    that is written and remembered. A preview (which makes nothing) says it
    where a limit of 0 will hold them: the deck's (one that exists and shows
    none), or the "Default" preset a deck the sync would make gets."""
    made: Dict[str, int] = defaultdict(int)
    made_ids: Dict[str, List[int]] = defaultdict(list)
    for create in planner_of(ctx).plan.creates:
        if (create.note_id or ctx.dry_run) and not create.failed:
            made[create.deck] += 1
            if create.note_id:
                made_ids[create.deck].append(int(create.note_id))
    col = ctx.col
    if not made:
        return
    source = ctx.reading.source.describe()
    if not col.v3_scheduler():
        # v1, or v2 with v3 off: 23.10 and 26.x study such a collection with
        # a stand-in scheduler (its study screen counts 0 in every deck, Study
        # Now says the update is required) while the deck list shows counts:
        # no new card comes up, whatever the limits, until the update.
        n = sum(made.values())
        ctx.report.warn(source, (
            f"{counted(n, 'new note does', 'new notes do')} not come up for study until Anki's scheduler update: "
            "this collection still uses "
            f"an old scheduler (v{col.sched_ver()}), and Anki shows none of its cards for study until it is updated "
            "(Anki's deck list offers it)"), code="new_cards_wait_update", count=n)
        return
    notes: Dict[int, int] = defaultdict(int)
    to_make: Dict[str, int] = {}  # (a preview) decks the sync would make
    for name, n in made.items():
        found = existing_deck_id(col, name)
        if found is not None:
            notes[int(found)] += n
        else:
            to_make[name] = n
    # A limit of 0 first, from the options alone (a few reads a deck); the
    # cases that only Anki's counts tell (today's limit used up, the review
    # limit) when the sync made a batch (see TODAY_CHECK_FROM).
    holding: List[Tuple[int, int, Optional[Limiting]]] = []
    unexplained: List[Tuple[int, int]] = []
    for did, n in sorted(notes.items()):
        limiting = deck_allowing_no_new_cards(col, did)
        if limiting is not None:
            holding.append((did, n, limiting))
        elif not ctx.dry_run or _has_new_card(col, did):
            # (A preview: 0 shown of a deck without a new card is no new card yet; of one
            # with new cards, today's limits reached: the sync's notes come after those.)
            unexplained.append((did, n))
    if unexplained and sum(made.values()) >= TODAY_CHECK_FROM:
        try:
            shown = new_cards_shown(col)
        except Exception:  # noqa: BLE001 (Anki's counts refused, e.g. a deck tree Check Database would mend)
            shown = {}
        holding += [(did, n, None) for did, n in unexplained if shown.get(did) == 0]
    held: List[Tuple[str, int, Optional[Limiting]]] = [
        (col.decks.name(cast("DeckId", did)), n, limiting) for did, n, limiting in sorted(holding)]
    if ctx.dry_run and to_make:
        default = col.decks.get_config(cast("DeckConfigId", 1)) or {}
        kind = _preset_holds(col, default)  # a deck made now gets the "Default" preset
        if kind:
            held += [(name, n, Limiting(name, str(default.get("name") or ""), kind))
                     for name, n in sorted(to_make.items())]
    # Many decks held by one preset's 0 (a long-time user's "Default", every
    # document a deck of its own): one row for the preset, not a wall of them.
    by_preset: Dict[Tuple[str, str], List[Tuple[str, int]]] = defaultdict(list)
    for name, n, limiting in held:
        if limiting is not None and limiting.preset:
            by_preset[limiting.preset, limiting.kind].append((name, n))
    grouped = {key for key, decks in by_preset.items() if len(decks) > GROUPED_DECKS}
    for preset, kind in sorted(grouped):
        decks = by_preset[preset, kind]
        n = sum(k for _, k in decks)
        ctx.report.warn(source, (
            f"{counted(n, 'new note', 'new notes')} in {counted(len(decks), 'deck', 'decks')} never "
            f"{'comes' if n == 1 else 'come'} up for study while their options preset {preset!r} allows 0 "
            f"{_KIND_WORDS[kind]} a day (raise that limit to study {'it' if n == 1 else 'them'})"),
            code="new_cards_held", count=n, decks=[name for name, _ in decks], preset=preset,
            **_kind_detail(kind))
    if sum(made.values()) >= TODAY_CHECK_FROM:
        # (After a batch, as today's counts: the cards ahead are one query
        # with a look at each one's note, ~11 ms for a deck of 9,000 new
        # cards, a fifth of a watcher's sync of one edited document.) A
        # preview too: its notes would come after every new card there now.
        held_ids = {did for did, _, _ in holding}
        ids: Dict[int, List[int]] = defaultdict(list)
        counts: Dict[int, int] = defaultdict(int)
        for name, n in made.items():
            found = existing_deck_id(col, name)
            if found is not None and int(found) not in held_ids:
                ids[int(found)] += made_ids.get(name, [])
                counts[int(found)] += n
        new_decks = {} if not ctx.dry_run or _preset_holds(col, col.decks.get_config(
            cast("DeckConfigId", 1)) or {}) else to_make
        name_decks_queueing_new_cards(ctx, ids, counts, new_decks)
    for name, n, limiting in held:
        if limiting is not None and (limiting.preset, limiting.kind) in grouped:
            continue
        if limiting is None:
            message = (f"{counted(n, 'new note', 'new notes')} in {name!r} {'does' if n == 1 else 'do'} not come "
                       "up for study today: the deck's daily limits are reached "
                       f"({'it comes' if n == 1 else 'they come'} up on a later day, or when the limits in the "
                       "deck's options are raised)")
            ctx.report.warn(source, message, code="new_cards_held", count=n, deck=name, limited_by=None)
            continue
        message = (f"{counted(n, 'new note', 'new notes')} in {name!r} never {'comes' if n == 1 else 'come'} up "
                   f"for study while the options of {limiting.deck!r} allow 0 {_KIND_WORDS[limiting.kind]} a day "
                   f"(raise that limit to study {'it' if n == 1 else 'them'})")
        ctx.report.warn(source, message, code="new_cards_held", count=n, deck=name, limited_by=limiting.deck,
                        **_kind_detail(limiting.kind))


def name_decks_queueing_new_cards(ctx: Applying, made: Dict[int, List[int]],
                                  counts: Optional[Dict[int, int]] = None,
                                  new_decks: Optional[Dict[str, int]] = None) -> None:
    """Decks where this sync's new notes wait behind many older new cards
    (a long-time user's Default with a shared deck's thousands not yet
    studied): the deck shows new cards, but not ours, for weeks. A row of
    the report (no notice: nothing is wrong, and Anki's order is the
    user's): how many come first and, at the deck's limit of new cards a
    day, in about how many days ours begin to come up, when that is a week
    or more. Only where the order is plain: the v3 scheduler gathering new
    cards by position (deck options' "Deck" or "Ascending position", the
    default being "Deck"). Said when the user's own cards ahead (not Polar's
    older ones, which come in the reading order the user chose) are a
    week's or more; the days count every card ahead.
    A deck under another is counted twice: studied on its own, and studied
    from its top deck (``_wait_from_top``: Anki's study screen of the top
    deck gathers its decks in turn, each within its own limit, the top's
    limit over all), said when that is longer; only the top deck's wait
    when the deck's own is not a week's.
    Once a day a deck (``QUEUE_TOLD_KEY`` in the state): a big import that
    Polar writes in several saves, each synced by the watcher, is told at
    its first sync, not at each. A preview says it (nothing remembered):
    its notes would come after every new card there now.
    ``made``: deck id -> the ids of the notes made there (none in a
    preview), ``counts``: how many (the preview's), of decks no limit of 0
    holds; ``new_decks``: a preview's decks the sync would make (name ->
    notes), whose wait is their top deck's alone. Two reads a deck (~11 ms at 9,000 new cards ahead), more for a
    deck under another (its top deck's new cards, a count a deck), so only
    after a batch (``TODAY_CHECK_FROM``): a first sync, a new book; not a
    watcher's card or two more."""
    col = ctx.col
    db = col.db
    counts = counts or {did: len(nids) for did, nids in made.items()}
    if (not counts and not new_decks) or db is None:
        return
    if not ctx.dry_run and _polar_notes_alone(ctx):
        return  # (no card of the user's own to wait behind: nothing to say)
    today = int(col.sched.today)
    state = ctx.reading.state
    try:
        told = {int(k): int(v) for k, v in json.loads(state.meta(QUEUE_TOLD_KEY) or "{}").items()}
    except (ValueError, TypeError, AttributeError):
        told = {}
    said: List[int] = []
    for did, n in sorted(counts.items()):
        if not ctx.dry_run and told.get(did) == today:
            continue  # (told today: the rest of a big import)
        deck = col.decks.get(cast("DeckId", did), default=False)
        if not deck or deck.get("dyn"):
            continue
        nids = made.get(did) or []
        if nids:
            # The first note made there has the first position (Anki gives each
            # new note the next one, and note ids grow as notes are added).
            first = db.scalar("SELECT min(due) FROM cards WHERE nid = ? AND queue = 0", min(nids))
            if first is None:
                continue
        elif ctx.dry_run:
            first = 1 << 31  # (a preview's notes: after every new card there now)
        else:
            continue
        name = col.decks.name(cast("DeckId", did))
        own = _wait_in_deck(col, deck, int(first))
        top = _wait_from_top(col, name, int(first)) if "::" in name else None
        if top is not None and (top.theirs // top.limit < QUEUE_TOLD_FROM_DAYS
                                or (own is not None and top.days <= own.days)):
            top = None  # (not a week's of the user's, or no longer than the deck's own)
        if own is not None and own.theirs // own.limit < QUEUE_TOLD_FROM_DAYS:
            own = None  # (behind Polar's own older cards: the reading order the user chose)
        if own is None and top is None:
            continue
        detail: Dict[str, Any] = {}
        if own is not None:
            detail.update(ahead=own.ahead, limit=own.limit, days=own.days)
        if top is not None:
            detail.update(top=top.deck, top_ahead=top.ahead, top_limit=top.limit, top_days=top.days)
        message = (f"{counted(n, 'new note', 'new notes')} in {name!r} {'comes' if n == 1 else 'come'} after "
                   f"{counted(own.ahead, 'older new card', 'older new cards')} of that deck: at its "
                   f"{counted(own.limit, 'new card', 'new cards')} a day, {'it begins' if n == 1 else 'they begin'} "
                   f"to come up in about {counted(own.days, 'day', 'days')}"
                   if own is not None else f"{counted(n, 'new note', 'new notes')} in {name!r}")
        if top is not None:
            message += (f"; studied from {top.deck!r}, after {top.ahead:,} new cards of its decks, at its "
                        f"{top.limit:,} a day: in about {top.days:,} days")
        ctx.report.warn(ctx.reading.source.describe(), message, code="new_cards_queued", count=n, deck=name,
                        **detail)
        said.append(did)
    for name, n in sorted((new_decks or {}).items()):
        top = _wait_from_top(col, name, 1 << 31) if "::" in name else None
        if top is None or top.theirs // top.limit < QUEUE_TOLD_FROM_DAYS:
            continue
        ctx.report.warn(ctx.reading.source.describe(), (
            f"{counted(n, 'new note', 'new notes')} in {name!r}; studied from {top.deck!r}, after "
            f"{counted(top.ahead, 'new card', 'new cards')} of its decks, "
            f"at its {top.limit:,} a day: in about {top.days:,} days"), code="new_cards_queued", count=n,
            deck=name, top=top.deck, top_ahead=top.ahead, top_limit=top.limit, top_days=top.days)
    if said and not ctx.dry_run:
        told = {d: t for d, t in told.items() if t == today}
        told.update((did, today) for did in said)
        state.note(QUEUE_TOLD_KEY, json.dumps({str(d): t for d, t in sorted(told.items())}))


def _polar_notes_alone(ctx: Applying) -> bool:
    """Whether every note in the collection is a Polar note (a profile kept
    for Polar's cards; the bench's): none as the sync began but Polar's (the
    Polar notes counted then, not taken from the state's rows), and none
    came but the sync's own (``notes_as_booked``). Then no new card is the
    user's own (``Wait.theirs`` is 0 in every deck), without the two reads a
    deck that count them (~45 ms after a 50,000-note first sync)."""
    began = ctx.fingerprint.partition(":")[0]
    return (not ctx.trusted and began.isdigit() and int(began) == ctx.polar_notes
            and notes_as_booked(ctx))


class Wait(NamedTuple):
    """Our first new card's wait: the new cards gathered before it (``ahead``),
    the user's own among them (``theirs``: not Polar's), the limit a day of
    the deck studied, and the days until it comes up."""

    deck: str
    ahead: int
    theirs: int
    limit: int
    days: int


def _new_limit(col: Collection, deck: Dict[str, Any]) -> Optional[int]:
    """A deck's new cards a day (v3's own for the deck, else its preset's),
    None when its preset does not gather new cards by position."""
    preset = col.decks.config_dict_for_deck_id(deck["id"])
    if preset.get("newGatherPriority", 0) not in POSITION_ORDERS:
        return None
    limit = deck.get("newLimit") if deck.get("newLimit") is not None else preset.get("new", {}).get("perDay")
    return limit if isinstance(limit, int) else None


def _counted_ahead(col: Collection, dids: List[int], first: int) -> Dict[int, Tuple[int, int]]:
    """deck id -> (new cards before position ``first``, the user's own of them)."""
    db = col.db
    assert db is not None
    marks = ",".join("?" * len(dids))
    rows = db.all(
        "SELECT c.did, count(), coalesce(sum(substr(n.guid, 1, ?) != ?), 0) FROM cards c JOIN notes n ON n.id = c.nid "
        f"WHERE c.did IN ({marks}) AND c.queue = 0 AND c.due < ? GROUP BY c.did",
        len(GUID_PREFIX), GUID_PREFIX, *dids, first)
    return {int(did): (int(ahead), int(theirs)) for did, ahead, theirs in rows}


def _wait_in_deck(col: Collection, deck: Dict[str, Any], first: int) -> Optional[Wait]:
    """The wait as the deck is studied on its own: every new card of it before ours, at its limit."""
    limit = _new_limit(col, deck)
    if limit is None or limit <= 0:
        return None
    ahead, theirs = _counted_ahead(col, [int(deck["id"])], first).get(int(deck["id"]), (0, 0))
    return Wait(str(deck["name"]), ahead, theirs, limit, ahead // limit)


# Days looked ahead for a wait studied from the top deck (beyond: said as this many).
WAIT_DAYS_MOST = 3650


def _wait_from_top(col: Collection, name: str, first: int) -> Optional[Wait]:
    """The wait as the deck's top deck is studied (its study screen: Anki's
    v3 scheduler, with the top deck's gather order "Deck", takes each day
    the new cards of its decks in the deck list's order, the top deck's own
    first, each deck's by position, each within its own limit and those of
    the decks above it up to the top's). Day by day, the decks before ours
    and ours up to our first card (checked against Anki's own queue of the
    top deck in tests/sync/test_old_collections.py). "Ascending position"
    at the top: every new card of its decks before ours by position, at the
    top's limit. None for a random order, or a limit of 0 somewhere above."""
    parts = name.split("::")
    top = col.decks.by_name(parts[0])
    if not top or top.get("dyn"):
        return None
    preset = col.decks.config_dict_for_deck_id(top["id"])
    order = preset.get("newGatherPriority", 0)
    top_limit = _new_limit(col, top)
    if order not in POSITION_ORDERS or not top_limit or top_limit <= 0:
        return None
    head = parts[0].lower()
    below = {did: n for did, n in normal_decks(col).items()
             if n.lower() == head or n.lower().startswith(head + "::")}
    ours = next((int(did) for did, n in below.items() if n.lower() == name.lower()), None)
    if ours is None:  # (a preview's deck the sync would make: empty, with the "Default" preset)
        ours = 0
        below[cast("DeckId", 0)] = name

    def key(n: str) -> List[str]:
        return [p.lower() for p in n.split("::")]

    in_order = sorted(below.items(), key=lambda item: key(item[1]))
    ahead_of = {int(did): n for did, n in in_order[:[int(d) for d, _ in in_order].index(ours)]}
    if order == 1:  # (ascending position: by position across the top deck's decks)
        counted = _counted_ahead(col, [*ahead_of, ours], first)
        ahead = sum(a for a, _ in counted.values())
        theirs = sum(t for _, t in counted.values())
        return Wait(parts[0], ahead, theirs, top_limit, ahead // top_limit)
    counted = _counted_ahead(col, list(ahead_of), 1 << 31) if ahead_of else {}
    counted[ours] = _counted_ahead(col, [ours], first).get(ours, (0, 0))
    made_now = (col.decks.get_config(cast("DeckConfigId", 1)) or {}).get("new", {}).get("perDay")
    made_now = made_now if isinstance(made_now, int) else 0  # (a deck made now gets the "Default" preset)
    # (Each deck's limit from one read of the decks and one of the presets:
    # a deck at a time was ~0.1 ms, 30 ms for a top deck of 300.)
    presets = {int(c["id"]): c for c in col.decks.all_config()}
    decks = {int(d["id"]): d for d in col.decks.all() if not d.get("dyn")}
    limits: Dict[str, int] = {}
    for did, n in in_order:
        deck = decks.get(int(did))
        if deck is None:
            limits[n.lower()] = max(0, made_now)
            continue
        limit = deck.get("newLimit")
        if limit is None:
            limit = presets.get(int(deck.get("conf") or 1), {}).get("new", {}).get("perDay")
        limits[n.lower()] = max(0, limit if isinstance(limit, int) else 0)
    chains = {did: ["::".join(parts_) for parts_ in (n.split("::")[:i] for i in range(1, n.count("::") + 2))]
              for did, n in [*ahead_of.items(), (ours, name)]}
    for a in chains[ours]:  # (decks above ours the sync would make)
        limits.setdefault(a.lower(), made_now)
    if any(limits.get(a.lower(), 0) <= 0 for a in chains[ours]):
        return None  # (a limit of 0 above: held, not queued)
    left = {did: counted.get(did, (0, 0))[0] for did in chains}
    ahead = sum(a for a, _ in counted.values())
    theirs = sum(t for _, t in counted.values())
    # Only the decks before ours that have new cards and may give some (a
    # deck list of hundreds: a few a day are looked at, not all of them).
    keys = {one: [a.lower() for a in chains[one]] for one in chains}
    giving = [one for one in ahead_of if left[one] > 0 and min(limits.get(a, 0) for a in keys[one]) > 0]
    top_key = parts[0].lower()
    for day in range(WAIT_DAYS_MOST):
        room = dict(limits)
        for one in giving:
            if room[top_key] <= 0:
                break
            take = min(left[one], *(room.get(a, 0) for a in keys[one]))
            left[one] -= take
            for a in keys[one]:
                room[a] -= take
        if min(room.get(a, 0) for a in keys[ours]) > left[ours]:
            return Wait(parts[0], ahead, theirs, top_limit, day)
        left[ours] -= min(left[ours], *(room.get(a, 0) for a in keys[ours]))
        giving = [one for one in giving if left[one] > 0]
    return Wait(parts[0], ahead, theirs, top_limit, WAIT_DAYS_MOST)


# The v3 scheduler's new-card gather orders that take a deck's new cards by
# position (DeckConfig.Config.NewCardGatherPriority: DECK, LOWEST_POSITION).
POSITION_ORDERS = (0, 1)
# A wait for our new cards shorter than this many days is not said: a
# week's backlog is an ordinary day's study.
QUEUE_TOLD_FROM_DAYS = 7
# The state's record of the decks whose wait was told, and on which day of Anki's.
QUEUE_TOLD_KEY = "queue_told"


class Limiting(NamedTuple):
    """Why new cards of a deck never come up: the deck whose limit is 0
    (the deck itself or one above it), its options preset's name when the
    0 is the preset's ("" for the v3 scheduler's limit of that deck alone),
    and which limit: "new" (new cards a day) or "reviews" (reviews a day,
    which the v3 scheduler counts new cards against)."""

    deck: str
    preset: str
    kind: str


_KIND_WORDS = {"new": "new cards", "reviews": "reviews"}


def _kind_detail(kind: str) -> Dict[str, str]:
    """The report row's ``limit`` ("reviews"; none for the new-card limit,
    as rows of earlier versions have it)."""
    return {"limit": kind} if kind != "new" else {}


def _review_limit_holds_new_cards(col: Collection) -> bool:
    """Whether the v3 scheduler counts new cards against the review limit
    (deck options' "New cards ignore review limit" off)."""
    return col.v3_scheduler() and not col.get_config("newCardsIgnoreReviewLimit", False)


def _preset_holds(col: Collection, preset: Dict[str, Any]) -> str:
    """ "new" or "reviews" when an options preset lets no new card come up
    (its new cards a day at 0; its reviews a day at 0 where they count), else ""."""
    if preset.get("new", {}).get("perDay") == 0:
        return "new"
    if preset.get("rev", {}).get("perDay") == 0 and _review_limit_holds_new_cards(col):
        return "reviews"
    return ""


# More decks than this held back by one preset are one row of the report.
GROUPED_DECKS = 3
# Anki's counts (its whole deck tree) cost ~12 ms at 50,000 cards: a quarter
# of a watcher's sync of one edited document. They tell the cases a day
# ends (today's limit used up, the review limit reached), which matter to a
# person who synced a batch and sees none of it; a card or two more, minutes
# after the person studied, the deck list says as well. So is the wait
# behind the user's older new cards (name_decks_queueing_new_cards). (A limit of 0, which
# never ends, is told after every sync: the options alone tell it.)
TODAY_CHECK_FROM = 20


def _has_new_card(col: Collection, did: int) -> bool:
    """The deck holds a new card to study (not suspended, not buried)."""
    db = col.db
    assert db is not None
    return db.scalar("SELECT EXISTS (SELECT 1 FROM cards WHERE did = ? AND queue = 0)", did) == 1


def new_cards_shown(col: Collection) -> Dict[int, int]:
    """Each deck's count of new cards to study today, as Anki's deck list
    shows it (every limit applied as Anki applies it)."""
    shown: Dict[int, int] = {}
    todo = list(col.sched.deck_due_tree().children)
    while todo:
        node = todo.pop()
        shown[int(node.deck_id)] = int(node.new_count)
        todo.extend(node.children)
    return shown


def parent_limits_apply(col: Collection) -> bool:
    """Whether Anki applies the limits of the decks above a deck as it is
    studied on its own: deck options' "Apply limits from parent decks", an
    option of the Ankis that know it (its key in DeckConfigsForUpdate; 23.10
    has none, and a key set by a later Anki on the same collection does
    nothing there)."""
    from anki import deck_config_pb2

    known = "apply_all_parent_limits" in deck_config_pb2.DeckConfigsForUpdate.DESCRIPTOR.fields_by_name
    return known and bool(col.get_config("applyAllParentLimits", False))


def deck_allowing_no_new_cards(col: Collection, did: int) -> Optional[Limiting]:
    """The deck (this one, else the nearest above it) whose limit lets no
    new card come up, for good: its new cards a day at 0, or its reviews a
    day at 0 where the v3 scheduler counts new cards against them ("New
    cards ignore review limit" off). Each limit is the v3 scheduler's for
    that deck alone (deck options' "This deck": no preset named) when set,
    else the preset's; a 0 for "Today only" is today's, not this. None when
    none is (today's limit is used up, or reviews due fill the review
    limit). The decks above count only where Anki applies their limits to
    a deck under them as it is studied on its own (26.x's "Apply limits
    from parent decks"); otherwise their 0 is not why."""
    v3 = col.v3_scheduler()
    today = col.sched.today
    reviews_count = _review_limit_holds_new_cards(col)
    name = col.decks.name(cast("DeckId", did))
    parts = name.split("::")
    lowest = 1 if v3 and parent_limits_apply(col) else len(parts)
    for depth in range(len(parts), lowest - 1, -1):
        deck = col.decks.by_name("::".join(parts[:depth])) if depth < len(parts) else col.decks.get(
            cast("DeckId", did), default=False)
        if not deck or deck.get("dyn"):
            continue
        preset: Optional[Dict[str, Any]] = None
        for kind, own, today_key, preset_key in (("new", "newLimit", "newLimitToday", "new"),
                                                 ("reviews", "reviewLimit", "reviewLimitToday", "rev")):
            if kind == "reviews" and not reviews_count:
                break
            if v3:
                today_only = deck.get(today_key)
                if isinstance(today_only, dict) and today_only.get("today") == today:
                    if today_only.get("limit") == 0 and depth == len(parts):
                        return None  # for today only: the words say "today"
                    if today_only.get("limit") == 0:
                        return Limiting(str(deck["name"]), "", kind)
                    continue
                if deck.get(own) is not None:
                    if deck.get(own) == 0:
                        return Limiting(str(deck["name"]), "", kind)
                    continue
            if preset is None:
                preset = col.decks.config_dict_for_deck_id(deck["id"])
            if preset.get(preset_key, {}).get("perDay") == 0:
                return Limiting(str(deck["name"]), str(preset.get("name") or ""), kind)
    return None
