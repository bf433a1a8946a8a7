"""Deck-name rules that need no collection: cleaning and Anki's limits."""

from __future__ import annotations

import pytest

from addon.sync.decks import MAX_DEPTH, MAX_PART, clamped_deck_name, clean_deck_name


@pytest.mark.parametrize("raw,clean", [
    ("compsci/linux", "compsci::linux"),
    ("a::::b//c", "a::b::c"),
    ("  spaced   out ", "spaced out"),
    ("zero\u200bwidth", "zerowidth"),
    ("\u202eevil", "evil"),
    ("bom\ufeff::x", "bom::x"),
    ("soft\u00adhyphen", "softhyphen"),
    ("line\u2028break", "line break"),
    ("ctrl\x07char", "ctrlchar"),
    ("<b>bold</b>", "\u2039b\u203abold\u2039::b\u203a"),
    ("Ünïcödé 日本語", "Ünïcödé 日本語"),
])
def test_clean_deck_name(raw, clean):
    assert clean_deck_name(raw) == clean


def test_depth_and_length_are_clamped_with_a_reason():
    name, why = clamped_deck_name("::".join(str(i) for i in range(MAX_DEPTH + 3)))
    assert name.count("::") == MAX_DEPTH - 1 and name.endswith(f"{MAX_DEPTH - 1} - {MAX_DEPTH} - "
                                                              f"{MAX_DEPTH + 1} - {MAX_DEPTH + 2}")
    assert why and "deeper" in why
    name, why = clamped_deck_name("x" * (MAX_PART * 3))
    assert len(name) == MAX_PART and why and "shortened" in why
    assert clamped_deck_name("ok::fine") == ("ok::fine", None)
