"""The order a sync adds its new notes in (``new_note_order``)."""

from __future__ import annotations

import random

import pytest

from addon.render.card import RenderedCard
from addon.render.context import EMPTY_CONTEXT
from addon.sync import new_note_order
from addon.sync.plan import Create


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("sizes", [(1000, 5000), (1, 2), (7, 3)])
def test_reading_order_taken_in_batches_is_the_one_sort(seed, sizes):
    """``ReadingOrder`` puts a document's cards in order only when the
    builder takes its first one: taken in batches, the notes come out exactly
    as one stable sort of them all by the reading key, decks in the order of
    first use; also when two documents share a key's leading part (a damaged
    export) or a key is met twice."""
    rng = random.Random(seed)
    creates = []
    for i in range(rng.randrange(0, 400)):
        doc = rng.randrange(12)
        added = "" if doc % 6 == 0 else f"2020-01-{doc % 3:02d}"  # documents d and d + 6: the same leading part
        key = (0 if added else 1, added, f"fp{doc % 6}", rng.randrange(4), rng.randrange(3),
               float(rng.randrange(3)), 0.0, "", f"c{rng.randrange(300)}")
        rc = RenderedCard(f"c{i}", "basic", "f", "b", EMPTY_CONTEXT, (), (), (), None, key)
        creates.append(Create(rc, f"doc{doc}", f"Deck {doc % 7}", "basic"))
    expected = sorted(creates, key=new_note_order.reading_key)
    order = new_note_order.ReadingOrder(creates, True)
    assert order.decks() == list(dict.fromkeys(c.deck for c in expected))
    first, size = sizes
    got = order.take(first)
    while len(got) < len(creates):
        got += order.take(size)
    assert got == expected == order.taken
    assert order.take(size) == []
    plain = new_note_order.ReadingOrder(creates, False)  # reading order off: the plan's order
    assert plain.take(5) + plain.take(len(creates)) == creates
