"""A field of Polar's renamed (or removed) in Anki and named back (or added
again): the notes lacked it meanwhile, the sync said so ("rename the field
back to keep them in step") and left the field as it was. The change Polar
made meanwhile was then never written: renaming a field moves no schema
stamp, the document was not read again, and the next syncs said nothing.
Now the row is told at every sync while the type lacks the field, the
documents are read again once it has it back, and what Polar changed
meanwhile is merged with what the person typed as ever (the row kept the
hash of what the last sync wrote in the renamed field's place). Real
collections."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run

# kind -> (the note type, the field renamed, Polar's card before, after, its type)
KINDS: Dict[str, Tuple[str, str, Any, Any, str]] = {
    "stock Basic": ("Basic", "Front", basic("question one", "answer"), basic("question two", "answer"),
                    "BASIC_FRONT_BACK"),
    "stock Cloze": ("Cloze", "Text", cloze("a {{c1::first}} text"), cloze("a {{c1::second}} text"), "CLOZE"),
    "own Polar Basic": ("Polar Basic", "Front", basic("question one", "answer"), basic("question two", "answer"),
                        "BASIC_FRONT_BACK"),
}
WORDS = {"stock Basic": ("question one", "question two"), "stock Cloze": ("{{c1::first}}", "{{c1::second}}"),
         "own Polar Basic": ("question one", "question two")}


def _rename(col: Any, notetype: str, old: str, new: str) -> None:
    model = col.models.by_name(notetype)
    col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == old), new)
    col.models.update_dict(model)


def _setup(col: Any, tmp_path: Path, kind: str) -> Tuple[Doc, Path, Path, Dict[str, Any]]:
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    notetype, _, before, _, card_type = KINDS[kind]
    config = {"use_stock_note_types": not kind.startswith("own")}
    doc = Doc(lib, "1NamedBackDoc", "Named back", tags=["deck:NamedBack"])
    doc.card("1NbCard", before, card_type)
    doc.write()
    report = run(col, lib, state, **config)
    assert report.created == 1 and note_of(col, "1NbCard").note_type()["name"] == notetype
    card = note_of(col, "1NbCard").cards()[0]
    card.start_timer()
    col.sched.answerCard(card, 3)
    return doc, lib, state, config


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_polars_change_made_while_a_field_was_renamed_is_written_once_it_is_named_back(col, tmp_path, kind):
    doc, lib, state, config = _setup(col, tmp_path, kind)
    notetype, field, _, after, _ = KINDS[kind]
    was, now = WORDS[kind]
    _rename(col, notetype, field, "Renamed")
    _, raw = doc.find_card("1NbCard")
    raw["fields"] = after
    doc.write()
    for _ in range(2):  # the sync of the change, and one that reads nothing: both say it
        report = run(col, lib, state, **config)
        assert [(w["code"], w["notetype"], w["fields"]) for w in report.warnings] == \
            [("fields_missing", notetype, field)], report.warnings
        assert was in note_of(col, "1NbCard")["Renamed"]
    _rename(col, notetype, "Renamed", field)
    report = run(col, lib, state, **config)
    assert (report.updated, report.warnings, report.conflicts, report.errors) == (1, [], [], []), report
    note = note_of(col, "1NbCard")
    assert now in note[field] and was not in note[field], note[field]
    assert note.cards()[0].reps == 1  # the review kept
    report = run(col, lib, state, **config)
    assert (report.updated, report.warnings) == (0, []), report.warnings


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_an_edit_typed_into_the_renamed_field_meanwhile_is_a_conflict_not_overwritten_unsaid(col, tmp_path, policy):
    """Polar changed the question and the person typed into the renamed
    field: once named back, both changed since the last sync wrote it, a
    conflict as any other (the policy decides; the report shows both)."""
    doc, lib, state, config = _setup(col, tmp_path, "stock Basic")
    _rename(col, "Basic", "Front", "Frage")
    _, raw = doc.find_card("1NbCard")
    raw["fields"] = basic("question two", "answer")
    doc.write()
    run(col, lib, state, **config)
    note = note_of(col, "1NbCard")
    note["Frage"] = "my own question"
    col.update_note(note)
    _rename(col, "Basic", "Frage", "Front")
    report = run(col, lib, state, conflict_policy=policy, **config)
    assert [(c["field"], c["polar"], c["anki"]) for c in report.conflicts] == \
        [("Front", "question two", "my own question")], report.conflicts
    kept = "question two" if policy == "polar_wins" else "my own question"
    assert note_of(col, "1NbCard")["Front"] == kept


def test_a_field_removed_and_added_again_gets_polars_change(col, tmp_path):
    """"Back" removed from stock Basic (its text gone with it), Polar's
    answer changed, "Back" added again: the answer is written."""
    doc, lib, state, config = _setup(col, tmp_path, "stock Basic")
    model = col.models.by_name("Basic")
    col.models.remove_field(model, next(f for f in model["flds"] if f["name"] == "Back"))
    col.models.update_dict(model)
    _, raw = doc.find_card("1NbCard")
    raw["fields"] = basic("question one", "a new answer")
    doc.write()
    report = run(col, lib, state, **config)
    assert [(w["code"], w["fields"]) for w in report.warnings] == [("fields_missing", "Back")], report.warnings
    model = col.models.by_name("Basic")
    col.models.add_field(model, col.models.new_field("Back"))
    col.models.update_dict(model)
    report = run(col, lib, state, **config)
    assert report.warnings == [] and report.updated == 1, report
    assert "a new answer" in note_of(col, "1NbCard")["Back"]


def test_a_note_type_that_keeps_lacking_the_field_is_told_at_every_sync_and_only_while_it_does(col, tmp_path):
    """A person who renamed the field for good is told at each sync (a
    report row, no notice); the note type deleted with its notes ends it."""
    doc, lib, state, config = _setup(col, tmp_path, "stock Basic")
    _rename(col, "Basic", "Front", "Frage")
    _, raw = doc.find_card("1NbCard")
    raw["fields"] = basic("question two", "answer")
    doc.write()
    for _ in range(3):
        report = run(col, lib, state, **config)
        assert [w["code"] for w in report.warnings] == ["fields_missing"], report.warnings
        assert report.warnings[0]["count"] == 1
    col.models.remove(col.models.by_name("Basic")["id"])
    report = run(col, lib, state, **config)
    assert "fields_missing" not in [w["code"] for w in report.warnings], report.warnings
