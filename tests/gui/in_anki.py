"""Small steps the real-Anki tests share (the ``anki`` session fixture)."""

from __future__ import annotations

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
