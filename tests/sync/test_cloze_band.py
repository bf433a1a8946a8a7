"""The context block alone in a stock Cloze's Back Extra, after a text ending
in a paragraph: the stock answer template ("{{cloze:Text}}<br>\\n{{Back
Extra}}") makes its "<br>" an empty line there, and the block's margin came
after it: an empty band of ~65 px between the answer and the context line
(the eyes23 round's Left; docs/dev-notes/legacy.md "Old notes as a person
studies them"). The block's margin is taken back there (render version 12,
render/style.py PULLED_RULE) where nothing of the user's is before it;
the notes of Polar's old sync taken over get it at their adoption, earlier
notes once at the next sync, and no other note is written. Likewise a card
without an answer in a stock Basic: the template's "<hr id=answer>" and the
block's own rule stood one under the other; the block alone there has none."""

from __future__ import annotations

from typing import Any

from addon.render.style import PULLED_RULE
from addon.sync import read
from addon.sync.notetypes import after_break_fields, after_rule_fields
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run
from tests.sync.test_legacy import old_sync_note, study_state
from tests.sync.test_upgrade_layout import scheduling, studied

PULLED = f'style="{PULLED_RULE}"'
RULE = 'class="polar-rule"'
MANY = "<p>A {{c1::process}} has its own {{c2::address space}}; its {{c3::threads}} share it.</p>"
PLAIN = "Segmentation splits memory into {{c1::variable-size}} segments."


def _library(tmp_path: Any) -> Doc:
    doc = Doc(tmp_path / "polar", "1ClozeBandDoc0000000001", "Operating Systems", tags=["deck:os"])
    doc.text_highlight("1HlBand001", "Each process has its own address space.", page=2)
    doc.card("1BandMany", cloze(MANY), "CLOZE", ref="text-highlight:1HlBand001", page=2)
    doc.card("1BandPlain", cloze(PLAIN), "CLOZE", ref="text-highlight:1HlBand001", page=2)
    doc.card("1BandTyped", cloze("<p>Paging splits memory into fixed-size {{c1::pages}}.</p>"), "CLOZE",
             ref="text-highlight:1HlBand001", page=2)
    doc.card("1BandBasic", basic("<p>What is a page?</p>", "<p>A fixed-size block of memory.</p>"),
             ref="text-highlight:1HlBand001", page=2)
    doc.card("1BandEmpty", basic("<p>What does the kernel schedule?</p>", ""), ref="text-highlight:1HlBand001",
             page=2)
    doc.write()
    return doc


def _extra(col: Any, card: str) -> str:
    return note_of(col, card)["Back Extra"]


def test_a_stock_cloze_s_block_after_a_paragraph_is_pulled_over_the_template_s_break(col, tmp_path) -> None:
    _library(tmp_path)
    report = run(col, tmp_path / "polar", tmp_path / "state.sqlite")
    assert report.errors == [] and report.created == 5
    many = note_of(col, "1BandMany")
    assert many["Back Extra"].startswith('<div class="polar-context"') and PULLED in many["Back Extra"]
    assert PULLED in many.cards()[0].answer()
    # A text ending in words: its "<br>" only ends the line, nothing to take back.
    assert "polar-context" in _extra(col, "1BandPlain") and PULLED not in _extra(col, "1BandPlain")
    assert PULLED not in note_of(col, "1BandBasic")["Back"]  # a Basic's answer has no "<br>" before it
    assert RULE in note_of(col, "1BandBasic")["Back"]
    # A card without an answer: the stock Basic's "<hr id=answer>" is the one rule.
    empty = note_of(col, "1BandEmpty")
    assert empty["Back"].startswith('<div class="polar-context"') and RULE not in empty["Back"]
    assert empty.cards()[0].answer().count("<hr") == 1
    assert run(col, tmp_path / "polar", tmp_path / "state.sqlite").updated == 0


def test_a_back_extra_the_user_typed_keeps_the_block_after_it_as_it_was(col, tmp_path) -> None:
    """Text of the user's before the block: the block follows it with its own
    margin once the note is written again (pulled, its rule stood right under
    the user's last line)."""
    doc = _library(tmp_path)
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    run(col, library, state)
    typed = note_of(col, "1BandTyped")
    assert PULLED in typed["Back Extra"]
    typed["Back Extra"] = "Mnemonic: <i>pages are all one size</i>" + typed["Back Extra"]
    col.update_note(typed)
    answered = note_of(col, "1BandEmpty")
    assert RULE not in answered["Back"]
    answered["Back"] = "Threads" + answered["Back"]
    col.update_note(answered)
    # (a sync reads the document again once it changed in Polar: a new card)
    doc.card("1BandNew", basic("<p>What is a frame?</p>", "<p>A page's place in memory.</p>"),
             ref="text-highlight:1HlBand001", page=2).write()
    report = run(col, library, state)
    assert report.conflicts == [] and report.created == 1 and report.updated == 2
    assert note_of(col, "1BandEmpty")["Back"].startswith('Threads<div class="polar-context"')
    assert RULE in note_of(col, "1BandEmpty")["Back"]
    value = _extra(col, "1BandTyped")
    assert value.startswith("Mnemonic: <i>pages are all one size</i><div class=\"polar-context\"")
    assert PULLED not in value and "margin:0 0 0.6em" in value
    assert run(col, library, state).updated == 0


def test_old_sync_clozes_taken_over_get_the_pulled_block_unless_the_user_typed_a_back_extra(col, tmp_path) -> None:
    doc = _library(tmp_path)
    bare = old_sync_note(col, doc, MANY, card_id="1BandMany", kind="Cloze")
    note = col.get_note(old_sync_note(col, doc, "<p>Paging splits memory into fixed-size {{c1::pages}}.</p>",
                                      card_id="1BandTyped", kind="Cloze"))
    note["Back Extra"] = "Mnemonic: <i>pages are all one size</i>"
    col.update_note(note)
    before = studied_notes(col, bare, note.id)
    report = run(col, tmp_path / "polar", tmp_path / "state.sqlite")
    assert report.errors == [] and report.created == 3  # the plain cloze and the Basics: no old note
    assert PULLED in col.get_note(bare)["Back Extra"]
    kept = col.get_note(note.id)["Back Extra"]
    assert kept.startswith("Mnemonic: <i>pages are all one size</i><div") and PULLED not in kept
    assert [study_state(col, nid) for nid in (bare, note.id)] == before


def studied_notes(col: Any, *nids: int) -> list:
    col.sched.set_due_date([cid for nid in nids for cid in col.card_ids_of_note(nid)], "10")
    return [study_state(col, nid) for nid in nids]


def test_notes_of_render_version_11_get_the_pulled_or_ruleless_block_once_and_no_other_note_is_written(
        col, tmp_path, monkeypatch) -> None:
    import addon.sync.notetypes as notetypes

    _library(tmp_path)
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    monkeypatch.setattr(read, "RENDER_VERSION", "11")
    monkeypatch.setattr(notetypes, "pulled", lambda block, front: block)  # as version 11 wrote the block
    monkeypatch.setattr(notetypes, "ruleless", lambda block: block)
    run(col, library, state)
    assert PULLED not in _extra(col, "1BandMany") and RULE in note_of(col, "1BandEmpty")["Back"]
    typed = note_of(col, "1BandTyped")
    typed["Back Extra"] = "Mnemonic" + typed["Back Extra"]
    col.update_note(typed)
    before = studied(col, "1BandMany", "1BandPlain", "1BandTyped", "1BandBasic", "1BandEmpty")
    mods = {card: note_of(col, card).mod for card in ("1BandPlain", "1BandTyped", "1BandBasic")}

    monkeypatch.undo()
    report = run(col, library, state)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 2  # the cloze ending in a paragraph, alone in its Back Extra; the empty Back
    assert PULLED in _extra(col, "1BandMany") and RULE not in note_of(col, "1BandEmpty")["Back"]
    assert {card: note_of(col, card).mod for card in mods} == mods
    assert _extra(col, "1BandTyped").startswith("Mnemonic<div")
    assert (scheduling(col), col.db.scalar("SELECT count() FROM revlog")) == before
    assert run(col, library, state).updated == 0  # once


def test_the_break_is_read_from_the_answer_template_in_any_language(col) -> None:
    stock = col.models.by_name("Cloze")
    assert after_break_fields(stock) == frozenset({"back extra"})
    german = dict(stock, flds=[dict(f, name=n) for f, n in zip(stock["flds"], ("Text", "Rückseite Extra"))],
                  tmpls=[dict(stock["tmpls"][0], afmt="{{cloze:Text}}<br>\n{{Rückseite Extra}}")])
    assert after_break_fields(german) == frozenset({"rückseite extra"})
    ruled = dict(stock, tmpls=[dict(stock["tmpls"][0], afmt="{{cloze:Text}}<hr>{{Back Extra}}")])
    assert after_break_fields(ruled) == frozenset()
    assert after_break_fields(col.models.by_name("Basic")) == frozenset()
    basic_type = col.models.by_name("Basic")
    assert after_rule_fields(basic_type) == frozenset({"back"})
    einfach = dict(basic_type, tmpls=[dict(basic_type["tmpls"][0],
                                          afmt="{{FrontSide}}\n\n<hr id=answer>\n\n{{Rückseite}}")])
    assert after_rule_fields(einfach) == frozenset({"rückseite"})
    assert after_rule_fields(stock) == frozenset()
    # Basic (and reversed card): card 2 shows Front after its rule, card 1 Back: none in both
    assert after_rule_fields(col.models.by_name("Basic (and reversed card)")) == frozenset()
