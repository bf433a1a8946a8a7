"""Paths kept whole in every window a person reads, not only the report
(unbroken2): the library-missing message, the settings' folder question,
Anki's tooltips with the add-on's words, and the quiet sync's way to stop.
On main none of them went through ``unbroken``: the 400 px library-missing
message broke "Tools ▸ | Polar Sync" and a folder path after a slash, and the
quiet tooltip kept a Japanese or Chinese path whole only by chance (``<nobr>``
holds no CJK word). Real Anki, the built add-on."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from addon.gui import unbroken
from tests.gui.qt_lines import line_starts

LANGS = ["en_US", "de_DE", "es_ES", "pt_BR", "ja_JP", "zh_CN"]


def _addon_module(anki: Any, name: str) -> Any:
    import importlib

    package = type(anki.controller).__module__.rsplit(".", 1)[0]  # the installed add-on's gui package
    return importlib.import_module(f"{package}.{name}")


@pytest.fixture
def short_dir() -> Any:
    """A folder with a short path (pytest's tmp_path is longer than a line
    holds whole): /tmp/ubXXXXXXXX."""
    made = Path(tempfile.mkdtemp(prefix="ub", dir="/tmp"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def _broken_paths(markup: str, font: Any, width: int, names: Tuple[str, ...]) -> List[str]:
    """Laid out by Qt as a label lays it out (``font``, ``width``): every
    place a line began inside a path that fits a line."""
    from aqt.qt import QTextDocument

    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(markup)
    doc.setTextWidth(width)
    broken = []
    for block, starts in line_starts(doc):
        plain = block.replace(unbroken.WJ, "").replace(unbroken.ZWSP, "")
        places = [p - block[:p].count(unbroken.WJ) - block[:p].count(unbroken.ZWSP) for p in starts]
        spans = [m.span() for m in unbroken._path_pattern(names).finditer(plain.replace(unbroken.NBSP, " "))]
        spans += [m.span() for m in unbroken._WIN_PATH.finditer(plain.replace(unbroken.NBSP, " "))]
        spans += [m.span() for m in unbroken._TOKEN.finditer(plain)]
        for a, b in spans:
            if unbroken.units(plain[a:b]) <= unbroken.WHOLE:
                broken += [plain[a:p] + "|" + plain[p:b] for p in places if a < p < b]
    return broken


@pytest.mark.parametrize("lang", LANGS)
def test_the_library_missing_message_keeps_its_paths_whole(anki, lang, short_dir):
    """The message for a missing library at 400 to 640 px: its folder path
    and its menu paths never broken inside, as Qt lays its label out."""
    from aqt.qt import QLabel

    gone = short_dir / "polar-data" / ".polar"  # (a short path of a person's own, a hyphen in it)
    i18n = _addon_module(anki, "i18n")
    anki.mw.pm.setLang(lang)
    try:
        anki.set_config(data_dir=str(gone), watch=False)
        anki.settle()
        box = anki.controller.show_library_missing(detail="No such file or directory")
        assert box is not None
        names = unbroken.menu_names(i18n.current(), i18n.tr)
        label: QLabel = box.label
        assert unbroken.plain(label.text()).replace(unbroken.NBSP, " ") == box.text().replace(unbroken.NBSP, " ")
        broken = []
        for width in range(400, 641, 20):
            box.resize(width, 700)
            anki.anki.process(0.05)
            broken += [(width, place) for place in _broken_paths(label.text(), label.font(), label.width(), names)]
        assert not broken, broken[:8]
        box.close()
    finally:
        anki.mw.pm.setLang("en_US")
        anki.set_config(data_dir=str(anki.library), watch=True)
        anki.settle()


# A Windows user's Polar folder (winpaths): a drive's with a space in a folder's name, short enough
# to be kept whole; a share's (UNC), too long for a line.
WIN_SHORT = "C:\\Users\\Ana Maria\\.polar"
UNC_LONG = "\\\\fileserver\\Shared Folders\\Ana Maria\\Documents\\polar-data"


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "ja_JP", "zh_CN"])
def test_the_library_missing_message_keeps_a_windows_path_whole(anki, lang):
    """The message for a missing library whose folder is a Windows path, at
    400 to 640 px: a short one never broken inside (main: "Ana |Maria",
    "C:|\\Users"), a long one broken only after a "\\" inside it (main:
    anywhere, "Ana |Maria", "polar-|data"), as Qt lays the label out; the
    label's words the message's, less the joiners."""
    from aqt.qt import QLabel

    i18n = _addon_module(anki, "i18n")
    anki.mw.pm.setLang(lang)
    try:
        broken, inside = [], 0
        for folder in (WIN_SHORT, UNC_LONG):
            anki.set_config(data_dir=folder, watch=False)
            anki.settle()
            box = anki.controller.show_library_missing()
            assert box is not None
            label: QLabel = box.label
            assert folder in box.text()
            assert unbroken.plain(label.text()).replace(unbroken.NBSP, " ") == box.text().replace(unbroken.NBSP, " ")
            names = unbroken.menu_names(i18n.current(), i18n.tr)
            for width in range(400, 641, 20):
                box.resize(width, 700)
                anki.anki.process(0.05)
                broken += [(width, place) for place in _broken_paths(label.text(), label.font(), label.width(), names)]
                doc_starts = _line_starts_in(label.text(), label.font(), label.width())
                at = doc_starts[0].find(folder)
                for p in doc_starts[1]:
                    if folder == UNC_LONG and at < p < at + len(folder):
                        inside += 1
                        if not (doc_starts[0][p - 1] == "\\" and doc_starts[0][p - 2] not in ":\\"):
                            broken.append((width, doc_starts[0][max(at, p - 12):p] + "|" + doc_starts[0][p:p + 12]))
            box.close()
        assert not broken, broken[:8]
        assert inside > 0  # (the long one did need to break)
    finally:
        anki.mw.pm.setLang("en_US")
        anki.set_config(data_dir=str(anki.library), watch=True)
        anki.settle()


def _line_starts_in(markup: str, font: Any, width: int) -> Tuple[str, List[int]]:
    """The block holding the folder's path, without joiners (its text, where
    its lines began), laid out as the label lays it out."""
    from aqt.qt import QTextDocument

    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(markup)
    doc.setTextWidth(width)
    for block, starts in line_starts(doc):
        if "\\" in block:
            gone = (unbroken.WJ, unbroken.ZWSP)
            places = [p - sum(block[:p].count(c) for c in gone) for p in starts]
            for c in gone:
                block = block.replace(c, "")
            return block.replace(unbroken.NBSP, " "), places
    raise AssertionError("no path in the message")


def test_the_folder_question_keeps_both_paths_whole(anki, short_dir, monkeypatch):
    """Settings ▸ Polar's data folder: a folder with no document, a Polar
    folder inside it: "There are no Polar documents in {path}. Polar's data
    folder seems to be {path}: use that one?" with both paths joined (Qt
    broke "/|tmp/…" in Spanish at the box's width)."""
    from aqt.qt import QApplication, QFileDialog, QMessageBox, QTimer

    settings_dialog = _addon_module(anki, "settings_dialog")
    home = short_dir / "h"
    polar = home / ".polar"
    (polar / "1Doc").mkdir(parents=True)
    (polar / "1Doc" / "state.json").write_text("{}")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *args: str(home)))
    seen: List[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == "Use .polar").click()

    QTimer.singleShot(50, answer)
    assert settings_dialog.choose_folder(anki.mw, "") == str(polar)
    shown = seen[0]
    for path in (str(home), str(polar)):
        assert unbroken.units(path) <= unbroken.WHOLE, path
        assert unbroken.joined(path) in shown, (path, shown)
    assert unbroken.plain(shown) == (f"There are no Polar documents in {home}.\n\n"
                                     f"Polar's data folder seems to be {polar}: use that one?")


@pytest.mark.parametrize("lang", ["en_US", "ja_JP", "zh_CN"])
def test_a_tooltip_keeps_its_menu_path_whole(anki, lang):
    """Anki's tooltip with the add-on's words (the watcher's "…when you
    sync: Tools ▸ Sync from Polar"): the path whole, its words unchanged."""
    from aqt import utils

    tooltips = _addon_module(anki, "tooltips")
    i18n = _addon_module(anki, "i18n")
    anki.mw.pm.setLang(lang)
    try:
        words = i18n.tr("Polar Sync cannot watch the Polar folder {path} for changes ({reason}). What you change in "
                        "Polar comes into Anki when you sync: Tools ▸ Sync from Polar.",
                        path="/home/someone/.polar", reason="ENOSPC")
        tooltips.long_tooltip(html.escape(words), period=3000, parent=anki.mw)
        shown = utils._tooltipLabel.text()
        path = unbroken._path_pattern(unbroken.menu_names(i18n.current(), i18n.tr)).search(words).group(0)
        assert unbroken.whole(path) in shown, (path, shown)
        assert unbroken.joined("/home/someone/.polar") in shown
        assert html.unescape(unbroken.plain(re.sub(r"<[^>]+>", "", shown))).strip().replace("\u00a0", " ") == (
            words.replace("\u00a0", " "))
    finally:
        utils.closeTooltip()
        anki.mw.pm.setLang("en_US")


@pytest.mark.parametrize("lang", ["en_US", "fr_FR", "ja_JP", "zh_CN"])
def test_the_quiet_tooltips_way_to_stop_is_one_unbroken_path(anki, lang):
    """"To stop it: Tools ▸ Polar Sync ▸ Stop the sync": the whole path
    joined (no-break spaces and word joiners, which hold a CJK path too;
    main's ``<nobr>`` held only its spaces), and what a screen reader is
    handed has no joiner."""
    quiet_progress = _addon_module(anki, "quiet_progress")
    i18n = _addon_module(anki, "i18n")
    anki.mw.pm.setLang(lang)
    try:
        anki.mw.resize(400, 600)
        line = quiet_progress._way_to_stop(anki.mw)
        path = i18n.tr("To stop it: Tools ▸ Polar Sync ▸ {stop}", stop=i18n.tr("Stop the sync"))
        path = path[re.search(r"[^\s:：]+ ▸ ", path).start():]
        assert html.escape(unbroken.whole(path)) in line, (path, line)
        assert unbroken.WJ not in quiet_progress._plain(line) and "\u00a0▸" not in quiet_progress._plain(line)
    finally:
        anki.mw.pm.setLang("en_US")
        anki.mw.resize(1000, 700)

