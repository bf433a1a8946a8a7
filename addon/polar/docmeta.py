"""Polar DocMeta (a document's ``state.json``) → typed, immutable records.

The per-card records (Text, Highlight, Comment, Flashcard) are NamedTuples:
as immutable as a frozen dataclass, but made ~4x cheaper (a frozen
dataclass's ``__init__`` calls ``object.__setattr__`` per field; 50,000 cards
make ~250,000 of these records). Being tuples, they compare equal to a plain
tuple of the same values; nothing here compares them with anything but their
own kind.

The parser is deliberately forgiving: Polar files from 2018 to 2022 differ in
shape (capitalised field names, plain-string texts, ``null`` maps, sparse 2.x
exports). Anything that cannot be understood at the card level is recorded in
``Document.problems`` and the rest of the document still syncs; only a file
that is not a JSON object at all raises :class:`DocMetaError`.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Mapping, NamedTuple, Optional, Tuple

try:  # orjson ships with every Anki; fall back to json outside it.
    import orjson as _orjson

    def _loads(data: bytes) -> Any:
        return _orjson.loads(data)

except ImportError:  # pragma: no cover - exercised only without orjson

    def _loads(data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))


TEXT_KINDS = ("HTML", "TEXT", "MARKDOWN")
_TEXT_KIND_OF = {k.lower(): k for k in TEXT_KINDS}  # lower-cased key -> kind

BASIC = "BASIC_FRONT_BACK"
BASIC_AND_REVERSE = "BASIC_FRONT_BACK_AND_REVERSE"
BASIC_OR_REVERSE = "BASIC_FRONT_BACK_OR_REVERSE"
CLOZE = "CLOZE"
CARD_TYPES = (BASIC, BASIC_AND_REVERSE, BASIC_OR_REVERSE, CLOZE)
_CARD_TYPE_SET = {t: t for t in CARD_TYPES}  # a type as read -> the constant (one string, not one per card)
# A ref's kind as read -> the constant, likewise
_REF_KINDS = {k: k for k in ("text-highlight", "area-highlight", "page", "comment")}
_HIGHLIGHT_KINDS = ("text-highlight", "area-highlight")

# Polar's archetype ids, used when an old card lacks a usable ``type``.
_ARCHETYPES = {
    "9d146db1-7c31-4bcf-866b-7b485c4e50ea": BASIC,
    "76152976-d7ae-4348-9571-d65e48050c3f": CLOZE,
    "e3d25ed4-cafd-4350-84e8-123a4258e576": BASIC_AND_REVERSE,
}

# Longest id/label we accept; Polar's are ~10 chars, anything huge is garbage.
_MAX_ID = 200


class DocMetaError(ValueError):
    """The file is not a DocMeta at all (not JSON, not an object, ...)."""


class Text(NamedTuple):
    """One Polar text object: exactly one of HTML, TEXT, MARKDOWN."""

    kind: str  # "HTML" | "TEXT" | "MARKDOWN"
    value: str


class Highlight(NamedTuple):
    id: str
    kind: str  # "text-highlight" | "area-highlight"
    page: int
    text: Optional[Text] = None  # revisedText over text, for text highlights
    image_name: Optional[str] = None  # area highlights: files/image/<name>
    color: Optional[str] = None
    # Where it starts on its page, in page pixels (None: unknown), for reading order.
    top: Optional[float] = None
    left: Optional[float] = None


# NamedTuple's own constructor is a Python function (~0.18 us a call, a
# third of making one): the parse makes a few of these per card, so the
# hot paths build them in C, from every field in order.
_new_text = partial(tuple.__new__, Text)
_new_highlight = partial(tuple.__new__, Highlight)


class Comment(NamedTuple):
    id: str
    page: int
    ref_type: str
    ref_id: str
    content: Optional[Text]
    created: str = ""
    last_updated: str = ""  # (tells a Polar 3 copy edited since: polar.blocks.merge)


class Flashcard(NamedTuple):
    id: str
    type: str  # one of CARD_TYPES
    fields: Mapping[str, Text]  # lower-cased field names: front, back, text, ...
    page: int
    ref_type: str  # "text-highlight" | "area-highlight" | "page" | "" ...
    ref_id: str
    tags: Tuple[str, ...] = ()
    created: str = ""
    last_updated: str = ""

    def field_text(self, name: str) -> Optional[Text]:
        return self.fields.get(name)


_new_flashcard = partial(tuple.__new__, Flashcard)
# A stash file's name: "<10-char id>-<the name it was imported with>" (1ag3DiKsWi-bigtable.pdf).
# Polar's ids are base58check with version 0, so they begin with "1"; a name of the user's
# such as "Assignment-3.pdf" keeps its first word.
_STASH_ID = re.compile(r"^1[0-9A-Za-z]{9}-(?=.)")  # (see _new_text)


@dataclass(frozen=True)
class Document:
    fingerprint: str
    title: str
    filename: str
    url: str
    tags: Tuple[str, ...]  # tag labels, in the file's order
    archived: bool
    nr_pages: int
    flashcards: Tuple[Flashcard, ...]
    highlights: Mapping[str, Highlight]
    comments: Tuple[Comment, ...]
    # Card-level problems: (card id or "", message). The rest still syncs.
    problems: Tuple[Tuple[str, str], ...] = field(default=())
    added: str = ""  # docInfo.added (ISO-8601): when it entered Polar, for reading order
    # Polar 3 block flashcards not synced because which DocMeta card each
    # copies could not be told (polar.blocks.merge): no duplicate made.
    held_back: int = 0
    # Cards made in Polar 3 (``polar.blocks.merge``: a block no DocMeta card
    # pairs with, under its block id). Polar 3 edits a block in place, its id
    # kept, so such a card is never an edit of a card gone since the last
    # sync: it is new, and the gone card was deleted (``Planner.document``).
    made_in_polar_3: FrozenSet[str] = frozenset()
    # docInfo.webCapture: a web page Polar 2 saved as a one-section EPUB (its
    # address in ``url``): no page to name, as for a .phz.
    web_capture: bool = False
    # Cards whose highlight was told from the times alone (a revision's id the
    # DocMeta no longer holds: _revision_parents): card id -> the id its ref
    # names. A card the last sync saw keeps the parent it found then
    # (``sync.read``): a highlight deleted since makes no other one its own.
    guessed: Mapping[str, str] = field(default_factory=dict)
    # (page, id) of a revision's id the DocMeta no longer holds that comments
    # still name, their highlight not told (two fit): a card on the same id
    # whose parent the last sync found tells it (``sync.read``).
    dangling: FrozenSet[Tuple[int, str]] = frozenset()
    # docInfo.fingerprint as the file says (``fingerprint`` is its folder's
    # name): a folder whose file names another folder of the library is a
    # copy of that document (a conflict copy renamed by hand: sync.read).
    claimed: str = ""

    @property
    def display_title(self) -> str:
        """Polar's own rule: ``title || filename || "Untitled"``."""
        return self.title or self.filename or "Untitled"

    @property
    def known_as(self) -> str:
        """What a person knows the document by besides its title (the
        report's tooltips): a web page's address, else its file's name as
        it was imported (the stash's ``<10-char id>-`` taken off), else ""."""
        if self.url and (self.web_capture or not self.filename or self.filename.lower().endswith(".phz")):
            return self.url
        name = _STASH_ID.sub("", self.filename, count=1)
        return name or self.url


# --------------------------------------------------------------------------
# helpers tolerant of every shape seen in the wild


def _map(value: Any) -> Dict[str, Any]:
    """Polar collections are id-keyed maps; null/missing/other → empty."""
    if isinstance(value, dict):
        return value
    return {}


_ABSENT = object()


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """Field lookup that also accepts a capitalised key (``Front`` vs ``front``)."""
    value = obj.get(name, _ABSENT)
    if value is not _ABSENT:
        return value
    # Absent keys are common (most cards have no "tags", most highlights no
    # "revisedText"), so the scan below is kept cheap: none of the file's
    # keys can lower-case to a name with capitals, and only keys as long as
    # the name are lower-cased.
    if name != name.lower():
        return None
    size = len(name)
    for key, value in obj.items():
        if isinstance(key, str) and len(key) == size and key.lower() == name:
            return value
    return None


def _str(value: Any, limit: int = 0) -> str:
    if isinstance(value, str):
        return value[:limit] if limit else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def parse_text(value: Any) -> Optional[Text]:
    """A Text object, or a plain string (very old files). Empty → None."""
    if isinstance(value, str):
        return _new_text(("TEXT", value)) if value else None
    if not isinstance(value, dict):
        return None
    if len(value) == 1:
        # The usual shape, {"HTML": "..."}: one look instead of up to three
        # case-insensitive scans (same result: with a single key, _get finds
        # it exactly when its lower() is the kind's name).
        ((key, got),) = value.items()
        kind = _TEXT_KIND_OF.get(key.lower()) if isinstance(key, str) else None
        if kind is not None and isinstance(got, str) and got:
            return _new_text((kind, got))
        return None
    for kind in TEXT_KINDS:
        got = _get(value, kind.lower())
        if isinstance(got, str) and got:
            return _new_text((kind, got))
    return None


def _page_number(key: str, page: Mapping[str, Any]) -> int:
    info = _map(page.get("pageInfo"))
    num = info.get("num")
    if isinstance(num, int) and not isinstance(num, bool) and num > 0:
        return num
    try:
        return max(int(key), 0)
    except (TypeError, ValueError):
        return 0


# A page without pageInfo.dimensions: US Letter at 96 dpi, Polar's usual page.
_PAGE_SIZE = (816.0, 1056.0)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:  # not NaN
        return float(value)
    return None


def _start(hl: Mapping[str, Any], percent: bool, page: Mapping[str, Any]) -> Tuple[Optional[float], Optional[float]]:
    """(top, left) where a highlight starts, in page pixels.

    Text highlights: the first of their ``rects`` (pixels), but their
    ``order`` when they have one. Area highlights: ``position`` (pixels),
    else their ``rects``, which are percent of the page.

    ``order`` is what Polar 2.x's EPUB viewer stores (``SelectedContents``:
    the selection's top plus the section's scroll; none for a PDF), and what
    Polar's own sorter (polar-shared ``DocAnnotationSorter``) puts a page's
    annotations in order by when present: the rects of a highlight made after
    scrolling through a section are where it was on the screen, not in the
    section (tests/sync/test_polar_real_code.py, Polar's code run)."""
    if not percent:
        order = hl.get("order")
        if order is not None:
            top = _number(order)
            if top is not None and 0 <= top < 10_000_000:
                rect = next(iter(_map(hl.get("rects")).values()), None)
                left = _number(rect.get("left")) if isinstance(rect, dict) else None
                return top, left if left is not None else 0.0
    if percent:
        pos = _map(hl.get("position"))
        top, left = _number(pos.get("y")), _number(pos.get("x"))
        if top is not None and left is not None:
            return top, left
    else:
        # The usual text highlight: one rect of floats, taken as they are
        # (what _number and min() below would give).
        rects = hl.get("rects")
        if rects.__class__ is dict and len(rects) == 1:
            for rect in rects.values():
                if rect.__class__ is dict:
                    top, left = rect.get("top"), rect.get("left")
                    if top.__class__ is float and left.__class__ is float and top == top and left == left:
                        return top, left
    starts = []
    for rect in _map(hl.get("rects")).values():
        if isinstance(rect, dict):
            top, left = _number(rect.get("top")), _number(rect.get("left"))
            if top is not None and left is not None:
                starts.append((top, left))
    if not starts:
        return None, None
    top, left = min(starts)
    if percent:
        dims = _map(_map(page.get("pageInfo")).get("dimensions"))
        width = _number(dims.get("width")) or _PAGE_SIZE[0]
        height = _number(dims.get("height")) or _PAGE_SIZE[1]
        top, left = top * height / 100, left * width / 100
    return top, left


def _split_ref(ref: Any) -> Tuple[str, str]:
    """``"text-highlight:12ab"`` → ("text-highlight", "12ab"), split on the first ``:``.
    Polar's parsed form of a ref, ``{"type": "text-highlight", "value": "12ab"}``
    (``IRef``), reads the same."""
    if isinstance(ref, dict):
        kind, ident = ref.get("type"), ref.get("value")
        ref = f"{kind}:{ident}" if isinstance(kind, str) and isinstance(ident, str) and kind and ident else ""
    if not isinstance(ref, str) or ":" not in ref:
        return "", ""
    kind, _, ident = ref.partition(":")
    return _REF_KINDS.get(kind) or kind[:_MAX_ID], ident[:_MAX_ID]


def _tag_labels(value: Any) -> Tuple[str, ...]:
    labels: List[str] = []
    if isinstance(value, dict):
        for key, tag in value.items():
            label = _str(_get(tag, "label")) if isinstance(tag, dict) else ""
            label = label or (key if isinstance(key, str) else "")
            if label:
                labels.append(label[:_MAX_ID])
    elif isinstance(value, list):  # not Polar's shape, but cheap to accept
        labels = [t[:_MAX_ID] for t in value if isinstance(t, str) and t]
    return tuple(labels)


_CLOZE_RE = re.compile(r"\{\{c\d+::")


def _card_type(get: Callable[[str], Any], fields: Mapping[str, Any]) -> Optional[str]:
    ctype = get("type")
    if ctype.__class__ is str and ctype in _CARD_TYPE_SET:  # as Polar writes it
        return _CARD_TYPE_SET[ctype]  # the one string of that name, not one per card
    ctype = _str(ctype).upper()
    if ctype in CARD_TYPES:
        return ctype
    arch = _ARCHETYPES.get(_str(get("archetype")))
    if arch:
        return arch
    # No usable type: infer from the fields present.
    if "text" in fields and "front" not in fields:
        return CLOZE
    if "front" in fields:
        return BASIC
    return None


# The keys Polar writes on a flashcard, spelled as it writes them. When a
# card has no other key, no key can be a capitalised variant of a name looked
# up, so a plain dict lookup finds exactly what ``_get`` would (and a missing
# ``tags`` needs no scan). Other cards (old or hand-made files: "Fields",
# "Type") take ``_get``. One set comparison per card instead of ~8 calls.
_CARD_KEYS = frozenset(
    ("id", "guid", "created", "lastUpdated", "type", "fields", "archetype", "ref", "tags", "author", "flagged")
)


def _parse_flashcard(
    key: str, raw: Any, page: int, parent: Tuple[str, str]
) -> Tuple[Optional[Flashcard], Optional[str]]:
    if not isinstance(raw, dict):
        return None, "flashcard is not an object"
    get: Callable[[str], Any] = raw.get if raw.keys() <= _CARD_KEYS else partial(_get, raw)
    # The map key is the card's id; an "id" field of another type (a number)
    # is damage, and must not give the card a new identity (a new note).
    raw_id = get("id")
    ident = (raw_id[:_MAX_ID] if isinstance(raw_id, str) else "") or (key[:_MAX_ID] if isinstance(key, str) else "")
    if not ident:
        return None, "flashcard has no id"
    fields: Dict[str, Text] = {}
    raw_fields = get("fields")
    if isinstance(raw_fields, dict):
        for name, value in raw_fields.items():
            if not isinstance(name, str):
                continue
            if value.__class__ is dict and len(value) == 1:
                # {"HTML": "..."} as Polar writes it: parse_text's result, without the call.
                ((kind, got),) = value.items()
                if kind in TEXT_KINDS and got.__class__ is str and got:
                    fields[_LOWERED.get(name) or _lower(name)] = _new_text((kind, got))
                    continue
            text = parse_text(value)
            if text is not None:
                fields[_lower(name)] = text
    # Below, the usual value (as Polar writes it) is taken at once and
    # anything else goes through the general helper: ~1 us a card less.
    ctype = get("type")
    ctype = _CARD_TYPE_SET.get(ctype) if ctype.__class__ is str else None
    if ctype is None:
        ctype = _card_type(get, fields)
        if ctype is None:
            return None, f"flashcard {ident}: unknown type {_str(get('type'))!r}"
    if ctype is CLOZE and "text" not in fields:
        front = fields.get("front")
        if front is not None and "back" in fields and _CLOZE_RE.search(front.value) is None:
            # Typed CLOZE but a front and a back without a deletion (Polar's
            # MockFlashcards.attachFlashcards writes these, with the
            # front/back archetype): a front/back card, not one to refuse.
            ctype = BASIC
    ref = get("ref")
    if ref.__class__ is str and ":" in ref:
        ref_type, _, ref_id = ref.partition(":")
        ref_type = _REF_KINDS.get(ref_type) or ref_type[:_MAX_ID]
        ref_id = ref_id[:_MAX_ID]
    else:
        ref_type, ref_id = _split_ref(ref)
    if not ref_type and parent[0]:
        ref_type, ref_id = parent
    tags = get("tags")
    created, last_updated = get("created"), get("lastUpdated")
    if created.__class__ is not str or len(created) > 64:
        created = _str(created, 64)
    if last_updated.__class__ is not str or len(last_updated) > 64:
        last_updated = _str(last_updated, 64)
    # Every field, in the field order (see _new_text).
    card = _new_flashcard((
        ident,
        ctype,
        fields,
        page,
        ref_type,
        ref_id,
        _tag_labels(tags) if tags is not None else (),  # tags
        created,
        last_updated if last_updated != created else created,  # one string when the same (usual)
    ))
    return card, None


# Field names lower-cased once per spelling, one string each: a first sync
# can hold every card's record until it is rendered (sync.read.Pending).
_LOWERED: Dict[str, str] = {}


def _lower(name: str) -> str:
    low = _LOWERED.get(name)
    if low is None:
        low = name.lower()
        if len(_LOWERED) < 256:
            _LOWERED[name] = low
    return low


def _iter_pages(pages: Mapping[str, Any], problems: List[Tuple[str, str]]) -> Iterator[Tuple[int, Dict[str, Any]]]:
    def order(item: Tuple[Any, Any]) -> Tuple[int, str]:
        key = item[0]
        try:
            return int(key), ""
        except (TypeError, ValueError):
            return 1 << 30, str(key)

    for key, page in sorted(pages.items(), key=order):
        if isinstance(page, dict):
            # Polar's usual page has its number at pageInfo.num: what
            # _page_number would give first, without its two calls.
            info = page.get("pageInfo")
            num = info.get("num") if info.__class__ is dict else None
            yield (num if num.__class__ is int and num > 0 else _page_number(str(key), page)), page
        elif page is not None:  # null is Polar's "empty"; anything else may hide cards
            problems.append(("", f"page {_str(key, _MAX_ID)!r} is a {type(page).__name__}, not a map; skipped"))


def _checked_map(value: Any, problems: List[Tuple[str, str]], owner: str, ident: object, part: str) -> Dict[str, Any]:
    """Like ``_map``, but a value that is neither a map nor null is reported:
    it may have held flashcards, and a card must never vanish silently.
    The map is named ``"<owner> <ident> <part>"`` (``page 3 flashcards``),
    put together only for the report (this runs ~5 times per page)."""
    if isinstance(value, dict):
        return value
    if value is not None:
        problems.append(("", f"{owner} {ident} {part} is a {type(value).__name__}, not a map; skipped"))
    return {}


def load_json(data: bytes) -> Any:
    """Parse bytes as JSON, tolerating a UTF-8 BOM; raise DocMetaError otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise DocMetaError("file is empty")
    try:
        return _loads(data)
    except ValueError as exc:  # orjson.JSONDecodeError and json's both subclass it
        if _LONE_ESCAPE.search(data):
            mended = _without_lone_surrogates(data)
            if mended is not None:
                return mended
        raise DocMetaError(f"not valid JSON ({_short(exc)})") from None
    except RecursionError:
        raise DocMetaError("JSON nested too deeply") from None


# JavaScript strings may hold half of a character outside the BMP (a text
# cut in the middle of "𝑥" or an emoji), and JSON.stringify writes it as an
# escape (``"\ud835"``, well-formed JSON.stringify, Electron 5 on), which
# orjson refuses: the whole document was lost. Python's json takes it.
_LONE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(data: bytes) -> Any:
    """``data`` parsed by Python's json, each half character left in a string
    (a key or a value) made U+FFFD, the "�" Polar showed in its place; None
    when it is not JSON for Python's parser either."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError)
        return None

    def mend(value: Any) -> Any:
        return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value

    todo = [parsed]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            for key in list(item):
                value = item[key]
                if isinstance(value, (dict, list)):
                    todo.append(value)
                fixed = mend(key)
                if fixed != key:
                    del item[key]
                item[fixed] = mend(value)
        elif isinstance(item, list):
            for i, value in enumerate(item):
                if isinstance(value, (dict, list)):
                    todo.append(value)
                else:
                    item[i] = mend(value)
    return mend(parsed)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def parse_docmeta(data: Any, fingerprint: str = "") -> Document:
    """Build a :class:`Document` from raw bytes or an already-decoded dict.

    ``fingerprint`` is the folder name (or export id); it wins over the
    ``docInfo.fingerprint`` field because it is what identifies the file.
    """
    raw = load_json(bytes(data)) if isinstance(data, (bytes, bytearray)) else data
    if isinstance(raw, str):  # a DocMeta serialised as a JSON string (2.x)
        raw = load_json(raw.encode("utf-8"))
    if not isinstance(raw, dict):
        raise DocMetaError(f"expected a JSON object, found {type(raw).__name__}")
    info = _map(raw.get("docInfo"))
    if not info and "pageMetas" not in raw:
        raise DocMetaError("not a Polar DocMeta (no docInfo or pageMetas)")
    if raw.get("pageMetas") is None:
        # Polar writes pageMetas in every DocMeta (DocMetas.create, a sparse
        # one's too: polar-shared SparseDocMetas.toSparse; DocMeta.validate
        # asserts it): one without is damaged, not a document with no cards.
        raise DocMetaError("not a Polar DocMeta (its pageMetas is missing or null)")
    fp = fingerprint or _str(info.get("fingerprint"), _MAX_ID)

    problems: List[Tuple[str, str]] = []
    highlights: Dict[str, Highlight] = {}
    comments: List[Comment] = []
    cards: Dict[str, Flashcard] = {}
    # (its key, its guid, page, created, lastUpdated) where the guid is not the id
    renamed: List[Tuple[str, str, int, str, str]] = []
    # A highlight's id names it on its own page only: Polar makes it from the
    # rectangles (TextHighlightRecords.create: createID(rects)), so the same
    # rectangles on two pages give two highlights one id, and Polar's sidebar
    # looks for a child's parent on the child's page (createChildren). The
    # first page's keeps the id; another's is keyed "<id>@<page>" and the refs
    # of its page's cards and comments follow (``local``: that page's keys).
    local: Dict[str, str] = {}

    def add_card(key: str, value: Any, page: int, parent: Tuple[str, str]) -> None:
        card, problem = _parse_flashcard(key, value, page, parent)
        if problem:
            problems.append((_str(key, _MAX_ID), problem))
        elif card is not None and card.id not in cards:  # de-duplicate by id
            if local and card.ref_id in local and card.ref_type in _HIGHLIGHT_KINDS:
                card = card._replace(ref_id=local[card.ref_id])
            cards[card.id] = card

    pages = raw.get("pageMetas")
    if pages is not None and not isinstance(pages, dict):
        problems.append(("", f"pageMetas is a {type(pages).__name__}, not a map"))
    # A page's maps and a highlight's fields come as Polar writes them
    # (``dict``, ``str``) in nearly every file: taken as they are here, every
    # other shape through the general helpers (the same result). A 50,000-card
    # library has ~30,000 pages and highlights: ~1 us each less.
    for num, page in _iter_pages(_map(pages), problems):
        if local:
            local = {}
        found = page.get("textHighlights")
        if found.__class__ is not dict:
            found = _checked_map(found, problems, "page", num, "textHighlights")
        for hid, hl in found.items():
            if not isinstance(hl, dict):
                continue
            value = hl.get("id")
            hid = value if value.__class__ is str and 0 < len(value) <= _MAX_ID else (
                _str(value, _MAX_ID) or _str(hid, _MAX_ID))
            # hl.get: a name with capitals has no variant _get would find.
            revised = hl.get("revisedText")
            value = hl.get("text") if revised is None else None
            if value.__class__ is dict and len(value) == 1:
                ((kind, got),) = value.items()  # {"TEXT": "..."}: parse_text's result, without the call
                text = _new_text((kind, got)) if kind in TEXT_KINDS and got.__class__ is str and got else (
                    parse_text(value))
            else:
                text = (parse_text(revised) if revised is not None else None) or parse_text(_get(hl, "text"))
            top, left = _start(hl, False, page)
            value = hl.get("color")
            color = value if value.__class__ is str and 0 < len(value) <= 32 else (_str(value, 32) or None)
            key = hid if hid not in highlights else _page_key(highlights, hid, num, local)
            # Every field, as Flashcard above: id, kind, page, text, image_name, color, top, left.
            highlights[key] = _new_highlight((hid, "text-highlight", num, text, None, color, top, left))
            value = hl.get("guid")
            if value != hid and value.__class__ is str and value:  # its text revised: a new id (see _follow_refs)
                renamed.append((key, value[:_MAX_ID], num, _str(hl.get("created"), 64),
                                _str(hl.get("lastUpdated"), 64)))
            value = hl.get("flashcards")
            if value or (value is not None and value.__class__ is not dict):  # (most have none: {})
                for ck, cv in _checked_map(value, problems, "highlight", hid, "flashcards").items():
                    add_card(ck, cv, num, ("text-highlight", key))
        found = page.get("areaHighlights")
        if found.__class__ is not dict:
            found = _checked_map(found, problems, "page", num, "areaHighlights")
        for hid, hl in found.items():
            if not isinstance(hl, dict):
                continue
            hid = _str(hl.get("id"), _MAX_ID) or _str(hid, _MAX_ID)
            image = _map(hl.get("image"))
            src = image.get("src")
            name = _str(_get(src, "name")) if isinstance(src, dict) else ""
            top, left = _start(hl, True, page)
            key = hid if hid not in highlights else _page_key(highlights, hid, num, local)
            highlights[key] = _new_highlight(
                (hid, "area-highlight", num, None, name[:_MAX_ID] or None, _str(hl.get("color"), 32) or None, top, left)
            )
            value = hl.get("guid")
            if value != hid and isinstance(value, str) and value:
                renamed.append((key, value[:_MAX_ID], num, "", ""))
            for ck, cv in _checked_map(hl.get("flashcards"), problems, "highlight", hid, "flashcards").items():
                add_card(ck, cv, num, ("area-highlight", key))
        found = page.get("comments")
        if found.__class__ is not dict:
            found = _checked_map(found, problems, "page", num, "comments")
        for cid, cm in found.items():
            if not isinstance(cm, dict):
                continue
            ref_type, ref_id = _split_ref(cm.get("ref"))
            if local and ref_id in local and ref_type in _HIGHLIGHT_KINDS:
                ref_id = local[ref_id]
            comments.append(
                Comment(
                    _str(cm.get("id"), _MAX_ID) or _str(cid, _MAX_ID),  # id
                    num,  # page
                    ref_type,
                    ref_id,
                    parse_text(_get(cm, "content")),  # content
                    _str(cm.get("created"), 64),  # created
                    _str(cm.get("lastUpdated"), 64),  # last_updated
                )
            )
        found = page.get("flashcards")
        if found.__class__ is not dict:
            found = _checked_map(found, problems, "page", num, "flashcards")
        if found:
            parent = ("page", str(num))
            for ck, cv in found.items():  # add_card, without the call
                card, problem = _parse_flashcard(ck, cv, num, parent)
                if problem:
                    problems.append((_str(ck, _MAX_ID), problem))
                elif card is not None and card.id not in cards:  # de-duplicate by id
                    if local and card.ref_id in local and card.ref_type in _HIGHLIGHT_KINDS:
                        card = card._replace(ref_id=local[card.ref_id])
                    cards[card.id] = card

    guessed: Dict[str, str] = {}
    dangling: FrozenSet[Tuple[int, str]] = frozenset()
    if renamed or any(card.ref_type == "comment" for card in cards.values()):
        comments = _follow_refs(highlights, cards, comments, renamed, guessed)
        if renamed:
            # Also an id beginning with "1" (a random revision id does, one in 256; a deleted
            # highlight's always): only a card's stored parent still in the document is learnt.
            dangling = frozenset((c.page, c.ref_id) for c in comments if c.ref_type == "text-highlight"
                                 and c.ref_id and c.ref_id not in highlights)
    nr_pages = info.get("nrPages")
    return Document(
        fingerprint=fp,
        title=_str(info.get("title"), 1000).strip(),
        filename=_str(info.get("filename"), 1000),
        url=_str(info.get("url"), 2000),
        tags=_tag_labels(info.get("tags")),
        archived=info.get("archived") is True,
        nr_pages=nr_pages if isinstance(nr_pages, int) and not isinstance(nr_pages, bool) else 0,
        flashcards=tuple(cards.values()),
        highlights=highlights,
        comments=tuple(comments),
        problems=tuple(problems),
        added=_str(info.get("added"), 64),
        web_capture=info.get("webCapture") is True,
        guessed=guessed,
        dangling=dangling,
        claimed=_str(info.get("fingerprint"), _MAX_ID),
    )


def _page_key(highlights: Mapping[str, Highlight], hid: str, page: int, local: Dict[str, str]) -> str:
    """The key of highlight ``hid`` of ``page`` when a highlight of that id
    is already in ``highlights``: its own id when that one is on the same
    page (the later wins, as before), else "<id>@<page>", noted in ``local``
    for the refs of the page's cards and comments (see parse_docmeta)."""
    if highlights[hid].page == page:
        return hid
    key = local[hid] = f"{hid}@{page}"
    return key


_ISO_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$")


def iso_instant(stamp: str) -> Optional[float]:
    """Seconds since 1970 of an ISO time as Polar writes it (``toISOString``:
    "2021-03-01T09:00:01.500Z"; no zone read as UTC); None for anything else.
    Not ``datetime.fromisoformat``: Python 3.9 (Anki up to 25.02) refuses a
    stamp that 3.11+ reads (two fraction digits, "+0000"), and one library
    would then sync differently in two Ankis."""
    found = _ISO_TIME.match(stamp)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        when = calendar.timegm((int(year), int(month), int(day), int(hour), int(minute), int(second)))
    except (ValueError, OverflowError):
        return None
    if fraction:
        when += int(fraction) / 10 ** len(fraction)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        when += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return when


def _follow_refs(
    highlights: Dict[str, Highlight], cards: Dict[str, Flashcard], comments: List[Comment],
    renamed: List[Tuple[str, str, int, str, str]], guessed: Dict[str, str],
) -> List[Comment]:
    """Parents as Polar finds them (``DocAnnotation.createChildren``: a
    child's ref names its highlight's ``id`` *or* ``guid``, on the child's
    page), and the parents of the children Polar loses to re-keying.

    Revising a highlight's text gives it a new id and keeps its guid (Polar's
    ``TextHighlights.setRevisedText``, since late 2019), so the cards and
    comments made before point at the guid, those made after at the new id.
    Each ref to a highlight is made its guid, the highlight's stable name
    (an edited card keeps its parent and is recognised as the same card),
    and ``highlights`` answers to the guid too ("<guid>@<page>" when another
    page's highlight has that name already: ids are made from rectangles).

    A child made on a revision *between* two others points at an id that is
    in the DocMeta no more: Polar itself shows it under no highlight. Its
    highlight is found when one alone can be it (``_revision_parents``;
    such cards are noted in ``guessed``).

    A card made on a comment (``comment:<id>``) gets the comment's highlight
    as its parent, for its context. Updates ``highlights`` and ``cards`` in
    place; returns the comments, their refs followed the same way. Only
    documents with such highlights or cards come here."""
    stable: Dict[str, str] = {}  # a revised highlight's key -> its stable name
    named: Dict[Tuple[int, str], str] = {}  # (page, a name children use) -> the stable name
    for key, guid, page, _, _ in renamed:
        name = guid
        other = highlights.get(guid)
        if other is not None:
            if other.page == page:  # an id wins over another highlight's guid
                continue
            name = f"{guid}@{page}"
            if name in highlights:
                continue
        stable[key] = name
        highlights[name] = highlights[key]
        named[(page, guid)] = name
    revised = [r for r in renamed if r[0] in stable and r[3] and highlights[r[0]].kind == "text-highlight"]
    inferred = _revision_parents(highlights, cards, comments, revised, stable, named) if revised else {}
    named.update(inferred)

    def follow(ref_type: str, ref_id: str, page: int) -> Tuple[str, str]:
        if ref_type in _HIGHLIGHT_KINDS:
            name = named.get((page, ref_id)) or stable.get(ref_id)
            if name is not None:
                return ref_type, name
        return ref_type, ref_id

    followed = []
    for comment in comments:
        ref = follow(comment.ref_type, comment.ref_id, comment.page)
        followed.append(comment if ref == (comment.ref_type, comment.ref_id) else
                        comment._replace(ref_type=ref[0], ref_id=ref[1]))
    parents = {c.id: (c.ref_type, c.ref_id) for c in followed if c.ref_type in _HIGHLIGHT_KINDS}
    for key, card in cards.items():
        if card.ref_type == "comment":
            ref = parents.get(card.ref_id, ("", ""))
        else:
            ref = follow(card.ref_type, card.ref_id, card.page)
            if inferred and (card.page, card.ref_id) in inferred:
                guessed[key] = card.ref_id
        if ref[0] and ref != (card.ref_type, card.ref_id):
            cards[key] = card._replace(ref_type=ref[0], ref_id=ref[1])
    return followed


def _revision_parents(
    highlights: Mapping[str, Highlight], cards: Mapping[str, Flashcard], comments: List[Comment],
    revised: List[Tuple[str, str, int, str, str]], stable: Mapping[str, str],
    named: Mapping[Tuple[int, str], str],
) -> Dict[Tuple[int, str], str]:
    """(page, id) -> stable name, for the ids of text highlights' revisions
    the DocMeta no longer holds, where the cards and comments made on such a
    revision can have been made on one highlight only.

    A highlight revised twice lost the id of its first revision; a child
    made on that revision points at it, and Polar (its sidebar, Polar 3's
    migration) matches only the id and the guid. What the DocMeta still
    tells: the child was made on its page
    while its highlight was revised and not yet as it is now: after the
    highlight's ``created``, before its ``lastUpdated`` (the last revision or
    a later change), and before any child made on its present id. Every
    child of the lost id must fit; a lost id that more than one revised
    highlight of the page fits stays unresolved (the last sync's parent may
    still hold it: ``sync.read._stored_parent``).

    A lost id beginning with "1" is most often a deleted highlight's own
    first id (``createID``; old Polar left its cards behind, issue #1231),
    and one revision in 256 (``createRandomID``: base58 of 32 bytes, the
    first byte 0). It is taken for a revision only when its children were
    made after a child on another lost revision of the same highlight: by
    then the highlight was being revised, and a card left by a deletion
    years ago is not given a text that was never its own."""
    lost: Dict[Tuple[int, str], List[float]] = {}  # (page, lost id) -> its children's times
    now: Dict[Tuple[int, str], float] = {}  # (page, present id) -> its earliest child
    children: List[Tuple[str, str, int, str]] = [(c.ref_type, c.ref_id, c.page, c.created) for c in comments]
    children += [(c.ref_type, c.ref_id, c.page, c.created) for c in cards.values()]
    for ref_type, ref_id, page, created in children:
        if ref_type != "text-highlight" or not ref_id:
            continue
        at = iso_instant(created)
        if ref_id in stable:
            if at is not None and at < now.get((page, ref_id), float("inf")):
                now[(page, ref_id)] = at
        elif ref_id not in highlights and (page, ref_id) not in named:
            lost.setdefault((page, ref_id), []).append(at if at is not None else float("nan"))
    if not lost:
        return {}
    spans: Dict[int, List[Tuple[str, float, float]]] = {}  # page -> (stable name, from, until)
    for key, _, page, created, last_updated in revised:
        start, end = iso_instant(created), iso_instant(last_updated)
        if start is not None and end is not None:
            end = min(end, now.get((page, key), end))
            spans.setdefault(page, []).append((stable[key], start, end))
    found: Dict[Tuple[int, str], str] = {}
    revised_by: Dict[Tuple[int, str], float] = {}  # (page, name) -> its earliest child on a random id
    for (page, ref_id), times in sorted(lost.items(), key=lambda item: item[0][1][0] == "1"):
        fits = [name for name, start, end in spans.get(page, ()) if all(start < t < end for t in times)]
        if len(fits) != 1:
            continue
        place = (page, fits[0])
        if ref_id[0] != "1":
            found[(page, ref_id)] = fits[0]
            revised_by[place] = min(min(times), revised_by.get(place, float("inf")))
        elif all(t > revised_by.get(place, float("inf")) for t in times):
            found[(page, ref_id)] = fits[0]
    return found


def parse_export_entry(data: bytes, fallback_id: str) -> Document:
    """A Polar 2.x export ``doc_meta/<id>.json``: the DocMeta is a JSON *string*
    at ``value.value`` (possibly sparse: empty maps and pages omitted)."""
    docmeta, ident, _ = export_docmeta(data, fallback_id)
    return parse_docmeta(docmeta, ident)


def export_docmeta(data: bytes, fallback_id: str) -> Tuple[Any, str, Any]:
    """(the DocMeta, its document's key, the record's ``value.ver``) of an
    export's ``doc_meta`` record. ``ver`` is 3 once Polar's server-side
    migration moved the document's annotations into Polar 3 blocks."""
    wrapper = load_json(data)
    if not isinstance(wrapper, dict):
        raise DocMetaError("export entry is not a JSON object")
    outer = _map(wrapper.get("value"))
    inner = outer.get("value")
    if isinstance(inner, str):
        docmeta: Any = load_json(inner.encode("utf-8"))
    elif isinstance(inner, dict):
        docmeta = inner
    elif "docInfo" in wrapper or "pageMetas" in wrapper:
        docmeta = wrapper  # a bare DocMeta dropped into doc_meta/
    else:
        raise DocMetaError("export entry has no DocMeta at value.value")
    if isinstance(docmeta, dict) and not _map(docmeta.get("docInfo")):
        # Sparse exports may keep docInfo only beside the DocMeta.
        outer_info = _map(outer.get("docInfo"))
        if outer_info:
            docmeta = dict(docmeta, docInfo=outer_info)
    ident = _str(wrapper.get("id"), _MAX_ID) or fallback_id
    if isinstance(docmeta, dict):
        fp = _str(_map(docmeta.get("docInfo")).get("fingerprint"), _MAX_ID)
        ident = fp or ident
    return docmeta, ident, outer.get("ver")
