"""What a person does to the stock note type the add-on's notes are in
(branch ``usertypes``, dev-notes/cards.md): a field added to "Basic", its
fields reordered, the type renamed, its question template edited. The notes
already there keep their reviews and the user's edit stays; new cards from
Polar follow them into that type (before: they went, without a word, to a
new "Polar Basic"/"Polar Cloze" beside it, without the user's field, looking
different). A type that has no place for Polar's front still gets the
add-on's own type, as the report says. Real Anki collections."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from tests.polar_factory import Doc, basic, cloze
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems
from tests.sync.helpers import note_of, run


def _library(lib: Path) -> Doc:
    doc = Doc(lib, "1UserTypesDoc", "User types", tags=["deck:UserTypes"])
    doc.text_highlight("1UserTypesH1", "the highlighted passage")
    doc.card("1UtB1", basic("question one", "answer one"), ref="text-highlight:1UserTypesH1")
    doc.card("1UtZ1", cloze("a {{c1::cloze}} one"), "CLOZE", ref="text-highlight:1UserTypesH1")
    doc.write()
    return doc


def _study(col: Any) -> None:
    for nid in col.find_notes(""):
        for card in col.get_note(nid).cards():
            card.start_timer()
            col.sched.answerCard(card, 3)


def _field(model: Dict[str, Any], name: str) -> Dict[str, Any]:
    return next(f for f in model["flds"] if f["name"] == name)


def _add_field(col: Any, name: str) -> str:
    model = col.models.by_name(name)
    col.models.add_field(model, col.models.new_field("My notes"))
    col.models.update_dict(model)
    return name


def _reorder(col: Any, name: str) -> str:
    model = col.models.by_name(name)
    second = model["flds"][1]["name"]
    col.models.reposition_field(model, _field(model, second), 0)
    col.models.update_dict(model)
    return name


def _rename_type(col: Any, name: str) -> str:
    model = col.models.by_name(name)
    model["name"] = f"My {name}"
    col.models.update_dict(model)
    return model["name"]


def _edit_question(col: Any, name: str) -> str:
    """The question template no longer says ``{{Front}}`` / ``{{cloze:Text}}``
    as stock does (a filter added: the field is still on the question)."""
    model = col.models.by_name(name)
    tmpl = model["tmpls"][0]
    tmpl["qfmt"] = tmpl["qfmt"].replace("{{Front}}", "<b>{{edit:Front}}</b>").replace(
        "{{cloze:Text}}", "<i>{{cloze:Text}}</i>{{hint:Back Extra}}")
    col.models.update_dict(model)
    return name


RESHAPES: Dict[str, Callable[[Any, str], str]] = {
    "field added": _add_field, "fields reordered": _reorder, "type renamed": _rename_type,
    "question template edited": _edit_question,
}


def _types(col: Any) -> List[str]:
    return sorted(m["name"] for m in col.models.all())


@pytest.mark.parametrize("how", sorted(RESHAPES))
def test_new_cards_follow_the_notes_into_the_stock_type_the_user_reshaped(col, tmp_path, how):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    assert run(col, lib, state).created == 2
    _study(col)
    studied = StudyData.of(col)
    names = {"Basic": RESHAPES[how](col, "Basic"), "Cloze": RESHAPES[how](col, "Cloze")}
    types = _types(col)
    mine = note_of(col, "1UtB1")
    mine["Back"] = "MY ANSWER" + mine["Back"][len("answer one"):]
    col.update_note(mine)

    # Polar: a card edited, new ones (on another highlight: not taken for an edit).
    _, raw = doc.find_card("1UtZ1")
    raw["fields"] = cloze("a {{c1::cloze}} one, edited in Polar")
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.card("1UtZ2", cloze("new {{c1::cloze}} two"), "CLOZE")
    doc.write()
    report = run(col, lib, state)

    assert report.errors == [] and report.conflicts == [] and report.warnings == []
    assert (report.created, report.updated) == (2, 1)
    assert _types(col) == types  # no "Polar Basic" / "Polar Cloze" made beside the user's types
    for cid, kind in (("1UtB1", "Basic"), ("1UtB2", "Basic"), ("1UtZ1", "Cloze"), ("1UtZ2", "Cloze")):
        assert note_of(col, cid).note_type()["name"] == names[kind], (cid, how)
    assert note_of(col, "1UtB1")["Back"].startswith("MY ANSWER")  # the user's edit stays
    assert note_of(col, "1UtZ1")["Text"] == "a {{c1::cloze}} one, edited in Polar"
    new_basic, new_cloze = note_of(col, "1UtB2"), note_of(col, "1UtZ2")
    assert new_basic["Front"] == "question two" and new_basic["Back"].startswith("answer two")
    assert 'class="polar-context"' in new_basic["Back"]  # the context as in the notes beside it
    assert new_cloze["Text"] == "new {{c1::cloze}} two" and len(new_cloze.cards()) == 1
    if how == "field added":
        assert new_basic["My notes"] == "" and new_cloze["My notes"] == ""
    after = StudyData.of(col)
    assert after.revlog == studied.revlog and after.reviewed == studied.reviewed
    assert integrity_problems(col) == []
    again = run(col, lib, state)
    assert not again.changed and again.warnings == []


def test_a_type_without_a_place_for_the_front_gets_the_own_type_as_the_report_says(col, tmp_path):
    """"Front" renamed to "Question": Polar's front has no field in "Basic"
    any more, so a new card cannot follow its notes there; it goes to "Polar
    Basic", made for it, and the report says so in one sentence naming both
    types and the field (before: without a word, unless the sync also read a
    document whose notes are in "Basic"). A later Polar edit of a note there is reported
    as the field it could not write, the note keeping what it holds."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    model = col.models.by_name("Basic")
    col.models.rename_field(model, _field(model, "Front"), "Question")
    col.models.update_dict(model)
    other = Doc(lib, "1UserTypesDoc2", "Another book", tags=["deck:UserTypes"])  # the next book read
    other.card("1UtB2", basic("question two", "answer two"))
    other.write()
    report = run(col, lib, state)

    assert report.errors == [] and report.created == 1
    assert note_of(col, "1UtB2").note_type()["name"] == "Polar Basic"
    told = [w for w in report.warnings if w["code"] == "notetype_replaced"]
    assert [(w["notetype"], w["fields"], w["new_notetype"]) for w in told] == [("Basic", "Front", "Polar Basic")]
    assert told[0]["message"] == ("note type 'Basic' lacks its field 'Front' (removed or renamed in Anki); new notes "
                                  "of this kind go to the new note type 'Polar Basic' instead")
    assert len(report.warnings) == 1, [w["message"] for w in report.warnings]

    _, raw = doc.find_card("1UtB1")
    raw["fields"] = basic("question one, edited", "answer one")
    doc.card("1UtB3", basic("question three", "answer three"))
    doc.write()
    report = run(col, lib, state)
    assert report.errors == [] and report.created == 1
    assert note_of(col, "1UtB1").note_type()["name"] == "Basic"
    assert note_of(col, "1UtB1")["Question"] == "question one"  # kept: nothing written into another field
    assert note_of(col, "1UtB3").note_type()["name"] == "Polar Basic"
    about = {w["path"]: w for w in report.warnings}
    assert about["note type Basic"]["code"] == "fields_missing", report.warnings
    assert "new notes go to a complete Polar note type" in about["note type Basic"]["message"]
    assert len(report.warnings) == 1  # the one sentence about "Basic", not two


def test_the_own_types_setting_is_not_followed_into_the_users_type(col, tmp_path):
    """``use_stock_note_types: false``: new notes go to the add-on's own
    types whatever the user did to the stock ones."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _add_field(col, "Basic")
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.write()
    run(col, lib, state, use_stock_note_types=False)
    assert note_of(col, "1UtB1").note_type()["name"] == "Basic"
    assert note_of(col, "1UtB2").note_type()["name"] == "Polar Basic"


def test_most_of_the_notes_decide_and_a_complete_own_type_stays_in_use(col, tmp_path):
    """Notes an earlier version put in "Polar Basic" beside the reshaped
    "Basic" (before new cards followed the user's type): the type holding
    more of the Polar notes takes the new ones; a complete own type holding
    most stays in use."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _add_field(col, "Basic")
    for i in range(3):
        doc.card(f"1UtO{i}", basic(f"own {i}", "answer"))
    doc.write()
    run(col, lib, state, use_stock_note_types=False)  # three in "Polar Basic", one in "Basic"
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.write()
    run(col, lib, state)
    assert note_of(col, "1UtB2").note_type()["name"] == "Polar Basic"


@pytest.mark.parametrize("kind", ["stock", "own"])
def test_a_note_type_deleted_with_its_notes_is_said_not_silently_made_again(col, tmp_path, kind):
    """Manage Note Types ▸ Delete of the type the notes are in deletes the
    notes with it. Their cards are still in Polar, so the next sync makes
    them again (as for any note deleted in Anki: Polar is the source, and
    the settings have no choice for it), once each, in a complete type, and
    the report counts them as made again and says how to be rid of a card."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    config = dict(use_stock_note_types=kind == "stock")
    doc = _library(lib)
    for i in range(5):
        doc.card(f"1UtM{i}", basic(f"more {i}", "answer"))
    doc.write()
    assert run(col, lib, state, **config).created == 7
    name = "Basic" if kind == "stock" else "Polar Basic"
    col.models.remove(col.models.by_name(name)["id"])
    assert len(col.find_notes("")) == 1  # the cloze note is left
    cloze_note = note_of(col, "1UtZ1")

    report = run(col, lib, state, **config)
    assert report.errors == [] and report.created == 6
    again = [w for w in report.warnings if w["code"] == "made_again"]
    assert len(again) == 1 and again[0]["count"] == 6, report.warnings
    assert "delete a card in Polar, or suspend its note in Anki" in again[0]["message"]
    assert note_of(col, "1UtB1").note_type()["name"] == "Polar Basic"
    assert len(col.find_notes("")) == 7 and note_of(col, "1UtZ1").id == cloze_note.id
    assert not run(col, lib, state, **config).changed


def test_check_database_after_a_sync_changes_nothing_the_next_sync_sees(col, tmp_path):
    """Tools ▸ Check Database between two syncs: no note updated, none made
    again, no warning; then a new card is added as usual."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _study(col)
    studied = StudyData.of(col)
    problems, ok = col.fix_integrity()
    assert ok, problems  # (Anki's own words for what Check Database repaired)
    report = run(col, lib, state)
    assert not report.changed and report.warnings == [] and report.unchanged == 2
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.write()
    report = run(col, lib, state)
    assert report.created == 1 and report.warnings == []
    assert StudyData.of(col).revlog == studied.revlog


def test_a_new_card_beside_the_notes_of_a_type_without_a_front_is_told_once(col, tmp_path):
    """The same, the new card in the document whose notes are in "Basic":
    the sync reads those notes too, and the one warning about "Basic" is the
    one of the fields it could not write, which says where new notes go."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    model = col.models.by_name("Basic")
    col.models.rename_field(model, _field(model, "Front"), "Question")
    col.models.update_dict(model)
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.write()
    report = run(col, lib, state)
    assert note_of(col, "1UtB2").note_type()["name"] == "Polar Basic"
    assert [(w["code"], w["notetype"]) for w in report.warnings] == [("fields_missing", "Basic")], report.warnings
    assert "new notes go to a complete Polar note type" in report.warnings[0]["message"]


# Edit Field During Review's Fields tab, as it rewrites a type's templates
# (src/addon/configwindow.py, ``modify_field_editability``, "ALL"): every
# mention of the field, filters kept, gets ``edit:`` in front.
def _edit_during_review(col: Any, name: str) -> None:
    import re

    model = col.models.by_name(name)
    for fld in model["flds"]:
        for tmpl in model["tmpls"]:
            for side in ("qfmt", "afmt"):
                tmpl[side] = re.sub("{{((?:(?!edit:)[^#/:}]+:)*" + re.escape(fld["name"]) + ")}}",
                                    r"{{edit:\1}}", tmpl[side])
    col.models.update_dict(model)


def test_edit_field_during_review_ticked_before_the_first_sync_keeps_the_stock_types(col, tmp_path):
    """Edit Field During Review's ``{{edit:Front}}`` / ``{{edit:cloze:Text}}``
    in "Basic" and "Cloze" before the first sync: the fields show as before,
    so the notes go there (before: "Polar Basic" and "Polar Cloze" were made
    beside them, the person's reviewer editing not on Polar's cards)."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _library(lib)
    for name in ("Basic", "Cloze"):
        _edit_during_review(col, name)
    assert "{{edit:cloze:Text}}" in col.models.by_name("Cloze")["tmpls"][0]["qfmt"]
    types = _types(col)
    report = run(col, lib, state)
    assert report.created == 2 and report.errors == [] and report.warnings == []
    assert _types(col) == types
    basic_note, cloze_note = note_of(col, "1UtB1"), note_of(col, "1UtZ1")
    assert basic_note.note_type()["name"] == "Basic" and cloze_note.note_type()["name"] == "Cloze"
    assert basic_note["Front"] == "question one" and 'class="polar-context"' in basic_note["Back"]
    assert cloze_note["Text"] == "a {{c1::cloze}} one" and len(cloze_note.cards()) == 1
    assert "question one" in basic_note.cards()[0].question()
    assert not run(col, lib, state).changed


def test_notes_already_in_the_own_types_stay_there_when_the_stock_ones_have_edit_fields(col, tmp_path, monkeypatch):
    """Someone who synced with an earlier version while Edit Field During
    Review was on "Basic"/"Cloze" has every Polar note in "Polar Basic"/"Polar
    Cloze": now that such types count as stock, new cards still join the
    earlier ones, not the stock types (one collection, not split)."""
    from addon.sync import notetypes

    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    for name in ("Basic", "Cloze"):
        _edit_during_review(col, name)
    with monkeypatch.context() as m:
        m.setattr(notetypes, "_unedited", lambda template: template)  # the earlier versions' reading
        assert run(col, lib, state).created == 2
    assert note_of(col, "1UtB1").note_type()["name"] == "Polar Basic"
    types = _types(col)
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.card("1UtZ2", cloze("new {{c1::cloze}} two"), "CLOZE")
    doc.write()
    report = run(col, lib, state)
    assert report.created == 2 and report.warnings == []
    assert _types(col) == types
    assert note_of(col, "1UtB2").note_type()["name"] == "Polar Basic"
    assert note_of(col, "1UtZ2").note_type()["name"] == "Polar Cloze"

    # Moved by the person into the stock types (Change Note Type): new ones follow there.
    for cid, kind in (("1UtB1", "Basic"), ("1UtB2", "Basic"), ("1UtZ1", "Cloze"), ("1UtZ2", "Cloze")):
        note = note_of(col, cid)
        old, new = note.note_type(), col.models.by_name(kind)
        info = col.models.change_notetype_info(old_notetype_id=old["id"], new_notetype_id=new["id"])
        req = info.input
        req.note_ids.extend([note.id])
        col.models.change_notetype_of_notes(req)
    doc.card("1UtB3", basic("question three", "answer three"))
    doc.write()
    assert run(col, lib, state).created == 1
    assert note_of(col, "1UtB3").note_type()["name"] == "Basic"


def test_a_stock_type_without_edit_fields_takes_new_notes_as_before_whatever_the_own_types_hold(col, tmp_path):
    """The rule above is for Edit Field During Review's types only: with the
    setting off at first and then on, new notes go to the stock types, as
    the setting says."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    assert run(col, lib, state, use_stock_note_types=False).created == 2
    doc.card("1UtB2", basic("question two", "answer two"))
    doc.write()
    assert run(col, lib, state).created == 1
    assert note_of(col, "1UtB2").note_type()["name"] == "Basic"
