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

import copy
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, cast

from ..render.card import RenderedCard
from ..render.context import EMPTY_CONTEXT, KEPT_IMAGE, stamped
from ..render.context import STAMP_AT as _STAMP_AT
from ..render.context import STAMP_HEAD as _STAMP_HEAD
from ..settings import Settings
from .collection_view import NoteInfo, existing_deck_id, holds_polar_note, polar_notes_by_type
from .field_merge import bytes_hash, field_hash, remember_hash
from .identity import GUID_PREFIX, guid_for, is_polar_guid
from .journal import MARKER_KEY
from .media_store import BULK_THRESHOLD, MediaWriter
from .new_note_order import ReadingOrder
from .notetypes import (
    KINDS,
    REVERSED,
    ROLE_ANSWER,
    ROLE_ANSWER_AND_BLOCK,
    ROLE_ANSWER_NO_BLOCK,
    ROLE_FRONT,
    NoteTypeRef,
    block_for,
    choose,
    create_own,
    describe_missing,
    field_roles,
    find_own,
    find_stock,
    layout_tag,
    own_name,
    refresh_look,
    reshaped_own,
    unfollowed_types,
    wanted_fields,
)
from .page_label import remember as remember_page_label
from .plan import (
    ORPHAN_TAG,
    SET_ASIDE_KEY,
    WRITTEN_KEY,
    WRITTEN_MAX,
    Create,
    Orphan,
    Plan,
    Renderer,
    Update,
    Written,
    merge_tags,
)
from .read import CardMeta, Pending
from .reading_order import order_new_cards
from .report import Report
from .sql import in_chunks
from .state import CardState, NoteIdChanges, StagedCards, SuspendRecords

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.collection import Collection, OpChanges
    from anki.decks import DeckId
    from anki.models import NotetypeId
    from anki.notes import Note, NoteId

UNDO_NAME = "Sync from Polar"
# What a create's rendered card is once its note is built (add_notes): nothing
# reads it after that, and the cards of a large first sync are its peak memory.
SPENT = RenderedCard("", "", "", "", EMPTY_CONTEXT, (), (), (), None)
ADD_BATCHES_MAX = 1  # undo ops the new notes take at a time (each add_notes call is merged into ours at once)
# Notes per add_notes call of a large sync. Each call holds its batch's
# request and the notes Rust makes from it on top of everything written so
# far (the one undo step holds every added note), and the memory is not all
# handed back. Peak RSS of a 50,000-note first sync (tools/bench.py's RSS
# child), measured with the import this replaced: 3,000 → 391 MB, 4,000 →
# 377-380, 5,000 → 386-390, 6,000 → 391; 5,000 makes 10 calls of 17.
ADD_BATCH = 5000
FIRST_BATCH = 1000  # ... but the first call's (see add_notes)
LAST_BATCH = 1000  # ... and the last one's
# From this many new notes on, a helper thread builds each batch while Rust
# adds the one before (see add_notes); fewer are built in one go.
BATCHED_MIN = 1000
# Anki's undo queue holds 30 steps; stay well inside it.
UNDO_STEPS_SAFE = 24
# Updates counted in the progress this often ("Updating notes… 2,000/8,000")
UPDATE_SAY_EVERY = 2000
# A sync the person may stop (``Writing.stop``) that updates more notes than
# this saves them in calls of this many: a stop point between two. (Else one
# call, in ``save_notes``.) Escape waits for the batch being built and saved:
# 0.25-0.5 s at 5,000 on the bench library, 0.07-0.3 s at 2,000; what each
# call repeats (Rust's transaction, the undo merge, ~1 ms) is below the noise
# of both the wall time and the instruction count of a 50,000-note update
# (docs/dev-notes/perf.md, "every note updated"). A multiple of
# UPDATE_SAY_EVERY: each count the window shows is where a stop can fall.
UPDATE_BATCH = 2000
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
    stage: Optional[StagedCards] = None  # state rows made ready by the builder, moved in while Anki adds notes
    undo_name: str = UNDO_NAME
    undo_start: int = 0
    types: Dict[str, NoteTypeRef] = field(default_factory=dict)  # by card kind
    renamed: Dict[str, str] = field(default_factory=dict)  # media name -> the name Anki stored
    media: Optional[MediaWriter] = None
    decks: Dict[str, DeckId] = field(default_factory=dict)  # by lower-case name
    # new notes, in the order added, with their rank in reading order
    created: List[Tuple[NoteId, int]] = field(default_factory=list)
    to_save: List[Note] = field(default_factory=list)  # for one update_notes
    moves: Dict[DeckId, List[CardId]] = field(default_factory=lambda: defaultdict(list))
    unsuspend: List[CardId] = field(default_factory=list)
    suspend: List[CardId] = field(default_factory=list)
    remove: List[NoteId] = field(default_factory=list)
    render: Optional[Renderer] = None  # for the plan's pending creates (Reading.render)
    batched: bool = False  # the new notes are built beside Anki's writes (store_media decides, add_notes does)
    ids: NoteIdChanges = field(default_factory=NoteIdChanges)  # for the state's note-id hints
    # which cards the sync suspended on the notes it orphaned, for the state
    suspended: SuspendRecords = field(default_factory=SuspendRecords)
    # The undo marker (journal.py): its value before this sync, and this
    # sync's, which the undo step sets (None: no state file to follow undos)
    marker: Optional[Tuple[str, str]] = None
    # a new note's Polar tags -> its tags (merge_tags with no note yet); the
    # lists are shared between notes and only read
    new_tags: Dict[Tuple[str, ...], List[str]] = field(default_factory=dict)
    # (note type, Polar tags, deck) -> a new note's request bytes for its note
    # type and tags, for its deck, and its tags (_new_note)
    heads: Dict[Tuple[int, Tuple[str, ...], int], Tuple[bytes, bytes, List[str]]] = field(default_factory=dict)
    # The Add window's defaults as they were before the sync added notes
    # (key -> value, _ABSENT): put back at the end (see adding_defaults)
    adding_defaults: Dict[str, object] = field(default_factory=dict)
    # Whether the person wants the sync to stop (asked between two batches of new notes)
    stop: Optional[Callable[[], bool]] = None
    # The documents of the new notes not added because the person stopped the sync
    unfinished: Set[str] = field(default_factory=set)

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
                                                         "its cards went to the default deck", code="deck_refused",
                                      deck=name)
                    found = DEFAULT_DECK_ID
            self.decks[key] = found
        return self.decks[key]

    def fix_media(self, value: str) -> str:
        for old, new in list(self.renamed.items()):  # (a snapshot: the other thread may add one)
            value = value.replace(f'src="{old}"', f'src="{new}"')
        return value

    def tell(self, message: str) -> None:
        """A step's words once notes are saved: shown, never where the write
        stops (``say`` is also where a closing Anki stops a sync; from the
        saving of the updates on, the write goes to its end, as it did
        before these steps said anything)."""
        try:
            self.say(message)
        except Exception:  # (the stop a closing Anki asked for: after the write)
            pass


def write_plan(col: Collection, plan: Plan, settings: Settings, report: Report,
               say: Callable[[str], None], undo_name: str = UNDO_NAME,
               stage: Optional[StagedCards] = None, render: Optional[Renderer] = None,
               ids: Optional[NoteIdChanges] = None, suspended: Optional[SuspendRecords] = None,
               marker: Optional[Tuple[str, str]] = None, stop: Optional[Callable[[], bool]] = None,
               unfinished: Optional[Set[str]] = None) -> List[CardState]:
    """All collection writes, inside one undo step. Returns the state rows;
    those of a large write's new notes are also begun in ``stage`` on the way.
    ``render``: renders the plan's pending creates (see ``read.Pending``).
    ``ids``: filled with what the writes did to Polar notes (the state's
    note-id hints). ``suspended``: filled with the records of the cards the
    sync suspended on orphans, and of the notes restored or removed.
    ``marker``: the undo marker's value before and after (see journal.py).
    ``stop``: asked between two batches of new notes; when it says so, the
    notes not added yet are left for the next sync (their creates marked
    ``failed``, no state row), their documents put in ``unfinished``, a
    warning ``stopped_by_you`` says how many were added, and the rest of
    the write (updates, orphans, the undo step's end) goes on as planned.
    It is asked again between two batches of updated notes (``update_notes``;
    a warning ``stopped_updating_by_you``)."""
    w = Writing(col, plan, settings, report, say, rows=list(plan.carry), undo_name=undo_name, stage=stage,
                render=render, ids=ids if ids is not None else NoteIdChanges(),
                suspended=suspended if suspended is not None else SuspendRecords(), marker=marker,
                decks=dict(plan.deck_ids), stop=stop, unfinished=unfinished if unfinished is not None else set())
    if not plan.writes_anything:
        # Nothing to write: no undo step, no mtime bumps; only remember.
        w.rows += [_row(u.rc.card_id, u.doc, u.guid, u.meta, u.base, u.polar_tags) for u in plan.updates]
        w.rows += [_orphan_row(o) for o in plan.orphans if not o.duplicate and o.retype is None]
        return w.rows
    for step in WRITE_STEPS:
        step(w)
    return w.rows


_ABSENT = object()


def adding_defaults(col: Collection, existing_decks: Sequence[str]) -> Dict[str, object]:
    """What Anki's Add window opens with, as config keys: the note type last
    added (``curModel``), each note type's last deck and the last note type
    of each deck. Anki's ``add_notes`` sets them for every note it adds, as
    if the person had added it: after a sync, Add opened on Polar's Cloze
    type (or Polar's deck, with "change deck depending on note type") instead
    of the person's own. The keys of decks the sync makes are not kept: a
    Polar deck may open on Polar's types."""
    keys = ["curModel"] + [f"_nt_{int(n.id)}_lastDeck" for n in col.models.all_names_and_ids()]
    for name in existing_decks:
        did = existing_deck_id(col, name)
        if did is not None:
            keys.append(f"_deck_{int(did)}_lastNotetype")
    return {k: col.get_config(k, _ABSENT) for k in keys}


def put_back_adding_defaults(w: Writing) -> None:
    """(Inside the undo step.) Each put back is an undo op of its own:
    merged into ours every MERGE_EVERY, as the 30 Anki keeps would run out."""
    col, n = w.col, 0
    for key, was in w.adding_defaults.items():
        if col.get_config(key, _ABSENT) == was:
            continue
        if was is _ABSENT:
            col.remove_config(key)
        else:
            col.set_config(key, was, undoable=True)
        n += 1
        if n % MERGE_EVERY == 0:
            col.merge_undo_entries(w.undo_start)


# Collection config: the kinds whose new notes were told to follow the notes
# the person moved into a type of theirs (``moved_type``), kind -> that
# type's id. In the collection, set in the sync's undo step: AnkiWeb brings it
# to another computer (told there too, not again), an undone sync forgets it.
FOLLOWED_TOLD_KEY = "polarSyncFollowedTold"


def _stock_in_use(col: Collection, kind: str) -> bool:
    """The stock type of ``kind`` is there as stock and holds a Polar note."""
    stock = find_stock(col, kind)
    return stock is not None and holds_polar_note(col, int(stock["id"]))


def _tell_followed(col: Collection, report: Report, kind: str, ref: NoteTypeRef, preview: bool = False) -> None:
    """Once, the first sync whose new notes of ``kind`` follow the notes the
    person moved out of the stock type: which type they go to, and how to go
    back. Forgotten when they go back to stock, to be told again. A preview
    says it as the sync would, and remembers nothing."""
    stock = find_stock(col, kind)
    told = col.get_config(FOLLOWED_TOLD_KEY, None)
    told = dict(told) if isinstance(told, dict) else {}
    if stock is None or (ref.own or int(stock["id"]) == int(ref.id)):
        if kind in told and stock is not None and not preview:
            del told[kind]
            col.set_config(FOLLOWED_TOLD_KEY, told, undoable=True)
        return
    if told.get(kind) == int(ref.id):
        return
    report.warn(f"note type {ref.name}", (
        f"new notes of this kind go to the note type {ref.name!r}, where all the Polar notes of "
        f"{stock['name']!r} were moved, instead of {stock['name']!r}; change one of them back to "
        f"{stock['name']!r} and new notes go there again"), code="notes_followed", notetype=ref.name,
        stock=str(stock["name"]))
    if not preview:
        told[kind] = int(ref.id)
        col.set_config(FOLLOWED_TOLD_KEY, told, undoable=True)


def _tell_replaced(col: Collection, report: Report, kind: str, name: str,
                   held: Optional[Dict[int, int]]) -> None:
    """New notes of ``kind`` go to the own type ``name``, made for them: the
    types they could not go to, and the fields those lack."""
    for old in reshaped_own(col, kind):
        report.warn(f"note type {old.name}", f"{describe_missing(old, old.missing)}; new notes of "
                                             f"this kind go to the new note type {name!r} instead",
                    code="notetype_replaced", notetype=old.name, fields=", ".join(old.missing), new_notetype=name)
    # The stock type the earlier notes are in, reshaped past following ("Front" renamed),
    # unless this sync's report says it already (its notes' fields that were not written).
    told = {r.get("notetype") for r in report.warnings if r.get("code") == "fields_missing"}
    for user, gaps in unfollowed_types(col, kind, held) if held else ():
        if user.name in told:
            continue
        report.warn(f"note type {user.name}", f"{describe_missing(user, gaps)}; new notes of this kind "
                                              f"go to the new note type {name!r} instead",
                    code="notetype_replaced", notetype=user.name, fields=", ".join(gaps), new_notetype=name)


def _held(col: Collection, kinds: Sequence[str], prefer_stock: bool) -> Optional[Dict[int, int]]:
    """Where the Polar notes are, when a stock type is not found as stock: new
    notes may follow them into the user's renamed or reshaped type. Or the
    person moved every one of them into a type of theirs, the stock type
    untouched (``moved_type``): asked only when the stock type holds no
    Polar note (Anki's index of note types finds the first one)."""
    if prefer_stock and any(k not in REVERSED and not _stock_in_use(col, k) for k in kinds):
        return polar_notes_by_type(col)
    return None


def preview_note_types(col: Collection, plan: Plan, settings: Settings, report: Report) -> None:
    """A preview's rows of the note types its new notes would go to, as
    ``open_undo_step`` says them in the sync (nothing made, nothing remembered)."""
    kinds = sorted({c.kind for c in plan.creates})
    prefer_stock = settings.use_stock_note_types
    held = _held(col, kinds, prefer_stock)
    for kind in kinds:
        ref = choose(col, kind, prefer_stock, held)
        if ref is None:
            _tell_replaced(col, report, kind, own_name(col, kind), held)
        elif prefer_stock and kind not in REVERSED:
            _tell_followed(col, report, kind, ref, preview=True)


def open_undo_step(w: Writing) -> None:
    """Start the undo step; make the missing decks and note types.

    Anki keeps the last 30 undo steps, and merging ours needs its start
    still there. Each new deck and note type is a step of its own, so when
    a sync needs many (a first sync of a large library), they are made
    before the undo step: Undo then leaves them, empty, and removes the rest."""
    col, plan = w.col, w.plan
    if w.marker is not None and col.get_config(MARKER_KEY, None) != w.marker[0]:
        # The marker as this state file stands, outside the undo step: an
        # undo of the step brings back exactly this (a first sync's marker
        # would otherwise be undone into no marker at all).
        col.set_config(MARKER_KEY, w.marker[0])
    remember_page_label(col, w.settings.page_label)  # (a first sync's, once: see page_label.py)
    kinds = sorted({c.kind for c in plan.creates})
    wanted_decks = ({c.deck for c in plan.creates} | {u.move_to for u in plan.updates if u.move_to}
                    | {o.move_to for o in plan.orphans if o.move_to and o.move_cids})
    new_decks = [d for d in sorted(wanted_decks) if d.lower() not in w.decks and existing_deck_id(col, d) is None]
    if plan.creates:
        made = set(new_decks)
        w.adding_defaults = adding_defaults(col, sorted({c.deck for c in plan.creates} - made))
    prefer_stock = w.settings.use_stock_note_types
    held = _held(col, kinds, prefer_stock)
    new_types = [k for k in kinds if choose(col, k, prefer_stock, held) is None]
    move_targets = min(len({u.move_to for u in plan.updates if u.move_cids}
                           | {o.move_to for o in plan.orphans if o.move_cids}), MERGE_EVERY)  # see move_cards
    presets = presets_to_follow(plan, new_decks)
    # + own types' looks, col.add_notes of what the request could not carry, updates,
    # reading order, (un)suspend, remove
    steps = len(new_decks) + len(presets) + len(new_types) + len(KINDS) + ADD_BATCHES_MAX + move_targets + 6
    early = steps > UNDO_STEPS_SAFE
    if early:
        _make_structure(w, new_decks, new_types, presets)
    w.undo_start = col.add_custom_undo_entry(w.undo_name)
    if not early:
        _make_structure(w, new_decks, new_types, presets)
    for kind in kinds:
        ref = choose(col, kind, prefer_stock, held)
        assert ref is not None  # made above
        w.types[kind] = ref
        if prefer_stock and kind not in REVERSED and w.plan.creates:
            _tell_followed(col, w.report, kind, ref)
        if kind in new_types:
            _tell_replaced(col, w.report, kind, ref.name, held)


def presets_to_follow(plan: Plan, new_decks: Sequence[str]) -> Dict[str, Dict[int, int]]:
    """New deck name -> the decks whose options it takes (deck id -> how
    many of the moved cards come from it): a deck this sync makes for cards
    it moves (their document's deck changed in Polar: a re-tagged document,
    a title edited under ``deck_strategy: "document"``) takes the options of
    the decks they come from, so the cards keep what the user chose for them
    (daily limits, FSRS parameters and desired retention, leech action)
    instead of falling back to Default (``_follow_preset``).
    Only read when the sync makes a deck and moves cards into it."""
    if not new_decks:
        return {}
    making = {d.lower() for d in new_decks}
    sources: Dict[str, Dict[int, int]] = {}
    movers: List[Tuple[Optional[str], List[CardId], NoteInfo]]
    movers = [(u.move_to, u.move_cids, u.note) for u in plan.updates]
    movers += [(o.move_to, o.move_cids, o.note) for o in plan.orphans]  # notes set aside follow too
    for to, cids, note in movers:
        if cids and to and to.lower() in making:
            moving = set(cids)
            counts = sources.setdefault(to, {})
            for c in note.cards:
                if c.id in moving:
                    counts[int(c.home)] = counts.get(int(c.home), 0) + 1
    return {name: homes for name, homes in sources.items() if homes}


# A deck's own options beside its preset's (Deck Options' "This deck" and
# "Today only" tabs; the desired retention from Anki 25.07): as Anki keeps
# them in the deck (absent or None when unset).
_DECK_OWN_OPTIONS = ("reviewLimit", "newLimit", "reviewLimitToday", "newLimitToday", "desiredRetention")


def _follow_preset(w: Writing, name: str, sources: Dict[int, int]) -> None:
    """Give the deck ``name`` (made just now) the options preset of more
    than half the cards moved into it (``sources``: deck id -> cards from
    it; no such preset: Anki's Default stays, as for a new deck), and the
    deck's own options ("This deck", "Today only") of the one deck they all
    come from when it is one (see ``presets_to_follow``)."""
    from anki.decks import DeckId

    deck = w.col.decks.get(w.deck_id(name), default=False)
    olds = []
    by_conf: Dict[Any, int] = defaultdict(int)
    for source, cards in sources.items():
        old = w.col.decks.get(DeckId(source), default=False)
        if not old or old.get("dyn") or "conf" not in old:
            return
        olds.append(old)
        by_conf[old["conf"]] += cards
    if not deck or deck.get("dyn"):
        return
    changed = False
    conf, cards = max(by_conf.items(), key=lambda item: item[1])
    if 2 * cards > sum(by_conf.values()) and deck.get("conf") != conf:
        deck["conf"] = conf
        changed = True
    if len(olds) == 1:
        for key in _DECK_OWN_OPTIONS:
            value = olds[0].get(key)
            if value is not None and deck.get(key) != value:
                deck[key] = copy.deepcopy(value)
                changed = True
    if changed:
        w.col.decks.save(deck)


def _make_structure(w: Writing, decks: Sequence[str], kinds: Sequence[str],
                    presets: Optional[Dict[str, Dict[int, int]]] = None) -> None:
    for name in decks:
        w.deck_id(name)  # creates missing parents too
    for name, sources in (presets or {}).items():
        _follow_preset(w, name, sources)
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
    files are written while Anki adds the notes (see add_notes). The images
    of pending creates are stored as the note builder renders them, when the
    notes are built in batches; otherwise those cards are rendered here."""
    w.say("Writing media…")
    plan = w.plan
    w.batched = batched(len(plan.creates))
    # One pass over the creates (a first sync's are all pending: ~5 ms a pass at 50,000)
    pending: List[Create] = []
    needing: List[RenderedCard] = []
    for c in plan.creates:
        if c.rc.__class__ is Pending:
            pending.append(c)
        elif not c.failed:
            needing.append(c.rc)  # type: ignore[arg-type]  # (not Pending)
    late = bool(pending) and w.batched
    if pending and not late:
        assert w.render is not None, "pending creates need a renderer"
        for c in pending:
            c.rendered(w.render)
        needing = [c.card for c in plan.creates if not c.failed]  # (in the plan's order, as ever)
    needing += [u.rc for u in plan.updates if u.content_changed]
    needing += plan.missing_media
    n_media = len({m.name for rc in needing for m in rc.media})
    w.media = MediaWriter(w.col, bulk=late or n_media >= BULK_THRESHOLD)
    written: Set[str] = set()
    for rc in needing:
        for media in rc.media:
            if media.name not in written:
                written.add(media.name)
                _store(w, media.name, media.data)


def _store(w: Writing, name: str, data: bytes) -> None:
    """One image into the media folder (collection thread); a failure is
    reported and the note still syncs."""
    assert w.media is not None
    try:
        stored = w.media.write(name, data)
    except Exception as exc:  # disk full, permissions
        w.report.error(f"media/{name}", f"could not store the image: {exc}", code="image_not_stored")
        return
    if stored != name:
        w.renamed[name] = stored


def add_notes(w: Writing) -> None:
    """New notes through Anki's ``add_notes``, its protobuf request written
    by the builder (``_wire_note``): Rust makes and writes the notes with no
    ``Note`` per note in Python and without holding the GIL
    (``tools/gil_probe.py``), and answers with their ids. So while it writes
    one batch, a helper thread builds the next one's fields, state rows and
    request (plain Python, no collection access; at most two batches are
    held). A third thread moves the state rows staged so far into the state
    file after each call (``StagedCards.move_ahead``). Each call is an undo
    op, merged into ours right away: Anki keeps only the last 30.

    (Anki's foreign-data import, ``import_json_string``, took the notes
    before: its Rust side does more a note (the JSON, a guid lookup, a log
    repeating every field, ~20 % in all) and the ids had to be read back.)

    Fewer notes are built in one go; a note the request cannot carry (text
    with a lone surrogate) goes through ``col.add_notes``."""
    creates = [c for c in w.plan.creates if not c.failed]
    if creates:  # (a sync that only updates said "Adding 0 notes…")
        w.say(f"Adding {len(creates):,} notes…")
    first_new_row = len(w.rows)  # the new notes' rows come after it
    stopped = False
    # Anki's due positions come out in the order the notes are added: in
    # reading order, when that is wanted.
    order = ReadingOrder(creates, w.settings.reading_order)
    for deck in order.decks():  # each deck once, in order of first use
        w.deck_id(deck)  # made or looked up here: the builder only reads w.decks
    rest: List[Tuple[Create, NewNote]] = []
    whole: Optional[Batch] = None  # a small sync's notes, built in one go
    if not w.batched:
        creates = order.take(len(creates))
        whole = _batch([(c, _new_note(w, c, c.card)) for c in creates])
    else:
        # The first batch is small: Rust starts sooner, while the builder
        # makes (and renders) the next. The builder takes each batch from
        # the reading order itself: a document's cards are put in order
        # when the first of them is taken (~0.1 s at 50,000 cards, no
        # longer before the first call).
        sizes = batch_sizes(len(creates))
        media = w.media
        assert media is not None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="polar-sync-notes") as builder, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="polar-sync-state") as mover:
            coming = builder.submit(_build_next, w, order, sizes[0])
            written = []
            for k in range(len(sizes)):
                built = coming.result()
                if k + 1 < len(sizes):
                    coming = builder.submit(_build_next, w, order, sizes[k + 1])
                # The builder also writes the new media files: held back
                # while it makes the batches Rust waits for, then once it has
                # made the last one (write_held). One thread for both, so
                # neither waits for the GIL the other holds.
                written.append(builder.submit(media.write_held, k + 2 >= len(sizes)))
                if w.stage is not None:
                    # It makes the state rows built so far ready, and a third
                    # thread then moves what is ready into the state file (in
                    # the transaction its commit ends) while Rust writes: the
                    # commit is left with the last call's note ids. On this
                    # thread, each of the move's SQLite calls gave the GIL to
                    # the builder and waited up to 5 ms for it back, and Rust's
                    # next batch waited with it (~0.1-0.3 s a first sync).
                    ready = builder.submit(w.stage.add, w.rows)
                    written += [ready, mover.submit(_move_when, ready, w.stage)]
                later, sent, ids = _call(w, built)
                rest += later
                # The ids handed to their creates, and made ready for the
                # next move, by the mover: ~3 ms a batch of 5,000 that Rust's
                # next call waited for on this thread. (Its jobs run in order:
                # before the next batch's move, after this one's.)
                written.append(mover.submit(_note_ids, w, sent, ids))
                merge_undo(w)
                del built
                done = sum(sizes[:k + 1])
                if done < len(creates):
                    if w.stop is not None and w.stop():
                        # The person asked to stop: what is added stays (the
                        # batch built meanwhile is not sent), and is remembered.
                        stopped = True
                        break
                    w.say(f"Adding notes… {done:,}/{len(creates):,}")  # also where a closing Anki stops us
            for part in written:
                part.result()  # (an error other than a file's own, raised here)
            if stopped:
                coming.result()  # (the builder's next batch: done before its rows are looked at)
        creates = order.taken
    assert w.media is not None
    w.media.start()  # what no builder wrote (a small sync): on a thread, while add_notes runs
    if whole is not None:
        rest = _send(w, whole)
    if rest:
        merge_undo(w)
        _add(w, rest)
    if stopped:
        _leave_the_rest(w, first_new_row)
    # Note ids grow in the order the notes were added (the batches first,
    # then col.add_notes'), which is the order the reading-order step wants; the
    # creates are in reading order, so a note's rank there is its index (an
    # int, not the 9-part key: ~10 MB less at 50,000 notes).
    # (Note ids are unique: the pairs sort by them without a key function.
    # A list, not a generator, and no cast() a pair: this runs after Anki's
    # last add, ~10 ms less at 50,000 notes.)
    pairs = [(c.note_id, rank) for rank, c in enumerate(creates) if not c.failed]
    pairs.sort()
    w.created = cast("List[Tuple[NoteId, int]]", pairs)
    # Each note's type is its kind's (``_new_note``): a kind or two to look for.
    w.ids.made_types.update(int(nt.id) for kind, nt in w.types.items()
                            if any(c.kind == kind and c.note_id for c in creates))
    assert w.media is not None
    for name, why in w.media.finish():
        w.report.error(f"media/{name}", f"could not store the image: {why}", code="image_not_stored")


def _leave_the_rest(w: Writing, first_new_row: int) -> None:
    """The person stopped the sync between two batches of new notes: the
    notes not added are left for the next sync. Their creates are marked
    ``failed`` (no note, no change in the report, no place in the reading
    order), their state rows (built ahead) dropped, their documents
    ``unfinished`` (read again next time), and a warning says how far it got."""
    made = {guid for guid, _ in w.ids.made}
    w.rows[first_new_row:] = [r for r in w.rows[first_new_row:] if r.guid in made]
    planned = added = 0
    for c in w.plan.creates:
        if c.failed:
            continue
        planned += 1
        if c.note_id:
            added += 1
        else:
            c.failed = True
            w.unfinished.add(c.doc)
    w.report.warn("Polar Sync", f"stopped as you asked after adding {added:,} of {planned:,} new notes; the next "
                                "sync adds the rest", code="stopped_by_you", done=added, total=planned)


def _move_when(ready: Future[None], stage: StagedCards) -> None:
    """(the mover thread) What ``ready`` made ready, into the state file."""
    ready.result()
    stage.move_ahead()


def batch_sizes(total: int) -> List[int]:
    """How many notes each add_notes call takes: ``ADD_BATCH`` each, but the
    first ``FIRST_BATCH`` (Rust starts while the builder makes the next) and
    the last ``LAST_BATCH``: Rust adds a note faster than the builder makes
    one, so after the builder's last batch only Rust works; a small one ends
    the sync sooner."""
    first = min(FIRST_BATCH, ADD_BATCH, total)
    last = min(LAST_BATCH, ADD_BATCH, total - first)
    middle = total - first - last
    full, part = divmod(middle, ADD_BATCH)
    return [n for n in [first] + [ADD_BATCH] * full + [part, last] if n]


def _build_next(w: Writing, order: ReadingOrder, n: int) -> Batch:
    """The next ``n`` notes in reading order (taken on the builder thread)."""
    return _build(w, order.take(n))


def batched(new_notes: int) -> bool:
    """Whether ``add_notes`` builds this many new notes in batches, beside
    Anki's writes (and stages their state rows on the way)."""
    return new_notes >= BATCHED_MIN


class NewNote(NamedTuple):
    """What a new note holds: the same for either way into the collection."""

    fields: List[str]  # empty when ``entry`` carries them
    tags: List[str]
    guid: str
    notetype: NotetypeId
    deck: DeckId
    # The note's entry of the add_notes request, where _new_note wrote it
    # with the fields' hashes (each field encoded once); None: ``_batch``
    # writes it from ``fields`` (``_wire_note``), or col.add_notes takes them.
    entry: Optional[bytes] = None


def say_picture_online_only(report: Report, doc: str, rc: RenderedCard) -> None:
    """A new note whose area-highlight picture a file-syncing service keeps
    online only (``Report.images_online_only``; an export's have none, said
    nowhere): it has none for now, and gets it at the first sync after the
    picture is downloaded (``read.WAITING_KEY``). Said as the note is made,
    so once: later syncs find the note, and keep the picture it has (and by
    a preview of it: ``apply.count_changes``)."""
    found = report.images_online_only.get(doc, {}).get(rc.card_id)
    if found is None:
        return
    name, service, page = found
    report.warn(f"{doc}/state.json#{rc.card_id}", (
        f"image {name!r} of the area highlight on page {page} is kept online only by {service}: the new note has "
        "no picture yet, and gets it at the first sync after the image is downloaded"),
        code="highlight_image_online_only", document=doc, card=rc.card_id, page=page or None, front=rc.front,
        file=name, service=service)


def _new_note(w: Writing, c: Create, rc: RenderedCard) -> NewNote:
    """The note's content, and its state row (remembered in the same order).

    A first sync makes 50,000 of these on the builder's thread, the thread
    that paces its batches: the usual note (no renamed image, a request this
    Anki reads) is made in one pass, each field's role (``field_roles``, as
    ``wanted_fields`` reads them) turned into its text, hash and request
    bytes at once (~4 us a note less than a Want per field, then a second
    pass for the request). Anything else takes ``_new_note_general``."""
    nt = w.types[c.kind]
    deck = w.decks[c.deck.lower()]
    if rc.context[2] is KEPT_IMAGE:  # (its image: no source had one to give a new note)
        rc = rc._replace(context=rc.context._replace(image=""))
        say_picture_online_only(w.report, c.doc, rc)
    if w.renamed or nt.id < 1 or deck < 1 or not _wire_matches():
        return _new_note_general(w, c, nt, rc, deck)
    ctx = rc.context
    base: List[str] = []
    parts: List[bytes] = []  # the fields' bytes in the request (_entry)
    size = 0
    try:
        for i, role in enumerate(field_roles(nt)):
            if role == ROLE_FRONT:
                text, tail = rc.front, None
            elif role == ROLE_ANSWER_AND_BLOCK:
                text, tail = rc.back, block_for(nt, i, rc)
            elif role == ROLE_ANSWER:
                text, tail = rc.back, None
            elif role == ROLE_ANSWER_NO_BLOCK:
                text, tail = rc.back, ""
            elif role:  # an own type's context part
                text, tail = getattr(ctx, role), None
            else:  # not Polar's field: empty in a new note
                base.append("")
                parts += (_FIELD, b"\x00", b"")
                size += 2
                continue
            # The hashes are of the bytes the request carries (remember_hash's values).
            encoded = text.encode()
            hashed = bytes_hash(encoded)
            block = b""
            if tail is not None:
                block = tail.encode()
                digest = bytes_hash(block)
                hashed = f"{hashed}+{digest}"
            base.append(hashed)
            if block:  # the block with its hash (``stamped``), in pieces: the request's join copies them once
                stamp = (digest + '"').encode()
                rest = block[_STAMP_AT:]
                k = len(encoded) + len(_STAMP_HEAD) + len(stamp) + len(rest)
                length = bytes((k & 0x7F | 0x80, k >> 7)) if 0x80 <= k < 0x4000 else _varint(k)
                parts += (_FIELD, length, encoded, _STAMP_HEAD, stamp, rest)
            else:
                k = len(encoded)
                length = _ONE_BYTE[k] if k < 0x80 else bytes((k & 0x7F | 0x80, k >> 7)) if k < 0x4000 else _varint(k)
                parts += (_FIELD, length, encoded)
            size += 1 + len(length) + k
        guid = guid_for(rc.card_id)
        encoded_guid = guid.encode()
        tags = rc.tags
        # A first sync's notes share a few (note type, tags, deck): their bytes made once each.
        shared = w.heads.get((nt.id, tags, deck))
        if shared is None:
            merged = _new_tags(w, tags)
            shared = w.heads[(nt.id, tags, deck)] = (_head(nt.id, merged), _id_field(_DECK_ID, deck), merged)
    except UnicodeEncodeError:  # a lone surrogate: the request cannot carry it (_add)
        return _new_note_general(w, c, nt, rc, deck)
    base.append(layout_tag(nt))
    w.rows.append(_row(rc.card_id, c.doc, guid, c.meta, base, tags))
    head, deck_field, merged = shared
    return _make_note(([], merged, guid, nt.id, deck, _entry(encoded_guid, head, parts, size, deck_field)))


def _new_note_general(w: Writing, c: Create, nt: NoteTypeRef, rc: RenderedCard, deck: DeckId) -> NewNote:
    """``_new_note`` by ``wanted_fields``: images Anki renamed fixed in the
    fields, and for ``_wire_note`` or col.add_notes to send."""
    renamed = w.renamed
    fields = [""] * len(nt.field_names)
    base: List[str] = []
    for i, want in enumerate(wanted_fields(nt, rc)):
        if want is None:
            base.append("")
            continue
        text, tail = want.text, want.tail
        if renamed:
            text = w.fix_media(text)
            tail = None if tail is None else w.fix_media(tail)
        fields[i] = text + (stamped(tail, field_hash(tail)) if tail else "")
        base.append(remember_hash(text, tail))
    base.append(layout_tag(nt))
    guid = guid_for(rc.card_id)
    tags = rc.tags
    w.rows.append(_row(rc.card_id, c.doc, guid, c.meta, base, tags))
    return _make_note((fields, _new_tags(w, tags), guid, nt.id, deck, None))


def _new_tags(w: Writing, polar_tags: Tuple[str, ...]) -> List[str]:
    """A new note's tags (a first sync's cards share a few tag sets: merged once each)."""
    merged = w.new_tags.get(polar_tags)
    if merged is None:
        merged = w.new_tags[polar_tags] = merge_tags((), None, polar_tags)
    return merged


class Batch(NamedTuple):
    """One add_notes call's worth of new notes, built off the collection thread."""

    sent: List[Tuple[Create, str]]  # (create, its note's guid): in the request, in this order
    rest: List[Tuple[Create, NewNote]]  # for col.add_notes
    request: bytes  # the add_notes request: each sent note's entry (``_wire_note``), joined
    # Rendered here, but an image's name needs Anki (MediaWriter.claim): their
    # notes are built on the collection thread
    later: List[Create]


def _build(w: Writing, creates: Sequence[Create]) -> Batch:
    """The notes of ``creates``, ready for the request; plain Python, no
    collection. A pending create is rendered here (half a first sync's
    Python work before the write, done while Rust writes the batch before)
    and its images queued for the media folder. Each create's rendered card
    is then let go (``SPENT``; the report took what it shows): at 50,000
    cards ~20 MB of the first sync's peak memory."""
    pairs = []
    later: List[Create] = []
    media = w.media
    assert media is not None
    render = w.render
    for c in creates:
        card = c.rc
        if card.__class__ is Pending:
            assert render is not None, "pending creates need a renderer"
            # (Create.rendered, written in place: this runs per card.) Taken
            # from ReadingOrder, which sorted its document by the reading
            # key: the rendering need not make that key again.
            made = render(card, True)
            if made is None:
                c.failed = True
                continue
            c.rc = rc = made
            c.front = rc.front
            if rc.media and not _claim_media(w, media, rc):  # (most cards have no image)
                later.append(c)
                continue
        else:
            rc = card  # type: ignore[assignment]  # (not Pending: rendered already)
        pairs.append((c, _new_note(w, c, rc)))
        c.rc = SPENT
    return _batch(pairs, later)


def _claim_media(w: Writing, media: MediaWriter, rc: RenderedCard) -> bool:
    """The card's images queued for the media folder where no collection is
    needed to name them; False when one needs Anki (left to ``_send``)."""
    for m in rc.media:
        stored = media.claim(m.name, m.data)
        if stored is None:
            return False
        if stored != m.name:
            w.renamed[m.name] = stored
    return True


def _batch(pairs: Sequence[Tuple[Create, NewNote]], later: Sequence[Create] = ()) -> Batch:
    """The add_notes request of ``pairs``, each note's entry made and all
    joined by the builder. (The collection thread joined them once: ~5 ms a
    batch of 5,000, most of it the page faults of a fresh 5 MB, while Rust
    waited for the call; once the builder sets no longer the pace, Anki's
    writes do, and every millisecond between two calls is added to the
    sync.) A note the request cannot carry goes to ``rest``
    (``col.add_notes``)."""
    sent: List[Tuple[Create, str]] = []
    rest: List[Tuple[Create, NewNote]] = []
    notes: List[bytes] = []
    wire = _wire_matches()
    heads: Dict[Tuple[int, Tuple[str, ...]], bytes] = {}
    for c, n in pairs:
        # A sent note is its guid from here (its ids come back in order): the
        # text is in the request only (the batch being built held it twice
        # while Rust wrote the one before: +4-10 MB peak).
        entry = n.entry
        if entry is None and wire:
            entry = _wire_note(n, heads)
        if entry is None:
            rest.append((c, n))
            continue
        sent.append((c, n.guid))
        notes.append(entry)
    return Batch(sent, rest, b"".join(notes), list(later))


def _send(w: Writing, batch: Batch) -> List[Tuple[Create, NewNote]]:
    """One ``add_notes`` call of the batch's request, its notes' ids handed
    to their creates; returns what it did not take (for ``_add``). Fields,
    tags, cards, due positions and ``mod`` come out as ``col.add_notes``
    makes them (tests/sync/test_write_batches.py)."""
    rest, sent, ids = _call(w, batch)
    _note_ids(w, sent, ids)
    return rest


def _call(w: Writing, batch: Batch) -> Tuple[List[Tuple[Create, NewNote]], List[Tuple[Create, str]], List[int]]:
    """``_send`` but the ids: (what the call did not take, the sent notes,
    their ids in the request's order)."""
    rest = list(batch.rest)
    for c in batch.later:  # their images named by Anki first, then through col.add_notes
        for m in c.card.media:
            _store(w, m.name, m.data)
        rest.append((c, _new_note(w, c, c.card)))
        c.rc = SPENT
    sent = batch.sent
    if not sent:
        return rest, sent, []
    ids = _run_add_notes(w.col, batch.request)
    if len(ids) != len(sent):  # not expected: Anki adds each request's note or fails the call
        raise RuntimeError(f"Anki added {len(ids)} notes of {len(sent)}")
    return rest, sent, ids


def _note_ids(w: Writing, sent: Sequence[Tuple[Create, str]], ids: Sequence[int]) -> None:
    """The ids of an add_notes call's notes to their creates, and to the
    note-id hints (made ready for the state file's next move, if staged)."""
    made = w.ids.made
    for (c, guid), nid in zip(sent, ids):
        c.note_id = nid
        made.append((guid, nid))
    if w.stage is not None:
        w.stage.add_ids(made)


def _run_add_notes(col: Collection, request: bytes) -> List[int]:
    """The new notes' ids, from the backend's ``add_notes`` of a serialised
    ``AddNotesRequest``: through its raw call where Anki has it (every
    supported version; the fallback is for safety), so the request goes as
    it is."""
    from anki import notes_pb2

    raw = getattr(col._backend, "add_notes_raw", None)
    if raw is None:
        requests = notes_pb2.AddNotesRequest.FromString(request).requests
        return list(col._backend.add_notes(requests=requests).nids)
    return list(notes_pb2.AddNotesResponse.FromString(raw(request)).nids)


# Protobuf's wire format for the fields the request uses: (number << 3) | kind,
# 0 a varint, 2 length-delimited (``anki/notes.proto``, the same from 23.10 on;
# ``_wire_matches`` checks the Anki it runs in).
_REQUESTS, _NOTE, _DECK_ID = b"\x0a", b"\x0a", 0x10  # AddNotesRequest.requests, AddNoteRequest.note, .deck_id
_GUID, _NOTETYPE_ID, _TAG, _FIELD = b"\x12", 0x18, b"\x32", b"\x3a"  # Note.guid, .notetype_id, .tags, .fields
_WIRE = {  # message: {field: (number, type)}; type 3 int64, 9 string, 11 message
    "AddNotesRequest": {"requests": (1, 11)},
    "AddNoteRequest": {"note": (1, 11), "deck_id": (2, 3)},
    "Note": {"guid": (2, 9), "notetype_id": (3, 3), "tags": (6, 9), "fields": (7, 9)},
}
_ONE_BYTE = [bytes((i,)) for i in range(0x80)]


@cache
def _wire_matches() -> bool:
    """Whether this Anki's messages have the fields ``_wire_note`` writes
    (else every new note goes through ``col.add_notes``)."""
    try:
        from anki import notes_pb2

        for name, fields in _WIRE.items():
            by_name = getattr(notes_pb2, name).DESCRIPTOR.fields_by_name
            for field_name, (number, kind) in fields.items():
                f = by_name.get(field_name)
                if f is None or (f.number, f.type) != (number, kind):
                    return False
    except Exception:  # noqa: BLE001 (any surprise: the documented way)
        return False
    return True


def _varint(n: int) -> bytes:
    """``n`` (not negative) as a protobuf varint: 7 bits a byte, high bit "more"."""
    if n < 0x80:
        return _ONE_BYTE[n]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


@cache
def _id_field(key: int, value: int) -> bytes:
    return bytes((key,)) + _varint(value)


def _wire_note(n: NewNote, heads: Optional[Dict[Tuple[int, Tuple[str, ...]], bytes]] = None) -> Optional[bytes]:
    """The note as one ``requests`` entry of a serialised ``AddNotesRequest``
    (an ``AddNoteRequest``: a ``Note`` with guid, note type, tags and fields,
    id, mtime and usn left to Anki as a new note has them, and the deck), byte
    for byte what protobuf writes; None for what it cannot carry (a lone
    surrogate, an id below 1). ``heads``: the note type and tags as written,
    by note type and tags (a first sync's notes share a few tag sets)."""
    if n.notetype < 1 or n.deck < 1:
        return None
    try:
        key = (n.notetype, tuple(n.tags))
        head = None if heads is None else heads.get(key)
        if head is None:
            head = _head(n.notetype, n.tags)
            if heads is not None:
                heads[key] = head
        guid = n.guid.encode()
        parts: List[bytes] = []
        size = 0
        for b in [text.encode() for text in n.fields]:
            k = len(b)
            length = _ONE_BYTE[k] if k < 0x80 else bytes((k & 0x7F | 0x80, k >> 7)) if k < 0x4000 else _varint(k)
            parts += (_FIELD, length, b)
            size += 1 + len(length) + k
    except UnicodeEncodeError:
        return None
    return _entry(guid, head, parts, size, _id_field(_DECK_ID, n.deck))


def _head(notetype: int, tags: Sequence[str]) -> bytes:
    """A note's note type and tags as the request writes them (made once for
    the notes that share them; a tag that cannot be encoded raises)."""
    return _id_field(_NOTETYPE_ID, notetype) + b"".join(_TAG + _varint(len(b)) + b for b in (t.encode() for t in tags))


def _entry(guid: bytes, head: bytes, fields: List[bytes], size: int, deck: bytes) -> bytes:
    """An ``AddNoteRequest`` entry: the note (guid, ``head``: its note type
    and tags, then ``fields``: each field's tag, length and bytes, ``size``
    of them in all) and the ``deck``'s field. One join, not one a message:
    the fields are copied once."""
    # The lengths' varints written here for their usual sizes (one byte for
    # a guid, two for a note): three calls a note fewer.
    k = len(guid)
    guid_length = _ONE_BYTE[k] if k < 0x80 else _varint(k)
    size += 1 + len(guid_length) + k + len(head)  # the note's bytes
    note_length = bytes((size & 0x7F | 0x80, size >> 7)) if 0x80 <= size < 0x4000 else _varint(size)
    k = 1 + len(note_length) + size + len(deck)
    entry_length = bytes((k & 0x7F | 0x80, k >> 7)) if 0x80 <= k < 0x4000 else _varint(k)
    return b"".join([_REQUESTS, entry_length, _NOTE, note_length, _GUID, guid_length, guid, head, *fields, deck])


def _add(w: Writing, todo: List[Tuple[Create, NewNote]]) -> None:
    """``col.add_notes`` of the new notes the request could not carry, in one call."""
    from anki.collection import AddNoteRequest

    col = w.col
    # One backend-made note per note type, cloned for each new note:
    # col.new_note is a backend round trip plus a field-map build per call.
    # A clone differs from a fresh note only in guid, fields and tags, all
    # three set below. (Not copy.copy: Note's deprecated-names __getattr__
    # makes that ~18 us a note.)
    blanks: Dict[NotetypeId, Note] = {}
    requests = []
    for _, n in todo:
        blank = blanks.get(n.notetype)
        if blank is None:
            model = col.models.get(n.notetype)
            assert model is not None  # chosen or made in open_undo_step
            blank = blanks[n.notetype] = col.new_note(model)
        note = object.__new__(type(blank))
        note.__dict__.update(blank.__dict__)
        note.fields = list(n.fields)
        note.guid = n.guid
        note.tags = list(n.tags)
        requests.append(AddNoteRequest(note=note, deck_id=n.deck))
    col.add_notes(requests)  # sets each request's note.id
    for (c, n), request in zip(todo, requests):
        c.note_id = int(request.note.id)
        w.ids.made.append((n.guid, c.note_id))


def update_notes(w: Writing) -> None:
    """Matched notes: content, tags, guid (re-keyed/adopted), restored orphans;
    the cards to move and to unsuspend. More than ``UPDATE_BATCH`` notes to
    write, and a ``stop`` to ask: saved ``UPDATE_BATCH`` at a time, each
    call folded into the undo step, the stop asked between two; when it
    says so, the notes not saved are left for the next sync
    (``_leave_the_updates``). Else all are saved by ``save_notes``."""
    updates = w.plan.updates
    writing = sum(1 for u in updates if u.writes_note)
    if writing:
        w.say(f"Updating {writing:,} notes…")
    in_batches = w.stop is not None and writing > UPDATE_BATCH
    done = 0
    for k, u in enumerate(updates):
        if u.writes_note:
            if in_batches and done and done % UPDATE_BATCH == 0:
                w.col.update_notes(w.to_save)
                w.to_save = []
                merge_undo(w)
                assert w.stop is not None
                if w.stop():
                    _leave_the_updates(w, k, done, writing)
                    return
            done += 1
            if done % UPDATE_SAY_EVERY == 0 and done < writing:
                # Nothing of them saved yet (save_notes does that): where a
                # closing Anki stops us, as good as before the step. Once a
                # batch is saved, only told (the write then goes to its end).
                message = f"Updating notes… {done:,}/{writing:,}"
                if in_batches and done > UPDATE_BATCH:
                    w.tell(message)
                else:
                    w.say(message)
        _update_one(w, u)


def _update_one(w: Writing, u: Update) -> None:
    base = list(u.base)
    if u.writes_note:
        note = w.col.get_note(u.note.id)
        for i, new in enumerate(u.fields):
            want = u.wants[i] if i < len(u.wants) else None
            if new is not None and want is not None and i < len(note.fields):
                value = w.fix_media(new)
                tail = None if want.tail is None else w.fix_media(want.tail)
                if tail and value.endswith(tail):  # the block, with its own record of itself
                    value = value[: len(value) - len(tail)] + stamped(tail, field_hash(tail))
                note.fields[i] = value
                # Polar's side, as stored (media names may have changed),
                # even where the user's text was kept.
                base[i] = remember_hash(w.fix_media(want.text), tail)
        note.tags = u.tags
        if note.guid != u.guid:  # re-keyed (an adopted or old-sync note)
            _rekeyed(w, note.guid, u.guid, note.id)
        note.guid = u.guid
        w.to_save.append(note)
    if u.move_cids:
        w.moves[w.deck_id(u.move_to or "")] += u.move_cids
    w.unsuspend += u.unsuspend
    if u.note.has_tag_or_moved(ORPHAN_TAG):  # restored: what the sync had suspended is back
        w.suspended.cleared.append(u.note.id)
    w.rows.append(_row(u.rc.card_id, u.doc, u.guid, u.meta, base, u.polar_tags))


def _leave_the_updates(w: Writing, first_left: int, done: int, writing: int) -> None:
    """The person stopped the sync between two batches of updated notes:
    those from ``plan.updates[first_left]`` on are left for the next sync,
    as a note open in an editor is (``plan.leave_alone``): out of the plan
    (so not recorded as written, ``remember_written``, nor taken off the
    notes set aside), their cards not moved nor unsuspended, their old state
    rows kept (the next sync merges against the same base), their documents
    ``unfinished`` (read again next time), their changes out of the report,
    and a warning says how far it got. The notes set aside, moved or
    suspended for the rest of the plan (orphans) are handled as planned: a
    retyped card's new note may be added already."""
    report = w.report
    held: Set[int] = set()
    paths: Set[str] = set()
    kept = w.plan.updates[:first_left]
    for u in w.plan.updates[first_left:]:
        if not (u.writes_note or u.unsuspend or u.move_cids):
            _update_one(w, u)  # (nothing to write: its row, as planned)
            kept.append(u)
            continue
        held.add(u.note.id)
        paths.add(f"{u.doc}#{u.rc.card_id}")
        w.unfinished.add(u.doc)
        if u.old is not None:
            w.rows.append(u.old)
            report.rekeyed -= u.old.card_id != u.rc.card_id
        report.updated -= u.counted
        report.moved -= bool(u.move_cids)
        report.restored -= u.note.has_tag_or_moved(ORPHAN_TAG)
        report.adopted -= u.taken_over == "adopted"
        report.paired -= u.taken_over == "paired"
    w.plan.updates = kept
    report.changes = [c for c in report.changes if not (c.kind in ("updated", "moved", "restored")
                                                        and c.note_id in held)]
    report.conflicts = [c for c in report.conflicts if c.get("path") not in paths]
    report.warnings = [r for r in report.warnings if not (r.get("code") == "cloze_cards_emptied"
                                                          and r.get("note_id") in held)]
    report.warn("Polar Sync", f"stopped as you asked after updating {done:,} of {writing:,} notes; the next sync "
                              "updates the rest", code="stopped_updating_by_you", done=done, total=writing)


def queue_in_reading_order(w: Writing) -> None:
    """The notes added by this sync, due in reading order (``reading_order``)."""
    if w.settings.reading_order and w.created:
        order_new_cards(w.col, w.created)


def handle_orphans(w: Writing) -> None:
    """Notes whose Polar card is gone (or has a new note of another kind):
    what ``plan.decide_deletions`` chose."""
    for o in w.plan.orphans:
        if o.remove:
            w.remove.append(o.note.id)
            w.ids.gone.append((o.note.guid, o.note.id))
            w.ids.removed.append(o.note.id)
            w.suspended.cleared.append(o.note.id)
            continue
        note = w.col.get_note(o.note.id)
        if o.new_guid is not None:
            if o.new_guid != note.guid:
                _rekeyed(w, note.guid, o.new_guid, note.id)
            note.guid = o.new_guid
        if o.add_tag:
            note.tags = list(note.tags) + [ORPHAN_TAG]
        w.suspend += o.suspend
        if o.move_cids:
            w.moves[w.deck_id(o.move_to or "")] += o.move_cids
        if note.guid != o.note.guid or note.tags != o.note.tags:
            w.to_save.append(note)
        if o.retype is not None:
            # Its card's row is its new note's; it is no Polar note now,
            # never restored: no row, and no record of what was suspended.
            w.suspended.cleared.append(o.note.id)
        elif not o.duplicate:
            w.rows.append(_orphan_row(o))
            if o.record is not None and o.card is not None:  # committed with the orphan row
                w.suspended.made[o.note.id] = (o.card.card_id, o.record)
    w.suspended.newest_review = _newest_review(w, [c for _, cids in w.suspended.made.values() for c in cids])


def _newest_review(w: Writing, cids: Sequence[int]) -> int:
    """The id (ms) of the newest review of these cards, 0 if none: one query
    per 500 cards, only when the sync suspends cards."""
    db = w.col.db
    assert db is not None
    newest = 0
    for marks, chunk in in_chunks(sorted(set(cids))):
        newest = max(newest, int(db.scalar(f"SELECT coalesce(max(id), 0) FROM revlog WHERE cid IN ({marks})",
                                           *chunk) or 0))
    return newest


def _rekeyed(w: Writing, old: str, new: str, nid: int) -> None:
    w.ids.gone.append((old, nid))
    if is_polar_guid(new):
        w.ids.keyed.append((new, nid))


def save_notes(w: Writing) -> None:
    if w.to_save:
        w.col.update_notes(w.to_save)


def move_cards(w: Writing) -> None:
    """Through Anki's own deck move (Browse ▸ Change Deck), one call per
    target deck: a card in a filtered deck leaves it for its new home with
    its real due date back (setting ``did`` would keep the filtered deck's
    bookkeeping, which Check Database then "repairs", losing the due date)."""
    from anki.decks import DeckId

    moving = sum(len(cids) for cids in w.moves.values())
    if moving:
        w.tell(f"Moving {moving:,} cards…")
    for n, (did, cids) in enumerate(w.moves.items(), 1):
        w.col.set_deck(cids, DeckId(did))
        if n % MERGE_EVERY == 0:  # each call is an undo op: fold them in before the 30 run out
            merge_undo(w)


def set_suspension(w: Writing) -> None:
    if w.unsuspend:
        w.tell(f"Unsuspending {len(w.unsuspend):,} cards…")
        w.col.sched.unsuspend_cards(w.unsuspend)
    if w.suspend:
        w.tell(f"Suspending {len(w.suspend):,} cards…")
        w.col.sched.suspend_cards(w.suspend)


def remove_notes(w: Writing) -> None:
    if w.remove:
        w.col.remove_notes(w.remove)


def set_aside_notes(col: Collection) -> Set[int]:
    """The notes any computer's sync set aside and has not restored or
    removed since (``plan.SET_ASIDE_KEY``, carried by AnkiWeb)."""
    value = col.get_config(SET_ASIDE_KEY, None)
    if not isinstance(value, list):
        return set()
    return {int(n) for n in value if isinstance(n, int) and not isinstance(n, bool)}


def remember_set_aside(w: Writing) -> None:
    """Keep ``SET_ASIDE_KEY`` current: the notes set aside now in; out, the
    notes whose card is in Polar now (restored, or taken back by the user
    and then back in Polar: Polar's again, set aside as any other if it
    goes again) and those removed. In the undo step (undone with the sync);
    written only when it changes, and then without the notes no longer in
    the collection (the user deleted them: AnkiWeb takes that deletion to
    the other computers with the key, so none of them needs their ids).
    What stays is what another computer may still need: the notes set aside
    and still there, tagged or taken back. (AnkiWeb sends a changed key
    whole: it held every note ever set aside, ~14 bytes each, for ever.)"""
    added = {o.note.id for o in w.plan.orphans
             if o.add_tag and not o.remove and not o.duplicate and o.retype is None}
    dropped = {u.note.id for u in w.plan.updates} | set(w.remove)
    if not added and not dropped:
        return
    before = set_aside_notes(w.col)
    if not added and before.isdisjoint(dropped):
        return
    after = (before | added) - dropped
    if after != before:
        after = _still_there(w.col, after)
        w.col.set_config(SET_ASIDE_KEY, sorted(after), undoable=True)


def _still_there(col: Collection, nids: Set[int]) -> Set[int]:
    """The notes of ``nids`` the collection holds (one query per 500)."""
    db = col.db
    assert db is not None
    there: Set[int] = set()
    for marks, chunk in in_chunks(sorted(nids)):
        there.update(int(n) for n in db.list(f"SELECT id FROM notes WHERE id IN ({marks})", *chunk))
    return there


def written_notes(col: Collection) -> Dict[int, Written]:
    """``plan.WRITTEN_KEY``: note id -> what the sync (on any computer) that
    last wrote Polar's text or tags into it remembered of its fields, and
    the Polar tags it wrote."""
    value = col.get_config(WRITTEN_KEY, None)
    if not isinstance(value, dict):
        return {}
    out: Dict[int, Written] = {}
    for nid, entry in value.items():
        if not (isinstance(nid, str) and nid.isdigit() and isinstance(entry, dict)):
            continue
        hashes, tags = entry.get("f"), entry.get("t")
        out[int(nid)] = ([h if isinstance(h, str) else "" for h in hashes] if isinstance(hashes, list) else [],
                         [str(t) for t in tags] if isinstance(tags, list) else None)
    return out


def remember_written(w: Writing) -> None:
    """Keep ``WRITTEN_KEY`` current: the notes this sync wrote (text or
    tags), last (the oldest go beyond WRITTEN_MAX). In the undo step."""
    wrote = [u for u in w.plan.updates if u.writes_note]
    if not wrote:
        return
    raw = w.col.get_config(WRITTEN_KEY, None)
    entries: Dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    for u in wrote:
        entries.pop(str(u.note.id), None)
        entries[str(u.note.id)] = {"f": list(u.base), "t": list(u.polar_tags)}
    if len(entries) > WRITTEN_MAX:
        entries = dict(list(entries.items())[-WRITTEN_MAX:])
    w.col.set_config(WRITTEN_KEY, entries, undoable=True)


def close_undo_step(w: Writing) -> None:
    put_back_adding_defaults(w)
    if w.marker is not None:
        # This sync's generation, in its undo step: undone and redone with it.
        w.col.set_config(MARKER_KEY, w.marker[1], undoable=True)
    w.report.op_changes = merge_undo(w)


def merge_undo(w: Writing) -> Optional[OpChanges]:
    """Fold what the sync wrote since ``open_undo_step`` into its one undo
    step. Anki's Check Media and Check Database clear the undo queue; run
    while the sync writes (Anki's backend takes them between two of its
    calls), the step's start is gone: the sync goes on without one (Anki
    cleared its undo anyway), and its changes are told as touching
    everything, so Anki's windows all refresh."""
    from anki.errors import InvalidInput

    if w.undo_start:
        try:
            return w.col.merge_undo_entries(w.undo_start)
        except InvalidInput as exc:
            if "undo op not found" not in str(exc):
                raise
            w.undo_start = 0
    return everything_changed()


def everything_changed() -> OpChanges:
    from anki.collection import OpChanges

    changes = OpChanges()
    for name, f in OpChanges.DESCRIPTOR.fields_by_name.items():
        if f.type == f.TYPE_BOOL:
            setattr(changes, name, True)
    return changes


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
    remember_set_aside,
    remember_written,
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
    return _new_row((card_id, doc, guid, meta.ref, meta.type, meta.created, tuple(base), tuple(polar_tags), False))


# A new note's NewNote and state row, built in C from every field in order,
# not by NamedTuple's own constructor (a Python function, ~0.18 us a call).
_make_note = partial(tuple.__new__, NewNote)
_new_row = partial(tuple.__new__, CardState)
