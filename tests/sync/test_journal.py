"""The undo journal (``sync/journal.py``): Edit ▸ Undo "Sync from Polar" in
Anki takes a sync back in the collection, and the next sync follows it
(the state rolled back, those documents read again), on a real collection
undone by Anki's own undo."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from addon.sync.journal import KEEP, MARKER_KEY
from addon.sync.plan import ORPHAN_TAG
from addon.sync.state import SyncState
from tests.polar_factory import basic, cloze
from tests.sync.helpers import run
from tests.sync.test_lifecycle import assert_idempotent, nid_of, reviews, study, two_documents

QUEUE_SUSPENDED = -1


@pytest.fixture
def lib(tmp_path):
    return two_documents(tmp_path / "polar")


def back(col: Any, card_id: str) -> str:
    return str(col.get_note(nid_of(col, card_id))["Back"])


def test_an_undone_edit_comes_back(col, lib, state_path):
    """Polar's edit, synced, undone in Anki: the next sync brings it again
    (not taken for the user's own edit of the old text), and then nothing."""
    root, a, _ = lib
    assert run(col, root, state_path).created == 5
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back, edited</p>"), ref="text-highlight:1HlA000002")
    a.write()
    assert run(col, root, state_path).updated == 1
    col.undo()
    assert "edited" not in back(col, "1CardA0002")
    report = run(col, root, state_path)
    assert report.updated == 1 and not report.conflicts and not report.errors
    assert "A2 back, edited" in back(col, "1CardA0002")
    assert_idempotent(col, root, state_path)
    # Polar's next edit lands as any edit does.
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back, again</p>"), ref="text-highlight:1HlA000002")
    a.write()
    assert run(col, root, state_path).updated == 1
    assert "A2 back, again" in back(col, "1CardA0002")


def test_an_undone_rekey_is_made_again_and_keeps_the_reviews(col, lib, state_path):
    """A Polar edit (new id), a deletion and an in-place edit, synced and
    undone; the next sync does all three again on the same notes, and a
    later edit of the re-keyed card makes no second note."""
    root, a, _ = lib
    run(col, root, state_path)
    study(col, 4)
    revlog, _ = reviews(col)
    studied = nid_of(col, "1CardA0001")
    gone = nid_of(col, "1CardA0002")
    a.edit_card("1CardA0001", "1CardA0Re1", basic("<p>A1 front</p>", "<p>A1 back, new id</p>"))
    a.delete_card("1CardA0002")
    a.card("1CardA0003", cloze("<p>{{c1::A3}} cloze, edited</p>"), "CLOZE", ref="page:1")
    a.write()
    first = run(col, root, state_path)
    assert (first.rekeyed, first.orphaned, first.updated) == (1, 1, 2)
    col.undo()
    assert col.get_note(studied).guid == "polar:1CardA0001" and not col.get_note(gone).has_tag(ORPHAN_TAG)
    again = run(col, root, state_path)
    assert (again.created, again.rekeyed, again.orphaned, again.updated) == (0, 1, 1, 2), again.to_dict()
    assert nid_of(col, "1CardA0Re1") == studied and "new id" in back(col, "1CardA0Re1")
    assert col.get_note(gone).has_tag(ORPHAN_TAG)
    assert {c.queue for c in col.get_note(gone).cards()} == {QUEUE_SUSPENDED}
    assert_idempotent(col, root, state_path)
    a.card("1CardA0Re2", basic("<p>A1 front</p>", "<p>A1 back, newer</p>"), ref="text-highlight:1HlA000001")
    a.delete_card("1CardA0Re1")
    a.write()
    later = run(col, root, state_path)
    assert later.created == 0 and later.rekeyed == 1
    assert nid_of(col, "1CardA0Re2") == studied and col.note_count() == 5
    assert reviews(col)[0] == revlog


def test_an_undone_orphaning_is_done_again(col, lib, state_path):
    root, a, _ = lib
    run(col, root, state_path)
    a.delete_card("1CardA0002")
    a.write()
    assert run(col, root, state_path).orphaned == 1
    nid = nid_of(col, "1CardA0002")
    col.undo()
    assert not col.get_note(nid).has_tag(ORPHAN_TAG)
    assert run(col, root, state_path).orphaned == 1
    note = col.get_note(nid)
    assert note.has_tag(ORPHAN_TAG) and {c.queue for c in note.cards()} == {QUEUE_SUSPENDED}
    assert_idempotent(col, root, state_path)


def test_two_undone_syncs_are_followed_back_to_the_first(col, lib, state_path):
    root, a, b = lib
    run(col, root, state_path)
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 one</p>"), ref="text-highlight:1HlA000002")
    a.write()
    run(col, root, state_path)
    b.card("1CardB0001", basic("B1 front", "B1 two"))
    b.card("1CardB0003", basic("B3 front", "B3 back"))
    b.write()
    assert run(col, root, state_path).created == 1
    col.undo()
    col.undo()
    assert "one" not in back(col, "1CardA0002") and col.note_count() == 5
    report = run(col, root, state_path)
    assert (report.created, report.updated) == (1, 2), report.to_dict()
    assert "A2 one" in back(col, "1CardA0002") and "B1 two" in back(col, "1CardB0001")
    assert col.note_count() == 6
    assert_idempotent(col, root, state_path)


def test_entries_are_bytes_and_an_older_release_s_text_entries_still_roll_back(col, lib, state_path):
    """The journal's entries are written as bytes: SQLite's length() of a
    BLOB, which every sync's pruning asks of every entry, reads the size
    alone, of a TEXT the whole text (a re-read library's entry, ~14 MB at
    50,000 cards, cost each later sync ~20 ms). An older release's text
    entry in the same chain rolls back as before."""
    root, a, b = lib
    run(col, root, state_path)
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 one</p>"), ref="text-highlight:1HlA000002")
    a.write()
    run(col, root, state_path)
    conn = sqlite3.connect(str(state_path))
    with conn:  # as a release before this one wrote its entries
        conn.execute("UPDATE journal SET data = CAST(data AS TEXT)")
    b.card("1CardB0001", basic("B1 front", "B1 two"))
    b.write()
    run(col, root, state_path)
    kinds = [k for (k,) in conn.execute("SELECT typeof(data) FROM journal ORDER BY gen")]
    conn.close()
    assert kinds[-1] == "blob" and set(kinds[:-1]) == {"text"}
    col.undo()
    col.undo()
    assert "one" not in back(col, "1CardA0002") and "two" not in back(col, "1CardB0001")
    report = run(col, root, state_path)
    assert report.updated == 2 and not report.conflicts and not report.errors, report.to_dict()
    assert "A2 one" in back(col, "1CardA0002") and "B1 two" in back(col, "1CardB0001")
    assert_idempotent(col, root, state_path)


def test_undo_then_redo_leaves_nothing_to_do(col, lib, state_path):
    root, a, _ = lib
    run(col, root, state_path)
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 redone</p>"), ref="text-highlight:1HlA000002")
    a.write()
    run(col, root, state_path)
    col.undo()
    col.redo()
    assert "A2 redone" in back(col, "1CardA0002")
    assert_idempotent(col, root, state_path)


def test_an_undone_first_sync_is_made_again(col, lib, state_path):
    root, _, _ = lib
    run(col, root, state_path)
    col.undo()
    assert col.note_count() == 0
    report = run(col, root, state_path)
    assert report.created == 5 and report.parsed == 2 and not report.warnings
    conn = sqlite3.connect(str(state_path))
    assert conn.execute("SELECT count(*) FROM cards").fetchone()[0] == 5
    conn.close()
    assert_idempotent(col, root, state_path)


def test_the_user_s_own_edit_is_still_theirs(col, lib, state_path):
    """An edit made in Anki after the sync the user then undid nothing of:
    only a marker behind the state rolls anything back."""
    root, a, _ = lib
    run(col, root, state_path)
    note = col.get_note(nid_of(col, "1CardA0002"))
    note["Back"] = "my own words"
    col.update_note(note)
    a.card("1CardA0001", basic("<p>A1 front</p>", "<p>A1 back, edited</p>"), ref="text-highlight:1HlA000001")
    a.write()
    report = run(col, root, state_path)
    assert report.updated >= 1 and not report.warnings
    assert "my own words" in back(col, "1CardA0002") and "A1 back, edited" in back(col, "1CardA0001")
    assert SyncState(state_path).generation()[1] == 2


def test_a_marker_of_another_state_file_or_a_preview_rolls_nothing_back(col, lib, state_path):
    root, a, _ = lib
    run(col, root, state_path)
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 edited</p>"), ref="text-highlight:1HlA000002")
    a.write()
    run(col, root, state_path)
    ident, gen = SyncState(state_path).generation()
    assert ident and gen == 2 and col.get_config(MARKER_KEY) == f"{ident}:2"
    col.set_config(MARKER_KEY, "another-computer:1")
    assert_idempotent(col, root, state_path)
    col.set_config(MARKER_KEY, f"{ident}:1")  # as after an undo, but the note is as synced
    preview = run(col, root, state_path, dry_run=True)
    assert not preview.changed and SyncState(state_path).generation() == (ident, 2)
    # ... but says that the real sync will follow the undo.
    assert [w["message"] for w in preview.warnings] == [
        "an earlier sync was undone in Anki: the next sync brings back what it changed, which this preview "
        "does not show"]
    col.set_config(MARKER_KEY, f"{ident}:2")
    assert run(col, root, state_path, dry_run=True).warnings == []


def test_the_journal_keeps_the_last_generations(col, lib, state_path):
    root, a, _ = lib
    run(col, root, state_path)
    for i in range(KEEP + 3):
        a.card("1CardA0002", basic("<p>A2 front</p>", f"<p>A2 back {i}</p>"), ref="text-highlight:1HlA000002")
        a.write()
        assert run(col, root, state_path).updated == 1
    conn = sqlite3.connect(str(state_path))
    gens = [g for (g,) in conn.execute("SELECT gen FROM journal ORDER BY gen")]
    conn.close()
    assert len(gens) == KEEP and gens[-1] == KEEP + 4
    # Undone further back than that (a marker older than the journal): every
    # document is read again, with a warning, and nothing breaks.
    ident, _ = SyncState(state_path).generation()
    col.set_config(MARKER_KEY, f"{ident}:1")
    report = run(col, root, state_path)
    assert any("further than the sync state remembers" in w["message"] for w in report.warnings), report.warnings
    assert report.parsed == 2 and not report.errors
    assert_idempotent(col, root, state_path)


def test_the_journal_keeps_no_more_than_its_size(col, lib, state_path, monkeypatch):
    """Large entries (a whole library read again) are dropped oldest first
    beyond the size cap; the newest stays, and an undo of it is followed."""
    import addon.sync.journal as journal

    root, a, _ = lib
    run(col, root, state_path)
    monkeypatch.setattr(journal, "KEEP_BYTES", 1)
    for i in range(3):
        a.card("1CardA0002", basic("<p>A2 front</p>", f"<p>A2 back {i}</p>"), ref="text-highlight:1HlA000002")
        a.write()
        run(col, root, state_path)
    conn = sqlite3.connect(str(state_path))
    gens = [g for (g,) in conn.execute("SELECT gen FROM journal")]
    conn.close()
    assert gens == [4]
    col.undo()
    assert run(col, root, state_path).updated == 1 and "A2 back 2" in back(col, "1CardA0002")


def test_syncs_undone_beyond_the_journal_keep_the_notes_texts_and_show_polars(col, lib, state_path, monkeypatch):
    """Two syncs undone (or a backup from before them restored) while the
    journal keeps only the last: the rows are newer than the notes, so a
    text that differs from Polar's cannot be told for the user's edit or
    what an earlier sync wrote. It stays, and the report shows both
    versions (it used to be taken silently for the user's edit)."""
    import addon.sync.journal as journal

    root, a, _ = lib
    run(col, root, state_path)
    monkeypatch.setattr(journal, "KEEP_BYTES", 1)
    for i in range(2):
        a.card("1CardA0002", basic("<p>A2 front</p>", f"<p>A2 back {i}</p>"), ref="text-highlight:1HlA000002")
        a.write()
        assert run(col, root, state_path).updated == 1
    col.undo()
    col.undo()
    kept = back(col, "1CardA0002")
    assert "A2 back 0" not in kept and "A2 back 1" not in kept
    report = run(col, root, state_path)
    assert [w["code"] for w in report.warnings] == ["undo_beyond_memory"]
    assert [(c["card"], c["field"], c["code"], c["polar"]) for c in report.conflicts] == [
        ("1CardA0002", "Back", "unrecorded_anki", "A2 back 1")]
    assert back(col, "1CardA0002") == kept
    assert_idempotent(col, root, state_path)


def test_a_large_entry_is_encoded_a_slice_at_a_time_and_reads_back_the_same(col, tmp_path, state_path, monkeypatch):
    """A sync that read every document keeps the pre-images of every card
    row: json's C encoder holds the GIL for the whole of one call, and at
    50,000 cards (~14 MB) one call held Anki's window 63-119 ms. The
    entry's lists are encoded ``DUMP_SLICE`` rows a call, into the same
    bytes as one ``json.dumps``; the entry still rolls the sync back."""
    import json

    from addon.sync import journal
    from tests.polar_factory import Doc

    monkeypatch.setattr(journal, "DUMP_SLICE", 7)
    root = tmp_path / "polar"
    doc = Doc(root, "1JournalSliceDoc0000000", "Slices")
    for i in range(30):
        doc.card(f"1Slice{i:04d}", basic(f"<p>Q{i}</p>", f"<p>A{i}</p>"))
    doc.write()
    run(col, root, state_path)
    for i in range(30):
        doc.card(f"1Slice{i:04d}", basic(f"<p>Q{i}</p>", f"<p>A{i} revised</p>"))
    doc.write()
    encoded = []
    real = json.dumps

    def dumps(obj, *args, **kwargs):
        encoded.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(journal.json, "dumps", dumps)
    report = run(col, root, state_path)
    monkeypatch.setattr(journal.json, "dumps", real)
    assert report.updated == 30
    rows = [len(o) if isinstance(o, list) else max((len(v) for v in o.values() if isinstance(v, list)), default=0)
            for o in encoded if isinstance(o, (list, dict))]
    assert rows and max(rows) <= 7, rows  # no call took the 30 card rows at once
    conn = sqlite3.connect(str(state_path))
    data = conn.execute("SELECT data FROM journal ORDER BY gen DESC LIMIT 1").fetchone()[0]
    conn.close()
    entry = json.loads(data)
    assert len(entry["cards"]) == 30
    assert data.decode() == real(entry)  # the bytes one json.dumps writes
    col.undo()
    assert all("revised" not in str(col.get_note(nid_of(col, f"1Slice{i:04d}"))["Back"]) for i in range(30))
    again = run(col, root, state_path)
    assert again.updated == 30 and not again.conflicts, again.to_dict()
