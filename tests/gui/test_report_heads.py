"""A report row about a part of the collection or of the add-on (a note
type, a deck, an image, the settings, a note) is headed in the reader's
words, not by the core's English path ("note type Basic"), in the report
window, the sync log and the tree's tooltips alike; the path stays the
row's technical line. Older saved reports hold only the path: read too.
"""

from __future__ import annotations

import pytest

from addon.gui import i18n
from addon.gui.report_text import document_name, log_words, section_rows, where
from addon.sync.report import Report


@pytest.fixture
def lang():
    def use(code: str) -> None:
        i18n.force(code)

    yield use
    i18n.force(None)


def _rows() -> Report:
    """Rows as the core writes them (sync/write.py, sync/apply.py, gui/setup.py)."""
    report = Report()
    report.warn("note type Basic", "note type 'Basic' lacks its field 'Back' (removed or renamed in Anki); "
                "new notes of this kind go to the new note type 'Polar Basic' instead",
                code="notetype_replaced", notetype="Basic", fields="Back", new_notetype="Polar Basic")
    report.warn("note type Basic (Polar)", "...: that part of 2 notes could not be written",
                code="fields_missing", notetype="Basic (Polar)", fields="Back", count=2)
    report.error("deck 'Books::Rust'", "Anki refused to create it (x); its cards went to the default deck",
                 code="deck_refused", deck="Books::Rust")
    report.error("media/fig 1.png", "could not store the image: disk full", code="image_not_stored")
    report.warn("add-on config", "config: deck_strategy='x' is not one of …", code="config_setting")
    report.error("Polar Sync", "the sync stopped with KeyError: 'x'", code="sync_failed")
    report.conflicts.append({"path": "note 1700000000123", "message": "field 'Back' changed in Polar while …",
                             "code": "conflict_anki", "field": "Back", "polar": "a", "anki": "b",
                             "note_id": 1700000000123, "document": "", "card": "", "front": ""})
    return report


def _heads(data) -> list:
    return [head for key in ("errors", "conflicts", "warnings") for head, _, _, _ in section_rows(data, key)]


def test_rows_of_the_collection_s_parts_are_headed_in_german(lang):
    lang("de")
    data = _rows().to_dict()
    assert _heads(data) == ["Stapel „Books::Rust“", "Bild „fig 1.png“", "Polar Sync", "Notiz 1700000000123",
                            "Notiztyp „Basic“", "Notiztyp „Basic (Polar)“", "Polar-Sync-Einstellungen"]
    # The path stays, small, as the technical line.
    techs = [tech for key in ("errors", "conflicts", "warnings") for _, _, tech, _ in section_rows(data, key)]
    assert techs[0].startswith("deck 'Books::Rust'") and techs[1].startswith("media/fig 1.png")
    assert any(t.startswith("note type Basic") for t in techs)
    log = log_words(data)
    assert "Notiztyp „Basic“ — " in log and "Stapel „Books::Rust“ — " in log
    for english in ("note type", "deck '", "media/", "add-on config", "note 17"):
        assert english not in log, (english, log)


def test_rows_of_the_collection_s_parts_are_headed_in_english(lang):
    lang("en")
    data = _rows().to_dict()
    assert _heads(data) == ["Deck “Books::Rust”", "Image “fig 1.png”", "Polar Sync", "Note 1700000000123",
                            "Note type “Basic”", "Note type “Basic (Polar)”", "Polar Sync settings"]
    # A heading starts with a capital in every language; a title or a path as written.
    lang("fr")
    assert _heads(data)[-3:-1] == ["Type de note «\u00a0Basic\u00a0»", "Type de note «\u00a0Basic (Polar)\u00a0»"]
    lang("en")
    assert _heads({"warnings": [{"path": "/home/ana/.polar", "message": "m"},
                                {"path": "x", "title": "iOS in depth", "message": "m"},
                                {"path": "x", "document": "1AbCdEfGhIjKlMn", "message": "m"}]}) \
        == ["/home/ana/.polar", "“iOS in depth”", "Document 1AbCdEfGhI…"]


def test_an_older_saved_report_s_rows_have_only_the_path(lang):
    """last-report.json of an earlier version: no ``notetype``/``deck`` detail."""
    lang("de")
    assert where({"path": "note type Cloze (mine)", "message": "m", "code": "notes_followed"}) \
        == "Notiztyp „Cloze (mine)“"
    assert where({"path": "deck 'Bücher'", "message": "m", "code": "deck_refused"}) == "Stapel „Bücher“"
    assert where({"path": "deck \"Rust's book\"", "message": "m"}) == "Stapel „Rust's book“"
    # (an older row without a code: known by its message)
    assert where({"path": "media/a.png", "message": "could not store the image: full"}) == "Bild „a.png“"
    lang("ja")
    assert where({"path": "note type Basic", "message": "m"}) == "ノートタイプ「Basic」"


def test_a_file_s_path_stays_the_heading(lang):
    """Paths that are files or folders (the library, the collection, the
    sync state) are the reader's own names already: shown as they are."""
    lang("de")
    for path in ("/home/ana/.polar", "C:\\Users\\ana\\collection.anki2", "/data/polar-sync-state.json"):
        assert document_name({"path": path, "message": "m"}) == path
    # A media file's path is the image's only when the row is about storing it.
    assert document_name({"path": "media/x", "message": "m", "code": "other"}) == "media/x"
    # A document's row keeps its title, even with a note type named.
    assert where({"path": "k#c", "title": "Rust", "document": "k", "notetype": "Basic", "message": "m"}) \
        == "„Rust“"


@pytest.mark.parametrize("code, heading, tree_label", [
    ("en", "“What is a force?” in “Physics” (page 3)", "What is a force? (page 3)"),
    ("de", "„What is a force?“ in „Physics“ (Seite 3)", "What is a force? (Seite 3)"),
    ("es", "«What is a force?» en «Physics» (página 3)", "What is a force? (página 3)"),
    ("fr", "«\u00a0What is a force?\u00a0» dans «\u00a0Physics\u00a0» (page 3)", "What is a force? (page 3)"),
    ("ja", "「Physics」（3\u00a0ページ）の「What is a force?」", "What is a force?（3\u00a0ページ）"),
])
def test_a_card_s_page_is_said_in_one_form_in_the_row_s_heading_and_the_tree(lang, code, heading, tree_label):
    """A row's heading said ", page 3" ("“What?” in “Physics”, page 3"; de
    ", Seite 3"), the report's and the preview's tree "What? (page 3)":
    one form now, the tree's, which also reads after a question mark. The
    card's own "p. 3" (in the notes) is not the report's to change."""
    lang(code)
    row = {"path": "1Doc/state.json#1Card", "document": "1Doc", "title": "Physics", "card": "1Card", "page": 3,
           "front": "What is a force?", "message": "m"}
    assert _heads({"warnings": [row]}) == [heading]
    from addon.gui.report_text import with_page

    assert with_page("What is a force?", 3) == tree_label
    page = tree_label[len("What is a force?"):]  # the tree's page, word for word in the heading and the tooltip
    assert page in heading and where(row).endswith(page)
