"""What a person does to the stock note type and the notes, in real Anki
(headless, the add-on installed from dist/; branch ``usertypes``,
docs/dev-notes/cards.md): "Basic" renamed and a field added to it, then
Browse ▸ Find and Replace of "polar" by "Polar" over every field, case
ignored as the dialog does. Polar then adds a comment and a card; the watcher
syncs. The reviewer shows the context once (before: twice), and the new card
is in the user's type (before: a new "Polar Basic")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.test_in_anki_reviewer import _js, _wait_js, _wait_shown
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

DOC = "1GuiUserTypesDoc0001"


def _note(col: Any, card_id: str) -> Any:
    nid = col.db.scalar("select id from notes where guid = ?", f"polar:{card_id}")
    assert nid, card_id
    return col.get_note(nid)


def test_a_renamed_basic_and_a_find_and_replace_over_every_field(anki: Any) -> None:
    mw = anki.mw
    anki.settle()
    col = mw.col
    doc = Doc(anki.library, DOC, title="Polar bears", tags=["deck:UserTypesStudy"])
    doc.text_highlight("1GuiUtHl1", "Sea ice is the polar bear's hunting ground.", page=1)
    doc.card("1GuiUtB1", basic("<p>Where does a polar bear hunt?</p>", "<p>On the sea ice</p>"),
             ref="text-highlight:1GuiUtHl1")
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 1
    anki.settle()
    anki.wait_progress_closed()
    model = col.models.by_name("Basic")
    assert model is not None and _note(col, "1GuiUtB1").mid == model["id"]
    try:
        model["name"] = "My Basic"
        col.models.add_field(model, col.models.new_field("My notes"))
        col.models.update_dict(model)
        found = col.find_and_replace(note_ids=[_note(col, "1GuiUtB1").id], search="polar", replacement="Polar",
                                     match_case=False)
        assert found.count == 1

        doc.comment("1GuiUtCm1", "<p>Check the ice survey.</p>", "text-highlight:1GuiUtHl1")
        doc.text_highlight("1GuiUtHl2", "Their fur is transparent.", page=1, top=40)
        doc.card("1GuiUtB2", basic("<p>What colour is their fur?</p>", "<p>Transparent</p>"),
                 ref="text-highlight:1GuiUtHl2")
        before = anki.controller.runner.finished_count
        doc.write()
        report = anki.wait_synced(before).report
        assert (report.created, report.updated, report.conflicts, report.warnings) == (1, 1, [], [])
        anki.settle()
        anki.wait_progress_closed()
        assert _note(col, "1GuiUtB2").note_type()["name"] == "My Basic"
        assert "Polar Basic" not in [m["name"] for m in col.models.all()]

        col.decks.select(col.decks.id("UserTypesStudy"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer.card = _note(col, "1GuiUtB1").cards()[0]
        mw.reviewer._showQuestion()
        _wait_shown(anki, "Where does a Polar bear hunt?")  # the user's replacement, kept
        mw.reviewer._showAnswer()
        shown = _wait_shown(anki, "Check the ice survey.")
        assert shown.count("Sea ice is the polar bear's hunting ground.") == 1, shown
        blocks = _js(anki, "document.querySelectorAll('#qa .polar-context, #qa .Polar-context').length")
        assert blocks == 1
    finally:
        mw.moveToState("deckBrowser")
        model = col.models.get(model["id"])
        model["name"] = "Basic"
        col.models.update_dict(model)
        col.models.remove_field(model, next(f for f in model["flds"] if f["name"] == "My notes"))
        col.models.update_dict(model)
