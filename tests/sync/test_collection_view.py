"""Reads of the collection the write relies on (``sync/collection_view``)."""

from __future__ import annotations

from addon.sync import collection_view


def _add(col, guid, front):
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"] = front
    note.guid = guid
    col.add_note(note, 1)
    return note.id


def test_the_count_scan_also_finds_the_probed_guids_notes(col):
    from addon.sync.collection_view import notes_by_guid, polar_note_count, polar_note_count_and_probe

    a = _add(col, "polar:A", "a")
    b1 = _add(col, "polar:B", "b")  # two computers each created the card's note
    b2 = _add(col, "polar:B", "b again")
    _add(col, "polar:C", "c")
    _add(col, "user-guid", "not Polar's")
    count, total, probe = polar_note_count_and_probe(col, ["polar:A", "polar:B", "polar:absent", "user-guid"])
    assert count == polar_note_count(col) == 4
    assert total == sum(col.db.list("SELECT id FROM notes WHERE guid LIKE 'polar:%'"))
    assert probe.guids == {"polar:A", "polar:B", "polar:absent"}  # only Polar guids ride along
    assert sorted(probe.ids) == sorted([a, b1, b2])
    # Read through the probe (by id) or by guid: the same notes, and a guid
    # outside the probe is still looked for.
    wanted = ["polar:A", "polar:B", "polar:C", "polar:absent", "user-guid"]
    by_probe = notes_by_guid(col, wanted, probe)
    plain = notes_by_guid(col, wanted)
    assert {g: [(n.id, n.fields, n.tags, [c.id for c in n.cards]) for n in ns] for g, ns in by_probe.items()} == {
        g: [(n.id, n.fields, n.tags, [c.id for c in n.cards]) for n in ns] for g, ns in plain.items()
    }
    assert sorted(by_probe) == ["polar:A", "polar:B", "polar:C", "user-guid"]
    assert [n.id for n in by_probe["polar:B"]] == sorted([b1, b2])


def test_a_probe_of_many_guids_or_none_is_a_plain_count(col, monkeypatch):
    from addon.sync.collection_view import NO_PROBE, polar_note_count_and_probe

    a = _add(col, "polar:A", "a")
    monkeypatch.setattr(collection_view, "PROBE_MAX", 1)
    assert polar_note_count_and_probe(col, ["polar:A", "polar:B"]) == (1, a, NO_PROBE)
    assert polar_note_count_and_probe(col, []) == (1, a, NO_PROBE)
    count, total, probe = polar_note_count_and_probe(col, ["polar:A"])
    assert count == 1 and total == a and probe.guids == {"polar:A"} and probe.ids == [a]


def test_a_scan_of_many_notes_reads_them_a_page_at_a_time(col):
    """More guids than ``_SCAN_THRESHOLD``: the notes are read by a scan,
    ``SCAN_PAGE`` rows a query (Anki decodes each query's rows holding the
    GIL: one query of 50,000 notes held Anki's window 85-100 ms), every
    note found all the same: the pages' edges, a guid with two notes, the
    notes not asked for and the ones not Polar's left out."""
    from anki.collection import AddNoteRequest

    from addon.sync.collection_view import SCAN_PAGE, notes_by_guid

    basic = col.models.by_name("Basic")
    requests = []
    for i in range(2 * SCAN_PAGE + 500):
        note = col.new_note(basic)
        note["Front"] = f"q{i}"
        note.guid = f"polar:P{i}" if i != 7 else "user-guid"
        requests.append(AddNoteRequest(note=note, deck_id=1))
    col.add_notes(requests)
    twin = _add(col, "polar:P3", "the other computer's")  # (after the last page's edge)
    wanted = [f"polar:P{i}" for i in range(2 * SCAN_PAGE + 500) if i % 5] + ["polar:absent"]
    sizes = []
    real = col.db._query

    def query(sql, *args, **kwargs):
        rows = real(sql, *args, **kwargs)
        if "FROM notes" in sql:
            sizes.append(len(rows))
        return rows

    col.db._query = query
    try:
        found = notes_by_guid(col, wanted)
    finally:
        del col.db._query
    assert sizes and max(sizes) <= SCAN_PAGE, sizes
    expect = {g for g in wanted if g not in ("polar:absent", "polar:P7")}  # (P7's note is "user-guid")
    assert set(found) == expect
    assert [n.fields[0] for n in found["polar:P3"]] == ["q3", "the other computer's"]
    assert found["polar:P3"][1].id == twin
    assert all(len(found[g]) == 1 and found[g][0].fields[0] == "q" + g[7:] for g in expect - {"polar:P3"})


def test_a_tag_or_its_moved_spelling_is_found_for_each_tag_asked() -> None:
    # The answer is kept per tag asked (a sync asks about the set-aside tag
    # four times a note): another tag asked of the same note gets its own.
    note = collection_view.NoteInfo(1, "g", 2, ["q", "a"], ["reading::polar::deleted", "Reading", "mine"])
    for _ in range(2):
        assert note.tag_or_moved("polar::deleted") == "reading::polar::deleted"
        assert note.has_tag_or_moved("POLAR::DELETED")
        assert note.tag_or_moved("reading") == "Reading"
        assert note.tag_or_moved("polar::held") is None
        assert not note.has_tag_or_moved("other")
    renamed = collection_view.NoteInfo(2, "h", 2, ["q", "a"], ["reading", "reading::deleted"])
    assert renamed.tag_or_moved("polar::deleted") == "reading::deleted"  # polar -> reading in the Browser
    assert renamed.tag_or_moved("polar::deleted") == "reading::deleted"
    assert collection_view.NoteInfo(3, "i", 2, [], ["reading"]).tag_or_moved("polar::deleted") is None
    assert note == collection_view.NoteInfo(1, "g", 2, ["q", "a"], ["reading::polar::deleted", "Reading", "mine"])
