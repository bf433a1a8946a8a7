"""Polar Sync as an FSRS user sees it: real collections with FSRS on, cards
studied (memory states in ``cards.data``), then every kind of sync. What
FSRS relies on stays as the person left it: each studied card's due date,
interval, memory state and deck options preset, the review log (the
optimizer's input: the sync writes no row of its own), the presets' desired
retention and parameters; a deck the sync makes for moved cards carries the
options of the deck they came from, "This deck" ones included (Anki 25.07
and later keep a desired retention per deck). Anki 23.10 turns FSRS on with
the request's ``fsrs`` and the preset's ``reschedule_fsrs_cards``, later
Ankis with the request's ``fsrs_reschedule``: rescheduling stays off here, as
a sync never runs it."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import fsrs_on, note_of, run

KEY = "1FsrsDoc0000000000000aaa"
NEW_KEY = "1FsrsDoc0000000000000bbb"
SUSPENDED = -1


def _has_deck_retention() -> bool:
    from anki import deck_config_pb2

    return "desired_retention" in deck_config_pb2.DeckConfigsForUpdate.CurrentDeck.Limits.DESCRIPTOR.fields_by_name


# FSRS parameters of the person's own (as Optimize leaves them), not Anki's
# defaults: a memory state computed with other parameters differs. FSRS-6's
# 21; 23.10 keeps FSRS-4.5's 17 (``fsrs_weights``).
OWN_PARAMS = [0.5, 1.5, 3.0, 16.0, 7.1949, 0.5345, 1.4604, 0.0046, 1.54575, 0.1192, 1.01925,
              1.9395, 0.11, 0.29605, 2.2698, 0.2315, 2.9898, 0.51655, 0.6621, 0.06, 0.2]


def _set_own_params(conf: Any) -> None:
    names = [f.name for f in conf.config.DESCRIPTOR.fields
             if f.name.startswith("fsrs_params_") or f.name == "fsrs_weights"]
    name = max(names)  # fsrs_params_6 (26.x), fsrs_weights (23.10)
    size = {"fsrs_params_6": 21, "fsrs_params_5": 19}.get(name, 17)
    field = getattr(conf.config, name)
    del field[:]
    field.extend(OWN_PARAMS[:size])


def options(col: Any, deck: str, preset: Optional[str] = None, retention: float = 0.9,
            limits: Optional[Dict[str, Any]] = None, own_params: bool = False) -> int:
    """Deck options of ``deck`` saved as the screen saves them, FSRS on:
    ``preset`` (made if named, else the deck's own) with ``retention`` (and
    the person's own FSRS parameters if ``own_params``), and "This deck"
    ``limits`` (``review``, ``new``, ``desired_retention``)."""
    from anki import deck_config_pb2

    did = col.decks.id(deck)
    if preset is not None:
        d = col.decks.get(did)
        d["conf"] = col.decks.add_config_returning_id(preset)
        col.decks.save(d)
    found = col.decks.get_deck_configs_for_update(did)
    conf = next(c.config for c in found.all_config if c.config.id == found.current_deck.config_id)
    conf.config.desired_retention = retention
    if own_params:
        _set_own_params(conf)
    current = found.current_deck.limits
    for name, value in (limits or {}).items():
        setattr(current, name, value)
    col.decks.update_deck_configs(deck_config_pb2.UpdateDeckConfigsRequest(
        target_deck_id=did, configs=[conf], limits=current, fsrs=True))
    assert col.get_config("fsrs", False)
    return int(conf.id)


def deck_limits(col: Any, deck: str) -> Any:
    return col.decks.get_deck_configs_for_update(col.decks.id_for_name(deck)).current_deck.limits


def conf_of(col: Any, deck: str) -> int:
    return int(col.decks.get(col.decks.id_for_name(deck))["conf"])


def study(col: Any) -> None:
    """Every new card answered Easy: review cards with a memory state."""
    for cid in col.find_cards("is:new"):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 4)


def scheduling(col: Any) -> Dict[int, Tuple[Any, ...]]:
    """card id -> what FSRS keeps of it (a read)."""
    return {cid: (due, ivl, ctype, queue, factor, data)
            for cid, due, ivl, ctype, queue, factor, data
            in col.db.execute("SELECT id, due, ivl, type, queue, factor, data FROM cards")}


def memory(col: Any) -> Dict[int, Tuple[float, float]]:
    out = {}
    for cid in col.find_cards(""):
        state = col.get_card(cid).memory_state
        if state is not None:
            out[cid] = (round(state.stability, 4), round(state.difficulty, 4))
    return out


@functools.cache
def _change_deck_keeps_memory() -> bool:
    """Whether this Anki's own Change Deck keeps a studied card's FSRS memory
    state: 23.10 and 26.9 do; 25.09.5 drops it (stability, difficulty and
    the card's retention gone, within one preset too: a person's Change Deck
    as well as the sync's, which uses it). Tried on a collection of its own."""
    from anki.collection import Collection

    with tempfile.TemporaryDirectory() as folder:
        col = Collection(os.path.join(folder, "probe.anki2"))
        try:
            home, other = col.decks.id("Home"), col.decks.id("Other")
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = "q", "a"
            col.add_note(note, home)
            fsrs_on(col, home)
            card = note.cards()[0]
            card.start_timer()
            col.sched.answerCard(card, 4)
            col.set_deck([card.id], other)
            return col.get_card(card.id).memory_state is not None
        finally:
            col.close()


def after_change_deck(states: Dict[int, Tuple[float, float]]) -> Dict[int, Tuple[float, float]]:
    """The memory states of cards all moved by Change Deck, as this Anki leaves them."""
    return states if _change_deck_keeps_memory() else {}


def revlog(col: Any) -> list:
    return col.db.all("SELECT * FROM revlog ORDER BY id")


def presets(col: Any) -> Dict[int, Tuple[float, Tuple[float, ...]]]:
    """preset id -> (desired retention, FSRS parameters)."""
    out = {}
    for c in col.decks.get_deck_configs_for_update(col.decks.id("Default")).all_config:
        cfg = c.config.config
        params = tuple(getattr(cfg, "fsrs_params_6", ()) or getattr(cfg, "fsrs_params_5", ())
                       or getattr(cfg, "fsrs_weights", ()))
        out[int(c.config.id)] = (round(cfg.desired_retention, 4), params)
    return out


def cards_of(col: Any, card_id: str) -> Dict[int, Any]:
    return {c.ord: c for c in note_of(col, card_id).cards()}


def _retag(doc: Doc, deck: str) -> None:
    for label in [t for t in doc.meta["docInfo"]["tags"] if t.startswith("deck:")]:
        doc.untag(label)
    doc.tag(f"deck:{deck}")
    doc.write()


def _doc(root: Path) -> Doc:
    d = Doc(root, KEY, "Fsrs", tags=["deck:Books/Physcs"])
    d.text_highlight("1HlF000001", "a highlight")
    d.card("1ClozeF001", cloze("{{c1::one}} {{c2::two}}"), "CLOZE", ref="text-highlight:1HlF000001")
    d.card("1BasicF001", basic("front", "back"))
    d.card("1BasicF002", basic("front 2", "back 2"), page=2)
    d.write()
    return d


def test_an_fsrs_users_scheduling_and_review_log_survive_every_kind_of_sync(col, tmp_path, state_path):
    """Text edits (in place and as Polar makes them, a new id), a cloze
    gaining and losing a deletion, a card set aside and back, new cards of
    another document put in reading order, the document's deck changed to
    a deck of another preset: the studied cards keep due date, interval,
    memory state; no review-log row is written; presets unchanged."""
    doc = _doc(tmp_path / "polar")
    assert run(col, doc.root, state_path).created == 3
    mine = options(col, "Books::Physcs", preset="Physics, FSRS", retention=0.85)
    study(col)
    studied = scheduling(col)
    states = memory(col)
    assert len(states) == 4 and all(s[0] > 0 for s in states.values())
    log = revlog(col)
    assert len(log) == 4
    confs = presets(col)

    def unchanged() -> None:
        now = scheduling(col)
        assert {cid: now[cid] for cid in studied} == studied
        assert {cid: s for cid, s in memory(col).items() if cid in studied} == states
        assert revlog(col) == log
        assert presets(col) == confs
        assert col.get_config("fsrs", False)

    num, raw = doc.find_card("1BasicF001")
    raw["fields"] = basic("front, edited", "back")
    doc.write()
    assert run(col, doc.root, state_path).updated == 1
    unchanged()

    doc.edit_card("1BasicF002", "1BasicF003", basic("front 2, edited", "back 2"))
    doc.write()
    report = run(col, doc.root, state_path)
    assert report.updated == 1 and report.created == 0
    unchanged()

    _, raw = doc.find_card("1ClozeF001")
    raw["fields"] = cloze("{{c1::one}} {{c2::two}} {{c3::three}}")
    doc.write()
    assert run(col, doc.root, state_path).updated == 1
    third = cards_of(col, "1ClozeF001")[2]
    assert third.type == 0 and col.decks.name(third.did) == "Books::Physcs"  # (Anki: the siblings' deck)
    unchanged()
    raw["fields"] = cloze("{{c1::one}} {{c3::three}}")
    doc.write()
    run(col, doc.root, state_path)
    unchanged()  # c2's card stays, reviews and all (Empty Cards is the person's)

    num, raw = doc.find_card("1BasicF001")
    doc.delete_card("1BasicF001").write()
    assert run(col, doc.root, state_path).orphaned == 1
    assert cards_of(col, "1BasicF001")[0].queue == SUSPENDED
    assert revlog(col) == log
    doc.page(num)["flashcards"]["1BasicF001"] = raw
    doc.write()
    assert run(col, doc.root, state_path).restored == 1
    unchanged()

    later = Doc(doc.root, NEW_KEY, "Read first", tags=["deck:Books/Physcs"]).added("2019-01-01T00:00:00.000Z")
    for i in range(3):
        later.card(f"1NewF0000{i}", basic(f"q{i}", "a"), page=3 - i)
    later.write()
    assert run(col, doc.root, state_path).created == 3
    unchanged()

    options(col, "Chemistry", preset="Chemistry, FSRS", retention=0.8)
    confs = presets(col)
    _retag(doc, "Chemistry")
    assert run(col, doc.root, state_path).moved == 3
    moved = scheduling(col)
    for cid, (due, ivl, ctype, queue, _, _) in studied.items():
        assert moved[cid][:4] == (due, ivl, ctype, queue)
    assert {cid: s for cid, s in memory(col).items() if cid in studied} == after_change_deck(states)
    assert revlog(col) == log and presets(col) == confs
    assert conf_of(col, "Books::Physcs") == mine


def test_a_deck_made_for_moved_cards_keeps_this_decks_limits_and_retention(col, tmp_path, state_path):
    """A ``deck:`` typo fixed in Polar: the deck the sync makes takes the
    preset and the "This deck" options of the deck the cards leave (the
    person's review and new-card limits, and from Anki 25.07 the deck's own
    desired retention), not only the preset. Undo takes it all back.
    Failed before: the new deck had the preset but no limits of its own."""
    doc = _doc(tmp_path / "polar")
    run(col, doc.root, state_path)
    limits: Dict[str, Any] = {"review": 17, "new": 3}
    if _has_deck_retention():
        limits["desired_retention"] = 0.97
    mine = options(col, "Books::Physcs", preset="Physics, FSRS", retention=0.85, limits=limits)
    study(col)
    states = memory(col)
    log = revlog(col)

    _retag(doc, "Books/Physics")
    assert run(col, doc.root, state_path).moved == 3
    assert conf_of(col, "Books::Physics") == mine
    got = deck_limits(col, "Books::Physics")
    assert (got.review, got.new) == (17, 3)
    if _has_deck_retention():
        assert round(got.desired_retention, 2) == 0.97
    if _has_deck_retention() and _change_deck_keeps_memory():
        # Anki's Change Deck gives the moved cards the new deck's retention
        # (26.9: the old code's deck left them at the preset's 0.85).
        assert {json.loads(data).get("dr") for *_, data in scheduling(col).values()} == {0.97}
    assert memory(col) == after_change_deck(states) and revlog(col) == log
    col.undo()
    assert col.decks.id_for_name("Books::Physics") is None
    assert {col.decks.name(c.did) for c in cards_of(col, "1BasicF001").values()} == {"Books::Physcs"}


def test_cards_moved_from_two_decks_of_one_preset_keep_it(col, tmp_path, state_path):
    """The person keeps one FSRS preset, optimized, for all their decks and
    moved one card of the document to another deck of theirs: the
    document's new deck takes that preset (the decks' own limits differ:
    none are copied), and the moved cards keep their memory states. Failed
    before: two source decks meant Anki's Default preset, its parameters and
    retention, for every moved card; and Anki 25.x's Change Deck computes a
    moved card's memory state anew with the new preset's parameters (26.9:
    stability 19.1 -> 8.3 after one Easy; 23.10 keeps it)."""
    doc = _doc(tmp_path / "polar")
    run(col, doc.root, state_path)
    mine = options(col, "Books::Physcs", preset="All my decks", retention=0.85, limits={"review": 17},
                   own_params=True)
    hard = col.decks.get(col.decks.id("Hard"))
    hard["conf"] = mine
    col.decks.save(hard)
    col.set_deck([c.id for c in cards_of(col, "1BasicF002").values()], col.decks.id_for_name("Hard"))
    study(col)
    states = memory(col)
    _retag(doc, "Books/Physics")
    assert run(col, doc.root, state_path).moved == 3
    assert conf_of(col, "Books::Physics") == mine
    assert deck_limits(col, "Books::Physics").review == 0  # (none of its own: the preset's)
    assert {col.decks.name(c.did) for c in cards_of(col, "1BasicF002").values()} == {"Books::Physics"}
    assert guid_for("1BasicF002") == note_of(col, "1BasicF002").guid
    assert memory(col) == after_change_deck(states)


def test_cards_moved_mostly_from_one_preset_keep_it(col, tmp_path, state_path):
    """Three of the document's four cards in a deck of the person's
    optimized preset, one moved by them to a deck of another preset: the
    document's new deck takes the preset of the three (more than half the
    moved cards), whose memory states stay as they were. Failed before: two
    source decks meant Default for all four (and on 26.9 their memory states
    worked out again with Default's parameters)."""
    doc = _doc(tmp_path / "polar")
    run(col, doc.root, state_path)
    mine = options(col, "Books::Physcs", preset="Physics, optimized", retention=0.85, own_params=True)
    options(col, "Hard", preset="Hard ones", retention=0.95)
    hard = [c.id for c in cards_of(col, "1BasicF002").values()]
    col.set_deck(hard, col.decks.id_for_name("Hard"))
    study(col)
    states = {cid: s for cid, s in memory(col).items() if cid not in hard}
    assert len(states) == 3
    _retag(doc, "Books/Physics")
    assert run(col, doc.root, state_path).moved == 3
    assert conf_of(col, "Books::Physics") == mine
    assert deck_limits(col, "Books::Physics").review == 0  # (two decks: no deck's own limits)
    assert {cid: s for cid, s in memory(col).items() if cid not in hard} == after_change_deck(states)
