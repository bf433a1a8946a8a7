"""Polar 3's annotation blocks of one document, read beside its DocMeta.

A Polar 2.x export holds, besides each document's DocMeta (``doc_meta/``),
Polar 3's ``block/`` records: after a document was migrated (opened in
Polar 3, or by Polar's server-side migration) its highlights and flashcards
are *copies* as blocks, under new ids, and from then on Polar 3 creates,
edits and deletes them there only; the DocMeta keeps its frozen copies. The
facts, from Polar's source, are in docs/dev-notes/blocks.md.

``merge`` makes one :class:`~.docmeta.Document` of both, without a duplicate:

* every block flashcard that is a copy of a DocMeta flashcard is paired with
  it, one to one, and the pair keeps the DocMeta card's id (the note the user
  already reviews) with the block's fields (the live copy; while the block's
  text still says what the DocMeta card says, the DocMeta card's own fields
  are kept, so a note is not rewritten for a Markdown round trip). Pairs are
  found by (1) the same ``created`` and type (the server-side migration keeps
  ``created``), (2) the same text, normalised, on the same page (the
  client-side migration restamps ``created`` and turns HTML into Markdown),
  (3) a copy edited since: the one copy of its kind on the copy of the
  DocMeta card's highlight (several there: unsure, so nothing is added and
  the DocMeta cards stay: ``Document.held_back``);
* a block flashcard that pairs with none is a card made in Polar 3: a new
  card under the block's id;
* a DocMeta flashcard that Polar copied and whose copy is gone was deleted in
  Polar 3: left out, so the deletion settings apply to its note. Only for a
  migrated document (a ``document`` block, or ``value.ver == 3``) whose
  blocks were all read (``authoritative``); a card Polar never copied (of a
  page, or of a highlight missing from the DocMeta before a client-side
  migration) stays as the DocMeta has it;
* a card's context is its highlight block (``revisedText || text``, without
  the ``[[#tag]]`` links the migration appended): a server-migrated DocMeta
  has no highlights left, a highlight revised in Polar 3 is only there.
"""

from __future__ import annotations

import html as _html
import json
import re
import struct
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from functools import lru_cache
from math import isfinite as _isfinite
from operator import itemgetter
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Set, Tuple

from .docmeta import (
    _CARD_TYPE_SET,
    CARD_TYPES,
    CLOZE,
    Comment,
    DocMetaError,
    Document,
    Flashcard,
    Highlight,
    Text,
    _card_type,
    _map,
    _new_flashcard,
    _start,
    _str,
    iso_instant,
    load_json,
)

try:  # orjson ships with every Anki (docmeta.load_json reads with it too)
    import orjson as _orjson

    def _dumps(value: Any) -> bytes:
        return _orjson.dumps(value)

except ImportError:  # pragma: no cover - exercised only without orjson

    def _dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode("utf-8")


# The block types kept from an export (the rest, Polar 3's notes, are not
# about flashcards).
FLASHCARD = "annotation-flashcard"
TEXT_HIGHLIGHT = "annotation-text-highlight"
AREA_HIGHLIGHT = "annotation-area-highlight"
DOCUMENT = "document"
KEPT_TYPES = (FLASHCARD, TEXT_HIGHLIGHT, AREA_HIGHLIGHT, DOCUMENT)
# A comment on a highlight is a note block under it (kept only when its root
# is a document block: export_cache.Writer).
MARKDOWN = "markdown"
_HIGHLIGHT_KIND = {TEXT_HIGHLIGHT: "text-highlight", AREA_HIGHLIGHT: "area-highlight"}
_MAX_ID = 200

# Copies made by Polar's client-side migration are stamped within moments of
# the document block: a block flashcard created later than this after the
# last copy (or the document block) was made in Polar 3.
COPY_WINDOW_S = 10.0


class UnreadableBlock(ValueError):
    """A ``block/`` record that may hold an annotation but is not JSON."""


def digest(data: bytes) -> Optional[Tuple[str, str, str, str, bytes]]:
    """(block id, content type, document fingerprint, root block id, what
    ``merge`` needs of it) of a ``block/`` record worth keeping, else None
    (a ``markdown`` block is returned too: a comment when its root is a
    document block, see ``digest_note``).
    The bytes are looked at before any parse: most blocks are notes. The
    record is parsed once, here, while the export is read; the export cache
    keeps only its reduced form (``_reduce``, JSON), which ``read_blocks``
    turns into :class:`Blocks` at the sync. Raises UnreadableBlock for one
    that names an annotation but cannot be parsed: which card it held is
    unknown, so no card may be taken as deleted in Polar 3."""
    if b'"annotation-' not in data and b'"document"' not in data:
        return None
    try:
        block = load_json(data)
    except DocMetaError as exc:
        raise UnreadableBlock(f"a Polar 3 block record is not readable: {exc}") from None
    content = block.get("content") if isinstance(block, dict) else None
    kind = content.get("type") if isinstance(content, dict) else None
    if (kind not in KEPT_TYPES and kind != MARKDOWN) or not isinstance(content, dict):
        return None
    if kind == MARKDOWN:  # (a note that names an annotation in its words)
        fingerprint = ""
    elif kind == DOCUMENT:
        fingerprint = _str(_map(content.get("docInfo")).get("fingerprint"), _MAX_ID)
    else:
        fingerprint = _str(content.get("docID"), _MAX_ID)
    return (_str(block.get("id"), _MAX_ID), str(kind), fingerprint, _str(block.get("root"), _MAX_ID),
            _dumps(_reduce(block)))


def digest_note(data: bytes) -> Optional[bytes]:
    """What ``merge`` needs of a ``markdown`` block (``["m", ...]``, see
    ``_reduce``), else None. Called only for a note whose root is a document
    block: a comment on one of its highlights (Polar 3's ``CreateComment``
    writes ``{type: "markdown", data, links}`` as the highlight block's
    child; the migration copied the DocMeta's comments so). Raises
    UnreadableBlock for one that is not JSON."""
    try:
        block = load_json(data)
    except DocMetaError as exc:
        raise UnreadableBlock(f"a Polar 3 block record is not readable: {exc}") from None
    content = block.get("content") if isinstance(block, dict) else None
    if not isinstance(content, dict) or content.get("type") != MARKDOWN:
        return None
    return _dumps(_reduce(block))


# -- a document's records, carried as one byte string ---------------------------------

_MAGIC = b"\x00polar-sync blocks 2\x00"  # no JSON record starts with NUL


def pack(docmeta: bytes, blocks: bytes, authoritative: bool) -> bytes:
    """A ``doc_meta`` record and its document's blocks (their reduced
    records as one JSON array, ``group``) as one value: what a DocumentFile
    reads, hashes and parses."""
    return b"".join((_MAGIC, struct.pack("<BI", int(authoritative), len(docmeta)), docmeta, blocks))


def unpack(data: bytes) -> Tuple[bytes, bytes, bool]:
    if not data.startswith(_MAGIC):
        return data, b"[]", False
    at = len(_MAGIC)
    flag, size = struct.unpack_from("<BI", data, at)
    at += 5
    return data[at:at + size], data[at + size:], bool(flag)


def group(records: Iterable[bytes]) -> bytes:
    """Reduced records (``digest``'s last item) as one JSON array."""
    return b"[" + b",".join(records) + b"]"


# -- parsed blocks ---------------------------------------------------------------------


class BlockHighlight(NamedTuple):
    id: str
    kind: str  # "text-highlight" | "area-highlight"
    page: int
    text: str  # Markdown: revisedText || text, the migration's [[#tag]] links taken off
    original: str  # Markdown: text (the highlight as first made)
    image_name: Optional[str]
    color: Optional[str]
    top: Optional[float]
    left: Optional[float]


class BlockComment(NamedTuple):
    id: str
    highlight: str  # the highlight block it is under (``parents[1]``: also when nested deeper)
    text: str  # Markdown, the migration's [[#tag]] links taken off
    created: str
    updated: str


class BlockCard(NamedTuple):
    id: str
    type: str
    fields: Dict[str, str]  # Markdown
    page: int
    parent: str  # the parent block's id (its highlight)
    created: str
    updated: str
    tags: Tuple[str, ...]


_BY_CREATED = itemgetter(5, 0)  # a BlockCard's (created, id)
_BY_PAGE = itemgetter(3, 5, 0)  # (page, created, id)


@dataclass
class Blocks:
    documents: Dict[str, str] = field(default_factory=dict)  # document block id -> created
    highlights: Dict[str, BlockHighlight] = field(default_factory=dict)
    cards: List[BlockCard] = field(default_factory=list)
    comments: List[BlockComment] = field(default_factory=list)
    problems: List[Tuple[str, str]] = field(default_factory=list)


_WIKI_TAG = re.compile(r"\[\[#[^\]]*\]\]")


def _page(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _tags(links: Any) -> List[str]:
    """Tag labels of a block's links (``{"id", "text": "#label"}``, as the
    migration made them from the annotation's tags)."""
    out: List[str] = []
    if isinstance(links, list):
        for link in links:
            text = link.get("text") if isinstance(link, dict) else None
            if isinstance(text, str) and text.startswith("#") and len(text) > 1:
                out.append(text[1:_MAX_ID + 1])
    return out


def _coordinate(value: Optional[float]) -> Any:
    """A highlight's top/left as JSON keeps it: a float that is not finite
    (which JSON has not) as its repr."""
    return value if value is None or _isfinite(value) else repr(value)


def _reduce(block: Any) -> List[Any]:
    """What ``merge`` needs of one parsed block record, as JSON values:
    ``["d", id, created]`` (a document block), ``["h", id, kind, page, text,
    original, image, color, top, left]`` (a highlight), ``["c", id, type,
    fields, page, parent, created, updated, tags]`` (a flashcard), ``["m",
    id, highlight, text, created, updated]`` (a ``markdown`` block: a comment
    when under a highlight) or ``["p", id, message]`` (a record skipped,
    said as a problem)."""
    if not isinstance(block, dict):
        return ["p", "", "a Polar 3 block record has no id or content; skipped"]
    content = block.get("content")
    ident = block.get("id")
    ident = ident[:_MAX_ID] if ident.__class__ is str else _str(ident, _MAX_ID)
    if not isinstance(content, dict) or not ident:
        return ["p", ident, "a Polar 3 block record has no id or content; skipped"]
    kind = content.get("type")
    created, updated = block.get("created"), block.get("updated")
    created = created[:64] if created.__class__ is str else _str(created, 64)
    if kind == DOCUMENT:
        return ["d", ident, created]
    if kind == MARKDOWN:
        # Under its highlight (parents: [document, highlight, ...]), or
        # deeper (a comment's own child, a card's child): the highlight.
        parents = block.get("parents")
        owner = parents[1] if isinstance(parents, list) and len(parents) > 1 else block.get("parent")
        text = _str(content.get("data"))
        if "[[#" in text:
            text = _WIKI_TAG.sub("", text)
        updated = updated[:64] if updated.__class__ is str else _str(updated, 64)
        return ["m", ident, _str(owner, _MAX_ID), text.strip(), created, updated or created]
    value = content.get("value")
    if not isinstance(value, dict):
        return ["p", ident, f"Polar 3 block {ident} ({kind}) has no value; skipped"]
    updated = updated[:64] if updated.__class__ is str else _str(updated, 64)
    page = _page(content.get("pageNum"))
    if kind in _HIGHLIGHT_KIND:
        area = kind == AREA_HIGHLIGHT
        original = _str(value.get("text")).strip()
        revised = _str(value.get("revisedText"))
        if "[[#" in revised:
            revised = _WIKI_TAG.sub("", revised)
        revised = revised.strip()
        image = value.get("image")
        name = _str(_map(image.get("src")).get("name"), _MAX_ID) or None if isinstance(image, dict) else None
        top, left = _start(value, area, {})
        return ["h", ident, _HIGHLIGHT_KIND[kind], page, revised or original, original, name,
                _str(value.get("color"), 32) or None, _coordinate(top), _coordinate(left)]
    raw = _map(value.get("fields"))
    fields = {str(k).lower(): v for k, v in raw.items() if isinstance(v, str)}
    ctype = value.get("type")
    ctype = _CARD_TYPE_SET.get(ctype) if ctype.__class__ is str else None  # (as Polar writes it)
    if ctype is None:
        ctype = _card_type(value.get, {k: v for k, v in fields.items() if v})
        if ctype is None or ctype not in CARD_TYPES:
            return ["p", ident, f"flashcard {ident}: unknown type {_str(value.get('type'))!r}"]
    parent = block.get("parent")
    parent = parent[:_MAX_ID] if parent.__class__ is str else _str(parent, _MAX_ID)
    links = content.get("links")
    return ["c", ident, ctype, fields, page, parent, created, updated or created, _tags(links) if links else []]


def _collect(out: Blocks, rec: List[Any]) -> None:
    tag = rec[0]
    if tag == "c":
        out.cards.append(BlockCard(rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], tuple(rec[8])))
    elif tag == "h":
        top, left = rec[8], rec[9]
        if top.__class__ is str:
            top = float(top)
        if left.__class__ is str:
            left = float(left)
        out.highlights[rec[1]] = BlockHighlight(rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], top, left)
    elif tag == "d":
        out.documents[rec[1]] = rec[2]
    elif tag == "m":
        out.comments.append(BlockComment(rec[1], rec[2], rec[3], rec[4], rec[5]))
    else:
        out.problems.append((rec[1], rec[2]))


def parse_blocks(records: Iterable[bytes]) -> Blocks:
    """Blocks of raw ``block/`` records (each parsed and reduced as ``digest``
    does)."""
    out = Blocks()
    for data in records:
        try:
            block = load_json(data)
        except DocMetaError as exc:
            out.problems.append(("", f"a Polar 3 block record is not readable ({exc}); skipped"))
            continue
        _collect(out, _reduce(block))
    return out


def read_blocks(data: bytes) -> Blocks:
    """Blocks of a document's reduced records (``group``), as the export
    cache keeps them."""
    out = Blocks()
    try:
        records = load_json(data)
        for rec in records:
            _collect(out, rec)
    except (TypeError, IndexError, KeyError, ValueError, AttributeError) as exc:
        raise DocMetaError(f"the export cache's Polar 3 blocks of this document are not readable ({exc})") from None
    return out


# -- matching --------------------------------------------------------------------------

_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W_]+")
# For an ASCII value, the same words in C: letters (lower-cased) and digits
# kept, every other byte a space, then split.
_ASCII_WORDS = bytes(c | 0x20 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32
                     for c in range(256))


def words(value: str) -> str:
    """``" ".join(_WORD.findall(value.lower()))``: the runs of letters and
    digits, lower-cased, one space apart."""
    if value.isascii():
        return b" ".join(value.encode("ascii").translate(_ASCII_WORDS).split()).decode("ascii")
    return " ".join(_WORD.findall(value.lower()))


def normalised(text: Optional[Text]) -> str:
    """The words of a field, lower-cased: what an HTML field and its Markdown
    copy (turndown's escapes, emphasis, link targets) have in common."""
    if text is None:
        return ""
    return _normalised(text.kind, text.value)


def _normalised(kind: str, value: str) -> str:
    if kind == "MARKDOWN" and "](" in value:
        value = _LINK_TARGET.sub("]", value)
    if kind != "TEXT" and "<" in value:
        value = _TAG.sub(" ", value)
    if "&" in value:
        value = _html.unescape(value)
    return words(value)


def _kind(ctype: str) -> str:
    return "cloze" if ctype == CLOZE else "basic"


def _content(fields: Mapping[str, Text], ctype: str) -> str:
    if ctype == CLOZE:
        return normalised(fields.get("text"))
    return normalised(fields.get("front")) + " | " + normalised(fields.get("back"))


def _block_content(block: BlockCard) -> str:
    """``_content`` of a block card's (Markdown) fields."""
    fields = block.fields
    if block.type == CLOZE:
        return _normalised("MARKDOWN", fields.get("text", ""))
    return _normalised("MARKDOWN", fields.get("front", "")) + " | " + _normalised("MARKDOWN", fields.get("back", ""))


@lru_cache(maxsize=4096)  # (a client-side migration stamps every copy alike)
def _seconds(stamp: str) -> Optional[float]:
    return iso_instant(stamp)


_PUNCTUATION_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|])")
_MARKUP = re.compile(r"[*_`\[\]<>#~|]|^\s*(?:[-+]|\d+\.)\s", re.M)


def highlight_text(markdown: str) -> Optional[Text]:
    """A highlight block's Markdown as Polar text: plain text (as a DocMeta
    highlight's TEXT renders) when it holds no markup beyond turndown's
    escapes, so a highlight's context reads as it did from the DocMeta."""
    if not markdown:
        return None
    if "\\" not in markdown:  # (no escape: the same, without the two substitutions)
        return Text("TEXT" if _MARKUP.search(markdown) is None else "MARKDOWN", markdown)
    if _MARKUP.search(_PUNCTUATION_ESCAPE.sub("", markdown)) is None:  # only escaped markup characters
        return Text("TEXT", _PUNCTUATION_ESCAPE.sub(r"\1", markdown))
    return Text("MARKDOWN", markdown)


def _edited(block: BlockCard, card: Flashcard) -> bool:
    """Whether the block was changed after it was copied from ``card``
    (an edit that kept the words: emphasis, a link). A server-side copy has
    the card's ``lastUpdated`` as its ``updated``; a client-side copy was
    stamped ``created = updated`` at the copy (a few ms apart at most)."""
    return _changed_since_copy(block.created, block.updated, card.created, card.last_updated)


def _changed_since_copy(created: str, updated: str, was_created: str, was_updated: str) -> bool:
    """``_edited`` of a block (its created, updated) and the DocMeta record
    it copies (its created, lastUpdated)."""
    stamp = _seconds(updated)
    if stamp is None:
        return False
    if created == was_created:
        was = _seconds(was_updated or was_created)
        return was is not None and stamp > was + 1.0
    made = _seconds(created)
    return made is not None and stamp > made + COPY_WINDOW_S


class _Pairing:
    def __init__(self) -> None:
        self.pairs: Dict[str, BlockCard] = {}  # DocMeta card id -> its block copy
        self.used: Set[str] = set()  # block ids paired

    def add(self, card: Flashcard, block: BlockCard) -> None:
        self.pairs[card.id] = block
        self.used.add(block.id)


def page_cards(docmeta: Any) -> Set[str]:
    """The ids of the flashcards a DocMeta keeps in its pages' ``flashcards``
    maps, the only ones Polar's migration copies (``getAnnotationChildren``;
    not those inside a highlight's own ``flashcards``)."""
    out: Set[str] = set()
    pages = docmeta.get("pageMetas") if isinstance(docmeta, dict) else None
    for page in _map(pages).values():
        for key, card in _map(page.get("flashcards") if isinstance(page, dict) else None).items():
            ident = card.get("id") if isinstance(card, dict) else None
            out.add(ident[:_MAX_ID] if isinstance(ident, str) and ident else str(key)[:_MAX_ID])
    return out


def merge(doc: Document, blocks: Blocks, server_migrated: bool, authoritative: bool,
          page_level: Optional[Set[str]] = None) -> Document:
    """``doc`` (its DocMeta) with its Polar 3 blocks: see the module's doc.
    ``page_level``: the ids of the cards kept in the DocMeta's pages
    (``page_cards``); None: every card."""
    migrated = server_migrated or bool(blocks.documents)
    if not blocks.cards and not migrated:
        return doc
    problems = list(doc.problems) + blocks.problems
    # Deletions only where the blocks are known whole: every record read, and
    # the document block there (an export without Polar 3's records says
    # nothing about the cards, even of a server-migrated document).
    authoritative = authoritative and bool(blocks.documents) and not blocks.problems

    # The DocMeta's highlights and their copies (a client-side migration keeps
    # both; matched on the page by their text).
    keys_of: Dict[int, List[str]] = {}
    for key, hl in doc.highlights.items():
        keys_of.setdefault(id(hl), []).append(key)
    copy_of: Dict[str, str] = {}  # block highlight id -> DocMeta highlight key (as cards name it)
    as_written: Set[str] = set()  # those whose live text has the DocMeta highlight's words
    dm_by_place: Dict[Tuple[int, str], List[Highlight]] = {}
    dm_words: Dict[int, str] = {}  # id(DocMeta text highlight) -> normalised(its text)
    for hl in {id(h): h for h in doc.highlights.values()}.values():
        if hl.kind == "text-highlight":
            said = dm_words[id(hl)] = normalised(hl.text)
            dm_by_place.setdefault((hl.page, said), []).append(hl)
    for bh in blocks.highlights.values():
        if bh.kind != "text-highlight":
            continue
        for said in (bh.text, bh.original):
            places = dm_by_place.get((bh.page, normalised(Text("MARKDOWN", said))))
            if places:
                copy_of[bh.id] = keys_of[id(places.pop(0))][-1]
                if said is bh.text:
                    as_written.add(bh.id)
                break
    _match_areas(doc, blocks, copy_of, keys_of)
    dm_key_to_block: Dict[str, str] = {}
    for bid, dm_key in copy_of.items():
        for k in keys_of[id(doc.highlights[dm_key])]:
            dm_key_to_block[k] = bid

    # The DocMeta cards Polar copied: those on a highlight (all of them after
    # a server-side migration, which purged the highlights; only those whose
    # highlight the DocMeta holds after a client-side one).
    on_highlight = [c for c in doc.flashcards if c.ref_type in ("text-highlight", "area-highlight")
                    and (page_level is None or c.id in page_level)]
    copied = on_highlight if server_migrated else [c for c in on_highlight if c.ref_id in doc.highlights]
    pairing = _Pairing()
    contents: Dict[str, str] = {}

    def content_of(card: Flashcard) -> str:
        got = contents.get(card.id)
        if got is None:
            got = contents[card.id] = _content(card.fields, card.type)
        return got

    block_content = {b.id: _block_content(b) for b in blocks.cards}
    ordered = sorted(blocks.cards, key=_BY_CREATED)

    # (1) the same created and type: the server-side migration's copies.
    by_created: Dict[Tuple[str, str], List[Flashcard]] = {}
    for card in copied:
        if card.created:
            by_created.setdefault((card.created, _kind(card.type)), []).append(card)
    if by_created:
        for b in ordered:
            found = by_created.get((b.created, _kind(b.type)))
            if found:
                pick = next((c for c in found if content_of(c) == block_content[b.id]), found[0])
                found.remove(pick)
                pairing.add(pick, b)

    # (2) the same words on the same page: an untouched client-side copy.
    by_content: Dict[Tuple[str, str], List[Flashcard]] = {}
    for card in copied:
        if card.id not in pairing.pairs and content_of(card).strip(" |"):
            by_content.setdefault((_kind(card.type), content_of(card)), []).append(card)
    copies_made: List[float] = []
    for b in ordered:
        if b.id in pairing.used:
            continue
        found = by_content.get((_kind(b.type), block_content[b.id]))
        if not found:
            continue
        same_page = [c for c in found if not b.page or not c.page or c.page == b.page]
        if not same_page:
            continue
        on_copy = [c for c in same_page if dm_key_to_block.get(c.ref_id) == b.parent]
        pick = (on_copy or same_page)[0]
        found.remove(pick)
        pairing.add(pick, b)
        stamp = _seconds(b.created)
        if stamp is not None:
            copies_made.append(stamp)

    # (3) a client-side copy edited since: the one copy of its kind on the
    # copy of the DocMeta card's highlight.
    held: Set[str] = set()  # DocMeta card ids kept as they are (unsure)
    held_blocks: Set[str] = set()
    until: Optional[float] = None  # the client-side copies' last moment
    if not server_migrated and blocks.documents:
        starts = [s for s in (_seconds(c) for c in blocks.documents.values()) if s is not None]
        until = max(copies_made + starts) + COPY_WINDOW_S if copies_made or starts else None
        left_dm: Dict[Tuple[str, str], List[Flashcard]] = {}
        for card in copied:
            copy_hl = dm_key_to_block.get(card.ref_id)
            if card.id not in pairing.pairs and copy_hl is not None:
                left_dm.setdefault((copy_hl, _kind(card.type)), []).append(card)
        left_blocks: Dict[Tuple[str, str], List[BlockCard]] = {}
        for b in ordered:
            stamp = _seconds(b.created)
            is_copy = until is not None and stamp is not None and stamp <= until
            if b.id not in pairing.used and is_copy:
                left_blocks.setdefault((b.parent, _kind(b.type)), []).append(b)
        for place, olds in left_dm.items():
            news = left_blocks.get(place, [])
            if len(olds) == 1 and len(news) == 1:
                pairing.add(olds[0], news[0])
            elif news:
                held.update(c.id for c in olds)
                held_blocks.update(b.id for b in news)

    # The merged document.
    highlights: Dict[str, Highlight] = dict(doc.highlights)
    for bh in blocks.highlights.values():
        copied_from = copy_of.get(bh.id)
        if copied_from is not None and (bh.kind != "text-highlight" or (bh.id in as_written and "\\" not in bh.text)):
            # An area highlight's copy (the DocMeta's keeps its image, its
            # position); a text highlight's not revised: without an escape,
            # its text (plain or Markdown) normalises as the Markdown that
            # matched the DocMeta's words.
            continue
        live = highlight_text(bh.text)
        if copied_from is not None:
            old = doc.highlights[copied_from]
            if live != old.text and dm_words[id(old)] != normalised(live):  # revised in Polar 3
                for k in keys_of[id(old)]:
                    highlights[k] = old._replace(text=live)
            continue
        highlights[bh.id] = Highlight(bh.id, bh.kind, bh.page, live, bh.image_name, bh.color, bh.top, bh.left)

    # Each highlight block as the cards on it name their parent: the DocMeta
    # highlight it copies (its key that the DocMeta's cards and comments
    # use), else itself.
    block_keys = {bh.id: (bh.kind, copy_of.get(bh.id, bh.id)) for bh in blocks.highlights.values()}

    def ref_of(b: BlockCard) -> Tuple[str, str]:
        return block_keys.get(b.parent, ("", ""))

    def fields_of(b: BlockCard) -> Dict[str, Text]:
        return {k: Text("MARKDOWN", v) for k, v in b.fields.items() if v}

    cards: List[Flashcard] = []
    copied_ids = {c.id for c in copied}
    # A DocMeta highlight gone (purged by the server-side migration) whose
    # cards now name its block: its DocMeta comments follow them there.
    moved: Dict[Tuple[str, str], Tuple[str, str]] = {}
    for card in doc.flashcards:
        pair = pairing.pairs.get(card.id)
        if pair is None:
            if card.id in copied_ids and authoritative and card.id not in held:
                continue  # deleted in Polar 3
            cards.append(card)
            continue
        b = pair
        ref_type, ref_id = ref_of(b)
        if not ref_type:
            ref_type, ref_id = card.ref_type, card.ref_id
        elif card.ref_id not in doc.highlights:
            moved.setdefault((card.ref_type, card.ref_id), (ref_type, ref_id))
        same = (content_of(card) == block_content[b.id] and _kind(card.type) == _kind(b.type)
                and not _edited(b, card))
        cards.append(_new_flashcard((
            card.id, card.type if same else b.type, card.fields if same else fields_of(b), b.page or card.page,
            ref_type, ref_id, b.tags, card.created, card.last_updated if same else (b.updated or card.last_updated))))
    new = [b for b in blocks.cards if b.id not in pairing.used and b.id not in held_blocks]
    known = {c.id for c in cards}
    made: Set[str] = set()
    for b in sorted(new, key=_BY_PAGE):
        if b.id in known:
            continue
        made.add(b.id)
        ref_type, ref_id = ref_of(b)
        cards.append(Flashcard(b.id, b.type, fields_of(b), b.page, ref_type, ref_id, b.tags, b.created,
                               b.updated))
    comments = doc.comments
    if moved:
        comments = tuple(c._replace(ref_type=moved[(c.ref_type, c.ref_id)][0], ref_id=moved[(c.ref_type, c.ref_id)][1])
                         if (c.ref_type, c.ref_id) in moved else c for c in comments)
    if block_keys and (blocks.comments or (authoritative and comments)):
        comments = _merge_comments(comments, blocks, block_keys, authoritative, until)
    return _replace(doc, flashcards=tuple(cards), highlights=highlights, comments=comments,
                    problems=tuple(problems), held_back=len(held_blocks),
                    made_in_polar_3=doc.made_in_polar_3 | made if made else doc.made_in_polar_3)


def _match_areas(doc: Document, blocks: Blocks, copy_of: Dict[str, str], keys_of: Dict[int, List[str]]) -> None:
    """The DocMeta area highlights that a client-side migration copied
    (``copy_of``: block id -> DocMeta key, as for text highlights). An area
    highlight has no words: the copy keeps its ``image`` as it was (the
    same screenshot name), its ``position``, its page. Matched on the page by
    (1) the image's name, (2) where it starts, (3) the only one left on
    both sides whose names do not differ."""
    areas = [bh for bh in blocks.highlights.values() if bh.kind == "area-highlight"]
    if not areas:
        return
    left: Dict[int, List[Highlight]] = {}
    for hl in {id(h): h for h in doc.highlights.values()}.values():
        if hl.kind == "area-highlight":
            left.setdefault(hl.page, []).append(hl)
    if not left:
        return

    def other(hl: Highlight, bh: BlockHighlight) -> bool:  # two screenshots: two highlights
        return bool(bh.image_name and hl.image_name and bh.image_name != hl.image_name)

    def at(hl: Highlight, bh: BlockHighlight) -> bool:
        return (hl.top is not None and hl.left is not None and bh.top is not None and bh.left is not None
                and abs(hl.top - bh.top) < 0.5 and abs(hl.left - bh.left) < 0.5 and not other(hl, bh))

    unmatched: List[BlockHighlight] = []
    for same in (lambda hl, bh: bool(bh.image_name) and hl.image_name == bh.image_name, at):
        unmatched = []
        for bh in areas:
            found = next((hl for hl in left.get(bh.page, ()) if same(hl, bh)), None)
            if found is None:
                unmatched.append(bh)
            else:
                left[bh.page].remove(found)
                copy_of[bh.id] = keys_of[id(found)][-1]
        areas = unmatched
    by_page: Dict[int, List[BlockHighlight]] = {}
    for bh in areas:
        by_page.setdefault(bh.page, []).append(bh)
    for page, copies in by_page.items():
        olds = left.get(page, [])
        if len(copies) == 1 and len(olds) == 1:
            if not other(olds[0], copies[0]):
                copy_of[copies[0].id] = keys_of[id(olds[0])][-1]


def _merge_comments(comments: Tuple[Comment, ...], blocks: Blocks, block_keys: Dict[str, Tuple[str, str]],
                    authoritative: bool, until: Optional[float]) -> Tuple[Comment, ...]:
    """The DocMeta's comments with Polar 3's (``markdown`` blocks under a
    highlight block), on each highlight that has a block: a block that copies
    a DocMeta comment is paired with it, one to one, by (1) the same
    ``created`` (the server-side migration keeps it), (2) the same words
    (HTML and its Markdown copy normalised as a card's fields), (3) the one
    left on each side among the blocks made with the client-side copies
    (``until``): edited since. A pair keeps the DocMeta comment's id and
    ``created`` (its place in the order) and its text while the block still
    says the same and was not edited since the copy, else the block's
    Markdown. A block paired with none was written in Polar 3 (added); a
    DocMeta comment paired with none was deleted there (left out, when the
    blocks are ``authoritative``; else kept)."""
    backed = set(block_keys.values())
    olds: Dict[Tuple[str, str], List[Comment]] = {}
    out: List[Comment] = []
    for c in comments:
        key = (c.ref_type, c.ref_id)
        if key in backed:
            olds.setdefault(key, []).append(c)
        else:
            out.append(c)
    news: Dict[Tuple[str, str], List[BlockComment]] = {}
    for bc in blocks.comments:
        under = block_keys.get(bc.highlight)
        if under is not None:
            news.setdefault(under, []).append(bc)
    by_age = itemgetter(3, 0)  # a BlockComment's (created, id)
    for key in sorted(olds.keys() | news.keys()):  # (the highlights with a comment)
        old = sorted(olds.get(key, ()), key=lambda c: (c.created, c.id))
        new = sorted(news.get(key, ()), key=by_age)
        pairs: List[Tuple[Comment, BlockComment]] = []
        if old and new:
            words = {bc.id: _normalised("MARKDOWN", bc.text) for bc in new}
            said = {c.id: normalised(c.content) for c in old}
            for by_created in (True, False):
                for bc in list(new):
                    if by_created:
                        found = [c for c in old if c.created and c.created == bc.created]
                    else:
                        found = [c for c in old if said[c.id] == words[bc.id]]
                    if found:
                        pick = next((c for c in found if said[c.id] == words[bc.id]), found[0])
                        old.remove(pick)
                        new.remove(bc)
                        pairs.append((pick, bc))
            if len(old) == 1 and until is not None:
                copies = [bc for bc in new if (_seconds(bc.created) or until + 1) <= until]
                if len(copies) == 1:
                    new.remove(copies[0])
                    pairs.append((old.pop(), copies[0]))
            for c, bc in pairs:
                if said[c.id] == words[bc.id] and not _changed_since_copy(bc.created, bc.updated, c.created,
                                                                          c.last_updated):
                    out.append(c)
                else:
                    out.append(c._replace(content=highlight_comment(bc.text), last_updated=bc.updated))
        if not authoritative:
            out += old
        kind, ident = key
        for bc in new:
            bh = blocks.highlights.get(bc.highlight)
            out.append(Comment(bc.id, bh.page if bh is not None else 0, kind, ident, highlight_comment(bc.text),
                               bc.created, bc.updated))
    return tuple(out)


def highlight_comment(markdown: str) -> Optional[Text]:
    """A comment block's Markdown as the text of a comment (rendered and
    sanitised as a DocMeta comment's)."""
    return Text("MARKDOWN", markdown) if markdown else None
