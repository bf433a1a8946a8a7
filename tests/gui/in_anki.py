"""Small steps the real-Anki tests share (the ``anki`` session fixture)."""

from __future__ import annotations

import re
from typing import Any

from addon.sync.identity import guid_for


def note_for_card(anki: Any, card_id: str) -> Any:
    """The note of a Polar card in the open collection, or None."""
    col = anki.mw.col
    nid = col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid_for(card_id))
    return col.get_note(nid) if nid else None


def sync_from_polar(anki: Any) -> Any:
    """Tools ▸ Sync from Polar, as a person chooses it; its outcome."""
    return anki.trigger_and_wait("Sync from Polar")


def shown_words(html: str) -> str:
    """The words a window or tooltip shows, as a person reads them: its
    markup out, and the paths' no-break spaces and word joiners (which
    keep a menu path or folder whole on screen, addon/gui/unbroken.py)
    as plain spaces and nothing."""
    return re.sub("<[^>]+>", "", html).replace("\u2060", "").replace("\u00a0", " ")
