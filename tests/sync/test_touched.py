"""touched.touched_since on a real collection: which cards the person
touched after the sync suspended them, read from the review log (a review,
Set Due Date, Forget; not 23.10's FSRS reschedule, its rows at the preset's
save)."""

from __future__ import annotations

import time
from typing import Any, List

from addon.sync import touched
from addon.sync.touched import touched_since
from tests.sync.test_restore_suspensions import _fsrs_reschedule


def _reviewed_cards(col: Any, n: int) -> List[int]:
    model = col.models.by_name("Basic")
    did = col.decks.id("Reading")
    cids = []
    for i in range(n):
        note = col.new_note(model)
        note["Front"], note["Back"] = f"q{i}", "a"
        col.add_note(note, did)
        card = note.cards()[0]
        card.start_timer()
        col.sched.answerCard(card, 4)
        cids.append(card.id)
    return cids


def _now_ms() -> int:
    return int(time.time() * 1000)


def test_a_review_set_due_date_and_forget_after_the_stamp_count_and_before_it_do_not(col):
    studied, due, forgotten, untouched = _reviewed_cards(col, 4)
    time.sleep(0.01)
    stamp = _now_ms()  # the sync suspends them all
    col.sched.suspend_cards([studied, due, forgotten, untouched])
    time.sleep(0.01)
    col.sched.unsuspend_cards([studied])
    card = col.get_card(studied)
    card.start_timer()
    col.sched.answerCard(card, 3)
    col.sched.set_due_date([due], "3")
    col.sched.schedule_cards_as_new([forgotten], restore_position=True, reset_counts=False)
    stamps = {cid: stamp for cid in (studied, due, forgotten, untouched)}
    assert touched_since(col, stamps) == {studied, due, forgotten}
    # A stamp after every row: nothing since.
    later = _now_ms() + 1000
    assert touched_since(col, {cid: later for cid in stamps}) == set()
    assert touched_since(col, {}) == set()


def test_type_4_rows_at_an_fsrs_preset_s_save_are_the_reschedule_s_not_the_person_s(col, monkeypatch):
    first, second = _reviewed_cards(col, 2)
    time.sleep(0.01)
    stamp = _now_ms()
    col.sched.suspend_cards([first, second])
    time.sleep(0.01)
    _fsrs_reschedule(col, first, 0.95)  # (23.10 logs both, type 4; later Ankis neither)
    assert touched_since(col, {first: stamp, second: stamp}) == set()
    # The same rows away from the preset's save: still not the person's, as
    # the cards stayed suspended and unchanged since (a Set Due Date
    # unsuspends) ...
    monkeypatch.setattr(touched, "RESCHEDULE_AFTER_S", -2)
    assert touched_since(col, {first: stamp, second: stamp}) == set()
    # ... but the person's once the cards changed since (moved, say).
    col.db.execute("UPDATE cards SET mod = mod + 5 WHERE id IN (?, ?)", first, second)
    rows = col.db.scalar(f"SELECT count() FROM revlog WHERE type = {touched.MANUAL} AND id > ?", stamp)
    assert touched_since(col, {first: stamp, second: stamp}) == ({first, second} if rows else set())


def test_without_fsrs_a_set_due_date_at_the_preset_s_save_is_still_the_person_s(col):
    (card,) = _reviewed_cards(col, 1)
    stamp = _now_ms()
    col.sched.suspend_cards([card])
    time.sleep(0.01)
    conf = col.decks.config_dict_for_deck_id(col.get_card(card).did)
    col.decks.save(conf)  # (saved this second, FSRS off)
    col.sched.set_due_date([card], "2")
    assert touched_since(col, {card: stamp}) == {card}


def test_a_reschedule_s_rows_stay_the_reschedule_s_once_the_preset_is_saved_again(col, monkeypatch):
    """Anki 23.10: FSRS turned on with "Reschedule cards on change" while the
    cards are set aside (type 4 rows at the preset's save, the cards left
    suspended), then the preset saved again seconds or days later for
    something else (a daily limit: no reschedule, a new ``mod``). On the old
    code the reschedule's rows, no longer at the preset's save, were taken
    for the person's Set Due Date: the cards stayed suspended for good when
    their Polar cards came back. A Set Due Date or Forget unsuspends the
    card: one still suspended and unchanged since its last such row was not
    given one by the person. (Later Ankis log no row: nothing to tell.)"""
    first, second = _reviewed_cards(col, 2)
    time.sleep(0.01)
    stamp = _now_ms()
    col.sched.suspend_cards([first, second])
    time.sleep(0.01)
    _fsrs_reschedule(col, first, 0.95)
    time.sleep(2.2)
    conf = col.decks.config_dict_for_deck_id(col.get_card(first).did)
    conf["new"]["perDay"] = 7
    col.decks.save(conf)
    assert touched_since(col, {first: stamp, second: stamp}) == set()
    # The person gives one a due date (Anki unsuspends it) and suspends it again
    # (more than RESCHEDULE_AFTER_S after the save: the test waits less).
    monkeypatch.setattr(touched, "RESCHEDULE_AFTER_S", 0)
    time.sleep(1.1)
    col.sched.set_due_date([second], "3")
    time.sleep(2.2)
    col.sched.suspend_cards([second])
    assert touched_since(col, {first: stamp, second: stamp}) == {second}
