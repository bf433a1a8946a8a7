"""Reads of the collection the write relies on (``sync/collection_view``)."""

from __future__ import annotations

import pytest

from addon.sync import collection_view
from addon.sync.collection_view import guid_ids, guids_added_after, newest_note_id


@pytest.mark.parametrize("scan_above", [10**6, 0])  # chunked IN (…) lookups, and one scan of the table
def test_guid_ids_finds_exactly_the_guids_there(col, monkeypatch, scan_above):
    monkeypatch.setattr(collection_view, "_SCAN_THRESHOLD", scan_above)
    nt = col.models.by_name("Basic")
    ids = {}
    for i in range(5):
        note = col.new_note(nt)
        note["Front"] = f"q{i}"
        note.guid = f"g{i}"
        col.add_note(note, 1)
        ids[note.guid] = note.id
    assert guid_ids(col, ["g1", "g3", "absent"]) == {"g1": ids["g1"], "g3": ids["g3"]}
    assert guid_ids(col, []) == {}


def test_notes_added_after_an_id(col):
    assert newest_note_id(col) == 0
    nt = col.models.by_name("Basic")
    first = col.new_note(nt)
    first["Front"] = "before"
    col.add_note(first, 1)
    before = newest_note_id(col)
    assert before == first.id
    later = col.new_note(nt)
    later["Front"] = "after"
    col.add_note(later, 1)
    assert guids_added_after(col, before) == {later.guid: later.id}
