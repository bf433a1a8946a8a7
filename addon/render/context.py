"""Where a card comes from: document, page, highlight, screenshot, comments.

Polar's own sync sent none of this to Anki (issues #381, #1299, #15). With
the add-on's own note types each part fills a field of its own; with the
stock types the parts become one block appended to ``Back`` / ``Back Extra``
(``context_block``), which only ever sits on the *answer* side.

The block's markup (stable; other features add to it, so keep it so)::

    <div class="polar-context" style="…">           the whole block; split_block finds it
      <hr class="polar-rule" style="…">             separates it from the answer (its margin
                                                      ``PULLED_RULE`` alone after a stock Cloze's
                                                      "<br>": ``pulled``; none right after a
                                                      stock Basic's "<hr id=answer>": ``ruleless``)
      <div class="polar-source" style="…">          Context.source:
        <span class="polar-title">Title</span>        the document
        &nbsp;· p.&nbsp;N                             the page, when known (never for a web
                                                      capture; the label is fixed per
                                                      collection: "S.&nbsp;N" in German,
                                                      see sync/page_label.py)
        &nbsp;· §&nbsp;N                              an EPUB's instead: Polar's number is
                                                      the book's section (spine item), not a
                                                      page anyone can find (SECTION_HTML)
        &nbsp;· <a class="polar-link" style="…" href="FULL URL">site</a>  web captures
      </div>

(The ``&nbsp;`` keep "p." with its number and each "·" with the part
before it at phone width; an entity, not U+00A0, because Anki's editor
writes the character back as the entity and the block must stay
byte-identical when it is opened there.)
      <blockquote class="polar-highlight" style="…" dir="auto">  the highlighted text
      <div class="polar-image" style="…"><img src="…" alt="Title · p. N" style="…"></div>
                                                      an area highlight's picture; its alt the
                                                      source line's words, for a screen reader
      <div class="polar-comments" style="…">          comments, oldest first:
        <div class="polar-comment" style="…" dir="auto">…</div>  one each
    </div>

(``dir="auto"``: a Hebrew or Arabic highlight or comment reads right to
left, aligned and barred at its start; its ``<p>``s inherit the direction.)

Every part but the outer div and the rule is optional. The block is the
add-on's own: it is regenerated on every sync, never merged with the user's
edits (the user's part of the field is the text before it).
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ..polar.docmeta import Comment, Document, Flashcard, Highlight, Text
from ..polar.library import ImageOnlineOnly, ImagesNotExported, UnsafePathError
from ..settings import ENGLISH_PAGE_LABEL
from .html import as_anki_keeps, escape_text, literal_anki_syntax, normalise_whitespace, safe_url
from .issues import Issue
from .media import MediaFile, field_html, image_file
from .style import PULLED_RULE, STYLES, attr

HIGHLIGHT_REFS = ("text-highlight", "area-highlight")


class Context(NamedTuple):  # immutable; a NamedTuple is cheaper to make than a frozen dataclass
    source: str  # document title · p. N · link (web captures)
    highlight: str  # the parent highlight's text as HTML
    image: str  # '<img src="<media name>" alt="<source line>">' for an area highlight, else ""
    comments: str  # comments on the parent highlight, one block each


EMPTY_CONTEXT = Context("", "", "", "")
# One is made per card: built in C from every field in order, not by
# NamedTuple's own constructor (a Python function, ~0.18 us a call).
_new_context = partial(tuple.__new__, Context)


@dataclass(frozen=True)
class _DocParts:
    """What every card of one document shares, computed once per document."""

    title: str  # escaped display title, in its span
    link: str  # the web capture's link, or ""
    paged: bool  # False for a captured web page: Polar keeps it as one page
    comments: Dict[Tuple[str, str], List[Comment]]  # by (ref type, ref id), in created order
    sources: Dict[int, str]  # source_html by page, filled as pages are asked for
    label: str  # the page label they were made with ("p. {page}")
    page_html: str  # ``label`` escaped, its spaces unbreakable ("S.&nbsp;{page}", "第&nbsp;{page}&nbsp;页")
    # The alt's words of the title, the page label and the link, made at the
    # document's first picture (``_picture_alt``); most documents have none.
    alt_words: List[List[str]]


# The last document seen: rendering a document's cards one after another then
# costs one pass over its comments, not one per card. Keyed by identity
# because Documents are not hashable (they hold dicts).
_last: Tuple[Optional[Document], Optional[_DocParts]] = (None, None)


def _doc_parts(doc: Document, label: str = ENGLISH_PAGE_LABEL) -> _DocParts:
    global _last
    cached_doc, parts = _last
    if cached_doc is doc and parts is not None and parts.label == label:
        return parts
    index: Dict[Tuple[str, str], List[Comment]] = {}
    for comment in doc.comments:
        if comment.ref_type in HIGHLIGHT_REFS and comment.ref_id:
            index.setdefault((comment.ref_type, comment.ref_id), []).append(comment)
    for group in index.values():
        group.sort(key=lambda c: (c.created, c.id))
    shown = literal_anki_syntax(_html.escape(normalise_whitespace(doc.display_title)))
    title = f'<span class="polar-title">{shown}</span>'
    url = safe_url(doc.url) if doc.url else None
    link = ""
    if url is not None and not url.lower().startswith("mailto:"):
        # A tracked web-capture URL can take six lines at phone width: the
        # link shows the site, the full address stays in the href.
        link = f'<a{attr("polar-link")} href="{_html.escape(url)}">{_html.escape(site_of(url))}</a>'
    # As originals.kind_of tells a web capture: a .phz, or an address alone;
    # or Polar 2's capture, a one-section EPUB marked ``webCapture``.
    filename = doc.filename.lower()
    paged = not (filename.endswith(".phz") or (not filename and doc.url) or doc.web_capture)
    # (Escaped once a document, not once a page: the number put in has
    # nothing to escape and no space.)
    page_html = page_words_html(label)
    if paged and filename.endswith(".epub"):
        page_html = SECTION_HTML
    parts = _DocParts(title, link, paged, index, {}, label, page_html, [])
    _last = (doc, parts)
    return parts


def page_words_html(label: str) -> str:
    """A page label as the source line holds it: escaped, its spaces
    unbreakable ("S.&nbsp;{page}")."""
    return _html.escape(label, quote=False).replace(" ", "&nbsp;")


def site_of(url: str) -> str:
    """The site a URL points to, as a person names it: ``en.wikipedia.org``."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. a malformed IPv6 literal
        host = ""
    if host.startswith("www."):
        host = host[4:]
    return host or url


# An EPUB's place: Polar numbers an EPUB's pages by its sections (its
# viewer shows one section as one ``.page``; ``pageNum`` is that section's
# number, no CFI is stored), so "p. 3" named a page no reader shows. "§ 3"
# says "section 3" in every language the add-on speaks, so it needs no
# label fixed per collection (page_label.py) and two computers in two
# languages still write the same notes. (The section's title would need
# the .epub, which one computer has and another not: their notes would
# differ.) Render version 9.
SECTION_HTML = "§&nbsp;{page}"

# Between the source line's parts: the "·" stays with the part before it.
SEPARATOR = "&nbsp;· "


def source_html(doc: Document, page: int, label: str = ENGLISH_PAGE_LABEL) -> str:
    """``Title · p. N · link``: empty parts left out. ``label``: the page's
    words, ``{page}`` for its number (plain text)."""
    return _source_html(_doc_parts(doc, label), page)


def _source_html(shared: _DocParts, page: int) -> str:
    made = shared.sources.get(page)
    if made is None:  # once per page of a document, not once per card
        parts = [shared.title]
        if page > 0 and shared.paged:
            parts.append(shared.page_html.replace("{page}", str(page)))
        if shared.link:
            parts.append(shared.link)
        # (as the note will hold it: once a page, not once a card)
        made = shared.sources[page] = as_anki_keeps(SEPARATOR.join(parts))
    return made


def _text_html(text: Text, what: str) -> Tuple[str, List[MediaFile], List[str]]:
    if text.kind == "TEXT":
        # Highlight text has a newline between PDF text runs; a comment's are the user's.
        value = normalise_whitespace(text.value) if what == "highlight" else text.value.strip()
        return escape_text(value), [], []
    html, media, problems = field_html(text)
    return html, media, [p.within(f"{what}: ", part=what) if isinstance(p, Issue) else f"{what}: {p}" for p in problems]


# An area highlight's image where the source has none to give (a Polar 2.x
# export carries no images; a file-syncing service keeps it online only,
# ``ImageOnlineOnly``): a note that has the image keeps it
# (``kept_image``, at the plan), a new note gets none (``write._new_note``).
# An HTML comment: were it ever to reach a note, it would show nothing.
KEPT_IMAGE = "<!--polar-sync: the image the note has-->"
# The image a note has: in the stock block's image part, or alone in an own
# type's Image field.
_BLOCK_IMG = re.compile(r'<div\b[^>]*\bclass="polar-image"[^>]*>\s*<img\b[^>]*?\bsrc="([^"]+)"')
_FIELD_IMG = re.compile(r'\s*<img\b[^>]*?\bsrc="([^"]+)"')


def kept_image(fields: Sequence[str], image_field: Optional[int] = None, alt: str = "") -> str:
    """The image a note's fields hold, as ``build_context`` makes it (the
    block styles it again as it did), or "" when they hold none.
    ``image_field``: the index of an own type's Image field. ``alt``: its
    alt text now (``image_alt``), as a data folder's sync would write it."""
    src = None
    if image_field is not None:
        found = _FIELD_IMG.match(fields[image_field]) if image_field < len(fields) else None
        src = found.group(1) if found is not None else None
    else:
        for value in fields:
            found = _BLOCK_IMG.search(value) if "polar-image" in value else None
            if found is not None:
                src = found.group(1)
                break
    return "" if src is None else _img(src, alt)


def _img(src: str, alt: str) -> str:
    """``src`` escaped already, as ``alt`` is (``image_alt``)."""
    return f'<img src="{src}" alt="{alt}">' if alt else f'<img src="{src}">'


_TAG = re.compile(r"<[^>]*>")


def image_alt(source: str) -> str:
    """An area highlight's alt text: the words of its source line ("Title ·
    p. 7", "Title · § 3"), escaped for an attribute. A screen reader said
    the picture's file name before (render version 10). No words of a
    language of its own: the page words are the collection's (page_label.py),
    so two computers in two languages write the same notes. Anki reads its
    sound, TTS and LaTeX tags inside attributes too: "[" and "\\" go in as
    character references, which a screen reader reads as the characters
    (the line's own way, ``literal_anki_syntax``, puts markup between)."""
    return _alt_attribute(_alt_words(source))


def _alt_words(html: str) -> List[str]:
    return _html.unescape(_TAG.sub("", html)).split()


def _alt_attribute(words: List[str]) -> str:
    return _html.escape(" ".join(words)).replace("[", "&#91;").replace("\\", "&#92;")


def _picture_alt(shared: _DocParts, page: int) -> str:
    """``image_alt`` of the page's source line, from the line's parts: the
    title's and the link's words found once a document, not the line parsed
    back per picture (3,480 in the bench library). The same words: each
    ``SEPARATOR`` is whitespace around "·", so the line's words are its
    parts' words with "·" between, and a page number holds no whitespace."""
    if not shared.alt_words:
        label = _html.unescape(shared.page_html).split()
        shared.alt_words.extend((_alt_words(shared.title), label, _alt_words(shared.link)))
    title, label, link = shared.alt_words
    words = title[:]
    if page > 0 and shared.paged:
        number = str(page)
        words.append("·")
        words += [word.replace("{page}", number) for word in label]
    if shared.link:
        words.append("·")
        words += link
    return _alt_attribute(words)


def _load_image(
    highlight: Highlight, image_loader: Callable[[str], bytes], alt: str
) -> Tuple[str, Optional[MediaFile], Optional[str]]:
    name = highlight.image_name or ""
    where = f"image {name!r} of the area highlight on page {highlight.page}"
    try:
        data = image_loader(name)
    except ImagesNotExported:
        return KEPT_IMAGE, None, None  # expected: exports carry no images (docs/polar-2-exports.md)
    except ImageOnlineOnly:
        return KEPT_IMAGE, None, None  # not on this computer now (iCloud Drive): the note keeps the one it has
    except UnsafePathError:  # before ValueError: it is a subclass
        return "", None, Issue(f"{where} refused: the name leads outside the Polar library",
                               "highlight_image_unreadable")
    except FileNotFoundError:
        return "", None, Issue(f"{where} is missing", "highlight_image_missing")
    except ValueError as exc:
        return "", None, Issue(f"{where} not loaded: {exc}", "image_too_large")
    except OSError as exc:
        return "", None, Issue(f"{where} cannot be read: {exc.strerror or exc}", "highlight_image_unreadable")
    file = image_file(name, data)
    if file is None:
        return "", None, Issue(f"{where} is not a PNG, JPEG, GIF or WebP image", "highlight_image_unreadable")
    return _img(_html.escape(file.name), alt), file, None


def build_context(
    doc: Document, card: Flashcard, image_loader: Callable[[str], bytes], page_label: str = ENGLISH_PAGE_LABEL
) -> Tuple[Context, List[MediaFile], List[str]]:
    """The card's context, the media it needs and human-readable problems.
    ``page_label``: the words of the page's number (``settings.page_label``).

    ``image_loader(name)`` returns the bytes of ``files/image/<name>``; its
    errors (unsafe name, missing, too large) become problems, never raise."""
    media: List[MediaFile] = []
    problems: List[str] = []
    # (A card's calls made here where they are one look: this runs per card.)
    cached_doc, shared = _last
    if cached_doc is not doc or shared is None or shared.label is not page_label:
        shared = _doc_parts(doc, page_label)
    on_highlight = card.ref_type in HIGHLIGHT_REFS
    parent = doc.highlights.get(card.ref_id) if on_highlight else None

    highlight = image = ""
    page = parent.page if parent is not None and parent.page > 0 else card.page
    source = shared.sources.get(page) or _source_html(shared, page)
    if parent is not None:
        text = parent.text
        if text is not None:
            if text.kind == "TEXT":  # highlights' usual kind: _text_html's first case, inlined
                # escape_text(normalise_whitespace(...)): one line, so no <br> to make
                highlight = " ".join(text.value.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                # Text from a PDF or a web page: Anki's syntax in it is text (render version 9)
                highlight = literal_anki_syntax(highlight)
            else:
                highlight, found, issues = _text_html(text, "highlight")
                highlight = literal_anki_syntax(highlight)
                media += found
                problems += issues
        if parent.kind == "area-highlight" and parent.image_name:
            image, file, issue = _load_image(parent, image_loader, _picture_alt(shared, page))
            if file is not None:
                media.append(file)
            if issue:
                problems.append(issue)

    blocks = []
    if on_highlight and card.ref_id and shared.comments:
        for comment in shared.comments.get((card.ref_type, card.ref_id), ()):
            if comment.content is None:
                continue
            body, found, issues = _text_html(comment.content, "comment")
            body = literal_anki_syntax(body)
            media += found
            problems += issues
            if body:
                blocks.append(f'<div class="polar-comment" dir="auto">{body}</div>')

    # As the note will hold them (a title, a highlight or a comment as a PDF gave it).
    context = _new_context((source, as_anki_keeps(highlight) if highlight else "", image,
                            as_anki_keeps("".join(blocks)) if blocks else ""))
    return context, media, problems


_IMG = re.compile(r"<img ([^>]*?)/?>")
# The block's opening tag, however an editor re-serialised its attributes,
# and after a Find and Replace (case ignored, as Anki's dialog does by
# default) changed "polar" in it to "Polar", or "context" to another word:
# its class or, from the stamp on, its hash attribute.
_BLOCK_START = re.compile(r'<div\b[^>]*\b(?i:class="polar-context"|data-polar-block=)')


def context_block(ctx: Context) -> str:
    """The context as one block for stock Basic "Back" / Cloze "Back Extra".

    Styled inline (the stock note types' CSS belongs to the user) and
    deterministic: the same context always gives byte-identical HTML, so a
    re-sync sees no change and ``update_notes`` leaves the note alone."""
    source, highlight, image, comments = ctx  # (one unpacking: a block is made per card)
    if not (source or highlight or image or comments):
        return ""
    parts = [_OPEN_BLOCK]
    if source:
        parts += (_OPEN_SOURCE, source, "</div>")
    if highlight:
        parts += (_OPEN_HIGHLIGHT, highlight, "</blockquote>")
    if image:
        image = _IMG.sub(lambda m: f'<img {m.group(1)} style="{STYLES["polar-image-img"]}">', image, count=1)
        parts += (_OPEN_IMAGE, image, "</div>")
    if comments:
        # (a comment's own attributes, dir="auto", follow the style)
        parts += (_OPEN_COMMENTS, comments.replace('<div class="polar-comment"', _OPEN_COMMENT), "</div>")
    parts.append("</div>")
    return "".join(parts)


# The block's opening tags, made once (a first sync writes a block per card).
_OPEN_BLOCK = f'<div{attr("polar-context")}><hr{attr("polar-rule")}>'
_OPEN_SOURCE = f'<div{attr("polar-source")}>'
_OPEN_HIGHLIGHT = f'<blockquote{attr("polar-highlight")} dir="auto">'
_OPEN_IMAGE = f'<div{attr("polar-image")}>'
_OPEN_COMMENTS = f'<div{attr("polar-comments")}>'
_OPEN_COMMENT = f'<div{attr("polar-comment")}'  # its attributes and ">" follow (context_block)


# A block after the stock Cloze template's "<br>" (style.py PULLED_RULE):
# its rule pulled up over the empty line that "<br>" makes after a text
# ending in one of these (each with a bottom margin of 1em; a text ending in
# words or a <div> leaves no empty line worth taking back).
_PULLED_OPEN = f'<div{attr("polar-context")}><hr class="polar-rule" style="{PULLED_RULE}">'
_ENDS_IN_PARAGRAPH = re.compile(r"</(?:p|ul|ol|blockquote|pre|figure|dl)\s*>\s*$", re.I)


def pulled(block: str, front: str) -> str:
    """``block`` (``context_block``'s) for the field a template shows right
    after ``{{cloze:Text}}<br>`` with nothing of the user's before it, when
    ``front`` (that Text) ends in a paragraph: its rule pulled up over the
    empty line; else ``block`` as it is."""
    if block.startswith(_OPEN_BLOCK) and _ENDS_IN_PARAGRAPH.search(front):
        return _PULLED_OPEN + block[len(_OPEN_BLOCK):]
    return block


# A block right after a template's own rule (the stock Basic's "<hr
# id=answer>\n\n{{Back}}") with nothing of the user's before it (a card
# without an answer): the template's rule is the separator, the block's own
# one under it was a second.
_RULELESS_OPEN = f'<div{attr("polar-context")}>'


def ruleless(block: str) -> str:
    """``block`` (``context_block``'s) without its rule, for the field a
    template shows right after a rule of its own, when nothing is before it."""
    if block.startswith(_OPEN_BLOCK):
        return _RULELESS_OPEN + block[len(_OPEN_BLOCK):]
    return block


def as_made(block: str) -> str:
    """``block`` (``pulled`` or ``ruleless``) as ``context_block`` makes it:
    for a field with text of the user's before it."""
    for variant in (_PULLED_OPEN, _RULELESS_OPEN):
        if block.startswith(variant) and not block.startswith(_OPEN_BLOCK):
            return _OPEN_BLOCK + block[len(variant):]
    return block


_DIV_TAG = re.compile(r"<div\b|</div\s*>", re.I)



# The block as it was written, in the block itself: its opening tag carries
# the hash of the block (without this attribute), so a note whose sync
# record is lost can still tell text typed inside the block from ours.
# Written only on a field written anyway (a new note, an update): a block
# without it is as good as ever (then nothing tells typing from ours).
BLOCK_HASH = "data-polar-block"
_STAMP_AT = _OPEN_BLOCK.index(">")  # every block begins with _OPEN_BLOCK
_BLOCK_TAG = re.compile(r'<div\b[^>]*\b(?i:class="polar-context"|data-polar-block=)[^>]*>')
_STAMP = re.compile(r'\s' + BLOCK_HASH + r'="([0-9a-f]{16})"', re.I)
_STAMP_ANY_CASE = re.compile(BLOCK_HASH, re.I)


def stamped(block: str, digest: str) -> str:
    """``block`` (``context_block``'s) with its hash ``digest`` in its
    opening tag; "" stays ""."""
    if not block:
        return block
    return f'{block[:_STAMP_AT]} {BLOCK_HASH}="{digest}"{block[_STAMP_AT:]}'


# A new note's request carries the stamped block in pieces (write._new_note):
# its bytes up to the hash, the hash and '"', then the block from STAMP_AT.
STAMP_AT = _STAMP_AT
STAMP_HEAD = f'{_OPEN_BLOCK[:_STAMP_AT]} {BLOCK_HASH}="'.encode()  # (ASCII: as many bytes as characters)


def unstamped(value: str) -> Tuple[str, Optional[str]]:
    """``value`` (a field) without its block's hash attribute, and the hash
    (None when its last block has none: written before, or by none of us)."""
    if BLOCK_HASH not in value and ("<div" not in value or _STAMP_ANY_CASE.search(value) is None):
        return value, None  # (a field without a block: no search case-blind)
    tags = list(_BLOCK_TAG.finditer(value))
    if not tags:
        return value, None
    tag = tags[-1]
    found = _STAMP.search(value, tag.start(), tag.end())
    if found is None:
        return value, None
    return value[:found.start()] + value[found.end():], found.group(1).lower()

def split_block(value: str) -> Tuple[str, str]:
    """``(the user's part, the context block)`` of a stock field's value.

    The block is the last ``polar-context`` div, up to its matching close.
    It is written last, but an editor may leave text typed after it: that
    text is the user's and stays in their part. A field without a block is
    all the user's."""
    starts = [m.start() for m in _BLOCK_START.finditer(value)]
    if not starts:
        return value, ""
    start, depth = starts[-1], 0
    end = len(value)
    for tag in _DIV_TAG.finditer(value, start):
        depth += -1 if tag.group().startswith("</") else 1
        if depth == 0:
            end = tag.end()
            break
    return value[:start] + value[end:], value[start:end]
