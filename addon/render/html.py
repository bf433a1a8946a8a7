"""Polar text → safe Anki field HTML.

Polar fields are user HTML from a rich-text editor (and, through shared
documents and exports, possibly someone else's). Anki renders fields in a
web view with scripts enabled, so everything goes through an allow-list
sanitiser: only the tags and attributes below survive, and the output is
re-serialised from the parsed tree, never patched as text.
"""

from __future__ import annotations

import html as _html
import re
import threading
import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

from ..polar.docmeta import Text

# bs4 and markdown are imported when a field first needs them: nearly every
# Polar field takes a fast path without either, and bs4's import is ~80 ms
# (Anki itself loads it only for its legacy editor), paid by the first sync
# of every Anki session before.
if TYPE_CHECKING:
    import markdown as _markdown
    from bs4 import BeautifulSoup, Tag
    from bs4.formatter import HTMLFormatter

ALLOWED_TAGS = frozenset(
    "b i u em strong s strike del ins mark code pre kbd sub sup br hr p div span blockquote "
    "ul ol li dl dt dd h1 h2 h3 h4 h5 h6 table thead tbody tfoot tr th td caption a img "
    "ruby rt rp figure figcaption".split()
)

# Removed together with their content: active content, raw-text elements
# whose content browsers parse differently from html.parser, and forms.
DROPPED_TAGS = frozenset(
    "script style iframe frame frameset object embed applet param svg math form input button "
    "select option optgroup textarea label fieldset legend link meta base template noscript "
    "noembed noframes xmp plaintext listing title head canvas audio video source track "
    "picture portal dialog slot image".split()
)

_VOID_TAGS = frozenset({"br", "hr", "img"})
# CKEditor 5 (Polar 2.x's card editor) writes an image as ``<figure
# class="image"><img …><figcaption>…</figcaption></figure>``, a table inside
# ``<figure class="table">`` and an embedded video (its "Insert media") as
# ``<figure class="media"><oembed url="…"></oembed></figure>``. Render
# version 7 and before unwrapped the figures (a caption ran on beside its
# image) and the ``<oembed>`` (nothing: the video gone without a word); now
# the figures stay (``ALLOWED_TAGS``) and an ``<oembed>`` is a link to what it
# embeds. (field_merge ``_earlier_figures`` gives the older rendering back.)
_OEMBED = "oembed"
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")
_SIZE = re.compile(r"^\s*(\d{1,5}(?:%|px)?)\s*$")
_SAFE_HREF = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# --------------------------------------------------------------------------
# Fast path. Almost every Polar field is plain text or a few bare tags
# (``<p>What is <b>x</b>?</p>``). Such a fragment has nothing to remove, so
# it is returned as is without building a tree (≈100x faster than bs4).
# (Not ``<pre>``, ``<table>`` nor ``<figure>``: each is written with a style of its own,
# ``scroll_tag_style``; rare enough that the fields holding one may take the
# next path.)
_FAST_TAGS = sorted(ALLOWED_TAGS - {"a", "img", "pre", "table", "figure"}, key=len, reverse=True)


def _by_first_letter(words: List[str]) -> str:
    """``words`` as one regex alternation, grouped by first letter
    (``b(?:lockquote|r|)|c(?:aption|ode)|...``): the regex engine tries
    alternatives one by one, so a ``<`` then costs a few tries, not ~40
    (this check runs on every field; 2x faster). Matches exactly ``words``."""
    groups: Dict[str, List[str]] = {}
    for word in words:  # longest first, as given
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())


# A ``<`` that does not start an attribute-less allowed tag, and an ``&``
# that does not start a well-formed entity: searched for apart, each from its
# literal first character (one pattern with both alternatives tries both at
# every position of the fragment: ~2x slower).
_TAG_ALTERNATIVES = r"<(?!/?(?:" + _by_first_letter(_FAST_TAGS) + r")\s*/?>)"
_UNSAFE_TAG = re.compile(_TAG_ALTERNATIVES, re.IGNORECASE)
# The same for tags written in lower case, as Polar writes them: without
# IGNORECASE the engine skips an alternative by its first letter at once.
# Whatever it passes the case-blind pattern passes too.
_UNSAFE_LOWER_TAG = re.compile(_TAG_ALTERNATIVES)
_UNSAFE_ENTITY = re.compile(r"&(?!(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});)", re.IGNORECASE)


def find_unsafe(fragment: str) -> bool:
    """True when some ``<`` of ``fragment`` does not start an attribute-less
    allowed tag (any case), or some ``&`` a well-formed entity: then it may
    hold something to remove. Asked of every field of every card
    (media.field_html): ~0.9 us for a usual field, not 1.7."""
    if _UNSAFE_LOWER_TAG.search(fragment) is not None and _UNSAFE_TAG.search(fragment) is not None:
        return True
    return "&" in fragment and _UNSAFE_ENTITY.search(fragment) is not None


# An ``&`` that starts no well-formed entity (``&amp`` without its ``;``):
# html.parser reads one by what follows it, so a path that keeps the text
# as written hands it to a tree of its own (media._extract_by_tokens).
find_loose_ampersand = _UNSAFE_ENTITY.search


def is_trivially_safe(fragment: str) -> bool:
    """True when every ``<`` starts an attribute-less allowed tag and every
    ``&`` a well-formed entity: the fragment cannot hold anything to remove."""
    return not find_unsafe(fragment)


# --------------------------------------------------------------------------
# Serialisation: minimal escaping (&, <, >), but &nbsp; stays visible as an
# entity (as Anki's editor writes it), and void tags are written ``<br>``.
def _substitute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


@cache
def formatter() -> HTMLFormatter:
    """How a parse tree is written back (``soup.decode(formatter=formatter())``)."""
    from bs4.formatter import HTMLFormatter

    return HTMLFormatter(entity_substitution=_substitute, void_element_close_prefix="")


def safe_url(value: str) -> Optional[str]:
    """An http(s)/mailto URL fit for an ``href``, or None.

    Browsers ignore tabs and newlines inside a scheme (``java\\tscript:``),
    so any control character disqualifies the URL instead of being stripped."""
    url = value.strip()
    if _CONTROL.search(url) or not _SAFE_HREF.match(url):
        return None
    return url.replace(" ", "%20")


def is_media_name(value: str) -> bool:
    """A plain media file name: no scheme, no folder, no way up."""
    name = value.strip()
    return (
        0 < len(name) <= 255
        and not any(c in name for c in ":/\\<>\"'")
        and ".." not in name
        and _CONTROL.search(name) is None
    )


def pre_tag_style(kept: str) -> str:
    """The ``style`` every ``<pre>`` is written with: ``style.PRE_STYLE`` (a
    code block wider than the card scrolls inside itself, not the whole
    answer sideways) and what it ``kept`` of its own. The sanitiser drops
    the declaration as any it does not keep, and writes it anew: a field
    sanitised again comes out the same. Both paths below write it so."""
    from .style import PRE_STYLE

    return f"{PRE_STYLE};{kept}" if kept else PRE_STYLE


def table_tag_style(kept: str) -> str:
    """The ``style`` every ``<table>`` is written with, as ``pre_tag_style``:
    ``style.TABLE_STYLE`` (a table wider than the card scrolls inside
    itself, render version 8) and what it ``kept`` of its own."""
    from .style import TABLE_STYLE

    return f"{TABLE_STYLE};{kept}" if kept else TABLE_STYLE


def figure_tag_style(kept: str) -> str:
    """The ``style`` every ``<figure>`` is written with (``style.FIGURE_STYLE``)
    and what it ``kept`` of its own, as ``pre_tag_style``."""
    from .style import FIGURE_STYLE

    return f"{FIGURE_STYLE};{kept}" if kept else FIGURE_STYLE


_SCROLL_STYLES = {"pre": pre_tag_style, "table": table_tag_style, "figure": figure_tag_style}


def kept_style(name: str, attrs: Mapping[str, object]) -> Dict[str, str]:
    """What a tag keeps of its ``style`` (and a ``<font>`` of its ``color``):
    a validated subset written anew (``inline_style``); {} for none."""
    from .inline_style import clean_style, font_colour  # (on the first style: most libraries have none)

    style = attrs.get("style")
    kept: Dict[str, str] = {}
    font_color = None
    if name == "font":
        value = attrs.get("color")
        font_color = font_colour(value) if isinstance(value, str) else None
        if font_color is not None:
            kept["color"] = font_color
    if isinstance(style, str) or font_color is not None:
        cleaned = clean_style(style if isinstance(style, str) else "", font_color)
        if cleaned and cleaned != f"color:{font_color}":
            kept["style"] = cleaned
    return kept


def _clean_attrs(tag: Tag, styles: bool = True) -> bool:
    """Reduce ``tag``'s attributes to the allow-list; False: drop the tag."""
    name = tag.name
    old = tag.attrs
    new: Dict[str, str] = {}
    if name == "a":
        href = old.get("href")
        url = safe_url(href) if isinstance(href, str) else None
        if url is not None:
            new["href"] = url
        title = old.get("title")
        if isinstance(title, str) and title:
            new["title"] = title
    elif name == "img":
        src = old.get("src")
        if not isinstance(src, str) or not is_media_name(src):
            return False
        new["src"] = src.strip()
        alt = old.get("alt")
        if isinstance(alt, str):
            new["alt"] = alt
        for key in ("width", "height"):
            value = old.get(key)
            match = _SIZE.match(value) if isinstance(value, str) else None
            if match:
                new[key] = match.group(1)
        if styles and "width" in new and "height" in new:
            from .style import IMG_STYLE

            new["style"] = IMG_STYLE  # its shape kept where the card's width shrinks it (render version 8)
    elif name in ("td", "th"):
        for key in ("colspan", "rowspan"):
            value = old.get(key)
            match = _NUMBER.match(value) if isinstance(value, str) else None
            if match:
                new[key] = match.group(1)
    if styles and "style" in old and name not in _VOID_TAGS:
        new.update(kept_style(name, old))
    if styles and name in _SCROLL_STYLES:
        new["style"] = _SCROLL_STYLES[name](new.get("style", ""))
    tag.attrs.clear()
    tag.attrs.update(new)
    return True


def _sanitize_tree(soup: BeautifulSoup, styles: bool = True) -> None:
    from bs4 import Tag
    from bs4.element import PreformattedString

    # A work list instead of recursion: deep nesting cannot overflow the stack.
    work: List[object] = list(soup.contents)
    while work:
        node = work.pop()
        if isinstance(node, Tag):
            name = (node.name or "").lower()
            if name in DROPPED_TAGS:
                node.decompose()
            elif name in ALLOWED_TAGS:
                if not _clean_attrs(node, styles):
                    node.decompose()
                elif name == "a" and "href" not in node.attrs:
                    kids = list(node.contents)
                    node.unwrap()  # a link to nowhere is just its text
                    work.extend(kids)
                else:
                    work.extend(node.contents)
            elif name == _OEMBED:
                url_value = node.attrs.get("url")
                url = safe_url(url_value) if isinstance(url_value, str) else None
                if url is None:
                    node.decompose()
                else:
                    node.name = "a"
                    node.attrs.clear()
                    node.attrs["href"] = url
                    node.clear()
                    node.append(url)
            elif name == "font" and styles and (font := kept_style(name, node.attrs)):
                node.attrs.clear()  # a colour: kept (Summernote's text colour)
                node.attrs.update(font)
                work.extend(node.contents)
            else:  # unknown but harmless (font, center, o:p, ...): keep the content
                kids = list(node.contents)
                node.unwrap()
                work.extend(kids)
        elif isinstance(node, PreformattedString):  # comments, CDATA, <?pi?>, doctype
            node.extract()


def _strip_all_tags(fragment: str) -> str:
    text = re.sub(r"<[^>]*>?", " ", fragment)
    return _html.escape(_html.unescape(text), quote=False)


# --------------------------------------------------------------------------
# Second fast path: fragments made only of plain tags whose attributes the
# sanitiser drops anyway (a pasted ``<span style=...>``, ``<p class=...>``,
# ``<font color=...>``) and of simple links, properly nested, with text free
# of ``<`` and of any entity but the four that survive a bs4 round trip
# unchanged. For those the
# output is computed from a token stream, byte-identical to what bs4 writes
# (tests/render/test_html.py checks that, also by fuzzing), ~20x faster.
# Anything else returns None and takes the full parse. One known difference,
# shared with is_trivially_safe: a text of only spaces between two tags
# stays as written, where bs4 writes one space (or newline). A browser shows
# one either way; making it bs4's would rewrite every such existing note.
_KEEPS_ATTRIBUTES = frozenset({"img", "td", "th"})  # and "a": _simple_link
_SIMPLE_VOID = frozenset({"br", "hr"})
TAG_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9]{0,15})"
    r"((?:\s+[a-zA-Z_][-a-zA-Z0-9_.]*(?:\s*=\s*(?:\"[^\"<>&]*\"|'[^'<>&]*'|[-a-zA-Z0-9_.:#%]+))?)*)"
    r"\s*(/?)>"
)
_SIMPLE_ATTR = re.compile(
    r"\s+([a-zA-Z_][-a-zA-Z0-9_.]*)(?:\s*=\s*(?:\"([^\"<>&]*)\"|'([^'<>&]*)'|([-a-zA-Z0-9_.:#%]+)))?"
)
# A "<", CR or NUL, or an "&" that starts none of the four entities. One
# character class first (an "&" then checked behind and ahead), so the
# engine skips to the next candidate at once: 2x faster than "[<\r\x00]|&(?!…)".
_SIMPLE_TEXT_BAD = re.compile(r"[<\r\x00&](?:(?<=&)(?!(?:nbsp|amp|lt|gt);)|(?<!&))")


def _simple_attrs(attrs: str) -> Optional[Dict[str, str]]:
    """A tag's attributes by lower-cased name, or None when one is given
    twice (bs4 has its own rule for that: the full parse decides)."""
    values: Dict[str, str] = {}
    for m in _SIMPLE_ATTR.finditer(attrs):
        key = m.group(1).lower()
        if key in values:
            return None
        values[key] = next((g for g in m.group(2, 3, 4) if g is not None), "")
    return values


def _simple_link(attrs: str) -> Optional[str]:
    """``<a ...>`` as bs4 writes it after ``_clean_attrs`` ("" = unwrapped),
    or None when the attributes need the full parse."""
    values = _simple_attrs(attrs)
    if values is None:
        return None
    href = values.get("href")
    url = safe_url(href) if href is not None else None
    if url is None:
        return ""
    title = values.get("title", "")
    if '"' in url or '"' in title:
        return None  # bs4 would switch quotes
    tag = f'<a href="{_substitute(url)}"'
    if title:
        tag += f' title="{_substitute(title)}"'
    return tag + ">"


def only_src(attrs: str) -> Optional[str]:
    """The ``src`` of a tag whose attributes (as ``TAG_TOKEN`` reads them)
    are that one ``src`` and nothing else; else None."""
    found = _SIMPLE_ATTR.findall(attrs)
    if len(found) != 1:
        return None
    key, double, single, bare = found[0]
    return double or single or bare if key.lower() == "src" else None


def _simple_image(attrs: str) -> Optional[str]:
    """``<img src="name">`` as bs4 writes it after ``_clean_attrs``, when
    ``src`` is its only attribute and a plain media name (what
    ``extract_inline_images`` leaves of a data-URI image); else None."""
    value = only_src(attrs)
    if value is None or not is_media_name(value):
        return None
    return f'<img src="{_substitute(value.strip())}">'


_ASCII_SPACES = {ord(c): None for c in " \n\t\x0c\r"}  # bs4's ASCII_SPACES, to delete


def bs4_would_collapse(text: str) -> bool:
    """Whether bs4 writes ``text`` (a whole text between two tags) otherwise
    than it is: nothing but ASCII spaces becomes one " " (or "\n")."""
    return bool(text) and text not in (" ", "\n") and not text.translate(_ASCII_SPACES)

# Names that send a fragment to the full parse (but an image as above); the
# tags written for the rest.
_SIMPLE_REFUSED = DROPPED_TAGS | _KEEPS_ATTRIBUTES | {_OEMBED}
_SIMPLE_OPEN = {name: f"<{name}>" for name in ALLOWED_TAGS}
_SIMPLE_CLOSE = {name: f"</{name}>" for name in ALLOWED_TAGS}


# What _sanitize_simple does with a tag, by the tag as TAG_TOKEN splits it
# (closing, name, attributes, self-close): the tags of a library repeat
# (``<p>``, ``<span style="…">``, ``</div>``), so each is worked out once and
# then is one dict lookup (~1.5 -> ~0.3 us a tag). An action is (kind, its
# lower-cased name, what to write, for an opened tag what closes it).
_REFUSE, _OPEN, _CLOSE, _VOID, _IMAGE = range(5)
_TagAction = Tuple[int, str, str, str]
_REFUSED_TAG: _TagAction = (_REFUSE, "", "", "")
_TAG_ACTIONS: Dict[Tuple[str, str, str, str], _TagAction] = {}
_UNSTYLED_TAG_ACTIONS: Dict[Tuple[str, str, str, str], _TagAction] = {}  # styles=False (merge.py's old rendering)
_MAX_TAG_ACTIONS = 4096  # links' attributes differ: past this, new tags are worked out each time


def _styled_tag(name: str, attrs: str) -> Optional[str]:
    """The opening tag of a plain tag (or ``<font>``) whose ``style`` (or
    colour) keeps something, as bs4 writes it after ``_clean_attrs``; ""
    when nothing is kept; None for the full parse (an attribute twice)."""
    values = _simple_attrs(attrs)
    if values is None:
        return None
    kept = kept_style(name, values)
    if not kept:
        return ""
    return f"<{name}" + "".join(f' {key}="{_substitute(value)}"' for key, value in kept.items()) + ">"


def _may_keep_style(attrs: str) -> bool:
    """Whether a tag's attributes may keep something of a style (a style, a
    colour); a plain test: a tag is worked out once (``_TAG_ACTIONS``)."""
    low = attrs.lower()
    return "style" in low or "color" in low


def _tag_action(closing: str, name: str, attrs: str, selfclose: str, styles: bool = True) -> _TagAction:
    name = name.lower()
    if name in _SIMPLE_REFUSED:
        image = _simple_image(attrs) if name == "img" and not closing and not selfclose else None
        return _REFUSED_TAG if image is None else (_IMAGE, name, image, "")
    if closing:
        return _REFUSED_TAG if attrs or selfclose else (_CLOSE, name, "", "")
    if name in _SIMPLE_VOID:
        return (_VOID, name, _SIMPLE_OPEN[name], "")
    if selfclose:
        return _REFUSED_TAG
    if name in _SCROLL_STYLES and styles:  # (its action is kept: worked out once per distinct tag)
        values = _simple_attrs(attrs)
        if values is None:
            return _REFUSED_TAG
        style = _SCROLL_STYLES[name](kept_style(name, values).get("style", "") if _may_keep_style(attrs) else "")
        return (_OPEN, name, f'<{name} style="{_substitute(style)}">', f"</{name}>")
    if name == "a":
        link = _simple_link(attrs)
        if link is None or (styles and _may_keep_style(attrs) and _styled_tag(name, attrs) != ""):
            return _REFUSED_TAG  # (a styled link: rare, for the full parse)
        return (_OPEN, name, link, "</a>" if link else "")
    if styles and attrs and _may_keep_style(attrs) and (name in _SIMPLE_OPEN or name == "font"):
        styled = _styled_tag(name, attrs)
        if styled is None:
            return _REFUSED_TAG
        if styled:
            return (_OPEN, name, styled, f"</{name}>")
    tag = _SIMPLE_OPEN.get(name)
    if tag is None:  # unknown but harmless (font, center): unwrapped
        return (_OPEN, name, "", "")
    return (_OPEN, name, tag, _SIMPLE_CLOSE[name])


def _sanitize_simple(html: str, styles: bool = True) -> Optional[str]:
    # One split gives text, token groups (closing, name, attributes,
    # self-close), text, ...: the same tokens finditer would find, without a
    # match object per tag (a field here has ~5 tags; this made it 2x cheaper).
    parts = TAG_TOKEN.split(html)
    texts = parts[::5]
    # The texts checked at once: the separator is neither a bad character nor
    # part of an entity, so the joined text is bad exactly when one text is.
    if _SIMPLE_TEXT_BAD.search("\n".join(texts)):
        return None
    out: List[str] = []
    stack: List[Tuple[str, str]] = []  # (name, its closing tag as written: "" for none)
    images = False
    actions = _TAG_ACTIONS if styles else _UNSTYLED_TAG_ACTIONS
    tokens = iter(parts)
    # Five at a time: a text, then a tag's four groups; the last text is left.
    for text, closing, name, attrs, selfclose in zip(tokens, tokens, tokens, tokens, tokens):
        if text:
            out.append(text.replace(">", "&gt;").replace("\xa0", "&nbsp;"))
        key = (closing, name, attrs, selfclose)
        action = actions.get(key)
        if action is None:
            action = _tag_action(closing, name, attrs, selfclose, styles)
            if len(actions) < _MAX_TAG_ACTIONS:
                actions[key] = action
        kind, name, written, close = action
        if kind == _OPEN:
            stack.append((name, close))
            if written:
                out.append(written)
        elif kind == _CLOSE:
            if not stack:
                return None
            open_name, close = stack.pop()
            if open_name != name:
                return None
            if close:
                out.append(close)
        elif kind == _VOID:
            out.append(written)
        elif kind == _IMAGE:
            out.append(written)
            images = True
        else:
            return None
    text = parts[-1]
    if text:
        out.append(text.replace(">", "&gt;").replace("\xa0", "&nbsp;"))
    if stack:
        return None
    if images and any(bs4_would_collapse(text) for text in texts):
        # bs4 writes a text of nothing but ASCII spaces as one " " (or "\n");
        # this path keeps it as it is. Such fragments took the full parse
        # before images came here, and still do.
        return None
    return "".join(out)


def sanitize_html(html: str, not_trivial: bool = False, styles: bool = True) -> str:
    """Allow-list sanitiser; see ``ALLOWED_TAGS`` and ``_clean_attrs``.

    Scripts, styles, frames, SVG/MathML, forms and the like are removed with
    their content, unknown tags are unwrapped (but a ``<font>`` with a
    colour), ``class``/``on*`` attributes are dropped, a ``style`` keeps only
    colours, weight, slant and underline/strike-through, written anew
    (``inline_style``), links keep only http(s)/mailto targets and images
    only a plain media file name. Text (MathJax, cloze syntax) is untouched.
    ``not_trivial``: the caller found ``is_trivially_safe(html)`` False.
    ``styles=False``: no style at all, as render version 4 and before wrote
    fields (``field_merge`` tells that rendering from a Polar change)."""
    if not not_trivial and is_trivially_safe(html):
        return html
    simple = _sanitize_simple(html, styles)
    if simple is not None:
        return simple
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(html, "html.parser")
    except RecursionError:  # absurd nesting in older bs4: keep the words only
        return _strip_all_tags(html)
    try:
        _sanitize_tree(soup, styles)
        return soup.decode(formatter=formatter())
    except RecursionError:
        return _strip_all_tags(html)
    finally:
        free_tree(soup)


def free_tree(soup: BeautifulSoup) -> None:
    """Unlink a parse tree so that reference counting frees it at once.

    A bs4 tree is a web of cycles (parent, sibling and next-element links),
    and Anki runs with Python's collector off (``aqt.main`` collects every
    15 minutes): a sync parsing thousands of fields would otherwise hold every
    tree until then. ``decompose`` on the soup alone leaves its children's
    cycles, so each top-level node goes first."""
    for node in list(soup.contents):
        node.decompose()
    soup.decompose()


def escape_text(text: str) -> str:
    """Plain text → HTML that shows it literally, line breaks kept."""
    escaped = _html.escape(text, quote=False)
    if "\n" in escaped or "\r" in escaped:
        escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return escaped


# What Anki takes out of every field it stores (its notes' ``prepare_for_update``,
# 23.10 to 26.x alike): the ASCII control characters but tab and line feed.
_ANKI_DROPS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def as_anki_keeps(value: str) -> str:
    """``value`` as Anki stores it in a note: without the ASCII control
    characters it drops (a carriage return, a form feed, a NUL out of a PDF's
    text layer) and composed (NFC: Polar keeps a text as typed or pasted, a
    Mac's or a PDF's "e" + U+0301 too). What the sync writes, compares and
    remembers the hash of is then what the note holds: otherwise the note
    read back differs from it, and the next edit in Polar looked like an edit
    in both (a conflict; with "keep Anki's" Polar's edit not taken)."""
    # (isprintable first: a C loop ~2x cheaper than the search; False for a
    # line feed or a tab too, which the search then tells apart.)
    if not value.isprintable() and _ANKI_DROPS.search(value) is not None:
        value = _ANKI_DROPS.sub("", value)
    if value.isascii() or unicodedata.is_normalized("NFC", value):
        return value
    return unicodedata.normalize("NFC", value)


# MathJax delimiters are backslash escapes to Markdown (``\(`` → ``(``) and
# ``_``/``*`` inside formulas would turn into emphasis, so formulas are set
# aside before rendering and put back (escaped) afterwards.
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_MD_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# One converter per thread, reset before each text: ``markdown.markdown``
# builds a new one per call (~0.3 ms and ~130 objects in cycles, which Anki's
# switched-off collector would keep). Not shared: a converter holds the
# state of the text it converts, and fields render on more than one thread.
_md_local = threading.local()
# Polar renders Markdown with marked (polar-markdown-parser MarkdownToHTML:
# ``gfm: true, breaks: true``), run in node against this converter: a line
# break inside a paragraph is a line break (``breaks``), and ``~struck~`` or
# ``~~struck~~`` is struck out (GFM; Polar's own HTML-to-Markdown writes a
# ``<s>`` as ``~struck~``). Render version 12 and before showed the lines
# joined and the tildes: ``markdown_to_html(text, before_13=True)``.
_STRUCK = r"(?<!~)(~{1,2})(?=[^\s~])(.+?)(?<=[^\s~])\1(?!~)"
# A text whose rendering changed in version 13 holds one of these.
MARKDOWN_CHANGED_IN_13 = re.compile(r"[^\n]\n(?=[^\n])|~")


def new_converter(before_13: bool = False) -> _markdown.Markdown:
    """A fresh converter of the Markdown Polar writes (``before_13``: as
    render version 12 and before converted it)."""
    import markdown

    extensions: List[Any] = list(_MD_EXTENSIONS)
    if not before_13:
        from markdown.extensions import Extension
        from markdown.inlinepatterns import SimpleTagInlineProcessor

        class _Struck(Extension):
            def extendMarkdown(self, md: _markdown.Markdown) -> None:  # noqa: N802 (Markdown's name)
                md.inlinePatterns.register(SimpleTagInlineProcessor(_STRUCK, "del"), "polar_struck", 65)

        extensions += ["nl2br", _Struck()]
    return markdown.Markdown(extensions=extensions, output_format="html")


def _converter(before_13: bool = False) -> _markdown.Markdown:
    name = "md12" if before_13 else "md"
    md: Optional[_markdown.Markdown] = getattr(_md_local, name, None)
    if md is None:
        md = new_converter(before_13)
        setattr(_md_local, name, md)
    else:
        md.reset()
    return md


def markdown_to_html(text: str, before_13: bool = False) -> str:
    """Markdown → unsanitised HTML (callers sanitise), as Polar shows it;
    ``before_13``: as render version 12 and before rendered it."""
    formulas: List[str] = []

    def stash(match: re.Match[str]) -> str:
        formulas.append(match.group(0))
        return f"POLARMATH{len(formulas) - 1}X"

    source = _MATH.sub(stash, text)
    rendered = _converter(before_13).convert(source)
    if formulas:
        rendered = re.sub(
            r"POLARMATH(\d+)X",
            lambda m: _html.escape(formulas[int(m.group(1))], quote=False),
            rendered,
        )
    return rendered


def raw_html(text: Text, before_13: bool = False) -> str:
    """A Polar text as HTML that still needs sanitising (TEXT is already safe)."""
    if text.kind == "TEXT":
        return escape_text(text.value)
    if text.kind == "MARKDOWN":
        return markdown_to_html(text.value, before_13)
    return text.value


def text_to_html(text: Text) -> str:
    """A Polar text object as safe field HTML.

    TEXT is escaped (Polar's own sync pasted it raw), MARKDOWN is rendered,
    HTML is sanitised. Inline data-URI images are dropped here; use
    ``render.card.field_html`` to keep them as media."""
    if text.kind == "TEXT":
        return escape_text(text.value)
    return sanitize_html(raw_html(text))


_CLOZE = re.compile(r"\{\{c0*[1-9][0-9]*::.+?\}\}", re.DOTALL)


def has_cloze(html: str) -> bool:
    """True when ``html`` holds at least one ``{{cN::...}}`` deletion, N ≥ 1."""
    return _CLOZE.search(html) is not None


def normalise_whitespace(s: str) -> str:
    """Collapse runs of whitespace (PDF text runs are split by newlines) to one space."""
    return " ".join(s.split())


_TAG = re.compile(r"<[^>]*>")
_NBSP = re.compile(r"&nbsp;|&#160;|&#xa0;", re.IGNORECASE)
# Leading tags and whitespace, found as the removal below finds them.
_LEADING_NOTHING = re.compile(r"(?:<[^>]*>|\s)*")


def is_blank_html(html: str) -> bool:
    """True when the HTML shows nothing: no text and no image."""
    # The usual front (``<p>What is…``): the first character after the
    # leading tags and whitespace is neither whitespace nor the start of a
    # tag or an entity, so no removal below can take it: not blank, without
    # copying the field twice. (``\s`` is what str.strip removes; a ``<``
    # there opens no tag, so it stays as text.)
    leading = _LEADING_NOTHING.match(html)  # always matches (maybe empty)
    end = leading.end() if leading else 0
    if end < len(html) and html[end] != "&":
        return False
    if "<" in html:
        if "<img" in html.lower():
            return False
        html = _TAG.sub("", html)
    if "&" in html:
        html = _NBSP.sub(" ", html)
    return not html.strip()


# --------------------------------------------------------------------------
# Anki's own syntax in plain text. Anki reads some text of a field as markup:
# ``[sound:x]`` and ``[anki:tts]…[/anki:tts]`` become a play button (the
# words vanish; the reviewer plays or fails to play them), ``[latex]``,
# ``[$]``, ``[$$]`` an image generated by LaTeX (or, with generation off,
# "LaTeX image generation is disabled" under the card), ``\(`` and ``\[``
# MathJax. Text a person wrote in Polar means none of that: Polar shows it
# as written. Polar has no audio, so a sound or TTS tag is never meant in any
# field; LaTeX and MathJax may be meant in a card's own fields (a user who
# types ``\(x^2\)`` on a card wants a formula, and earlier versions rendered
# it), never in the highlight or a comment (text from a PDF or a web page).
# The bracket, and a MathJax opener's backslash, go in a ``<span>`` of their
# own: Anki's parser reads tags in the field's HTML, MathJax finds delimiters
# within one text run, and neither crosses a tag. (An entity, ``&#91;``, would
# not do: Anki's editor holds the field as a DOM and writes it back as
# ``[`` once the user types in it, and MathJax reads the DOM's text.) Inside a
# tag nothing changes. (Render version 9.)
_AV_SYNTAX = re.compile(r"<[^>]*>|\[(?=sound:|anki:tts|/anki:tts)", re.IGNORECASE)
_ALL_SYNTAX = re.compile(
    r"<[^>]*>|\[(?=sound:|/?anki:tts|/?latex\]|/?\$\$?\])|\\(?=[(\[])", re.IGNORECASE
)


def _literal(match: re.Match[str]) -> str:
    found = match.group(0)
    if found == "[":
        return "<span>[</span>"
    if found == "\\":
        return "<span>\\</span>"
    return found


def literal_sound(html: str) -> str:
    """``html`` with Anki's sound and TTS tags shown as written (a card's own
    fields: formulas stay formulas)."""
    if "[" not in html:
        return html
    return _AV_SYNTAX.sub(_literal, html)


def literal_anki_syntax(html: str) -> str:
    """``html`` with every piece of Anki's field syntax shown as written:
    sound, TTS, LaTeX and MathJax (the highlight, comments, the title)."""
    if "[" not in html and "\\" not in html:
        return html
    return _ALL_SYNTAX.sub(_literal, html)
