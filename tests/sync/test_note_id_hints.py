"""The sync state's note-id hints: a resync of a collection that holds the very
notes the last sync left finds its notes by id, never reading every note's
guid (the notes table has no index on guid); anything else (a note added or
deleted in Anki, a state from before the hints, a stale hint) falls back to
reading the guids, and the result is the same either way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from addon.sync.collection_view import notes_fingerprint
from addon.sync.identity import guid_for
from addon.sync.state import FINGERPRINT_KEY, SyncState
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run


class SqlSeen:
    """What the sync asked of the collection's database (the real calls,
    recorded on the way through)."""

    def __init__(self, col: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: List[str] = []
        for name in ("execute", "first", "all", "list", "scalar"):
            real = getattr(col.db, name)

            def seen(sql: str, *args: Any, _real: Any = real, **kw: Any) -> Any:
                self.sql.append(sql)
                return _real(sql, *args, **kw)

            monkeypatch.setattr(col.db, name, seen)

    @property
    def guid_scans(self) -> List[str]:
        # (Not the one existence check a sync that adds notes makes, whether
        # the stock type still holds a Polar note: Anki's index of the notes'
        # types finds the first, ``collection_view.holds_polar_note``.)
        return [s for s in self.sql if ("guid LIKE" in s or "guid IN" in s)
                and not (s.startswith("SELECT 1 FROM notes WHERE mid = ?") and s.endswith("LIMIT 1"))]


def _library(root: Path, docs: int = 3, cards: int = 4) -> List[Doc]:
    made = []
    for d in range(docs):
        doc = Doc(root, f"1HintDoc{d:016d}", f"Document {d}")
        for c in range(cards):
            doc.card(f"1Hint{d}c{c}", basic(f"question {d}.{c}", f"answer {d}.{c}"))
        doc.write()
        made.append(doc)
    return made


def _polar_ids(col: Any) -> dict:
    return {g: n for n, g in col.db.all("SELECT id, guid FROM notes WHERE guid LIKE 'polar:%'")}


def _state(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(path))
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def _forget_hints(path: Path) -> None:
    """The state file without note-id hints or fingerprint."""
    for conn in _state(path):
        conn.execute("DELETE FROM note_ids")
        conn.execute("DELETE FROM meta WHERE key = ?", (FINGERPRINT_KEY,))


@pytest.fixture
def synced(col: Any, tmp_path: Path):
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    docs = _library(library)
    report = run(col, library, state)
    assert report.created == 12
    return library, state, docs


def test_a_first_sync_remembers_every_polar_notes_id(col, synced):
    _, state, _ = synced
    hints = SyncState(state).note_ids(_polar_ids(col))
    assert hints == _polar_ids(col)
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)


def test_a_resync_of_the_same_notes_reads_no_guids_and_gets_it_right(col, synced, monkeypatch):
    library, state, docs = synced
    docs[1].edit_card("1Hint1c0", "1Hint1c0new", basic("question 1.0 again", "answer"))
    docs[1].card("1Hint1cX", basic("a new one", "answer"))
    docs[1].card("1Hint1c1", basic("question 1.1 edited", "answer 1.1"))
    docs[1].write()
    old = note_of(col, "1Hint1c0")
    seen = SqlSeen(col, monkeypatch)
    report = run(col, library, state)
    assert seen.guid_scans == []
    # Polar's edit under a new id keeps the note (re-keyed, reviews kept)
    assert report.created == 1 and report.rekeyed == 1
    assert note_of(col, "1Hint1c0new").id == old.id
    assert "question 1.1 edited" in note_of(col, "1Hint1c1")["Front"]
    assert note_of(col, "1Hint1cX")["Front"] == "a new one"
    # The hints follow: the new notes' ids are remembered, and the next
    # resync is trusted again.
    assert SyncState(state).note_ids(_polar_ids(col)) == _polar_ids(col)
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)
    seen.sql.clear()
    assert run(col, library, state).created == 0
    assert seen.guid_scans == []


def test_a_note_deleted_in_anki_is_noticed_and_made_again(col, synced, monkeypatch):
    library, state, _ = synced
    gone = note_of(col, "1Hint2c3")
    col.remove_notes([gone.id])
    preview = run(col, library, state, dry_run=True)
    assert preview.created == 1  # the row the sync says, said before it (branch previewrows)
    assert [(w["code"], w["count"]) for w in preview.warnings] == [("made_again", 1)]
    seen = SqlSeen(col, monkeypatch)
    report = run(col, library, state)
    assert seen.guid_scans  # the collection changed: its guids are read
    assert report.created == 1
    assert [(w["code"], w["count"]) for w in report.warnings] == [("made_again", 1)]  # said, not silently
    again = note_of(col, "1Hint2c3")
    assert again.id != gone.id
    assert SyncState(state).note_ids([again.guid]) == {again.guid: again.id}
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)


def test_a_note_of_the_users_own_costs_one_look_then_trust_again(col, synced, monkeypatch):
    library, state, docs = synced
    user = col.new_note(col.models.by_name("Basic"))
    user["Front"] = "my own note"
    col.add_note(user, col.decks.id("Mine"))
    seen = SqlSeen(col, monkeypatch)
    assert run(col, library, state).created == 0
    assert seen.guid_scans  # one look: the Polar notes are what the hints say
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)
    seen.sql.clear()
    docs[0].card("1Hint0cX", basic("new after that", "answer"))
    docs[0].write()
    assert run(col, library, state).created == 1
    assert seen.guid_scans == []


def test_a_stale_hint_is_checked_and_the_note_found_by_its_guid(col, synced):
    library, state, docs = synced
    note = note_of(col, "1Hint0c1")
    other = note_of(col, "1Hint0c2")
    for conn in _state(state):  # the hint points at another note (any damage of the file)
        conn.execute("UPDATE note_ids SET nid = ? WHERE guid = ?", (other.id, note.guid))
    docs[0].edit_card("1Hint0c1", "1Hint0c1", basic("question 0.1 edited", "answer 0.1"))
    docs[0].write()
    report = run(col, library, state)
    assert report.created == 0 and report.updated == 1
    assert len(_polar_ids(col)) == 12  # no second note
    assert "question 0.1 edited" in col.get_note(note.id)["Front"]
    assert "question 0.2" in col.get_note(other.id)["Front"]
    # Not trusted any more until the hints are made again from the collection.
    assert SyncState(state).trusted_fingerprint() == ""
    run(col, library, state)
    assert SyncState(state).note_ids(_polar_ids(col)) == _polar_ids(col)
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)


def test_a_state_from_before_the_hints_gets_them(col, synced, monkeypatch):
    library, state, docs = synced
    _forget_hints(state)  # as an older version left it
    docs[2].card("1Hint2cX", basic("added", "answer"))
    docs[2].write()
    assert run(col, library, state).created == 1
    assert SyncState(state).note_ids(_polar_ids(col)) == _polar_ids(col)
    seen = SqlSeen(col, monkeypatch)
    docs[2].card("1Hint2cY", basic("added again", "answer"))
    docs[2].write()
    assert run(col, library, state).created == 1
    assert seen.guid_scans == []


def test_a_note_made_twice_elsewhere_is_settled_and_trust_comes_back(col, synced):
    library, state, _ = synced
    # Another computer made the same card's note too (AnkiWeb brings it).
    twin = col.new_note(col.models.by_name("Basic"))
    twin["Front"] = "question 1.2"
    twin.guid = guid_for("1Hint1c2")
    col.add_note(twin, col.decks.id("Default"))
    keeper = note_of(col, "1Hint1c2")
    assert run(col, library, state).duplicates == 1  # the later one steps aside (re-keyed, kept)
    assert col.get_note(twin.id).guid != twin.guid
    assert SyncState(state).trusted_fingerprint() == ""  # a guid on two notes: no exact hints yet
    run(col, library, state)
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)
    assert SyncState(state).note_ids(_polar_ids(col)) == _polar_ids(col)
    assert _polar_ids(col)[twin.guid] == keeper.id


def test_a_preview_writes_no_hints(col, synced):
    library, state, docs = synced
    _forget_hints(state)
    run(col, library, state, dry_run=True)
    assert SyncState(state).note_id_summary() == (0, 0)


def test_undo_of_a_sync_is_noticed(col, synced, monkeypatch):
    library, state, docs = synced
    docs[0].card("1Hint0cU", basic("to be undone", "answer"))
    docs[0].write()
    assert run(col, library, state).created == 1
    col.undo()
    seen = SqlSeen(col, monkeypatch)
    report = run(col, library, state)
    assert seen.guid_scans
    assert report.created == 1
    assert note_of(col, "1Hint0cU")["Front"] == "to be undone"


def test_a_note_another_computer_rekeyed_is_found_by_its_new_guid(col, synced, monkeypatch):
    """AnkiWeb brings a note whose guid the other computer's sync changed
    (same note, same id: the notes are the same ones). Its sync number
    changed with it, so the hints are not trusted and no second note is made
    for the card it now belongs to."""
    library, state, docs = synced
    col.db.execute("UPDATE notes SET usn = 5")  # as after a sync with AnkiWeb
    run(col, library, state)
    moved = note_of(col, "1Hint0c0")
    # The other computer: that note now belongs to a card of another
    # document (its own is not read here: unchanged).
    col.db.execute("UPDATE notes SET guid = ?, usn = 6 WHERE id = ?", guid_for("1Hint2cNew"), moved.id)
    docs[2].card("1Hint2cNew", basic("question 0.0", "answer 0.0"))
    docs[2].write()
    seen = SqlSeen(col, monkeypatch)
    run(col, library, state)
    assert seen.guid_scans
    assert note_of(col, "1Hint2cNew").id == moved.id  # found, not made a second time
    assert [n for n, g in col.db.all("SELECT id, guid FROM notes") if g == guid_for("1Hint2cNew")] == [moved.id]


def test_another_writer_of_the_state_file_ends_the_trust(col, synced, monkeypatch):
    """An older version of the add-on syncs in between (it knows nothing of
    the hints): the cards table it wrote no longer matches the stamp, so the
    guids are read again."""
    library, state, docs = synced
    fingerprint = SyncState(state).trusted_fingerprint()
    assert fingerprint
    for conn in _state(state):  # a row rewritten the way any sync writes one
        conn.execute("INSERT OR REPLACE INTO cards SELECT * FROM cards WHERE card_id = '1Hint1c1'")
    assert SyncState(state).trusted_fingerprint() == ""
    seen = SqlSeen(col, monkeypatch)
    run(col, library, state)
    assert seen.guid_scans
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)


def test_every_polar_note_deleted_in_anki_are_all_made_again(col, synced, monkeypatch):
    """No Polar note left (the user deleted them all): nothing is looked up,
    every card gets its note again, and the hints follow."""
    library, state, _ = synced
    col.remove_notes(list(_polar_ids(col).values()))
    report = run(col, library, state)
    assert report.created == 12 and len(_polar_ids(col)) == 12
    assert [(w["code"], w["count"]) for w in report.warnings] == [("made_again", 12)]
    assert SyncState(state).note_ids(_polar_ids(col)) == _polar_ids(col)
    assert SyncState(state).trusted_fingerprint() == notes_fingerprint(col)
    seen = SqlSeen(col, monkeypatch)
    assert run(col, library, state).created == 0
    assert seen.guid_scans == []


def test_notes_missing_because_the_collection_was_replaced_are_not_called_deleted_in_anki(tmp_path):
    """A full download from AnkiWeb (or a backup or .colpkg opened) replaces
    the collection with one from before any sync here: the next sync makes
    the notes again, as it should, but the report said "8000 notes deleted
    in Anki were made again … To be rid of a card for good, delete it in
    Polar" (real Anki, fullsync_driver.py). A note deleted in Anki leaves a
    grave (kept after an AnkiWeb sync, made for one deleted on another
    computer too); these have none. (A replacement made after a sync here
    carries that sync's undo marker and is taken as an undo, journal.py.)"""
    from anki.collection import Collection

    from tests.conftest import make_collection

    path = tmp_path / "col" / "collection.anki2"
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    _library(library, docs=2)
    col = make_collection(path)
    mine = col.new_note(col.models.by_name("Basic"))
    mine["Front"] = "my own"
    col.add_note(mine, col.decks.id("Default"))
    col.close()
    older = tmp_path / "ankiweb.anki2"
    older.write_bytes(path.read_bytes())  # AnkiWeb's copy, from before the add-on
    col = Collection(str(path))
    try:
        assert run(col, library, state).created == 8
        col.remove_notes([note_of(col, "1Hint0c0").id])  # and one deleted in Anki, for real
        assert [(w["code"], w["count"]) for w in run(col, library, state).warnings] == [("made_again", 1)]
    finally:
        col.close()
    path.write_bytes(older.read_bytes())  # "Download from AnkiWeb"
    col = Collection(str(path))
    try:
        report = run(col, library, state)
        assert report.created == 8
        assert [(w["code"], w["count"]) for w in report.warnings] == [("made_again_replaced", 8)]
        assert run(col, library, state).created == 0
    finally:
        col.close()
