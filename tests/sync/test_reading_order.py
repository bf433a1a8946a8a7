"""order_new_cards on a real collection: only the notes a sync created move,
among the positions they were given, into reading order."""

from __future__ import annotations

from typing import Any, List, Tuple

from addon.render.card import ReadingKey
from addon.sync.reading_order import order_new_cards


def key(page: int, top: float = 0.0, doc: str = "fp", added: str = "2020-01-01") -> ReadingKey:
    return (0, added, doc, page, 0, top, 0.0, "", "")


def add(col: Any, fronts: List[str], deck_id: int = 1, kind: str = "Basic") -> List[int]:
    from anki.collection import AddNoteRequest
    from anki.decks import DeckId

    model = col.models.by_name(kind)
    requests = []
    for front in fronts:
        note = col.new_note(model)
        note.fields = [front] * len(note.fields)
        requests.append(AddNoteRequest(note=note, deck_id=DeckId(deck_id)))
    col.add_notes(requests)
    return [int(n) for n in col.find_notes("")][-len(fronts):]


def dues(col: Any, nids: List[int]) -> List[List[int]]:
    return [sorted(c.due for c in col.get_note(nid).cards()) for nid in nids]


def test_created_notes_take_reading_order_in_their_own_positions(col) -> None:
    queued = add(col, ["already queued"])
    nids = add(col, ["p3", "p1 low", "p1 high", "p2"], kind="Basic (and reversed card)")
    before = sorted(d for ds in dues(col, nids) for d in ds)
    created: List[Tuple[int, ReadingKey]] = [
        (nids[0], key(3)), (nids[1], key(1, 500.0)), (nids[2], key(1, 100.0)), (nids[3], key(2)),
    ]
    changed = order_new_cards(col, created)
    assert changed == 6  # both cards of the three notes that moved
    # Reading order: p1 high, p1 low, p2, p3; siblings keep sharing a position.
    in_order = [nids[2], nids[1], nids[3], nids[0]]
    got = dues(col, in_order)
    assert all(len(set(d)) == 1 for d in got)
    assert [d[0] for d in got] == sorted(d[0] for d in got)
    # The same positions as before, none taken from the queued note.
    assert sorted(d for ds in got for d in ds) == before
    assert dues(col, queued) == [[1]]
    assert order_new_cards(col, created) == 0  # already in order: nothing written


def test_documents_by_added_then_page(col) -> None:
    nids = add(col, ["later doc p1", "early doc p9", "undated doc"])
    created = [
        (nids[0], key(1, doc="b", added="2021-01-01")),
        (nids[1], key(9, doc="a", added="2020-01-01")),
        (nids[2], (1, "", "c", 1, 0, 0.0, 0.0, "", "")),
    ]
    order_new_cards(col, created)
    assert [d[0] for d in dues(col, [nids[1], nids[0], nids[2]])] == [1, 2, 3]


def test_random_insertion_decks_and_seen_cards_are_left_alone(col) -> None:
    conf = col.decks.add_config_returning_id("random")
    random_deck = col.decks.id("Random")
    deck = col.decks.get(random_deck)
    deck["conf"] = conf
    col.decks.save(deck)
    dconf = col.decks.get_config(conf)
    dconf["new"]["order"] = 0  # NEW_CARDS_RANDOM
    col.decks.update_config(dconf)
    rand = add(col, ["r1", "r2"], deck_id=random_deck)
    before_random = dues(col, rand)
    nids = add(col, ["b", "a"])
    # A card studied already (no longer new) is never moved.
    studied = col.get_note(nids[0]).cards()[0]
    col.sched.set_due_date([studied.id], "1")
    created = [(rand[0], key(2)), (rand[1], key(1)), (nids[0], key(1)), (nids[1], key(2))]
    order_new_cards(col, created)
    assert dues(col, rand) == before_random
    assert col.get_card(studied.id).type != 0  # still the review card it became
    assert order_new_cards(col, [(nids[1], key(2))]) == 0


def test_one_undo_step_with_the_sync(col) -> None:
    pos = col.add_custom_undo_entry("Sync from Polar")
    nids = add(col, ["second", "first"])
    order_new_cards(col, [(nids[0], key(2)), (nids[1], key(1))])
    col.merge_undo_entries(pos)
    assert col.undo_status().undo == "Sync from Polar"
    assert [d[0] for d in dues(col, [nids[1], nids[0]])] == [1, 2]
    col.undo()
    assert col.find_notes("") == []


# -- through a whole sync ------------------------------------------------------

def _run(col: Any, library: Any, state: Any, **config: Any) -> Any:
    from addon.settings import Settings
    from addon.sync.engine import sync

    settings, warnings = Settings.from_dict(config)
    assert not warnings
    return sync(col, settings, state, source_path=library)


def _due_order(col: Any) -> List[str]:
    """Front of each new card, in the order Anki would show new cards."""
    rows = col.db.all("SELECT c.due, c.ord, n.flds FROM cards c JOIN notes n ON n.id = c.nid WHERE c.type = 0")
    return [flds.split("\x1f")[0] for _due, _ord, flds in sorted(rows)]


def test_sync_queues_new_cards_in_reading_order(col, tmp_path) -> None:
    from tests.polar_factory import Doc, basic

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    # Fingerprints sort the other way round from when the documents were added.
    later = Doc(library, "1AAALaterDoc000000000000", "Later").added("2021-06-01T00:00:00.000Z")
    first = Doc(library, "1ZZZFirstDoc000000000000", "First").added("2020-01-01T00:00:00.000Z")
    later.card("1LaterP1", basic("later p1", "a"), page=1)
    # In the file: the page-level card before the highlights' cards, the lower
    # highlight before the higher one, page 2 before page 1.
    first.text_highlight("1HlLow0001", "low", page=1, top=700.0)
    first.text_highlight("1HlHigh001", "high", page=1, top=120.0)
    first.text_highlight("1HlP20001", "p2", page=2, top=50.0)
    first.card("1FirstP2", basic("first p2", "a"), ref="text-highlight:1HlP20001", page=2)
    first.card("1FirstPage", basic("first p1 page", "a"), page=1)
    first.card("1FirstLow", basic("first p1 low", "a"), ref="text-highlight:1HlLow0001", page=1)
    first.card("1FirstHigh", basic("first p1 high", "a"), ref="text-highlight:1HlHigh001", page=1)
    later.write()
    first.write()
    _run(col, library, state)
    reading = ["first p1 high", "first p1 low", "first p1 page", "first p2", "later p1"]
    assert _due_order(col) == reading

    # Study the first card, then add a card at the top of page 1 of the first
    # document: it queues after what is waiting; nothing else moves.
    col.decks.select(1)
    studied = col.sched.getCard()
    col.sched.answerCard(studied, 3)
    dues = dict(col.db.all("SELECT id, due FROM cards"))
    first.text_highlight("1HlTop0001", "top", page=1, top=10.0)
    first.card("1FirstTop", basic("first p1 top", "a"), ref="text-highlight:1HlTop0001", page=1)
    first.write()
    _run(col, library, state)
    assert {cid: due for cid, due in col.db.all("SELECT id, due FROM cards") if cid in dues} == dues
    assert _due_order(col) == reading[1:] + ["first p1 top"]


def test_reading_order_can_be_turned_off(col, tmp_path) -> None:
    from tests.polar_factory import Doc, basic

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1OffDoc00000000000000000", "Off")
    doc.text_highlight("1HlOff0001", "h", page=1, top=100.0)
    doc.card("1OffPageA", basic("page a", "a"), page=1)
    doc.card("1OffPageB", basic("page b", "a"), page=1)
    doc.card("1OffHl", basic("highlight", "a"), ref="text-highlight:1HlOff0001", page=1)
    doc.write()
    _run(col, library, state, reading_order=False)
    assert _due_order(col) == ["page a", "page b", "highlight"]  # as the file lists them
