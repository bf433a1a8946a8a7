"""Dates as the reader's language writes them (localreport): the report's
heading said "Sync from Polar · sync on startup · 2026-12-05 19:13:21", the
leftovers of an older export "({date})" "2021-02-12", and the sync log
window every entry's "2026-12-05 19:13:21", in every language. A German
reader reads "5. Dezember 2026 um 19:13", a Japanese one "2026年12月5日 19:13",
as CLDR's long date and short time (Intl.DateTimeFormat, Qt's QLocale;
Anki's statistics' calendar says its days so). The sync log *file* keeps
its ISO stamps (sorted and trimmed by them, read by people's tools)."""

from __future__ import annotations

import importlib
import time
from typing import Any

import pytest

from addon import dates
from addon.gui.i18n import LANGUAGES

NBSP, NNBSP = "\u00a0", "\u202f"

# Intl.DateTimeFormat(lang, {dateStyle: "long", timeStyle: "short"}) of
# 2026-12-05 19:13 and 2026-01-05 09:05 (node 20, ICU's CLDR), with the
# no-break spaces the add-on puts where a line must not break.
EXPECTED = {
    "en": (f"December{NBSP}5, 2026 at 7:13{NNBSP}PM", f"January{NBSP}5, 2026 at 9:05{NNBSP}AM"),
    "de": (f"5.{NBSP}Dezember{NBSP}2026 um 19:13", f"5.{NBSP}Januar{NBSP}2026 um 09:05"),
    "es": ("5 de diciembre de 2026 a las 19:13", "5 de enero de 2026 a las 9:05"),
    "fr": (f"5{NBSP}décembre{NBSP}2026 à 19:13", f"5{NBSP}janvier{NBSP}2026 à 09:05"),
    "pt_BR": ("5 de dezembro de 2026 às 19:13", "5 de janeiro de 2026 às 09:05"),
    "ja": ("2026年12月5日 19:13", "2026年1月5日 9:05"),
    "zh_CN": ("2026年12月5日 19:13", "2026年1月5日 09:05"),
}
ANKI_CODES = {"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "pt_BR": "pt_BR", "ja": "ja_JP",
              "zh_CN": "zh_CN"}
EVENING = time.mktime((2026, 12, 5, 19, 13, 21, 0, 0, -1))  # (this computer's time zone, as the report's)
MORNING = time.mktime((2026, 1, 5, 9, 5, 0, 0, 0, -1))


def test_every_language_has_its_formats():
    assert set(dates.FORMATS) == {"en", *LANGUAGES} == set(EXPECTED)
    assert dates.moment(EVENING, "ko") == EXPECTED["en"][0]  # (a language without rules: English)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_a_day_and_its_time_as_the_language_writes_them(language):
    assert (dates.moment(EVENING, language), dates.moment(MORNING, language)) == EXPECTED[language]


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_words_are_qts_for_anki_s_language(language):
    """Qt's QLocale (CLDR, inside every Anki): its long date without the
    weekday, its short time."""
    qt = pytest.importorskip("PyQt6.QtCore")
    locale = qt.QLocale(ANKI_CODES[language])
    pattern = locale.dateFormat(qt.QLocale.FormatType.LongFormat)
    pattern = pattern.replace("dddd, ", "").replace("dddd ", "").replace("dddd", "")
    for year, month, day, hour, minute in ((2026, 12, 5, 19, 13), (2026, 1, 5, 9, 5), (2027, 5, 31, 0, 0),
                                           (2026, 3, 12, 12, 30)):
        said = dates.day_and_time(year, month, day, hour, minute, language).replace(NBSP, " ")
        qt_day = locale.toString(qt.QDate(year, month, day), pattern)
        qt_time = locale.toString(qt.QTime(hour, minute), qt.QLocale.FormatType.ShortFormat)
        assert said.startswith(qt_day + " "), (said, qt_day)
        assert said.endswith(" " + qt_time), (said, qt_time)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_report_s_heading_says_its_time_as_the_language_does(language, lang):
    from addon.gui.report_dialog import report_html

    lang(language)
    html = report_html({"created": 3}, "sync on startup", EVENING)
    assert EXPECTED[language][0] in html, html
    assert "2026-12-05" not in html and "19:13:21" not in html


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_an_older_export_s_day_is_said_as_the_language_does(language, lang):
    from addon.gui.report_dialog import report_html

    day = {"en": f"February{NBSP}12, 2021", "de": f"12.{NBSP}Februar{NBSP}2021", "es": "12 de febrero de 2021",
           "fr": f"12{NBSP}février{NBSP}2021", "pt_BR": "12 de fevereiro de 2021", "ja": "2021年2月12日",
           "zh_CN": "2021年2月12日"}[language]
    lang(language)
    for code in ("export_leftovers_taken", "export_leftovers_kept", "export_unpacked_cut"):
        html = report_html({"warnings": [{"code": code, "dated": "2021-02-12", "file": "1New-2021-03-14.zip"}]},
                           "manual", EVENING)
        assert f"({day})" in html or f"（{day}）" in html, (code, html)
        assert "2021-02-12" not in html
    # (An old report's text that is no ISO day is shown as it is.)
    assert dates.iso_day("gestern", language) == "gestern"


def test_a_log_entry_s_stamp_in_words_and_the_rest_as_it_is():
    entry = "2026-12-05 19:13:21  [Jo · sync on startup]\n    Polar Sync: 3 new notes.\n    2026-12-05 in text"
    assert dates.log_entry(entry, "de") == (f"5.{NBSP}Dezember{NBSP}2026 um 19:13  [Jo · sync on startup]\n"
                                            "    Polar Sync: 3 new notes.\n    2026-12-05 in text")
    assert dates.log_entry("no stamp here", "ja") == "no stamp here"
    assert dates.log_entry("2026-13-05 19:13:21  [x]", "ja") == "2026-13-05 19:13:21  [x]"


@pytest.mark.anki
@pytest.mark.parametrize("language", ["de", "ja"])
def test_the_log_window_says_its_dates_in_words_and_the_file_keeps_iso(anki: Any, language: str) -> None:
    package = type(anki.controller).__module__.rsplit(".", 1)[0]  # (the installed add-on's gui package)
    synclog = importlib.import_module(f"{package}.synclog")
    i18n = importlib.import_module(f"{package}.i18n")
    report_dialog = importlib.import_module(f"{package}.report_dialog")
    synclog.append_log("Jo", "manual", "Polar Sync: 3 new notes.", when=EVENING)
    text = synclog.log_path().read_text(encoding="utf-8")
    assert "2026-12-05 19:13:21  [Jo · manual]" in text  # the file: ISO, to the second
    i18n.force(language)
    try:
        dialog = report_dialog.show_log(anki.mw)
        try:
            shown = dialog.text.toPlainText().replace("\u2060", "")  # (a no-break space as a space; no joiner)
            assert f"{EXPECTED[language][0].replace(NBSP, ' ')}  [Jo · manual]" in shown, shown
            assert "2026-12-05 19:13:21" not in shown
            dialog.text.selectAll()  # (copied: the words without the joiners that keep names whole)
            assert "\u2060" not in dialog.text.createMimeDataFromSelection().text()
        finally:
            dialog.close()
    finally:
        i18n.force(None)
