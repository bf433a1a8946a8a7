"""The user's part of a field is theirs: an answer edited in Anki survives
a change in Polar to the context alone (the highlight, a new comment, the
document's title), with the stock types (context block in Back / Back Extra)
and with the own types (context in its own fields). No conflict is reported."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run


def answer_shown(note: Any) -> str:
    return note.cards()[0].answer()


def make_doc(root: Path) -> Doc:
    doc = Doc(root, "1EditDoc0000000000000000", "First title")
    doc.text_highlight("1HlEdit001", "the original highlight", page=1)
    doc.card("1BasicEdit", basic("question?", "polar answer"), ref="text-highlight:1HlEdit001")
    doc.card("1ClozeEdit", cloze("a {{c1::cloze}} card"), "CLOZE", ref="text-highlight:1HlEdit001")
    return doc


@pytest.mark.parametrize("stock", [True, False], ids=["stock", "own"])
@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_answer_edited_in_anki_survives_a_context_change(col, tmp_path, stock: bool, policy: str) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    config = {"use_stock_note_types": stock, "conflict_policy": policy}
    doc = make_doc(library)
    doc.write()
    run(col, library, state, **config)

    basic_note = note_of(col, "1BasicEdit")
    back = basic_note.keys()[1]
    basic_note[back] = "my own answer" + (basic_note[back][len("polar answer"):] if stock else "")
    col.update_note(basic_note)
    cloze_note = note_of(col, "1ClozeEdit")
    extra = cloze_note.keys()[1]
    cloze_note[extra] = "my extra" + cloze_note[extra]
    col.update_note(cloze_note)

    # Polar: only the context changes (highlight text, a comment, the title).
    page = doc.page(1)
    page["textHighlights"]["1HlEdit001"]["text"] = {"TEXT": "the revised highlight"}
    doc.comment("1CmEdit001", "<p>a new comment</p>", "text-highlight:1HlEdit001")
    doc.meta["docInfo"]["title"] = "Second title"
    doc.write()
    report = run(col, library, state, **config)

    assert report.conflicts == []
    for card_id, mine in (("1BasicEdit", "my own answer"), ("1ClozeEdit", "my extra")):
        note = note_of(col, card_id)
        field = note.fields[1]
        assert field.startswith(mine), field
        shown = answer_shown(note)
        assert mine in shown
        assert "the revised highlight" in shown and "a new comment" in shown and "Second title" in shown
        assert "the original highlight" not in shown and "First title" not in shown
        if stock:
            assert field.count("polar-context") == 1  # regenerated, never grown

    # A later Polar edit of the answer itself is a real conflict: the policy decides.
    doc.page(1)["flashcards"]["1BasicEdit"]["fields"] = basic("question?", "polar's new answer")
    doc.write()
    report = run(col, library, state, **config)
    assert [c["message"] for c in report.conflicts] == [
        f"field 'Back' changed in Polar and in Anki; {'Polar' if policy == 'polar_wins' else 'Anki'} version kept"
    ]
    kept = "polar's new answer" if policy == "polar_wins" else "my own answer"
    assert note_of(col, "1BasicEdit").fields[1].startswith(kept)


def test_context_change_without_anki_edit_just_updates(col, tmp_path) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state)
    doc.page(1)["textHighlights"]["1HlEdit001"]["text"] = {"TEXT": "the revised highlight"}
    doc.write()
    report = run(col, library, state)
    assert report.conflicts == [] and report.updated == 2
    note = note_of(col, "1BasicEdit")
    assert note["Back"].startswith("polar answer") and "the revised highlight" in note["Back"]
    again = run(col, library, state)
    assert again.updated == 0 and again.conflicts == []


def test_tags_the_user_removed_or_renamed_stay_so(col, tmp_path) -> None:
    """Tags are the user's to edit like fields: one of Polar's they removed
    from a note, or the marker tag renamed in the Browser (``polar`` →
    ``reading::polar``), is not put back when the document is read again;
    a tag Polar adds later still arrives, and the user's own tags stay."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.tag("os").write()
    run(col, library, state)
    note = note_of(col, "1BasicEdit")
    assert note.tags == ["os", "polar"]
    note.tags = ["mine"]  # "os" and "polar" removed, one of theirs added
    col.update_note(note)
    col.tags.rename("polar", "reading::polar")  # on every other note

    doc.tag("kernel")  # Polar: a new tag for the document, so it is read again
    doc.write()
    run(col, library, state)

    assert sorted(note_of(col, "1BasicEdit").tags) == ["kernel", "mine"]
    assert sorted(note_of(col, "1ClozeEdit").tags) == ["kernel", "os", "reading::polar"]
    assert not run(col, library, state).changed


def test_a_tag_polar_spells_anew_in_other_case_is_the_same_tag(col, tmp_path) -> None:
    """A document's tag spelt anew in Polar in another case only (``os`` →
    ``OS``): Anki's tags know no case, so it is the same tag, not one Polar
    removed and another it added: the note is not written for it, and a
    user who removed the tag from a note still finds it removed."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.tag("os").write()
    run(col, library, state)
    mine = note_of(col, "1ClozeEdit")
    mine.remove_tag("os")
    col.update_note(mine)
    del doc.meta["docInfo"]["tags"]["os"]
    doc.tag("OS").write()
    report = run(col, library, state)
    assert (report.updated, report.conflicts) == (0, []), report.to_dict()
    assert sorted(note_of(col, "1BasicEdit").tags) == ["os", "polar"]
    assert note_of(col, "1ClozeEdit").tags == ["polar"]


def _lose_state(state: Path) -> None:
    for path in state.parent.glob(state.name + "*"):
        path.unlink()


@pytest.mark.parametrize("stock", [True, False], ids=["stock", "own"])
@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_edits_are_kept_when_the_sync_has_no_record_of_the_note(col, tmp_path, stock: bool, policy: str) -> None:
    """The sync state lost (reinstalled add-on, a rebuilt state) or never
    there (another computer's first sync, notes imported from an .apkg): a
    text that differs from Polar's cannot be told for a Polar edit or the
    user's, so the user's stays, reported once with both versions; the
    context is regenerated as ever, and from then on merges go as usual."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    config = {"use_stock_note_types": stock, "conflict_policy": policy}
    doc = make_doc(library)
    doc.write()
    run(col, library, state, **config)
    basic_note = note_of(col, "1BasicEdit")
    front, back = basic_note.keys()[:2]
    basic_note[front] = "question, typo fixed in Anki?"
    basic_note[back] = "my own answer" + (basic_note[back][len("polar answer"):] if stock else "")
    col.update_note(basic_note)
    cloze_note = note_of(col, "1ClozeEdit")
    text = cloze_note.keys()[0]
    cloze_note[text] = "a {{c1::cloze}} card, with my words"
    col.update_note(cloze_note)
    _lose_state(state)
    doc.meta["docInfo"]["title"] = "Second title"
    doc.write()

    report = run(col, library, state, **config)
    basic_note, cloze_note = note_of(col, "1BasicEdit"), note_of(col, "1ClozeEdit")
    assert basic_note[front] == "question, typo fixed in Anki?"
    assert basic_note[back].startswith("my own answer")
    assert cloze_note[text] == "a {{c1::cloze}} card, with my words"
    assert "Second title" in basic_note.cards()[0].answer()  # the context is the add-on's
    assert "First title" not in basic_note.cards()[0].answer()
    rows = {(r["card"], r["field"]): r for r in report.conflicts}
    assert set(rows) == {("1BasicEdit", front), ("1BasicEdit", back), ("1ClozeEdit", text)}
    assert {r["code"] for r in rows.values()} == {"unrecorded_anki"}
    assert rows[("1BasicEdit", front)]["polar"] == "question?"
    assert rows[("1BasicEdit", front)]["anki"] == "question, typo fixed in Anki?"

    again = run(col, library, state, **config)  # remembered now: nothing more to say
    assert again.conflicts == [] and again.updated == 0
    doc.find_card("1BasicEdit")[1]["fields"] = basic("question, edited in Polar?", "polar answer")
    doc.write()
    later = run(col, library, state, **config)  # a Polar edit meets the user's as usual
    assert [(r["field"], r["code"]) for r in later.conflicts] == [
        (front, "conflict_polar" if policy == "polar_wins" else "conflict_anki")]
    assert note_of(col, "1BasicEdit")[back].startswith("my own answer")


def test_a_note_with_no_record_that_holds_polars_text_is_updated_without_a_word(col, tmp_path) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state)
    _lose_state(state)
    doc.page(1)["textHighlights"]["1HlEdit001"]["text"] = {"TEXT": "the revised highlight"}
    doc.write()
    report = run(col, library, state)
    assert report.conflicts == [] and report.updated == 2 and report.created == 0
    assert "the revised highlight" in note_of(col, "1BasicEdit")["Back"]


@pytest.mark.parametrize("change", ["answer", "context"])
@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_find_and_replace_over_the_back_leaves_the_block_to_the_add_on(col, tmp_path, change: str, policy: str) -> None:
    """Browser ▸ Notes ▸ Find and Replace over Back changes the words of the
    context block too (the title, the highlight). The block is the add-on's:
    when Polar next changes the answer or the context, the block is simply
    made anew. Before: the replaced letters were taken for text typed into
    the block ("polar answerdnodno" kept with anki_wins, a conflict either
    way) or the context change was a conflict (with anki_wins the block kept
    the replaced words and never showed Polar's new comment)."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state)
    nid = note_of(col, "1BasicEdit").id
    found = col.find_and_replace(note_ids=[nid], search="original|First", replacement="first-hand",
                                 regex=True, field_name="Back")
    assert found.count == 1 and "first-hand highlight" in col.get_note(nid)["Back"]

    if change == "answer":
        doc.page(1)["flashcards"]["1BasicEdit"]["fields"] = basic("question?", "polar's new answer")
    else:
        doc.comment("1CmEdit001", "<p>a new comment</p>", "text-highlight:1HlEdit001")
    doc.write()
    report = run(col, library, state, conflict_policy=policy)

    assert report.conflicts == [], report.conflicts
    back = col.get_note(nid)["Back"]
    answer = "polar's new answer" if change == "answer" else "polar answer"
    assert back.startswith(answer + '<div class="polar-context"'), back
    assert "the original highlight" in back and "First title" in back and "first-hand" not in back
    assert ("a new comment" in back) == (change == "context")
    assert run(col, library, state, conflict_policy=policy).updated == 0


@pytest.mark.parametrize("search, replacement", [("polar", "Polar"), ("context", "setting")])
@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_find_and_replace_over_every_field_that_reaches_the_blocks_markup(col, tmp_path, search: str,
                                                                           replacement: str, policy: str) -> None:
    """Find and Replace over all fields, case ignored (the dialog's default),
    of a word in the block's own markup: "polar" (the app's name, "polar
    bears", "polar coordinates") is in its classes and its stamp, "context"
    in its class. The block must still be the add-on's: made anew when
    Polar changes the context, once. Before: the block was not found any
    more, and the new one was written after it, so the card showed the
    context twice (with "polar" → "Polar", "context" → "setting"); and the
    tags it had rewritten were taken for typing (an empty highlight bar
    kept beside the new block)."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state, conflict_policy=policy)
    nids = [note_of(col, cid).id for cid in ("1BasicEdit", "1ClozeEdit")]
    found = col.find_and_replace(note_ids=nids, search=search, replacement=replacement, match_case=False)
    assert found.count == 2
    user_answer = col.get_note(nids[0])["Back"].split("<div", 1)[0]
    assert user_answer == ("Polar answer" if search == "polar" else "polar answer")

    doc.comment("1CmEdit001", "<p>a new comment</p>", "text-highlight:1HlEdit001")
    doc.write()
    report = run(col, library, state, conflict_policy=policy)

    assert report.conflicts == [] and report.updated == 2, report.to_dict()
    for nid, name in zip(nids, ("Back", "Back Extra")):
        value = col.get_note(nid)[name]
        assert value.count("data-polar-block") == 1 and value.count('<div class="polar-context"') == 1, value
        assert "Polar-" not in value and "polar-setting" not in value
        assert value.count("<blockquote") == 1 and "a new comment" in value
    assert col.get_note(nids[0])["Back"].startswith(user_answer + '<div class="polar-context"')  # the user's edit
    assert not run(col, library, state, conflict_policy=policy).changed


def _type_inside_the_block(col: Any, card_id: str, typed: str) -> int:
    """What the editor does with the caret at the end of Back: the typing
    lands inside the block, after its last text ("… · p.&nbsp;1typed")."""
    note = note_of(col, card_id)
    back = note["Back"]
    at = back.rindex("</div>")
    note["Back"] = back[:at] + typed + back[at:]
    col.update_note(note)
    return int(note.id)


@pytest.mark.parametrize("context_changed", [False, True], ids=["same-context", "new-context"])
def test_text_typed_inside_the_block_of_a_note_with_no_record_is_kept(col, tmp_path, context_changed: bool) -> None:
    """The block carries its own hash (``data-polar-block``), so a note the
    sync has no record of (state lost, another computer, an import) can still
    tell what was typed inside it: kept before the block and listed once as
    kept as in Anki. Before: dropped without a word when the block was made
    again."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state)
    assert 'data-polar-block="' in note_of(col, "1BasicEdit")["Back"]
    nid = _type_inside_the_block(col, "1BasicEdit", " my own note")
    _lose_state(state)
    if context_changed:
        doc.meta["docInfo"]["title"] = "Second title"
        doc.write()

    report = run(col, library, state)
    back = col.get_note(nid)["Back"]
    assert back.startswith('polar answer my own note<div class="polar-context"'), back
    assert back.count("my own note") == 1 and ("Second title" in back) == context_changed
    assert [(r["field"], r["code"]) for r in report.conflicts] == [("Back", "unrecorded_anki")]
    # The report's "In Anki:" shows what was kept, typed text and all (it
    # showed the part before the block: "polar answer", as Polar's).
    assert (report.conflicts[0]["polar"], report.conflicts[0]["anki"]) == ("polar answer",
                                                                          "polar answer my own note")
    again = run(col, library, state)
    assert again.conflicts == [] and again.updated == 0


def test_a_block_without_its_hash_is_left_as_it_was_written(col, tmp_path) -> None:
    """Notes written before the block carried its hash are not rewritten for
    it (that would send every note to AnkiWeb): a sync that reads them again
    leaves them alone; one written anyway gets it."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = make_doc(library)
    doc.write()
    run(col, library, state)
    for card_id in ("1BasicEdit", "1ClozeEdit"):
        note = note_of(col, card_id)
        field = note.keys()[1]
        note[field] = re.sub(r' data-polar-block="[0-9a-f]+"', "", note[field])
        col.update_note(note)
    _lose_state(state)  # every document read again
    report = run(col, library, state)
    assert report.updated == 0 and report.conflicts == []
    assert all("data-polar-block" not in note_of(col, c).fields[1] for c in ("1BasicEdit", "1ClozeEdit"))
    doc.find_card("1BasicEdit")[1]["fields"] = basic("question?", "polar answer, edited")
    doc.write()
    assert run(col, library, state).updated == 1
    assert 'data-polar-block="' in note_of(col, "1BasicEdit")["Back"]
    assert "data-polar-block" not in note_of(col, "1ClozeEdit").fields[1]


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_an_own_types_context_field_edited_in_anki_is_merged_like_any_field(col, tmp_path, policy: str) -> None:
    """The own types show Source/Highlight/Comments in Anki's editor: a typo
    fixed there stays while Polar's context is unchanged (it was put back
    silently, "1 note updated", by every sync that looked at the note);
    with Polar's highlight changed too, the policy decides, and says so."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    config = {"use_stock_note_types": False, "conflict_policy": policy}
    doc = make_doc(library)
    doc.write()
    run(col, library, state, **config)
    note = note_of(col, "1BasicEdit")
    assert "the original highlight" in note["Highlight"]
    note["Highlight"] = note["Highlight"].replace("original", "fixed")
    col.update_note(note)
    doc.card("1BasicMore", basic("another?", "yes"), ref="text-highlight:1HlEdit001")  # the document changes
    doc.write()
    report = run(col, library, state, **config)
    assert report.conflicts == [] and report.updated == 0
    assert "the fixed highlight" in note_of(col, "1BasicEdit")["Highlight"]

    # Polar revises the highlight: both sides changed it.
    doc.page(1)["textHighlights"]["1HlEdit001"]["text"] = {"TEXT": "the revised highlight"}
    doc.write()
    report = run(col, library, state, **config)
    kept = "Polar" if policy == "polar_wins" else "Anki"
    assert [c["message"] for c in report.conflicts if c["card"] == "1BasicEdit"] == [
        f"field 'Highlight' changed in Polar and in Anki; {kept} version kept"]
    highlight = note_of(col, "1BasicEdit")["Highlight"]
    assert ("the revised highlight" if policy == "polar_wins" else "the fixed highlight") in highlight
    # Untouched in Anki, the cloze's field simply follows Polar.
    assert "the revised highlight" in note_of(col, "1ClozeEdit")["Highlight"]
    assert [c for c in report.conflicts if c["card"] == "1ClozeEdit"] == []
