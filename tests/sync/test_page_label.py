"""The words before a card's page number ("p. 4", "S. 4"): fixed per
collection by its first sync, in that sync's language; never a rewrite of
notes an earlier version made with English words, never a change when Anki's
language changes later (addon/sync/page_label.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from addon.settings import ENGLISH_PAGE_LABEL, Settings
from addon.sync.engine import sync
from addon.sync.page_label import CONFIG_KEY, from_words, stored, usable
from addon.sync.report import Report

GERMAN = "S. {page}"


def run(col: Any, library: Path, state: Path, wanted: str = ENGLISH_PAGE_LABEL, dry_run: bool = False,
        **config: Any) -> Report:
    """One sync as a driver makes it: ``wanted`` is the label of the
    driver's language (the GUI: ``tr("p. {page}")``)."""
    settings, warnings = Settings.from_dict(config)
    assert not warnings
    return sync(col, settings._replace(page_label=wanted), state, source_path=library, dry_run=dry_run)


def pages(col: Any) -> Dict[int, Tuple[str, ...]]:
    """Each note's page labels as its fields hold them (and its mtime)."""
    out = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        found = re.findall(r"· ((?:p|S)\.(?: |&nbsp;)\d+)", "".join(note.fields))  # (unbreakable in the note)
        out[nid] = tuple(f.replace("&nbsp;", " ") for f in found) + (str(note.mod),)
    return out


def labels(col: Any) -> set:
    return {label for found in pages(col).values() for label in found[:-1]}


def test_a_german_first_sync_writes_german_words_and_keeps_them(col_de, library, state_path):
    report = run(col_de, library, state_path, GERMAN)
    assert report.created and not report.errors
    assert labels(col_de) and all(label.startswith("S. ") for label in labels(col_de))
    assert stored(col_de) == GERMAN
    before = pages(col_de)
    # Anki switched to English: the collection's words stay, nothing is read
    # again or rewritten.
    again = run(col_de, library, state_path, ENGLISH_PAGE_LABEL)
    assert not again.changed and again.parsed == 0 and pages(col_de) == before
    # A document edited in Polar is rendered again with the collection's words.
    state = next(library.glob("*/state.json"))
    state.write_text(state.read_text().replace('"title"', '"title" ', 1))
    third = run(col_de, library, state_path, ENGLISH_PAGE_LABEL)
    assert third.parsed == 1 and not third.changed and pages(col_de) == before


def test_stock_types_get_the_words_in_their_block(col, library, state_path):
    """An English collection in a German Anki: stock Basic/Cloze, German words."""
    run(col, library, state_path, GERMAN)
    backs = [col.get_note(n)["Back"] for n in col.find_notes('note:Basic')]
    assert any("· S.&nbsp;" in b for b in backs) and not any("· p.&nbsp;" in b for b in backs)


def test_an_earlier_versions_collection_keeps_its_english_words(col_de, library, state_path):
    """Synced by a version that stored no label: its notes say "p. N". A
    German Anki with this version changes none of them, reads nothing again
    and stores nothing while there is nothing to write (a no-op stays one)."""
    run(col_de, library, state_path)  # (English, as every version before wrote)
    col_de.remove_config(CONFIG_KEY)
    before = pages(col_de)
    assert labels(col_de) and all(label.startswith("p. ") for label in labels(col_de))
    mod = col_de.db.scalar("SELECT mod FROM col")
    again = run(col_de, library, state_path, GERMAN)
    assert not again.changed and again.parsed == 0 and pages(col_de) == before
    assert stored(col_de) is None and col_de.db.scalar("SELECT mod FROM col") == mod
    # A document edited in Polar: rendered with the English words still.
    state = next(library.glob("*/state.json"))
    state.write_text(state.read_text().replace('"title"', '"title" ', 1))
    third = run(col_de, library, state_path, GERMAN)
    assert third.parsed == 1 and pages(col_de) == before


def test_notes_without_a_state_file_keep_their_english_words(col_de, library, state_path, tmp_path):
    """The state file lost (add-on reinstalled) or another computer: the
    collection's Polar notes tell that its labels are English."""
    run(col_de, library, state_path)
    col_de.remove_config(CONFIG_KEY)
    before = pages(col_de)
    fresh = tmp_path / "other-state.sqlite"
    again = run(col_de, library, fresh, GERMAN)
    assert again.created == 0 and again.updated == 0 and pages(col_de) == before
    # A document edited in Polar, read again: still English.
    state = next(library.glob("*/state.json"))
    state.write_text(state.read_text().replace('"title"', '"title" ', 1))
    run(col_de, library, fresh, GERMAN)
    assert stored(col_de) is None and pages(col_de) == before  # (nothing to write: nothing stored)


def test_a_preview_fixes_nothing(col_de, library, state_path):
    report = run(col_de, library, state_path, GERMAN, dry_run=True)
    assert report.created and stored(col_de) is None
    run(col_de, library, state_path, "第 {page} 页")  # the first real sync decides
    assert stored(col_de) == "第 {page} 页" and any(label.startswith("第") for label in _all_sources(col_de))


def _all_sources(col: Any) -> set:
    found = (re.findall(r"第&nbsp;\d+&nbsp;页", "".join(col.get_note(nid).fields)) for nid in col.find_notes(""))
    return {m for ms in found for m in ms}


def test_an_undo_of_the_first_sync_keeps_the_words(col_de, library, state_path):
    run(col_de, library, state_path, GERMAN)
    col_de.undo()
    assert col_de.note_count() == 0 and stored(col_de) == GERMAN
    run(col_de, library, state_path, ENGLISH_PAGE_LABEL)
    assert labels(col_de) and all(label.startswith("S. ") for label in labels(col_de))


@pytest.mark.parametrize("label, ok", [
    ("p. {page}", True), ("S. {page}", True), ("第 {page} 页", True), ("{page}", False),
    ("p. {page} {page}", False), ("p. {n}", False), ("p. {page}}", False), ("", False), (None, False),
    ("x" * 41 + "{page}", False), ("p.\n{page}", False),
])
def test_only_plain_labels_with_one_page_number_are_used(label, ok):
    assert usable(label) is ok


def test_a_broken_translation_gives_the_english_words():
    assert from_words("S.  {page} ") == "S. {page}"
    assert from_words("S. {seite}") == ENGLISH_PAGE_LABEL


def test_the_label_is_escaped_where_it_is_written(col, library, state_path):
    col.set_config(CONFIG_KEY, "<b>&{page}")
    run(col, library, state_path)
    text = "".join("".join(col.get_note(n).fields) for n in col.find_notes(""))
    assert "&lt;b&gt;&amp;4" in text and "<b>&" not in text


def test_an_epub_s_place_is_its_section_in_every_language(col_de, tmp_path, state_path):
    """Polar's page number of an EPUB is a section of the book: "§ 3" in a
    German collection as in an English one (no "S. 3", a page no reader
    shows); a PDF beside it keeps the collection's "S. 3"."""
    from tests.polar_factory import Doc, basic
    from tests.sync.helpers import note_of

    library = tmp_path / "polar"
    book = Doc(library, "1EpubGermanBook000000001", "Der Steppenwolf", pages=12)
    book.meta["docInfo"]["filename"] = "1EpubStash.epub"
    book.card("1CardEpubD", basic("Wer?", "Harry Haller"), page=3)
    paper = Doc(library, "1PdfGermanPaper000000001", "Bigtable")
    paper.card("1CardPdfD1", basic("Was?", "eine Tabelle"), page=3)
    book.write()
    paper.write()
    assert run(col_de, library, state_path, GERMAN).created == 2
    epub = note_of(col_de, "1CardEpubD").cards()[0].answer()
    assert "Der Steppenwolf</span>&nbsp;· §&nbsp;3" in epub and "S.&nbsp;3" not in epub
    assert "Bigtable</span>&nbsp;· S.&nbsp;3" in note_of(col_de, "1CardPdfD1").cards()[0].answer()
