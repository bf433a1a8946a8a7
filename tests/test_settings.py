"""addon/settings.py: what the state file keeps of the settings stays as it
was, and settings cannot be changed in place."""

from __future__ import annotations

import pytest

from addon.settings import Settings


def test_the_keys_the_state_file_keeps_are_written_as_before():
    """The state file remembers ``content_key`` (and the GUI ``sync_key``):
    text that changed would make every user's next sync read every document
    again. These are the keys of the defaults as the frozen dataclass wrote
    them before Settings became a NamedTuple."""
    assert Settings().content_key() == (
        '{"conflict_policy": "polar_wins", "context": true, "copy_tags": true, "deck_strategy": "tag", '
        '"default_deck": "Default", "delete_max_share": 0.2, "deletion_policy": "suspend", '
        '"document_deck_parent": "Polar", "folder_tag_prefix": "", "marker_tag": "polar", '
        '"max_image_bytes": 10485760, "move_on_deck_change": true, "skip_archived": false, '
        '"use_stock_note_types": true}')
    assert Settings().sync_key() == Settings().content_key()[:-1].replace(
        '"copy_tags": true, ', '"copy_tags": true, "data_dir": "", ') + "}"
    # Timing, place and order alone change neither key but the place's.
    moved = Settings(data_dir="/elsewhere", watch=False, watch_debounce_ms=10, reading_order=False)
    assert moved.content_key() == Settings().content_key() and moved.sync_key() != Settings().sync_key()
    assert Settings(context=False).content_key() != Settings().content_key()


def test_settings_are_immutable_and_unknown_keys_are_warned_about():
    settings, warnings = Settings.from_dict({"context": False, "colour": "red"})
    assert settings.context is False and settings.deck_strategy == "tag"
    assert warnings == ["config: unknown key 'colour' ignored"]
    with pytest.raises(AttributeError):
        settings.context = True  # type: ignore[misc]
