"""Shared by the sync suites (and the reliability ones): one sync with
explicit settings, a note found by its Polar card id, FSRS turned on as the
deck options screen does."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

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


def fsrs_on(col: Any, did: int, retention: Optional[float] = None, reschedule: bool = False) -> None:
    """FSRS on for deck ``did``'s preset, saved as the deck options' Save
    does (``retention``: its desired retention; ``reschedule``: "Reschedule
    cards on change", 23.10's preset ``reschedule_fsrs_cards``, later Ankis'
    request ``fsrs_reschedule``)."""
    from anki import deck_config_pb2

    found = col.decks.get_deck_configs_for_update(did)
    conf = next(c.config for c in found.all_config if c.config.id == found.current_deck.config_id)
    if retention is not None:
        conf.config.desired_retention = retention
    request: Dict[str, Any] = {"target_deck_id": did, "configs": [conf], "fsrs": True}
    if "fsrs_reschedule" in deck_config_pb2.UpdateDeckConfigsRequest.DESCRIPTOR.fields_by_name:
        request["fsrs_reschedule"] = reschedule
    else:
        conf.config.reschedule_fsrs_cards = reschedule
    col.decks.update_deck_configs(deck_config_pb2.UpdateDeckConfigsRequest(**request))
