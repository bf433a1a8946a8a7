"""Notes the add-on never made: ``polar:`` guids the sync state has no record
of (another tool, an import, another computer) are never deleted, suspended
or tagged: not on a first sync with no state, not later. And the deletion
cap counts only the notes that existed before the sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import pytest

from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import Doc, basic
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync


def _foreign_note(col: Any, guid: str, text: str) -> int:
    """A note another tool made with a Polar-looking guid, studied."""
    note = col.new_note(col.models.by_name("Basic"))
    note.guid = guid
    note["Front"], note["Back"] = text, "theirs"
    note.tags = ["imported"]
    col.add_note(note, col.decks.id("Imported"))
    col.decks.select(col.decks.id("Imported"))
    card = col.sched.getCard()
    col.sched.answerCard(card, 3)
    return int(note.id)


def _state_of(col: Any, nids: List[int]) -> List[Any]:
    return [(col.get_note(n).guid, col.get_note(n).fields, sorted(col.get_note(n).tags),
             [(c.did, c.queue, c.due, c.ivl) for c in col.get_note(n).cards()]) for n in nids]


@pytest.mark.parametrize("policy", ["suspend", "tag", "delete"])
def test_foreign_polar_notes_are_never_swept(col, tmp_path, policy):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    Doc(lib, "1ForeignLib", "Mine", tags=["deck:Mine"]).card("1ForeignMine", basic("mine", "a")).write()
    nids = [_foreign_note(col, "polar:1SomeoneElses", "from a shared deck"),
            _foreign_note(col, "polar:1ImportedCard", "from an import")]
    before, studied = _state_of(col, nids), StudyData.of(col)
    cfg = dict(deletion_policy=policy, delete_max_share=1.0)

    first = run_sync(col, lib, state, **cfg)  # a first sync: no state at all
    assert first.created == 1 and first.orphaned == first.deleted == 0
    assert [w for w in first.warnings if "2 notes with Polar ids" in w["message"]]
    assert _state_of(col, nids) == before

    # Later syncs, with a state: still untouched, and said only once.
    Doc(lib, "1ForeignLib2", "More").card("1ForeignMore", basic("more", "b")).write()
    nids.append(_foreign_note(col, "polar:1LaterImport", "imported after the first sync"))
    before, studied = _state_of(col, nids), StudyData.of(col)
    second = run_sync(col, lib, state, **cfg)
    assert second.created == 1 and second.orphaned == second.deleted == 0
    assert [w["message"] for w in second.warnings if "Polar ids" in w["message"]] == [
        w["message"] for w in second.warnings if "1 note with Polar ids" in w["message"]]
    third = run_sync(col, lib, state, **cfg)
    assert not third.changed and not [w for w in third.warnings if "Polar ids" in w["message"]]
    assert _state_of(col, nids) == before
    assert all(ORPHAN_TAG not in col.get_note(n).tags for n in nids)
    assert StudyData.of(col).revlog == studied.revlog
    assert integrity_problems(col) == []


def test_a_library_document_holding_the_card_still_claims_its_note(col, tmp_path):
    """Identity is the guid: a foreign-looking note whose card the library
    has is claimed in place (with its reviews), as always. With no record of
    it, a text that differs from Polar's is kept (whose it is cannot be
    told) and reported with both versions."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    nid = _foreign_note(col, "polar:1ClaimedCard", "old text")
    Doc(lib, "1ClaimDoc", "Claim").card("1ClaimedCard", basic("new text", "a")).write()
    report = run_sync(col, lib, state)
    assert report.created == 0 and report.updated == 1
    assert col.get_note(nid)["Front"] == "old text" and "polar" in col.get_note(nid).tags
    assert {(r["field"], r["code"], r["polar"]) for r in report.conflicts} == {
        ("Front", "unrecorded_anki", "new text"), ("Back", "unrecorded_anki", "a")}


@pytest.mark.parametrize("balanced", [False, True])
def test_a_resync_finds_the_note_another_computer_made_for_a_new_card(col, tmp_path, balanced):
    """A resync of a few documents finds their notes in the scan that counts
    Polar notes: a card new here whose note arrived from elsewhere is still
    claimed, not made twice, also when a note deleted in Anki leaves the
    count as the last sync left it."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    Doc(lib, "1ResyncDocA", "A").card("1ResyncOld1", basic("one", "a")).card("1ResyncOld2", basic("two", "b")).write()
    assert run_sync(col, lib, state).created == 2
    nid = _foreign_note(col, "polar:1ResyncNew1", "made on the laptop")
    if balanced:
        gone = col.find_notes('"Front:two"')
        col.remove_notes(gone)
    Doc(lib, "1ResyncDocB", "B").card("1ResyncNew1", basic("made here", "a")).write()
    report = run_sync(col, lib, state)
    assert report.updated == 1  # the new card's note: claimed, in place
    assert col.get_note(nid)["Front"] == "made on the laptop"  # no record of it: its text stays
    assert ("Front", "unrecorded_anki") in {(r["field"], r["code"]) for r in report.conflicts}
    assert len([n for n in col.find_notes("") if col.get_note(n).guid == "polar:1ResyncNew1"]) == 1
    assert integrity_problems(col) == []


def test_delete_cap_counts_only_notes_that_existed_before(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1CapDoc", "Cap")
    for n in range(10):
        doc.card(f"1CapOld{n}", basic(f"old {n}", "a"))
    doc.write()
    run_sync(col, lib, state, deletion_policy="delete", delete_max_share=0.3)
    for n in range(5):  # half of the old notes go ...
        doc.delete_card(f"1CapOld{n}")
    for n in range(20):  # ... while many new ones arrive in the same sync (elsewhere: not edits)
        doc.card(f"1CapNew{n}", basic(f"new {n}", "a"), page=2)
    doc.write()
    report = run_sync(col, lib, state, deletion_policy="delete", delete_max_share=0.3)
    assert report.deleted == 0 and report.created == 20
    assert [e for e in report.errors if "refused to delete 5 of 10" in e["message"]]
    assert col.note_count() == 30


def _export_deck(col: Any, deck: str, out: Path) -> None:
    """File ▸ Export ▸ Anki Deck Package (.apkg), with scheduling and media
    (the keyword arguments of Anki 23.10, or the options of later Anki)."""
    from anki.collection import DeckIdLimit

    limit = DeckIdLimit(col.decks.id(deck))
    try:
        from anki.import_export_pb2 import ExportAnkiPackageOptions
    except ImportError:  # Anki 23.10
        col.export_anki_package(out_path=str(out), limit=limit, with_scheduling=True, with_media=True,
                                legacy_support=False)
        return
    col.export_anki_package(out_path=str(out), limit=limit, options=ExportAnkiPackageOptions(
        with_scheduling=True, with_media=True, legacy=False))


def _import_package(col: Any, package: Path) -> Any:
    """File ▸ Import of an .apkg, with Anki's default options."""
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    options = ImportAnkiPackageOptions(with_scheduling=True)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options)).log


def test_a_deck_exported_from_one_profile_and_imported_into_another_syncs_without_loss(tmp_path):
    """A deck of Polar notes, studied and edited in profile A, exported as an
    .apkg and imported into profile B, which then syncs the same library:
    every note is found (no duplicate), its reviews and the user's edit
    stay, and new cards arrive as usual."""
    from tests.conftest import make_collection

    library = tmp_path / "polar"
    doc = Doc(library, "1ApkgDoc00000000000001", title="Shared", tags=["deck:Shared"])
    doc.card("1ApkgC01", basic("question one", "answer one"))
    doc.card("1ApkgC02", basic("question two", "answer two"), ctype="BASIC_FRONT_BACK_AND_REVERSE")
    doc.write()
    a = make_collection(tmp_path / "A" / "collection.anki2")
    b = make_collection(tmp_path / "B" / "collection.anki2")
    try:
        run_sync(a, library, tmp_path / "A.sqlite")
        for cid in a.find_cards("tag:polar"):
            card = a.get_card(cid)
            card.start_timer()
            a.sched.answerCard(card, 3)
        nid = a.find_notes('"Front:question one"')[0]
        note = a.get_note(nid)
        note["Front"] = "question one, as I put it"
        a.update_note(note)
        package = tmp_path / "shared.apkg"
        _export_deck(a, "Shared", package)

        assert len(_import_package(b, package).new) == 2
        report = run_sync(b, library, tmp_path / "B.sqlite")
        assert (report.created, report.updated, report.duplicates) == (0, 0, 0)
        assert [(r["code"], r["anki"]) for r in report.conflicts] == [("unrecorded_anki", "question one, as I put it")]
        assert b.note_count() == 2 and b.db.scalar("select count() from cards where reps = 1") == 3
        assert b.get_note(b.find_notes("tag:polar")[0]) is not None
        assert b.find_notes('"Front:question one, as I put it"')

        doc.card("1ApkgC03", basic("question three", "answer three"))
        doc.write()
        later = run_sync(b, library, tmp_path / "B.sqlite")
        assert (later.created, later.conflicts) == (1, [])
        assert len({b.get_note(n).guid for n in b.find_notes("")}) == b.note_count() == 3
        assert integrity_problems(b) == []
    finally:
        a.close()
        b.close()
