"""Menu names and short example paths kept whole where Qt wraps a line
(localreport). The 400 px report broke Japanese and Chinese menu paths
inside a name ("ファイル ▸ プロファイルを切り替える ▸ バックアップ|を開く…": Qt may
break between any two CJK characters, and ``<nobr>`` only makes spaces
no-break), and a Spanish or Portuguese help line broke "la carpeta de Polar
/|a/b" after the slash. Each name is now joined by no-break spaces and word
joiners (U+2060), which Qt's line breaking honours (laid out here with Qt's
own text layout): a path breaks only after a "▸", between two whole names."""

from __future__ import annotations

import html
import re
from typing import List

import pytest

from addon.gui import i18n, unbroken
from addon.gui.i18n import LANGUAGES
from tests.gui.qt_lines import line_starts

ALL = ["en", *LANGUAGES]
ANKI_CODES = {"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "pt_BR": "pt_BR", "ja": "ja_JP",
              "zh_CN": "zh_CN"}
JOINERS = (unbroken.WJ, unbroken.NBSP)
INVISIBLE = (unbroken.WJ, unbroken.ZWSP)  # (what unbroken adds to a text: no-break spaces aside)


def _texts(language: str) -> List[str]:
    """Every text of the language's catalogue (English: the msgids), as shown:
    the "{stop}" of a path filled in with the menu entry's name."""
    i18n.force(language)
    try:
        stop = i18n.tr("Stop the sync")
        if language == "en":
            texts = [msgid for msgid in i18n.catalogue("de")]
        else:
            texts = []
            for value in i18n.catalogue(language).values():
                texts += value if isinstance(value, list) else [value]
        return [t.replace("{stop}", stop) for t in texts]
    finally:
        i18n.force(None)


@pytest.mark.parametrize("language", ALL)
def test_every_menu_path_is_made_of_names_kept_whole(language):
    """Every "▸" of every text is a separator of a path whose names are all
    known (a path with a new name fails here, until the name is listed), and
    every name of it comes out with no place to break inside."""
    names = unbroken.menu_names(language, lambda msgid: _tr(language, msgid))
    paths = 0
    for text in _texts(language):
        if "▸" not in text:
            continue
        shown = unbroken.text(text, names)
        # Every "▸": a separator of a known path (one that fits a line: no break after it either).
        assert not re.search(r"[ ]▸|▸(?![ \u00a0])", shown), (text, shown)
        paths += shown.count(f"{unbroken.NBSP}▸ ") + shown.count(f"{unbroken.NBSP}▸{unbroken.NBSP}")
        assert shown.replace(unbroken.WJ, "").replace(unbroken.NBSP, " ") == text.replace("\u00a0", " ")
    assert paths >= 12


def _tr(language: str, msgid: str) -> str:
    i18n.force(language)
    try:
        return i18n.tr(msgid)
    finally:
        i18n.force(None)


def test_a_name_is_joined_where_a_line_could_break():
    assert unbroken.joined("データベースを検査") == unbroken.WJ.join("データベースを検査")
    assert unbroken.joined("Benutzerprofil wechseln") == "Benutzerprofil\u00a0wechseln"
    assert unbroken.joined("从 Polar 同步") == f"从{unbroken.NBSP}Polar{unbroken.NBSP}同{unbroken.WJ}步"
    assert unbroken.joined("/a/b") == f"/{unbroken.WJ}a/{unbroken.WJ}b"
    assert unbroken.joined("polar-sync:skip") == f"polar-{unbroken.WJ}sync:skip"
    day = f"2026{unbroken.WJ}年{unbroken.WJ}11{unbroken.WJ}月{unbroken.WJ}28{unbroken.WJ}日"
    assert unbroken.text("文件（2026年11月28日），") == f"文件（{day}），"  # (a day in words: one unit)
    # A file's whole path wider than a line may still break at its slashes
    # inside it (not after its leading one: unbroken2).
    long_path = "/home/someone/.polar/stash/0123456789abcdef.pdf"
    assert unbroken.text(f"see {long_path} here") == f"see /{unbroken.WJ}{long_path[1:]} here"
    assert unbroken.text("la carpeta de Polar /a/b en la etiqueta folders::a::b") == (
        f"la carpeta de Polar /{unbroken.WJ}a/{unbroken.WJ}b en la etiqueta folders::a::b")
    # A path made whole by its caller, who measured it (the quiet tooltip's way to stop), stays whole
    # when the tooltip passes its text through again, though wider than WHOLE.
    stop = "Outils ▸ Polar Sync ▸ Arrêter la synchronisation"
    assert unbroken.units(stop) > unbroken.WHOLE
    assert unbroken.text(f"Pour l’arrêter : {unbroken.whole(stop)}") == f"Pour l’arrêter : {unbroken.whole(stop)}"
    # (Only the words of HTML: an attribute's "margin-left:12px" as it is.)
    assert unbroken.html("<p style='margin-left:12px'>Tools ▸ Undo</p>", ("Tools", "Undo")) == (
        f"<p style='margin-left:12px'>Tools{unbroken.NBSP}▸{unbroken.NBSP}Undo</p>")


def _broken_inside(text: str, starts: List[int]) -> List[str]:
    """The places a line began next to a joiner, or with a "▸"."""
    return [text[max(0, p - 8):p] + "|" + text[p:p + 8] for p in starts
            if text[p - 1] in JOINERS or text[p] in JOINERS or text[p] == "▸"]


@pytest.mark.parametrize("language", ALL)
def test_qt_breaks_no_name_at_any_width(language, qapp):
    """Every text with a path or a short example path, laid out by Qt (the
    application's font) at every width from the widest name's up to 800 px:
    no line begins inside a name, or with a "▸"."""
    from aqt.qt import QApplication, QFontMetricsF, QTextDocument

    font = QApplication.font()
    metrics = QFontMetricsF(font)
    names = unbroken.menu_names(language, lambda msgid: _tr(language, msgid))
    texts = [t for t in _texts(language) if "▸" in t or "/a/b" in t or "polar-sync:skip" in t]
    assert len(texts) >= 12
    # (From the widest name's width, or a whole path's, one that fits a line: unbroken.WHOLE; every
    # one of them fits the narrowest line of a 400 px window, 320 px.)
    paths = [m.group(0) for t in texts for m in unbroken._path_pattern(names).finditer(t)]
    wholes = [p for p in paths if unbroken.units(p) <= unbroken.WHOLE]
    # (And the punctuation after it that cannot begin a line: "打开备份…”），" is one unit.)
    widest = max(metrics.horizontalAdvance(n) for n in [*names, *wholes]) + 16 + metrics.horizontalAdvance("”），")
    assert widest <= 320, widest
    broken = []
    for text in texts:
        markup = unbroken.html(f"<p>{html.escape(text)}</p>", names)
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(markup)
        for width in range(int(widest), 800, 23):
            doc.setTextWidth(width)
            for block, starts in line_starts(doc):
                broken += [(width, place) for place in _broken_inside(block, starts)]
    assert not broken, broken[:10]


def _spans(text: str, names) -> List[tuple]:
    """(start, end, whole?) of each menu path and folder path of ``text``."""
    found = [(m.start(), m.end()) for m in unbroken._path_pattern(names).finditer(text)]
    found += [(m.start(), m.end()) for m in unbroken._WIN_PATH.finditer(text)]
    found += [(m.start(), m.end()) for m in unbroken._TOKEN.finditer(text)
              if not any(a <= m.start() < b for a, b in found)]
    return [(a, b, unbroken.units(text[a:b]) <= unbroken.WHOLE) for a, b in found]


def _plain_starts(block: str, starts: List[int]) -> List[int]:
    """Line starts as places in the text without its word joiners (and
    zero-width spaces)."""
    return [p - sum(block[:p].count(c) for c in INVISIBLE) for p in starts]


def _bare(shown: str) -> str:
    for char in INVISIBLE:
        shown = shown.replace(char, "")
    return shown.replace(unbroken.NBSP, " ")


# A folder's path as a person's own may be: long, with a hyphen and a CJK folder name.
LONG = "/home/someone-else/Documents/学习资料/polar-data/.polar2/stash"
SHORT = "/home/someone-else/.polar"
# And a Windows user's (winpaths): a drive's, with a space in a folder's name; a share's (UNC).
WIN_SHORT = "C:\\Users\\Ana Maria\\.polar"
WIN_LONG = "C:\\Users\\Ana Maria\\AppData\\Roaming\\polar-data\\学习资料\\.polar\\stash"
UNC_SHORT = "\\\\nas\\polar-data\\.polar"
UNC_LONG = "\\\\fileserver\\Shared Folders\\Ana Maria\\Documents\\polar-data\\.polar"


def _laid_out(language: str, qapp, paths: tuple = (SHORT, LONG)) -> List[tuple]:
    """Every text with a path of the language's catalogue (the {path} ones
    with a short and a long folder path), laid out by Qt at every width from
    the narrowest line a 400 px window has (320 px) to 800 px: (width, text,
    its paths, where its lines began, as places in the text)."""
    from aqt.qt import QApplication, QTextDocument

    font = QApplication.font()
    names = unbroken.menu_names(language, lambda msgid: _tr(language, msgid))
    texts = [t for t in _texts(language) if "▸" in t]
    texts += [t.replace("{path}", path) for t in _texts(language) if "{path}" in t for path in paths]
    assert len(texts) >= 30
    out = []
    for text in texts:
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(unbroken.html(f"<p>{html.escape(text)}</p>", names))
        for width in range(320, 800, 17):
            doc.setTextWidth(width)
            (block, starts), = line_starts(doc)
            assert _bare(block) == text.replace(unbroken.NBSP, " ")
            out.append((width, text, _spans(text, names), _plain_starts(block, starts)))
    return out


@pytest.mark.parametrize("language", ALL)
def test_a_path_that_fits_a_line_is_never_broken(language, qapp):
    """A menu path or a folder's path no wider than ``unbroken.WHOLE`` stays
    on one line at every width a 400 px window's text has or more: moved
    whole to the next line where the end of this one is too short. (Main
    broke "编辑 ▸ | 撤销" after its "▸" in the Chinese notice, and every
    language's "Tools ▸ Polar Sync ▸" before the entry's name; a box's
    "/home/someone-else/.polar" after a slash.)"""
    broken = []
    for width, text, spans, starts in _laid_out(language, qapp):
        broken += [(width, text[a:p] + "|" + text[p:b]) for a, b, whole in spans if whole
                   for p in starts if a < p < b]
    assert not broken, broken[:10]


@pytest.mark.parametrize("language", ["en", "es", "pt_BR", "zh_CN"])
def test_a_long_folder_path_breaks_only_after_a_slash_inside_it(language, qapp):
    """A path wider than ``WHOLE`` may break (it must, in a narrow window),
    but only after a "/" inside it (a menu path: after a "▸"): not after
    its leading "/" ("…de Polar
    /|home/…", seen in Spanish and Portuguese), not inside a folder's name
    ("someone-|else", "学习|资料")."""
    broken, inside = [], 0
    for width, text, spans, starts in _laid_out(language, qapp):
        for a, b, _whole in spans:
            for p in starts:
                if a < p < b:
                    inside += 1
                    if not (text[p - 1] == "/" and p - 1 > a or text[p - 2:p] == "▸ "):
                        broken.append((width, text[max(a, p - 12):p] + "|" + text[p:min(b, p + 12)]))
    assert not broken, broken[:10]
    assert inside > 0  # (the long path did need to break somewhere)


def test_a_windows_path_is_a_path():
    """A drive's path and a share's (UNC) are found as paths, as "/" ones
    are (main knew "/" only: Qt breaks no line after a "\\", so a short one
    broke at its spaces and hyphens, a long one anywhere): a folder's name
    with a space in it inside the path, the sentence's "." or ")" or "，"
    after it left out."""
    def found(words: str) -> List[str]:
        return [m.group(0) for m in unbroken._WIN_PATH.finditer(words)]

    assert found(f"It looked in {WIN_SHORT}, which does not exist.") == [WIN_SHORT]
    assert found(f"(see {UNC_SHORT}).") == [UNC_SHORT]
    assert found(f"It tried {WIN_LONG}.") == [WIN_LONG]
    assert found(f"已在 {WIN_LONG}，但它") == [WIN_LONG]
    assert found(f"Elle est là : {UNC_LONG} ») ") == [UNC_LONG]
    assert found("C:\\Program Files (x86)\\Anki\\anki.exe and D:\\Polar") == [
        "C:\\Program Files (x86)\\Anki\\anki.exe", "D:\\Polar"]
    # (A last name with a space: nothing in a sentence tells where it ends; its first word is taken.)
    assert found("in C:\\Users\\Ana\\Polar data here") == ["C:\\Users\\Ana\\Polar"]
    # Not paths: a lone backslash's words, a ratio, a "/" path (the "/" ones' own).
    assert found("a \\b\\c, 4:3, 10:30, /home/a/b, polar-sync:skip") == []
    # A short one joined: no break at its space or hyphen, nor beside a "\" (Qt breaks before one).
    j = unbroken.WJ
    assert unbroken.text(f"in {WIN_SHORT}.") == f"in C:{j}\\{j}Users{j}\\{j}Ana\u00a0Maria{j}\\{j}.polar."
    assert unbroken.text(f"in {UNC_SHORT}.") == f"in \\{j}\\{j}nas{j}\\{j}polar-{j}data{j}\\{j}.polar."
    # A long one may break after a "\" inside it (a zero-width space there), not after its root.
    shown = unbroken.text(f"in {UNC_LONG}.")
    assert shown.startswith(f"in \\{j}\\{j}fileserver{j}\\{unbroken.ZWSP}Shared\u00a0Folders{j}\\{unbroken.ZWSP}Ana")
    assert shown.count(unbroken.ZWSP) == 5 and unbroken.plain(shown).replace(unbroken.NBSP, " ") == f"in {UNC_LONG}."
    assert unbroken.text(f"in {WIN_LONG}").startswith(f"in C:{j}\\{j}Users{j}\\{unbroken.ZWSP}Ana")
    # The library-missing message's folder, alone in <code>: all of it, its last name's spaces too.
    folder = "C:\\Users\\Ana\\Polar data"
    assert unbroken.html(f"<p>in <code>{folder}</code>.</p>", ()) == (
        f"<p>in <code>{unbroken.windows_path(folder)}</code>.</p>")
    assert unbroken.NBSP in unbroken.windows_path(folder)


@pytest.mark.parametrize("language", ALL)
def test_a_windows_path_that_fits_a_line_is_never_broken(language, qapp):
    """Every ``{path}`` text with a short Windows path (a drive's with a
    space in a folder's name, a share's with a hyphen) laid out by Qt at
    320-800 px: never broken inside (main broke "Ana |Maria",
    "polar-|data")."""
    broken = []
    for width, text, spans, starts in _laid_out(language, qapp, (WIN_SHORT, UNC_SHORT)):
        broken += [(width, text[a:p] + "|" + text[p:b]) for a, b, whole in spans if whole
                   for p in starts if a < p < b]
    assert not broken, broken[:10]


@pytest.mark.parametrize("language", ["en", "de", "fr", "ja", "zh_CN"])
def test_a_long_windows_path_breaks_only_after_a_backslash_inside_it(language, qapp):
    """A Windows path wider than ``WHOLE`` breaks (it must), but only after
    a "\\" inside it: not after "C:\\" or a share's leading "\\\\", not inside a
    folder's name (main: anywhere Qt found room, "Ana |Maria", "学习|资料",
    "Roami|ng")."""
    broken, inside = [], 0
    for width, text, spans, starts in _laid_out(language, qapp, (WIN_LONG, UNC_LONG)):
        for a, b, _whole in spans:
            for p in starts:
                if a < p < b:
                    inside += 1
                    if not (text[p - 1] == "\\" and text[p - 2] not in ":\\" and p - 2 >= a
                            or text[p - 2:p] == "▸ "):
                        broken.append((width, text[max(a, p - 12):p] + "|" + text[p:min(b, p + 12)]))
    assert not broken, broken[:10]
    assert inside > 0


@pytest.mark.parametrize("language", ALL)
def test_a_quoted_menu_entry_is_kept_whole(language, qapp):
    """The add-on's menu entries quoted in a text (“Use a Polar export…”,
    „Polar-Export verwenden …“, « Utiliser un export Polar… »,
    「Polar のエクスポートを使用…」) are joined like a path's names, their
    quote marks with them: main broke "“Use a Polar | export…”" (English,
    500 px) and "“使用 Polar 导出文|件…”" (400 px) in the library-missing
    message."""
    from aqt.qt import QApplication, QTextDocument

    names = unbroken.menu_names(language, lambda msgid: _tr(language, msgid))
    quoted = [_tr(language, n) for n in ("Use a Polar export…", "Choose Polar data folder…")]
    # (The name with its quote marks, and the no-break spaces inside them: "« Utiliser … »".)
    quotes = "|".join(f"[{unbroken._OPENING}]\u00a0?{re.escape(q)}\u00a0?[{unbroken._CLOSING}]" for q in quoted)
    texts = [t for t in _texts(language) if re.search(quotes, t)]
    assert len(texts) >= 4
    font = QApplication.font()
    broken = []
    for text in texts:
        shown = unbroken.text(text, names)
        assert _bare(shown) == text.replace(unbroken.NBSP, " ")
        places = [m.span() for m in re.finditer(quotes, text)]
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(f"<p>{html.escape(shown)}</p>")
        for width in range(320, 800, 13):
            doc.setTextWidth(width)
            (block, starts), = line_starts(doc)
            broken += [(width, text[a:p] + "|" + text[p:b]) for p in _plain_starts(block, starts)
                       for a, b in places if a < p < b]
    assert not broken, broken[:10]


# A figure's placeholders in the catalogues (filled with a figure), the rest with a name.
_FIGURES = {"n", "count", "limit", "days", "ahead", "page", "done", "total", "share", "pages", "max", "kept",
            "seconds", "minutes", "hours", "size", "shown", "more", "percent", "written", "left"}


def _filled(language: str, text: str) -> str:
    """A catalogue's text as shown: its figures "12", its settings' path,
    any other name "Polar Basic" (a name with a space, as a note type's)."""
    settings = _tr(language, "Tools ▸ Polar Sync ▸ Settings…")
    text = text.replace("{settings}", settings)
    return re.sub(r"\{(\w+)\}", lambda m: "12" if m.group(1) in _FIGURES else "Polar Basic", text)


@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_a_quoted_name_and_a_figure_with_its_counter_stay_whole_in_japanese_and_chinese(language, qapp):
    """Japanese and Chinese words with a real CJK font (cjk): a 400 px report
    read "「Anki で|削除された場合」が「削除したままにする」", "设为“保持删|除”",
    "ノートタイプ「Polar|Basic」", and a settings line "最後の保存の後に 1|
    回だけ同期します". Every text of the catalogue (its placeholders filled),
    laid out by Qt from 320 to 800 px: no line begins inside a quoted name
    that fits a line, nor between a figure and its counter ("1 回", "第 12
    页")."""
    from aqt.qt import QApplication, QTextDocument

    font = QApplication.font()
    names = unbroken.menu_names(language, lambda msgid: _tr(language, msgid))
    cjk = "\u3040-\u30ff\u4e00-\u9fff"
    broken, quoted, figures = [], 0, 0
    for text in {_filled(language, t) for t in _texts(language)}:
        spans = [(m.start(), m.end()) for m in re.finditer("([「『“])([^「」『』“”\n]+)([」』”])", text)
                 if unbroken.units(m.group(2)) <= unbroken.WHOLE]
        quoted += len(spans)
        counters = [(m.start(), m.end() + 1) for m in re.finditer(f"\\d (?=[{cjk}%])|第 (?=\\d)", text)]
        figures += len(counters)
        if not spans and not counters:
            continue
        doc = QTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setHtml(unbroken.html(f"<p>{html.escape(text)}</p>", names))
        for width in range(320, 800, 19):
            doc.setTextWidth(width)
            for block, starts in line_starts(doc):
                assert _bare(block) == text.replace(unbroken.NBSP, " ")
                broken += [(width, text[max(a, p - 12):p] + "|" + text[p:min(b, p + 12)])
                           for p in _plain_starts(block, starts) for a, b in spans + counters if a < p < b]
    assert quoted >= 80 and figures >= 15, (quoted, figures)
    assert not broken, sorted(set(b for _, b in broken))[:20]
