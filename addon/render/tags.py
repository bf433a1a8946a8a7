"""Polar tag labels → Anki tags.

Anki splits a tag on whitespace and cannot hold ``"`` or control characters;
``::`` is its hierarchy separator, which Polar folders (``/a/b``) map onto.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from ..settings import Settings
from .unescaped import no_markup

_WHITESPACE = re.compile(r"\s+")
_FORBIDDEN = re.compile(r'["\x00-\x1f\x7f]')


def clean_tag(tag: str) -> str:
    """A string Anki keeps as exactly one tag ("" when nothing is left)."""
    tag = _WHITESPACE.sub("_", tag.strip())
    tag = no_markup(_FORBIDDEN.sub("", tag))
    if "::" in tag or tag.startswith(":") or tag.endswith(":"):
        parts = [p for p in tag.split("::") if p.strip(":")]
        tag = "::".join(parts)
    return tag


def polar_label_to_tag(label: str, folder_prefix: str = "") -> Optional[str]:
    """One Polar tag label as an Anki tag, or None when it must not be copied."""
    label = label.strip()
    lowered = label.lower()
    # deck:* chooses the deck (sync/decks), polar_guid:* is the old sync's identity tag.
    if lowered.startswith("deck:") or lowered.startswith("polar_guid:"):
        return None
    if label.startswith("/"):  # a folder: /a/b → a::b
        parts = [clean_tag(p) for p in label.split("/")]
        tag = "::".join(p for p in parts if p)
        if tag and folder_prefix:
            prefix = clean_tag(folder_prefix)
            tag = f"{prefix}::{tag}" if prefix else tag
        return clean_tag(tag) or None
    return clean_tag(label) or None


def anki_tags(doc_tags: Sequence[str], card_tags: Sequence[str], settings: Settings) -> List[str]:
    """The Anki tags of a card: its document's and its own labels (when
    ``copy_tags``) plus the marker tag; sorted, unique ignoring case (as Anki
    compares tags), the first spelling seen winning."""
    return list(anki_tag_tuple(doc_tags, card_tags, settings))


def anki_tag_tuple(doc_tags: Sequence[str], card_tags: Sequence[str], settings: Settings) -> Tuple[str, ...]:
    """``anki_tags`` as the tuple a rendered card keeps (no copy per card)."""
    labels = tuple(doc_tags) + tuple(card_tags) if settings.copy_tags else ()
    # Cards of one document share their labels: memoised, this is a dict hit.
    return _anki_tags(labels, settings.folder_tag_prefix, settings.marker_tag)


@lru_cache(maxsize=4096)
def _anki_tags(labels: Tuple[str, ...], folder_prefix: str, marker_tag: str) -> Tuple[str, ...]:
    candidates: List[str] = []
    for label in labels:
        tag = polar_label_to_tag(label, folder_prefix)
        if tag:
            candidates.append(tag)
    marker = clean_tag(marker_tag) if marker_tag else ""
    if marker:
        candidates.append(marker)
    unique: Dict[str, str] = {}
    for tag in candidates:
        if tag.lower().startswith("polar_guid:"):  # even as a configured marker
            continue
        unique.setdefault(tag.casefold(), tag)
    return tuple(unique[key] for key in sorted(unique))
