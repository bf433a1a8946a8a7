"""Pieces of Polar's on-disk format shared by the tools and tests that write
Polar libraries: the sample library, the benchmark's synthetic library and
the test factory (tests/polar_factory.py)."""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, Iterable

ARCHETYPES = {
    "BASIC_FRONT_BACK": "9d146db1-7c31-4bcf-866b-7b485c4e50ea",
    "CLOZE": "76152976-d7ae-4348-9571-d65e48050c3f",
    "BASIC_FRONT_BACK_AND_REVERSE": "e3d25ed4-cafd-4350-84e8-123a4258e576",
    "BASIC_FRONT_BACK_OR_REVERSE": "e3d25ed4-cafd-4350-84e8-123a4258e576",
}


def encode_png(width: int, height: int, pixel: Callable[[int, int], bytes], level: int = 9) -> bytes:
    """An RGB PNG built by hand (no imaging library needed); ``pixel(x, y)``
    gives each pixel's three bytes."""
    raw = b"".join(
        b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))


def empty_page(num: int) -> Dict[str, Any]:
    """A PageMeta as Polar 1.x writes it: every map present, empty."""
    return {
        "pagemarks": {}, "notes": {}, "comments": {}, "questions": {}, "flashcards": {},
        "textHighlights": {}, "areaHighlights": {}, "screenshots": {}, "thumbnails": {},
        "readingProgress": {}, "pageInfo": {"num": num},
    }


def tag_map(labels: Iterable[str]) -> Dict[str, Any]:
    """Polar's tag map: id → {id, label}; in practice id == label."""
    return {label: {"id": label, "label": label} for label in labels}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def state_json(meta: Any) -> bytes:
    """A DocMeta as Polar writes its ``state.json``: ``JSON.stringify(docMeta,
    null, "")`` (compact, keys in order), UTF-8 with non-ASCII text as is (not
    ``\\u`` escapes; checked against Polar's own code run, tools/polar_real), a
    lone surrogate escaped as JavaScript's well-formed ``JSON.stringify`` does."""
    text = json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text.encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """As Polar 1.x saves: a temp file ``.state.json-<random>`` beside the
    target, then a rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
