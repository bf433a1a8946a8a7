"""Polar exports unpacked over one another, in real Anki (after
test_in_anki.py: the startup sync has happened; the shared session's
library is chosen again at the end)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.gui.in_anki import shown_words
from tests.polar_factory import Doc, basic
from tools.polar_export import EXPORT_NAME, MTIME, library_metas, write_export

pytestmark = pytest.mark.anki


def test_an_export_unpacked_over_an_older_one_in_real_anki(anki, tmp_path):
    """The folder of last month's export chosen as the Polar folder, then
    this month's unpacked over it: kept files ("skip existing") suspend no
    live card and the notice says what to do; written over (GNU tar), the
    document deleted in Polar since has its cards suspended, as from the
    export file (before: nothing suspended, nothing said); each said once,
    not again at the next sync; back to the data folder, they come back."""
    if shutil.which("tar") is None:
        pytest.skip("no tar here")
    anki.settle()
    metas = library_metas(anki.library)
    gone = metas[0]["docInfo"]["fingerprint"]
    new = Doc(tmp_path / "new", "1AddedInPolarSince00", title="Added since")
    new.card("1AddedSince1", basic("added front", "added back"))
    new.meta["docInfo"].update(added="2021-03-01T10:00:00.000Z", lastUpdated="2021-03-02T10:00:00.000Z")
    downloads = tmp_path / "Downloads"
    older = write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * 86400)
    newer = write_export(downloads / EXPORT_NAME, metas[1:] + [new.meta])
    folder = downloads / "Polar export"
    folder.mkdir()
    subprocess.run(["tar", "-xzf", str(older), "-C", str(folder)], check=True)
    suspended_before = set(anki.mw.col.find_cards("tag:polar is:suspended"))
    try:
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(folder))
        chosen = anki.wait_synced(before)
        assert not chosen.failed and (chosen.report.orphaned, chosen.report.created) == (0, 0), chosen.report
        anki.settle()

        subprocess.run(["tar", "-xzf", str(newer), "-C", str(folder), "--skip-old-files"], check=True)
        anki.mw.activateWindow()
        kept = anki.trigger_and_wait("Sync from Polar")
        assert [w["code"] for w in kept.report.warnings] == ["export_leftovers_kept"], kept.report.warnings
        assert (kept.report.orphaned, kept.report.created) == (0, 1), kept.report
        assert set(anki.mw.col.find_cards("tag:polar is:suspended")) == suspended_before
        notice = anki.controller.notice
        assert notice is not None and "files of an older Polar export are in the folder" in notice.text()
        quiet = anki.trigger_and_wait("Sync from Polar")  # (said once: not again while the files stay)
        assert quiet.report.warnings == [] and quiet.report.created == 0, quiet.report.warnings
        assert anki.controller.notice is notice  # (no new notice)

        subprocess.run(["tar", "-xzf", str(newer), "-C", str(folder)], check=True)
        taken = anki.trigger_and_wait("Sync from Polar")
        assert [w["code"] for w in taken.report.warnings] == ["export_leftovers_taken"], taken.report.warnings
        assert taken.report.orphaned >= 1 and taken.report.created == 0, taken.report
        now = set(anki.mw.col.find_cards("tag:polar is:suspended"))
        cards_of_gone = set(anki.mw.col.find_cards(f'"polar_doc:{gone}" or tag:polar::deleted'))
        assert now - suspended_before and now - suspended_before <= cards_of_gone | now, now
    finally:
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(anki.library))
        anki.wait_synced(before)
        anki.settle()
    back = anki.trigger_and_wait("Sync from Polar")
    assert not back.failed
    col = anki.mw.col
    added = col.find_notes('"front:added front"')
    # (The document added in Polar is in no data folder: its note is the one suspended now.)
    added_cards = set(col.find_cards('"front:added front"'))
    assert set(col.find_cards("tag:polar is:suspended")) == suspended_before | added_cards
    col.remove_notes(added)  # (the session's later tests count the library's notes)


def test_an_export_renamed_by_its_user_is_named_in_real_anki(anki, tmp_path):
    """The export chosen in the settings, then renamed in its folder: Sync
    from Polar opened the missing-library message saying only that the file
    does not exist (any more), then where Polar desktop keeps its data.
    Now the message names the same export under its new name and how to
    choose it, and nothing in the collection changed."""
    anki.settle()
    downloads = tmp_path / "Downloads"
    export = write_export(downloads / EXPORT_NAME, library_metas(anki.library))
    col = anki.mw.col
    try:
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(export))
        chosen = anki.wait_synced(before)
        assert not chosen.failed and chosen.report.orphaned == 0, chosen.report
        anki.settle()
        notes_before = {nid: col.get_note(nid).fields for nid in col.find_notes("tag:polar")}
        suspended_before = set(col.find_cards("tag:polar is:suspended"))
        renamed = export.rename(downloads / "polar-march.zip")
        anki.mw.activateWindow()
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.library_error and "polar-march.zip" in outcome.library_error, outcome.library_error
        box = anki.controller.library_box
        assert box is not None and box.isVisible()
        text = box.text()
        assert "The same Polar export is in that folder under another name" in text and "polar-march.zip" in text
        assert ".polar" not in text, text  # (Polar desktop's folder: not what this user is missing)
        assert [b.text() for b in box.buttons() if b.isDefault()] == ["Use a Polar export…"]  # (Enter)
        assert {nid: col.get_note(nid).fields for nid in col.find_notes("tag:polar")} == notes_before
        assert set(col.find_cards("tag:polar is:suspended")) == suspended_before
        box.close()
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(renamed))
        again = anki.wait_synced(before)
        assert not again.failed and (again.report.created, again.report.orphaned) == (0, 0), again.report
    finally:
        box = anki.controller.library_box
        if box is not None:
            from aqt.qt import sip

            if not sip.isdeleted(box) and box.isVisible():
                box.close()
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(anki.library))
        anki.wait_synced(before)
        anki.settle()


def test_flashcards_of_polar_3_not_synced_are_in_the_notice_in_real_anki(anki, tmp_path):
    """An export whose Polar 3 flashcards belong to a document not in it:
    the sync adds what it can and the notice says, beside its counts, that
    flashcards of Polar 3 were not synced (the counts alone hid them); its
    click opens the report with the row. Then back to the data folder."""
    from tools.polar_export import annotated_document_blocks, block_basic

    anki.settle()
    doc = Doc(tmp_path / "polar", "1NoticeBlocks0000001", title="Blocks in the notice")
    doc.card("1NoticeBlk1", basic("notice front", "notice back"))
    doc.write()
    elsewhere = annotated_document_blocks({"fingerprint": "1NotInTheExport", "title": "Gone"},
                                          [block_basic("front", "back")] * 2)
    export = write_export(tmp_path / "Downloads" / EXPORT_NAME, [doc.meta], blocks=elsewhere)
    try:
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(export))
        chosen = anki.wait_synced(before)
        assert not chosen.failed and chosen.report.created == 1, chosen.report
        assert "export_block_flashcards" in [w["code"] for w in chosen.report.warnings], chosen.report.warnings
        notice = anki.controller.notice
        assert notice is not None
        text = shown_words(notice.text())
        assert "1 new note" in text and "flashcards of Polar 3 not synced" in text, text
        notice.on_click()
        report = anki.controller.report_dialog
        anki.anki.wait_until(lambda: report.isVisible(), 15, "the report")
        words = shown_words(report.browser.toPlainText())
        assert "2 flashcards in the Polar export are stored in Polar 3's newer format" in words, words
        report.close()
    finally:
        before = anki.controller.runner.finished_count
        anki.set_config(data_dir=str(anki.library))
        anki.wait_synced(before)
        anki.settle()
        col = anki.mw.col
        col.remove_notes(col.find_notes('"front:notice front"'))  # (the session's later tests count the notes)
