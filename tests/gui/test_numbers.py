"""Counts as the reader's language writes them (eyes9): a first sync of a big
library said "3143 new notes, 1865 notes taken over" in the notice, the
report, the progress window and the CLI; a reader of English expects
"3,143", of German "3.143", of French "3 143" (a narrow no-break space), as
Anki's own pages (Intl.NumberFormat, CLDR) and Qt's QLocale write them."""

from __future__ import annotations

import string

import pytest

from addon import numbers
from addon.gui import i18n
from addon.gui.i18n import LANGUAGES, ntr
from addon.sync.report import Report

NNBSP = "\u202f"

# CLDR, as Intl.NumberFormat(lang).format(n) gives it (node 18+, checked by hand).
EXPECTED = {
    "en": ("999", "5,000", "12,345", "1,234,567"),
    "de": ("999", "5.000", "12.345", "1.234.567"),
    "es": ("999", "5000", "12.345", "1.234.567"),  # Spanish groups from five digits on
    "fr": ("999", f"5{NNBSP}000", f"12{NNBSP}345", f"1{NNBSP}234{NNBSP}567"),
    "pt_BR": ("999", "5.000", "12.345", "1.234.567"),
    "ja": ("999", "5,000", "12,345", "1,234,567"),
    "zh_CN": ("999", "5,000", "12,345", "1,234,567"),
}
ANKI_CODES = {"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "pt_BR": "pt_BR", "ja": "ja_JP",
              "zh_CN": "zh_CN"}




@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_counts_are_grouped_as_the_language_does(language):
    got = tuple(numbers.count(n, language) for n in (999, 5000, 12345, 1234567))
    assert got == EXPECTED[language]
    assert numbers.count(0, language) == "0"


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_the_grouping_is_qts_for_anki_s_language(language):
    """Qt's QLocale (CLDR data, inside every Anki) agrees for every length."""
    qt = pytest.importorskip("PyQt6.QtCore")
    locale = qt.QLocale(ANKI_CODES[language])
    for n in (1, 12, 123, 1234, 12345, 123456, 1234567, 12345678, 1000000000):
        assert numbers.count(n, language) == locale.toString(n), (language, n)


def test_every_language_has_rules_and_an_unknown_one_writes_english():
    assert set(numbers.GROUPING) == {"en", *LANGUAGES}
    assert numbers.count(5000, "ko") == "5,000"
    assert numbers.count("5000", "de") == "5.000"  # a figure read back as text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_counted_phrase_groups_its_count_and_keeps_its_plural(language, lang):
    """Each counted phrase of the catalogue, at 1 and at 5,000: the number in
    the language's digits, and the form the language's rule chooses."""
    lang(language)
    entries = {k: v for k, v in i18n.catalogue(language).items() if isinstance(v, list)}
    assert entries
    rule = i18n.PLURAL_RULES[language]
    for singular, forms in entries.items():
        if "{n}" not in singular:
            continue
        # every other placeholder of the phrase, filled with its own name
        fill = {name: name for _, name, _, _ in string.Formatter().parse(singular) if name and name != "n"}
        many = ntr(singular, singular, 5000, **fill)
        assert many == forms[rule(5000)].format(n=numbers.count(5000, language), **fill), singular
        assert ntr(singular, singular, 1, **fill) == forms[rule(1)].format(n="1", **fill), singular


def test_a_big_first_sync_is_told_in_the_readers_digits(lang):
    from addon.gui.report_text import counts_line, notice_text, progress_words

    data = {"created": 3143, "updated": 1865, "adopted": 1600, "paired": 265, "documents": 300,
            "legacy_leftovers": list(range(135))}
    assert counts_line(data) == "3,143 new notes, 1,865 notes taken over from Polar's old sync"
    assert "135 notes from Polar's old sync to look at" in notice_text(data, 135)
    lang("de")
    assert counts_line(data) == "3.143 neue Notizen, 1.865 Notizen aus Polars alter Synchronisierung übernommen"
    assert progress_words("Adding 5,000 notes…") == "5.000 Notizen werden hinzugefügt …"
    assert progress_words("Reading Polar documents… 1200/3000") == "Polar-Dokumente werden gelesen … 1.200/3.000"
    lang("fr")
    assert counts_line(data).startswith(f"3{NNBSP}143 nouvelles notes")
    lang("es")
    assert counts_line({"created": 3143}) == "3143 notas nuevas"  # four digits: whole in Spanish
    assert counts_line({"created": 31430}) == "31.430 notas nuevas"


def test_the_updates_moves_and_suspensions_are_counted_in_the_readers_digits(lang):
    """The write's later steps said "Updating notes…" (no count) while the
    adds counted theirs (beside5)."""
    from addon.gui.report_text import progress_words

    said = ("Updating 8,000 notes…", "Updating notes… 2,000/8,000", "Moving 4,500 cards…",
            "Suspending 1 cards…", "Unsuspending 1,200 cards…")
    assert [progress_words(m) for m in said] == [
        "Updating 8,000 notes…", "Updating notes… 2,000/8,000", "Moving 4,500 cards…", "Suspending 1 card…",
        "Unsuspending 1,200 cards…"]
    lang("de")
    assert [progress_words(m) for m in said] == [
        "8.000 Notizen werden aktualisiert …", "Notizen werden aktualisiert … 2.000/8.000",
        "4.500 Karten werden verschoben …", "1 Karte wird dauerhaft ausgeschlossen …",
        "1.200 Karten werden nicht mehr ausgeschlossen …"]
    lang("fr")
    assert progress_words(said[0]) == f"Mise à jour de 8{NNBSP}000 notes…"
    lang("ja")
    assert progress_words(said[2]) == "4,500\u00a0枚のカードを移動しています…"  # (the count kept with its 枚)
    for language in ("es", "pt_BR", "zh_CN"):
        lang(language)
        for m in said:
            words = progress_words(m)
            assert words != m, (language, words)  # translated


def test_the_report_window_s_headings_and_tree_group_their_counts(lang):
    from addon.gui.report_dialog import report_html

    data = {"documents": 1200, "created": 5000, "legacy_leftovers": list(range(1000, 2500))}
    html = report_html(data, "Sync when the profile opens", 0)
    assert "1,200 documents in the Polar library" in html
    assert "(1,500)" in html
    lang("de")
    html = report_html(data, "Sync when the profile opens", 0)
    assert "1.200 Dokumente" in html and "(1.500)" in html and "5.000 neue Notizen" in html


def test_the_cli_summary_groups_its_counts():
    report = Report()
    report.created, report.unchanged, report.documents, report.parsed = 5000, 12000, 1200, 1200
    first = report.summary().splitlines()
    assert first[0] == "Polar Sync: 5,000 new notes, 12,000 unchanged."
    assert first[1].startswith("1,200 documents (1,200 read, 0 skipped)")
    report.created = 0
    assert report.summary().splitlines()[0] == "Polar Sync: nothing changed (12,000 unchanged)."


def test_the_core_s_progress_words_are_english_with_english_digits():
    from addon.gui.report_text import progress_share
    from addon.sync import read

    assert read._reading_export(3000 << 20, 12000 << 20) == "Reading the Polar export… 3,000 of 12,000 MB (25%)"
    assert progress_share("Reading Polar documents… 1,200/3,000") == (1200, 3000)


def test_a_stopped_sync_s_log_line_names_its_cause_and_what_it_did(lang):
    """The log said "interrupted by closing Anki" also for a switch of
    profile, and not whether it had written anything (eyes9)."""
    from addon.gui.report_text import stopped_words

    assert stopped_words("reading", "Reading Polar documents… 3/40", "switch") == (
        "Polar Sync: stopped when you switched profiles, before it changed anything; the next sync does it.")
    assert stopped_words("writing", "Adding notes… 1,000/8,000", "quit") == (
        "Polar Sync: stopped when Anki closed, after adding 1,000 of 8,000 new notes; they stay, "
        "and the next sync does the rest.")
    assert stopped_words("writing", "Updating notes…") == (
        "Polar Sync: stopped when Anki closed or switched profiles, part-way through writing; what it wrote "
        "stays, and the next sync does the rest.")  # closed another way (a backup restored): both named
    lang("de")
    words = stopped_words("writing", "Adding notes… 1000/8000", "quit")
    assert words == ("Polar Sync: angehalten, als Anki geschlossen wurde, nachdem 1.000 von 8.000 neuen Notizen "
                     "hinzugefügt waren; sie bleiben, die nächste Synchronisierung erledigt den Rest.")
    assert "als Sie das Benutzerprofil gewechselt haben" in stopped_words("reading", "", "switch")


def test_an_english_count_agrees_with_its_words():
    """The sync's own lines (the CLI, the sync log, a report row's technical
    words) said "1 note(s) … are made again"."""
    from addon.numbers import counted

    assert counted(1, "note is", "notes are") == "1 note is"
    assert counted(0, "note", "notes") == "0 notes"
    assert counted(5000, "new card", "new cards") == "5,000 new cards"


def test_no_line_of_the_sync_says_a_plural_in_brackets():
    """Every "(s)" of the sync's English lines became a count that agrees."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "addon"
    said = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # (a docstring may name the old way)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value.replace("http(s)", "")
                if "(s)" in text:
                    said.append(f"{path.name}: {node.value}")
    assert said == []
