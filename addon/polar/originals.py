"""Where a card came from in its document: the document's own file (PDF,
EPUB, web capture) and the spot on its page (page number, highlight rects).

Used to open a card's source at its page; never by the sync. Everything is
read again from the library at the time of asking (a state.json is cheap)
and nothing is read outside the data directory or the chosen export.

Rect units, as Polar stores them (see polar-format.md): a text highlight's
``rects`` are pixels on the page at Polar's scale 1 (CSS pixels, 96 per
inch, so a Letter page is 816 × 1056; ``pageInfo.dimensions`` or a sparse
export's ``dim`` give the page's size when present); an area highlight's
``rects`` are percent of the page. :meth:`Spot.fractions` turns both into
fractions of the page, which is all a viewer needs.
"""

from __future__ import annotations

import os
import stat
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .library import MAX_DOCMETA_BYTES, DataDirSource, ExportSource, Source

# (x, y, width, height) as fractions of the page, origin top left.
Fractions = Tuple[float, float, float, float]

PDF = "pdf"
EPUB = "epub"
WEB = "web"  # a web capture (.phz): its URL is what opens
OTHER = "other"

_POINTS_TO_CSS_PX = 96 / 72  # Polar's scale 1 is CSS pixels; PDF sizes are points


@dataclass(frozen=True)
class Spot:
    """Where on which page: ``page`` is 1-based (0: unknown); ``rects`` in
    ``unit`` ("px": Polar scale-1 pixels, "%": percent of the page)."""

    page: int
    rects: Tuple[Tuple[float, float, float, float], ...] = ()
    unit: str = "px"
    page_size: Optional[Tuple[float, float]] = None  # Polar's size of the page in px, when stored
    color: str = ""
    # The highlight's text, plain (an EPUB's place is found by it: Polar
    # stores no CFI); not part of the spot's identity.
    text: str = field(default="", compare=False)
    # An EPUB text highlight's ``order``: the selection's top, in px down its
    # section as Polar's window laid it out (Polar stores no rects for them);
    # and the (text, order) of the section's other text highlights.
    order: Optional[float] = field(default=None, compare=False)
    others: Tuple[Tuple[str, float], ...] = field(default=(), compare=False)
    elsewhere: Tuple[Tuple[int, str, float], ...] = field(default=(), compare=False)  # (page, text, order)

    def fractions(self, page_points: Tuple[float, float], page: int = 0,
                  points_of: Optional[Callable[[int], Optional[Tuple[float, float]]]] = None) -> List[Fractions]:
        """The rects on ``page`` (default: the spot's own) as fractions of
        it; ``page_points`` is that page's size in PDF points, used when
        Polar stored no size for it; ``points_of(n)``: page n's size in
        points when known (the pages between the spot's and ``page``).

        A text highlight selected from the last lines of a page on to the
        next one is kept on its first page (Polar measures every rect from
        that page's box): the lines on the next page lie below its bottom,
        one page gap further down; a selection made upwards, the other way
        round. Each rect is drawn on the page its middle falls on."""
        page = page or self.page
        if self.unit == "%":
            if page != self.page:
                return []
            return _clipped(self.rects, 100.0, 100.0)
        if abs(page - self.page) > _RUN_ON_PAGES:
            return []

        def size(n: int) -> Tuple[float, float]:
            if n == self.page and self.page_size is not None:
                return self.page_size
            points = page_points if n == page else (points_of(n) if points_of is not None else None) or page_points
            return points[0] * _POINTS_TO_CSS_PX, points[1] * _POINTS_TO_CSS_PX

        # Where each page's box begins, in Polar's px measured from the spot's page.
        tops: Dict[int, float] = {self.page: 0.0}
        for n in range(self.page + 1, page + 1):
            tops[n] = tops[n - 1] + size(n - 1)[1] + PAGE_GAP_PX
        for n in range(self.page - 1, page - 1, -1):
            tops[n] = tops[n + 1] - PAGE_GAP_PX - size(n)[1]
        top, (width, height) = tops[page], size(page)
        # A rect is on this page when its middle is between the middles of the gaps around it.
        upper, lower = top - PAGE_GAP_PX / 2, top + height + PAGE_GAP_PX / 2
        mine = tuple((left, y - top, w, h) for left, y, w, h in self.rects if upper <= y + h / 2 < lower)
        return _clipped(mine, width, height)


# pdf.js (Polar's PDF viewer) shows the pages one under another with a gap
# between their boxes (its borders, ~11 px at the zoom Polar was used at,
# not stored): a highlight's lines on the next page are measured across it.
PAGE_GAP_PX = 8.0
_RUN_ON_PAGES = 2  # how far from its page a highlight's rects are looked for


def _clipped(rects: Tuple[Tuple[float, float, float, float], ...], scale_x: float, scale_y: float) -> List[Fractions]:
    out: List[Fractions] = []
    if scale_x <= 0 or scale_y <= 0:
        return out
    for left, top, width, height in rects:
        x, y, w, h = left / scale_x, top / scale_y, width / scale_x, height / scale_y
        # Clip to the page: a rect Polar measured on a slightly different
        # rendering must not draw outside it.
        x0, y0 = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        x1, y1 = min(max(x + w, 0.0), 1.0), min(max(y + h, 0.0), 1.0)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1 - x0, y1 - y0))
    return out


@dataclass(frozen=True)
class Original:
    """A document's own file as found on this computer.

    ``path`` is a file in the data directory; ``archive``/``member`` a file
    inside an export (extracted on first use); ``url`` a web capture's page."""

    key: str
    title: str
    kind: str  # PDF | EPUB | WEB | OTHER
    filename: str
    path: Optional[Path] = None
    archive: Optional[Path] = None
    member: str = ""
    url: str = ""
    archive_kind: str = ""  # body_cache.TAR_GZ / TAR / ZIP
    size: int = 0  # the member's bytes
    offset: int = 0  # where they start (tar: in the uncompressed stream)

    @property
    def suffix(self) -> str:
        name = self.member or self.filename
        return os.path.splitext(name)[1].lower()


def kind_of(filename: str, url: str = "") -> str:
    ext = os.path.splitext(filename)[1].lower()
    if ext == ".pdf":
        return PDF
    if ext == ".epub":
        return EPUB
    if ext == ".phz" or (not filename and url):
        return WEB
    return OTHER


# -- the DocMeta as raw JSON ------------------------------------------------------


def _docmeta_dict(data: bytes) -> Dict[str, Any]:
    """A state.json or an export's ``doc_meta`` record as the DocMeta dict."""
    from .docmeta import DocMetaError, load_json  # when first needed: not at Anki's start

    raw = load_json(data)
    if isinstance(raw, dict) and "docInfo" not in raw and "pageMetas" not in raw:
        outer = raw.get("value")
        inner = outer.get("value") if isinstance(outer, dict) else None
        if isinstance(inner, str):
            inner = load_json(inner.encode("utf-8"))
        if isinstance(inner, dict):
            if not isinstance(inner.get("docInfo"), dict) and isinstance(outer, dict):
                info = outer.get("docInfo")
                if isinstance(info, dict):
                    inner = dict(inner, docInfo=info)
            raw = inner
    if not isinstance(raw, dict):
        raise DocMetaError("not a Polar DocMeta")
    return raw


def read_docmeta(source: Source, key: str) -> Optional[Dict[str, Any]]:
    """The document's DocMeta, or None when it is not in the library (or
    cannot be read: then there is nothing to open either)."""
    try:
        if isinstance(source, DataDirSource):
            data = _read_state_json(source, key)
        else:
            data = _read_listed(source, key)
        return _docmeta_dict(data) if data is not None else None
    except (OSError, ValueError):
        return None


def _read_state_json(source: DataDirSource, key: str) -> Optional[bytes]:
    # Straight to the folder (a listing costs a stat per document).
    if not _plain_name(key):
        return None
    path = source.root / key / "state.json"
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or stat.S_ISLNK(os.lstat(path.parent).st_mode):
        if not _inside(source.root, path):
            return None
        st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOCMETA_BYTES:
        return None
    with open(path, "rb") as fh:
        return fh.read(MAX_DOCMETA_BYTES + 1)


def _read_listed(source: Source, key: str) -> Optional[bytes]:
    if isinstance(source, ExportSource) and source.needs_reading():
        return None  # an export no sync has read yet: never decompressed here
    for doc in source.list_documents():
        if doc.key == key:
            return doc.read()
    return None


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\x00") and not (
        len(name) > 1 and name[1] == ":"
    )


def _inside(root: Path, candidate: Path) -> bool:
    real = os.path.realpath(candidate)
    base = str(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


# -- the spot -------------------------------------------------------------------------


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if number == number and abs(number) < 1e9 else None  # no NaN, no absurd


def _rect(raw: Any) -> Optional[Tuple[float, float, float, float]]:
    if not isinstance(raw, dict):
        return None
    left, top = _number(raw.get("left")), _number(raw.get("top"))
    width, height = _number(raw.get("width")), _number(raw.get("height"))
    if width is None and left is not None:
        right = _number(raw.get("right"))
        width = right - left if right is not None else None
    if height is None and top is not None:
        bottom = _number(raw.get("bottom"))
        height = bottom - top if bottom is not None else None
    if left is None or top is None or width is None or height is None or width <= 0 or height <= 0:
        return None
    return left, top, width, height


def _rects(raw: Any) -> Tuple[Tuple[float, float, float, float], ...]:
    items = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    found = (_rect(r) for r in items)
    return tuple(r for r in found if r is not None)


def _page_size(page: Mapping[str, Any]) -> Optional[Tuple[float, float]]:
    info = page.get("pageInfo")
    dims = info.get("dimensions") if isinstance(info, dict) else None
    if isinstance(dims, dict):
        w, h = _number(dims.get("width")), _number(dims.get("height"))
        if w and h and w > 0 and h > 0:
            return w, h
    dim = page.get("dim")  # sparse 2.x exports: "816x1056"
    if isinstance(dim, str) and "x" in dim:
        try:
            w, h = (float(part) for part in dim.split("x", 1))
        except ValueError:
            return None
        if w > 0 and h > 0:
            return w, h
    return None


def _pages(docmeta: Mapping[str, Any]) -> Dict[int, Mapping[str, Any]]:
    pages = docmeta.get("pageMetas")
    out: Dict[int, Mapping[str, Any]] = {}
    if not isinstance(pages, dict):
        return out
    for key, page in pages.items():
        if not isinstance(page, dict):
            continue
        info = page.get("pageInfo")
        num = info.get("num") if isinstance(info, dict) else None
        if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
            try:
                num = int(key)
            except (TypeError, ValueError):
                continue
        if num > 0:
            out[num] = page
    return out


def find_spot(docmeta: Mapping[str, Any], ref: str, card_page: int = 0) -> Spot:
    """The spot a card's ``ref`` (``text-highlight:<id>``, ``area-highlight:<id>``,
    ``page:<n>``; the id may be the highlight's guid) points at; the card's
    own page when the parent is gone."""
    kind, _, ident = ref.partition(":")
    if kind in ("text-highlight", "area-highlight") and ident:
        field = "textHighlights" if kind == "text-highlight" else "areaHighlights"
        # "<id>@<page>": the highlight of that id on that page (ids are made from
        # rectangles, so another page may have one of the same id: docmeta._page_key)
        ident, at, on = ident.partition("@")
        only = int(on) if at and on.isdigit() else 0
        for num, page in sorted(_pages(docmeta).items()):
            if only and num != only:
                continue
            highlights = page.get(field)
            if not isinstance(highlights, dict):
                continue
            hl = highlights.get(ident)
            if not isinstance(hl, dict):
                hl = next((h for h in highlights.values() if isinstance(h, dict) and h.get("id") == ident), None)
            if not isinstance(hl, dict):  # its text revised: a new id, the guid kept (docmeta._follow_refs)
                hl = next((h for h in highlights.values() if isinstance(h, dict) and h.get("guid") == ident), None)
            if hl is None:
                continue
            color = hl.get("color") if isinstance(hl.get("color"), str) else ""
            others: List[Tuple[str, float]] = []
            if kind == "text-highlight":
                for other in highlights.values():
                    order = _order(other) if isinstance(other, dict) and other is not hl else None
                    if order is not None:
                        words = _plain_text(other.get("text")) or _selections_text(other.get("textSelections"))
                        if words.strip():
                            others.append((words, order))
            return Spot(num, _rects(hl.get("rects")), "%" if kind == "area-highlight" else "px",
                        _page_size(page), str(color)[:32],
                        _plain_text(hl.get("text")) or _selections_text(hl.get("textSelections")),
                        _order(hl) if kind == "text-highlight" else None, tuple(others[:200]),
                        _elsewhere(docmeta, num) if kind == "text-highlight" and _order(hl) is not None else ())
    if kind == "page":
        try:
            number = int(ident)
        except ValueError:
            number = 0
        if number > 0:
            return Spot(number)
    return Spot(max(card_page, 0))


def _elsewhere(docmeta: Mapping[str, Any], page_number: int) -> Tuple[Tuple[int, str, float], ...]:
    """(page, text, order) of the text highlights of the nearest other
    pages that have some (up to 3 pages, 12 highlights each)."""
    found: List[Tuple[int, str, float]] = []
    pages = 0
    for num, page in sorted(_pages(docmeta).items(), key=lambda item: (abs(item[0] - page_number), item[0])):
        highlights = page.get("textHighlights")
        if num == page_number or not isinstance(highlights, dict):
            continue
        here = []
        for hl in highlights.values():
            order = _order(hl) if isinstance(hl, dict) else None
            words = (_plain_text(hl.get("text")) or _selections_text(hl.get("textSelections"))) if order else ""
            if order is not None and words.strip():
                here.append((num, words, order))
        if here:
            found += here[:12]
            pages += 1
            if pages == 3:
                break
    return tuple(found)


def _order(highlight: Mapping[str, Any]) -> Optional[float]:
    """An EPUB text highlight's ``order`` (polar-bookshelf's
    SelectedContents.computeOrder: the selection's top + the section's
    scroll, px), else its ``position``'s y; None for a PDF's (Polar stores
    neither) or junk."""
    order = _number(highlight.get("order"))
    if order is None:  # (IBaseHighlight.position: "the absolute position on the page in pixels")
        position = highlight.get("position")
        order = _number(position.get("y")) if isinstance(position, dict) else None
    return order if order is not None and 0 <= order < 10_000_000 else None


# -- the file ------------------------------------------------------------------------------


def _plain_text(value: Any) -> str:
    """A highlight's stored text (Polar's ``{"TEXT": ...}``/``{"HTML": ...}``
    or a string) as plain text: tags gone, entities read."""
    import html
    import re

    from .docmeta import parse_text

    text = parse_text(value)
    if text is None:
        return ""
    plain = text.value
    if text.kind == "MARKDOWN":
        plain = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>])", r"\1", re.sub(r"(?<!\\)[*_]{1,2}", "", plain))
    if text.kind != "TEXT":
        # A block's tag is a space between words, an inline one (<i>, <span>) nothing.
        plain = re.sub(r"</?(?:p|div|br|li|h[1-6]|blockquote|tr|td|th|pre|section)\b[^>]*>", " ", plain,
                       flags=re.IGNORECASE)
        plain = html.unescape(re.sub(r"<[^>]*>", "", plain))
    return plain[:20000]


def _selections_text(value: Any) -> str:
    """A highlight without ``text`` (early Polar): its ``textSelections``'
    texts, in order."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    parts = [item.get("text") for item in items if isinstance(item, dict)]
    return " ".join(part for part in parts if isinstance(part, str))[:20000]


def find_original(source: Source, key: str, docmeta: Mapping[str, Any]) -> Optional[Original]:
    """The document's file on this computer, or None (no file name, not in
    the stash, not in the export): then nothing can open."""
    info = docmeta.get("docInfo")
    info = info if isinstance(info, dict) else {}
    filename, url, title = (_text(info.get(name)) for name in ("filename", "url", "title"))
    title = " ".join(title.split()) or filename or "Untitled"
    kind = kind_of(filename, url)
    if info.get("webCapture") is True and url:
        kind = WEB  # Polar 2 keeps a captured page as a one-section EPUB: its page is its URL
    if kind == WEB:
        # A capture's page is its URL; only http(s) opens, and only in a browser.
        if url.lower().startswith(("http://", "https://")):
            return Original(key, title, WEB, filename, url=url)
        return None
    if isinstance(source, DataDirSource):
        path = stash_file(source, filename)
        return Original(key, title, kind, filename, path=path) if path is not None else None
    return _export_original(source, key, title, kind, filename)


def _export_original(source: Source, key: str, title: str, kind: str, filename: str) -> Optional[Original]:
    """The member of an export holding the document (the export reader
    matches it by Polar's stash id). Only from what an earlier read of the
    export remembered: never a read of the whole archive here."""
    if not isinstance(source, ExportSource) or source.needs_reading():
        return None
    member = source.document_body(key)
    where = source.snapshot().bodies.get(member) if member else None
    if member is None or where is None:
        return None
    size, offset = where
    from .archive import DIR

    if source.kind == DIR:  # an unpacked export: the document is a file of its own
        path = source.path / member
        return Original(key, title, kind_of(member) if kind == OTHER else kind, filename, path=path) \
            if path.is_file() else None
    return Original(key, title, kind_of(member) if kind == OTHER else kind, filename, archive=source.path,
                    member=member, archive_kind=source.kind, size=size, offset=offset)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def stash_file(source: DataDirSource, filename: str) -> Optional[Path]:
    """``<data dir>/stash/<filename>`` when it is a regular file inside the
    data directory, else None. A name with accents is also looked for in
    its other Unicode spelling: a library copied from a Mac (HFS+ wrote
    names decomposed, "a" + U+0308) keeps them so on Linux, whose file
    names are bytes, while the DocMeta has them composed ("ä"), or the
    other way round."""
    if not _plain_name(filename):
        return None
    spellings = [filename]
    if not filename.isascii():
        spellings += [other for other in (unicodedata.normalize("NFC", filename),
                                          unicodedata.normalize("NFD", filename)) if other not in spellings]
    for name in spellings:
        found = _stash_path(source, name)
        if found is not None:
            return found
    other = _other_case(source, filename)
    return _stash_path(source, other) if other is not None else None


# stash folder -> ((mtime_ns, size), {NFC casefolded name: [names]}): listed
# again only when the folder changed (a name asked for that is not there is
# asked again at every sync for an untitled EPUB, doc_title.stash_title).
_stash_names: Dict[str, Tuple[Tuple[int, int], Dict[str, List[str]]]] = {}


def _other_case(source: DataDirSource, filename: str) -> Optional[str]:
    """The one name in the stash that differs from ``filename`` only in
    case (and Unicode spelling), or None. A Polar folder kept in sync by
    Dropbox, OneDrive, iCloud Drive... between a Mac or Windows, whose file
    names ignore case, and Linux, whose names do not: a name whose case
    changed on the way (a case-only rename, Dropbox's handling of two names
    that differ in case) is found on the Mac and Windows and was "not on
    this computer" on Linux. Two such names: neither (which is meant cannot
    be told)."""
    folder = os.path.join(source.root, "stash")
    try:
        st = os.stat(folder)
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    known = _stash_names.get(folder)
    # (A listing taken within a timestamp tick of the folder's change may miss
    # a file added in the same tick: not trusted, as the sync's signatures.)
    if known is None or known[0] != stamp or time.time_ns() - st.st_mtime_ns < 3_000_000_000:
        names: Dict[str, List[str]] = {}
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    names.setdefault(_folded(entry.name), []).append(entry.name)
        except OSError:
            return None
        if len(_stash_names) > 8:  # one library at a time, in practice
            _stash_names.clear()
        known = _stash_names[folder] = (stamp, names)
    found = known[1].get(_folded(filename), [])
    return found[0] if len(found) == 1 else None


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _stash_path(source: DataDirSource, filename: str) -> Optional[Path]:
    path = source.root / "stash" / filename
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) or stat.S_ISLNK(os.lstat(path.parent).st_mode):
            if not _inside(source.root, path):
                return None
            st = os.stat(path)
    except OSError:
        return None
    return path if stat.S_ISREG(st.st_mode) and st.st_size > 0 else None
