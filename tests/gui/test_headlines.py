"""The first words a person reads of a sync (the report window's headline,
the tooltip, the notice) never contradict the rows below them: no "up to
date" or "would change nothing" over a row that says something from Polar
was not synced or not written, and no problem left out of the notice.

One table over every row code the core and the GUI make (read from their
source, so a new code must be put in the table)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.gui.report_dialog import report_html
from addon.gui.report_text import counts_line, nothing_changed, notice_text, sentence, to_do_codes, tooltip_text

ADDON = Path(__file__).resolve().parents[2] / "addon"

# code -> (section, says that something from Polar is not in Anki after this sync)
ROWS: Dict[str, tuple] = {
    # -- problems: what each names was not synced (or the sync stopped)
    **{code: ("errors", True) for code in (
        "card_not_synced", "card_problem", "collection_damaged", "collection_full", "deck_refused",
        "delete_refused", "document_part_skipped", "export_damaged", "file_refused", "files_readonly",
        "image_not_stored", "not_a_document", "same_card_twice", "sync_failed", "unreadable_file")},
    # -- conflicts: Polar's version kept is an update (counted); Anki's kept leaves Polar's change out
    "conflict_polar": ("conflicts", False), "conflict_context_polar": ("conflicts", False),
    "conflict_anki": ("conflicts", True), "conflict_context_anki": ("conflicts", True),
    "unrecorded_anki": ("conflicts", True),
    # -- warnings that say a change from Polar is not in Anki
    "fields_missing": ("warnings", True), "kind_changed_kept": ("warnings", True),
    "block_flashcards_held_back": ("warnings", True), "export_block_flashcards": ("warnings", True),
    "export_downloading": ("warnings", True), "export_incomplete": ("warnings", True),
    "export_unidentified": ("warnings", True), "export_newer_beside": ("warnings", True),
    "export_unpacked_cut": ("warnings", True), "library_switched": ("warnings", True),
    "library_empty": ("warnings", True), "stopped_by_you": ("warnings", True),
    "stopped_updating_by_you": ("warnings", True), "online_only": ("warnings", True),
    "highlight_image_online_only": ("warnings", True), "being_written": ("warnings", True),
    # -- warnings and rows to know that leave nothing of Polar's out
    **{code: ("warnings", False) for code in (
        "cloud_copy", "folder_copy", "cloze_cards_emptied", "config_setting", "deck_tag", "emptied_decks",
        "export_chosen_in_folder", "export_leftovers_kept", "export_leftovers_taken", "filtered_deck", "foreign_notes",
        "left_deleted",
        "left_deleted_before", "made_again", "made_again_by_setting", "made_again_replaced", "name_not_utf8",
        "new_cards_held", "new_cards_queued", "new_cards_wait_update", "notes_followed", "notetype_replaced",
        "old_scheduler", "polar_sync_on", "preview_after_undo", "state_rebuilt", "undo_beyond_memory")},
}



def says_all_done(words: str) -> bool:
    """"Everything is up to date.", "A sync now would change nothing.", or
    a "Nothing changed…" that does not say that not all is in Anki."""
    plain = words.lower()
    return ("up to date" in plain or plain.endswith("would change nothing.")
            or ("nothing changed" in plain and "not all" not in plain))


def _codes_in_source() -> set:
    codes = set()
    for path in list((ADDON / "sync").rglob("*.py")) + list((ADDON / "gui").rglob("*.py")):
        codes |= set(re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8")))
    return codes | {"conflict_polar", "conflict_anki", "conflict_context_polar", "conflict_context_anki",
                    "unrecorded_anki"}


def test_the_table_holds_every_row_code_the_add_on_makes():
    assert _codes_in_source() - set(ROWS) == set()


def _report(code: str, dry_run: bool = False, **counts: int) -> Dict[str, Any]:
    section, _ = ROWS[code]
    row = {"code": code, "path": "1Doc/state.json", "message": "m", "count": 2, "field": "Front",
           "done": 0, "total": 3, "file": "polar-export-2.zip", "dated": "2021-02-12"}
    data: Dict[str, Any] = {"documents": 3, "unchanged": 40, "errors": [], "conflicts": [], "warnings": []}
    data[section] = [row]
    if dry_run:
        data["dry_run"] = True
    data.update(counts)
    return data


def _headline(data: Dict[str, Any]) -> str:
    """The bold line the report window opens with."""
    html = report_html(data, "sync", 0)
    counts = counts_line(data)
    words = sentence(counts) if counts else nothing_changed(data)
    assert f"<b>{words}</b>" in html.replace("&#x27;", "'").replace("&#39;", "'")
    return words


def _notice_shown(data: Dict[str, Any]) -> bool:
    """Whether the GUI (setup.py's rule) shows the notice rather than the tooltip."""
    return bool(data["errors"] or data["conflicts"] or to_do_codes(data)
                or any(w.get("code") in ("made_again", "made_again_by_setting", "made_again_replaced",
                                         "left_deleted", "cloze_cards_emptied") for w in data["warnings"]))


@pytest.mark.parametrize("dry_run", [False, True], ids=["sync", "preview"])
@pytest.mark.parametrize("code", sorted(ROWS))
def test_the_first_words_never_contradict_a_row(code: str, dry_run: bool):
    section, not_in_anki = ROWS[code]
    data = _report(code, dry_run)
    firsts: List[str] = [_headline(data), notice_text(data) if _notice_shown(data) else tooltip_text(data)]
    if not_in_anki:
        for words in firsts:
            assert not says_all_done(words), (code, words)
    if section == "errors":  # a problem is in the notice, counted
        assert _notice_shown(data) and "1 problem" in notice_text(data), code
        if dry_run:  # a preview synced nothing: its Problems are not "everything else was"
            assert "everything else was" not in report_html(data, "preview", 0), code
    if not dry_run and code in ("block_flashcards_held_back", "export_block_flashcards", "export_unidentified"):
        # With changes beside it, the counts alone ("2 new notes.") hid it: the notice says it.
        changed = _report(code, created=2)
        assert _notice_shown(changed) and "2 new notes" in notice_text(changed), code
        assert notice_text(changed) != tooltip_text(changed).rstrip(".") + "."


def test_a_preview_after_an_undo_does_not_say_a_sync_would_change_nothing():
    data = _report("preview_after_undo", dry_run=True)
    assert _headline(data) == "This preview does not show all that a sync now would do: see below."


def test_a_library_whose_only_document_could_not_be_read_is_not_up_to_date():
    broken = {"created": 0, "unchanged": 0, "documents": 0,
              "errors": [{"path": "1A/state.json", "message": "x", "code": "not_a_document"}]}
    assert _headline(broken) == "Nothing changed, but not all of Polar's changes are in Anki: see below."
    assert notice_text(broken) == "Polar Sync: 1 problem."


@pytest.mark.parametrize("beside", ["old_scheduler", "left_deleted"])
def test_a_change_not_in_anki_comes_before_a_wait_or_notes_left_deleted(beside: str):
    """Two rows: the headline said only the wait ("Nothing changed yet: …")
    or the notes left deleted, over a change from Polar not written."""
    data = _report("fields_missing")
    data["warnings"].append({"code": beside, "count": 2, "path": "x", "message": "m"})
    assert _headline(data) == "Nothing changed, but not all of Polar's changes are in Anki: see below."


def test_flashcards_of_polar_3_held_back_by_a_real_sync_are_in_the_notice(col, tmp_path, state_path):
    """A real sync (a real Collection) of an export whose Polar 3 flashcards
    cannot be matched for certain: nothing written, one warning. Its words:
    not "up to date", and a notice that names them (main: the tooltip
    "Polar Sync: everything is up to date.")."""
    from tests.polar_factory import Doc, basic
    from tests.sync.test_export_blocks import _edit, export_of, run
    from tools.polar_export import migrate_to_blocks

    doc = Doc(tmp_path / "polar", "1TwoOnOneHighlight00001", title="Two")
    doc.text_highlight("1HlTwo0001", "The highlighted sentence.")
    doc.card("1CardOne01", basic("<p>First?</p>", "<p>one</p>"), ref="text-highlight:1HlTwo0001")
    doc.card("1CardTwo02", basic("<p>Second?</p>", "<p>two</p>"), ref="text-highlight:1HlTwo0001")
    run(col, export_of(tmp_path, "before", [doc.meta]), state_path)
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    for i, block in enumerate(b for b in blocks if b["content"]["type"] == "annotation-flashcard"):
        _edit(block, "2021-12-01T09:00:00.000Z", front=f"Edited {i}?")
    data = run(col, export_of(tmp_path, "after", [doc.meta], blocks), state_path).to_dict()
    assert [w["code"] for w in data["warnings"]] == ["block_flashcards_held_back"]
    assert _headline(data) == "Nothing changed, but not all of Polar's changes are in Anki: see below."
    assert _notice_shown(data) and notice_text(data) == "Polar Sync: flashcards of Polar 3 not synced."


def test_a_document_still_being_written_is_said_not_up_to_date_and_not_a_problem():
    """A state.json written in place as the startup sync (or Sync from
    Polar) read it: left for a moment and read again. The tooltip said
    "Polar Sync: everything is up to date." and the report had no row; now
    both say it is still being written and syncs by itself (no notice: it
    is no problem), unless something else kept Polar's changes out."""
    row = {"code": "being_written", "path": "1Doc/state.json", "document": "1Doc",
           "message": "the file was still being written when it was read"}
    data: Dict[str, Any] = {"documents": 3, "unchanged": 2, "errors": [], "conflicts": [], "warnings": [row]}
    assert tooltip_text(data) == "Polar Sync: 1 document is still being written; it syncs by itself once written."
    assert _headline(data) == ("Not all of Polar's changes are in Anki yet: 1 document was still being written, "
                               "and syncs by itself once written.")
    assert not _notice_shown(data)
    html = report_html(data, "startup", 0)
    assert "still being written when the sync read it" in html.replace("&#x27;", "'")
    two = dict(data, warnings=[row, dict(row, path="1Doc2/state.json", document="1Doc2")])
    assert tooltip_text(two) == "Polar Sync: 2 documents are still being written; they sync by themselves once written."
    broken = dict(data, errors=[{"code": "not_a_document", "path": "1B/state.json", "message": "m"}])
    assert _headline(broken) == "Nothing changed, but not all of Polar's changes are in Anki: see below."
