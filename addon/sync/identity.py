"""A note's identity: its guid, derived from the Polar flashcard id alone.

Deriving it (rather than remembering it) is what makes a re-run, a lost state
file or a second computer find the same note instead of adding a duplicate.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from anki.collection import Collection

GUID_PREFIX = "polar:"
# Polar ids are ~10 base58 characters; anything else is hashed so the guid
# stays short and free of characters Anki's exporters dislike.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Tags written by Polar's own AnkiConnect sync (adopted, then removed).
LEGACY_GUID_TAG = "polar_guid:"
LEGACY_MARKER_TAG = "_polar-flashcard"


def collection_identity(col: Collection) -> str:
    """Ties a state file to one collection (its creation time). (Here, not
    in collection_view: the GUI asks on Anki's collection thread before a
    sync reads, and this module is all it imports for it.)"""
    try:
        return str(int(col.crt))
    except Exception:
        return ""


def guid_for(card_id: str) -> str:
    # Polar's ids are ASCII letters and digits: checked without the pattern
    # (a note's guid is made ~4 times a card in a sync).
    if (card_id.isalnum() and card_id.isascii() and len(card_id) <= 64) or _PLAIN_ID.fullmatch(card_id):
        return GUID_PREFIX + card_id
    digest = hashlib.sha1(card_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return GUID_PREFIX + "#" + digest


def is_polar_guid(guid: str) -> bool:
    return guid.startswith(GUID_PREFIX)


def legacy_card_id(tag: str) -> Optional[str]:
    """``polar_guid:<id>`` (a Polar 1.x tag) → the Polar flashcard id; also
    moved under a parent tag in the Browser (``Polar::polar_guid:<id>``)."""
    if "::" in tag:
        tag = tag.rpartition("::")[2]
    if tag.lower().startswith(LEGACY_GUID_TAG):
        ident = tag[len(LEGACY_GUID_TAG):]
        return ident or None
    return None


def is_legacy_marker(tag: str) -> bool:
    """``_polar-flashcard`` (every old-sync note), also moved under a parent
    tag (``Polar::_polar-flashcard``: it sorts first in the Browser)."""
    low = tag.lower()
    return low == LEGACY_MARKER_TAG or low.endswith("::" + LEGACY_MARKER_TAG)
