"""notetypes: a state row's remembered hashes lined up with the fields of
the note type as it is now (``aligned_hashes``)."""

from __future__ import annotations

from addon.sync.notetypes import NoteTypeRef, aligned_hashes, layout_tag


def _own_basic(*names: str) -> NoteTypeRef:
    return NoteTypeRef(0, "Polar Basic", list(names), True)  # type: ignore[arg-type]


def test_rows_follow_their_fields_by_role():
    six = _own_basic("Front", "Back", "Source", "Highlight", "Image", "Comments")
    assert layout_tag(six) == "@fashic"
    row = ("F", "B", "S", "H", "I", "C", "@fashic")
    assert aligned_hashes(row, six) == ["F", "B", "S", "H", "I", "C"]
    moved = _own_basic("Back", "Mine", "Front", "Source", "Highlight", "Image")
    assert aligned_hashes(row, moved) == ["B", "", "F", "S", "H", "I"]


def test_rows_of_an_older_version_are_positional_while_the_count_fits():
    two = NoteTypeRef(0, "Basic", ["Front", "Back"], False)  # type: ignore[arg-type]
    assert aligned_hashes(("F", "B"), two) == ["F", "B"]
    assert aligned_hashes(("F", "B", "X"), two) is None
    assert aligned_hashes((), two) is None
