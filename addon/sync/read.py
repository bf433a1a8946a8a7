"""The read phase: list the library, read, hash, parse and render each
document that changed; a document no sync has seen is parsed only, its cards
rendered by the write while Anki adds notes (``Pending``). No collection
access, so it can run on a background thread while Anki stays usable
(``engine.prepare``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    AbstractSet,
    Any,
    Callable,
    Collection,
    Dict,
    FrozenSet,
    List,
    Literal,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from ..numbers import counted
from ..polar.docmeta import DocMetaError, Document, Flashcard
from ..polar.library import (
    DocumentFile,
    ExportSource,
    ImageOnlineOnly,
    Source,
    SourceError,
    beside,
    download_in_progress,
    newer_export_beside,
    open_source,
    resolve_data_dir,
)
from ..settings import ENGLISH_PAGE_LABEL, Settings
from .decks import deck_for
from .report import Report
from .state import DocState, SyncState
from .stop import Stopped, StopWish

if TYPE_CHECKING:  # the renderer is imported only when a document needs it
    from ..render.card import RenderedCard

Progress = Callable[[str], None]

# Bytes of changed documents from which the reading alone lasts about the
# 0.6 s after which Anki shows an operation's progress window (~30 MB of
# DocMeta a second here): the GUI shows its window before such a reading
# rather than in the middle of it (``read_library``'s ``on_long_read``).
LONG_READ_BYTES = 16 * 1024 * 1024

SKIP_TAG = "polar-sync:skip"
# Bump when rendering changes what a note holds, so existing notes follow.
# 2: < > removed from tags and deck names; 3: invisible characters too, Anki's
# deck limits; 4: styled context block, never on a question, merged apart;
# 5: a user's colours, weight, slant and lines kept (render/inline_style.py);
# 6: a <pre> scrolls inside itself, a web capture's site link in the line's
# colour (only notes holding either change: the rest are read again, not written);
# 7: a <pre>'s lines start at its start edge, not centred by the stock types;
# 8: a <table> scrolls inside itself, CKEditor 5's figures kept, an embedded
# video (<oembed>) a link (Polar 2.x's editor), an image given a width and a
# height keeps its shape when the card is narrower; 9: an EPUB's place is its
# section, "§ 3", not "p. 3" (render/context.py SECTION_HTML), and Anki's own
# syntax in Polar's text shown as written (a sound or TTS tag in any field;
# LaTeX and MathJax in the highlight, comments and title; render/html.py
# literal_anki_syntax). Both came in one session: one version, and
# field_merge knows version 8's output of each; 10: an area highlight's
# picture has an alt, its source line's words (render/context.py image_alt:
# a screen reader said the file's name); only notes with a picture change;
# 11: a colour with a night (or light) variant also gets a color-mix() that
# reads in both themes, for Anki 23.10 to 25.x, whose web view knows no
# light-dark() (render/inline_style.py); only notes with such a colour change.
# 12: the block alone in a stock Cloze's Back Extra, after a text ending in a
# paragraph, has its rule pulled up over the empty line of the template's
# "<br>" (render/style.py PULLED_RULE), and the block alone after a stock
# Basic's "<hr id=answer>" (a card without an answer) has no rule of its own
# (render/context.py ruleless); only such notes change.
# 13: Markdown as Polar shows it (marked's ``breaks`` and GFM strikethrough:
# a line break inside a paragraph, ``~struck~``; render/html.py), and every
# text as Anki keeps it in a note (composed, without the control characters
# Anki drops: render/html.py as_anki_keeps); only such notes change, and
# version 12's hash of them still reads as Polar's (``RenderedCard.as_polar``).
RENDER_VERSION = "13"


class CardMeta(NamedTuple):
    """What a Polar card says about itself, kept to recognise it re-created."""

    ref: str  # "<type>:<id>" of its parent (text highlight, area highlight, page)
    type: str
    created: str
    page: int = 0  # for the report


NO_META = CardMeta("", "", "")
# From every field in order, in C: NamedTuple's own constructor is a Python
# function (~0.18 us a call), and a read makes these for every card.
_new_meta = partial(tuple.__new__, CardMeta)


class Pending(NamedTuple):
    """A card read but not rendered yet: a card of a document no sync has
    seen, which almost always becomes a new note. Rendering is half of a
    first sync's Python work before the write, so it is left to the write,
    whose note builder renders each batch while Anki's add_notes (Rust,
    without the GIL) writes the batch before (``write.add_notes``). The plan
    needs only what the parse knows (id, kind, place in reading order);
    whatever needs a card's content renders it on the spot
    (``Reading.render``). Held from the read to the write for every card of
    a first sync: only references (its reading key is made when the write
    puts the new notes in order, ``new_note_order.reading_key``)."""

    card_id: str
    kind: str
    doc: Document
    card: Flashcard
    file: DocumentFile


_new_pending = partial(tuple.__new__, Pending)  # (see _new_meta)

Card = Union["RenderedCard", Pending]

# unchanged: not read (same signature or hash as last time); parsed: read and
# rendered; failed: unreadable (reported; its notes are left alone); skipped:
# read, but polar-sync:skip or archived (its notes are left alone).
DocStatus = Literal["unchanged", "parsed", "failed", "skipped"]


@dataclass
class LoadedDoc:
    """One document as this run saw it."""

    file: DocumentFile
    status: DocStatus
    sha: str = ""
    read_at_ns: int = 0  # when the file was read (0: not read this time)
    deck: str = ""  # the deck named from Polar (what the state remembers, what a deck change compares)
    # The deck its cards go to when that is not ``deck``: the deck the sync
    # put them in, renamed or moved by the user in Anki since (deck_steps.follow_renamed_decks)
    place: str = ""
    cards: List[RenderedCard] = field(default_factory=list)
    # The cards of a document no sync has seen, not rendered yet (Pending)
    pending: List[Pending] = field(default_factory=list)
    # Ids of every card the document holds, including ones that failed to
    # render: their existing notes must be left alone, never swept.
    card_ids: Set[str] = field(default_factory=set)
    card_meta: Dict[str, CardMeta] = field(default_factory=dict)
    # The document's Polar tag labels (what Polar's old sync copied onto its
    # notes: how a leftover note of that sync is traced to its document)
    labels: Tuple[str, ...] = ()
    # Cards made in Polar 3 (``Document.made_in_polar_3``): never an edit of a card gone since
    made_in_polar_3: FrozenSet[str] = frozenset()
    # Cards the document holds whose value could not be read (reported; in
    # ``card_ids`` too), and whether a part of it that may hold cards of
    # unknown ids was skipped (reported): then no card of it is taken as
    # deleted (``Planner.document``), since it may be in what was not read.
    unread: FrozenSet[str] = frozenset()
    partial: bool = False

    @property
    def key(self) -> str:
        return self.file.key

    @property
    def target(self) -> str:
        """The deck its cards go to: ``place``, else ``deck``."""
        return self.place or self.deck

    def every_card(self) -> Sequence[Card]:
        """Its rendered and its pending cards."""
        if not self.pending:
            return self.cards
        return [*self.cards, *self.pending] if self.cards else self.pending


@dataclass
class Reading:
    """The library as read by ``read_library``: what the apply phase plans from."""

    settings: Settings
    source: Source
    state: SyncState
    docs: Dict[str, LoadedDoc]
    listed: int  # documents found in the library (before `only`)
    only: Optional[Set[str]]
    report: Report
    progress: Optional[Progress] = None
    # Whether ``settings.page_label`` is the collection's own (stored by an
    # earlier sync) or only the one wanted for a new collection (page_label.py).
    label_fixed: bool = True
    # Documents of another library (another Polar account's export, another
    # data folder) that the state remembers: never taken as deleted while
    # this library is synced (``set_apart``); and what the state keeps of it.
    apart: Set[str] = field(default_factory=set)
    library_meta: Dict[str, str] = field(default_factory=dict)
    # ``WAITING_KEY`` as the reading found it (the apply must not read the
    # state file: the state rows' writer holds it then).
    waiting_images: Dict[str, List[str]] = field(default_factory=dict)
    stop: Optional[StopWish] = None  # asked at the stop points (``stop.StopWish``)
    # A stopped sync left work for this one (``state.REST_KEY``, read as the reading began).
    rest_owed: bool = False

    def with_status(self, status: DocStatus) -> List[LoadedDoc]:
        return [d for d in self.docs.values() if d.status == status]

    def reread(self, keys: Collection[str]) -> None:
        """Parse documents skipped as unchanged after all (the state cannot be
        trusted for them: their notes went missing, or it is another
        collection's)."""
        start = len(self.report.warnings)
        for key in keys:
            loaded = self.docs.get(key)
            if loaded is not None and loaded.status == "unchanged":
                self.docs[key] = read_document(loaded.file, self.source, self.settings, self.report,
                                               force=True, known=None)
        if len(self.report.warnings) > start:
            # (Rows said once, as the reading's are: a document kept online only, read again here.)
            said = _said_once(self.report, self.state, True, start, self.library_meta.get(SAID_KEY))
            if said is not None:
                self.library_meta[SAID_KEY] = said

    def render(self, card: Pending, placed: bool = False) -> Optional[RenderedCard]:
        """Render a pending card, its problems reported; None when it cannot
        be synced. Any thread: no collection access. ``placed``: see
        ``render_card``."""
        return render_one(card.doc, card.card, card.file, self.source, self.settings, self.report, placed)


R = TypeVar("R", bound=Reading)


def content_hash(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


# A file whose mtime is this close to the moment it was read may be rewritten
# again within the same timestamp tick (coarse clocks; FAT/exFAT: 2 s) with the
# same size, leaving its signature unchanged. Git calls such entries "racily
# clean"; like git, such a signature is not trusted: the next sync re-hashes
# the file (cheap) instead of skipping it.
RACY_NS = 3_000_000_000


def trusted_signature(loaded: LoadedDoc) -> Tuple[int, int]:
    size, stamp = loaded.file.signature
    if loaded.file.timestamped and loaded.read_at_ns - stamp < RACY_NS:
        return size, -1  # never equal to a real mtime
    return size, stamp


_TITLE = re.compile(rb'"title"\s*:\s*"((?:[^"\\]|\\.){1,1000})"')


def salvage_title(data: bytes) -> str:
    """The title of a document that cannot be parsed (cut short, damaged),
    when its ``"title": "…"`` is still readable near the start; else ""."""
    match = _TITLE.search(data[:65536])
    if not match:
        return ""
    try:
        title = json.loads(b'"' + match.group(1) + b'"')
    except ValueError:
        return ""
    return " ".join(str(title).split())[:200]


def _title_from_backups(source: Source, key: str) -> str:
    """A damaged document's title from Polar's own backups of it (an empty
    or garbled file keeps none): the report names the book, not
    "document 1Empty0000…"; "" when none says it."""
    try:
        for read in source.earlier_copies(key)[:5]:
            try:
                title = salvage_title(read())
            except (OSError, ValueError):
                continue
            if title:
                return title
    except OSError:
        pass
    return ""


def _signature_unchanged(file: DocumentFile, known: DocState) -> bool:
    """The document as the last sync read it, by its cheap signature alone."""
    return known.ok and tuple(file.signature) == (known.size, known.mtime)


# A document the watcher saw rewritten in place that cannot be parsed and
# was written less than this long ago is taken as still being written: a
# document copied in place (a restore, a file manager's copy over a slow
# share) can be seen half-way by the poll. (Polar and the cloud clients
# write a temp file and rename it: a replaced file is whole, and a broken
# one is reported at once.) Not a problem yet: the GUI reads it again once
# it is this old (``Report.being_written``).
WRITING_NS = 5_000_000_000

# The sha a failed document's state row keeps when it is a copy told by its
# fingerprint (``read_document``'s ``listed``), followed by the folder it is
# a copy of; its signature is kept too (``apply.remember``), so that an
# unchanged copy is not parsed at every sync.
COPY_SHA = "copy:"


def _just_written(file: DocumentFile) -> bool:
    """Written within ``WRITING_NS`` (an mtime in the future, a clock that
    differs on a share, does not count: it would never grow old)."""
    return file.timestamped and 0 <= time.time_ns() - file.signature[1] < WRITING_NS


def _copy_unchanged(file: DocumentFile, known: DocState) -> bool:
    """A copy told by its fingerprint (``COPY_SHA``), by its signature as then."""
    return not known.ok and known.sha.startswith(COPY_SHA) and tuple(file.signature) == (known.size, known.mtime)


def _say_copy(report: Report, file: DocumentFile, of: str) -> None:
    """The row of a copy told by its fingerprint (``read_document``'s
    ``listed``): the folder ``file`` is a copy of the document ``of``."""
    # (Its name not a service's: a copy made by hand, Windows' "… - Copy",
    # the Finder's "… copy", as likely as a service's copy renamed.)
    report.warn(file.label, (
        f"the folder {file.key} holds a copy of this document (made by hand, or by a file-syncing service and "
        "renamed since): not synced, the document's own folder is"), code="folder_copy", document=of,
        file=file.key)


def read_document(
    file: DocumentFile,
    source: Source,
    settings: Settings,
    report: Report,
    force: bool,
    known: Optional[DocState],
    defer: bool = False,
    just_changed: bool = False,
    stored_refs: Optional[Callable[[str], Dict[str, str]]] = None,
    listed: AbstractSet[str] = frozenset(),
) -> LoadedDoc:
    """Read, hash, parse and render one document, unless it is unchanged.

    Unchanged means: same (size, mtime) as last time, or else the same content
    hash (a touched but identical file). Only then is the parse skipped.
    ``defer``: its cards are left unrendered (``LoadedDoc.pending``).
    ``just_changed``: the watcher saw this file rewritten in place just now
    (not replaced: a replaced file is whole); if it cannot be parsed and was
    written moments ago it is left for a moment (``Report.being_written``),
    not reported as damaged.
    ``stored_refs``: the last sync's parent refs of a document's cards
    (``SyncState.card_refs``), asked only when a card's highlight ref names
    no highlight of the document (``_stored_parent``).
    ``listed``: the library's document folders, for a document not synced
    before: one whose file names another of them as its fingerprint is a
    copy of that one (a file-syncing service's conflict copy renamed by
    hand, which ``library.copy_of`` cannot tell by its name): not synced,
    said as a copy (its cards would be the same cards twice, and one edited
    in Polar since a duplicate note)."""
    if not force and known is not None and (_signature_unchanged(file, known) or (file.offline and known.ok)):
        # (offline: a placeholder stands in its place, the file kept online
        # only by a file-syncing service: as the last sync read it; see
        # library.PLACEHOLDERS)
        return LoadedDoc(file, "unchanged", sha=known.sha, deck=known.deck)
    if not force and known is not None and _copy_unchanged(file, known) and known.sha[len(COPY_SHA):] in listed:
        # A copy told by its fingerprint (below), unchanged, its document's
        # folder still there: a copy still, not parsed again. Its row said
        # again, unparsed (SAID_ONCE leaves it out, and keeps it said).
        _say_copy(report, file, known.sha[len(COPY_SHA):])
        return LoadedDoc(file, "failed", sha=known.sha)
    read_at = time.time_ns()
    key = file.key
    if file.notice:
        report.warn(file.label, file.notice, code="name_not_utf8", document=key)
    try:
        data = file.read()
    except Exception as exc:  # I/O, a damaged archive entry (bad CRC, encrypted, unknown method): this one only
        if file.offline:
            # A placeholder only (library.PLACEHOLDERS), never read by a sync:
            # nothing is wrong with the disk; the service downloads it when
            # asked, and the watcher then sees its state.json arrive. Said
            # once (SAID_ONCE): a new computer's folder may hold hundreds.
            report.warn(file.label, (
                f"{file.offline} keeps this document's folder online only: its file is not on this computer yet, so "
                "its cards were not synced; once the folder is downloaded it syncs by itself"),
                code="online_only", document=key, file=key, service=file.offline)
            return LoadedDoc(file, "failed")
        # OSError: the disk, the rights; ValueError: refused (not a plain file,
        # leads outside the folder, too large, an export's damaged entry).
        report.error(file.label, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}",
                     code="file_refused" if isinstance(exc, ValueError) else "unreadable_file", document=key,
                     refused=getattr(exc, "kind", None))
        return LoadedDoc(file, "failed")
    sha = content_hash(data)
    if not force and known is not None and known.ok and known.sha == sha:
        # Same content under a new signature (touched, copied back): not
        # parsed, but its signature is recorded again (``trusted_signature``).
        return LoadedDoc(file, "unchanged", sha=sha, deck=known.deck, read_at_ns=read_at)
    try:
        doc = file.parse(data)
    except (DocMetaError, RecursionError, MemoryError, UnicodeError) as exc:
        if just_changed and isinstance(exc, DocMetaError) and _just_written(file):
            report.being_written[key] = file.label  # failed: the next sync reads it again
            # A row, not a problem: the person is told it is left for a
            # moment (not "up to date"); nothing is wrong with it.
            report.warn(file.label, "the file was still being written when it was read (a copy or a file-syncing "
                        "service at work): not damaged, left as it is until a sync reads it whole",
                        code="being_written", document=key)
            return LoadedDoc(file, "failed", sha=sha)
        why = exc if isinstance(exc, DocMetaError) else type(exc).__name__
        if key not in report.titles:  # not remembered from an earlier sync
            report.titles[key] = salvage_title(data) or _title_from_backups(source, key)
        report.error(file.label, f"not a readable Polar document: {why}", code="not_a_document", document=key)
        return LoadedDoc(file, "failed", sha=sha)
    report.parsed += 1
    if doc.claimed and doc.claimed != key and doc.claimed in listed:
        _say_copy(report, file, doc.claimed)
        # (Its sha names what it is a copy of: the state keeps its signature,
        # and the next sync reads it only if it changed or that folder went.)
        return LoadedDoc(file, "failed", sha=COPY_SHA + doc.claimed, read_at_ns=read_at)
    if not doc.title and doc.filename:
        doc = _titled(doc, source)
    known_as = doc.known_as
    # The report names an untitled document by its file as imported or its web address
    # ("bigtable.pdf", not the stash's "1ag3DiKsWi-bigtable.pdf"; its cards keep Polar's name).
    report.titles[key] = doc.title or known_as or doc.display_title
    if known_as:
        report.sources[key] = known_as
    else:  # (one remembered from an earlier version of it is no longer so)
        report.sources.pop(key, None)
    unread: Set[str] = set()  # cards there but not readable: their notes stay as they are
    partial = False  # a part skipped whose cards are unknown
    for card_id, problem in doc.problems:
        if card_id:
            unread.add(card_id)
            report.error(f"{file.label}#{card_id}", problem, code="card_problem", document=key, card=card_id)
        else:
            partial = True
            report.error(file.label, problem, code="document_part_skipped", document=key)
    if doc.held_back:
        n = doc.held_back
        report.warn(file.label, (
            f"{n} flashcard{'s' if n != 1 else ''} edited in Polar 3 could not be matched one to one with "
            f"{'their' if n != 1 else 'its'} earlier copies in the document; not synced, so as to make no duplicate "
            "(the earlier copies stay as they were)"), code="block_flashcards_held_back", document=key, count=n)
    deck, warning, issues = deck_for(doc, settings)
    if warning:
        report.warn(file.label, warning, code="deck_tag", deck=deck, document=key, issues=issues or None)
    refs: Optional[Dict[str, str]] = None
    if doc.dangling and stored_refs is not None:
        refs = stored_refs(key)
        doc = _comments_by_stored_parents(doc, refs)
    # The parsed Document is kept only with pending cards (see Pending):
    # otherwise only the rendered cards are needed later.
    loaded = LoadedDoc(file, "parsed", sha=sha, deck=deck, read_at_ns=read_at, labels=tuple(doc.tags),
                       made_in_polar_3=doc.made_in_polar_3, unread=frozenset(unread), partial=partial)
    meta = loaded.card_meta
    tags_lower = {t.lower() for t in doc.tags}
    tagged = SKIP_TAG in tags_lower
    skipped = tagged or (settings.skip_archived and doc.archived)
    if skipped:  # its cards' meta only (below)
        loaded.status = "skipped"
        report.skipped_documents += 1
        report.skipped_archived += not tagged
    else:
        # Imported here, not at the top: Anki imports this module at start (the
        # GUI's runner), and the renderer's modules are ~1/3 of the add-on's
        # import time; only a document that changed needs them.
        from ..render.card import KINDS, looks_unsyncable

    # Deferred: the Document is kept with its cards for the write to render
    # them. Until the document's first card that looks syncable, a card that
    # looks unsyncable is rendered (and reported) now, so that no deck is
    # made for a document none of whose cards can be synced. From that card
    # on the deck is made anyway: the rest are left to the write as they are
    # (its rendering tests each one; ~1.4 us a card less before the plan).
    # (Each card's meta made in the same pass: one loop over the cards, not two.)
    syncable = False
    pending = loaded.pending
    highlights = doc.highlights
    guessed = doc.guessed
    for card in doc.flashcards:
        if stored_refs is not None and card.ref_type in _HIGHLIGHT_REFS and (
                card.ref_id not in highlights or (guessed and card.id in guessed)):
            if refs is None:
                refs = stored_refs(key)
            card = _stored_parent(card, refs.get(card.id), highlights, guessed.get(card.id))
        meta[card.id] = _new_meta((f"{card.ref_type}:{card.ref_id}", card.type, card.created, card.page))
        if skipped:
            continue
        if defer and (syncable or not looks_unsyncable(card)):
            pending.append(_new_pending((card.id, KINDS.get(card.type, "basic"), doc, card, file)))
            syncable = True
            continue
        rc = render_one(doc, card, file, source, settings, report)
        if rc is not None:
            loaded.cards.append(rc)
    loaded.card_ids.update(meta)
    loaded.card_ids.update(unread)
    return loaded


_HIGHLIGHT_REFS = frozenset(("text-highlight", "area-highlight"))


def _stored_parent(card: Flashcard, stored: Optional[str], highlights: Mapping[str, Any],
                   guessed: Optional[str] = None) -> Flashcard:
    """A card whose highlight ref names no highlight, given the parent the
    last sync found for it, when that one is still there.

    Polar's ``TextHighlights.setRevisedText`` re-keys a highlight under a new
    random id at every revision and keeps only its guid: a card made after
    one revision points at that revision's id, which the next revision
    removes from the DocMeta (Polar's own sidebar then shows the card under
    no highlight). The last sync stored the card's parent as the highlight's
    guid (``docmeta._follow_refs``); a card's ref never changes under the
    same id in Polar (an edit is a new card), so that parent is still its
    own. A highlight deleted in Polar (its cards orphans, issue #1231) is in
    no stored ref either: such cards stay page-level.

    ``guessed``: the id the card's ref names, when the parse told its
    highlight from the times alone (``Document.guessed``). A card the last
    sync saw with another parent keeps that one, or none: the highlight it
    was made on was deleted since, and another that fits the times is not
    its own."""
    if not stored:
        return card
    if guessed is not None and stored != f"{card.ref_type}:{card.ref_id}":
        card = card._replace(ref_id=guessed)
    ref_type, _, ref_id = stored.partition(":")
    if ref_type in _HIGHLIGHT_REFS and ref_id in highlights:
        return card._replace(ref_type=ref_type, ref_id=ref_id)
    return card


def _comments_by_stored_parents(doc: Document, refs: Mapping[str, str]) -> Document:
    """``doc`` with the comments on a revision's lost id (``Document.dangling``)
    given the parent the last sync stored for a card made on the same id, when
    that highlight is still there (the DocMeta alone fits two: a later change
    of another highlight of the page may widen its times)."""
    from dataclasses import replace

    learnt: Dict[Tuple[int, str], Tuple[str, str]] = {}
    for card in doc.flashcards:
        place = (card.page, card.ref_id)
        if card.ref_type == "text-highlight" and place in doc.dangling:
            ref_type, _, ref_id = refs.get(card.id, "").partition(":")
            if ref_type == "text-highlight" and ref_id in doc.highlights:
                learnt[place] = (ref_type, ref_id)
    if not learnt:
        return doc
    comments = tuple(
        c._replace(ref_type=learnt[(c.page, c.ref_id)][0], ref_id=learnt[(c.page, c.ref_id)][1])
        if c.ref_type == "text-highlight" and (c.page, c.ref_id) in learnt else c
        for c in doc.comments
    )
    return replace(doc, comments=comments)


def _titled(doc: Document, source: Source) -> Document:
    """An untitled document named by its own file (an EPUB's ``dc:title``),
    when it names itself; else as it is (Polar shows its file name)."""
    from dataclasses import replace

    from ..polar.doc_title import stash_title  # only for untitled documents

    title = stash_title(source, doc.filename)
    return replace(doc, title=title) if title else doc


RenderCard = Callable[[Document, Flashcard, Callable[[str], bytes], Settings, bool], "RenderedCard"]
_render_card: Optional[RenderCard] = None


def _import_renderer() -> RenderCard:
    """``render_card``, imported on first use (Anki need not import the
    renderer at start); kept, because an import statement per card cost
    ~0.4 us."""
    global _render_card
    from ..render.card import render_card

    _render_card = render_card
    return render_card


def render_one(doc: Document, card: Flashcard, file: DocumentFile, source: Source, settings: Settings,
               report: Report, placed: bool = False) -> Optional[RenderedCard]:
    """One card rendered, its problems reported; None when it cannot be
    synced. ``placed``: see ``render_card``."""
    render_card = _render_card or _import_renderer()

    def load_image(name: str) -> bytes:
        try:
            return source.read_image(name, settings.max_image_bytes)
        except ImageOnlineOnly as exc:  # (the card keeps the note's picture: render.context.KEPT_IMAGE)
            report.images_online_only.setdefault(file.key, {})[card.id] = (name, exc.service, card.page or 0)
            raise

    try:
        rc = render_card(doc, card, load_image, settings, placed)
    except Exception as exc:  # a renderer bug must not stop the library
        report.error(f"{file.label}#{card.id}", f"could not render the card: {type(exc).__name__}: {exc}",
                     code="card_not_synced", **_where(file.key, card))
        return None
    if rc.problems or rc.error:  # the report's details made only for the few cards that need them
        where = _where(file.key, card)
        for problem in rc.problems:
            # (the row's message a plain str: rows go into JSON and SQLite)
            report.warn(f"{file.label}#{card.id}", str(problem), front=rc.front,
                        **{"code": "card_part_left_out", **where, **_issue(problem)})
        if rc.error:
            report.error(f"{file.label}#{card.id}", str(rc.error), front=rc.front,
                         **{"code": "card_not_synced", **where, **_issue(rc.error)})
            return None
    return rc


def _issue(problem: str) -> Dict[str, object]:
    """A rendering problem's kind and details (``render.issues.Issue``), as
    the report row's (read from the object: the renderer is not imported
    for this)."""
    code = getattr(problem, "code", None)
    return {"code": code, **getattr(problem, "details", {})} if code else {}


def _where(key: str, card: Flashcard) -> Dict[str, object]:
    """A card's place, as the report's details."""
    return {"document": key, "card": card.id, "page": card.page or None}


def _bytes_to_read(files: Sequence[DocumentFile], known: Dict[str, DocState], force: bool) -> int:
    """The size of the documents ``read_document`` will read (a signature it
    does not know: new, changed, or every one when ``force``)."""
    total = 0
    for file in files:
        prev = known.get(file.key)
        if force or prev is None or not (_signature_unchanged(file, prev) or _copy_unchanged(file, prev)):
            total += max(file.signature[0], 0)
    return total


def _reading_export(done: int, total: int) -> str:
    mb = 1024 * 1024
    share = done * 100 // total if total else 100
    return f"Reading the Polar export… {done // mb:,} of {total // mb:,} MB ({share}%)"


def _unidentified_may_be_gone(source: Source, files: Sequence[DocumentFile], known: Dict[str, DocState],
                              report: Report) -> bool:
    """True (and said once in the report) when a document is listed under a
    stand-in key because which one it is could not be told (an export's
    record cut short, with nothing beside it naming its document) while a
    document the last sync knew is missing: that may be the same document,
    so none may be taken as deleted this time. A stand-in key the last sync
    knew already is no such doubt."""
    unknown = [label for label, key in source.unidentified if key not in known]
    if not unknown:
        return False
    seen = {f.key for f in files}
    if all(key in seen for key in known):
        return False  # nothing looks gone
    names = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
    which = f"which document {names} is" if len(unknown) == 1 else f"which documents {names} are"
    report.warn(source.describe(), f"{which} could not be told, so no document missing from the library was "
                                   "taken as deleted", code="export_unidentified", count=len(unknown))
    return True


# The signature ExportSource gives a record that could not be read.
_UNREADABLE = (-1, -1)

# Sync-state meta keys (``set_apart``): the Polar account (uid) of the last
# export synced, the documents set apart, as JSON {key: account or ""}, and
# the library's path.
OWNER_KEY = "library_owner"
APART_KEY = "library_apart"
PATH_KEY = "library_path"  # the folder or export synced last


def set_apart(source: Source, files: Sequence[DocumentFile], known: Dict[str, DocState], state: SyncState,
              report: Report) -> Tuple[Set[str], Dict[str, str]]:
    """The documents the last syncs knew that belong to another library than
    this one, so not deleted in Polar when missing from it; and the meta to
    remember. Another library: an export of another Polar account than the
    last export synced (its records' uid), or a library at another path
    sharing no document with those synced before (data folders name no
    account). Its missing
    documents are set apart with the account they were of (said once); set
    apart, a document rejoins when a library lists it again, and is taken as
    deleted, as any, when an export of its own account lacks it. Cheap: two
    meta reads and one record of an export, a set operation per document."""
    try:
        stored = json.loads(state.meta(APART_KEY) or "{}")
    except ValueError:
        stored = {}
    listed = {f.key for f in files}
    was_apart: Dict[str, str] = {}
    if isinstance(stored, dict):
        was_apart = {k: o for k, o in stored.items() if isinstance(o, str) and k in known}
    # Listed again: back in (the library it was of is chosen again).
    apart = {k: o for k, o in was_apart.items() if k not in listed}
    last = state.meta(OWNER_KEY) or ""
    owner = source.owner or ""
    # (A name in no encoding, as printable: SQLite takes no lone surrogate.)
    where = os.fsencode(source.path).decode("utf-8", "backslashreplace")
    moved = state.meta(PATH_KEY) != where  # (None: synced by a version that kept no path)
    # The library synced last: what the state knows and had not set apart.
    active = [k for k in known if k not in was_apart]
    gone = [k for k in active if k not in listed]
    # (The same folder with no document in common: every document replaced
    # in Polar, as a small library may be. Not another library.)
    if gone and listed and source.complete and (
            (owner and last and owner != last) or (moved and not any(k in listed for k in active))):
        for key in gone:
            apart[key] = last
        n = len(gone)
        report.warn(source.describe(), (
            f"this is another Polar library than the one synced before (another account's export, or another "
            f"data folder): {n} document{'s' if n != 1 else ''} synced before and not in it "
            f"{'were' if n != 1 else 'was'} left as {'they are' if n != 1 else 'it is'}, not taken as deleted"),
            code="library_switched", count=n)
    kept = {k for k, o in apart.items() if not (owner and o == owner)}
    meta = {APART_KEY: json.dumps({k: apart[k] for k in sorted(kept)})} if kept or stored else {}
    if owner and owner != last:
        meta[OWNER_KEY] = owner
    if moved:
        meta[PATH_KEY] = where
    return kept, meta


# Warnings about how the export is kept (older files in its folder, several
# exports in the chosen folder, a newer export downloaded beside it, Polar 3
# flashcards of no document in it): true at every sync while the files stay,
# so said by the sync that first sees them (again once they change: another
# file named, another count), not at every sync after it. The state keeps a
# digest of each said.
SAID_ONCE = ("export_chosen_in_folder", "export_leftovers_taken", "export_leftovers_kept", "export_unpacked_cut",
             "export_newer_beside", "export_block_flashcards", "cloud_copy", "folder_copy", "online_only")
SAID_KEY = "export_said"


def _said_once(report: Report, state: SyncState, partial: bool = False, start: int = 0,
               stored: Optional[str] = None) -> Optional[str]:
    """Leaves out of ``report`` the ``SAID_ONCE`` warnings the last sync
    committed said as they are now; returns what to store (None: as stored).
    ``partial``: a sync of some documents only, which says nothing of the
    others (``online_only``): what was said of them stays said. ``start``
    and ``stored``: only the warnings from ``start`` on, against ``stored``
    (this sync's value, not the state's: ``Reading.reread``)."""

    def digest(row: Dict[str, Any]) -> str:
        text = "\0".join(str(row.get(k, "")) for k in ("code", "path", "message"))
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    try:
        before = json.loads((state.meta(SAID_KEY) if stored is None else stored) or "[]")
    except ValueError:
        before = []
    said = set(before) if isinstance(before, list) else set()
    rows = report.warnings[start:]
    now = sorted({digest(w) for w in rows if w.get("code") in SAID_ONCE} | (said if partial else set()))
    report.warnings[start:] = [w for w in rows if w.get("code") not in SAID_ONCE or digest(w) not in said]
    return json.dumps(now) if set(now) != said else None


# The area-highlight pictures a file-syncing service kept online only when
# their cards were rendered (``Report.images_online_only``): document key ->
# image names. A new note made then has no picture (there is none to keep);
# its document is read again at the first sync that finds one of them on
# this computer (the watcher sees files/image/ change and asks for every
# document, which are otherwise unchanged), and the note gets it.
WAITING_KEY = "images_online_only"


def _waiting_images(state: SyncState) -> Dict[str, List[str]]:
    try:
        stored = json.loads(state.meta(WAITING_KEY) or "{}")
    except ValueError:
        return {}
    return {str(k): [str(n) for n in v] for k, v in stored.items() if isinstance(v, list)} \
        if isinstance(stored, dict) else {}


def _images_arrived(waiting: Dict[str, List[str]], source: Source, keys: AbstractSet[str]) -> Set[str]:
    """The documents of ``keys`` waiting for a picture that is here now
    (a stat per picture waited for; none in a library without any)."""
    return {key for key, names in waiting.items() if key in keys and any(source.has_image(n) for n in names)}


def waiting_images_meta(before: Dict[str, List[str]], report: Report, read: Collection[str],
                        gone: Collection[str]) -> Optional[str]:
    """``WAITING_KEY``'s value after a sync that read the documents ``read``
    (theirs as found now) and found ``gone`` gone, ``before`` as the reading
    found it (``Reading.waiting_images``); None: as stored."""
    after = {k: v for k, v in before.items() if k not in read and k not in gone}
    for key, cards in report.images_online_only.items():
        if key in read:
            after[key] = sorted({name for name, _, _ in cards.values()})
    if after == before:
        return None
    return json.dumps(after, sort_keys=True) if after else ""


def settings_key(settings: Settings) -> str:
    """What the state remembers of the settings that shape notes."""
    return f"{RENDER_VERSION}:{settings.content_key()}"


def _say_leftovers(source: ExportSource, left: Dict[str, Any], report: Report) -> None:
    """An unpacked export's folder holding files an older export left there
    (``archive._leftovers``): what was made of them, in one sentence."""
    from ..polar.archive import printable

    dated, n, blocks = str(left.get("dated") or ""), int(left.get("documents") or 0), int(left.get("blocks") or 0)
    what = ", ".join(part for part in (
        f"{n} document{'s' if n != 1 else ''}" if n else "",
        f"{blocks} Polar 3 block{'s' if blocks != 1 else ''}" if blocks else "") if part) or "files"
    folder = printable(str(source.path))
    cut = str(left.get("cut") or "")
    if cut:
        # (archive._unpacked_from_a_cut_download: the archive the newest
        # files came from is cut short, so the older files are not deletions.)
        report.warn(source.describe(), (
            f"the folder {folder} was unpacked from {cut}, a download cut short (its end is missing), over the files "
            f"of an older Polar export (dated {dated}): nothing was taken as deleted in Polar; download the export "
            "again and unpack it into a new, empty folder"),
            code="export_unpacked_cut", file=cut, dated=dated, count=n)
    elif left.get("taken"):
        report.warn(source.describe(), (
            f"the folder {folder} also holds files of an older Polar export unpacked there (dated {dated}) that "
            f"this export does not hold: taken as deleted in Polar ({n} document{'s' if n != 1 else ''})"),
            code="export_leftovers_taken", dated=dated, count=n)
    else:
        report.warn(source.describe(), (
            f"the folder {folder} also holds files of an older Polar export unpacked there (dated {dated}) that "
            f"this export did not write over ({what}): what was deleted in Polar since cannot be told from them, "
            "so they were read as they are; unpack each export into a new, empty folder"),
            code="export_leftovers_kept", dated=dated, count=n)


def _stopped(state: SyncState, preview: bool) -> Stopped:
    """The person stopped the reading: the next sync owes the rest (a
    preview owes nothing)."""
    if not preview:
        state.owe_the_rest()
    return Stopped()


def _read_once_written(source: Source, settings: Settings, report: Report, docs: Dict[str, LoadedDoc],
                       known: Dict[str, DocState], force: bool, most_s: float, check_stop: Callable[[], None],
                       progress: Optional[Progress], stored_refs: Callable[[str], Dict[str, str]],
                       listed: AbstractSet[str] = frozenset()) -> None:
    """Documents ``Report.being_written`` read again each second, by the
    in-place rule, until each is whole (read), no longer being written
    (older than ``WRITING_NS``, and still broken: reported as damaged) or
    ``most_s`` have passed (then left as they are, still said as being
    written). The CLI's: a run is not read again later, as the GUI's is.
    ``listed``: as ``read_document``'s, so that a copy still being written
    (a folder copied by hand) is the copy it is once whole."""
    end = time.monotonic() + most_s
    while report.being_written and time.monotonic() < end:
        check_stop()
        if progress:
            progress(f"Waiting for {counted(len(report.being_written), 'document', 'documents')} still being written…")
        time.sleep(max(0.0, min(1.0, end - time.monotonic())))
        keys = set(report.being_written)
        fresh = {f.key: f for f in source.list_documents() if f.key in keys}
        report.warnings[:] = [w for w in report.warnings
                              if w.get("code") != "being_written" or w.get("document") not in keys]
        for key in keys:
            del report.being_written[key]
            file = fresh.get(key)
            if file is None:  # gone meanwhile: its notes as they are (this run's listing had it)
                continue
            prev = known.get(key)
            docs[key] = read_document(file, source, settings, report, force=force, known=prev,
                                      defer=prev is None and not force, just_changed=True,
                                      stored_refs=stored_refs if prev is not None else None,
                                      listed=listed if prev is None or not prev.ok else frozenset())
    for row in report.warnings:
        if row.get("code") == "being_written" and row.get("document") in report.being_written:
            # (Not "read again shortly": the run ends, and nothing reads it by itself.)
            row["message"] = (f"the file was still being written after waiting {most_s:.0f} s (a copy or a "
                              "file-syncing service at work): left as it is, not damaged; a run once it is written "
                              "syncs its cards")


def read_library(make: Type[R], settings: Settings, state_path: Optional[Path], source_path: Optional[Path],
                 only: Optional[Collection[str]], progress: Optional[Progress], collection_id: str,
                 on_long_read: Optional[Callable[[], None]] = None, label_fixed: bool = True,
                 in_place: AbstractSet[str] = frozenset(), stop: Optional[StopWish] = None,
                 preview: bool = False, settle: bool = False, settle_s: float = 0.0) -> R:
    """``engine.prepare``: the library read into a ``make`` (a :class:`Reading`).
    ``on_long_read`` is called, once, before the first document is read when
    the documents to read (new or changed) hold ``LONG_READ_BYTES`` or more.
    ``label_fixed``: see ``Reading.label_fixed``; ``in_place``: the documents
    to read with ``read_document``'s ``just_changed``; ``settle``: every
    document is (a caller that reads a document ``Report.being_written``
    names again shortly: the GUI's syncs not asked by the watcher, which
    cannot tell a file written in place from one replaced). ``stop``: asked
    before each document (and as an export is read): :class:`Stopped` when
    it says so, and the state then owes the next sync the whole library
    (``SyncState.owe_the_rest``; not for a ``preview``). Such a debt, or one
    left by a sync stopped part-way through its adds, widens ``only`` to the
    whole library. ``settle_s``: a document being written is read again
    here, for up to that many seconds, until whole or no longer being
    written (the CLI's: nothing reads it again after the run)."""
    path = source_path if source_path is not None else resolve_data_dir(settings.data_dir)
    # An export is read once; what was read is kept beside the sync state.
    source = open_source(Path(path), beside(state_path) if state_path is not None else None)
    if (progress is not None or stop is not None) and isinstance(source, ExportSource):
        def reading_export(done: int, total: int) -> None:
            if stop is not None and stop():
                raise _stopped(state, preview)
            if progress is not None:
                progress(_reading_export(done, total))

        source.on_progress = reading_export
    state = SyncState(state_path, collection_id)
    if not label_fixed and settings.page_label != ENGLISH_PAGE_LABEL and state.documents():
        # Synced before, by a version that wrote English labels and stored
        # none: its notes keep theirs (page_label.py).
        settings = settings._replace(page_label=ENGLISH_PAGE_LABEL)
    state.settings_key = settings_key(settings)
    report = Report()
    files = source.list_documents()
    only_set = set(only) if only is not None else None
    # An export cut short because the browser is still downloading it: one
    # sentence for that, not its end reported as damage.
    downloading = download_in_progress(source.path) if not source.complete else None
    if downloading is not None and not any(f.signature != _UNREADABLE for f in files):
        from ..polar.archive import printable

        raise SourceError(f"the Polar export {printable(str(source.path))} holds no whole document yet: "
                          f"{printable(downloading.name)} is a download not finished; try again once it is done",
                          "export_still_downloading", file=printable(str(source.path)),
                          downloading=printable(downloading.name))
    for label, message in source.problems if downloading is None else ():
        report.error(label, message, code="export_damaged")
    if isinstance(source, ExportSource) and source.chosen_in is not None and source.exports_in_folder > 1:
        from ..polar.archive import printable

        report.warn(source.describe(), (
            f"the folder {printable(str(source.chosen_in))} holds {source.exports_in_folder} Polar exports: the "
            f"latest, {printable(source.path.name)}, was read"), code="export_chosen_in_folder",
            file=printable(source.path.name), count=source.exports_in_folder)
    left = source.leftovers if isinstance(source, ExportSource) else None
    if left is not None and isinstance(source, ExportSource):
        _say_leftovers(source, left, report)
    newer = newer_export_beside(source.path, source.made_at) if isinstance(source, ExportSource) else None
    if newer is not None:
        from ..polar.archive import printable

        report.warn(source.describe(), (
            f"a Polar export downloaded later is beside it, {printable(newer.name)}: choose that one to sync what "
            "changed in Polar since"), code="export_newer_beside", file=printable(newer.name))
    if source.block_flashcards:  # (known once the documents are listed)
        n = source.block_flashcards
        report.warn(source.describe(), (
            f"{n} flashcard{'s' if n != 1 else ''} stored as Polar 3 blocks {'name' if n != 1 else 'names'} no "
            "document of the export, so not synced"), code="export_block_flashcards", count=n)
    for copy, doc in source.copies:
        # (library.copy_of: not read; said once, so that a card made on the
        # other computer that only the copy holds is not lost unsaid)
        report.warn(f"{copy}/state.json", (
            f"the folder {copy} is a copy of this document's folder that a file-syncing service (Dropbox, OneDrive, "
            "Google Drive, Syncthing, Nextcloud, iCloud Drive) made when the document changed on two computers at "
            "once: not synced, the document's own folder is"), code="cloud_copy", document=doc, file=copy)
    known = state.documents()
    report.titles.update(state.titles())  # documents not read this time keep their names
    report.sources.update(state.sources())  # ... and their files or web addresses (the report's tooltips)
    if state.problem:
        report.warn(str(state_path), state.problem, code="state_rebuilt")
    # Settings (or this add-on's rendering) changed since the last sync: every
    # document is read again so the notes follow.
    force = bool(known) and state.meta("settings") != state.settings_key
    if force:
        only_set = None  # a partial run must not mark the new settings as applied
    rest_owed = state.rest_to_come()
    if rest_owed:
        only_set = None  # a stopped sync left work: "the next sync does the rest", whatever asked for it
    if downloading is not None:
        from ..polar.archive import printable

        report.warn(source.describe(), (
            f"the export is still being downloaded ({printable(downloading.name)} is not finished): documents not "
            "in it yet were left as they are; sync again once the download is done"), code="export_downloading",
            file=printable(downloading.name))
    elif not source.complete:
        # Damage ended the read of an export early (or its gzip checksum is
        # wrong after the last member: the problem names which): a document
        # not seen is unknown, not deleted.
        report.warn(source.describe(), "the export is damaged: documents not found in it were left as they are",
                    code="export_incomplete")
    apart, library_meta = set_apart(source, files, known, state, report)
    if not source.complete or _unidentified_may_be_gone(source, files, known, report):
        # Synced like a partial run of the documents seen (of a download in
        # progress, those read whole: the one cut short is not yet damage).
        seen = {f.key for f in files if downloading is None or f.signature != _UNREADABLE}
        only_set = seen if only_set is None else only_set & seen
    docs: Dict[str, LoadedDoc] = {}
    todo = [f for f in files if only_set is None or f.key in only_set]
    waiting = _waiting_images(state)
    arrived = _images_arrived(waiting, source, {f.key for f in todo}) if not force else set()
    if on_long_read is not None and _bytes_to_read(todo, known, force) >= LONG_READ_BYTES:
        on_long_read()
    # (A data folder's: an export's keys are its own, not folder names.)
    listed = frozenset(f.key for f in files) if not isinstance(source, ExportSource) else frozenset()
    for i, file in enumerate(todo):
        if stop is not None and stop():
            raise _stopped(state, preview)
        if progress and i % 50 == 0:
            progress(f"Reading Polar documents… {i:,}/{len(todo):,}")
        prev = known.get(file.key)
        # A document no sync has seen: its cards will be new notes, rendered
        # by the write while Anki adds notes (see Pending).
        docs[file.key] = read_document(file, source, settings, report, force=force or file.key in arrived, known=prev,
                                       defer=prev is None and not force, just_changed=settle or file.key in in_place,
                                       stored_refs=state.card_refs if prev is not None else None,
                                       listed=listed if prev is None or not prev.ok else frozenset())
    if settle_s > 0 and report.being_written:
        def check_stop() -> None:
            if stop is not None and stop():
                raise _stopped(state, preview)

        _read_once_written(source, settings, report, docs, known, force, settle_s, check_stop, progress,
                           state.card_refs, listed)
    said = _said_once(report, state, only_set is not None)  # (after the reading: a document's online_only is one)
    if said is not None:
        library_meta[SAID_KEY] = said
    report.documents = len(files)
    reading = make(settings, source, state, docs, len(files), only_set, report, progress, label_fixed)
    reading.apart, reading.library_meta = apart, library_meta
    reading.waiting_images = waiting
    reading.stop = stop
    reading.rest_owed = rest_owed
    return reading
