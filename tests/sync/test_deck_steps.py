"""The report's decks (``deck_steps.name_decks_notes_are_in``,
``name_decks_as_anki_does``) as Anki names them, whatever form of a
letter Polar's tag is written in.

Found by reading the new code (branch ``newcode``): a deck tag typed with a
decomposed accent ("Cafe" + U+0301, as text pasted from a macOS file name
is) is one deck in Anki, which stores names composed ("Café"); the report
kept only the decks it found by their lower case, so the second sync's
summary left out the deck where its note was updated, and the first named
it in Polar's form, not Anki's."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from tests.polar_factory import Doc, basic
from tests.sync.helpers import run

DECOMPOSED = "Cafe\u0301 notes"
COMPOSED = unicodedata.normalize("NFC", DECOMPOSED)


def test_a_deck_tag_with_a_decomposed_accent_is_named_as_anki_names_its_deck(col: Any, tmp_path: Path) -> None:
    lib = tmp_path / "polar"
    doc = Doc(lib, "1AccentDoc", title="Accents", tags=[f"deck:{DECOMPOSED}"])
    doc.card("1AccentCard", basic("<p>Question?</p>", "<p>Answer.</p>"))
    doc.write()
    first = run(col, lib, tmp_path / "state.db")
    assert COMPOSED in {d.name for d in col.decks.all_names_and_ids()}  # (Anki's own spelling)
    assert first.decks == {COMPOSED} and [c.deck for c in first.changes] == [COMPOSED]
    doc.edit_card("1AccentCard", "1AccentCard2", basic("<p>Question, edited?</p>", "<p>Answer.</p>"))
    doc.write()
    second = run(col, lib, tmp_path / "state.db")
    assert second.updated == 1
    assert second.decks == {COMPOSED} and [c.deck for c in second.changes] == [COMPOSED]
    assert f"decks: {COMPOSED}" in second.summary()
