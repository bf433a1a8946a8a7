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


FATES = {  # the deletion policy -> what the row says became of a copy never studied
    "suspend": "A copy you never studied is suspended and tagged polar::deleted",
    "tag": "A copy you never studied is tagged polar::deleted and still comes up for study",
    "keep": "A copy you never studied is left as it is and still comes up for study",
    "delete": "A copy you never studied is deleted",
    "": "A copy you never studied is treated as a note whose card was deleted in Polar: suspended and tagged",
}


@pytest.mark.parametrize("policy", sorted(FATES))
def test_polars_own_sync_row_says_what_became_of_the_copy(lang, policy):
    """"A copy never studied is set aside like a duplicate": a new user could
    not tell what that did. The row says what the setting did to it (a report
    of an older version, without the setting: the default, and what decides)."""
    from addon.gui.report_text import explain

    lang("en")
    row = {"code": "polar_sync_on", "count": 2, **({"removed_as": policy} if policy else {})}
    words = explain(row)
    assert FATES[policy] in words, words
    assert "“Removed in Polar” in Tools ▸ Polar Sync ▸ Settings…" in words
    assert "set aside" not in words and "duplicate" not in words
    assert words.startswith("Polar's own Anki sync is still on: it added 2 notes of cards")
    assert words.endswith("or remove the AnkiConnect add-on if nothing else needs it.")
    for language in LANGUAGES:
        lang(language)
        said = explain(row)
        assert tr("Tools ▸ Polar Sync ▸ Settings…") in said and tr("Removed in Polar") in said, (language, said)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_keeps_set_aside_like_a_duplicate(language):
    assert not [k for k in i18n.catalogue(language) if "set aside like a duplicate" in k]


# Polar's cloud version, and the file its Export Data downloads: the README
# and the CLI said "Polar 2.x" and "a Polar 2.x export", the missing-library
# window "Polar 2 (the web app)", the settings "a file from Polar's Export
# Data", config.md "a Polar export file". One name: the README's.
OTHER_NAMES = r"Polar 2(?![.\d])|web app|web version|a file from Polar's Export Data|Polar export file"


def _user_texts() -> list:
    from tools import i18n_check

    texts = [("tr", msgid) for msgid in i18n_check.msgids()]
    for path in [ROOT / "README.md", ROOT / "addon" / "config.md", *sorted((ROOT / "docs").glob("*.md"))]:
        texts.append((path.name, path.read_text(encoding="utf-8")))
    return texts


def test_polar_2x_and_its_export_have_one_name():
    import re

    found = [(where, m.group(0)) for where, text in _user_texts() for m in re.finditer(OTHER_NAMES, text)]
    assert found == []
    from tools import i18n_check

    msgids = i18n_check.msgids()
    assert any("Polar 2.x (the cloud version)" in m for m in msgids)  # the missing-library window
    assert any(m.startswith("Polar's data folder, or a Polar 2.x export") for m in msgids)  # the settings' help
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Polar 2.x (the cloud version): syncing from an export" in readme
