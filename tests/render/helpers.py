"""Small builders shared by the render tests."""

from __future__ import annotations

import base64
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from addon.polar.docmeta import BASIC, Comment, Document, Flashcard, Highlight, Text

# Magic bytes are all the renderer looks at; the rest only has to differ.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR-png-body"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00-jpeg-body"
GIF = b"GIF89a\x01\x00\x01\x00-gif-body"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 -webp-body"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def card(
    fields: Mapping[str, Text],
    *,
    type: str = BASIC,
    ident: str = "1card00001",
    page: int = 3,
    ref: Tuple[str, str] = ("text-highlight", "hl1"),
    tags: Sequence[str] = (),
) -> Flashcard:
    return Flashcard(
        id=ident, type=type, fields=dict(fields), page=page, ref_type=ref[0], ref_id=ref[1], tags=tuple(tags)
    )


def document(
    cards: Sequence[Flashcard] = (),
    highlights: Optional[Dict[str, Highlight]] = None,
    comments: Sequence[Comment] = (),
    *,
    title: str = "Operating Systems",
    filename: str = "os.pdf",
    url: str = "",
    tags: Sequence[str] = (),
) -> Document:
    return Document(
        fingerprint="fp1",
        title=title,
        filename=filename,
        url=url,
        tags=tuple(tags),
        archived=False,
        nr_pages=10,
        flashcards=tuple(cards),
        highlights=highlights if highlights is not None else {},
        comments=tuple(comments),
    )


def html(value: str) -> Text:
    return Text("HTML", value)


def no_images(name: str) -> bytes:
    raise AssertionError(f"image loader must not be called (asked for {name!r})")


class Loader:
    """An image loader over a dict that records what it was asked for."""

    def __init__(self, images: Mapping[str, bytes]) -> None:
        self.images = dict(images)
        self.calls: List[str] = []

    def __call__(self, name: str) -> bytes:
        self.calls.append(name)
        if name not in self.images:
            raise FileNotFoundError(name)
        return self.images[name]
