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
from typing import List, NamedTuple, Optional, Tuple

from bs4 import BeautifulSoup

from ..polar.docmeta import Text
from .html import FORMATTER, escape_text, is_trivially_safe, raw_html, sanitize_html


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
    soup = BeautifulSoup(html, "html.parser")
    media: List[MediaFile] = []
    problems: List[str] = []
    seen = set()
    n = 0  # numbers the data-URI images in problem messages
    for img in soup.find_all("img"):
        src = img.get("src")
        if not isinstance(src, str):
            continue
        match = _DATA_URI.match(src)
        if match is None:
            continue
        n += 1
        mime = match.group(1).strip().lower()
        params = match.group(2).lower()
        if mime not in _RASTER_MIME:
            if "svg" in mime:
                problems.append(f"inline SVG image #{n} dropped (SVG can carry scripts)")
            else:
                problems.append(
                    f"inline image #{n} of type {_describe(mime)} dropped (not an image Anki shows)"
                )
            img.decompose()
            continue
        data = _decode(match.group(3)) if ";base64" in params else None
        if data is None:
            problems.append(f"inline {mime} image #{n} dropped: its base64 data is broken")
            img.decompose()
            continue
        ext = sniff_image_type(data)
        if ext is None:
            problems.append(f"inline {mime} image #{n} dropped: the data is not a PNG, JPEG, GIF or WebP")
            img.decompose()
            continue
        if max_bytes and len(data) > max_bytes:
            problems.append(
                f"inline {mime} image #{n} dropped: {len(data)} bytes, over the {max_bytes}-byte limit"
            )
            img.decompose()
            continue
        file = MediaFile(media_name(data, ext), data)
        img["src"] = file.name
        if file.name not in seen:
            seen.add(file.name)
            media.append(file)
    if n == 0:
        return html, [], []
    return soup.decode(formatter=FORMATTER), media, problems


def field_html(text: Text, max_bytes: Optional[int] = None) -> Tuple[str, List[MediaFile], List[str]]:
    """A Polar text as safe field HTML with its inline images as media files.

    Images are taken out before sanitising: the sanitiser drops every
    ``data:`` URL, and only a plain media file name may stay in ``src``."""
    if text.kind == "TEXT":
        return escape_text(text.value), [], []
    if text.kind == "HTML":
        if is_trivially_safe(text.value):
            return text.value, [], []  # the common case: no <img> at all, nothing to remove
        if "<img" not in text.value.lower():  # no image to take out: straight to the sanitiser
            return sanitize_html(text.value, not_trivial=True), [], []
    html, media, problems = extract_inline_images(raw_html(text), max_bytes)
    return sanitize_html(html), media, problems
