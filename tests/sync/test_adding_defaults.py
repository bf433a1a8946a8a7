"""What Anki's Add window opens with (the note type, the deck) is the
person's, not the sync's: Anki's ``add_notes`` records every note it adds as
if the person had added it (``curModel``, a note type's last deck, a deck's
last note type)."""

from __future__ import annotations

from typing import Any, Dict, Tuple

from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run


def recorded(col: Any) -> Dict[str, Any]:
    """The config keys behind them (read only: a config write that is not
    undoable empties Anki's undo queue)."""
    return {k: v for k, v in col.all_config().items()
            if k == "curModel" or k.endswith("_lastDeck") or k.endswith("_lastNotetype")}


def defaults(col: Any) -> Dict[Tuple[bool, str], Tuple[str, str]]:
    """The Add window's note type and deck, for both of Anki's "default
    deck" preferences, with the current deck and with Basic chosen."""
    out = {}
    was = col.get_config("addToCur", True)
    for to_current in (True, False):
        col.set_config("addToCur", to_current)
        d = col.defaults_for_adding(current_review_card=None)
        out[(to_current, "opened")] = (col.models.get(d.notetype_id)["name"], col.decks.name(d.deck_id))
        basic_id = col.models.id_for_name("Basic")
        out[(to_current, "Basic chosen")] = ("Basic", col.decks.name(col.default_deck_for_notetype(basic_id) or 1))
    col.set_config("addToCur", was)
    return out


def the_persons_habits(col: Any, decks: int = 1) -> None:
    """Notes of "Basic (and reversed card)" added by hand in decks of their
    own, the first one current."""
    reversed_type = col.models.by_name("Basic (and reversed card)")
    for k in range(decks):
        did = col.decks.id(f"Spanish{k}" if k else "Spanish")
        note = col.new_note(reversed_type)
        note["Front"], note["Back"] = f"hola {k}", "hello"
        col.add_note(note, did)
    col.decks.select(col.decks.id("Spanish"))


def test_a_sync_leaves_the_add_windows_note_type_and_deck_as_the_person_left_them(col, tmp_path, state_path):
    the_persons_habits(col)
    before = defaults(col)
    assert before[(True, "opened")] == ("Basic (and reversed card)", "Spanish")
    root = tmp_path / "polar"
    # Into the person's own deck and into a deck of Polar's, Basic and Cloze.
    doc = Doc(root, "1DocDefaults000000001", "Spanish book", tags=["deck:Spanish"])
    doc.card("1CardDef01", basic("q", "a"))
    doc.card("1CardDef02", cloze("{{c1::x}} y"), ctype="CLOZE")
    doc.write()
    other = Doc(root, "1DocDefaults000000002", "Paper", tags=["deck:Books/Paper"])
    other.card("1CardDef03", cloze("{{c1::z}} w"), ctype="CLOZE")
    other.card("1CardDef04", basic("q2", "a2"))
    other.write()
    keys = recorded(col)
    assert run(col, root, state_path).created == 4
    # (A deck the sync made may open on Polar's types.)
    paper = f"_deck_{col.decks.id_for_name('Books::Paper')}_lastNotetype"
    assert {k: v for k, v in recorded(col).items() if k != paper} == keys
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert recorded(col) == keys and not col.find_notes("tag:polar*")
    col.redo()
    assert {k: v for k, v in recorded(col).items() if k != paper} == keys and len(col.find_notes("tag:polar*")) == 4
    assert defaults(col) == before


def test_many_of_the_persons_decks_put_back_within_one_undo_step(col, tmp_path, state_path):
    the_persons_habits(col, decks=12)
    before = {did: col.get_config(f"_deck_{did}_lastNotetype", None) for did in (
        col.decks.id(f"Spanish{k}" if k else "Spanish") for k in range(12))}
    root = tmp_path / "polar"
    for k in range(12):
        doc = Doc(root, f"1DocDefaultsMany{k:05d}", f"Book {k}", tags=[f"deck:Spanish{k}" if k else "deck:Spanish"])
        doc.card(f"1CardMany{k:02d}", cloze("{{c1::x}} y"), ctype="CLOZE")
        doc.write()
    assert run(col, root, state_path).created == 12
    assert {did: col.get_config(f"_deck_{did}_lastNotetype", None) for did in before} == before
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert not col.find_notes("tag:polar*") and col.undo_status().undo != "Sync from Polar"


def test_a_sync_leaves_the_current_deck_and_the_folded_decks_as_they_were(col, tmp_path, state_path):
    """The deck list as the person left it: the current deck, and a deck
    folded in the deck list and in the Browser's sidebar, into which (and
    under which) the sync adds cards."""
    the_persons_habits(col)
    spanish = col.decks.id("Spanish")
    deck = col.decks.get(spanish)
    deck["collapsed"] = deck["browserCollapsed"] = True
    col.decks.save(deck)
    col.decks.select(col.decks.id("Default"))
    root = tmp_path / "polar"
    doc = Doc(root, "1DocDefaults000000003", "Grammar", tags=["deck:Spanish/Grammar"])
    doc.card("1CardDef05", basic("q", "a"))
    doc.write()
    other = Doc(root, "1DocDefaults000000004", "Spanish", tags=["deck:Spanish"])
    other.card("1CardDef06", basic("q", "a"))
    other.write()
    assert run(col, root, state_path).created == 2
    assert col.decks.name(col.decks.id_for_name("Spanish::Grammar")) == "Spanish::Grammar"
    assert col.decks.current()["name"] == "Default"
    deck = col.decks.get(spanish)
    assert (deck["collapsed"], deck["browserCollapsed"]) == (True, True)
