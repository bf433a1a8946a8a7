"""The card a person studies, as Anki renders it (card.question() /
card.answer()): the context (title, highlight, image, comments) is on every
answer and on no question, for every kind, every card ordinal, with the stock
note types (English), the own types, and a German profile."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, List

import pytest

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic, cloze

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TITLE, HIGHLIGHT, COMMENT = "Zebrafish Physiology", "marker of the highlighted passage", "marker of my comment"
CARDS = {
    "1Basic0001": ("BASIC_FRONT_BACK", basic("basic question", "basic answer")),
    "1Rev000001": ("BASIC_FRONT_BACK_AND_REVERSE", basic("reversed front", "reversed back")),
    "1Opt000001": ("BASIC_FRONT_BACK_OR_REVERSE", basic("optional front", "optional back")),
    "1Cloze0001": ("CLOZE", cloze("{{c1::cloze one}} and {{c2::cloze two}}")),
}


def write_library(root: Path) -> None:
    doc = Doc(root, "1SidesDoc000000000000000", TITLE)
    doc.text_highlight("1HlSides01", HIGHLIGHT, page=2)
    doc.comment("1CmSides01", f"<p>{COMMENT}</p>", "text-highlight:1HlSides01", page=2)
    for cid, (ctype, fields) in CARDS.items():
        doc.card(cid, fields, ctype, ref="text-highlight:1HlSides01", page=2)
    doc.area_highlight("1AreaSides", "1AreaSidesImg.png", page=3)
    doc.card("1ClozeImg1", cloze("an {{c1::area}} card"), "CLOZE", ref="area-highlight:1AreaSides", page=3)
    doc.write()
    (root / "files" / "image").mkdir(parents=True)
    (root / "files" / "image" / "1AreaSidesImg.png").write_bytes(PNG_1PX)


def notes(col: Any) -> List[Any]:
    return [col.get_note(nid) for nid in col.find_notes("")]


def synced(col: Any, tmp_path: Path, **config: Any) -> List[Any]:
    library = tmp_path / "polar"
    write_library(library)
    settings, warnings = Settings.from_dict(config)
    assert not warnings
    report = sync(col, settings, tmp_path / "state.sqlite", source_path=library)
    assert report.errors == [] and report.created == 5
    # The user switches on the optional reverse: card 2 must not leak either.
    opt = next(n for n in notes(col) if n.guid == guid_for("1Opt000001"))
    opt[opt.keys()[2]] = "y"
    col.update_note(opt)
    return notes(col)


_STYLE = re.compile(r"<style>.*?</style>", re.S)


def shown(html: str) -> str:
    """What the card shows: Anki puts the note type's CSS in front."""
    return _STYLE.sub("", html)


def check_sides(all_notes: List[Any]) -> int:
    """Every card: no context on the question, all of it on the answer."""
    cards = 0
    for note in all_notes:
        image = note.guid == guid_for("1ClozeImg1")
        for card in note.cards():
            question, answer = shown(card.question()), shown(card.answer())
            where = f"{note.note_type()['name']} card {card.ord + 1}"
            for marker in ("polar-context", TITLE, "p.&nbsp;2", "p.&nbsp;3", HIGHLIGHT, COMMENT, "<img"):
                assert marker not in question, f"{marker!r} on the question of {where}"
            assert "polar-context" in answer and TITLE in answer, where
            if image:
                assert "<img" in answer and "p.&nbsp;3" in answer, where
            else:
                assert HIGHLIGHT in answer and COMMENT in answer and "p.&nbsp;2" in answer, where
            cards += 1
    return cards


# basic 1 + reversed 2 + optional reversed 2 (switched on) + cloze 2 + area cloze 1
EXPECTED_CARDS = 8


def test_stock_english_profile(col, tmp_path) -> None:
    all_notes = synced(col, tmp_path)
    types = {n.guid: n.note_type()["name"] for n in all_notes}
    assert types[guid_for("1Basic0001")] == "Basic" and types[guid_for("1Cloze0001")] == "Cloze"
    assert types[guid_for("1Rev000001")] == "Polar Basic (and reversed card)"
    assert check_sides(all_notes) == EXPECTED_CARDS


def test_own_types(col, tmp_path) -> None:
    all_notes = synced(col, tmp_path, use_stock_note_types=False)
    assert all(n.note_type()["name"].startswith("Polar ") for n in all_notes)
    assert check_sides(all_notes) == EXPECTED_CARDS


def test_german_profile(col_de, tmp_path) -> None:
    all_notes = synced(col_de, tmp_path)
    assert all(n.note_type()["name"].startswith("Polar ") for n in all_notes)
    assert check_sides(all_notes) == EXPECTED_CARDS


@pytest.mark.parametrize("stock", [True, False])
def test_context_off_leaves_no_block(col, tmp_path, stock: bool) -> None:
    for note in synced(col, tmp_path, context=False, use_stock_note_types=stock):
        for card in note.cards():
            assert "polar-context" not in shown(card.question()) + shown(card.answer())
