"""The add-on's own note types reshaped by the user (a field renamed, one
removed): detected, one warning naming the note type and the fields, new
notes go to a fresh complete own type, existing notes keep what they hold
(nothing written into the wrong field, nothing silently lost), study data
untouched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.polar_factory import Doc, basic
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync

OWN = dict(use_stock_note_types=False)


def _library(lib, highlight: str) -> Doc:
    doc = Doc(lib, "1ReshapeDoc", "Reshaped", tags=["deck:Reshape"])
    doc.text_highlight("1ReshapeH1", highlight)
    doc.page(1)["comments"]["cm1"] = {"id": "cm1", "content": {"HTML": "<p>my comment</p>"},
                                      "ref": "text-highlight:1ReshapeH1"}
    doc.card("1ReshapeC1", basic("question one", "answer one"), ref="text-highlight:1ReshapeH1")
    doc.card("1ReshapeC2", basic("question two", "answer two"), ref="text-highlight:1ReshapeH1")
    doc.write()
    return doc


def _note(col: Any, card_id: str) -> Any:
    return col.get_note(col.db.scalar("select id from notes where guid = ?", f"polar:{card_id}"))


def test_reshaped_own_note_type_is_detected_and_never_loses_content(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib, "the highlighted passage")
    assert run_sync(col, lib, state, **OWN).created == 2
    model = col.models.by_name("Polar Basic")
    assert model is not None

    # The user reshapes it: "Highlight" renamed, "Comments" removed.
    fields = {f["name"]: f for f in model["flds"]}
    col.models.rename_field(model, fields["Highlight"], "Quote")
    col.models.remove_field(model, fields["Comments"])
    col.models.update_dict(model)
    shaped = [f["name"] for f in col.models.get(model["id"])["flds"]]
    quote_before = _note(col, "1ReshapeC1")["Quote"]
    assert "highlighted passage" in quote_before
    col.decks.select(col.decks.id_for_name("Reshape"))
    col.sched.answerCard(col.sched.getCard(), 3)
    studied = StudyData.of(col)

    # Polar: the highlight text is edited, the card's answer too, a card is added.
    doc.text_highlight("1ReshapeH1", "the passage, corrected")
    _, raw = doc.find_card("1ReshapeC1")
    raw["fields"] = basic("question one", "answer one, better")
    doc.card("1ReshapeC3", basic("question three", "answer three"), ref="text-highlight:1ReshapeH1")
    doc.write()
    report = run_sync(col, lib, state, **OWN)
    assert report.errors == [] and report.created == 1

    about = [w["message"] for w in report.warnings if w["path"] == "note type Polar Basic"]
    assert any("'Comments', 'Highlight'" in m and "could not be written" in m for m in about), report.warnings
    assert any("new notes of this kind go to the new note type 'Polar Basic (2)'" in m for m in about)

    # Existing notes: what has a field is updated; the renamed field keeps its content.
    old = _note(col, "1ReshapeC1")
    assert old["Back"] == "answer one, better" and old["Quote"] == quote_before
    assert [f["name"] for f in col.models.get(model["id"])["flds"]] == shaped  # the user's type untouched
    # New notes: a fresh, complete own type with the highlight in its place.
    new = _note(col, "1ReshapeC3")
    assert new.note_type()["name"] == "Polar Basic (2)"
    assert "corrected" in new["Highlight"] and "my comment" in new["Comments"]

    assert StudyData.of(col).revlog == studied.revlog
    assert integrity_problems(col) == []
    again = run_sync(col, lib, state, **OWN)
    # Nothing changes; the notes still lack Polar's change there: the row is told again
    # (the report's, no notice: ``told_before``), the other one (where new notes go) not.
    told = [w for w in again.warnings if w["path"].startswith("note type")]
    assert not again.changed and [(w["code"], w.get("told_before")) for w in told] == [("fields_missing", True)]
    assert sorted(m["name"] for m in col.models.all() if m["name"].startswith("Polar")) == [
        "Polar Basic", "Polar Basic (2)"]


def _reshape(col: Any, model: Any, how: str) -> None:
    fields = {f["name"]: f for f in model["flds"]}
    if how == "added":
        col.models.add_field(model, col.models.new_field("My notes"))
    elif how == "reordered":
        col.models.reposition_field(model, fields["Back"], 0)
    elif how == "removed":  # one of the own type's context fields
        col.models.remove_field(model, fields["Comments"])
    col.models.update_dict(model)


@pytest.mark.parametrize("stock, how", [
    (True, "added"), (True, "reordered"), (False, "added"), (False, "reordered"), (False, "removed"),
])
def test_an_answer_edited_in_anki_survives_a_field_added_removed_or_reordered(col, tmp_path, stock, how):
    """The sync state remembers each field's hash by position: a field added,
    removed or moved in the note type since must not make the user's edit
    look like no edit (overwritten, no conflict) or like a conflict (Polar's
    version kept). It stays, as it would without the reshape."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    config = dict(use_stock_note_types=stock)
    doc = _library(lib, "the highlighted passage")
    run_sync(col, lib, state, **config)
    note = _note(col, "1ReshapeC1")
    note["Back"] = "MY OWN ANSWER" + note["Back"][len("answer one"):]  # the stock type's context block kept
    col.update_note(note)

    _reshape(col, note.note_type(), how)
    doc.card("1ReshapeC3", basic("question three", "answer three"), ref="text-highlight:1ReshapeH1")
    doc.write()  # the document is read again; card C1 did not change in Polar
    report = run_sync(col, lib, state, **config)

    assert report.errors == [] and report.conflicts == [] and report.created == 1
    assert _note(col, "1ReshapeC1")["Back"].startswith("MY OWN ANSWER")
    # And a later Polar edit of that answer is a conflict the report names, not a silent overwrite.
    _, raw = doc.find_card("1ReshapeC1")
    raw["fields"] = basic("question one", "answer one, edited in Polar")
    doc.write()
    report = run_sync(col, lib, state, **config)
    assert [c["field"] for c in report.conflicts] == ["Back"]


def test_a_renamed_field_of_the_stock_types_is_reported_not_silently_skipped(col, tmp_path):
    """Stock Basic's "Back" and Cloze's "Text" renamed by the user: Polar's
    edits of them have no field left to go to. The notes keep what they
    hold (nothing written into another field) and the report says which
    note type lacks which field, instead of counting them unchanged."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1StockShape", "Stock shapes", tags=["deck:Shapes"])
    doc.card("1StockB1", basic("question", "answer"))
    doc.card("1StockC1", {"text": {"HTML": "a {{c1::cloze}}"}}, "CLOZE")
    doc.write()
    run_sync(col, lib, state)
    for name, field, new in (("Basic", "Back", "Answer"), ("Cloze", "Text", "Cloze text")):
        model = col.models.by_name(name)
        col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == field), new)
        col.models.update_dict(model)
    before = {cid: list(_note(col, cid).fields) for cid in ("1StockB1", "1StockC1")}

    doc.edit_card("1StockB1", "1StockB2", basic("question", "answer, edited in Polar"))
    doc.edit_card("1StockC1", "1StockC2", {"text": {"HTML": "a {{c1::cloze}}, edited"}})
    doc.write()
    report = run_sync(col, lib, state)

    assert report.errors == [] and report.rekeyed == 2
    about = {w["path"]: w["message"] for w in report.warnings}
    assert "lacks its field 'Back'" in about["note type Basic"], report.warnings
    assert "lacks its field 'Text'" in about["note type Cloze"], report.warnings
    assert list(_note(col, "1StockB2").fields) == before["1StockB1"]
    assert _note(col, "1StockC2")["Cloze text"] == before["1StockC1"][0]
    assert integrity_problems(col) == []
