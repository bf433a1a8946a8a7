"""The order a sync adds its new notes in (``new_note_order``)."""

from __future__ import annotations

import dataclasses
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
    expected = sorted(creates, key=lambda c: c.rc.position)  # the one sort by the whole key
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


@pytest.mark.parametrize("seed", range(3))
def test_pending_cards_come_out_as_the_one_sort_by_their_reading_position(seed):
    """A first sync's creates are pending (not rendered yet): each document's
    are sorted by their place in it, and the whole comes out as one sort of
    every card by ``reading_position``."""
    from addon.polar.docmeta import Highlight, Text
    from addon.render.card import reading_position
    from addon.sync.read import Pending

    from ..render.helpers import card, document, html

    rng = random.Random(seed)
    creates = []
    for d in range(rng.randrange(1, 8)):
        highlights = {f"h{i}": Highlight(f"h{i}", "text-highlight", rng.randrange(1, 4), text=Text("TEXT", "x"),
                                         top=rng.choice([None, float(rng.randrange(3))]), left=0.0)
                      for i in range(5)}
        cards = [card({"front": html("q")}, ident=f"c{d}-{i}", page=rng.randrange(1, 4),
                      ref=rng.choice([("page", "1"), ("text-highlight", f"h{rng.randrange(7)}")]))
                 for i in range(rng.randrange(1, 30))]
        doc = dataclasses.replace(document(cards, highlights), fingerprint=f"fp{d}",
                                  added=rng.choice(["", "2020-01-02", "2020-01-01"]))
        for c in cards:
            creates.append(Create(Pending(c.id, "basic", doc, c, None), f"doc{d}", f"Deck {d}", "basic"))  # type: ignore[arg-type]
    expected = sorted(creates, key=lambda c: reading_position(c.rc.doc, c.rc.card))
    order = new_note_order.ReadingOrder(creates, True)
    got = order.take(7)
    while len(got) < len(creates):
        got += order.take(11)
    assert got == expected
