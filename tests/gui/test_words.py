"""What the add-on says and asks, in real Anki: the settings window, the
missing-library message, the report's names and lists, German words.

Shares the session's Anki (conftest.py); every test puts back what it changed.
"""

from __future__ import annotations

import html
import json
import os
import re
import time

import pytest

from tests.gui.conftest import DEBOUNCE_MS

pytestmark = pytest.mark.anki


def _visible(object_name: str) -> list:
    from aqt.qt import QApplication

    return [w for w in QApplication.topLevelWidgets() if w.objectName() == object_name and w.isVisible()]


def _closed(widget) -> bool:
    from aqt.qt import sip

    return sip.isdeleted(widget) or not widget.isVisible()


def _config(anki) -> dict:
    return dict(anki.mw.addonManager.getConfig("polar_sync"))


def test_settings_window_is_the_config_action_and_saves_choices(anki):
    from aqt.qt import QComboBox, QLineEdit

    anki.settle()
    manager = anki.mw.addonManager
    # Tools ▸ Add-ons ▸ Config runs the add-on's own window, not the JSON editor.
    assert manager.configAction("polar_sync")() is None  # None: "handled, no JSON editor"
    first = anki.controller.settings_dialog
    assert first is not None and first.isVisible()
    anki.menu_action("Settings…").trigger()  # the same window from the Tools menu, never two
    dialog = anki.controller.settings_dialog
    assert dialog is not None and dialog.isVisible() and _closed(first)
    path = dialog.findChild(QLineEdit, "polar_sync_setting_data_dir")
    assert path.text() == str(anki.library)
    combo = dialog.findChild(QComboBox, "polar_sync_setting_deletion_policy")
    assert [combo.itemData(i) for i in range(combo.count())] == ["suspend", "tag", "delete", "keep"]
    combo.setCurrentIndex(combo.findData("tag"))
    dialog.accept()
    try:
        assert _config(anki)["deletion_policy"] == "tag"
        assert anki.controller.settings.deletion_policy == "tag"  # applied without a restart
    finally:
        anki.settle()
        anki.set_config(deletion_policy="suspend")
        anki.settle()


def test_settings_ok_is_not_stopped_by_a_key_of_another_version(anki):
    """Anki keeps the stored config as it is across updates: a key an older
    version had (or a newer one has, after a downgrade) is in no field of the
    window, so OK cannot be refused for it; it does nothing and is dropped."""
    manager = anki.mw.addonManager
    raw = dict(manager.getConfig("polar_sync"))
    manager.writeConfig("polar_sync", dict(raw, retired_setting=True))
    try:
        dialog = anki.controller.open_settings()
        dialog.accept()
        assert not dialog.error.isVisible(), dialog.error.text()
        assert _closed(dialog)
        saved = _config(anki)
        assert "retired_setting" not in saved
        assert {k: saved[k] for k in raw} == raw
    finally:
        anki.settle()
        manager.writeConfig("polar_sync", raw)
        anki.set_config()
        anki.settle()


def test_raw_json_reads_windows_paths_and_names_a_bad_key(anki, tmp_path):
    anki.set_config(watch=False)
    try:
        dialog = anki.controller.open_settings()
        editor = dialog.open_raw()
        assert editor is not None and editor.isVisible()
        conf = json.loads(editor.form.editor.toPlainText())
        assert conf["data_dir"] == str(anki.library)

        # An enum typo: one sentence naming the key, no schema dump, nothing saved.
        conf["deck_strategy"] = "tags"
        editor.form.editor.setPlainText(json.dumps(conf))
        editor.accept()
        boxes = _visible("polar_sync_config_problem")
        assert len(boxes) == 1
        text = boxes[0].text()
        assert "deck_strategy" in text and '"tag"' in text and "schema" not in text.lower()
        boxes[0].close()
        assert _config(anki)["deck_strategy"] == "tag"
        assert editor.isVisible()

        # A Windows path typed as it looks, with single backslashes.
        conf["deck_strategy"] = "tag"
        text = json.dumps(conf).replace(json.dumps(str(anki.library)), '"C:\\Users\\me\\new\\.polar"')
        editor.form.editor.setPlainText(text)
        editor.accept()
        anki.anki.wait_until(lambda: _closed(editor), what="the config editor to close")
        assert _closed(editor)
        assert _config(anki)["data_dir"] == "C:\\Users\\me\\new\\.polar"
        assert _closed(dialog)  # its values were stale
    finally:
        anki.set_config(data_dir=str(anki.library), deck_strategy="tag", watch=True)
        box = anki.controller.library_box
        if box is not None and not _closed(box):  # (it closes itself once the library is back)
            box.close()
        anki.settle()


def test_raw_json_ok_saves_what_the_window_changed(anki):
    """A setting changed in the window, then "Edit as JSON…" (which shows
    the change) and OK there without typing: the change is saved. Anki's
    editor saves only a text unlike the one it opened with, which held the
    window's unsaved change; the settings window then closed as stale, and
    the change was lost without a word."""
    from aqt.qt import QComboBox

    anki.settle()
    before = _config(anki)
    try:
        dialog = anki.controller.open_settings()
        combo = dialog.findChild(QComboBox, "polar_sync_setting_deletion_policy")
        combo.setCurrentIndex(combo.findData("tag"))
        editor = dialog.open_raw()
        assert editor is not None
        assert json.loads(editor.form.editor.toPlainText())["deletion_policy"] == "tag"  # shown there
        editor.accept()
        anki.anki.wait_until(lambda: _closed(editor), what="the config editor to close")
        assert _closed(dialog)
        assert _config(anki)["deletion_policy"] == "tag"
        assert anki.controller.settings.deletion_policy == "tag"  # applied
    finally:
        anki.settle()
        anki.mw.addonManager.writeConfig("polar_sync", before)
        anki.set_config()
        anki.settle()


def test_restore_defaults_shows_every_default_and_saves_nothing_until_ok(anki):
    """Restore defaults puts the config's defaults (config.json) in every
    field; nothing is written until OK, and OK then writes exactly them."""
    from aqt.qt import QComboBox, QPushButton

    anki.settle()
    before = _config(anki)
    defaults = json.loads((anki.addon_dir / "config.json").read_text(encoding="utf-8"))
    try:
        dialog = anki.controller.open_settings()
        combo = dialog.findChild(QComboBox, "polar_sync_setting_deletion_policy")
        combo.setCurrentIndex(combo.findData("tag"))
        dialog.widgets["watch"].setChecked(not defaults["watch"])
        dialog.findChild(QPushButton, "polar_sync_settings_defaults").click()
        assert dialog.values() == {k: defaults[k] for k in dialog.values()}
        assert _config(anki) == before  # (nothing saved yet)
        dialog.accept()
        saved = _config(anki)
        assert {k: saved[k] for k in dialog.widgets} == {k: defaults[k] for k in dialog.widgets}
    finally:
        anki.settle()
        anki.mw.addonManager.writeConfig("polar_sync", before)
        anki.set_config()
        anki.settle()


def test_a_folder_without_documents_is_questioned_until_chosen_again_used_anyway_or_cancelled(
        anki, tmp_path, monkeypatch):
    """Choose Polar data folder… on a folder with no Polar document: the
    question's "Choose another folder…" opens the chooser again where the
    person was, "Use it anyway" takes the folder, Cancel takes nothing."""
    import importlib

    from aqt.qt import QApplication, QFileDialog, QMessageBox, QTimer

    package = type(anki.controller).__module__.rsplit(".", 1)[0]
    settings_dialog = importlib.import_module(f"{package}.settings_dialog")
    first, second = tmp_path / "notes", tmp_path / "more notes"
    first.mkdir()
    second.mkdir()
    picks = [str(first), str(second), str(first)]
    starts: list = []

    def chooser(_parent, _title, start):
        starts.append(start)
        return picks.pop(0)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(chooser))
    answers = ["Choose another folder…", "Use it anyway", "Cancel"]
    asked: list = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        asked.append(box.text())
        wanted = answers.pop(0)
        next(b for b in box.buttons() if b.text() == wanted).click()
        if answers and wanted != "Use it anyway":
            QTimer.singleShot(50, answer)

    QTimer.singleShot(50, answer)
    assert settings_dialog.choose_folder(anki.mw, str(anki.library)) == str(second)
    assert starts == [str(anki.library), str(first)]  # (again: where the person was)
    assert "There are no Polar documents in" in asked[0] and len(asked) == 2
    QTimer.singleShot(50, answer)
    assert settings_dialog.choose_folder(anki.mw, str(anki.library)) == ""  # Cancel
    assert not answers and not picks


def test_raw_json_infinity_is_named_not_an_error_box(anki):
    """Python's JSON reads Infinity: typed for the debounce ("never"), the
    check's int() of it raised OverflowError (Anki's error box, "report it
    to the add-on's author"). One sentence naming the field; nothing saved."""
    before = _config(anki)
    try:
        dialog = anki.controller.open_settings()
        editor = dialog.open_raw()
        assert editor is not None
        text = json.dumps(dict(before, watch_debounce_ms=0))
        text = text.replace('"watch_debounce_ms": 0', '"watch_debounce_ms": Infinity')
        assert "Infinity" in text
        editor.form.editor.setPlainText(text)
        editor.accept()
        boxes = _visible("polar_sync_config_problem")
        assert len(boxes) == 1
        assert "watch_debounce_ms" in boxes[0].text() and "Infinity" in boxes[0].text()
        boxes[0].close()
        assert editor.isVisible()
        assert _config(anki) == before
        editor.reject()
        dialog.reject()
    finally:
        anki.settle()


def test_a_missing_library_offers_the_choosers_and_counts_no_problem(anki, tmp_path):
    gone = tmp_path / "polar-moved-away"
    anki.set_config(data_dir=str(gone), watch=False)
    try:
        anki.settle()
        notice_before = anki.controller.notice
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.library_error
        assert not outcome.report.errors and not outcome.report.conflicts
        assert anki.controller.notice is notice_before  # no "1 problem" notice
        boxes = _visible("polar_sync_library_missing")
        assert len(boxes) == 1 and not boxes[0].isModal()
        box = boxes[0]
        buttons = {b.text() for b in box.buttons()}
        assert {"Choose Polar data folder…", "Use a Polar export…"} <= buttons  # (the menu's words)
        text = box.text()
        assert str(gone) in text and ".polar" in text and "hidden" in text
        assert "Windows" in text and "macOS" in text and "Linux" in text
        assert "problem" not in text.lower()

        # A second sync replaces the message instead of stacking another.
        anki.trigger_and_wait("Sync from Polar")
        assert len(_visible("polar_sync_library_missing")) == 1
        log = (anki.addon_dir / "user_files" / "sync-log.txt").read_text()
        assert str(gone) in log.split("\n\n")[-2]
    finally:
        _close_box_and_restore_library(anki)
    assert anki.controller.watcher is not None and DEBOUNCE_MS


def _close_box_and_restore_library(anki) -> None:
    """After a test that showed the missing-library message: close it and
    point the add-on at the test library again."""
    box = anki.controller.library_box
    if box is not None and not _closed(box):
        box.close()
    anki.set_config(data_dir=str(anki.library), watch=True)
    anki.settle()


def _reopen_profile(anki) -> None:
    mw = anki.mw
    mw.unloadProfileAndShowProfileManager()
    anki.anki.wait_until(lambda: mw.col is None and mw.state == "profileManager", what="profile close")
    mw.profileForm.profiles.setCurrentRow(0)
    mw.onOpenProfile()
    anki.anki.wait_until(lambda: mw.col is not None and mw.state == "deckBrowser", what="profile open")
    anki.settle()


def test_a_german_anki_shows_german_menu_report_and_undo(anki, qtbot):
    from aqt.qt import Qt

    from addon.gui.i18n import catalogue
    from tests.polar_factory import Doc, basic, cloze

    de = catalogue("de")
    anki.set_config(watch=False)
    anki.mw.pm.setLang("de_DE")  # Preferences ▸ Language does this
    try:
        _reopen_profile(anki)
        titles = {a.text() for a in anki.mw.form.menuTools.actions()}
        assert de["Sync from Polar"] in titles and de["Polar Sync"] in titles
        assert anki.menu_action(de["Preview (dry run)…"]) is not None

        doc = Doc(anki.library, "1GuiGermanDoc00000001", title="Erdkunde")
        doc.card("1GuiDe1", cloze("Die Hauptstadt ist Berlin."), "CLOZE")  # no {{c1::…}}: cannot sync
        doc.card("1GuiDe2", basic("<p>Größter Fluss?</p>", "<p>Rhein</p>"))
        doc.write()
        outcome = anki.trigger_and_wait(de["Sync from Polar"])
        assert outcome.report.errors and outcome.report.created == 1
        # Edit ▸ Undo names the sync in German too.
        assert anki.mw.col.undo_status().undo == de["Sync from Polar"]
        notice = anki.controller.notice
        problems = len(outcome.report.errors)  # earlier tests may have left a broken file
        assert notice is not None and de["{n} problem"][problems != 1].format(n=problems) in notice.text()
        # The sync log's entry: what the notice said, in German, above the core's English lines (eyes9:
        # a German user's log was English but for the problems' rows).
        from addon.gui import synclog

        body = synclog.read_log(anki.addon_dir / "user_files")[0].splitlines()[1:]
        assert body[0].strip().startswith("Polar Sync: " + de["{n} new note"][0].format(n=1) + ", "), body
        assert body[0].strip().endswith(de["{n} problem"][problems != 1].format(n=problems) + "."), body
        # Then the problems in German (eyes11: they came after the English lines, out of sight), then English.
        assert body[1].strip() == f"{de['Problems']} ({problems})", body
        english = next(i for i, line in enumerate(body) if line.strip().startswith("Polar Sync: 1 new note"))
        assert english > 1 and any("Erdkunde" in line for line in body[1:english]), body
        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        text = anki.controller.report_dialog.browser.toPlainText()
        assert de["Problems"] in text and de["Sync from Polar"] in text
        assert "Erdkunde" in text and "Die Hauptstadt ist Berlin." in text
        assert de["This cloze card hides nothing (it has no {example}), so it was not synced. Mark the words to "
                  "hide in Polar, then sync again."].format(example="{{c1::…}}") in text
        anki.controller.report_dialog.close()
        doc.remove()
        anki.trigger_and_wait(de["Sync from Polar"])
    finally:
        anki.mw.pm.setLang("en_US")
        _reopen_profile(anki)
        anki.set_config(watch=True)
        anki.settle()
    assert anki.menu_action("Sync from Polar") is not None


def test_the_report_names_documents_by_title_not_by_id(anki, qtbot):
    """One unreadable file and one card that cannot sync: the window says
    which document (by title) and which card (by its front)."""
    from aqt.qt import Qt

    from tests.polar_factory import Doc, basic, cloze

    anki.set_config(watch=False)
    try:
        anki.settle()
        broken = Doc(anki.library, "1GuiBrokenDoc00000001", title="Notes on memory")
        broken.card("1GuiB1", basic("<p>What fades?</p>", "<p>memory</p>"))
        broken.write()
        odd = Doc(anki.library, "1GuiOddCardDoc0000001", title="Geography")
        odd.card("1GuiO1", cloze("<p>The capital is Paris.</p>"), "CLOZE", page=4)
        odd.card("1GuiO2", basic("<p>Longest river?</p>", "<p>Nile</p>"))
        odd.write()
        anki.trigger_and_wait("Sync from Polar")
        broken.path.write_bytes(b'{"docInfo": {"fingerprint": "1GuiBrokenDoc00000001", ')  # cut short
        aged = time.time() - 60  # (a minute ago: seconds ago, it would still be being written, read.WRITING_NS)
        os.utime(broken.path, (aged, aged))
        odd.card("1GuiO3", basic("<p>Highest mountain?</p>", "<p>Everest</p>"))
        odd.write()
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert {e.get("code") for e in outcome.report.errors} >= {"not_a_document", "cloze_without_deletion"}

        notice = anki.controller.notice
        assert notice is not None
        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        dialog = anki.controller.report_dialog
        text = dialog.browser.toPlainText().replace("\u2060", "")  # (paths kept whole: unbroken)
        assert "“Notes on memory”" in text  # remembered from the sync before it broke
        assert "“The capital is Paris.” in “Geography” (page 4)" in text  # (as the tree says a page)
        assert "1GuiBrokenDoc00000001/state.json" in text  # the technical id stays, on its own line
        dialog.close()
    finally:
        for fp in ("1GuiBrokenDoc00000001", "1GuiOddCardDoc0000001"):
            Doc(anki.library, fp).remove()
        anki.trigger_and_wait("Sync from Polar")
        anki.set_config(watch=True)
        anki.settle()


def test_preview_lists_the_notes_and_shows_exactly_those_in_the_browser(anki):
    from aqt import gui_hooks
    from aqt.browser import Browser
    from aqt.qt import QApplication, QPushButton, QTimer, sip

    from tests.polar_factory import Doc, basic

    anki.set_config(watch=False)
    try:
        anki.settle()
        doc = Doc(anki.library, "1GuiPreviewList000001", title="Birds", tags=["deck:Nature"])
        doc.card("1GuiPL1", basic("<p>Fastest bird?</p>", "<p>Peregrine falcon</p>"))
        doc.card("1GuiPL2", basic("<p>Largest bird?</p>", "<p>Ostrich</p>"))
        doc.write()
        anki.trigger_and_wait("Sync from Polar")
        nids = set(anki.mw.col.find_notes('"deck:Nature"'))
        assert len(nids) == 2
        doc.edit_card("1GuiPL1", "1GuiPL1b", basic("<p>Fastest bird in a dive?</p>", "<p>Peregrine</p>"))
        doc.card("1GuiPL3", basic("<p>Smallest bird?</p>", "<p>Bee hummingbird</p>"))
        doc.write()

        outcome = anki.trigger_and_wait("Preview (dry run)…")
        assert outcome.report.dry_run and outcome.report.created == 1 and outcome.report.updated == 1
        dialog = anki.controller.report_dialog
        tree = dialog.tree
        deck = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                    if tree.topLevelItem(i).text(0) == "Nature")
        document = deck.child(0)
        assert document.text(0) == "Birds"
        document.setExpanded(True)
        fronts = {document.child(i).text(0): document.child(i).text(1) for i in range(document.childCount())}
        assert fronts == {"Fastest bird in a dive? (page 1)": "would be updated",
                          "Smallest bird? (page 1)": "would be added"}

        # Only the updated note exists yet: that is what the Browser shows.
        document.setSelected(True)
        button = dialog.findChild(QPushButton, "polar_sync_show_in_browser")
        assert button.isEnabled()
        # The Browser's editor must have loaded the note before the window
        # closes (Anki 23.10 shows an error for an editor closed mid-load).
        loaded = []
        hook = lambda editor: loaded.append(editor.note.id if editor.note else 0)  # noqa: E731
        gui_hooks.editor_did_load_note.append(hook)
        button.click()
        updated = {c.note_id for c in outcome.report.changes if c.kind == "updated"}
        assert len(updated) == 1 and updated < nids

        def browser():
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, Browser) and w.isVisible()
                         and w.current_search() == f"nid:{next(iter(updated))}" and w.table.len() >= 1), None)

        try:
            window = anki.anki.wait_until(browser, what="the Browser showing the updated note")
            anki.anki.wait_until(lambda: updated <= set(loaded), what="the Browser's editor showing the note")
        finally:
            gui_hooks.editor_did_load_note.remove(hook)
        assert set(anki.mw.col.find_notes(window.current_search())) == updated
        # Anki moves a new Browser onto the screen by a 50 ms timer; a close
        # queued after it runs after it (timers fire in deadline order).
        QTimer.singleShot(60, window.close)
        anki.anki.wait_until(lambda: sip.isdeleted(window) or not window.isVisible(), what="the Browser to close")
        dialog.close()
    finally:
        Doc(anki.library, "1GuiPreviewList000001").remove()
        anki.trigger_and_wait("Sync from Polar")
        anki.set_config(watch=True)
        anki.settle()


def test_a_background_sync_that_changes_nothing_is_quiet_but_logged(anki):
    from aqt import utils

    anki.settle()
    utils.closeTooltip()
    log = anki.addon_dir / "user_files" / "sync-log.txt"
    entries = log.read_text().count("\n\n")
    before = anki.controller.runner.finished_count
    # A setting that shapes notes: every document is read again, nothing changes.
    anki.set_config(move_on_deck_change=False)
    utils.closeTooltip()  # "settings applied": not what is tested here
    try:
        outcome = anki.wait_synced(before)
        assert outcome.request.trigger == "settings" and not outcome.report.changed
        assert utils._tooltipLabel is None  # no "0 created, 40 unchanged" on every start
        assert log.read_text().count("\n\n") == entries + 1
        assert "settings changed" in log.read_text().rsplit("\n\n", 2)[-2]
    finally:
        anki.set_config(move_on_deck_change=True)
        anki.settle()


def _addon_module(anki, name: str):
    import importlib

    package = type(anki.controller).__module__.rsplit(".", 1)[0]  # the installed add-on's gui package
    return importlib.import_module(f"{package}.{name}")


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_settings_window_fits_400_px_in_every_language(anki, lang):
    """In German the window could not be narrower than 472 px (four buttons
    in a row, a long drop-down choice) and its content ran under the
    scroll bar, cut off at the right."""
    from aqt.qt import QScrollArea

    anki.mw.pm.setLang(lang)
    try:
        dialog = anki.controller.open_settings()
        dialog.resize(400, 640)
        anki.anki.process(0.3)
        scroll = dialog.findChild(QScrollArea)
        body = scroll.widget()
        assert dialog.width() <= 400, dialog.width()
        assert body.width() <= scroll.viewport().width(), (body.width(), scroll.viewport().width())
        dialog.reject()
    finally:
        anki.mw.pm.setLang("en_US")


def _laid_out(anki, dialog, buttons, one_row: bool = False) -> None:
    """Anki's events run until the window's buttons stand as the resize
    asked (whole, inside, a column's all one width; ``one_row``: side by
    side), at most 10 s: a fixed 0.3 s was too short on a loaded machine
    (a column seen half stretched). The test's assertions then say what is
    wrong if it never settles."""
    def settled() -> bool:
        rows = {b.mapTo(dialog, b.rect().topLeft()).y() for b in buttons}
        whole = all(b.isVisible() and b.width() >= b.sizeHint().width()
                    and b.mapTo(dialog, b.rect().topRight()).x() <= dialog.width() for b in buttons)
        return whole and (len(rows) == 1 if one_row else len(rows) == 1 or len({b.width() for b in buttons}) == 1)

    anki.anki.process(0.1)
    try:
        anki.anki.wait_until(settled, timeout=10, what="the report's buttons laid out")
    except TimeoutError:
        pass


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_report_window_fits_400_px_in_every_language(anki, lang):
    """Its three buttons in a row need 590 px in German (457-531 px in
    Portuguese, Spanish, French): the window could not be made narrower.
    Now they stand one above the other when they do not fit, and side by
    side again when the window is wide."""
    data = {"created": 2, "documents": 1, "errors": [], "conflicts": [], "warnings": [],
            "changes": [{"kind": "created", "deck": "Default", "document": "d", "title": "Doc", "note_id": 1,
                         "front": "Q"}]}
    anki.mw.pm.setLang(lang)
    try:
        dialog = anki.controller.show_report(data, "manual", 0)
        buttons = dialog.buttons.buttons()
        dialog.resize(400, 640)
        _laid_out(anki, dialog, buttons)
        assert dialog.width() <= 400, dialog.width()
        assert len(buttons) == 3
        for button in buttons:  # each whole, inside the window
            assert button.isVisible() and button.width() >= button.sizeHint().width()
            right = button.mapTo(dialog, button.rect().topRight()).x()
            assert right <= dialog.width(), (button.text(), right)
        # One above the other: each as wide as the window's content, and no
        # blank band below them (Qt gives a column of buttons all the height).
        if len({b.mapTo(dialog, b.rect().topLeft()).y() for b in buttons}) > 1:
            assert len({b.width() for b in buttons}) == 1 and buttons[0].width() >= dialog.width() - 40
            box = dialog.buttons
            assert box.height() <= sum(b.height() for b in buttons) + 12 * len(buttons), box.height()
        dialog.resize(900, 640)
        _laid_out(anki, dialog, buttons, one_row=True)
        assert len({b.mapTo(dialog, b.rect().topLeft()).y() for b in buttons}) == 1  # one row
        dialog.close()
    finally:
        anki.mw.pm.setLang("en_US")


def test_star_in_the_changes_tree_expands_everything_once(anki):
    """"*" (Qt: expand all below) in the "What changed" tree expanded each
    note's item too, which got a copy of itself as a child, expanded in
    turn: Anki hung (expandAll crashed it)."""
    from aqt.qt import QApplication, QEvent, QKeyEvent, Qt

    changes = [{"kind": "updated", "change": "updated", "deck": "Default", "document": "d", "title": "Doc",
                "note_id": n, "front": f"Q{n}", "card": f"c{n}"} for n in (1, 2)]
    data = {"updated": 2, "documents": 1, "errors": [], "conflicts": [], "warnings": [], "changes": changes}
    dialog = anki.controller.show_report(data, "manual", 0)
    try:
        tree = dialog.tree
        deck = tree.topLevelItem(0)
        document = deck.child(0)
        tree.expandItem(document)
        assert document.childCount() == 2
        dialog._fill_document(document.child(0))  # a note's item has nothing below it
        assert document.child(0).childCount() == 0
        tree.setCurrentItem(deck)
        QApplication.sendEvent(tree, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Asterisk,
                                               Qt.KeyboardModifier.NoModifier, "*"))
        anki.anki.process(0.2)
        assert document.childCount() == 2 and all(document.child(i).childCount() == 0 for i in range(2))
    finally:
        dialog.close()


def test_a_folder_without_documents_is_named_not_called_up_to_date(anki, tmp_path):
    """The wrong folder chosen (here: an empty one): a sync someone started
    says there is no Polar document in it and offers the choosers, instead
    of the "everything is up to date" it said before."""
    from aqt.qt import QApplication, QLabel

    wrong = tmp_path / "Documents"
    wrong.mkdir()
    anki.set_config(watch=False)
    try:
        anki.settle()
        anki.set_config(data_dir=str(wrong))
        anki.settle()
        for box in _visible("polar_sync_library_missing"):
            box.close()
        # Anki's tooltips of earlier syncs and of the settings change are
        # hidden first (some are shown from a timer, or deleted only later by
        # Qt's deferred deletion), so a visible one afterwards is this sync's.
        anki.settle()
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QLabel):
                w.hide()
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.report.documents == 0 and not outcome.library_error
        boxes = _visible("polar_sync_library_missing")
        assert len(boxes) == 1
        text = boxes[0].text()
        assert str(wrong) in text and "state.json" in text and "Windows" in text
        assert "Nothing was synced" in text
        labels = [w.text() for w in QApplication.topLevelWidgets()
                  if isinstance(w, QLabel) and w.isVisible()]
        assert not any("up to date" in t for t in labels), labels
    finally:
        _close_box_and_restore_library(anki)


def test_choosing_the_home_folder_offers_the_polar_folder_in_it(anki, tmp_path, monkeypatch):
    from aqt.qt import QApplication, QFileDialog, QMessageBox, QTimer

    settings_dialog = _addon_module(anki, "settings_dialog")
    home = tmp_path / "home"
    polar = home / ".polar"
    (polar / "1Doc").mkdir(parents=True)
    (polar / "1Doc" / "state.json").write_text("{}")
    picks = [str(home)]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: picks.pop(0)))
    seen = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == "Use .polar")
        button.click()

    QTimer.singleShot(50, answer)
    assert settings_dialog.choose_folder(anki.mw, "") == str(polar)
    shown = seen[0].replace("\u2060", "")  # (the paths kept whole with word joiners: unbroken)
    assert str(home) in shown and str(polar) in shown

    # A folder that holds documents is taken without a question.
    picks.append(str(polar))
    assert settings_dialog.choose_folder(anki.mw, "") == str(polar)


def test_an_unpacked_export_chosen_as_the_folder_syncs_the_notes_already_there(anki, tmp_path, monkeypatch):
    """A user who unpacked Polar's export (a file manager, Archive Utility,
    7-Zip) and chose that folder with "Choose Polar data folder…": it was a
    question saying to choose the downloaded file instead, and nothing
    synced. Now it is taken without a question and read as the export: the
    notes the data folder made are the same notes (none new, none removed),
    and no watcher runs on it (an export does not change by itself)."""
    import tarfile

    from aqt.qt import QFileDialog

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    export = write_export(tmp_path / EXPORT_NAME, library_metas(anki.library))
    unpacked = tmp_path / EXPORT_NAME[: -len(".zip")]
    with tarfile.open(export) as tar:
        tar.extractall(unpacked)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(unpacked)))
    anki.settle()
    col = anki.mw.col
    guids = {col.get_note(nid).guid for nid in col.find_notes("")}
    try:
        before = anki.controller.runner.finished_count
        anki.menu_action("Choose Polar data folder…").trigger()  # no question: an open modal fails the test
        outcome = anki.wait_synced(before)
        report = outcome.report
        assert outcome.request.trigger == "manual" and not outcome.library_error and not outcome.failed
        assert (report.created, report.orphaned, report.deleted) == (0, 0, 0), report
        assert report.documents > 0 and not report.errors, report.errors
        assert {col.get_note(nid).guid for nid in col.find_notes("")} == guids
        assert _config(anki)["data_dir"] == str(unpacked)
        watcher = anki.controller.watcher  # an unpacked export does not change by itself
        assert watcher is None or (watcher.wait_started(30) and watcher.idle and watcher.backend is None)
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()
    assert anki.controller.watcher is not None


def test_a_file_picked_inside_an_unpacked_export_uses_the_export(anki, tmp_path, monkeypatch):
    """Use a Polar export… shows files: a user whose export is unpacked
    picks one of its files (here doc_meta/<id>.json); it was "is neither a
    Polar data directory nor a Polar export". The export's folder is used."""
    import tarfile

    from aqt.qt import QFileDialog

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    export = write_export(tmp_path / EXPORT_NAME, library_metas(anki.library))
    unpacked = tmp_path / EXPORT_NAME[: -len(".zip")]
    with tarfile.open(export) as tar:
        tar.extractall(unpacked)
    picked = sorted((unpacked / "doc_meta").iterdir())[0]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kw: (str(picked), "")))
    anki.settle()
    try:
        before = anki.controller.runner.finished_count
        anki.menu_action("Use a Polar export…").trigger()  # no warning box: an open modal fails the test
        outcome = anki.wait_synced(before)
        assert not outcome.library_error and not outcome.failed and not outcome.report.errors
        assert (outcome.report.created, outcome.report.orphaned) == (0, 0)
        assert _config(anki)["data_dir"] == str(unpacked)
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()


def test_a_folder_chosen_from_the_menu_syncs_as_asked(anki, tmp_path, monkeypatch):
    """Choosing the folder is asking for a sync: it runs at once, with its
    progress window and its result, as Sync from Polar does (it was a
    background sync, which waits while the person's last edit is fresh and
    opens no progress window)."""
    import shutil

    from aqt.qt import QFileDialog

    copy = tmp_path / "polar-copy"
    shutil.copytree(anki.library, copy)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(copy)))
    anki.set_config(watch=False)
    try:
        anki.settle()
        before = anki.controller.runner.finished_count
        anki.menu_action("Choose Polar data folder…").trigger()
        outcome = anki.wait_synced(before)
        assert outcome.request.trigger == "manual" and not outcome.library_error
        assert _config(anki)["data_dir"] == str(copy)
    finally:
        anki.set_config(data_dir=str(anki.library), watch=True)
        anki.settle()


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_missing_library_message_fits_400_px_in_every_language(anki, lang, monkeypatch):
    """It was a QMessageBox, which sizes itself: 450-608 px wide by the
    language of its buttons, and no narrower. Now its text wraps and its
    buttons stand one above the other when they do not fit; Enter still
    chooses the folder, Escape is Later, each button does what it did."""
    from aqt.qt import QApplication, QEvent, QKeyEvent, Qt

    controller = anki.controller
    chosen: list = []
    monkeypatch.setattr(controller, "choose_data_dir", lambda: chosen.append("folder"))
    monkeypatch.setattr(controller, "choose_export_zip", lambda: chosen.append("export"))

    def key(box, which) -> None:
        QApplication.sendEvent(box, QKeyEvent(QEvent.Type.KeyPress, which, Qt.KeyboardModifier.NoModifier))
        anki.anki.process(0.1)

    anki.mw.pm.setLang(lang)
    try:
        box = controller.show_library_missing(detail="No such file or directory")
        box.resize(400, 700)
        anki.anki.process(0.3)
        assert box.width() <= 400, box.width()
        buttons = box.buttons()
        assert len(buttons) == 3
        for button in buttons:  # each whole, inside the window
            assert button.isVisible() and button.width() >= button.sizeHint().width()
            right = button.mapTo(box, button.rect().topRight()).x()
            assert right <= box.width(), (button.text(), right)
        if len({b.mapTo(box, b.rect().topLeft()).y() for b in buttons}) > 1:  # stacked: as wide as the window
            assert len({b.width() for b in buttons}) == 1 and buttons[0].width() >= box.width() - 40
        box.resize(900, 600)  # wide again: side by side
        anki.anki.process(0.3)
        assert len({b.mapTo(box, b.rect().topLeft()).y() for b in buttons}) == 1

        key(box, Qt.Key.Key_Escape)  # Later
        assert _closed(box) and chosen == []
        box = controller.show_library_missing()
        anki.anki.process(0.1)
        key(box, Qt.Key.Key_Return)  # the default: choose the folder
        assert _closed(box) and chosen == ["folder"]
        box = controller.show_library_missing()
        anki.anki.process(0.1)
        words = _addon_module(anki, "i18n").tr("Use a Polar export…")
        export = next(b for b in box.buttons() if b.text() == words)
        export.click()
        anki.anki.process(0.1)
        assert _closed(box) and chosen == ["folder", "export"]
    finally:
        anki.mw.pm.setLang("en_US")
        _close_box_and_restore_library(anki)



@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_second_profiles_tooltip_fits_a_400_px_window_in_every_language(anki, lang, monkeypatch):
    """"Polar Sync leaves this profile alone: …" is two sentences; Anki's
    tooltip puts them on one line: 533 px (the screen's edge) over a 400 px
    Anki, the step to take ("use Tools ▸ Sync from Polar once") cut off.
    Wrapped to the window now, whole, its foot where Anki puts it."""
    from aqt import utils

    mw = anki.mw
    setup = _addon_module(anki, "setup")
    monkeypatch.setattr(setup.synclog, "append_log", lambda *args: None)  # (this profile's log stays as it is)
    shown: list = []  # (measured as it is shown: on a loaded machine another tooltip may replace it soon after)

    def measured(msg, *args, **kwargs) -> None:
        real(msg, *args, **kwargs)
        label = utils._tooltipLabel
        left = label.mapToGlobal(label.rect().topLeft()).x() - mw.mapToGlobal(mw.rect().topLeft()).x()
        shown.append((label.text(), label.width(), label.height(), label.heightForWidth(label.width()), left,
                      label.wordWrap()))

    real = setup.tooltip
    monkeypatch.setattr(setup, "tooltip", measured)
    size = mw.size()
    mw.pm.setLang(lang)
    try:
        mw.resize(400, 600)
        anki.settle()
        anki.controller._say_left_alone("Polar Test")
        ours = anki.anki.wait_until(lambda: [s for s in shown if "Polar Test" in _spaced(s[0])], 5, "the tooltip")
        text, width, height, needed, left, _ = ours[0]
        words = _addon_module(anki, "i18n").tr(
            "Polar Sync leaves this profile alone: your Polar library is synced into the profile “{profile}”. To "
            "have its cards here too, use Tools ▸ Sync from Polar once.", profile="Polar Test")
        # (In the user's language; its menu path kept whole with no-break spaces and word joiners: unbroken.)
        assert _spaced(html.escape(words)) in _spaced(text)
        assert "Tools ▸ Sync from Polar" not in text.replace("\u2060", "")  # (whole: no plain space beside "▸")
        assert lang == "en_US" or "Polar Sync leaves" not in words
        assert width <= mw.width(), (lang, width)
        assert needed <= height  # every line shown
        assert 0 <= left and left + width <= mw.width()
        measured("Polar Sync: 6 new notes.", parent=mw)
        assert not shown[-1][-1]  # a short one: as Anki draws it
    finally:
        utils.closeTooltip()
        mw.pm.setLang("en_US")
        mw.resize(size)


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_notice_fits_a_400_px_window_in_every_language(anki, lang):
    """The notice after a sync ("…; 1 text kept as in Anki. Click to see the
    report.") was one line like Anki's tooltip: cut off over a 400 px Anki
    ("1 text kept as" and no more, in English). Wrapped to the window now."""
    mw = anki.mw
    report_text = _addon_module(anki, "report_text")
    data = {"updated": 1, "unchanged": 5, "documents": 4, "conflicts": [
        {"path": "1Doc#c1", "message": "differs", "code": "unrecorded_anki", "field": "Back", "polar": "",
         "anki": "my own words", "note_id": 1, "document": "1Doc", "card": "c1"}]}
    size = mw.size()
    mw.pm.setLang(lang)
    try:
        mw.resize(400, 600)
        anki.settle()
        anki.anki.process(0.2)
        words = report_text.notice_text(data)
        notice = anki.controller.show_notice(f"<b>{html.escape(words)}</b>", lambda: None)
        anki.anki.process(0.2)
        assert html.escape(words) in notice.text()
        assert notice.width() <= mw.width(), (lang, notice.width())
        assert notice.heightForWidth(notice.width()) <= notice.height()  # every line shown
        left = notice.mapToGlobal(notice.rect().topLeft()).x() - mw.mapToGlobal(mw.rect().topLeft()).x()
        assert 0 <= left and left + notice.width() <= mw.width()
        top = notice.mapToGlobal(notice.rect().topLeft()).y() - mw.mapToGlobal(mw.rect().topLeft()).y()
        assert 0 <= top and top + notice.height() <= mw.height()  # (its foot where it was: inside the window)
        notice.close()
    finally:
        mw.pm.setLang("en_US")
        mw.resize(size)


@pytest.mark.parametrize("lang, size", [("en_US", (720, 560)), ("en_US", (400, 640)), ("de_DE", (400, 700))])
def test_a_first_syncs_report_shows_the_old_notes_it_was_opened_for(anki, lang, size):
    """A first sync of 300 documents over 2,000 notes of Polar's old sync:
    the notice says "135 notes from Polar's old sync to look at", and its
    report gave the rows above 160 px, the list of 5,000 changes the rest:
    the old notes' words and their "Show in Browser · Suspend them" links
    were below the fold (at 400 px even their heading's text). The rows that
    need a look now get the room they need; the list of changes keeps a part."""
    changes = [{"kind": "created", "change": "created", "deck": f"Deck {n % 30}", "document": f"d{n % 300}",
                "title": f"Doc {n % 300}", "note_id": n, "front": f"Q{n}", "card": f"c{n}"}
               for n in range(1, 3001)]
    data = {"created": 3000, "updated": 1865, "adopted": 1800, "paired": 65, "documents": 308, "parsed": 308,
            "errors": [], "conflicts": [], "warnings": [], "legacy_leftovers": list(range(10001, 10136)),
            "changes": changes}
    anki.mw.pm.setLang(lang)  # German: its buttons stack at 400 px, after the window's resize
    dialog = anki.controller.show_report(data, "Sync when the profile opens", 0)
    try:
        dialog.resize(760, 560)  # as last closed, say; then narrowed by the user
        anki.anki.process(0.3)
        dialog.resize(*size)
        anki.anki.process(0.3)
        browser = dialog.browser
        assert browser.verticalScrollBar().maximum() == 0, "the rows above must show whole"
        assert "polar-suspend:" in browser.toHtml() or "Suspend them" in browser.toPlainText()
        assert dialog.tree.height() >= 100, dialog.tree.height()
    finally:
        dialog.close()
        anki.mw.pm.setLang("en_US")


def _shown(tree, item) -> str:
    """What the tree draws of ``item``'s name, as Qt paints it: the
    delegate's text (``initStyleOption``), cut again by the tree's elide
    mode to the text's room when still too wide."""
    from aqt.qt import QStyle, QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect = tree.visualRect(tree.indexFromItem(item, 0))  # (visualItemRect: every column)
    option.font = tree.font()
    option.fontMetrics = tree.fontMetrics()
    delegate = tree.itemDelegate()
    if type(delegate).__module__.startswith("PyQt"):  # Qt's own delegate draws the item's text
        option.text = item.text(0)
    else:
        delegate.initStyleOption(option, tree.indexFromItem(item, 0))
    room = option.rect.width() - 2 * (tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, tree) + 1)
    return tree.fontMetrics().elidedText(option.text, tree.textElideMode(), room)


def test_sub_decks_in_a_narrow_report_keep_their_own_names(anki):
    """At 400 px in German the counts ("198 neue Notizen, 115 Notizen
    aktualisiert") leave the names ~85 px: cut at the right, seven sub-decks
    of one deck all read "computer sc…" ("compsci::…" in a first sync's
    report); cut in the middle, "compsci…orithms", "compsc…ystems". Cut at
    "::" now: each deck's own name whole ("…::algorithms"), the top deck
    kept when there is room ("computer science::…::databases"); the full
    name is the item's tooltip."""
    subs = ["algorithms", "compilers", "databases", "linux", "networking", "operating systems", "graphics"]
    decks = [f"computer science::{sub}" if n % 2 else f"computer science::{'systems' if n < 4 else 'theory'}::{sub}"
             for n, sub in enumerate(subs)]
    changes = [{"kind": kind, "change": kind, "deck": deck, "document": f"d{n}",
                "title": f"Doc {n}", "note_id": n * 1000 + k, "front": "Q", "card": f"c{n}-{k}"}
               for n, deck in enumerate(decks) for k in range(313) for kind in ["created" if k < 198 else "updated"]]
    data = {"created": 198 * len(subs), "updated": 115 * len(subs), "documents": len(subs), "errors": [],
            "conflicts": [], "warnings": [], "changes": changes}
    cut = {}
    for lang, size in (("de_DE", 400), ("en_US", 400), ("de_DE", 760)):
        anki.mw.pm.setLang(lang)
        dialog = anki.controller.show_report(data, "manual", 0)
        try:
            dialog.resize(size, 700)
            anki.anki.process(0.3)
            tree = dialog.tree
            items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
            shown = {item.text(0): _shown(tree, item) for item in items}
            assert sorted(shown) == sorted(decks)
            for deck, text in shown.items():
                leaf = deck.split("::")[-1]
                if "::" not in text:  # "…::" and the leaf too wide: the leaf alone, else cut in its middle
                    assert text.startswith(leaf[:3]) and text.endswith(leaf[-3:]), (lang, size, shown)
                    assert tree.fontMetrics().horizontalAdvance("…::" + leaf) > tree.columnWidth(0) - 30
                    continue
                assert text == deck or text.endswith("::" + leaf), (lang, size, shown)
                if text != deck:  # the parents cut at "::": the top deck kept, or the ones above the leaf
                    assert text.startswith(("computer science::…::", "…::")) and deck.endswith(text.split("…")[1])
            cut[lang, size] = sum(text != deck for deck, text in shown.items())
            assert all(item.toolTip(0) == item.text(0) for item in items)
        finally:
            dialog.close()
            anki.mw.pm.setLang("en_US")
    assert cut["de_DE", 400] > 0 and cut["de_DE", 760] < cut["de_DE", 400], cut


def test_a_preview_s_counts_leave_the_names_half_the_tree(anki):
    """At 400 px a preview's counts ("26 notes would be added, 13 notes
    would be updated") took the whole tree: the names' column was 0 px
    wide, no deck or document seen. The counts take at most half now, cut
    after a whole count ("26 notes would be added, …"), whole in their
    tooltip; the deck's own name beside them."""
    from aqt.qt import QStyle, QStyleOptionViewItem

    decks = ["computer science::algorithms", "computer science::operating systems", "Biology"]
    changes = [{"kind": kind, "change": kind, "deck": deck, "document": f"d{n}", "title": f"Doc {n}",
                "note_id": None if kind == "created" else n * 1000 + k, "front": "Q", "card": f"c{n}-{k}", "page": 2}
               for n, deck in enumerate(decks) for k in range(39) for kind in ["created" if k % 3 else "updated"]]
    data = {"dry_run": True, "created": 78, "updated": 39, "documents": 3, "errors": [], "conflicts": [],
            "warnings": [], "changes": changes}
    dialog = anki.controller.show_report(data, "preview", 0)
    try:
        dialog.resize(400, 700)
        anki.anki.process(0.3)
        tree = dialog.tree
        half = tree.viewport().width() // 2
        assert tree.columnWidth(1) <= half and tree.columnWidth(0) >= half - 1, (tree.columnWidth(0), half)
        items = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
        assert _shown(tree, items["computer science::algorithms"]).endswith("::algorithms")
        assert _shown(tree, items["Biology"]) == "Biology"
        item = items["Biology"]
        assert item.text(1) == "26 notes would be added, 13 notes would be updated" == item.toolTip(1)
        option = QStyleOptionViewItem()
        option.rect = tree.visualRect(tree.indexFromItem(item, 1))
        tree.itemDelegate().initStyleOption(option, tree.indexFromItem(item, 1))
        room = option.rect.width() - 2 * (tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                                                       tree) + 1)
        assert option.text == "26 notes would be added, …", option.text  # a whole count, then "…"
        assert tree.fontMetrics().horizontalAdvance(option.text) <= room
        # Wider, the counts have their room again, whole (sized once to their cut text, they stayed cut).
        dialog.resize(760, 700)
        anki.anki.process(0.3)
        option = QStyleOptionViewItem()
        option.rect = tree.visualRect(tree.indexFromItem(item, 1))
        tree.itemDelegate().initStyleOption(option, tree.indexFromItem(item, 1))
        assert option.text == item.text(1) and _shown(tree, items["computer science::operating systems"]) \
            == "computer science::operating systems"
    finally:
        dialog.close()


def test_a_deck_s_name_is_cut_at_its_parents_first():
    """The cut itself (``report_text.deck_shown``), measured in characters:
    the deck's own name whole while it fits, the top deck kept before the
    one above the leaf when both cannot be; the leaf alone too wide is cut in
    its middle."""
    from addon.gui.report_text import deck_shown

    def cut(name: str, room: int) -> str:
        half = room // 2
        return deck_shown(name, lambda text: len(text) <= room, lambda leaf: leaf[:half] + "…" + leaf[-half:])

    assert cut("compsci::algorithms", 40) == "compsci::algorithms"
    assert cut("compsci::algorithms", 15) == "…::algorithms"
    assert cut("cs::systems::operating systems", 29) == "…::systems::operating systems"
    assert cut("cs::systems::operating systems", 25) == "cs::…::operating systems"
    assert cut("cs::systems::operating systems", 23) == "…::operating systems"
    assert cut("a::b::c::d", 9) == "…::c::d" and cut("a::b::c::d", 6) == "…::d"
    assert cut("compsci::operating systems", 10) == "opera…stems"
    assert cut("operating systems", 10) == "opera…stems"


def test_the_settings_name_the_profile_s_default_deck_when_anki_calls_it_otherwise(anki):
    """Polar's "Default" goes to the profile's default deck, "Standard" in a
    German profile (or one the user renamed): the field said "Default" and
    nothing told that no deck of that name would be made."""
    from aqt.qt import QLabel

    col = anki.mw.col
    deck = col.decks.get(1)
    before = deck["name"]
    dialog = anki.controller.open_settings()
    try:
        helps = [w.text() for w in dialog.findChildren(QLabel)]
        assert "For documents that have no deck: tag." in helps  # "Default" is called "Default": as before
        assert not [t for t in helps if "called" in t and "here" in t]
    finally:
        dialog.reject()
    col.decks.rename(deck, "Standard")
    try:
        dialog = anki.controller.open_settings()
        try:
            helps = [w.text() for w in dialog.findChildren(QLabel)]
            assert ("For documents that have no deck: tag. “Default” is this profile's default deck, called "
                    "“Standard” here.") in helps
        finally:
            dialog.reject()
        # A deck called "Default" beside it (Polar's old sync made one): that is the one, no hint.
        other = col.decks.id("Default")
        try:
            dialog = anki.controller.open_settings()
            try:
                helps = [w.text() for w in dialog.findChildren(QLabel)]
                assert "For documents that have no deck: tag." in helps
            finally:
                dialog.reject()
        finally:
            col.decks.remove([other])
    finally:
        col.decks.rename(col.decks.get(1), before)
        anki.settle()


# The widest figures a background sync's steps say (a big import, an update of every note).
_STEPS = ("Reading Polar documents… 1,234/1,234", "Adding notes… 19,652/19,652", "Updating notes… 50,000/50,000",
          "Reading the Polar export… 1,234 of 5,678 MB (100%)")


def _tooltip_lines(label) -> list:
    """The lines Qt lays the tooltip's text out in, as the label lays them
    (a QTextDocument of its text, its font, no margin of its own; wrapped
    at the label's width inside its frame when the label wraps)."""
    from aqt.qt import QTextDocument

    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(label.font())
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width() - 2 * label.margin() if label.wordWrap() else -1)
    doc.documentLayout().documentSize()  # (laid out now)
    lines, block = [], doc.begin()
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart():line.textStart() + line.textLength()].strip())
        block = block.next()
    return [line for line in lines if line]


def _shoot_tooltip(anki, indicator, words, lang: str) -> None:
    """With $POLAR_SYNC_SHOTS: the tooltip of "Adding notes…" over the
    400 px window, light and night, English and German (to look at)."""
    import os
    from pathlib import Path

    import aqt.utils
    from aqt.theme import Theme

    folder = os.environ.get("POLAR_SYNC_SHOTS")
    if not folder or lang not in ("en_US", "de_DE"):
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    try:
        for name, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
            anki.mw.set_theme(theme)
            indicator.show_now(words.progress_words("Adding notes… 4,000/19,652"))
            anki.anki.process(0.3)
            label = aqt.utils._tooltipLabel
            label.grab().save(str(Path(folder) / f"quiet-tooltip-{lang[:2]}-{name}-400.png"))
            indicator.end()
            label.hide()
    finally:
        anki.mw.set_theme(Theme.LIGHT)


def _spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2060", "")  # (and unbroken's joiners)


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_a_background_syncs_progress_keeps_its_figures_with_their_words_at_400_px(anki, lang):
    """The tooltip of a background sync over a 400 px Anki wrapped before
    its figures: "…, in the background: Adding notes…" on one line,
    "19,652/19,652" alone on the next. Each step (its widest figures),
    laid out by Qt in the tooltip as shown: the step whole on one line,
    inside the window; and the menu entry that stops it whole ("Detener
    la | sincronización")."""
    import importlib

    import aqt.utils
    from aqt.qt import QFontMetrics

    package = anki.anki.addon.__name__.rsplit(".", 1)[0]
    quiet_progress = importlib.import_module(package + ".quiet_progress")
    words = importlib.import_module(package + ".report_text")
    i18n = importlib.import_module(package + ".i18n")
    mw = anki.mw
    anki.settle()
    width = mw.width()
    mw.pm.setLang(lang)
    mw.resize(400, mw.height())
    anki.anki.process(0.3)
    indicator = quiet_progress.QuietProgress(mw)
    wide = []
    try:
        assert mw.width() == 400
        for message in (*_STEPS, "Stopping the sync…"):
            step = words.progress_words(message) if message in _STEPS else i18n.tr(message)
            indicator.show_now(step)
            anki.anki.process(0.1)
            if aqt.utils._tooltipLabel is None:  # (closed meanwhile by the session's Anki: the last sync's notice)
                indicator.show_now(step)
                anki.anki.process(0.1)
            label = aqt.utils._tooltipLabel
            assert label is not None and label.isVisible()
            lines = [_spaced(line) for line in _tooltip_lines(label)]
            step = _spaced(step)
            # Its figures with the word before them, always; the whole step
            # on one line when it fits one (all but Spanish's export: 1 of 28).
            figures = re.search(r"\S+ [\d(].*$", step)
            if figures is not None and re.search("[\u3040-\u30ff\u4e00-\u9fff]", figures.group()):
                # Japanese and Chinese (no space between words: the "word" is all of them):
                # the words whole on a line, the figures whole on one (cjk: a 400 px
                # Japanese tooltip left "Polar" alone on a line).
                words_part, figures_part = re.match(r"(.*?) ([\d(].*)$", step).groups()
                assert any(words_part in line for line in lines) and any(
                    line.endswith(figures_part) for line in lines), (step, lines)
            else:
                assert figures is None or any(line.endswith(figures.group()) for line in lines), (step, lines)
            if QFontMetrics(label.font()).horizontalAdvance(step) <= label.contentsRect().width() - 2 * 10 - 8:
                assert any(line.endswith(step) for line in lines), (step, lines)
            else:
                wide.append(step)
            if message != "Stopping the sync…":  # (and the way to stop it, the menu path whole on one line)
                how = _spaced(i18n.tr("To stop it: Tools ▸ Polar Sync ▸ {stop}", stop=i18n.tr("Stop the sync")))
                path = re.search(r"[^\s:：]+ ▸ Polar Sync ▸ .*$", how).group()
                assert any(line.endswith(path) for line in lines), (path, lines)
            assert label.width() <= 400 - 16, label.width()
            indicator.end()
            label.hide()  # (Anki's closeTooltip leaves it to deleteLater, which the session's waits never run)
        assert len(wide) <= 1, wide
        _shoot_tooltip(anki, indicator, words, lang)
    finally:
        indicator.end()
        mw.pm.setLang("en_US")
        mw.resize(width, mw.height())
        anki.anki.process(0.2)


def _export_refused(anki, lang: str, chosen, shot: str, monkeypatch):
    """Use a Polar export… with ``chosen`` in Anki's ``lang``: the refusal
    box's (head, reason) and i18n's ``tr``; the export chooser answered ""
    (nothing taken). With $POLAR_SYNC_SHOTS: the box's picture
    (<shot>-<lang>.png)."""
    import os
    from pathlib import Path

    from aqt.qt import QApplication, QFileDialog, QMessageBox, QTimer

    settings_dialog = _addon_module(anki, "settings_dialog")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(chosen), "")))
    seen = []

    def refuse() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, refuse)
            return
        seen.append(box.text().replace("\u2060", ""))
        folder = os.environ.get("POLAR_SYNC_SHOTS")
        if folder:
            anki.anki.process(0.3)
            box.grab().save(str(Path(folder) / f"{shot}-{lang[:2]}.png"))
        box.close()

    anki.mw.pm.setLang(lang)
    try:
        QTimer.singleShot(20, refuse)
        assert settings_dialog.export_chosen(anki.mw, "") == ""
    finally:
        anki.mw.pm.setLang("en_US")
    head, reason = seen[0].split("\n\n")
    return head, reason, _addon_module(anki, "i18n").tr


@pytest.mark.parametrize("lang", ["en_US", "de_DE"])
def test_an_export_that_cannot_be_opened_is_refused_in_the_reader_s_words(anki, lang, tmp_path, monkeypatch):
    """Use a Polar export… with a download cut short at its start: the box
    said "… kann nicht geöffnet werden: the archive cannot be opened (the
    archive is truncated)" to a German reader. Now the archive's reason is in
    Anki's language too (export-unopenable-<lang>.png)."""
    cut = tmp_path / "polar-export.zip"
    cut.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6)
    try:
        head, reason, tr = _export_refused(anki, lang, cut, "export-unopenable", monkeypatch)
        anki.mw.pm.setLang(lang)  # (tr in the box's language)
        assert head == tr("Polar Sync cannot use this file.") and str(cut) in reason, (head, reason)
        assert reason.endswith(tr("the archive cannot be opened ({reason})", reason=tr("the archive is truncated")))
        assert ("truncated" in reason) == lang.startswith("en"), reason
    finally:
        anki.mw.pm.setLang("en_US")


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_a_file_that_is_no_polar_export_is_refused_in_the_reader_s_words(anki, lang, tmp_path, monkeypatch):
    """Use a Polar export… with a file that is none: "Polar Sync cannot use
    this file." was followed by the core's reason in English in every
    language ("… is neither a Polar data directory nor a Polar export …").
    Now the reason is in Anki's language too, naming the file
    (source-error-<lang>.png)."""
    notes = tmp_path / "notes.zip"
    notes.write_text("not an archive")
    try:
        head, reason, tr = _export_refused(anki, lang, notes, "source-error", monkeypatch)
        anki.mw.pm.setLang(lang)  # (tr in the box's language)
        assert head == tr("Polar Sync cannot use this file.") and str(notes) in reason, (head, reason)
        english = "is neither a Polar data directory nor a Polar export"
        assert (english in reason) == lang.startswith("en"), reason
        assert reason == tr("{file} is neither a Polar data directory nor a Polar export (a .zip, .tar.gz or "
                            ".tar archive)", file=str(notes))
    finally:
        anki.mw.pm.setLang("en_US")


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "ja_JP"])
def test_a_pipe_chosen_as_an_export_is_refused_in_the_reader_s_words(anki, lang, tmp_path, monkeypatch):
    """Use a Polar export… with a pipe (FIFO): "Polar Sync cannot use this
    file." was followed by "… is a pipe (FIFO), not a folder or a regular
    file, …" in English in every language (leftmain gave the other reasons
    words). Now in Anki's language, naming the file; the pipe never opened
    (special-file-<lang>.png)."""
    import os

    pipe = tmp_path / "polar-export.zip"
    os.mkfifo(pipe)
    try:
        head, reason, tr = _export_refused(anki, lang, pipe, "special-file", monkeypatch)
        anki.mw.pm.setLang(lang)  # (tr in the box's language)
        assert head == tr("Polar Sync cannot use this file.") and str(pipe) in reason, (head, reason)
        assert ("is a pipe (FIFO)" in reason) == lang.startswith("en"), reason
        assert reason == tr("{file} is a pipe (FIFO), not a folder or a regular file, so it is not read as a "
                            "Polar data directory or export", file=str(pipe))
    finally:
        anki.mw.pm.setLang("en_US")


def test_a_note_s_front_in_a_narrow_report_is_cut_before_its_page(anki):
    """At 400 px a note's row was cut in its middle by the tree: "Question
    …(page 1)" (the space before the page eaten; notes whose questions
    begin alike all read the same). The front is cut at its end now, its
    page kept whole after it ("Question 8 of ch… (page 3)"); the whole front
    in the tooltip (eyes75)."""
    fronts = [f"Question {k + 1} of chapter one, about the cell's membrane and what crosses it?" for k in range(4)]
    changes = [{"kind": "created", "change": "created", "deck": "Biology::Cells", "document": "d0",
                "title": "Molecular Biology of the Cell", "note_id": 1000 + k, "front": front, "card": f"c{k}",
                "page": 3 + k} for k, front in enumerate(fronts)]
    data = {"created": 4, "documents": 1, "errors": [], "conflicts": [], "warnings": [], "changes": changes}
    for lang, page in (("en_US", "(page {})"), ("de_DE", "(Seite {})")):
        anki.mw.pm.setLang(lang)
        dialog = anki.controller.show_report(data, "manual", 0)
        try:
            dialog.resize(400, 700)
            anki.anki.process(0.3)
            tree = dialog.tree
            deck = tree.topLevelItem(0)
            deck.setExpanded(True)
            deck.child(0).setExpanded(True)
            anki.anki.process(0.3)
            notes = [deck.child(0).child(i) for i in range(deck.child(0).childCount())]
            shown = [_shown(tree, note) for note in notes]
            assert len(shown) == 4, shown
            for k, text in enumerate(shown):
                # The front's start, then its page whole: not cut in the middle
                # ("Question 1 of cha…it? (page 3)", "Question …(page 3)").
                start, _, rest = text.partition("…")
                assert rest == " " + page.format(3 + k), (lang, shown)
                assert fronts[k].startswith(start) and start.startswith(f"Question {k + 1} of"), (lang, shown)
        finally:
            dialog.close()
            anki.mw.pm.setLang("en_US")
