"""Shared by the sync suites (and the reliability ones): one sync with
explicit settings, a note found by its Polar card id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from addon.sync.report import Report


def run(col: Any, library: Path, state: Path, dry_run: bool = False, **config: Any) -> Report:
    """Sync ``library`` into ``col`` with the defaults plus ``config``, which
    must be valid (a typo in a test would otherwise test the default)."""
    settings, warnings = Settings.from_dict(config)
    assert not warnings, warnings
    return sync(col, settings, state, source_path=library, dry_run=dry_run)


def note_of(col: Any, card_id: str) -> Any:
    """The one note of a Polar card (by its derived guid)."""
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        if note.guid == guid_for(card_id):
            return note
    raise AssertionError(card_id)
