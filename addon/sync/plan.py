"""Deciding what to do: Polar's cards against what the collection holds and
what the last sync wrote. No writes here: the result is a :class:`Plan`.

Rules, one place each:
* identity: the guid derived from the Polar card id (``identity.guid_for``);
  a Polar edit (new id, same parent ``ref`` and type, old id gone) re-keys
  the old note; notes of Polar's old sync are adopted. A card that turned
  from basic to cloze or back under the same id gets a new note of its kind,
  and its old note is an orphan with a guid of its own (``Planner.retype``).
* fields: three-way per field against the hashes written last time: Polar
  wins only where Polar changed; an Anki-side edit otherwise stays; both
  changed → ``conflict_policy`` decides and the report lists it. The
  context (block or own fields) is the add-on's own, regenerated, never
  merged (``field_merge``).
* tags: Polar's additions/removals are applied, the user's own tags kept.
* decks: cards move only when the document's Polar deck changed.
* deletions: ``deletion_policy`` for cards gone from Polar, never when the
  library is empty or a document failed to parse (``decide_deletions``).
* suspensions: a restored note gets back only the cards the sync suspended
  itself, never one the user had suspended (``resolve_suspensions``).
* notes the caller names (open in an editor) are not written this time
  (``leave_alone``).
* counts: every figure of the report comes from the plan (``count``).
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Set,
    Tuple,
    Union,
)

from ..polar.docmeta import Flashcard, iso_instant
from ..polar.hashcodes import create_id
from ..render.card import KINDS as CARD_KINDS
from ..render.card import RenderedCard
from ..render.context import KEPT_IMAGE, as_made, image_alt, kept_image, split_block
from ..settings import DeletionPolicy, Settings
from .collection_view import NoteInfo
from .field_merge import Merged, field_hash, merge_field
from .identity import guid_for, is_legacy_marker, legacy_card_id
from .legacy import (
    NewCard,
    OldNote,
    StudiedVersions,
    answer_added_to,
    composed,
    legacy_kind,
    note_tags,
    old_sync_decks,
    old_sync_label,
    older_versions,
    pair,
)
from .legacy import plain_text as legacy_plain
from .notetypes import (
    ROLE_ANSWER,
    ROLE_FRONT,
    NoteTypeRef,
    Want,
    aligned_hashes,
    dropped_fields,
    field_roles,
    layout_tag,
    renamed_hashes,
    stock_gaps,
    wanted_fields,
)
from .read import NO_META, Card, CardMeta, LoadedDoc, Pending
from .report import Change, Report, plain_text
from .state import CardState

if TYPE_CHECKING:
    from anki.cards import CardId
    from anki.decks import DeckId
    from anki.models import NotetypeId
    from anki.notes import NoteId

ORPHAN_TAG = "polar::deleted"
# Collection config (travels with AnkiWeb): the ids of the notes a sync on any
# computer set aside (tagged ORPHAN_TAG) and has not restored or removed since.
# Another computer whose own record still has the card live then tells a note
# the user took back (tag removed) from one it must set aside
# (``_taken_back``); written in the sync's undo step (write.remember_set_aside).
SET_ASIDE_KEY = "polarSyncSetAside"
# The guid a duplicate set aside gets (``decide_deletions``): its own, so it
# is never matched with its card again.
DUPLICATE_GUID_PREFIX = "polar-dup:"
# Collection config (travels with AnkiWeb): for the notes the latest syncs on
# any computer wrote Polar's text into, what they remembered of each field
# (``Update.base``), the last WRITTEN_MAX notes. A computer whose own record
# is older (the other one synced Polar's edit, the user edited the note after
# AnkiWeb brought it) then sees that Polar's text was in the note before the
# Anki edit: an edit on top of it, kept, not a conflict (``merge_field``'s
# ``written``); written in the sync's undo step (write.remember_written).
WRITTEN_KEY = "polarSyncWritten"
# ~110 bytes a note: ~13 KB. Anki sends a changed config key whole, on every
# sync that writes, and asks for a few kilobytes (``Collection.set_config``);
# the other computer's latest syncs are what a stale one needs.
WRITTEN_MAX = 120
# One note's entry: the field hashes (Update.base) and the Polar tags written.
Written = Tuple[List[str], Optional[List[str]]]


class Renderer(Protocol):
    """Renders a pending card (``Reading.render``); None: it cannot be synced
    (reported). ``placed``: its place in reading order is decided already
    (``render_card``)."""

    def __call__(self, card: Pending, placed: bool = False) -> Optional[RenderedCard]: ...


class Create:
    """A note to make. One per new card (50,000 in a large first sync, held
    until the state is written): slots, no ``__dict__`` each."""

    __slots__ = ("rc", "doc", "deck", "kind", "meta", "note_id", "failed", "front")

    def __init__(self, rc: Card, doc: str, deck: str, kind: str, meta: CardMeta = NO_META) -> None:
        # A card of a document no sync had seen stays Pending until the write
        # renders it (``rendered``). write.SPENT once its note is built
        # (add_notes): read it before the write.
        self.rc = rc
        self.doc = doc
        self.deck = deck
        self.kind = kind
        self.meta = meta
        self.note_id = 0  # set once written
        self.failed = False  # it turned out not to be syncable when rendered (reported): no note
        self.front: Optional[str] = None  # its front, once rendered late (for the report)

    def rendered(self, render: Renderer, placed: bool = False) -> bool:
        """Render a pending card now; False when it cannot be synced.
        ``placed``: see ``render_card``."""
        if isinstance(self.rc, Pending):
            rc = render(self.rc, placed)
            if rc is None:
                self.failed = True
                return False
            self.rc = rc
            self.front = rc.front
        return not self.failed

    @property
    def card(self) -> RenderedCard:
        """The rendered card (after ``rendered``)."""
        assert not isinstance(self.rc, Pending), "rendered first"
        return self.rc

    def __repr__(self) -> str:
        return f"Create({self.kind} card of {self.doc!r} into {self.deck!r}, note {self.note_id})"


def render_creates(creates: Sequence[Create], render: Renderer) -> List[Create]:
    """Every pending create rendered now; those that cannot be synced go."""
    return [c for c in creates if c.rendered(render)]


@dataclass
class Update:
    note: NoteInfo
    rc: RenderedCard
    doc: str
    fields: List[Optional[str]]  # new values; None = leave as it is
    wants: List[Optional[Want]]  # what Polar wanted in each field (None: not Polar's)
    tags: List[str]
    polar_tags: List[str]
    guid: str
    base: List[str]  # field hashes to remember (Polar's side)
    move_to: Optional[str] = None  # deck name
    move_cids: List[CardId] = field(default_factory=list)  # cards not in ``move_to`` yet (``resolve_moves``)
    unsuspend: List[CardId] = field(default_factory=list)
    content_changed: bool = False
    meta_changed: bool = False  # tags / guid
    # Its tags change because Polar's changed since the last sync (a document
    # moved to another folder, a card re-tagged): an update, as the report says.
    retagged: bool = False
    meta: CardMeta = NO_META
    old: Optional[CardState] = None  # the last sync's row it was matched by, if any
    taken_over: str = ""  # "adopted" / "paired": a note of Polar's old sync

    @property
    def writes_note(self) -> bool:
        return self.content_changed or self.meta_changed

    @property
    def counted(self) -> bool:
        """An update the report counts: its text or Polar's tags changed, or
        a note of the old sync taken over (its guid and tags are the add-on's
        now, even where its text already was Polar's: a note the user moved
        to "Basic (and reversed card)")."""
        return self.content_changed or self.retagged or bool(self.taken_over)


class Retype(NamedTuple):
    """A card that changed kind (basic <-> cloze) under the same id: the new
    note it gets, for the orphan its old note becomes (``Planner.retype``)."""

    create: Create
    doc: str
    card_id: str
    row: Optional[CardState]  # the card's row from the last sync, if any (kept if the change is held back)


@dataclass
class Orphan:
    note: NoteInfo
    card: Optional[CardState]  # None for a note no state row knows
    duplicate: bool = False
    # A duplicate's: the note of the same Polar card that is kept
    # (``pick_keeper``), and whether this one is a spare copy of it, which
    # goes whatever the deletion policy (``spare_copy``).
    keeper: Optional[NoteInfo] = None
    spare: bool = False
    # Not None: the note of a card that changed kind, which ``retype.create``
    # replaces. It has no state row of its own (the card's row is the new
    # note's) and always gets a guid of its own (the new note takes the card's).
    retype: Optional[Retype] = None
    # What the deletion policy does with it (``decide_deletions``):
    remove: bool = False
    new_guid: Optional[str] = None  # a former duplicate gets a guid of its own
    add_tag: bool = False  # ORPHAN_TAG
    suspend: List[CardId] = field(default_factory=list)
    # Every card id the sync has suspended on the note, to remember for its
    # restore (state.SuspendRecords); None: the record stays as it is.
    record: Optional[List[int]] = None
    # A second note of a card that Polar's own AnkiConnect sync added beside
    # this add-on's (``legacy_steps._polar_sync_copies``): never a spare copy.
    polar_copy: bool = False
    # Its document's new deck (its Polar deck changed, ``move_on_deck_change``):
    # a note set aside follows its document as its live cards do, so it is
    # there when its card comes back. ``move_cids``: see ``resolve_moves``.
    move_to: Optional[str] = None
    move_cids: List[CardId] = field(default_factory=list)

    @property
    def needs_work(self) -> bool:
        return self.remove or self.new_guid is not None or self.add_tag or bool(self.suspend) or bool(self.move_cids)


@dataclass
class Plan:
    creates: List[Create] = field(default_factory=list)
    updates: List[Update] = field(default_factory=list)  # every matched card, changed or not
    orphans: List[Orphan] = field(default_factory=list)
    # state rows to keep as they were (cards of failed renders, skipped ...)
    carry: List[CardState] = field(default_factory=list)
    # state rows for orphans already handled (or whose note is gone: dropped)
    drop_cards: List[str] = field(default_factory=list)
    conflicts: List[Dict[str, Any]] = field(default_factory=list)
    adopted: int = 0
    rekeyed: int = 0
    paired: int = 0  # old-sync notes of an older version of a card, taken over
    # old-sync notes that match no current card (reported, never changed)
    legacy_leftovers: List[int] = field(default_factory=list)
    legacy_older: List[int] = field(default_factory=list)  # of them, older versions of a card synced now
    # matched cards of documents read this time whose images are not in the
    # media folder (a sync killed before its media thread finished)
    missing_media: List[RenderedCard] = field(default_factory=list)
    # content with no field to go to in a reshaped own note type:
    # (note type id, field name) -> notes
    dropped: Dict[Tuple[NotetypeId, str], int] = field(default_factory=dict)
    # Notes the person changed to a type of the other kind (Cloze <-> Basic)
    # whose front Polar changed: their front kept, a report row each
    kind_kept: List[Dict[str, Any]] = field(default_factory=list)
    # The decks followed by id (a deck the user renamed or moved in Anki):
    # lower-case name -> id, so the write finds each by its id, not its name
    deck_ids: Dict[str, DeckId] = field(default_factory=dict)

    @property
    def writes_anything(self) -> bool:
        """False when the collection already is as planned: no undo step."""
        return bool(
            self.creates
            or self.missing_media
            or any(u.writes_note or u.unsuspend or u.move_cids for u in self.updates)
            or any(o.needs_work for o in self.orphans)
        )


# A pending card's (created, card id), as the plan sorts a document's new
# cards: its meta's created is its Flashcard's (read_document).
_PENDING_ORDER = attrgetter("card.created", "card_id")
_TAG_RE = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")


def plain(html: str) -> str:
    """Text of an HTML field, for matching old notes by content: markup out,
    entities read (``&amp;`` and a bare ``&`` are the same text; ``&nbsp;``
    is a space), accents composed as Anki stores them (``legacy.composed``)."""
    text = _TAG_RE.sub(" ", html)
    if "&" in text:
        text = _html.unescape(text)
    return composed(_WS.sub(" ", text).strip().lower())


def old_sync_texts(card: Flashcard) -> Tuple[str, ...]:
    """The texts Polar's old sync wrote into a note for this card, one per
    Polar field (front, back, text...), as ``old_sync_front`` reads them."""
    return tuple(text.value for text in card.fields.values())


def made_after(created: str, note_id: int) -> bool:
    """Whether a Polar card's ``created`` (ISO time) is later than the note
    (its id: the time Anki added it, in ms). Unknown: False."""
    when = iso_instant(created)
    return when is not None and when > note_id / 1000


def _images_of(html: str) -> str:
    """A field's image sources (a field holding an image alone is not empty)."""
    return " ".join(_IMG_SRC.findall(html)) if "<img" in html.lower() else ""


def _text_of(html: str) -> str:
    """``plain`` with case kept: a fixed capital is an edit too."""
    text = composed(_TAG_RE.sub(" ", html))
    if "&" in text:
        text = _html.unescape(text)
    return _WS.sub(" ", text).strip()


def edited_since_old_sync(current: str, ours: str, sent: Sequence[str]) -> bool:
    """Whether an old-sync note's field holds text the user typed in Anki:
    neither empty nor, markup aside, what the old sync wrote for its card
    (``sent``, ``old_sync_texts``) or what this add-on writes (``ours``).
    The old sync wrote images as media names and Markdown or TEXT as it
    was: only the text is compared."""
    text = _text_of(current)
    return bool(text) and text != _text_of(ours) and all(text != _text_of(s) for s in sent)


# An image of Polar's (``render.media.media_name``: "polar-" and 20 hex digits
# of its SHA-1) that Anki stored under another name because a file of other
# bytes held that one (``col.media.write_data`` adds the file's whole SHA-1
# to the stem): the same bytes exactly when that SHA-1 begins with the 20.
_STORED_AS = re.compile(r'src="polar-([0-9a-f]{20})(-\1[0-9a-f]{20})\.(png|jpg|gif|webp)"')


def as_stored(wants: List[Optional[Want]], fields: Sequence[str]) -> List[Optional[Want]]:
    """``wants`` with Polar's image names as the note holds them where Anki
    stored an image under another name (``write.Writing.fix_media`` wrote
    that name, and its hash was remembered): else the note's field would
    differ from Polar's on every sync that reads the document (an update
    each time, and an edit made in Anki taken for a conflict, Polar's
    version kept). Unchanged when the note names no such file."""
    renamed: Dict[str, str] = {}
    for value in fields:
        if 'src="polar-' in value:
            for m in _STORED_AS.finditer(value):
                renamed[f'src="polar-{m.group(1)}.{m.group(3)}"'] = m.group(0)
    if not renamed:
        return wants

    def stored(value: str) -> str:
        for name, as_named in renamed.items():
            value = value.replace(name, as_named)
        return value

    return [None if w is None else w._replace(text=stored(w.text), tail=None if w.tail is None else stored(w.tail))
            for w in wants]


# Polar's old sync (``MediaContents.parse``) stored these data images as
# media named ``Hashcodes.createID(<base64>, 20).<type>``; other images stayed
# in the field as they were.
_OLD_SYNC_MEDIA = re.compile(r"""src=["'](data:image/(gif|jpg|png);base64,([^"']+))""")
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_POLAR_MEDIA = re.compile(r"[1-9A-HJ-NP-Za-km-z]{20}\.(gif|jpg|png)|data:image/.*", re.DOTALL)


def old_sync_images(html: str) -> Tuple[str, ...]:
    """The images of a card's field as Polar's old sync wrote them into a
    note: a data image by the media name it stored it by, others as they
    are."""
    names = []
    for src in _IMG_SRC.findall(html):
        m = _OLD_SYNC_MEDIA.match(f'src="{src}')
        names.append(f"{create_id(m.group(3), 20)}.{m.group(2)}" if m else src)
    return tuple(names)


def images_fit(note_front: str, sent_images: Sequence[str]) -> bool:
    """Whether an old note's front can be the one the old sync wrote for a
    card whose front has these images (``old_sync_images``): two cards whose
    front is an image (alone, or after the same question) have the same
    text, and only the image's name tells whose note it is. A note without
    images, or with images Polar did not name (the user's, a web address),
    is not judged: only the images Polar named or left inline are compared."""
    have = tuple(src for src in _IMG_SRC.findall(note_front) if _POLAR_MEDIA.fullmatch(src))
    want = tuple(src for src in sent_images if _POLAR_MEDIA.fullmatch(src))
    return not have or not want or have == want


def _as_polar(rc: RenderedCard, role: str) -> Optional[str]:
    """The front or the answer as rendered before ``as_anki_keeps`` (which
    an earlier version wrote and remembered), for ``merge_field``."""
    if role == ROLE_FRONT:
        return rc.as_polar[0]
    return rc.as_polar[1] if role.startswith(ROLE_ANSWER) else None


def old_sync_front(card: Flashcard, kind: str) -> str:
    """The first field Polar's old AnkiConnect sync wrote for this card: the
    Text's value as it is, never escaped or rendered (polar-bookshelf
    ``AnkiSyncEngine.toNoteDescriptors``: ``HTML || TEXT || MARKDOWN``, the
    order ``docmeta.parse_text`` keeps), ``text`` for a cloze, else ``front``."""
    text = card.fields.get("text" if kind == "cloze" else "front")
    return text.value if text is not None else ""


def merge_tags(current: Sequence[str], old_polar: Optional[Sequence[str]], new_polar: Sequence[str],
               drop: Sequence[str] = ()) -> List[str]:
    """The user's own tags stay; Polar's removals and additions apply. A tag
    of Polar's the user removed since the last sync (``old_polar``: Polar's
    tags then) stays removed, as an edit of theirs to a field stays; renaming
    the tags in Anki (the marker ``polar`` → ``reading::polar``) leaves no
    second copy under the old name either."""
    removed: Set[str] = set()
    theirs: Set[str] = set()  # removed by the user
    if old_polar:
        kept = {n.lower() for n in new_polar}
        removed = {t.lower() for t in old_polar if t.lower() not in kept}
        have = {t.lower() for t in current}
        theirs = {t.lower() for t in old_polar if t.lower() not in have}
    if drop:
        removed.update(t.lower() for t in drop)
    out: List[str] = []
    seen: Set[str] = set()
    for tag in (*current, *new_polar):
        low = tag.lower()
        if removed and low in removed and tag not in new_polar:
            continue
        if theirs and low in theirs:
            continue
        if low not in seen:
            seen.add(low)
            out.append(tag)
    return out


def _own_part(field_html: str) -> str:
    """A field's text without the context block a sync appends to it (the
    add-on's own, never part of a conflict)."""
    return plain_text(split_block(field_html)[0], 400)


def pick_keeper(notes: Sequence[NoteInfo]) -> Tuple[NoteInfo, List[NoteInfo]]:
    """Of several notes of one Polar card, keep the one with review history,
    else the oldest."""
    ordered = sorted(notes, key=lambda n: (not n.reviewed, n.id))
    return ordered[0], ordered[1:]


class Planner:
    """Builds the :class:`Plan` document by document, against a snapshot of
    the notes that matter (``by_guid``) and the old sync's notes (``legacy``)."""

    def __init__(self, settings: Settings, notetypes: Dict[NotetypeId, NoteTypeRef], by_guid: Dict[str, List[NoteInfo]],
                 legacy: LegacyIndex, render: Optional[Renderer] = None) -> None:
        self.settings = settings
        self.notetypes = notetypes  # by note type id, for existing notes
        # document key -> the ids of its cards the last sync could not sync
        # (its remembered errors); asked only by ``_kept_for_unsyncable``.
        self.unsyncable_before: Optional[Callable[[str], AbstractSet[str]]] = None
        # Cards the last sync knew without a row of theirs: left deleted
        # (``left_deleted``: their notes deleted in Anki). Not new in Polar.
        self.left_deleted: AbstractSet[str] = frozenset()
        self.by_guid = by_guid
        self.legacy = legacy
        self.render = render  # for pending cards (Reading.render)
        self.plan = Plan()
        # card id -> when it was made and what Polar's old sync would have
        # written for it, of new cards rendered while 2.x notes of that sync
        # were looked for by their text (``pair_legacy``)
        self.made_as: Dict[str, Tuple[str, Tuple[str, ...]]] = {}
        # False: the state's rows may be newer than the notes (an Undo or a
        # restored backup beyond the journal): every text is as if unrecorded.
        self.rows_vouch = True
        # note id -> the field hashes a sync (on any computer) remembered
        # (and its Polar tags) when it last wrote the note (WRITTEN_KEY);
        # asked only about a field changed in Polar and in Anki since this
        # computer's record, or Polar tags changed since it.
        self.written: Callable[[int], Optional[Written]] = lambda nid: None

    def _rendered(self, card: Card) -> Optional[RenderedCard]:
        """A pending card that meets a note (or is matched by its text) is
        rendered now; None when it cannot be synced (reported)."""
        if not isinstance(card, Pending):
            return card
        assert self.render is not None, "a Planner of pending cards needs a renderer"
        return self.render(card)

    # -- one matched card --------------------------------------------------
    def update(self, note: NoteInfo, rc: RenderedCard, doc: str, base: Optional[CardState],
               deck_changed_to: Optional[str], new_guid: str, meta: CardMeta,
               drop_tags: Sequence[str] = (), recorded: bool = True,
               old_sync_sent: Optional[Sequence[str]] = None, old_sync: bool = False,
               paired: bool = False) -> None:
        """``recorded`` False: a Polar note (by its guid) no state row knows
        (another computer's, an import's, the state lost): a text of it that
        differs from Polar's is kept as the user's (see ``merge_field``).
        ``old_sync_sent``: for a note of Polar's old sync adopted by its card,
        what that sync wrote for the card (``old_sync_texts``); a field that
        holds other text was edited in Anki and is kept the same way.
        ``old_sync``: a note of Polar's old sync taken over (adopted or
        paired): that sync wrote its question and answer only, so text in a
        context field (a "Source" of the user's own note type, filled by
        hand) is the user's and is kept the same way. ``paired``: such a
        note of an older version of the card: a basic answer that holds the
        card's whole answer and more (``legacy.answer_added_to``) holds words
        the user added in Anki, or Polar's edit took out: which cannot be
        told, so it is kept the same way (nothing lost, and told)."""
        nt = self.notetypes.get(note.mid)
        if nt is None:  # a note type gone since the snapshot: match by position
            nt = NoteTypeRef(note.mid, "", [f"f{i}" for i in range(len(note.fields))], False)
        if rc.context.image is KEPT_IMAGE:
            # The source has no images (an export): the note keeps the one
            # it has (synced from the data folder), so nothing changes for it.
            roles = field_roles(nt)
            at = roles.index("image") if "image" in roles else None
            rc = rc._replace(context=rc.context._replace(
                image=kept_image(note.fields, at, image_alt(rc.context.source))))
        names = nt.field_names
        kept: Dict[int, str] = {}
        if nt.missing or stock_gaps(nt):
            for lost in dropped_fields(nt, rc):
                key = (nt.id, lost)
                self.plan.dropped[key] = self.plan.dropped.get(key, 0) + 1
            kept = renamed_hashes(base.fields, nt) if base else {}
        wants = wanted_fields(nt, rc)
        if rc.media:
            wants = as_stored(wants, note.fields)
        base_hashes = aligned_hashes(base.fields, nt) if base else None
        # Changed by the person to a note type of the other kind (Browse ▸
        # Change Note Type, Cloze -> Basic or Basic -> Cloze): Polar's front
        # is of the wrong kind for it (a cloze's {{c1:: braces on a basic
        # question; a basic front over the deletions they made), so it is
        # not written there; its hash is remembered, so each change in
        # Polar is said once (``kind_kept``). The answer goes on being synced.
        other_kind = nt.cloze is not None and nt.cloze != (rc.kind == "cloze")
        values: List[Optional[str]] = []
        hashes: List[str] = []
        changed = False
        for i, want in enumerate(wants):
            if want is None:
                values.append(None)
                hashes.append(kept.get(i, ""))
                continue
            cur = note.fields[i] if i < len(note.fields) else ""
            if want.tail and not want.text and split_block(cur)[0].strip():
                # Text of the user's before the block (a Back Extra they
                # typed): the block follows it as anywhere (notetypes.block_for).
                want = want._replace(tail=as_made(want.tail))
            if other_kind and want.tail is None and field_roles(nt)[i] == ROLE_FRONT:
                polar = field_hash(want.value)
                if cur != want.value and base_hashes and base_hashes[i] and base_hashes[i] != polar:
                    self.plan.kind_kept.append({
                        "path": f"{doc}#{rc.card_id}", "note_id": note.id, "notetype": nt.name,
                        "field": names[i], "cloze": rc.kind == "cloze", "document": doc, "card": rc.card_id,
                        "front": rc.front, **({"page": meta.page} if meta.page else {}),
                    })
                values.append(None)
                hashes.append(polar)
                continue
            # A field Polar's old sync never wrote: an own type's context
            # field, a cloze's answer ("Back Extra"). Text there is the user's.
            unwritten = old_sync and (want.owned or (rc.kind == "cloze" and field_roles(nt)[i] != ROLE_FRONT))
            if unwritten and want.owned and cur != want.value and _text_of(cur) + _images_of(cur):
                edited_old = True
                merged = Merged(None, field_hash(want.value), polar_took=False, unrecorded=True)
            else:
                edited_old = (old_sync_sent is not None and edited_since_old_sync(cur, want.text, old_sync_sent)) \
                    or (unwritten and edited_since_old_sync(cur, want.text, ())) \
                    or (paired and rc.kind != "cloze" and field_roles(nt)[i].startswith(ROLE_ANSWER)
                        and answer_added_to(legacy_plain(cur), legacy_plain(want.text)))
                merged = merge_field(want, cur, base_hashes[i] if base_hashes else "",
                                     self.settings.conflict_policy == "polar_wins", recorded and not edited_old,
                                     written=partial(_field_of, self.written, note.id, i, len(wants)),
                                     page_label=self.settings.page_label,
                                     as_polar=_as_polar(rc, field_roles(nt)[i]) if rc.as_polar else None)
            if merged.unrecorded:
                self.plan.conflicts.append({
                    "path": f"{doc}#{rc.card_id}",
                    "message": (f"field {names[i]!r} of a note of Polar's old sync was edited in Anki since "
                                "(it differs from what that sync wrote); Anki version kept") if edited_old else
                               f"field {names[i]!r} differs from Polar's and no earlier sync of this note is "
                               "recorded here (another computer, an import, a lost sync state); Anki version kept",
                    "code": "unrecorded_anki", "field": names[i], "polar": _own_part(want.text),
                    **({"old_sync": True} if edited_old else {}),
                    # (what stays: with text typed inside the block, that text
                    # moved before it; the note's own part alone showed none)
                    "anki": _own_part(cur if merged.value is None else merged.value), "note_id": note.id,
                    "document": doc, "card": rc.card_id,
                    "front": rc.front, **({"page": meta.page} if meta.page else {}),
                })
            elif merged.conflict:
                self.plan.conflicts.append({
                    "path": f"{doc}#{rc.card_id}",
                    "message": (f"field {names[i]!r}: text typed inside its context block, whose "
                                f"context changed in Polar; {'Polar' if merged.polar_took else 'Anki'} version kept")
                    if merged.in_block else
                    f"field {names[i]!r} changed in Polar and in Anki; "
                    f"{'Polar' if merged.polar_took else 'Anki'} version kept",
                    # Both versions of the user's part and where, for the report window.
                    "code": ("conflict_context_" if merged.in_block else "conflict_")
                    + ("polar" if merged.polar_took else "anki"),
                    "field": names[i], "polar": _own_part(want.text), "anki": _own_part(cur),
                    "note_id": note.id, "document": doc, "card": rc.card_id, "front": rc.front,
                    **({"page": meta.page} if meta.page else {}),
                })
            values.append(merged.value)
            hashes.append(merged.remember)
            changed = changed or merged.value is not None
        hashes.append(layout_tag(nt))
        polar_tags = list(rc.tags)
        base_tags = list(base.tags) if base else None
        if base_tags is not None and sorted(base_tags) != sorted(polar_tags):
            # Polar's tags changed since this computer's record: when a sync
            # (the other computer's, AnkiWeb brought it) wrote these very tags
            # into the note, a tag the user removed or added since is theirs.
            entry = self.written(note.id)
            if entry is not None and entry[1] is not None and sorted(entry[1]) == sorted(polar_tags):
                base_tags = polar_tags
        tags = merge_tags(note.tags, base_tags, polar_tags, drop_tags)
        orphan_tag = note.tag_or_moved(ORPHAN_TAG)
        restored = orphan_tag is not None
        if orphan_tag is not None:
            tags = [t for t in tags if t != orphan_tag and t.lower() != ORPHAN_TAG
                    and not t.lower().endswith("::" + ORPHAN_TAG)]
        # Every suspended card for now: resolve_suspensions narrows it to
        # those the sync suspended itself when it orphaned the note.
        unsuspend = [c.id for c in note.cards if c.queue == -1] if restored else []
        tags_changed = sorted(tags) != sorted(note.tags)
        meta_changed = tags_changed or new_guid != note.guid
        retagged = tags_changed and base_tags is not None and sorted(base_tags) != sorted(polar_tags)
        self.plan.updates.append(Update(
            note=note, rc=rc, doc=doc, fields=values, wants=wants, tags=tags, polar_tags=polar_tags, guid=new_guid,
            base=hashes, move_to=deck_changed_to, unsuspend=unsuspend,
            content_changed=changed, meta_changed=meta_changed, retagged=retagged, meta=meta, old=base,
        ))

    # -- a card that changed kind ----------------------------------------------
    def retyped(self, note: NoteInfo, rc: RenderedCard, base: Optional[CardState]) -> bool:
        """Whether ``rc`` turned from basic to cloze or back since ``note``
        was made for it (same id: a hand-edited file, another tool; Polar's
        editor gives an edited card a new id). Its kind then was the one its
        state row remembers; with no row, the kind of the add-on's own note
        type the note is in (a stock or user type with no row tells nothing:
        updated as before). The row, not the note's type: a note the user
        moved to another type (Change Note Type) is not a retype. Nor is a
        note whose type already suits the new kind (one another computer made
        for it, the retype synced through AnkiWeb)."""
        cloze = rc.kind == "cloze"
        nt = self.notetypes.get(note.mid)
        if nt is not None and nt.cloze is cloze:
            return False
        if base is not None and base.type:
            was = CARD_KINDS.get(base.type, "basic")
        else:
            was = nt.kind if nt is not None and nt.own else ""
        return bool(was) and (was == "cloze") != cloze

    def retype(self, note: NoteInfo, rc: RenderedCard, doc: str, deck: str, base: Optional[CardState],
               meta: CardMeta) -> None:
        """A card that changed kind: a new note of its kind, as for a Polar
        edit that made a new card; the old note (its reviews) goes the way of
        a card removed in Polar (``decide_deletions``)."""
        create = Create(rc, doc, deck, rc.kind, meta)
        self.plan.creates.append(create)
        self.plan.orphans.append(Orphan(note, None, retype=Retype(create, doc, rc.card_id, base)))

    # -- a whole parsed document ---------------------------------------------
    def document(self, loaded: LoadedDoc, old: Dict[str, CardState], deck_changed: bool,
                 arrived: AbstractSet[str] = frozenset()) -> None:
        """Plan one parsed document; ``old``: its cards' rows from the last sync
        (with those of the cards moved into it from another document).
        ``arrived``: cards moved in from a document of another deck, whose
        cards move to this one's deck as on a deck change."""
        doc, deck, meta, all_ids, by_guid = loaded.key, loaded.target, loaded.card_meta, loaded.card_ids, self.by_guid
        move_on = self.settings.move_on_deck_change
        move_to = deck if deck_changed and move_on else None
        # With no Polar note in the collection (a first sync) no card meets one.
        unmatched: List[Card] = [] if by_guid else list(loaded.every_card())
        planned: Set[str] = set()  # the cards this plan updates or creates
        for card in loaded.every_card() if by_guid else ():
            guid = guid_for(card.card_id)
            notes = by_guid.get(guid)
            if not notes:
                unmatched.append(card)
                continue
            rc = self._rendered(card)
            if rc is None:
                continue
            planned.add(rc.card_id)
            keeper, losers = pick_keeper(notes)
            self.plan.orphans += [Orphan(n, None, duplicate=True, keeper=keeper) for n in losers]
            base = old.get(rc.card_id)
            if self.retyped(keeper, rc, base):
                self.retype(keeper, rc, doc, deck, base, meta.get(rc.card_id, NO_META))
                continue
            to = deck if move_on and rc.card_id in arrived else move_to
            self.update(keeper, rc, doc, base, to, guid, meta.get(rc.card_id, NO_META),
                        recorded=base is not None and self.rows_vouch)

        # Polar re-creates a card on every edit: pair each vanished card with
        # a new one on the same parent and of the same type, oldest first.
        # Only a card that vanished since the last sync: Polar's edit deletes
        # and creates in one save (FlashcardActions.update, one batched
        # mutation), so a card an earlier sync already found gone (its row
        # orphaned) was deleted, not edited, and a card made later on its
        # parent is a new card, not its note's (which may be one the user
        # took back as theirs). So is a note set aside by another computer's
        # sync (the tag came with AnkiWeb; this row is not orphaned yet).
        vanished = [c for cid, c in old.items() if cid not in all_ids]
        gone_by_key: Dict[Tuple[str, str], List[CardState]] = {}
        for c in sorted(vanished, key=lambda c: (c.created, c.card_id)):
            if not c.orphaned:
                notes = by_guid.get(c.guid)
                if notes and not pick_keeper(notes)[0].has_tag_or_moved(ORPHAN_TAG):
                    gone_by_key.setdefault((c.ref, c.type), []).append(c)
        used: Set[str] = set()
        if loaded.cards:
            unmatched.sort(key=lambda r: (meta.get(r.card_id, NO_META).created, r.card_id))
        else:  # only pending cards (a new document): the same key, read in C (~0.4 us a card less)
            unmatched.sort(key=_PENDING_ORDER)
        if not gone_by_key and not self.legacy.by_id and not self.legacy.by_content:
            # Nothing to pair a card with (a new document, no old sync's
            # notes): each is created, as the loop below would (~0.5 us a card).
            creates = self.plan.creates
            for card in unmatched:
                planned.add(card.card_id)
                creates.append(Create(card, doc, deck, card.kind, meta.get(card.card_id, NO_META)))
            unmatched = []
        # Several cards gone and made on one parent (two cards of a highlight
        # edited, one edited and another deleted): each pair by likeness of
        # text, not by age (``_match_by_text``).
        chosen: Dict[str, CardState] = {}
        decided: Set[Tuple[str, str]] = set()
        # A card made in Polar 3 is new, whatever was deleted beside it:
        # Polar 3 keeps a card's id through its edits (a block edited in place).
        made3 = loaded.made_in_polar_3
        # A card the last sync knew is not new in Polar, whatever became of its
        # note (deleted in Anki): never taken for the edit of a card gone beside it.
        known = self.left_deleted
        if gone_by_key and unmatched:
            fresh = [card for card in unmatched if card.card_id not in old and card.card_id not in known]
            chosen, decided = self._match_by_text(fresh, meta, gone_by_key, made3) if fresh else ({}, set())
        labels: Optional[FrozenSet[str]] = None  # the document's labels as on an old note, when needed
        for card in unmatched:
            card_meta = meta.get(card.card_id, NO_META)
            raw = card.card if isinstance(card, Pending) else None  # as read, for an old-sync note
            key = _gone_key(card_meta, gone_by_key)
            prev_chosen = chosen.get(card.card_id)
            queue = None if key in decided or card.card_id in made3 or card.card_id in old \
                or card.card_id in known else gone_by_key.get(key)
            if prev_chosen is not None or queue:
                rc = self._rendered(card)
                if rc is None:
                    continue
                planned.add(rc.card_id)
                prev = prev_chosen if prev_chosen is not None else queue.pop(0) if queue else None
                if prev is None:
                    continue
                used.add(prev.card_id)
                keeper, losers = pick_keeper(by_guid[prev.guid])
                self.plan.orphans += [Orphan(n, None, duplicate=True, keeper=keeper) for n in losers]
                self.update(keeper, rc, doc, prev, move_to, guid_for(card.card_id), card_meta)
                self.plan.rekeyed += 1
                continue
            sent = ""  # what Polar's old sync wrote as the note's first field
            if isinstance(card, Pending) and self.legacy.by_content:  # matched by its front
                sent = old_sync_front(card.card, card.kind)
                rendered = self._rendered(card)
                if rendered is None:
                    continue
                card = rendered
            if self.legacy.by_content and labels is None:
                labels = frozenset(tag for t in loaded.labels for tag in old_sync_label(t))
            adopted = self.legacy.take(card, sent, labels or frozenset(),
                                       old_sync_texts(raw) if raw is not None else ())
            if adopted is not None:
                rc = self._rendered(card)
                if rc is None:  # not syncable: the old note stays as it is
                    self.legacy.taken.discard(adopted.id)
                    continue
                planned.add(rc.card_id)
                # A card made after the old note (Polar re-creates a card it
                # edits, and a 2.x note is found by its front: the back may be
                # Polar's edit) is no text the old sync wrote: Polar's, as ever.
                written_from = raw is not None and not made_after(raw.created, adopted.id)
                self.update(adopted, rc, doc, None, None, guid_for(card.card_id), card_meta,
                            drop_tags=_legacy_tags(adopted),
                            old_sync_sent=old_sync_texts(raw) if raw is not None and written_from else None,
                            old_sync=True)
                self.plan.updates[-1].taken_over = "adopted"
                self.plan.adopted += 1
                continue
            planned.add(card.card_id)
            if raw is not None and sent:  # (rendered above, for an old note looked for by its text)
                self.made_as[card.card_id] = (raw.created, old_sync_texts(raw))
            self.plan.creates.append(Create(card, doc, deck, card.kind, card_meta))
        if any(gone_by_key.values()):
            self._kept_for_unsyncable(loaded, old, planned, gone_by_key, used)
        # A document not read whole (a part skipped, or a card of a new id
        # unreadable: maybe the edit of a card gone) says nothing of the
        # cards not seen: they keep their notes and rows, as its failure would.
        whole = not loaded.partial and all(cid in old for cid in loaded.unread)
        for c in vanished:
            if c.card_id in used:
                continue
            if whole:
                self.vanished(c, move_to)
            else:
                self.plan.carry.append(c)
        # Cards that failed to render keep their note and their state row.
        self.plan.carry += [c for cid, c in old.items() if cid in all_ids and cid not in planned]

    def _match_by_text(self, unmatched: List[Card], meta: Dict[str, CardMeta],
                       gone_by_key: Dict[Tuple[str, str], List[CardState]],
                       made3: AbstractSet[str] = frozenset(),
                       ) -> Tuple[Dict[str, CardState], Set[Tuple[str, str]]]:
        """For each parent and kind with more than one card on a side (gone
        since the last sync, or new), which gone card each new one takes:
        the pairs of most alike text first (the note's first field, and its
        answer before the context block, against the new card's), ties by
        age, as many pairs as cards on the smaller side. By age alone, a
        highlight's two cards edited in the other order than they were made
        swapped their notes: each card's reviews, due date and Anki edits
        went to the other's text. Returns {new card id: gone row} and the
        keys decided here (their other new cards are new notes; their gone
        rows not taken stay in ``gone_by_key``). New cards looked at are
        rendered now, in place in ``unmatched`` (the plan needs them).
        ``made3``: cards made in Polar 3, never an edit (left out)."""
        from difflib import SequenceMatcher

        by_key: Dict[Tuple[str, str], List[int]] = {}
        for i, card in enumerate(unmatched):
            key = _gone_key(meta.get(card.card_id, NO_META), gone_by_key)
            if key in gone_by_key and card.card_id not in made3:
                by_key.setdefault(key, []).append(i)
        chosen: Dict[str, CardState] = {}
        decided: Set[Tuple[str, str]] = set()
        for key, places in by_key.items():
            gone = gone_by_key[key]
            if len(gone) + len(places) <= 2:
                continue
            decided.add(key)
            new: List[RenderedCard] = []
            for i in places:
                rc = self._rendered(unmatched[i])
                if rc is not None:
                    unmatched[i] = rc
                    new.append(rc)
            olds = [_texts(pick_keeper(self.by_guid[g.guid])[0].fields) for g in gone]
            news = [_texts([rc.front, rc.back]) for rc in new]
            # Every pair when few; else each new card against the gone ones
            # sharing the most words with it (a highlight's 400 cards edited
            # at once: 160,000 pairs, ~30 s and their list, were compared).
            if len(olds) * len(news) <= PAIRS_COMPARED:
                compared: Iterable[Tuple[int, int]] = (
                    (gi, ni) for gi in range(len(olds)) for ni in range(len(news)))
            else:
                compared = _likely_pairs(olds, news)
            pairs = []
            for gi, ni in compared:
                (old_front, old_back), (front, back) = olds[gi], news[ni]
                score = SequenceMatcher(None, old_front, front, autojunk=False).ratio()
                if old_back or back:
                    score += 0.5 * SequenceMatcher(None, old_back, back, autojunk=False).ratio()
                pairs.append((-score, gi, ni))
            taken_gone: Set[int] = set()
            taken_new: Set[int] = set()
            for _, gi, ni in sorted(pairs):
                if gi in taken_gone or ni in taken_new:
                    continue
                taken_gone.add(gi)
                taken_new.add(ni)
                chosen[new[ni].card_id] = gone[gi]
            # (Those no likely pair was found for: by age, as many pairs as
            # cards on the smaller side, as when every pair is compared.)
            rest_gone = (gi for gi in range(len(gone)) if gi not in taken_gone)
            for ni, gi in zip((ni for ni in range(len(new)) if ni not in taken_new), rest_gone):
                taken_gone.add(gi)
                chosen[new[ni].card_id] = gone[gi]
            gone_by_key[key] = [g for gi, g in enumerate(gone) if gi not in taken_gone]
        return chosen, decided

    def _kept_for_unsyncable(self, loaded: LoadedDoc, old: Dict[str, CardState], planned: Set[str],
                             gone_by_key: Dict[Tuple[str, str], List[CardState]], used: Set[str]) -> None:
        """A Polar edit whose new card cannot be synced (a cloze whose last
        deletion was taken out, a front emptied: reported): the card it
        replaced keeps its note and its row as they are, as a card that fails
        to render does, instead of becoming an orphan (suspended, its reviews
        left with it when the card is fixed in Polar, which is another edit:
        a new id that then pairs with the kept row)."""
        meta, by_guid = loaded.card_meta, self.by_guid
        failed = [cid for cid in loaded.card_ids
                  if cid not in planned and cid not in old and not by_guid.get(guid_for(cid))
                  and cid not in loaded.made_in_polar_3]
        if failed and self.unsyncable_before is not None:
            # One the last sync could not sync either is no edit of a card
            # gone since (it was there beside it).
            known = self.unsyncable_before(loaded.key)
            failed = [cid for cid in failed if cid not in known]
        for cid in sorted(failed, key=lambda c: (meta.get(c, NO_META).created, c)):
            queue = gone_by_key.get(_gone_key(meta.get(cid, NO_META), gone_by_key))
            if queue:
                prev = queue.pop(0)
                used.add(prev.card_id)
                self.plan.carry.append(prev)

    def pair_legacy(self, leftovers: Sequence[Tuple[NoteInfo, OldNote]], docs: Sequence[LoadedDoc],
                    titles: Optional[Dict[str, str]] = None,
                    adopted_decks: Optional[Dict[str, FrozenSet[str]]] = None) -> None:
        """Old-sync notes no card claimed (``leftovers``) against the cards
        about to be created: a confident pair (``legacy.pair``) makes the old
        note that card's note, as a Polar edit does for this add-on's own
        notes; every other leftover is listed in the plan, never changed.
        ``titles``: the documents' titles (the old sync's deck for a
        document without tags could be its title); ``adopted_decks``: for a
        document without tags, the decks its old notes taken over this sync
        are in (the user may have moved them all into a deck of their own)."""
        titles = titles or {}
        moved = adopted_decks or {}
        if not leftovers:
            return
        # Each card as read (a Pending card), for when it was made (below).
        pending = {c.rc.card_id: c.rc.card for c in self.plan.creates if isinstance(c.rc, Pending)}
        if self.render is not None:  # their text is compared: every new card rendered now
            self.plan.creates = render_creates(self.plan.creates, self.render)
        by_doc = {d.key: d for d in docs}
        self._prefer_studied_versions(leftovers, by_doc, titles, moved)
        # A retyped card's new note is not an old-sync note's to take: its
        # old note gives up the card's guid for it (``retype``).
        retyped = {id(o.retype.create) for o in self.plan.orphans if o.retype is not None}
        new = []
        for c in self.plan.creates:
            d = by_doc.get(c.doc)
            if d is None or id(c) in retyped:
                continue
            labels = frozenset(tag for t in d.labels for tag in old_sync_label(t))
            text = f"{c.card.front} {c.card.back}"
            new.append(NewCard(c.card.card_id, c.doc, legacy_kind(c.kind), text, labels,
                               old_sync_decks(d.labels, d.deck, titles.get(c.doc, "")) | moved.get(c.doc, frozenset()),
                               *((c.card.front, c.card.back) if c.kind != "cloze" else ("", ""))))
        notes: Dict[int, NoteInfo] = {info.id: info for info, _ in leftovers}
        pairs = dict((cid, nid) for nid, cid in pair([old for _, old in leftovers], new))
        keep: List[Create] = []
        for c in self.plan.creates:
            nid = pairs.get(c.rc.card_id)
            if nid is None:
                keep.append(c)
                continue
            note = notes[nid]
            self.legacy.taken.add(note.id)
            # A 2.x note (no card id of its own) and a card made before it:
            # the card the old sync wrote it from, not a later version, so
            # what differs is the user's edit in Anki (a typo fixed in the
            # question, which found the note by its text no more), kept as
            # for a note taken over by its card's id. Else Polar's edit.
            raw = pending.get(c.card.card_id)  # (or kept when rendered early)
            created, sent = ((raw.created, old_sync_texts(raw)) if raw is not None
                             else self.made_as.get(c.card.card_id, ("", ())))
            same = (bool(created) and not any(legacy_card_id(t) for t in note.tags)
                    and not made_after(created, note.id))
            self.update(note, c.card, c.doc, None, None, guid_for(c.card.card_id), c.meta,
                        drop_tags=_legacy_tags(note), old_sync=True, paired=True,
                        old_sync_sent=sent if same else None)
            if same:
                self.plan.updates[-1].taken_over = "adopted"
                self.plan.adopted += 1
            else:
                self.plan.updates[-1].taken_over = "paired"
                self.plan.paired += 1
        self.plan.creates = keep
        # Suspended ones are the user's answer already ("Suspend them"): not repeated.
        self.plan.legacy_leftovers = sorted(
            nid for nid, info in notes.items()
            if nid not in self.legacy.taken and not all(c.queue == -1 for c in info.cards)
        )
        # Which of them are older versions of a card taken over now (told apart
        # in the report: the user may be studying both).
        taken = []
        for u in self.plan.updates:
            d = by_doc.get(u.doc)
            if u.taken_over and d is not None:
                labels = frozenset(tag for t in d.labels for tag in old_sync_label(t))
                taken.append(NewCard(u.rc.card_id, u.doc, legacy_kind(u.rc.kind), f"{u.rc.front} {u.rc.back}",
                                     labels, old_sync_decks(d.labels, d.deck, titles.get(u.doc, ""))
                                     | moved.get(u.doc, frozenset())))
        if taken and self.plan.legacy_leftovers:
            left = set(self.plan.legacy_leftovers)
            self.plan.legacy_older = sorted(older_versions([old for info, old in leftovers if info.id in left], taken))

    def _prefer_studied_versions(self, leftovers: Sequence[Tuple[NoteInfo, OldNote]], by_doc: Dict[str, LoadedDoc],
                                 titles: Dict[str, str], moved: Dict[str, FrozenSet[str]]) -> None:
        """A card whose own old note (taken by its id or front) the user
        suspended without ever studying it, while they study an older
        version of it: the old sync added a note for each edit of a card,
        and the user suspended the newer duplicate, not the one with their
        reviews. The version they study takes the card instead (its reviews
        and due date kept, as a pair); the suspended note stays as it is."""
        waiting = [(info, old) for info, old in leftovers
                   if info.reviewed and not old.suspended and info.id not in self.legacy.taken]
        if not waiting:
            return
        versions = StudiedVersions([old for _, old in waiting])
        for u in list(self.plan.updates):
            note = u.note
            if u.taken_over != "adopted" or not note.cards or note.reviewed \
                    or not all(c.queue == -1 for c in note.cards):
                continue
            d = by_doc.get(u.doc)
            if d is None:
                continue
            labels = frozenset(tag for t in d.labels for tag in old_sync_label(t))
            card = NewCard(u.rc.card_id, u.doc, legacy_kind(u.rc.kind), f"{u.rc.front} {u.rc.back}", labels,
                           old_sync_decks(d.labels, d.deck, titles.get(u.doc, "")) | moved.get(u.doc, frozenset()))
            nid = versions.of(card, self.legacy.taken)
            if nid is None:
                continue
            info = next(info for info, _ in waiting if info.id == nid)
            self.plan.updates.remove(u)
            self.plan.conflicts = [c for c in self.plan.conflicts if c.get("note_id") != note.id]
            self.legacy.taken.discard(note.id)
            self.legacy.taken.add(info.id)
            self.update(info, u.rc, u.doc, None, None, u.guid, u.meta, drop_tags=_legacy_tags(info), old_sync=True,
                        paired=True)
            self.plan.updates[-1].taken_over = "paired"
            self.plan.adopted -= 1
            self.plan.paired += 1

    def vanished(self, card: CardState, move_to: Optional[str] = None) -> None:
        """``card`` is gone from Polar: its note becomes an orphan (one
        already, when an earlier sync found it gone); ``move_to``: its
        document's new deck."""
        notes = self.by_guid.get(card.guid)
        if not notes:
            self.plan.drop_cards.append(card.card_id)  # the note is gone already
            return
        keeper, losers = pick_keeper(notes)
        self.plan.orphans.append(Orphan(keeper, card, move_to=move_to))
        self.plan.orphans += [Orphan(n, None, duplicate=True, keeper=keeper) for n in losers]

    def sweep(self, gone: Sequence[CardState], can_sweep: bool) -> None:
        """Cards gone from Polar with their document (``gone``) become orphans.
        Nothing is swept from an empty library: of the orphans only duplicates
        stay. (Polar notes no state row knows are never swept: see
        ``apply.plan_sweep``.)"""
        if not can_sweep:
            self.plan.orphans = [o for o in self.plan.orphans if o.duplicate]
            return
        for card in gone:
            self.vanished(card)


_CLOZE_NUMBERS = re.compile(r"\{\{c([\d,]+)::")


def _cloze_numbers(fields: Sequence[Optional[str]]) -> Set[str]:
    """The cloze numbers of a note's fields (``{{c2::…}}``, ``{{c1,3::…}}``)."""
    return {n for f in fields if f and "{{c" in f for m in _CLOZE_NUMBERS.finditer(f)
            for n in m.group(1).split(",") if n}


def emptied_cloze_cards(plan: Plan, notetypes: Dict[NotetypeId, NoteTypeRef]) -> List[Tuple[Update, int]]:
    """The updates of cloze notes that leave cards without their deletion
    (Polar took ``{{c2::…}}`` out of a studied cloze: Anki keeps the card,
    shows it as empty in the reviewer, and only Tools ▸ Empty Cards removes
    it), each with how many."""
    found: List[Tuple[Update, int]] = []
    for u in plan.updates:
        if not u.content_changed:
            continue
        nt = notetypes.get(u.note.mid)
        if nt is None or not nt.cloze:
            continue
        after = [new if new is not None else was for new, was in zip(u.fields, u.note.fields)]
        gone = len(_cloze_numbers(u.note.fields) - _cloze_numbers(after))
        if gone:
            found.append((u, gone))
    return found


def _gone_key(m: CardMeta, gone_by_key: Mapping[Tuple[str, str], object]) -> Tuple[str, str]:
    """Where the gone cards a new card may replace are: its parent and type.
    A later page's highlight in the same place as an earlier page's has been
    keyed "<id>@<page>" since 5 December 2026 (docmeta ``_page_key``); its
    cards were recorded under the plain id before, and a row keeps the ref
    it was written with until its card changes: when no gone row has the new
    key, the plain one's (what an earlier version paired the edit with)."""
    key = (m.ref, m.type)
    if key not in gone_by_key and "@" in m.ref:
        plain = (m.ref.rpartition("@")[0], m.type)
        if plain in gone_by_key:
            return plain
    return key


# A parent's gone and new cards compared pair by pair up to this many pairs
# (~40 ms); beyond, each new card against its LIKELY_PAIRS likeliest.
PAIRS_COMPARED = 400
LIKELY_PAIRS = 6
# A word (or a long word's three letters) found in more gone cards than this
# tells them apart too little to be looked at.
_COMMON_WORD = 24
_WORD = re.compile(r"\w+")


def _words(front: str, back: str) -> Set[str]:
    """A card's words for finding its likely pairs: each side's words, the
    three-letter pieces of the longer ones (an edited word, a language
    written without spaces still shares most of them), and each two words
    next to each other (cards of one sentence that share every word, each
    with another one blanked out, differ only there)."""
    out: Set[str] = set()
    for side, text in (("q", front), ("a", back)):
        before = ""
        for word in _WORD.findall(text.casefold()):
            out.add(side + word)
            if len(word) > 4:
                out.update(side + word[i:i + 3] for i in range(len(word) - 2))
            if before:
                out.add(f"{side}{before} {word}")
            before = word
    return out


def _likely_pairs(olds: Sequence[Tuple[str, str]], news: Sequence[Tuple[str, str]]) -> List[Tuple[int, int]]:
    """(gone, new) index pairs worth comparing: for each new card, the gone
    cards sharing the most of its words (ties: the older), at most
    ``LIKELY_PAIRS``. Work linear in the cards, bounded per card."""
    index: Dict[str, List[int]] = {}
    for gi, (front, back) in enumerate(olds):
        for word in _words(front, back):
            index.setdefault(word, []).append(gi)
    out: List[Tuple[int, int]] = []
    for ni, (front, back) in enumerate(news):
        shared: Dict[int, int] = {}
        for word in _words(front, back):
            holders = index.get(word)
            if holders is not None and len(holders) <= _COMMON_WORD:
                for gi in holders:
                    shared[gi] = shared.get(gi, 0) + 1
        best = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:LIKELY_PAIRS]
        out += [(gi, ni) for gi, _ in best]
    return out


def _texts(fields: Sequence[str]) -> Tuple[str, str]:
    """A card's question and answer as plain text, for likeness: the first
    field, and the second without its context block."""
    front = plain_text(fields[0], 400) if fields else ""
    back = plain_text(split_block(fields[1])[0], 400) if len(fields) > 1 and fields[1] else ""
    return front, back


def _legacy_tags(note: NoteInfo) -> List[str]:
    """The old sync's bookkeeping tags, dropped when a note is taken over."""
    return [t for t in note.tags if legacy_card_id(t) is not None or is_legacy_marker(t)]


def resolve_moves(plan: Plan, deck_id_of: Callable[[str], Optional[DeckId]]) -> None:
    """The cards each update moves: those whose home deck is not its target
    yet (all of them when the deck does not exist yet). A card borrowed by a
    filtered deck is judged by its home deck: one already home stays in the
    user's study session."""
    for u in plan.updates:
        if u.move_to:
            did = deck_id_of(u.move_to)
            u.move_cids = [c.id for c in u.note.cards if did is None or c.home != did]
    for o in plan.orphans:
        if o.move_to:
            did = deck_id_of(o.move_to)
            o.move_cids = [c.id for c in o.note.cards if did is None or c.home != did]


def _field_of(written: Callable[[int], Optional[Written]], nid: int, i: int, count: int) -> Optional[str]:
    """Field ``i``'s hash of a note's ``WRITTEN_KEY`` entry (its fields'
    hashes and the layout tag), when it has the shape this sync's has."""
    entry = written(nid)
    hashes = entry[0] if entry is not None else None
    if not hashes or len(hashes) != count + 1 or not isinstance(hashes[i], str):
        return None
    return hashes[i]


def decide_deletions(plan: Plan, settings: Settings, polar_notes: int,
                     recorded: Optional[Callable[[Sequence[int]], Dict[int, List[int]]]] = None,
                     set_aside: Optional[Callable[[], AbstractSet[int]]] = None) -> Optional[str]:
    """The deletion policy, the one place it is decided: what happens to each
    orphan's note. ``polar_notes``: how many Polar notes the collection will
    hold before the removals. Returns why nothing is deleted when the policy
    would remove more than ``delete_max_share`` of them (the orphans then stay
    as they were, their state rows too), else None. ``recorded``: the
    suspension records by note id (``SyncState.suspended_by_sync``), asked
    only about orphans whose tag is gone (``_taken_back``); ``set_aside``:
    the notes any computer's sync set aside (``SET_ASIDE_KEY``), asked only
    about such orphans whose card this computer's record has live."""
    policy = settings.deletion_policy
    taken_back = _taken_back(plan.orphans, recorded, set_aside)
    # A spare copy (``spare_copy``: another computer made the same note, and
    # this one holds nothing of the user's) goes under every policy: it is
    # no card removed in Polar, and set aside it would only be clutter.
    spare = [o for o in plan.orphans if o.spare]
    for o in spare:
        o.remove = True
    acting = len(plan.orphans) - len(taken_back) - len(spare)
    if policy == "delete" and acting > settings.delete_max_share * max(polar_notes, 1):
        why = (f"refused to delete {acting} of {max(polar_notes, 1)} synced notes "
               f"(over the delete_max_share limit of {settings.delete_max_share:.0%}); nothing was deleted")
        plan.carry += [o.card for o in plan.orphans if o.card is not None]
        # A retyped card stays in its old note as well: no new note beside
        # it with the same guid.
        _drop_retypes(plan, [o for o in plan.orphans if o.retype is not None])
        plan.orphans = spare
        return why
    for o in plan.orphans:
        if id(o) in taken_back or o.spare:
            o.move_cids = []  # the user's now (or going): where they keep it
            continue
        if policy == "delete":
            o.remove = True
            if o.card is not None:
                plan.drop_cards.append(o.card.card_id)
            continue
        if o.duplicate:
            # No longer a second copy of the Polar card: it keeps its reviews
            # but gets a guid of its own, so it is never matched again.
            o.new_guid = f"{DUPLICATE_GUID_PREFIX}{o.note.id}"
        elif o.retype is not None:
            # Its card has a new note, which takes the card's guid: it keeps
            # its reviews under a guid of its own (never restored: no
            # card of its kind will come back to it, so no record).
            o.new_guid = f"polar-retyped:{o.note.id}"
        o.add_tag = policy in ("tag", "suspend") and not o.note.has_tag_or_moved(ORPHAN_TAG)
        if policy == "suspend":
            o.suspend = [c.id for c in o.note.cards if c.queue != -1]
        if o.add_tag and not o.duplicate and o.retype is None:
            # Orphaned now: the sync suspends only the cards not suspended
            # already, and remembers them (a duplicate is never restored).
            o.record = list(o.suspend)
        if o.duplicate or o.retype is not None or not (o.add_tag or o.note.has_tag_or_moved(ORPHAN_TAG)):
            # Only a note set aside for its card follows its document
            # (``keep``: the note is left as it is).
            o.move_cids = []
    return None


def spare_copy(o: Orphan) -> bool:
    """Whether a duplicate is a mere copy of its keeper, as a second
    computer makes it before AnkiWeb brings it the first one's note: the
    same fields and tags, and cards never studied, suspended or buried (all
    new, in the new queue). The caller also checks that no card of it has a review in the log or a flag
    (``apply.settle_duplicates``)."""
    keeper = o.keeper
    if not o.duplicate or o.polar_copy or keeper is None or o.note.fields != keeper.fields:
        return False
    if sorted(t.lower() for t in o.note.tags) != sorted(t.lower() for t in keeper.tags):
        return False
    return all(c.reps == 0 and c.queue == 0 for c in o.note.cards)


def _taken_back(orphans: Sequence[Orphan], recorded: Optional[Callable[[Sequence[int]], Dict[int, List[int]]]],
                set_aside: Optional[Callable[[], AbstractSet[int]]] = None) -> Set[int]:
    """The orphans (by ``id()``) whose notes the user took back: the card
    was gone at an earlier sync, which tagged the note ``polar::deleted``
    (its suspension record says so: ``recorded``), and the tag has been
    removed since. Such a note is theirs: never tagged, suspended or
    deleted again. (An Undo of the sync that orphaned it leaves no such
    row: journal.py rolls it back. A note orphaned before the records, or
    under ``keep``, has none: the policy applies as it did.)"""
    untagged = [o for o in orphans if o.card is not None and not o.duplicate
                and o.retype is None and not o.note.has_tag_or_moved(ORPHAN_TAG)]
    maybe = [o for o in untagged if o.card is not None and o.card.orphaned]
    taken: Set[int] = set()
    if maybe and recorded is not None:
        records = recorded([o.note.id for o in maybe])
        taken = {id(o) for o in maybe if o.note.id in records}
    # Set aside by another computer's sync (AnkiWeb brought the note), then
    # taken back there: this computer's record still has the card live. It
    # gets a record of its own (nothing suspended by it), so later syncs
    # here find it taken back as above.
    fresh = [o for o in untagged if o.card is not None and not o.card.orphaned]
    if fresh and set_aside is not None:
        elsewhere = set_aside()
        for o in fresh:
            if o.note.id in elsewhere:
                taken.add(id(o))
                o.record = []
    return taken


def _drop_retypes(plan: Plan, orphans: Sequence[Orphan]) -> None:
    """Take the new notes of these retyped cards' orphans out of the plan;
    the cards' rows stay as they were (their old notes are not changed)."""
    if not orphans:
        return
    drop = {id(o.retype.create) for o in orphans if o.retype is not None}
    plan.creates = [c for c in plan.creates if id(c) not in drop]
    plan.carry += [o.retype.row for o in orphans if o.retype is not None and o.retype.row is not None]


def resolve_suspensions(plan: Plan, recorded: Callable[[Sequence[int]], Dict[int, List[int]]]) -> None:
    """A suspension the user made is never undone by a sync. A restored
    note gets back only the cards the sync suspended when it orphaned the
    note; an orphan suspended again (the user had unsuspended a card of it)
    adds those cards to its record. ``recorded``: note ids -> their records
    (``SyncState.suspended_by_sync``), asked only when there is such a note
    (never in a no-op resync)."""
    restoring = [u for u in plan.updates if u.unsuspend]
    again = [o for o in plan.orphans
             if o.suspend and o.record is None and not o.duplicate and not o.remove and o.retype is None]
    if not restoring and not again:
        return
    records = recorded([u.note.id for u in restoring] + [o.note.id for o in again])
    for u in restoring:
        mine = records.get(u.note.id)
        if mine is not None:
            ours = set(mine)
            u.unsuspend = [cid for cid in u.unsuspend if cid in ours]
        # No record: the note was orphaned by an older version, which kept
        # none; every suspended card comes back, as that version did.
    for o in again:
        mine = records.get(o.note.id)
        if mine is not None:
            o.record = mine + [cid for cid in o.suspend if cid not in mine]
        # (no record: an older version's orphan, restored as that version would)


def leave_alone(plan: Plan, note_ids: AbstractSet[int],
                set_aside_later: AbstractSet[int] = frozenset()) -> Dict[int, str]:
    """Take every write to these notes out of the plan (a note open in an
    editor is the user's), and the setting aside (suspending, deleting,
    tagging, moving) of the notes of ``set_aside_later`` (the card Anki's
    reviewer shows: an answer given meanwhile would undo a suspension).
    Their state rows stay as they were, so the next sync of their documents
    merges against the same base as this one would have. Returns {note id:
    document key} of the notes that had work."""
    if not note_ids and not set_aside_later:
        return {}
    held: Dict[int, str] = {}
    held_paths: Set[str] = set()
    updates: List[Update] = []
    for u in plan.updates:
        if u.note.id not in note_ids or not (u.writes_note or u.unsuspend or u.move_cids):
            updates.append(u)
            continue
        held[u.note.id] = u.doc
        held_paths.add(f"{u.doc}#{u.rc.card_id}")
        if u.old is not None:
            plan.carry.append(u.old)
            plan.rekeyed -= u.old.card_id != u.rc.card_id
        plan.adopted -= u.taken_over == "adopted"
        plan.paired -= u.taken_over == "paired"
    plan.updates = updates
    orphans: List[Orphan] = []
    retyped: List[Orphan] = []
    for o in plan.orphans:
        if (o.note.id not in note_ids and o.note.id not in set_aside_later) or not o.needs_work:
            orphans.append(o)
            continue
        if o.card is not None:
            held[o.note.id] = o.card.doc
            plan.carry.append(o.card)
            if o.card.card_id in plan.drop_cards:
                plan.drop_cards.remove(o.card.card_id)
        if o.retype is not None:
            # Its card's new note waits with it: made now, it would share the
            # card's guid with the old note until the next sync.
            held[o.note.id] = o.retype.doc
            retyped.append(o)
        # (a duplicate no state row knows is found again by the next full check)
    plan.orphans = orphans
    _drop_retypes(plan, retyped)
    # Nothing was decided for them: their conflicts come up when they sync.
    plan.conflicts = [c for c in plan.conflicts if c.get("path") not in held_paths]
    return held


def count(plan: Plan, report: Report, deletion_policy: DeletionPolicy,
          deck_of: Optional[Dict[str, str]] = None) -> None:
    """The report's figures, each computed here once, from the plan (the
    same for a dry run), and the list of changed notes behind them
    (``report.changes``, one row per counted change; ``deck_of``: document
    key -> its Polar deck). New notes come first, in ``plan.creates`` order."""
    report.created = len(plan.creates)
    report.updated = sum(1 for u in plan.updates if u.counted)
    report.unchanged += sum(1 for u in plan.updates if not u.counted)
    report.moved = sum(1 for u in plan.updates if u.move_cids)
    report.restored = sum(1 for u in plan.updates if u.note.has_tag_or_moved(ORPHAN_TAG))
    report.adopted = plan.adopted
    report.rekeyed = plan.rekeyed
    report.paired = plan.paired
    report.legacy_leftovers = list(plan.legacy_leftovers)
    report.legacy_older = list(plan.legacy_older)
    report.conflicts = plan.conflicts
    report.duplicates = sum(1 for o in plan.orphans if o.duplicate and not o.spare)
    report.copies = sum(1 for o in plan.orphans if o.spare)
    fresh = sum(1 for o in plan.orphans if _fresh(o))
    if deletion_policy == "delete":
        report.deleted = fresh + report.duplicates
    else:
        report.orphaned = fresh
        report.removed_as = deletion_policy
    report.changes = _changes(plan, deletion_policy, deck_of or {})


def _fresh(o: Orphan) -> bool:
    """An orphan counts once as a card removed in Polar: when its card went
    (its state row is not marked yet), or, for a note no state row knew,
    when the policy acts on it. A retyped card's old note counts so too,
    unless its card had gone before (its row marked then, counted then)."""
    if o.duplicate:
        return False
    if o.retype is not None:
        return not (o.retype.row is not None and o.retype.row.orphaned)
    return not o.card.orphaned if o.card else o.needs_work


def _changes(plan: Plan, deletion_policy: str, deck_of: Dict[str, str]) -> List[Change]:
    # (a pending create's front arrives once the write has rendered it)
    out = [Change("created", 0, c.deck, c.doc, c.rc.card_id, c.meta.page,
                  "" if isinstance(c.rc, Pending) else c.rc.front, "") for c in plan.creates]
    for u in plan.updates:
        kinds = []
        if u.counted:
            kinds.append("updated")
        if u.move_cids:
            kinds.append("moved")
        if u.note.has_tag_or_moved(ORPHAN_TAG):
            kinds.append("restored")
        for kind in kinds:
            deck = u.move_to or deck_of.get(u.doc, "")
            out.append(Change(kind, u.note.id, deck, u.doc, u.rc.card_id, u.meta.page, u.rc.front,
                              u.taken_over if kind == "updated" else ""))
    delete = deletion_policy == "delete"
    for o in plan.orphans:
        counted = o.duplicate and not o.spare and delete or _fresh(o)
        if not counted:
            continue
        if o.retype is not None:
            doc, card = o.retype.doc, o.retype.card_id
        else:
            doc = o.card.doc if o.card else ""
            card = o.card.card_id if o.card else ""
        front = o.note.fields[0] if o.note.fields else ""
        out.append(Change("deleted" if delete else "removed", o.note.id, deck_of.get(doc, ""), doc, card, 0, front, ""))
    return out


class LegacyIndex:
    """Notes of Polar's old AnkiConnect sync, waiting to be adopted:
    ``polar_guid:<id>`` tags name their card; ``_polar-flashcard`` notes
    without one are matched by their first field within the same note type
    (``mids``: the ids of the note types the old sync used for each kind)."""

    def __init__(self, notes: Sequence[NoteInfo], mids: Optional[Dict[str, List[NotetypeId]]] = None) -> None:
        self.mids = mids or {}
        self.by_id: Dict[str, NoteInfo] = {}
        self.by_content: Dict[Tuple[NotetypeId, str], List[NoteInfo]] = {}
        for note in notes:
            ids = [i for i in (legacy_card_id(t) for t in note.tags) if i]
            if ids:
                for ident in ids:
                    self.by_id.setdefault(ident, note)
            elif any(is_legacy_marker(t) for t in note.tags):
                key = (note.mid, plain(note.fields[0] if note.fields else ""))
                self.by_content.setdefault(key, []).append(note)
        self.notes = list(notes)
        self.taken: Set[NoteId] = set()
        # The label sets (``old_sync_label``) of the documents being synced:
        # a note carrying another document's is that document's (``take``).
        self.doc_labels: List[FrozenSet[str]] = []

    def kind_of(self, mid: NotetypeId) -> Optional[str]:
        """"basic" or "cloze" for a note in a type the old sync used, else None."""
        for kind in ("cloze", "basic"):
            if mid in self.mids.get(kind, ()):
                return kind
        return None

    def notes_of(self, cards: Sequence[Union[RenderedCard, Pending]]) -> List[NoteInfo]:
        """The old notes these cards name (1.x) or whose first field is one
        of theirs (2.x; another book's with the same front too): where a
        document's old notes are, before anything is taken."""
        found: Dict[NoteId, NoteInfo] = {}
        for card in cards:
            note = self.by_id.get(card.card_id)
            if note is not None:
                found[note.id] = note
            elif self.by_content:
                front = old_sync_front(card.card, card.kind) if isinstance(card, Pending) else card.front
                for mid in self.mids.get(card.kind, ()):
                    found.update((n.id, n) for n in self.by_content.get((mid, plain(front)), ()))
        return list(found.values())

    def untaken(self) -> List[NoteInfo]:
        return [n for n in self.notes if n.id not in self.taken]

    def take(self, rc: Union[RenderedCard, Pending], sent: str = "", labels: FrozenSet[str] = frozenset(),
             texts: Sequence[str] = ()) -> Optional[NoteInfo]:
        """The old note of this card; by its front only for a rendered card
        (the caller renders a pending one when ``by_content`` is not empty):
        the text Polar's old sync ``sent`` for it (Markdown raw, TEXT and a
        bare ``&`` unescaped, see ``old_sync_front``) first, then the front
        this add-on renders. Of several notes with that front (the same
        question in two books, or twice in one), the one of the card's
        document (it carries all its ``labels``, as ``old_sync_label`` gives
        them) and then with the card's other fields (``texts``: what the old
        sync wrote, ``old_sync_texts``; or as rendered) is taken: the first
        found gave one book's card the other's note, its reviews and deck."""
        note = self.by_id.get(rc.card_id)
        if note is None and self.by_content and not isinstance(rc, Pending):  # plain() per card is not free
            keys = [plain(rc.front)]
            if sent:
                first = plain(sent)
                if first != keys[0]:
                    keys.insert(0, first)
            found: List[NoteInfo] = []
            for key in keys:
                for mid in self.mids.get(rc.kind, []):
                    found += [cand for cand in self.by_content.get((mid, key), ()) if cand.id not in self.taken]
            if found and sent and "<img" in sent.lower():
                # Another card's image, with the same words (or none) beside it.
                images = old_sync_images(sent)
                found = [n for n in found if images_fit(n.fields[0] if n.fields else "", images)]
            if found and labels and self.doc_labels:
                # A note of another document with the same front is not this
                # card's: AnkiConnect refused a second note with a first field
                # another one had, so the same question in two books has one
                # old note, which is the first book's.
                def own(n: NoteInfo) -> bool:
                    tags = note_tags(n.tags)
                    return labels <= tags or not any(ls and ls != labels and ls <= tags for ls in self.doc_labels)

                found = [n for n in found if own(n)]
            if len(found) > 1:
                wanted = {plain(t) for t in (*texts, rc.back)} - {""}

                def rank(n: NoteInfo) -> Tuple[bool, bool]:
                    return (not labels <= note_tags(n.tags), not {plain(f) for f in n.fields[1:]} - {""} <= wanted)

                found.sort(key=rank)
                if rank(found[0]) == rank(found[1]) and found[0].fields[1:] != found[1].fields[1:]:
                    # Two of them fit as well, with other answers ("Define:"
                    # twice, the answer edited in Polar; an image alone in
                    # front): which is this card's is for pairing to tell,
                    # by text and with no rival, or no one.
                    found = []
            note = found[0] if found else None
        if note is None or note.id in self.taken:
            return None
        self.taken.add(note.id)
        return note
