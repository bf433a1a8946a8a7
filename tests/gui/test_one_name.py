"""One name for one thing, where a new user meets two (round 8 of the
words): what started a sync is said by the setting's name, a note's link in
the report is the same "Show in Browser" as the report's other links, the
copies Polar's own sync added are said to be what the setting makes of them,
and a Polar 2.x export is called that wherever the add-on names it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from addon.gui import i18n
from addon.gui.i18n import LANGUAGES, tr
from addon.gui.operations import STARTUP, trigger_label
from addon.gui.report_dialog import report_html

ROOT = Path(__file__).resolve().parents[2]


def _english_strings() -> list:
    """Every string literal of the add-on's GUI and core, as written."""
    found = []
    for path in sorted((ROOT / "addon").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((path.name, node.value))
    return found


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_the_sync_at_open_is_named_as_its_setting_is(lang, language):
    """The report's and the log's "sync on startup" beside the setting
    "Sync when the profile opens": the same words, in every language."""
    lang(language)
    assert trigger_label(STARTUP) == tr("Sync when the profile opens")
    html = report_html({"created": 1}, trigger_label(STARTUP), 0)
    assert tr("Sync when the profile opens") in html.replace("&#x27;", "'")


def test_no_string_says_sync_on_startup():
    said = [(name, text) for name, text in _english_strings() if "sync on startup" in text.lower()]
    assert said == []
    for language in LANGUAGES:
        assert "sync on startup" not in i18n.catalogue(language)


def _conflict(i: int) -> dict:
    return {"code": "unrecorded_anki", "path": f"1Doc#{i}", "document": "1Doc", "title": "Book", "field": "Front",
            "note_id": 1000 + i, "message": "kept"}


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_a_rows_link_is_the_reports_show_in_browser(lang, language):
    """A row's "Open in Browser" beside the section's "Show in Browser"
    (the rows past the first hundred, the old sync's notes): one name."""
    lang(language)
    html = report_html({"conflicts": [_conflict(i) for i in range(101)], "documents": 1}, "x", 0)
    show = tr("Show in Browser")
    assert html.count(f">{show}</a>") == 101  # a hundred rows, and the one not listed
    assert "Open in Browser" not in html
    for language_ in LANGUAGES:
        assert "Open in Browser" not in i18n.catalogue(language_)
