"""Filtered decks (a Custom Study session, a user's filtered deck), made with
Anki's own API, against documents whose deck changes:

* cards studied inside a filtered deck when Polar moves their document go
  to the new deck through Anki's deck move: no filtered-deck bookkeeping
  left on them, due and interval kept, Check Database finds nothing;
* a ``deck:`` tag naming a filtered deck, or nesting under one: a warning
  for that document, its cards in the default deck (new and moved), the
  report's decks say so, and the rest of the library syncs.
"""

from __future__ import annotations

from typing import Any, List

from tests.polar_factory import Doc, basic
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync


def _doc(lib, key: str, deck: str, cards: int = 3) -> Doc:
    doc = Doc(lib, key, key, tags=[f"deck:{deck}"])
    for n in range(cards):
        doc.card(f"{key}C{n}", basic(f"{key} question {n}", "answer"))
    doc.write()
    return doc


def _retag(doc: Doc, deck: str) -> None:
    for label in list(doc.meta["docInfo"]["tags"]):
        doc.untag(label)
    doc.tag(f"deck:{deck}")
    doc.write()


def _study_everything(col: Any) -> None:
    for deck in col.decks.all_names_and_ids():
        col.decks.select(deck.id)
        while (card := col.sched.getCard()) is not None:
            col.sched.answerCard(card, 3)
    reviewed = col.db.list("select distinct cid from revlog")
    col.sched.set_due_date(reviewed, "12")  # a real due date, to be kept


def _filtered(col: Any, name: str, search: str) -> int:
    did = col.decks.new_filtered(name)
    deck = col.sched.get_or_create_filtered_deck(did)
    deck.config.search_terms[0].search = search
    deck.config.search_terms[0].limit = 1000
    deck.config.reschedule = True
    col.sched.add_or_update_filtered_deck(deck)
    return int(did)


def _cards_of(col: Any, key: str) -> List[Any]:
    return col.db.all(
        "select c.id, c.did, c.odid, c.due, c.odue, c.ivl, c.queue, c.type from cards c "
        "join notes n on c.nid = n.id where n.guid like ? order by c.id", f"polar:{key}C%")


def test_cards_studied_in_a_filtered_deck_move_with_their_due_dates(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _doc(lib, "1FiltMoveDoc", "Study/Chapter")
    run_sync(col, lib, state)
    _study_everything(col)
    home = col.decks.id_for_name("Study::Chapter")
    before = {c[0]: c for c in _cards_of(col, "1FiltMoveDoc")}
    session = _filtered(col, "Custom Study Session", "deck:Study::Chapter")
    inside = _cards_of(col, "1FiltMoveDoc")
    assert all(c[1] == session and c[2] == home for c in inside)  # borrowed by the filtered deck
    revlog = StudyData.of(col).revlog

    _retag(doc, "Reading/Moved")
    report = run_sync(col, lib, state)
    assert report.moved == 3 and report.errors == []
    target = col.decks.id_for_name("Reading::Moved")
    for cid, did, odid, due, odue, ivl, queue, ctype in _cards_of(col, "1FiltMoveDoc"):
        assert (did, odid, odue) == (target, 0, 0)  # home in the new deck, nothing of the filtered deck left
        old = before[cid]
        assert (due, ivl, queue, ctype) == (old[3], old[5], old[6], old[7])  # the real due date came back
    assert StudyData.of(col).revlog == revlog
    assert integrity_problems(col) == []
    assert not run_sync(col, lib, state).changed


def test_card_in_a_filtered_deck_whose_home_is_the_target_stays_in_the_session(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _doc(lib, "1FiltHomeDoc", "Target")
    run_sync(col, lib, state)
    _retag(doc, "Elsewhere")
    run_sync(col, lib, state, move_on_deck_change=False)  # the cards stay in Target
    _study_everything(col)
    session = _filtered(col, "Review Ahead", "deck:Target")
    _retag(doc, "Target")  # the document's deck changes back to where its cards live
    report = run_sync(col, lib, state)
    assert report.moved == 0
    assert all(c[1] == session for c in _cards_of(col, "1FiltHomeDoc"))
    assert integrity_problems(col) == []


def test_deck_tag_naming_or_nesting_under_a_filtered_deck(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    moved = _doc(lib, "1FiltTagMoved", "Study/Before")
    _doc(lib, "1FiltTagOther", "Other")
    run_sync(col, lib, state)
    _study_everything(col)
    _filtered(col, "Filtered 1", "deck:Other")
    studied = StudyData.of(col)
    other_before = _cards_of(col, "1FiltTagOther")

    _retag(moved, "Filtered 1")  # names the filtered deck
    _doc(lib, "1FiltTagNew", "Filtered 1")  # new cards for it
    _doc(lib, "1FiltTagChild", "Filtered 1/Chapter")  # nests under it: Anki refuses such a deck
    _doc(lib, "1FiltTagPlain", "Plain")  # the rest of the library
    report = run_sync(col, lib, state, default_deck="Inbox")
    assert report.errors == [], report.errors
    assert report.created == 9 and report.moved == 3

    inbox = col.decks.id_for_name("Inbox")
    for key in ("1FiltTagMoved", "1FiltTagNew", "1FiltTagChild"):
        cards = _cards_of(col, key)
        assert cards and all((c[1], c[2]) == (inbox, 0) for c in cards), (key, cards)
    assert all(c[1] == col.decks.id_for_name("Plain") for c in _cards_of(col, "1FiltTagPlain"))
    assert _cards_of(col, "1FiltTagOther") == other_before  # the filtered deck's own cards untouched
    assert col.decks.id_for_name("Filtered 1::Chapter") is None
    assert "Filtered 1" not in report.decks and "Inbox" in report.decks

    warned = {w["path"].split("/")[0]: w["message"] for w in report.warnings}
    for key in ("1FiltTagMoved", "1FiltTagNew"):
        assert "is the filtered deck" in warned[key] and "'Inbox'" in warned[key]
    assert "inside the filtered deck 'Filtered 1'" in warned["1FiltTagChild"]
    assert "1FiltTagPlain" not in warned

    after = StudyData.of(col)
    assert after.revlog == studied.revlog
    moved_ids = {c[0] for c in _cards_of(col, "1FiltTagMoved")}
    before_by_id = {r[0]: r for r in studied.reviewed}
    for row in after.reviewed:  # due, interval, queue, type kept; only the moved cards' deck differs
        old = before_by_id[row[0]]
        assert row[3:] == old[3:] and (row[0] in moved_ids or row[1:3] == old[1:3])
    assert integrity_problems(col) == []
    again = run_sync(col, lib, state, default_deck="Inbox")
    assert not again.changed and again.errors == []
