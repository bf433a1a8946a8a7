"""A person who uses Anki every day, beside Polar Sync's notes, in real Anki
(headless, the add-on installed from dist/): Tools ▸ Check Database, a
Polar note deleted in the Browser, an Anki edit when the add-on's record
is lost (reinstalled add-on, another computer), Undo around a review.
See docs/dev-notes/beside.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from addon.sync.identity import guid_for
from tests.gui.in_anki import note_for_card, sync_from_polar
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


def _state_files(anki: Any) -> list:
    from addon.gui import synclog  # the add-on's own naming of its state file

    path = Path(anki.addon_dir) / "user_files" / synclog.state_path(anki.mw.pm.name or "").name
    return sorted(path.parent.glob(path.name + "*"))


def test_check_database_finds_nothing_in_polar_notes_and_the_next_sync_changes_nothing(anki):
    anki.settle()  # the startup sync (or the last test's) is over
    anki.set_config(watch=False)
    try:
        doc = Doc(anki.library, "1GuiBesideCheckDb0001", title="Check", tags=["deck:Beside"])
        doc.card("1GuiBC1", basic("<p>Checked?</p>", "<p>yes</p>"))
        doc.card("1GuiBC2", basic("<p>Both ways?</p>", "<p>yes</p>"), ctype="BASIC_FRONT_BACK_AND_REVERSE")
        doc.write()
        assert sync_from_polar(anki).report.created == 2
        notes = {n.id: (n.guid, n.fields) for n in anki.notes()}

        # Tools ▸ Check Database, as a user starts it (a backup, then the check,
        # on Anki's collection thread; a tooltip when all is well).
        anki.mw.form.actionFullDatabaseCheck.trigger()
        anki.anki.wait_until(lambda: anki.mw.progress._levels == 0, what="Check Database")
        anki.wait_progress_closed()
        assert anki.mw.col.fix_integrity()[1]  # nothing found: Anki's own words "rebuilt and optimized"

        outcome = sync_from_polar(anki)
        assert not outcome.report.changed and not outcome.report.warnings
        assert {n.id: (n.guid, n.fields) for n in anki.notes()} == notes
    finally:
        anki.set_config(watch=True)


def test_a_polar_note_deleted_in_the_browser_comes_back_and_the_report_says_why(anki):
    anki.settle()  # the startup sync (or the last test's) is over
    anki.set_config(watch=False)
    try:
        doc = Doc(anki.library, "1GuiBesideDeleted0001", title="Deleted", tags=["deck:Beside"])
        doc.card("1GuiBD1", basic("<p>Delete me?</p>", "<p>no</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1
        gone = note_for_card(anki, "1GuiBD1").id
        anki.mw.col.remove_notes([gone])  # Browser ▸ Notes ▸ Delete

        outcome = sync_from_polar(anki)
        assert outcome.report.created == 1 and note_for_card(anki, "1GuiBD1").id != gone
        rows = [w for w in outcome.report.warnings if w["code"] == "made_again"]
        assert len(rows) == 1 and rows[0]["count"] == 1
        from addon.gui.report_text import explain

        assert explain(rows[0]).startswith("1 note deleted in Anki was made again")
        # Not only in the report: a notice says it, or the user sees just "1 new note".
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible()
        assert "1 note deleted in Anki made again" in notice.text()
        assert not sync_from_polar(anki).report.changed
    finally:
        anki.set_config(watch=True)


def test_an_anki_edit_survives_a_lost_sync_record_and_the_notice_shows_both_versions(anki, qtbot):
    """The add-on's record removed (as deleting and installing the add-on
    again does): the next sync finds every note by its guid and keeps the
    text the user fixed in Anki, and the notice opens a report that names it."""
    from aqt.qt import Qt

    anki.settle()  # the startup sync (or the last test's) is over
    anki.set_config(watch=False)
    try:
        doc = Doc(anki.library, "1GuiBesideLostRec0001", title="Lost", tags=["deck:Beside"])
        doc.card("1GuiBL1", basic("<p>Typo hre?</p>", "<p>answer</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1
        note = note_for_card(anki, "1GuiBL1")
        note["Front"] = "<p>Typo here?</p>"
        anki.mw.col.update_note(note)
        files = _state_files(anki)
        assert files
        for path in files:
            path.unlink()

        outcome = sync_from_polar(anki)
        assert outcome.report.created == 0
        assert note_for_card(anki, "1GuiBL1")["Front"] == "<p>Typo here?</p>"
        rows = [c for c in outcome.report.conflicts if c["card"] == "1GuiBL1"]
        assert [(r["code"], r["field"]) for r in rows] == [("unrecorded_anki", "Front")]
        # (Other tests' notes share this library and their state went too: the
        # counts are theirs as well; this note's row is what is checked.)
        kept = sum(c["code"] == "unrecorded_anki" for c in outcome.report.conflicts)
        real = len(outcome.report.conflicts) - kept
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible()
        assert ("1 text kept as in Anki" if kept == 1 else f"{kept} texts kept as in Anki") in notice.text()
        assert ("conflict" in notice.text()) == bool(real)
        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        dialog = anki.controller.report_dialog
        assert dialog is not None and dialog.isVisible()
        text = dialog.browser.toPlainText()
        assert "no record of syncing them before" in text and "Typo hre?" in text  # (the section says why, once)
        assert f"Kept as in Anki ({kept})" in text and ("Conflicts (" in text) == bool(real)
        dialog.close()
        assert not [c for c in sync_from_polar(anki).report.conflicts if c["card"] == "1GuiBL1"]
    finally:
        anki.set_config(watch=True)


def test_undo_after_a_review_and_a_sync_undoes_the_sync_first_then_the_review(anki):
    anki.settle()  # the startup sync (or the last test's) is over
    anki.set_config(watch=False)
    try:
        col = anki.mw.col
        doc = Doc(anki.library, "1GuiBesideUndoRev0001", title="Undo", tags=["deck:Beside"])
        doc.card("1GuiBU1", basic("<p>Studied?</p>", "<p>yes</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1
        card = note_for_card(anki, "1GuiBU1").cards()[0]
        card.start_timer()
        col.sched.answerCard(card, 3)
        doc.card("1GuiBU2", basic("<p>New after the review?</p>", "<p>yes</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1

        anki.mw.form.actionUndo.trigger()  # the sync
        # (One read: _note's id, then the note, could fall between the undo's
        # steps on the collection thread: "No such note", seen on a loaded machine.)
        anki.anki.wait_until(lambda: not col.db.scalar("SELECT count() FROM notes WHERE guid = ?", guid_for("1GuiBU2")),
                             what="undo of the sync")
        assert col.get_card(card.id).reps == 1 and col.undo_status().undo  # the review is next
        anki.mw.form.actionUndo.trigger()  # the review
        anki.anki.wait_until(lambda: col.get_card(card.id).reps == 0, what="undo of the review")

        outcome = sync_from_polar(anki)
        assert outcome.report.created == 1 and not outcome.report.conflicts and not outcome.report.warnings
        assert len([n for n in anki.notes() if n.guid == guid_for("1GuiBU2")]) == 1
        assert not sync_from_polar(anki).report.changed
    finally:
        anki.set_config(watch=True)


def test_a_renamed_profiles_first_sync_goes_on_from_its_record(anki):
    """Switch Profile ▸ Rename names the add-on's record anew (it is kept
    per profile name): the record under the name the profile had is taken
    over, so an edit made in Anki is not even in question, and a renamed
    deck is still followed. (The profile cannot be renamed while open: its
    record is put under a name no profile has, as a rename leaves it.)"""
    anki.settle()
    anki.set_config(watch=False)
    try:
        col = anki.mw.col
        doc = Doc(anki.library, "1GuiBesideRenamed0001", title="Renamed", tags=["deck:BesideRenamed"])
        doc.card("1GuiBR1", basic("<p>Keep my edit?</p>", "<p>yes</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1
        note = note_for_card(anki, "1GuiBR1")
        note["Front"] = "<p>Keep my edit, please?</p>"
        col.update_note(note)
        col.decks.rename(col.decks.get(col.decks.id("BesideRenamed")), "Mine::Renamed")
        files = _state_files(anki)
        ours = files[0]
        former = ours.with_name("state-A_former_name-0badc0de.sqlite")
        for path in files:
            path.rename(path.with_name(path.name.replace(ours.name, former.name)))

        doc.card("1GuiBR2", basic("<p>Where do I go?</p>", "<p>to the renamed deck</p>"))
        doc.write()
        outcome = sync_from_polar(anki)
        assert ours.exists() and not former.exists()
        assert outcome.report.created == 1 and not outcome.report.conflicts
        assert not [w for w in outcome.report.warnings if w["code"] in ("state_rebuilt", "foreign_notes")]
        assert note_for_card(anki, "1GuiBR1")["Front"] == "<p>Keep my edit, please?</p>"
        new_card = note_for_card(anki, "1GuiBR2").cards()[0]
        assert col.decks.name(new_card.did) == "Mine::Renamed"
    finally:
        anki.set_config(watch=True)
