"""An EPUB's sections, read with zipfile, made into pages that show the
book's own text, CSS and images and nothing else: for the add-on's book
window (gui/book_window.py), which opens an EPUB card at its highlight.

Polar 2.x stores an EPUB highlight's place as a section number (its "page",
1-based: the Nth *linear* item of the book's spine, see docs/dev-notes/viewer.md
round 5) and rects, no CFI; it also stores
the highlight's text, so the place is found by that text in the section
(and, when the section does not have it, in the others, nearest first).

A page made here is self-contained: the book's stylesheets are put inline,
its images (and CSS ``url()``\\s) become ``data:`` URIs read from the zip,
and whatever points outside the .epub (an http image, a font on the web)
is dropped. Its scripts, event handlers, frames and objects are removed:
the window runs none (its JavaScript is off too). Nothing here reads
outside the .epub given. Never imports aqt (runs off Anki's main thread).
"""

from __future__ import annotations

import base64
import html
import io
import os
import posixpath
import re
import threading
import unicodedata
import zipfile
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple
from urllib.parse import quote, unquote, urldefrag
from xml.etree import ElementTree

# What one shown section may hold in inlined images and fonts (Qt WebEngine
# shows no page set as HTML larger than 2 MB): past this, an image is its
# alternative text.
INLINE_BUDGET = 1_500_000
# A link to section N (and an id in it): SECTION_LINK + "N#id". An https
# address, as Chromium hands a link of a scheme it does not know to the
# system, not to the page; the window takes it (nothing is ever fetched: the
# ".invalid" domain, and the window's interceptor blocks every https request).
SECTION_LINK = "https://polar-section.invalid/"
# A link to another file of the book, not a section: SECTION_LINK + FILE_LINK
# + the member's name, quoted (+ "#id").
FILE_LINK = "file/"
_PAGE_FILES = (".xhtml", ".html", ".htm", ".xml")
PAGE_MAX = 1_900_000  # characters; past this a page keeps its text and loses its inlined images
# Images past the inline budget are not put in the page: the window hands
# them to it once it has loaded (``Section.deferred``: an element whose src
# or href is DEFERRED + "N" gets the Nth), up to this much a section.
DEFER_BUDGET = 40 * 1024 * 1024
DEFERRED = "#polar-deferred-"
_SRC_DATA = re.compile(r'(\s(?:src|href|xlink:href|poster)\s*=\s*)"(data:image/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+)"',
                       re.IGNORECASE)
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]+")
_MAX_MEMBER = 64 * 1024 * 1024  # a section or stylesheet larger than this is not a book's


class EpubError(Exception):
    """The file is not an EPUB that can be read (not a zip, no container,
    no OPF, an empty spine)."""


class Section(NamedTuple):
    number: int  # 1-based spine position (Polar's "page")
    total: int  # sections in the book
    html: str  # the page to show
    found: bool  # the highlight's text is in it, marked (id "polar-mark")
    places: int = 0  # how many times the words are in it (the others: class "polar-also")
    picked: int = 0  # which of them is marked (1-based; 0: none)
    by_position: bool = False  # picked by Polar's position, not just the first
    part: int = 0  # the words run across sections: -1 their start is here, 1 their end
    deferred: Tuple[str, ...] = ()  # data: URIs of the images the window puts in after the load (DEFERRED)
    document: str = ""  # not a section: this file of the book, shown alone (``Book.document``)
    sure: bool = False  # picked by position whatever the width of Polar's window was (``_sure``)


def _shown_alone(member: str) -> bool:
    """A file of the book the window can show by itself: a page or a picture."""
    kind = _MEDIA_TYPES.get(posixpath.splitext(member)[1].lower(), "")
    return member.lower().endswith(_PAGE_FILES) or kind.startswith("image/")


class Hint(NamedTuple):
    """Where Polar says a highlight is in its section, to choose among the
    places that have its words: ``y`` px down the section (an EPUB text
    highlight's ``order``: polar-bookshelf's SelectedContents.computeOrder,
    the selection's top + the section's scroll, at the width Polar's window
    had; or a rect's top); ``height`` the section's height in those px when
    Polar stored one (then y / height is compared with each place's share
    of the section); ``anchors`` the (text, y) of the section's other
    highlights: those whose words are in it once tell how Polar's px fall
    on this section's text."""

    y: float
    height: Optional[float] = None
    anchors: Tuple[Tuple[str, float], ...] = ()
    # (section, text, y) of highlights in other sections: how Polar's px
    # compare with the rough layout in this book, at this person's width.
    elsewhere: Tuple[Tuple[int, str, float], ...] = ()


def hint_of(spot: object) -> Optional[Hint]:
    """The hint an ``originals.Spot`` gives: its ``order``, else its first
    rect's top (with the page's height when stored); None without either."""
    order = getattr(spot, "order", None)
    anchors = tuple(getattr(spot, "others", ()) or ())
    size = getattr(spot, "page_size", None)
    if isinstance(order, (int, float)):
        # A height stored for the section is used only when the order lies within it.
        height = float(size[1]) if size and 0 <= order <= size[1] else None
        return Hint(float(order), height, anchors, tuple(getattr(spot, "elsewhere", ()) or ()))
    rects = getattr(spot, "rects", ()) or ()
    if rects and getattr(spot, "unit", "px") == "px":
        top = min(rect[1] for rect in rects)
        return Hint(float(top), float(size[1]) if size else None, ())
    if rects:  # percent of the section
        return Hint(float(min(rect[1] for rect in rects)), 100.0, ())
    return None


_MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".svg": "image/svg+xml", ".webp": "image/webp", ".bmp": "image/bmp",
    ".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class Book:
    """An .epub's spine, read from its bytes (the caller reads the file)."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            names = self._zip.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise EpubError(f"not a zip file: {exc}") from exc
        self._names = set(names)
        self._lock = threading.Lock()  # (one zip over one buffer: a section turned to while another is made)
        try:
            container = ElementTree.fromstring(self._read("META-INF/container.xml"))
            rootfile = next((el.get("full-path") for el in container.iter() if _local(el.tag) == "rootfile"), None)
            if not rootfile:
                raise EpubError("container.xml names no OPF")
            opf = ElementTree.fromstring(self._read(rootfile))
        except ElementTree.ParseError as exc:
            raise EpubError(f"unreadable container or OPF: {exc}") from exc
        base = posixpath.dirname(rootfile)
        manifest: Dict[str, Tuple[str, str]] = {}
        spine_ids: List[str] = []
        for el in opf.iter():
            name = _local(el.tag)
            if name == "item" and el.get("id") and el.get("href"):
                href = unquote(urldefrag(el.get("href", ""))[0])
                manifest[el.get("id", "")] = (posixpath.normpath(posixpath.join(base, href)), el.get("media-type", ""))
            elif name == "itemref" and el.get("idref"):
                if (el.get("linear") or "yes").strip().lower() != "no":
                    spine_ids.append(el.get("idref", ""))
        # Polar's pages are the spine's linear items (polar-bookshelf's
        # EPUBDocument: spine.items.filter(s => s.linear); page N is the Nth).
        self.sections = [manifest[i][0] for i in spine_ids if i in manifest and manifest[i][0] in self._names]
        if not self.sections:
            raise EpubError("the OPF's spine names no section in the file")

    def _read(self, name: str) -> bytes:
        if name not in self._names:
            raise EpubError(f"{name} is not in the file")
        info = self._zip.getinfo(name)
        if info.file_size > _MAX_MEMBER:
            raise EpubError(f"{name} is too large")
        try:
            with self._lock:
                return self._zip.read(name)
        except Exception as exc:  # a damaged member: BadZipFile, zlib.error, EOFError, NotImplementedError ...
            raise EpubError(f"{name} cannot be read: {exc}") from exc

    def _source(self, number: int) -> Optional[str]:
        if not 1 <= number <= len(self.sections):
            return None
        try:
            return _decode(self._read(self.sections[number - 1]))
        except EpubError:
            return None

    def section(self, number: int, text: str = "", night: bool = False, hint: Optional[Hint] = None) -> Section:
        """Section ``number`` (1-based, clamped to the book), made into a
        page, with ``text`` marked when it has it (the place ``hint``
        points to when it has it several times), or its part of ``text``
        when the words run on from or into a section next to it."""
        number = min(max(number, 1), len(self.sections))
        name = self.sections[number - 1]
        source = _decode(self._read(name))
        marked, places, picked, by_position, sure, part = source, 0, 0, False, False, 0
        if text.strip():
            if _may_have(source, text):  # (a quick look first: a long section turned to without the words)
                marked, places, picked, by_position, sure = mark_place(source, text, hint,
                                                                       lambda: self._scale(hint))
            if not places:
                split = self._split_here(number, source, text)
                if split is not None:
                    part, (start, end) = split
                    marked, places, picked = _mark_range(source, start, end, ()), 1, 1
        maker = _Page(self, name)
        page = maker.make(marked, night)
        return Section(number, len(self.sections), page, places > 0, places, picked, by_position, part,
                       tuple(maker.deferred), sure=sure)

    def _scale(self, hint: Optional[Hint]) -> Optional[float]:
        """Polar's px for one px of the rough layout, in this book as this
        person's window showed it: the median over the highlights of up to
        three other sections (nearest first) whose words are there once."""
        if hint is None or not hint.elsewhere:
            return None
        ratios: List[float] = []
        by_section: Dict[int, List[Tuple[str, float]]] = {}
        for number, words, y in hint.elsewhere:
            by_section.setdefault(number, []).append((words, y))
        for number in sorted(by_section)[:3]:
            source = self._source(number)
            if source is None:
                continue
            heights: List[float] = []
            chars, _ = _text_chars(source, heights)
            for words, y in by_section[number]:
                found, _ = _places(chars, normalise(words))
                if len(found) == 1 and heights[found[0][0]] > 4 * TOP_PX and y > 0:
                    ratios.append(y / heights[found[0][0]])
        if not ratios:
            return None
        ratios.sort()
        return ratios[len(ratios) // 2]

    def document(self, member: str, number: int, night: bool = False) -> Section:
        """A file of the book that is no section (a notes file outside the
        reading order, a picture) made into a page, shown from section
        ``number``'s window (its arrows go on from there)."""
        if member not in self._names or not _shown_alone(member):
            raise EpubError(f"{member} is not a page or picture of the book")
        if member.lower().endswith(_PAGE_FILES):
            source = _decode(self._read(member))
        else:
            name = html.escape(quote(posixpath.basename(member)))
            source = f'<html><head><title></title></head><body><p><img src="{name}" alt=""/></p></body></html>'
        maker = _Page(self, member)
        page = maker.make(source, night)
        number = min(max(number, 1), len(self.sections))
        return Section(number, len(self.sections), page, False, deferred=tuple(maker.deferred), document=member)

    def _split_here(self, number: int, source: str, text: str) -> Optional[Tuple[int, Tuple[int, int]]]:
        """``text`` begun at the end of this section and ended at the start
        of the next (-1), or begun at the end of the one before and ended
        at this one's start (1): where this section's part is."""
        for before, after, part in ((source, self._source(number + 1), -1), (self._source(number - 1), source, 1)):
            if before is None or after is None:
                continue
            split = find_split(before, after, text)
            if split is not None:
                return part, split[0] if part == -1 else split[1]
        return None

    def place(self, number: int, text: str, night: bool = False, hint: Optional[Hint] = None) -> Section:
        """Where the highlight is: section ``number`` when it has ``text``,
        else the nearest section that has it, else (the words run across
        two sections) the one of the two nearest ``number``, its part
        marked, else section ``number`` unmarked (``found`` False)."""
        count = len(self.sections)
        number = min(max(number, 1), count)
        if text.strip():
            order = sorted(range(1, count + 1), key=lambda n: (abs(n - number), n))
            for n in order:
                raw = self._source(n)
                if raw is not None and _may_have(raw, text) and find_text(raw, text) is not None:
                    # (Polar's position is measured in its own section only.)
                    return self.section(n, text, night, hint if n == number else None)
            # Across a boundary: the card's section and its neighbours first.
            for first in sorted(range(max(number - 2, 1), min(number + 2, count - 1) + 1),
                                key=lambda n: (min(abs(n - number), abs(n + 1 - number)), n)):
                before, after = self._source(first), self._source(first + 1)
                if before is not None and after is not None and find_split(before, after, text) is not None:
                    shown = first + 1 if abs(first + 1 - number) < abs(first - number) else first
                    return self.section(shown, text, night)
        return self.section(number, text, night, hint)


MAX_BOOK = 512 * 1024 * 1024


class Opened(NamedTuple):
    """A book read for the window: the book and the section to show, or
    why it cannot be (``error``, English, for the log)."""

    book: Optional[Book]
    section: Optional[Section]
    error: str


def open_book(path: os.PathLike[str], number: int, text: str, night: bool = False,
              hint: Optional[Hint] = None) -> Opened:
    """Read the .epub at ``path`` (on the caller's thread: never Anki's
    main one) and find the highlight's place in it (``hint``: where Polar
    says it is in its section)."""
    try:
        size = os.stat(path).st_size
        if size > MAX_BOOK:
            return Opened(None, None, f"the file is {size} bytes")
        with open(path, "rb") as file:
            data = file.read(MAX_BOOK + 1)
        book = Book(data)
        return Opened(book, book.place(number, text, night, hint), "")
    except (OSError, EpubError) as exc:
        return Opened(None, None, str(exc))
    except Exception as exc:  # a book this reader did not foresee: said in the window, never a silent click
        return Opened(None, None, f"{type(exc).__name__}: {exc}")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # (a UTF-16 book: some older EPUBs)
        return data.decode("utf-16", "replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    head = data[:200].decode("ascii", "replace")
    match = re.search(r"encoding=[\"']([A-Za-z0-9_\-]+)", head)
    for encoding in ([match.group(1)] if match else []) + ["utf-8"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


# -- finding the highlight's text -------------------------------------------------------------

_SKIP_TEXT_IN = ("script", "style", "head", "title", "svg:title")
_TOKEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?.*?\?>|<[^>]*>", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][\w:.-]*)")
_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
_FOLD = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
         "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
         "\ufb01": "fi", "\ufb02": "fl", "\u2026": "..."}


def _fold(char: str) -> str:
    """One character as it is compared: case and width folded, quotes and
    dashes plain, invisible ones (soft hyphen, zero-width) gone, any space " "."""
    if char in _INVISIBLE:
        return ""
    if char.isspace():
        return " "
    char = _FOLD.get(char, char)
    return unicodedata.normalize("NFKC", char).casefold()


def normalise(text: str) -> str:
    """``text`` as the search compares it (a highlight's stored text)."""
    out: List[str] = []
    for char in html.unescape(text):
        folded = _fold(char)
        for c in folded:
            if c == " " and (not out or out[-1] == " "):
                continue
            out.append(c)
    return "".join(out).strip()


# A rough layout of a section as Polar's window showed it (a column ~900 px
# wide, 16 px type: ~0.2 px of height a character), to compare a place's
# height with Polar's ``order`` when no other highlight of the section
# tells better: a block's margins, a heading's size and an image's height added.
PX_PER_CHAR = 0.2
BLOCK_PX = 12.0
HEADING_PX = 24.0
IMAGE_PX = 250.0
TOP_PX = 20.0
# Polar's px for one px of that layout when nothing in the book tells:
# measured in Chromium with Polar's EPUB CSS, the rough layout is a
# window ~800 px wide; 0.8 is one ~1000 px wide (a desktop beside Polar's
# sidebars). 400 px: 2.1, 700: 1.13, 1400: 0.63, 1900: 0.46.
DEFAULT_SCALE = 0.8
MAX_UNDERLINED = 40  # a highlight's words more often in a section: only the one marked
_HEIGHT_ATTR = re.compile(r"""\sheight\s*=\s*["']?\s*([0-9]+(?:\.[0-9]+)?)\s*(?:px)?["'\s>/]""", re.IGNORECASE)


def _text_chars(source: str, heights: Optional[List[float]] = None) -> Tuple[str, List[int]]:
    """The section's text as compared, and for each of its characters the
    offset in ``source`` of the character (or entity) it came from: spaces
    collapsed, entities read, tags count as a space where they break words
    (block-level ones) and as nothing inside a word (``<i>``, ``<span>``).
    ``heights``, when given, gets each character's rough height down the
    section in px (``PX_PER_CHAR`` & co.)."""
    chars: List[str] = []
    offsets: List[int] = []
    skip = 0
    pos = 0
    y = [TOP_PX]

    def add(folded: str, at: int) -> None:
        for c in folded:
            y[0] += PX_PER_CHAR
            if c == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(c)
            offsets.append(at)
            if heights is not None:
                heights.append(y[0])

    for token in _TOKEN.finditer(source + "<end>"):
        start = token.start()
        if not skip and start > pos:
            segment = source[pos:start]
            i = 0
            for entity in _ENTITY.finditer(segment):
                for j in range(i, entity.start()):
                    add(_fold(segment[j]), pos + j)
                add("".join(_fold(c) for c in html.unescape(entity.group(0))), pos + entity.start())
                i = entity.end()
            for j in range(i, len(segment)):
                add(_fold(segment[j]), pos + j)
        pos = token.end()
        tag = token.group(0)
        name_match = _TAG_NAME.match(tag)
        if name_match is None:
            continue
        name = name_match.group(1).lower()
        closing = tag.startswith("</")
        if name in _SKIP_TEXT_IN and not tag.endswith("/>"):
            skip = max(skip - 1, 0) if closing else skip + 1
            continue
        if skip:
            continue
        if name in _BLOCKS:
            y[0] += BLOCK_PX
            add(" ", start)
        if name in ("h1", "h2", "h3") and not closing:
            y[0] += HEADING_PX
        elif name in ("img", "image", "svg", "video") and not closing:
            given = _HEIGHT_ATTR.search(tag)
            y[0] += min(float(given.group(1)), 1200.0) if given else IMAGE_PX
    return "".join(chars), offsets


_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th",
           "tr", "table", "section", "article", "dd", "dt", "pre", "hr", "figcaption", "body"}


_SKIPPED_BLOCKS = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_ANY_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_FOLD_TABLE = str.maketrans({**{c: "" for c in _INVISIBLE}, **_FOLD})


def _may_have(source: str, text: str) -> bool:
    """A quick look (regular expressions, not a character at a time)
    whether ``source`` can hold ``text``: the sections of a big book that
    do not are passed over in milliseconds (``find_text`` then marks)."""
    def block_or_not(match: re.Match[str]) -> str:
        name = _TAG_NAME.match(match.group(0))
        return " " if name is not None and name.group(1).lower() in _BLOCKS else ""

    plain = html.unescape(_ANY_TAG.sub(block_or_not, _SKIPPED_BLOCKS.sub(" ", source)))
    plain = unicodedata.normalize("NFKC", plain.translate(_FOLD_TABLE)).casefold()
    wanted = normalise(text).replace(" ", "")
    return wanted in "".join(plain.split())


def _places(chars: str, wanted: str) -> Tuple[List[Tuple[int, int]], bool]:
    """Where ``wanted`` is in ``chars`` (first and last character's index,
    each place once, in order), and whether they were found without spaces
    (Polar's text runs lines together or splits words where the page had none)."""
    found: List[Tuple[int, int]] = []
    at = chars.find(wanted)
    while at != -1 and len(found) < 1000:
        found.append((at, at + len(wanted) - 1))
        at = chars.find(wanted, at + len(wanted))
    if found:
        return found, False
    squeezed = wanted.replace(" ", "")
    if not squeezed:
        return [], False
    spaced = [i for i, c in enumerate(chars) if c != " "]
    joined = "".join(chars[i] for i in spaced)
    at = joined.find(squeezed)
    while at != -1 and len(found) < 1000:
        found.append((spaced[at], spaced[at + len(squeezed) - 1]))
        at = joined.find(squeezed, at + len(squeezed))
    return found, True


def _span(source: str, offsets: List[int], first: int, last: int) -> Tuple[int, int]:
    end = offsets[last]
    entity = _ENTITY.match(source, end) if source.startswith("&", end) else None
    return offsets[first], (entity.end() if entity else end + 1)


def find_text(source: str, text: str) -> Optional[Tuple[int, int]]:
    """Where ``text`` (a highlight's) is first in the section ``source``:
    the offsets in ``source`` of its first character and just past its
    last; None when it is not there."""
    wanted = normalise(text)
    if not wanted:
        return None
    chars, offsets = _text_chars(source)
    places, _ = _places(chars, wanted)
    return _span(source, offsets, *places[0]) if places else None


def _predicted(y: float, points: List[Tuple[float, float]], scale: float) -> float:
    """Polar's px for a place at ``y`` of the rough layout, by the points
    (rough y, Polar's y) the section's other highlights give: between two,
    on the line through them; past the last, at its ratio (``scale`` with
    none)."""
    for (y0, p0), (y1, p1) in zip(points, points[1:]):
        if y <= y1:
            return p0 + (y - y0) * (p1 - p0) / (y1 - y0)
    y0, p0 = points[-1]
    return p0 + (y - y0) * (p0 / y0 if y0 > 0 else scale)


def pick_place(heights: List[float], total: float, hint: Optional[Hint],
               anchors: Sequence[Tuple[float, float]] = (), scale: Optional[float] = None) -> Tuple[int, bool]:
    """Which of the places at rough heights ``heights`` (px down a section
    of rough height ``total``) Polar's ``hint`` points to, and whether it
    could tell (else the first: no hint, one place). ``anchors``: (rough y,
    Polar's y) of the section's other highlights; ``scale``: Polar's px
    for one rough px in other sections (else ``DEFAULT_SCALE``)."""
    if hint is None or len(heights) < 2:
        return 0, False
    if hint.height:
        share = hint.y / hint.height
        distances = [abs(h / max(total, 1.0) - share) for h in heights]
    else:
        points = [(0.0, 0.0)]
        for y, polar_y in sorted(anchors):
            if y > points[-1][0] and polar_y > points[-1][1]:  # (a layout only ever grows downwards)
                points.append((y, polar_y))
        distances = [abs(_predicted(h, points, scale or DEFAULT_SCALE) - hint.y) for h in heights]
    best = min(range(len(heights)), key=lambda i: (distances[i], i))
    return best, True


# Polar's px for one rough px in windows 1400 and 700 px wide: a place chosen
# with no other highlight to go by is sure when both choose it too.
_SCALES_AROUND = (0.63, 1.13)


def _sure(heights: List[float], hint: Hint, anchors: Sequence[Tuple[float, float]], scale: Optional[float],
          best: int) -> bool:
    """Whether the place ``best`` would be chosen whatever the width of
    Polar's window was (a desktop's): always so when the section's height,
    its other highlights or the book's tell how Polar's px fall."""
    if hint.height or anchors or scale:
        return True
    for around in _SCALES_AROUND:
        if min(range(len(heights)), key=lambda i: (abs(heights[i] * around - hint.y), i)) != best:
            return False
    return True


def mark_place(source: str, text: str, hint: Optional[Hint] = None,
               scale_of: Optional[Callable[[], Optional[float]]] = None) -> Tuple[str, int, int, bool, bool]:
    """``source`` with ``text``'s characters marked at the place ``hint``
    points to (the first without one): ``<mark>``\\s, one per run of text
    between tags, the first with id "polar-mark"; the words' other places
    marked lightly (class "polar-also"). Also: how many places, which one is
    marked (1-based; 0 none), whether Polar's position chose it and whether
    that is sure (``_sure``)."""
    wanted = normalise(text)
    if not wanted:
        return source, 0, 0, False, False
    heights: List[float] = []
    chars, offsets = _text_chars(source, heights)
    places, _ = _places(chars, wanted)
    if not places:
        return source, 0, 0, False, False
    anchors: List[Tuple[float, float]] = []
    if hint is not None and len(places) > 1 and not hint.height:
        for words, polar_y in hint.anchors[:200]:
            other = normalise(words)
            if other and other != wanted:
                found, _ = _places(chars, other)
                if len(found) == 1:
                    anchors.append((heights[found[0][0]], polar_y))
    scale = scale_of() if scale_of is not None and len(places) > 1 and hint is not None and not hint.height \
        and not anchors else None
    best, by_position = pick_place([heights[first] for first, _ in places], heights[-1] if heights else 0.0,
                                   hint, anchors, scale)
    spans = [_span(source, offsets, first, last) for first, last in places]
    # (A very common word: its other places are not underlined, a page of underlines helps nobody.)
    others = tuple(span for i, span in enumerate(spans) if i != best) if len(spans) <= MAX_UNDERLINED else ()
    sure = by_position and hint is not None and _sure([heights[first] for first, _ in places], hint, anchors, scale,
                                                      best)
    return _mark_range(source, spans[best][0], spans[best][1], others), len(places), best + 1, by_position, sure


def mark_text(source: str, text: str) -> Tuple[str, bool]:
    """``source`` with ``text``'s characters wrapped in ``<mark>``\\s (one
    per run of text between tags; the first has id "polar-mark"), and
    whether it was found."""
    marked, places, _, _, _ = mark_place(source, text)
    return marked, places > 0


def _mark_range(source: str, start: int, end: int, others: Tuple[Tuple[int, int], ...]) -> str:
    """``source`` with its characters ``start``..``end`` marked, and the
    ``others`` spans (not overlapping it) marked lightly."""
    spans = sorted([(start, end, True)] + [(a, b, False) for a, b in others])
    pieces: List[str] = []
    pos = 0
    for a, b, main in spans:
        if a < pos:
            continue
        pieces.append(source[pos:a])
        first = main
        run_start = a
        for token in _TOKEN.finditer(source, a, b):
            if token.start() > run_start:
                pieces.append(_mark(source[run_start:token.start()], first, main))
                first = False
            pieces.append(token.group(0))
            run_start = token.end()
        if b > run_start:
            pieces.append(_mark(source[run_start:b], first, main))
        pos = max(b, run_start)
    pieces.append(source[pos:])
    return "".join(pieces)


def find_split(before: str, after: str, text: str) -> Optional[Tuple[Tuple[int, int], Tuple[int, int]]]:
    """``text`` begun at the very end of section ``before`` and ended at
    the very start of ``after`` (a book split, or an edition split, where
    Polar's was not): the offsets of each part in its section; None when
    it is not so (each part must hold a letter or digit)."""
    wanted = normalise(text)
    if len(wanted) < 2 or len(wanted) > 5000:
        return None
    # Only the end of one and the start of the other matter (a section turned
    # to is looked at this way too: a long one is not read whole twice).
    reach = 4000 + 40 * len(wanted)
    cut = max(len(before) - reach, 0)
    chars_a, offsets_a = _text_chars(before[cut:])
    offsets_a = [offset + cut for offset in offsets_a]
    chars_b, offsets_b = _text_chars(after[:reach])
    tail_a = chars_a.rstrip()
    head_b = chars_b.lstrip()
    lead_b = len(chars_b) - len(head_b)
    for cut in range(len(wanted) - 1, 0, -1):
        first, second = wanted[:cut].rstrip(), wanted[cut:].lstrip()
        if not any(c.isalnum() for c in first) or not any(c.isalnum() for c in second):
            continue
        if tail_a.endswith(first) and head_b.startswith(second):
            a0 = len(tail_a) - len(first)
            b0 = lead_b
            return (_span(before, offsets_a, a0, len(tail_a) - 1),
                    _span(after, offsets_b, b0, b0 + len(second) - 1))
    return None


def _mark(run: str, first: bool, main: bool = True) -> str:
    if not run.strip():
        return run
    if not main:
        return f'<mark class="polar-also">{run}</mark>'
    ident = ' id="polar-mark"' if first else ""
    return f'<mark class="polar-mark"{ident}>{run}</mark>'


# -- the page ---------------------------------------------------------------------------------

_DROP_BLOCKS = re.compile(r"<(script|iframe|object|embed|frameset|noscript)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_DROP_TAGS = re.compile(r"<(script|iframe|object|embed|frame|frameset|base|meta|noscript|form)\b[^>]*>|"
                        r"</(iframe|object|embed|frameset|form|noscript)\s*>", re.IGNORECASE)
_HANDLER = re.compile(r"""\s on[a-z]+ \s*=\s* ("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE | re.VERBOSE)
_OPEN_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_STYLE_ATTR = re.compile(r"""(\sstyle\s*=\s*)("[^"]*"|'[^']*')""", re.IGNORECASE)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""(\s(?:src|href|xlink:href|poster|srcset)\s*=\s*)("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*("[^"]*"|'[^']*'|[^)\s]*)\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*("[^"]*"|'[^']*'|[^;)\s]+)\s*\)?[^;]*;""", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_SELF_CLOSED = re.compile(r"<([A-Za-z][\w:.-]*)(\s[^<>]*?)?\s*/>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
         "image", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "use", "stop"}
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)

# Readable in the window at any width, the mark plain to see; night mode
# turns the book's colours to Anki's night ones.
_BASE_CSS = ("html{-webkit-text-size-adjust:100%}body{margin:0 auto;padding:1em 1.2em 70vh;max-width:46em;"
             "overflow-wrap:break-word;line-height:1.5}img,svg,video{max-width:100%!important;height:auto!important}"
             "pre{white-space:pre-wrap}mark.polar-mark{background:#ffeb3b!important;color:#000!important;"
             "border-radius:2px;box-shadow:0 0 0 2px #ffeb3b}"
             "mark.polar-also{background:transparent;color:inherit;border-bottom:2px dotted #c9a800}")
_NIGHT_CSS = (":root{color-scheme:dark}html,body{background:#2c2c2c!important;color:#e6e6e6!important}"
              "body *{color:inherit!important;background-color:transparent!important;border-color:#666!important}"
              "a,a *{color:#8ab4f8!important}mark.polar-mark{background:#d4b200!important;color:#000!important;"
              "box-shadow:0 0 0 2px #d4b200}mark.polar-also{background:transparent!important;"
              "border-bottom:2px dotted #d4b200!important}")


class _Page:
    """One section made self-contained (see the module's docstring)."""

    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.name = name
        self.spent = 0
        self.deferred: List[str] = []
        self.deferred_size = 0

    def _member(self, ref: str, base: str) -> Optional[str]:
        ref = html.unescape(ref.strip().strip("\"'"))
        path = urldefrag(ref)[0]
        if not path or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", path) or path.startswith("//"):
            return None
        member = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(path)))
        return member if member in self.book._names else None

    def _data_uri(self, member: str, defer: bool = False) -> Optional[str]:
        """``member`` as a data: URI, or (``defer``: an element's image past
        the inline budget) a DEFERRED marker the window fills in; None when
        neither can be."""
        kind = _MEDIA_TYPES.get(posixpath.splitext(member)[1].lower())
        if kind is None:
            return None
        try:
            data = self.book._read(member)
        except EpubError:
            return None
        if self.spent + len(data) > INLINE_BUDGET:
            if not defer or not kind.startswith("image/"):
                return None
            return self._defer(f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}", len(data))
        self.spent += len(data) * 4 // 3
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    def _defer(self, uri: str, size: int) -> Optional[str]:
        if self.deferred_size + size > DEFER_BUDGET:
            return None
        self.deferred_size += size
        self.deferred.append(uri)
        return f"{DEFERRED}{len(self.deferred) - 1}"

    def _css(self, css: str, base: str, depth: int = 0) -> str:
        def imported(match: re.Match[str]) -> str:
            member = self._member(match.group(1), base)
            if member is None or depth > 3:
                return ""
            try:
                return self._css(_decode(self.book._read(member)), member, depth + 1)
            except EpubError:
                return ""

        def url(match: re.Match[str]) -> str:
            ref = match.group(1)
            if ref.strip("\"'").startswith("data:"):
                return match.group(0)
            member = self._member(ref, base)
            uri = self._data_uri(member) if member is not None else None
            return f'url("{uri}")' if uri else "url()"

        return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, css))

    def make(self, source: str, night: bool) -> str:
        source = _XML_DECL.sub("", source)
        # XHTML's <a id="x"/>, <title/>: shown as HTML, an open tag that swallowed the rest.
        source = _SELF_CLOSED.sub(lambda m: m.group(0) if m.group(1).lower() in _VOID
                                  else f"<{m.group(1)}{m.group(2) or ''}></{m.group(1)}>", source)
        source = _DROP_BLOCKS.sub("", source)
        source = _DROP_TAGS.sub("", source)

        def link(match: re.Match[str]) -> str:
            tag = match.group(0)
            if not re.search(r"rel\s*=\s*[\"']?[^\"'>]*stylesheet", tag, re.IGNORECASE):
                return ""
            href = re.search(r"""href\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", tag, re.IGNORECASE)
            member = self._member(href.group(1), self.name) if href else None
            if member is None:
                return ""
            try:
                css = self._css(_decode(self.book._read(member)), member)
            except EpubError:
                return ""
            return "<style>" + css.replace("</", "<\\/") + "</style>"

        source = _LINK.sub(link, source)
        source = re.sub(r"(<style\b[^>]*>)(.*?)(</style\s*>)",
                        lambda m: m.group(1) + self._css(m.group(2), self.name) + m.group(3),
                        source, flags=re.DOTALL | re.IGNORECASE)

        def attr(match: re.Match[str]) -> str:
            name = match.group(1).strip().split("=")[0].strip().lower()
            value = match.group(2)
            bare = html.unescape(value.strip("\"'")).strip()
            if name == "href":
                if bare.startswith("#"):
                    return match.group(0)
                # A link to another section of the book (a footnote, the contents):
                # the window turns to it (``SECTION_LINK``); any other leads nowhere.
                member = self._member(value, self.name)
                if member is not None and member in self.book.sections:
                    fragment = urldefrag(bare)[1]
                    target = f"{SECTION_LINK}{self.book.sections.index(member) + 1}"
                    if fragment:
                        target += "#" + quote(unquote(fragment), safe="")
                    return match.group(1) + f'"{target}"'
                if member is not None and _shown_alone(member):
                    # Another file of the book (a notes file outside the reading
                    # order, a picture): the window shows it alone (``Book.document``).
                    fragment = urldefrag(bare)[1]
                    target = f"{SECTION_LINK}{FILE_LINK}{quote(member, safe='')}"
                    if fragment:
                        target += "#" + quote(unquote(fragment), safe="")
                    return match.group(1) + f'"{target}"'
                return match.group(1) + '"#"'
            if name == "srcset":
                return ""
            if bare.startswith("data:"):
                return match.group(0)
            member = self._member(value, self.name)
            uri = self._data_uri(member, defer=True) if member is not None else None
            return match.group(1) + (f'"{uri}"' if uri else '""')

        def tag(match: re.Match[str]) -> str:
            # Inside a tag only: a book's text saying "onset = 5" or src='x' stays as it is.
            inside = _HANDLER.sub("", match.group(0))
            inside = _STYLE_ATTR.sub(lambda m: m.group(1) + m.group(2)[0] + self._css(m.group(2)[1:-1], self.name)
                                     + m.group(2)[0], inside)
            return _ATTR.sub(attr, inside)

        source = _OPEN_TAG.sub(tag, source)
        style = "<style>" + _BASE_CSS + (_NIGHT_CSS if night else "") + "</style>"
        head = '<meta charset="utf-8"><meta name="viewport" content="width=device-width">' + style
        end = _HEAD_END.search(source)
        body = _BODY_START.search(source)
        if end is not None:
            page = source[:end.start()] + head + source[end.start():]
        elif body is not None:
            page = source[:body.start()] + "<head>" + head + "</head>" + source[body.start():]
        else:
            page = "<!DOCTYPE html><html><head>" + head + "</head><body>" + source + "</body></html>"
        if len(page) > PAGE_MAX:  # (a long section with its images: the text goes in the page, they after it)
            page = _SRC_DATA.sub(lambda m: m.group(1) + '"' + (self._defer(m.group(2), len(m.group(2)) * 3 // 4)
                                                               or "") + '"', page)
            page = _DATA_URI.sub("", page)
        return page
