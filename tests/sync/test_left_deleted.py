"""The setting "Deleted in Anki" (``deleted_in_anki``): a note the person
deleted in Anki whose card is still in Polar is made again by the next sync
(``make_again``, the default, as ever) or left deleted (``leave_deleted``):
one note, a deck deleted with its notes, a note type deleted with its
notes; the setting switched back; a card edited in Polar; a replaced
collection (made again in both modes, in its own words)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.sync.collection_view import polar_notes_by_type
from addon.sync.identity import guid_for
from addon.sync.state import SyncState
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run

LEAVE = {"deleted_in_anki": "leave_deleted"}


def _library(root: Path) -> List[Doc]:
    """Two documents, each with a deck: tag (decks "bio" and "chem"), four cards each."""
    made = []
    for d, deck in enumerate(("bio", "chem")):
        doc = Doc(root, f"1KeepDoc{d:016d}", f"Document {d}", tags=[f"deck:{deck}"])
        for c in range(4):
            doc.card(f"1Keep{d}c{c}", basic(f"question {d}.{c}", f"answer {d}.{c}"))
        doc.write()
        made.append(doc)
    return made


def _polar(col: Any) -> Dict[str, int]:
    return {g: n for n, g in col.db.all("SELECT id, guid FROM notes WHERE guid LIKE 'polar:%'")}


def _rows(report: Any, code: str) -> List[Dict[str, Any]]:
    return [w for w in report.warnings if w["code"] == code]


@pytest.fixture
def synced(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    docs = _library(lib)
    assert run(col, lib, state).created == 8
    return lib, state, docs


def test_one_note_deleted_is_left_deleted_and_said_once(col, synced):
    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c1").id])
    preview = run(col, lib, state, dry_run=True, **LEAVE)
    assert preview.created == 0
    assert [(w["code"], w["count"]) for w in preview.warnings] == [("left_deleted", 1)]  # the preview says it too
    report = run(col, lib, state, **LEAVE)
    assert report.created == 0 and report.errors == []
    rows = _rows(report, "left_deleted")
    assert [(w["count"], w["decks"]) for w in rows] == [(1, ["bio"])], report.warnings
    assert "Leave them deleted" in rows[0]["message"]
    assert guid_for("1Keep0c1") not in _polar(col) and len(_polar(col)) == 7
    assert set(SyncState(state).left_deleted()) == {"1Keep0c1"}
    # Said once: the next syncs, also after the document changed, leave it deleted without a word.
    assert not run(col, lib, state, **LEAVE).warnings
    docs[0].card("1Keep0c9", basic("a new one", "answer"))
    docs[0].write()
    report = run(col, lib, state, **LEAVE)
    assert report.created == 1 and report.warnings == []
    assert guid_for("1Keep0c1") not in _polar(col)
    preview = run(col, lib, state, dry_run=True, **LEAVE)  # (a preview says why the card has no note: below)
    assert preview.created == 0 and [w["code"] for w in preview.warnings] == ["left_deleted_before"]


def test_a_preview_after_notes_were_left_deleted_says_they_stay_deleted(col, synced):
    """A preview (asked for: what would a sync do?) after an earlier sync
    left notes deleted: "A sync now would change nothing", and one row of
    the notes that stay deleted, their decks and the setting (the sync
    itself says nothing: it was said once). Not once the setting is Make
    them again (the preview then shows them made, and says so as the sync
    would), nor for a card whose note is back."""
    lib, state, _ = synced
    col.decks.remove([col.decks.id_for_name("chem")])
    col.remove_notes([note_of(col, "1Keep0c0").id])
    assert run(col, lib, state, **LEAVE).created == 0
    preview = run(col, lib, state, dry_run=True, **LEAVE)
    assert not preview.changed
    assert [(w["code"], w["count"], w["decks"], w["more_decks"]) for w in preview.warnings] == [
        ("left_deleted_before", 5, ["chem", "bio"], 0)], preview.warnings
    assert "Leave them deleted" in preview.warnings[0]["message"]
    assert run(col, lib, state, **LEAVE).warnings == []  # the sync: said once, no more
    assert run(col, lib, state, dry_run=True).created == 5  # Make them again: the preview makes them
    # ... and says why, as the sync would (branch previewrows: before, a preview said nothing of it)
    assert [(w["code"], w["count"]) for w in run(col, lib, state, dry_run=True).warnings] == [
        ("made_again_by_setting", 5)]
    col.undo()  # (Edit ▸ Undo of the deletion of 1Keep0c0: its note is back)
    assert [(w["code"], w["count"]) for w in run(col, lib, state, dry_run=True, **LEAVE).warnings] == [
        ("left_deleted_before", 4)]


def test_one_note_deleted_is_made_again_by_default_and_the_row_names_its_deck_and_the_setting(col, synced):
    lib, state, _ = synced
    gone = note_of(col, "1Keep1c2")
    col.remove_notes([gone.id])
    report = run(col, lib, state)
    assert report.created == 1
    rows = _rows(report, "made_again")
    assert [(w["count"], w["decks"]) for w in rows] == [(1, ["chem"])], report.warnings
    assert "Deleted in Anki: Leave them deleted" in rows[0]["message"]
    assert note_of(col, "1Keep1c2").id != gone.id
    assert SyncState(state).left_deleted() == {}


@pytest.mark.parametrize("setting", ["make_again", "leave_deleted"])
def test_a_deck_deleted_with_its_notes(col, synced, setting):
    lib, state, _ = synced
    col.decks.remove([col.decks.id_for_name("chem")])
    assert len(_polar(col)) == 4
    report = run(col, lib, state, deleted_in_anki=setting)
    code = "made_again" if setting == "make_again" else "left_deleted"
    assert [(w["code"], w["count"], w["decks"]) for w in report.warnings] == [(code, 4, ["chem"])]
    assert report.created == (4 if setting == "make_again" else 0)
    assert len(_polar(col)) == (8 if setting == "make_again" else 4)
    again = run(col, lib, state, deleted_in_anki=setting)
    assert not again.changed and again.warnings == []


@pytest.mark.parametrize("setting", ["make_again", "leave_deleted"])
def test_a_note_type_deleted_with_its_notes(col, synced, setting):
    lib, state, _ = synced
    col.models.remove(col.models.by_name("Basic")["id"])
    assert _polar(col) == {}
    report = run(col, lib, state, deleted_in_anki=setting)
    code = "made_again" if setting == "make_again" else "left_deleted"
    assert [(w["code"], w["count"], sorted(w["decks"])) for w in report.warnings] == [(code, 8, ["bio", "chem"])]
    # The note type is named: the state remembers the few types holding Polar notes (not one per card).
    assert report.warnings[0]["note_types"] == ["Basic"]
    assert "note type deleted: Basic" in report.warnings[0]["message"]
    assert report.created == (8 if setting == "make_again" else 0)
    assert len(_polar(col)) == (8 if setting == "make_again" else 0)
    assert not run(col, lib, state, deleted_in_anki=setting).changed


def test_a_note_type_is_named_only_when_it_was_deleted(col, synced, tmp_path):
    """One note deleted, its type still there: no note type in the row. A
    user's own type the notes were moved into (Change Note Type), deleted
    with them: named by its name then. A state that recorded no types (an
    older version's): the decks only, as before."""
    lib, state, _ = synced
    col.remove_notes([note_of(col, "1Keep0c1").id])
    row = run(col, lib, state).warnings[0]
    assert row["code"] == "made_again" and "note_types" not in row
    basic_type = col.models.by_name("Basic")
    mine = col.models.copy(basic_type)
    mine["name"] = "My cards"
    col.models.update_dict(mine)
    mine = col.models.by_name("My cards")
    chem = [note_of(col, f"1Keep1c{i}").id for i in range(4)]
    col.models.change(basic_type, chem, mine, {0: 0, 1: 1}, None)
    assert not run(col, lib, state).changed  # (the notes in the user's type, as they are)
    col.models.remove(mine["id"])
    report = run(col, lib, state, **LEAVE)
    assert [(w["code"], w["count"], w["decks"], w.get("note_types")) for w in report.warnings] == [
        ("left_deleted", 4, ["chem"], ["My cards"])], report.warnings
    # Without the record (a state an older version wrote): the decks only.
    import sqlite3
    with sqlite3.connect(state) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'note_types_held'")
    conn.close()
    col.models.remove(basic_type["id"])
    report = run(col, lib, state, **LEAVE)
    assert [(w["code"], w["count"], w["decks"], w.get("note_types")) for w in report.warnings] == [
        ("left_deleted", 4, ["bio"], None)], report.warnings


def test_set_back_to_make_again_the_next_sync_makes_them(col, synced):
    lib, state, _ = synced
    col.decks.remove([col.decks.id_for_name("bio")])
    assert run(col, lib, state, **LEAVE).created == 0
    assert len(SyncState(state).left_deleted()) == 4
    preview = run(col, lib, state, dry_run=True)
    assert preview.created == 4  # the preview shows what the sync will do
    report = run(col, lib, state)  # the library's files unchanged: read again for the setting
    assert report.created == 4
    assert [(w["code"], w["count"], w["decks"]) for w in report.warnings] == [("made_again_by_setting", 4, ["bio"])]
    assert len(_polar(col)) == 8 and SyncState(state).left_deleted() == {}
    assert not run(col, lib, state).changed
    assert not run(col, lib, state, **LEAVE).changed  # nothing deleted since: nothing to leave


def test_a_card_edited_in_polar_gets_a_new_note(col, synced):
    """An edited card is new content: Polar 3 keeps its id (edited in place),
    Polar 2 gives it a new one; either way a new note."""
    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c0").id, note_of(col, "1Keep0c1").id, note_of(col, "1Keep0c2").id])
    assert run(col, lib, state, **LEAVE).created == 0
    docs[0].card("1Keep0c0", basic("question 0.0, better", "answer 0.0"))  # in place (Polar 3)
    docs[0].edit_card("1Keep0c1", "1Keep0c7", basic("question 0.1, better", "answer 0.1"))  # re-created (Polar 2)
    docs[0].write()
    report = run(col, lib, state, **LEAVE)
    assert report.created == 2 and report.warnings == []
    assert note_of(col, "1Keep0c0")["Front"].startswith("question 0.0, better")
    assert note_of(col, "1Keep0c7")["Front"].startswith("question 0.1, better")
    assert guid_for("1Keep0c2") not in _polar(col)
    assert set(SyncState(state).left_deleted()) == {"1Keep0c2"}
    docs[0].delete_card("1Keep0c2")  # gone from Polar: forgotten
    docs[0].write()
    run(col, lib, state, **LEAVE)
    assert SyncState(state).left_deleted() == {}


def test_a_replaced_collection_is_made_again_in_its_own_words_whatever_the_setting(tmp_path):
    """A backup restored (a full download): the notes left no grave, nobody
    deleted them; they are made again, said as ever, also with Leave them
    deleted, while the one deleted for real beside them stays deleted."""
    from anki.collection import Collection

    from tests.conftest import make_collection

    path = tmp_path / "col" / "collection.anki2"
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _library(lib)
    col = make_collection(path)
    col.close()
    older = tmp_path / "backup.anki2"
    older.write_bytes(path.read_bytes())
    col = Collection(str(path))
    try:
        assert run(col, lib, state, **LEAVE).created == 8
        col.remove_notes([note_of(col, "1Keep0c0").id])
        assert [(w["code"], w["count"]) for w in run(col, lib, state, **LEAVE).warnings] == [("left_deleted", 1)]
    finally:
        col.close()
    path.write_bytes(older.read_bytes())  # the backup restored
    col = Collection(str(path))
    try:
        report = run(col, lib, state, **LEAVE)
        assert [(w["code"], w["count"]) for w in report.warnings] == [("made_again_replaced", 7)]
        assert report.created == 7 and guid_for("1Keep0c0") not in _polar(col)
    finally:
        col.close()


def test_a_deletion_undone_in_anki_brings_the_note_back_into_the_sync(col, synced):
    """Edit ▸ Undo of the deletion after a sync left the note deleted: the
    note is the card's again (its reviews with it), nothing is made, and a
    later deletion is said again."""
    lib, state, _ = synced
    note = note_of(col, "1Keep1c0")
    col.remove_notes([note.id])
    assert run(col, lib, state, **LEAVE).created == 0
    col.undo()
    assert note_of(col, "1Keep1c0").id == note.id
    report = run(col, lib, state, **LEAVE)
    assert report.created == 0 and report.warnings == [], report.warnings
    assert SyncState(state).left_deleted() == {}
    assert not run(col, lib, state, **LEAVE).changed
    col.remove_notes([note.id])
    assert [(w["code"], w["count"]) for w in run(col, lib, state, **LEAVE).warnings] == [("left_deleted", 1)]


def test_a_sync_that_left_a_note_deleted_undone_in_anki(col, synced):
    """Edit ▸ Undo "Sync from Polar" of a sync that added a note and left
    another deleted: the added note goes, the deleted one stays deleted
    (the person's deletion is no part of the sync), and the next sync adds
    the new card again and leaves the other deleted, saying so again."""
    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c3").id])
    docs[0].card("1Keep0c8", basic("a new one", "answer"))
    docs[0].write()
    report = run(col, lib, state, **LEAVE)
    assert report.created == 1 and [w["code"] for w in report.warnings] == ["left_deleted"]
    col.undo()  # the sync's own undo step
    assert guid_for("1Keep0c8") not in _polar(col) and guid_for("1Keep0c3") not in _polar(col)
    report = run(col, lib, state, **LEAVE)
    assert report.created == 1 and guid_for("1Keep0c8") in _polar(col)
    assert guid_for("1Keep0c3") not in _polar(col)
    # (the state went back to before the undone sync: the deletion is told again)
    assert [(w["code"], w["count"]) for w in report.warnings] == [("left_deleted", 1)]
    assert not run(col, lib, state, **LEAVE).changed


def test_an_undone_sync_leaves_the_cards_left_deleted_as_they_were_before_it(col, synced):
    """The undo journal keeps ``left_deleted``: a person who set Make them
    again, saw the sync make the notes and undid it in Anki (Edit ▸ Undo
    "Sync from Polar"), then set Leave them deleted back, has the notes
    left deleted still (the undone sync no longer forgot them), without a
    word; the table is as before the undone sync."""
    lib, state, _ = synced
    col.decks.remove([col.decks.id_for_name("bio")])
    assert run(col, lib, state, **LEAVE).created == 0
    before = SyncState(state).left_deleted()
    assert len(before) == 4
    assert run(col, lib, state).created == 4  # Make them again
    assert SyncState(state).left_deleted() == {}
    col.undo()  # the sync's own undo step: the 4 notes it made go
    assert len(_polar(col)) == 4
    report = run(col, lib, state, **LEAVE)
    assert report.created == 0 and report.warnings == [], report.warnings
    assert len(_polar(col)) == 4
    assert SyncState(state).left_deleted() == before
    assert not run(col, lib, state, **LEAVE).changed


def test_an_undone_sync_that_left_a_note_deleted_then_make_them_again_says_it_once(col, synced):
    """A sync that added a note and left another deleted, undone in Anki,
    then the setting Make them again: the deleted note is made again with
    one row, ``made_again`` (the undone sync's ``left_deleted`` row went
    with it: not also "left deleted until now")."""
    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c3").id])
    docs[0].card("1Keep0c8", basic("a new one", "answer"))
    docs[0].write()
    assert run(col, lib, state, **LEAVE).created == 1
    col.undo()
    assert set(SyncState(state).left_deleted()) == {"1Keep0c3"}  # (rolled back by the next sync, not by the undo)
    report = run(col, lib, state)
    assert report.created == 2 and guid_for("1Keep0c3") in _polar(col)
    assert [(w["code"], w["count"]) for w in report.warnings] == [("made_again", 1)], report.warnings
    assert SyncState(state).left_deleted() == {}


def test_after_leaving_notes_deleted_the_next_sync_trusts_the_collection_again(col, synced, monkeypatch):
    """The cards left deleted keep no row among the synced cards: the next
    sync finds the collection as the last one left it (its fingerprint), and
    reads no note's guid (the scan a missing note costs)."""
    from tests.sync.test_note_id_hints import SqlSeen

    lib, state, _ = synced
    col.decks.remove([col.decks.id_for_name("bio")])
    assert run(col, lib, state, **LEAVE).created == 0
    seen = SqlSeen(col, monkeypatch)
    assert not run(col, lib, state, **LEAVE).changed
    assert seen.guid_scans == []


def test_a_card_left_deleted_that_moves_to_another_document_stays_left_deleted(col, synced):
    """Polar 3 moves a card to another document (out of one's pageMetas,
    into the other's): the same card, the same content, still left deleted,
    remembered under its new document."""
    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c2").id])
    assert run(col, lib, state, **LEAVE).created == 0
    _, card = docs[0].find_card("1Keep0c2")
    docs[0].delete_card("1Keep0c2")
    docs[0].write()
    docs[1].card("1Keep0c2", card["fields"])
    docs[1].write()
    report = run(col, lib, state, **LEAVE)
    assert report.created == 0 and report.warnings == [], report.warnings
    assert SyncState(state).left_deleted()["1Keep0c2"][0] == "1KeepDoc0000000000000001"


@pytest.mark.parametrize("synced_between", [True, False])
def test_a_document_gone_and_back_keeps_its_cards_left_deleted(col, synced, tmp_path, synced_between):
    """A document gone from the library (deleted in Polar and restored from a
    backup, a folder missing for a while) and back: its card whose note the
    person deleted stays deleted (the record went with the document, and the
    card came back as new: found by the user-actions machine)."""
    import shutil

    lib, state, docs = synced
    col.remove_notes([note_of(col, "1Keep0c1").id])
    assert run(col, lib, state, **LEAVE).created == 0
    away = tmp_path / "away"
    shutil.move(str(docs[0].path.parent), str(away))
    if synced_between:
        gone = run(col, lib, state, **LEAVE)
        assert gone.created == 0 and gone.orphaned == 3
    shutil.move(str(away), str(docs[0].path.parent))
    back = run(col, lib, state, **LEAVE)
    assert back.created == 0, [c.card for c in back.changes if c.kind == "created"]
    assert guid_for("1Keep0c1") not in _polar(col)
    assert "1Keep0c1" in SyncState(state).left_deleted()


def _held_types(state: Path) -> Dict[str, str]:
    return json.loads(SyncState(state).meta("note_types_held") or "{}")


def _scanned_types(col: Any) -> Dict[str, str]:
    """What one scan of the notes' types finds (the record's oracle)."""
    names = {int(e.id): e.name for e in col.models.all_names_and_ids()}
    return {str(mid): names[mid] for mid in polar_notes_by_type(col)}


@pytest.mark.parametrize("before", ["nothing", "an old sync's note", "another computer's note in the user's type",
                                    "a note of the user's own"])
def test_a_first_sync_remembers_the_note_types_its_notes_are_in(col, tmp_path, before, monkeypatch):
    """The types holding Polar notes after a first sync, as one scan of the
    notes finds them. With no Polar note before it (an empty collection, or
    one of the user's own notes), the sync takes them from the notes it made
    (no scan after Anki's last add): Basic and Cloze here, not the user's
    type of their own notes. An old sync's note taken over, or a Polar note
    another computer made in a type of the user's, is counted too."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1TypesDoc000000000000000", "Types", tags=["deck:types"])
    doc.card("1TypesBasic", basic("a question", "an answer"))
    doc.card("1TypesCloze", cloze("a {{c1::cloze}} card"), ctype="CLOZE")
    doc.write()
    mine = col.models.copy(col.models.by_name("Basic"))
    mine["name"] = "Meine Karten"
    col.models.update_dict(mine)
    mine = col.models.by_name("Meine Karten")
    if before == "an old sync's note":
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "a question", "an answer"
        note.tags = ["deck:types", "_polar-flashcard", "polar_guid:1TypesBasic"]
        col.add_note(note, col.decks.id("types"))
    elif before == "another computer's note in the user's type":
        note = col.new_note(mine)
        note["Front"], note["Back"] = "an old question", "an answer"
        note.guid = guid_for("1TypesOther")
        col.add_note(note, col.decks.id("types"))
    elif before == "a note of the user's own":
        note = col.new_note(mine)
        note["Front"] = "mine"
        col.add_note(note, col.decks.id("Default"))
    import addon.sync.left_deleted as left_deleted

    scans: List[int] = []
    monkeypatch.setattr(left_deleted, "polar_notes_by_type", lambda c: scans.append(1) or polar_notes_by_type(c))
    report = run(col, lib, state)
    assert report.created == (1 if before == "an old sync's note" else 2) and not report.errors
    assert bool(scans) == (before in ("an old sync's note", "another computer's note in the user's type"))
    held = _held_types(state)
    assert held == _scanned_types(col)
    assert ("Meine Karten" in held.values()) == (before == "another computer's note in the user's type")
    assert {"Basic", "Cloze"} <= set(held.values())
