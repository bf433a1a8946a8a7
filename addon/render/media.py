"""Images → Anki media files.

Every image gets a content-hashed name (``polar-<sha1 hex 20>.<ext>``): the
same bytes always give the same name, so re-syncing never piles up copies and
Anki's ``media.write_data`` keeps the name we chose. The type is decided by
the bytes' magic numbers, never by a declared MIME type or file name, so an
SVG (which can carry scripts) dressed up as ``image/png`` is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import List, NamedTuple, Optional, Set, Tuple

from ..polar.docmeta import Text
from .html import (
    DROPPED_TAGS,
    TAG_TOKEN,
    bs4_would_collapse,
    escape_text,
    find_loose_ampersand,
    find_unsafe,
    formatter,
    free_tree,
    only_src,
    raw_html,
    sanitize_html,
)
from .issues import Issue


class MediaFile(NamedTuple):  # immutable; cheaper to make than a frozen dataclass
    name: str  # content-hashed file name, e.g. "polar-<sha1 hex 20>.png"
    data: bytes


def sniff_image_type(data: bytes) -> Optional[str]:
    """File extension for a raster image Anki can show, from magic bytes; else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def media_name(data: bytes, ext: str) -> str:
    return f"polar-{hashlib.sha1(data).hexdigest()[:20]}.{ext}"


def image_file(name_in_polar: str, data: bytes) -> Optional[MediaFile]:
    """An area-highlight screenshot as a content-hashed media file.

    ``name_in_polar`` is not used for the name: Polar writes a new image id
    on every resize, and hashing the bytes keeps identical images as one file."""
    ext = sniff_image_type(data)
    if ext is None:
        return None
    return MediaFile(media_name(data, ext), data)


# Cheap pre-check so the common field (no data URI at all) skips parsing.
_DATA_URI_HINT = re.compile(r"data\s*:", re.IGNORECASE)
_DATA_URI = re.compile(r"^\s*data:([^,;]*)((?:;[^,;]*)*),(.*)$", re.IGNORECASE | re.DOTALL)
_RASTER_MIME = {"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"}


def _describe(mime: str) -> str:
    return mime or "untyped"


def _decode(payload: str) -> Optional[bytes]:
    # Data URIs are often wrapped (newlines or %0A) and sometimes lack padding.
    cleaned = re.sub(r"%0[aAdD]|%20|\s+", "", payload)
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


def extract_inline_images(
    html: str, max_bytes: Optional[int] = None
) -> Tuple[str, List[MediaFile], List[str]]:
    """Move ``<img src="data:image/...;base64,...">`` images into media files.

    Raster images (png, jpeg, gif, webp) get ``src="<MediaFile.name>"``.
    SVG, other data URIs, broken base64, bytes that are not a raster image and
    images over ``max_bytes`` are removed with a problem message each.
    Returns ``(new_html, media, problems)``; the HTML still needs sanitising."""
    if "<" not in html or _DATA_URI_HINT.search(html) is None:
        return html, [], []
    found = _extract_by_tokens(html, max_bytes)
    return found if found is not None else _extract_by_tree(html, max_bytes)


class _Images:
    """The data-URI images of one fragment, numbered in document order."""

    def __init__(self, max_bytes: Optional[int]) -> None:
        self.max_bytes = max_bytes
        self.media: List[MediaFile] = []
        self.problems: List[str] = []
        self.count = 0  # numbers the data-URI images in problem messages
        self._seen: Set[str] = set()

    def take(self, src: str) -> Tuple[bool, Optional[str]]:
        """(is a data URI, the media name it becomes or None: drop the image)."""
        match = _DATA_URI.match(src)
        if match is None:
            return False, None
        self.count += 1
        n = self.count
        mime = match.group(1).strip().lower()
        params = match.group(2).lower()
        if mime not in _RASTER_MIME:
            if "svg" in mime:
                self.problems.append(Issue(f"inline SVG image #{n} dropped (SVG can carry scripts)",
                                           "svg_image_dropped"))
            else:
                self.problems.append(Issue(
                    f"inline image #{n} of type {_describe(mime)} dropped (not an image Anki shows)", "image_dropped"
                ))
            return True, None
        data = _decode(match.group(3)) if ";base64" in params else None
        if data is None:
            self.problems.append(Issue(f"inline {mime} image #{n} dropped: its base64 data is broken", "image_dropped"))
            return True, None
        ext = sniff_image_type(data)
        if ext is None:
            self.problems.append(Issue(f"inline {mime} image #{n} dropped: the data is not a PNG, JPEG, GIF or WebP",
                                       "image_dropped"))
            return True, None
        if self.max_bytes and len(data) > self.max_bytes:
            self.problems.append(Issue(
                f"inline {mime} image #{n} dropped: {len(data)} bytes, over the {self.max_bytes}-byte limit",
                "image_too_large", size=len(data), limit=self.max_bytes,
            ))
            return True, None
        file = MediaFile(media_name(data, ext), data)
        if file.name not in self._seen:
            self._seen.add(file.name)
            self.media.append(file)
        return True, file.name


def _extract_by_tokens(html: str, max_bytes: Optional[int]) -> Optional[Tuple[str, List[MediaFile], List[str]]]:
    """The usual pasted image (``<img src="data:...">`` among plain tags) taken
    out without a parse tree (~10x cheaper): the tags are read as the
    sanitiser's fast path reads them, and each image whose only attribute is
    ``src`` is rewritten in place. None when a tree is needed: an ``&``
    that starts no entity, a text of several spaces alone, a ``<`` that
    starts no such tag (a comment, a broken tag), an image with other
    attributes or a closing ``</img>``, a tag the sanitiser drops with its
    content (html.parser reads a ``<script>``'s content as text: an image
    there is no image), or no image kept. What the sanitiser then makes of
    the result is what it made of the tree's (tests/render/
    test_media_token_path.py compares them)."""
    if "&" in html and find_loose_ampersand(html) is not None:
        # "&amp" before an image: the tree's parse reads "&" there, and
        # "&amp" at the end of the text the sanitiser parses: left to the tree.
        return None
    images = _Images(max_bytes)
    out: List[str] = []
    pos = 0
    kept = False
    for m in TAG_TOKEN.finditer(html):
        text = html[pos:m.start()]
        if "<" in text or bs4_would_collapse(text):
            # (the tree writes a text of spaces alone as one space: so would
            # this path's, but for the text an image dropped here joins up)
            return None
        out.append(text)
        pos = m.end()
        closing, name, attrs, _ = m.groups()
        name = name.lower()
        if name in DROPPED_TAGS:
            return None
        if name != "img":
            out.append(m.group(0))
            continue
        src = None if closing else only_src(attrs)
        if src is None:
            return None
        is_data, media = images.take(src)
        if not is_data:
            out.append(m.group(0))
        elif media is not None:
            out.append(f'<img src="{media}">')
            kept = True
    tail = html[pos:]
    if "<" in tail or bs4_would_collapse(tail):
        return None
    if images.count == 0:
        return html, [], []
    if not kept:
        # Without an image left the rest may be trivially safe, and the
        # sanitiser would keep it as written where the tree's output was
        # bs4's (``>`` as ``&gt;``, ``<P>`` as ``<p>``). Rare: a broken image.
        return None
    out.append(tail)
    return "".join(out), images.media, images.problems


def _extract_by_tree(html: str, max_bytes: Optional[int]) -> Tuple[str, List[MediaFile], List[str]]:
    from bs4 import BeautifulSoup  # (imported on first use, see html.py)

    soup = BeautifulSoup(html, "html.parser")
    try:
        images = _Images(max_bytes)
        for img in soup.find_all("img"):
            src = img.get("src")
            if not isinstance(src, str):
                continue
            is_data, media = images.take(src)
            if not is_data:
                continue
            if media is None:
                img.decompose()
            else:
                img["src"] = media
        if images.count == 0:
            return html, [], []
        return soup.decode(formatter=formatter()), images.media, images.problems
    finally:
        free_tree(soup)


def field_html(text: Text, max_bytes: Optional[int] = None,
               before_13: bool = False) -> Tuple[str, List[MediaFile], List[str]]:
    """A Polar text as safe field HTML with its inline images as media files.
    ``before_13``: Markdown as render version 12 and before rendered it.

    Images are taken out before sanitising: the sanitiser drops every
    ``data:`` URL, and only a plain media file name may stay in ``src``."""
    kind, value = text
    if kind == "HTML":
        if not find_unsafe(value):  # is_trivially_safe
            return value, [], []  # the common case: no <img> at all, nothing to remove
        if "<img" not in value.lower():  # no image to take out: straight to the sanitiser
            return sanitize_html(value, not_trivial=True), [], []
    elif kind == "TEXT":
        return escape_text(value), [], []
    html, media, problems = extract_inline_images(raw_html(text, before_13), max_bytes)
    if "//" in html:
        problems += _left_out_web_images(html)
    return sanitize_html(html), media, problems


# An image on the web (pasted from a page into Polar's editor): the sanitiser
# keeps only images stored with the note, so it is left out, and said so.
_WEB_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.IGNORECASE)


def _left_out_web_images(html: str) -> List[str]:
    return [Issue(f"an image on the web was left out (only images stored in Polar are copied): {url[:200]}",
                  "web_image_left_out")
            for url in dict.fromkeys(m.group(1) for m in _WEB_IMAGE.finditer(html))]
