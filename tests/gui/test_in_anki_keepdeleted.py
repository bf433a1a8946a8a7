"""The setting "Deleted in Anki" in real Anki (headless, the add-on from
dist/): the Settings window shows it beside "Removed in Polar" and saves
it; a deck deleted in Anki with its notes is made again (the report row
names the deck and the setting) or left deleted (the notice says so once;
a Preview after that says they stay deleted).
See docs/dev-notes/cards.md, "Notes deleted in Anki, left deleted"."""

from __future__ import annotations

import pytest

from tests.gui.in_anki import note_for_card, sync_from_polar
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


def test_the_settings_window_shows_deleted_in_anki_and_saves_it(anki):
    from aqt.qt import QComboBox, QLabel

    anki.settle()
    dialog = anki.controller.open_settings()
    try:
        combo = dialog.findChild(QComboBox, "polar_sync_setting_deleted_in_anki")
        assert combo is not None and combo.isVisibleTo(dialog)
        assert [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] == [
            ("make_again", "Make them again"), ("leave_deleted", "Leave them deleted")]
        assert combo.currentData() == "make_again"  # the default: as before
        labels = [w.text() for w in dialog.findChildren(QLabel)]
        assert "Deleted in Anki" in labels
        # In the part of "Removed in Polar", after it and its share.
        order = [w.objectName() for w in dialog.findChildren(QComboBox)]
        assert order.index("polar_sync_setting_deletion_policy") < order.index("polar_sync_setting_deleted_in_anki")
        combo.setCurrentIndex(combo.findData("leave_deleted"))
        dialog.accept()
        assert anki.mw.addonManager.getConfig("polar_sync")["deleted_in_anki"] == "leave_deleted"
        assert anki.controller.settings.deleted_in_anki == "leave_deleted"
    finally:
        anki.settle()
        anki.set_config(deleted_in_anki="make_again")
        anki.settle()


@pytest.mark.parametrize("setting", ["make_again", "leave_deleted"])
def test_a_deck_deleted_in_anki_is_named_with_what_the_setting_does(anki, setting):
    from addon.gui.report_text import explain

    anki.settle()
    anki.set_config(watch=False, deleted_in_anki=setting)
    anki.settle()
    deck = f"Gone {setting}"
    try:
        doc = Doc(anki.library, f"1GuiKeep{setting[:4]}000001", title="Kept deleted", tags=[f"deck:{deck}"])
        for i in range(3):
            doc.card(f"1GuiK{setting[:4]}{i}", basic(f"<p>Question {i}</p>", "<p>answer</p>"))
        doc.write()
        sync_from_polar(anki)  # (or a sync the watcher had begun already: either way, the three notes made)
        assert all(note_for_card(anki, f"1GuiK{setting[:4]}{i}") is not None for i in range(3))
        col = anki.mw.col
        col.decks.remove([col.decks.id_for_name(deck)])  # the deck deleted with its cards
        assert note_for_card(anki, f"1GuiK{setting[:4]}0") is None

        outcome = sync_from_polar(anki)
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible()
        if setting == "make_again":
            assert outcome.report.created == 3
            rows = [w for w in outcome.report.warnings if w["code"] == "made_again"]
            assert len(rows) == 1 and rows[0]["decks"] == [deck]
            words = explain(rows[0])
            assert words.startswith(f"3 notes deleted in Anki were made again (in the deck “{deck}”)"), words
            assert "In Tools ▸ Polar Sync ▸ Settings…, “Deleted in Anki” set to “Leave them deleted”" in words
            assert "3 notes deleted in Anki made again" in notice.text()
        else:
            assert outcome.report.created == 0 and note_for_card(anki, f"1GuiK{setting[:4]}0") is None
            rows = [w for w in outcome.report.warnings if w["code"] == "left_deleted"]
            assert len(rows) == 1 and rows[0]["count"] == 3
            words = explain(rows[0])
            assert words.startswith(f"3 notes you deleted in Anki were left deleted (in the deck “{deck}”)"), words
            assert "3 notes you deleted in Anki left deleted" in notice.text()
        again = sync_from_polar(anki)
        assert not again.report.changed and not again.report.warnings  # said once
        if setting == "leave_deleted":
            # A Preview says why those cards have no notes, and the way back (the sync does not).
            preview = anki.trigger_and_wait("Preview (dry run)…")
            assert preview.report.dry_run and not preview.report.changed
            dialog = anki.controller.report_dialog
            assert dialog is not None and dialog.isVisible()
            text = " ".join(dialog.browser.toPlainText().split())
            assert "A sync now would change nothing." in text, text
            # Only information: under "Good to know", not "Warnings" (branch previewrows).
            assert "Good to know (1)" in text and "Warnings" not in text, text
            assert (f"3 notes you deleted in Anki stay deleted (in the deck “{deck}”), as an earlier sync said: "
                    "“Deleted in Anki” in Tools ▸ Polar Sync ▸ Settings… is “Leave them deleted”. “Make them "
                    "again” brings them back.") in text, text
            dialog.close()
    finally:
        anki.set_config(watch=True, deleted_in_anki="make_again")


def test_a_preview_after_a_note_deleted_in_anki_says_it_would_be_made_again_and_writes_nothing(anki):
    """The row the sync says of a note deleted in Anki, said by the preview
    before it, in its own words; the collection as it was (branch previewrows:
    before, the preview said "1 note would be added" and no more)."""
    anki.settle()
    anki.set_config(watch=False)
    anki.settle()
    try:
        doc = Doc(anki.library, "1GuiPrevRows00000001", title="Previewed", tags=["deck:Previewed"])
        for i in range(2):
            doc.card(f"1GuiPrev{i}", basic(f"<p>Question {i}</p>", "<p>answer</p>"))
        doc.write()
        sync_from_polar(anki)
        col = anki.mw.col
        col.remove_notes([note_for_card(anki, "1GuiPrev0").id])
        mod = col.mod
        preview = anki.trigger_and_wait("Preview (dry run)…")
        assert preview.report.dry_run and [w["code"] for w in preview.report.warnings] == ["made_again"]
        assert col.mod == mod and note_for_card(anki, "1GuiPrev0") is None
        dialog = anki.controller.report_dialog
        assert dialog is not None and dialog.isVisible()
        text = " ".join(dialog.browser.toPlainText().split())
        assert "Warnings (1)" in text and "Good to know" not in text, text
        assert "1 note deleted in Anki would be made again (in the deck “Previewed”)" in text, text
        dialog.close()
        outcome = sync_from_polar(anki)
        assert [w["code"] for w in outcome.report.warnings] == ["made_again"]
    finally:
        anki.set_config(watch=True)
