"""A big library's report says a thing once (eyes11). Twelve documents whose
files Polar left damaged got the same two lines of advice twelve times, the
books' names lost between them, and the window's upper part showed two of
them. Rows that say the same thing now say it once, then "The same for N
more:" and the others by name, each with its file. Real Anki, a real sync of
a real library."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import time

import pytest

from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

KEYS = tuple(f"1GroupsDamaged{i:07d}" for i in range(12))
GOOD = "1GroupsConflict000001"


def _aged(path) -> None:
    """Written a minute ago: a file cut short seconds ago is still being
    written to the GUI's syncs (read.WRITING_NS), read again, not damaged."""
    old = time.time() - 60
    os.utime(path, (old, old))


def _damaged_library(anki) -> None:
    for i, key in enumerate(KEYS):
        doc = Doc(anki.library, key, title=f"Damaged book {i}", tags=["deck:Groups"])
        doc.card(f"1GrpDmg{i}", basic(f"<p>Question {i}</p>", "<p>Answer</p>"))
        doc.write(atomic=True)
        doc.path.write_bytes(doc.path.read_bytes()[:200])  # cut short, as after a crash mid-save
        _aged(doc.path)


@pytest.mark.parametrize("language", ["en", "de"])
def test_damaged_files_of_a_big_library_are_told_once_and_each_named(anki, language):
    anki.settle()
    anki.set_config(watch=False)
    anki.mw.pm.setLang({"en": "en_US", "de": "de_DE"}[language])  # Preferences ▸ Language does this
    dialog = None
    try:
        _damaged_library(anki)
        c = anki.controller
        done = c.runner.finished_count
        c.runner.request("manual")
        outcome = anki.wait_synced(done)
        data = outcome.report.to_dict(outcome.change_rows)
        assert sum(1 for r in data["errors"] if r.get("document") in KEYS) == 12
        dialog = c.show_report(data, "manual", outcome.finished, outcome.changes)
        dialog.resize(400, 700)
        anki.anki.process(0.2)
        text = dialog.browser.toPlainText().replace("\u2060", "")  # (paths kept whole: unbroken)
        advice = {"en": "The file is damaged or was cut short.",
                  "de": "Die Datei ist beschädigt oder wurde abgeschnitten."}[language]
        assert text.count(advice) == 1, text
        # (11, or more when another test of the session left a damaged file of its own)
        same = {"en": r"The same for (\d+) more:", "de": r"Ebenso bei (\d+) weiteren:"}[language]
        assert int(re.findall(same, text)[0]) >= 11, text
        for i, key in enumerate(KEYS):  # each one named, with its file
            assert len(re.findall(f"Damaged book {i}[”“]", text)) == 1, text
            assert f"{key}/state.json" in text
        # The others one line each: the name and the file (the same technical words not again).
        assert text.count("line 1 column 201 (char 200)") == 1, text
        # Told once, the problems take a third of the room they took (3,908 characters).
        assert len(text) < 1800, len(text)
        # The sync log's entry in the user's words says it once too.
        synclog = importlib.import_module(type(c).__module__.rsplit(".", 1)[0] + ".synclog")
        entry = anki.anki.wait_until(lambda: next((e for e in synclog.read_log() if "Damaged book 11" in e), None),
                                     what="the sync's log entry")
        assert entry.count(advice) == 1, entry
        # The rows in the user's words come right after the gist, above the technical lines (in English too).
        lines = entry.splitlines()
        assert lines[2].strip() == {"en": "Problems", "de": "Probleme"}[language] + f" ({len(data['errors'])})", lines
        assert entry.index(advice) < entry.index("line 1 column 201 (char 200)"), entry
        assert re.findall(same, entry) and all(f"Damaged book {i}" in entry for i in range(12)), entry
    finally:
        if dialog is not None:
            dialog.close()
        for key in KEYS:
            shutil.rmtree(anki.library / key, ignore_errors=True)
        anki.set_config(watch=True)
        anki.mw.pm.setLang("en_US")
    anki.settle()


def test_conflicts_are_never_said_to_be_the_same(anki):
    """Two conflicts of one note type say the same words, but each has its own
    two versions: each is shown in full."""
    from addon.gui.report_dialog import report_html

    rows = [{"path": f"1Doc/state.json#c{i}", "code": "edited_both", "message": "edited in both",
             "polar": f"polar {i}", "anki": f"anki {i}", "title": "Book"} for i in range(3)]
    html = report_html({"conflicts": rows}, "manual", 0)
    assert "The same for" not in html
    assert all(f"polar {i}" in html and f"anki {i}" in html for i in range(3))


def test_an_emptied_file_is_named_by_the_title_polars_backup_keeps(anki):
    """A state.json left empty (or garbled from its first byte) keeps no
    title: the report named it "document 1GroupsEmp…", a key the user
    cannot find in Polar. Polar's own .backup-YYYY-MM-DD snapshots keep the
    document as it was: the newest one that names it gives its title."""
    anki.settle()
    anki.set_config(watch=False)
    key, dialog = "1GroupsEmptied0000001", None
    backups = [anki.library / ".backup-2020-05-01", anki.library / ".backup-2020-06-01"]
    try:
        for folder, title in zip(backups, ("Thinking, Fast and Slow (draft)", "Thinking, Fast and Slow")):
            doc = Doc(folder, key, title=title)
            doc.card("1GrpEmp1", basic("<p>What is System 1?</p>", "<p>Fast thinking.</p>"))
            doc.write(atomic=True)
        (anki.library / key).mkdir()
        (anki.library / key / "state.json").write_bytes(b"")
        _aged(anki.library / key / "state.json")
        c = anki.controller
        done = c.runner.finished_count
        c.runner.request("manual")
        outcome = anki.wait_synced(done)
        data = outcome.report.to_dict(outcome.change_rows)
        row = next(r for r in data["errors"] if r.get("document") == key)
        assert row["title"] == "Thinking, Fast and Slow", row  # the newest backup's
        dialog = c.show_report(data, "manual", outcome.finished, outcome.changes)
        anki.anki.process(0.2)
        text = dialog.browser.toPlainText()
        assert "“Thinking, Fast and Slow”" in text and "document 1Groups" not in text, text
    finally:
        if dialog is not None:
            dialog.close()
        for folder in backups + [anki.library / key]:
            shutil.rmtree(folder, ignore_errors=True)
        anki.set_config(watch=True)
    anki.settle()


def test_documents_left_out_are_told_why(anki):
    """The report said "1 left out (archived or polar-sync:skip)" for a
    document tagged polar-sync:skip, though archived documents are synced
    unless the setting says otherwise (the default): it now says which."""
    anki.settle()
    anki.set_config(watch=False)
    keys = ("1GroupsSkipTagged0001", "1GroupsArchived000001")
    try:
        tagged = Doc(anki.library, keys[0], title="Tagged", tags=["polar-sync:skip"])
        tagged.card("1GrpSkp1", basic("<p>Skipped?</p>", "<p>Yes</p>"))
        archived = Doc(anki.library, keys[1], title="Archived")
        archived.meta["docInfo"]["archived"] = True
        archived.card("1GrpArc1", basic("<p>Archived?</p>", "<p>Yes</p>"))
        c = anki.controller
        texts = []
        for skip_archived in (False, True):
            anki.set_config(skip_archived=skip_archived)
            anki.settle()  # (a changed setting syncs by itself)
            for doc in (tagged, archived):  # changed, so read by this sync
                doc.meta["docInfo"]["lastUpdated"] = f"202{int(skip_archived)}-01-01T00:00:00.000Z"
                doc.write(atomic=True)
            done = c.runner.finished_count
            c.runner.request("manual")
            outcome = anki.wait_synced(done)
            data = outcome.report.to_dict(outcome.change_rows)
            dialog = c.show_report(data, "manual", outcome.finished, outcome.changes)
            anki.anki.process(0.2)
            texts.append(dialog.browser.toPlainText().replace("\u2060", ""))  # (less unbroken.py's joiners)
            dialog.close()
        assert "1 left out, tagged polar-sync:skip in Polar." in texts[0], texts[0]
        assert "archived" not in texts[0]
        assert "1 left out, tagged polar-sync:skip in Polar, 1 left out, archived in Polar." in texts[1], texts[1]
    finally:
        for key in keys:
            shutil.rmtree(anki.library / key, ignore_errors=True)
        anki.set_config(watch=True, skip_archived=False)
    anki.settle()


HEBREW, ARABIC = "מבוא לתורת הקבוצות — הרצאות", "مقدمة في الخوارزميات"


def _directions(document) -> list:
    """(text, direction) of each block of a QTextDocument, as Qt lays it out."""
    out, block = [], document.begin()
    while block.isValid():
        out.append((block.text(), block.textDirection()))
        block = block.next()
    return out


def test_rows_of_hebrew_and_arabic_titles_read_left_to_right(anki):
    """A row that began with a Hebrew or Arabic title ("“מבוא…”") was laid
    out right to left by Qt: the advice below it right-aligned, the
    quotation marks and full stop on the wrong side; so was the sync log's
    line and a message such as "“מבוא…” is not on this computer any more."
    Now they run left to right, as the user's language does, the title
    within them as it is written."""
    from aqt.qt import Qt, QTextDocument

    anki.settle()
    anki.set_config(watch=False)
    keys, dialog = ("1GroupsHebrew00000001", "1GroupsArabic00000001"), None
    try:
        hebrew = Doc(anki.library, keys[0], title=HEBREW)
        hebrew.card("1GrpHeb1", basic("<p>שאלה</p>", "<p>תשובה</p>"))
        hebrew.write(atomic=True)
        hebrew.path.write_bytes(hebrew.path.read_bytes()[:300])  # damaged, its title still readable
        _aged(hebrew.path)
        arabic = Doc(anki.library, keys[1], title=ARABIC)
        arabic.card("1GrpAra1", basic("<p></p>", "<p>جواب</p>"), page=3)  # an empty front: not synced
        arabic.write(atomic=True)
        c = anki.controller
        done = c.runner.finished_count
        c.runner.request("manual")
        outcome = anki.wait_synced(done)
        data = outcome.report.to_dict(outcome.change_rows)
        assert {r.get("document") for r in data["errors"]} >= set(keys), data["errors"]
        dialog = c.show_report(data, "manual", outcome.finished, outcome.changes)
        anki.anki.process(0.2)
        blocks = _directions(dialog.browser.document())
        rows = [(text, way) for text, way in blocks if HEBREW in text or ARABIC in text]
        assert len(rows) >= 2, blocks
        assert all(way == Qt.LayoutDirection.LeftToRight for _, way in rows), rows
        # The sync log's lines.
        synclog = importlib.import_module(type(c).__module__.rsplit(".", 1)[0] + ".synclog")
        entry = anki.anki.wait_until(lambda: next((e for e in synclog.read_log() if HEBREW in e), None),
                                     what="the sync's log entry")
        log = QTextDocument()
        log.setPlainText(entry)
        lines = [(text, way) for text, way in _directions(log) if HEBREW in text or ARABIC in text]
        assert lines and all(way == Qt.LayoutDirection.LeftToRight for _, way in lines), lines
        # A message the add-on's words make around a title (the source link's tooltip).
        i18n = importlib.import_module(type(c).__module__.rsplit(".", 1)[0] + ".i18n")
        words = QTextDocument()
        words.setHtml(i18n.tr("“{title}” is not on this computer any more.", title=HEBREW))
        assert _directions(words)[0][1] == Qt.LayoutDirection.LeftToRight
        assert i18n.tr("“{text}”", text=HEBREW) == f"“{HEBREW}”"  # a bare name keeps its own direction
    finally:
        if dialog is not None:
            dialog.close()
        for key in keys:
            shutil.rmtree(anki.library / key, ignore_errors=True)
        anki.set_config(watch=True)
    anki.settle()


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_every_choice_of_the_settings_drop_downs_shows_whole_at_400_px(anki, lang):
    """At 400 px the German drop-down for the deck read "Aus dem deck:-Schlagwort des
    Dokuments (wie", cut off mid-phrase (Qt clips a combo box's text); Spanish,
    French and Portuguese too. Each choice, when chosen, shows whole."""
    from aqt.qt import QComboBox, QStyle, QStyleOptionComboBox

    anki.mw.pm.setLang(lang)
    try:
        dialog = anki.controller.open_settings()
        dialog.resize(400, 640)
        anki.anki.process(0.3)
        cut = []
        for combo in dialog.findChildren(QComboBox):
            option = QStyleOptionComboBox()
            combo.initStyleOption(option)
            field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                                 QStyle.SubControl.SC_ComboBoxEditField, combo)
            for i in range(combo.count()):
                text = combo.itemText(i)
                if combo.fontMetrics().horizontalAdvance(text) > field.width():
                    cut.append((text, combo.fontMetrics().horizontalAdvance(text), field.width()))
        dialog.reject()
        assert not cut, cut
    finally:
        anki.mw.pm.setLang("en_US")


@pytest.mark.parametrize("lang", ["en_US", "zh_CN"])
def test_the_settings_lines_keep_their_room_when_the_window_is_narrowed(anki, lang):
    """Opened at its usual width and then narrowed to 400 px, the window
    gave some help lines the height they had had at the wider width: in
    English "On the answer, when the document is on this computer: …" had
    43 px of the 62 its four lines take, its last line drawn under the next
    check box; Chinese likewise. Every wrapped line has its room again."""
    from aqt.qt import QLabel

    anki.mw.pm.setLang(lang)
    try:
        dialog = anki.controller.open_settings()
        dialog.resize(560, 700)
        anki.anki.process(0.5)
        dialog.resize(400, 700)
        anki.anki.process(0.5)
        short = [(label.text()[:40], label.height(), label.heightForWidth(label.width()))
                 for label in dialog.findChildren(QLabel)
                 if label.wordWrap() and label.isVisible() and label.height() < label.heightForWidth(label.width())]
        wrapped = [label for label in dialog.findChildren(QLabel) if label.wordWrap() and label.isVisible()]
        dialog.reject()
        assert len(wrapped) > 20  # the help lines and the check boxes' words
        assert not short, short
    finally:
        anki.mw.pm.setLang("en_US")
