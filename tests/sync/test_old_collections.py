"""Collections with years behind them (dev-notes/beside.md, "Collections with
years behind them"): what a long-time user's collection holds that a fresh one
does not.

A collection last studied in an Anki of before ~2.1.45 that was never given
the scheduler update (its deck list offers it) still runs Anki's v1 scheduler:
Anki 23.10 and later open it with a stand-in scheduler, and their Rust refuses
to move or suspend any of its cards (``SchedulerUpgradeRequired``). Made here
as the current Anki makes a collection, with ``schedVer`` set to 1, the one
thing that differs for these steps (the same failure was seen on a collection
made and studied by anki 2.1.35 from PyPI, opened by 23.10.1 and 26.9.3: that
Anki needs Python 3.8 and its own Rust wheel, too costly for CI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from addon.gui import i18n
from addon.gui.report_text import explain
from addon.settings import Settings
from addon.sync import deck_steps
from addon.sync.deck_steps import TODAY_CHECK_FROM
from addon.sync.deck_steps import new_cards_shown as real_shown
from addon.sync.engine import collection_identity, prepare
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic

DOC_A = "1OldSchedDocA000000000aa"
DOC_B = "1OldSchedDocB000000000bb"


def run(col, lib: Path, state: Path, **config):
    settings, _ = Settings.from_dict({"delete_max_share": 1, **config})
    prepared = prepare(settings, state, source_path=lib, collection_id=collection_identity(col))
    return prepared.apply(col)


def nid_of(col, card_id: str) -> int:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(card_id)]
    assert len(nids) == 1, f"{card_id}: {nids}"
    return nids[0]


def cards_of(col, card_id: str):
    return [col.get_card(c) for c in col.get_note(nid_of(col, card_id)).card_ids()]


def to_v1_scheduler(col) -> None:
    """As a collection Anki 2.1.x left on its first scheduler."""
    col.set_config("schedVer", 1)
    col._load_scheduler()
    assert col.sched_ver() == 1


def scheduling(col):
    return col.db.all("SELECT id, did, queue, type, due, ivl, factor, reps, lapses FROM cards ORDER BY id")


@pytest.fixture
def lib(tmp_path, col, state_path):
    root = tmp_path / "polar"
    a = Doc(root, DOC_A, "Doc A", tags=["deck:Books/A"])
    a.card("1OldA00001", basic("A1 front", "A1 back"))
    a.write()
    b = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"])
    b.card("1OldB00001", basic("B1 front", "B1 back"))
    b.card("1OldB00002", basic("B2 front", "B2 back"))
    b.write()
    assert run(col, root, state_path).created == 3
    return root, a, b


def test_v1_scheduler_moves_and_suspensions_wait_for_the_update(col, lib, state_path):
    root, a, b = lib
    to_v1_scheduler(col)
    revlog = col.db.scalar("SELECT count() FROM revlog")
    before = scheduling(col)
    # In Polar: Doc A gets another deck, Doc B is deleted, Doc A a new card.
    a.untag("deck:Books/A")
    a.tag("deck:Books/Moved")
    a.card("1OldA00002", basic("A2 front", "A2 back"))
    a.write()
    b.remove()

    # The old code: Anki's SchedulerUpgradeRequired failed the whole sync.
    report = run(col, root, state_path)
    assert [p["code"] for p in report.warnings] == ["old_scheduler", "new_cards_wait_update"]
    assert report.created == 1  # the rest was synced (the new note waits for the update as well)
    assert "old scheduler" in report.summary()
    row = report.warnings[0]
    assert row["count"] == 3 and explain(row).startswith("This collection still uses Anki's old scheduler")
    i18n.force("de")
    try:
        assert "alten Zeitplaner" in explain(row) and "3 Notizen" in explain(row)
    finally:
        i18n.force(None)
    # Nothing moved, nothing suspended, nothing lost.
    assert [row for row in scheduling(col) if row in before] == before
    assert col.db.scalar("SELECT count() FROM revlog") == revlog
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::A"}
    assert all(c.queue != -1 for c in cards_of(col, "1OldB00001") + cards_of(col, "1OldB00002"))

    # Again before the update: the same, no error, nothing new.
    again = run(col, root, state_path)
    assert [p["code"] for p in again.warnings] == ["old_scheduler"] and again.created == 0

    # Anki's deck list's update (a schema change Anki asks for itself), then a sync.
    col.mod_schema(check=False)
    col.upgrade_to_v2_scheduler()
    col.set_v3_scheduler(True)
    after = run(col, root, state_path)
    assert not after.warnings
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::Moved"}
    assert all(c.queue == -1 for c in cards_of(col, "1OldB00001") + cards_of(col, "1OldB00002"))
    assert not run(col, root, state_path).changed


def waiting_new(report):
    return [w for w in report.warnings if w["code"] == "new_cards_wait_update"]


def test_v1_scheduler_new_notes_are_said_to_wait_for_the_update(col, lib, state_path):
    """No move, no suspension: nothing waits of those; the new note does
    not come up until the update (Anki studies nothing on v1) and the
    report says so, once, of the notes this sync made."""
    root, a, _ = lib
    to_v1_scheduler(col)
    a.card("1OldA00002", basic("A2 front", "A2 back"))
    a.write()
    report = run(col, root, state_path)
    assert report.created == 1
    assert [(w["code"], w["count"]) for w in report.warnings] == [("new_cards_wait_update", 1)]
    assert not run(col, root, state_path).warnings


def test_v2_scheduler_new_notes_wait_for_the_update_whatever_the_limits(tmp_path, col, state_path):
    """schedVer 2 with v3 off (23.10 and 26.x open it so): Anki studies no
    card of it until the scheduler update (a stand-in scheduler: the study
    screen counts 0, Study Now says the update is required), while its
    deck list shows each deck's count (a child under a parent at 0 new
    cards a day: its own 3). One row for the notes the sync made, not the
    limits' words ("raise that limit" would not help) nor silence."""
    col.set_v3_scheduler(False)
    assert col.sched_ver() == 2 and not col.v3_scheduler()
    give_preset(col, "Books", preset_with(col, "None new", 0))
    root, doc = one_doc(tmp_path, tags=["deck:Books/A"])
    report = run(col, root, state_path)
    assert report.created == 3
    assert real_shown(col)[col.decks.id_for_name("Books::A")] == 3  # the deck list's count
    col.decks.select(col.decks.id_for_name("Books::A"))
    assert col.sched.counts() == (0, 0, 0)  # the study screen's, as a person clicking the deck sees it
    assert [(w["code"], w["count"]) for w in report.warnings] == [("new_cards_wait_update", 3)]
    assert explain(report.warnings[0]) == (
        "3 new notes will not come up for study until Anki's scheduler is updated: this collection still uses an "
        "old scheduler, and Anki shows none of its cards for study until then. Anki's deck list offers the update.")
    i18n.force("de")
    try:
        assert explain(report.warnings[0]).startswith("3 neue Notizen kommen erst zum Lernen, wenn Ankis Zeitplaner")
    finally:
        i18n.force(None)
    # A deck's own preset at 0 too: still the one row (its limit is not why).
    give_preset(col, "Default", preset_with(col, "None new either", 0))
    Doc(root, DOC_B, "Doc B").card("1HeldB0001", basic("b", "b")).write()
    assert [(w["code"], w["count"]) for w in run(col, root, state_path).warnings] == [("new_cards_wait_update", 1)]
    # After Anki's update (its deck list's button): the limits' words again.
    col.set_v3_scheduler(True)
    doc.card("1HeldAfter1", basic("after", "back"))
    doc.write()
    report = run(col, root, state_path)
    assert not waiting_new(report) and not held(report)  # (a parent's 0 caps no deck studied on its own)


def test_the_report_names_a_long_standing_deck_as_anki_spells_it(tmp_path, col, state_path):
    """A deck the user made years ago, "Books::Philosophy", and Polar's tag
    ``deck:books/philosophy``: one deck in Anki (names are one deck whatever
    their case), which the report called "books::philosophy"."""
    col.decks.id("Books::Philosophy")
    root = tmp_path / "polar"
    doc = Doc(root, DOC_A, "Doc A", tags=["deck:books/philosophy"])
    doc.card("1OldA00001", basic("A1 front", "A1 back"))
    doc.write()
    for dry_run in (True, False):
        settings, _ = Settings.from_dict({})
        prepared = prepare(settings, state_path, source_path=root, collection_id=collection_identity(col))
        report = prepared.apply(col, dry_run=dry_run)
        assert report.decks == {"Books::Philosophy"}, dry_run
        assert [c.deck for c in report.changes] == ["Books::Philosophy"]
        assert "decks: Books::Philosophy" in report.summary()
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::Philosophy"}
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == ["Books", "Books::Philosophy", "Default"]


# -- Decks whose options let no new card come up ---------------------------------------------
# A long-time user's Default preset at 0 new cards a day, a deck's own limit,
# today's limit used up: the notes a sync adds there never come up, and a
# person who synced 300 cards and sees none takes the sync for failed.


def held(report):
    return [w for w in report.warnings if w["code"] == "new_cards_held"]


def preset_with(col, name: str, new_per_day: int, **rev) -> int:
    conf = col.decks.add_config_returning_id(name)
    cfg = col.decks.get_config(conf)
    cfg["new"]["perDay"] = new_per_day
    cfg["rev"].update(rev)
    col.decks.update_config(cfg)
    return conf


def give_preset(col, deck_name: str, conf: int) -> None:
    deck = col.decks.get(col.decks.id(deck_name))
    deck["conf"] = conf
    col.decks.save(deck)


def options_of(col):
    return ([(c["id"], c["new"]["perDay"], c["rev"]["perDay"]) for c in col.decks.all_config()],
            sorted((d["name"], d["conf"], d.get("newLimit"), d.get("newLimitToday")) for d in col.decks.all()
                   if not d["dyn"]))


def one_doc(tmp_path, tags=(), n=3, key=DOC_A, prefix="1Held"):
    root = tmp_path / "polar"
    doc = Doc(root, key, "Doc " + key[-2:], tags=list(tags))
    for i in range(n):
        doc.card(f"{prefix}{key[-2:]}{i:03d}", basic(f"front {i}", f"back {i}"))
    doc.write()
    return root, doc


def test_new_notes_in_a_deck_whose_preset_allows_no_new_cards_are_named(tmp_path, col, state_path):
    """Default's preset at 0 new cards a day (cards without a deck: tag go
    to Default): the notes are made, Anki shows 0 new, the report says why
    and where; the options are left as the user set them."""
    give_preset(col, "Default", preset_with(col, "None new", 0))
    before = options_of(col)
    root, doc = one_doc(tmp_path)
    report = run(col, root, state_path)
    assert report.created == 3
    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [("Default", 3, "Default")]
    assert explain(held(report)[0]) == ("3 new notes in “Default” will not come up for study while the options "
                                         "of “Default” allow 0 new cards a day: raise that limit to study them.")
    i18n.force("de")
    try:
        assert "3 neue Notizen in „Default“" in explain(held(report)[0])
    finally:
        i18n.force(None)
    assert options_of(col) == before  # never written
    # Said with the notes it is about: a sync that adds none says nothing; one that adds one says it of that one.
    assert not held(run(col, root, state_path))
    doc.card("1HeldMore01", basic("one more", "back"))
    doc.write()
    assert [w["count"] for w in held(run(col, root, state_path))] == [1]


def test_a_decks_own_limit_of_no_new_cards_is_named(tmp_path, col, state_path):
    """The v3 scheduler's limit for one deck ("This deck" in its options),
    the preset's being 20: that deck is named, a deck beside it is not."""
    col.decks.id("Books::A")
    deck = col.decks.by_name("Books::A")
    deck["newLimit"] = 0
    col.decks.save(deck)
    root, _ = one_doc(tmp_path, tags=["deck:Books/A"])
    Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"]).card("1HeldB0001", basic("b", "b")).write()
    report = run(col, root, state_path)
    assert report.created == 4
    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [("Books::A", 3, "Books::A")]
    # "Today only" at 0 (Books::B): today's words, not "0 a day".
    deck = col.decks.by_name("Books::B")
    deck["newLimitToday"] = {"limit": 0, "today": col.sched.today}
    col.decks.save(deck)
    batch = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"]).card("1HeldB0001", basic("b", "b"))
    for i in range(TODAY_CHECK_FROM):  # (today's cases are read after a batch: TODAY_CHECK_FROM)
        batch.card(f"1HeldB1{i:03d}", basic(f"b{i}", "b"))
    batch.write()
    report = run(col, root, state_path)
    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [
        ("Books::B", TODAY_CHECK_FROM, None)]


def answer_new_cards(col, deck_name: str, n: int) -> None:
    from anki.scheduler.v3 import CardAnswer

    col.decks.select(col.decks.id(deck_name))
    for _ in range(n):
        card = col.sched.getCard()
        assert card is not None and card.type == 0
        states = col._backend.get_scheduling_states(card.id)
        col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD))


def test_new_notes_past_todays_limit_are_said_to_come_on_a_later_day(tmp_path, col, state_path, monkeypatch):
    """Today's 2 new cards already studied: the sync's next notes wait for
    another day, and the words say so (no deck's options say 0)."""
    give_preset(col, "Default", preset_with(col, "Two a day", 2))
    root, doc = one_doc(tmp_path, n=4)
    first = run(col, root, state_path)
    assert first.created == 4 and not held(first)  # 2 of them come up today
    answer_new_cards(col, "Default", 2)
    doc.card("1HeldLater1", basic("later", "back"))
    doc.write()
    # One card more, minutes after studying: Anki's counts are not read for it (TODAY_CHECK_FROM).
    calls = []
    monkeypatch.setattr(deck_steps, "new_cards_shown", lambda col: calls.append(1) or real_shown(col))
    report = run(col, root, state_path)
    assert report.created == 1 and not held(report) and calls == []
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1HeldLater{i + 2:03d}", basic(f"later {i}", "back"))
    doc.write()
    report = run(col, root, state_path)
    assert calls == [1]
    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [("Default", TODAY_CHECK_FROM, None)]
    assert explain(held(report)[0]).startswith(f"{TODAY_CHECK_FROM} new notes in “Default” will not come up for "
                                               "study today, as the deck's daily limits are reached")


def test_new_cards_held_back_by_the_review_limit_unless_they_ignore_it(tmp_path, col, state_path):
    """The v3 scheduler counts new cards against the review limit, unless
    "New cards ignore review limit" is on. A limit of 0 reviews a day holds
    them for good (no batch needed: the options tell it), and is worded so,
    not as a limit "reached today"."""
    give_preset(col, "Default", preset_with(col, "No reviews", 20, perDay=0))
    root, doc = one_doc(tmp_path)
    rows = held(run(col, root, state_path))
    assert [(w["count"], w.get("limited_by"), w.get("limit")) for w in rows] == [(3, "Default", "reviews")]
    assert explain(rows[0]) == (
        "3 new notes in “Default” will not come up for study while the options of “Default” allow 0 reviews a day, "
        "a limit Anki counts new cards against too: raise that limit to study them.")
    i18n.force("de")
    try:
        words = explain(rows[0])
        assert "0 Wiederholungen am Tag" in words and "heute" not in words
    finally:
        i18n.force(None)
    col.set_config("newCardsIgnoreReviewLimit", True)
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1HeldIgnore{i:03d}", basic(f"ignored {i}", "back"))
    doc.write()
    report = run(col, root, state_path)
    assert report.created == TODAY_CHECK_FROM and not held(report)


def test_a_decks_own_review_limit_of_0_is_named_and_today_only_is_todays(tmp_path, col, state_path):
    """The v3 scheduler's review limit for one deck ("This deck") at 0, the
    preset's being 200: that deck is named as holding the cards for good;
    "Today only" at 0 is today's words. Many decks under one preset of 0
    reviews a day: one row, in the same words."""
    col.decks.id("Books::A")
    deck = col.decks.by_name("Books::A")
    deck["reviewLimit"] = 0
    col.decks.save(deck)
    root, _ = one_doc(tmp_path, tags=["deck:Books/A"])
    report = run(col, root, state_path)
    assert [(w["deck"], w["count"], w.get("limited_by"), w.get("limit")) for w in held(report)] == [
        ("Books::A", 3, "Books::A", "reviews")]
    col.decks.id("Books::B")
    deck = col.decks.by_name("Books::B")
    deck["reviewLimitToday"] = {"limit": 0, "today": col.sched.today}
    col.decks.save(deck)
    batch = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"])
    for i in range(TODAY_CHECK_FROM):
        batch.card(f"1HeldB2{i:03d}", basic(f"b{i}", "b"))
    batch.write()
    rows = held(run(col, root, state_path))
    assert [(w["deck"], w["count"], w.get("limited_by"), w.get("limit")) for w in rows] == [
        ("Books::B", TODAY_CHECK_FROM, None, None)]
    assert "today" in explain(rows[0])
    cfg = col.decks.get_config(1)
    cfg["rev"]["perDay"] = 0
    col.decks.update_config(cfg)
    for d in range(4):
        key = f"1RevDecks{d:02d}0000000000000"
        Doc(root, key, f"Doc {d}", tags=[f"deck:Shelf/Book {d}"]).card(f"1RevD{d:05d}", basic("q", "a")).write()
    rows = held(run(col, root, state_path))
    assert [(w.get("decks"), w.get("preset"), w.get("limit")) for w in rows] == [
        ([f"Shelf::Book {d}" for d in range(4)], "Default", "reviews")]
    assert explain(rows[0]) == (
        "4 new notes in 4 decks will not come up for study while their options preset “Default” allows 0 reviews "
        "a day, a limit Anki counts new cards against too: raise that limit to study them.")


def test_a_parents_limit_is_named_only_where_anki_applies_it(tmp_path, col, state_path):
    """A parent deck at 0 new cards a day: Anki's v3 shows the deck under it
    its own count (nothing to say), unless "Apply limits from parent decks"
    (26.x) is on: then the parent is named."""
    give_preset(col, "Books", preset_with(col, "None new", 0))
    root, doc = one_doc(tmp_path, tags=["deck:Books/A"])
    report = run(col, root, state_path)
    assert report.created == 3 and not held(report)
    col.set_config("applyAllParentLimits", True)
    doc.card("1HeldParent", basic("parent", "back"))
    doc.write()
    report = run(col, root, state_path)
    from addon.sync.deck_steps import new_cards_shown

    if new_cards_shown(col)[col.decks.id_for_name("Books::A")]:  # 23.10: no such option
        assert not held(report)
    else:
        assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [("Books::A", 1, "Books")]


def test_decks_the_sync_makes_under_a_default_preset_of_no_new_cards_are_named(tmp_path, col, state_path):
    """The common case: a long-time user set the "Default" preset (which
    every new deck gets, those the sync makes too) to 0 new cards a day:
    each deck the notes went to is named, with its own options."""
    cfg = col.decks.get_config(1)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    root, _ = one_doc(tmp_path, tags=["deck:Books/New"])
    Doc(root, DOC_B, "Doc B", tags=["deck:Papers"]).card("1HeldB0001", basic("b", "b")).write()
    report = run(col, root, state_path)
    assert report.created == 4
    assert sorted((w["deck"], w["count"], w.get("limited_by")) for w in held(report)) == [
        ("Books::New", 3, "Books::New"), ("Papers", 1, "Papers")]
    assert col.decks.get_config(1)["new"]["perDay"] == 0


# -- Other ordinary states of a person's Anki (checked: nothing to fix) -------------------------


def test_our_cards_in_a_filtered_deck_the_user_built_after_the_first_sync(tmp_path, col, state_path):
    """A filtered deck ("Cram", ``tag:polar``) built right after the first
    sync holds every card: a Polar deck change moves its cards home (Anki's
    Change Deck, docs/decks.md), a document deleted in Polar
    suspends its cards where they are, a new card goes to its deck; no error,
    nothing for Check Database, and emptying the deck sends them home."""
    root = tmp_path / "polar"
    a = Doc(root, DOC_A, "Doc A", tags=["deck:Books/A"])
    for i in range(3):
        a.card(f"1FiltA{i:04d}", basic(f"A{i}", "x"))
    a.write()
    b = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"])
    b.card("1FiltB0001", basic("B1", "x")).card("1FiltB0002", basic("B2", "x")).write()
    assert run(col, root, state_path).created == 5
    cram = col.sched.get_or_create_filtered_deck(0)
    cram.name = "Cram"
    cram.config.search_terms[0].search = "tag:polar"
    fid = col.sched.add_or_update_filtered_deck(cram).id
    assert col.db.scalar("SELECT count() FROM cards WHERE did = ?", fid) == 5
    a.untag("deck:Books/A")
    a.tag("deck:Books/Moved")
    a.card("1FiltA9999", basic("A new", "x"))
    a.write()
    b.remove()
    report = run(col, root, state_path)
    assert report.created == 1 and not report.errors and not report.warnings
    assert {col.decks.name(c.did) for c in cards_of(col, "1FiltA0000") + cards_of(col, "1FiltA9999")} == {
        "Books::Moved"}
    gone = cards_of(col, "1FiltB0001") + cards_of(col, "1FiltB0002")
    assert {(c.did, col.decks.name(c.odid), c.queue) for c in gone} == {(fid, "Books::B", -1)}
    assert col.fix_integrity()[1] and not run(col, root, state_path).changed
    col.sched.empty_filtered_deck(fid)
    assert {(col.decks.name(c.did), c.queue) for c in cards_of(col, "1FiltB0001")} == {("Books::B", -1)}


def test_the_users_own_note_type_named_like_ours_is_left_alone(tmp_path, col, state_path):
    """A note type of the user's called "Polar Basic" (other fields, a note
    of theirs): the sync makes its own beside it under another name and
    never writes theirs."""
    mm = col.models
    mine = mm.new("Polar Basic")
    for name in ("Question", "Answer", "Source"):
        mm.add_field(mine, mm.new_field(name))
    template = mm.new_template("Card 1")
    template["qfmt"], template["afmt"] = "{{Question}}", "{{Answer}}<hr>{{Source}}"
    mm.add_template(mine, template)
    mm.add(mine)
    mine = mm.by_name("Polar Basic")
    note = col.new_note(mine)
    note["Question"] = "mine"
    col.add_note(note, 1)
    stock = mm.by_name("Basic")
    stock["name"] = "Basic (mine)"
    stock["css"] += ".mine { color: red }"  # the user's own Basic: ours is needed
    stock["tmpls"][0]["qfmt"] += "<div class=mine>{{Front}}</div>"
    mm.update_dict(stock)
    before = (mm.get(mine["id"])["name"], [f["name"] for f in mm.get(mine["id"])["flds"]],
              mm.get(mine["id"])["tmpls"][0]["afmt"], mm.get(mine["id"])["css"])
    root, _ = one_doc(tmp_path, n=1)
    report = run(col, root, state_path)
    assert report.created == 1 and not report.errors
    ours = col.get_note(nid_of(col, "1Heldaa000")).note_type()
    assert ours["id"] != mine["id"] and ours["name"].startswith("Polar Basic")
    after = mm.get(mine["id"])
    assert (after["name"], [f["name"] for f in after["flds"]], after["tmpls"][0]["afmt"], after["css"]) == before
    assert col.get_note(note.id).fields == ["mine", "", ""]
    assert not run(col, root, state_path).changed


def test_a_large_first_sync_written_in_batches_names_the_deck_too(tmp_path, col, state_path):
    """A first sync big enough to be written in batches (its notes built
    beside Anki's writes, their state rows staged) names the deck as well."""
    from addon.sync.write import BATCHED_MIN

    cfg = col.decks.get_config(1)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    root, _ = one_doc(tmp_path, tags=["deck:Big"], n=BATCHED_MIN)
    report = run(col, root, state_path)
    assert report.created == BATCHED_MIN
    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(report)] == [("Big", BATCHED_MIN, "Big")]


def test_a_preview_names_the_decks_whose_limit_of_0_would_hold_the_new_cards(tmp_path, col, state_path):
    """A preview makes nothing, and says where a limit of 0 would hold the
    new notes: a deck that exists (here Default, its own preset), and the
    decks the sync would make, which get the "Default" preset (at 0 too).
    Not where a deck shows no new card only for want of any."""
    give_preset(col, "Default", preset_with(col, "None new", 0))
    col.decks.id("Reviews only")  # exists, 20 a day, no new card in it
    root, _ = one_doc(tmp_path)
    Doc(root, DOC_B, "Doc B", tags=["deck:Reviews only"]).card("1HeldB0001", basic("b", "b")).write()
    Doc(root, "1OldSchedDocC000000000cc", "Doc C", tags=["deck:Papers"]).card("1HeldC0001", basic("c", "c")).write()

    def preview():
        settings, _ = Settings.from_dict({})
        prepared = prepare(settings, state_path, source_path=root, collection_id=collection_identity(col))
        return prepared.apply(col, dry_run=True)

    assert [(w["deck"], w["count"], w.get("limited_by")) for w in held(preview())] == [("Default", 3, "Default")]
    cfg = col.decks.get_config(1)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    report = preview()
    assert sorted((w["deck"], w["count"], w.get("limited_by")) for w in held(report)) == [
        ("Default", 3, "Default"), ("Papers", 1, "Papers"), ("Reviews only", 1, "Reviews only")]
    assert col.note_count() == 0 and col.decks.id_for_name("Papers") is None


def test_many_decks_held_by_one_preset_are_one_row(tmp_path, col, state_path):
    """The "Default" preset at 0 and a document per deck: one row for the
    preset (not a wall of one per deck); a deck held by its own limit keeps
    its row."""
    cfg = col.decks.get_config(1)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    root = tmp_path / "polar"
    for d in range(5):
        key = f"1ManyDecks{d:02d}000000000000"
        Doc(root, key, f"Doc {d}", tags=[f"deck:Shelf/Book {d}"]).card(f"1Many{d:05d}", basic("q", "a")).write()
    own = col.decks.get(col.decks.id("Own"))
    own["conf"] = preset_with(col, "Twenty", 20)
    own["newLimit"] = 0
    col.decks.save(own)
    Doc(root, DOC_B, "Doc B", tags=["deck:Own"]).card("1HeldB0001", basic("b", "b")).write()
    report = run(col, root, state_path)
    assert report.created == 6
    rows = held(report)
    assert [(w.get("decks"), w.get("preset"), w["count"]) for w in rows if w.get("decks")] == [
        ([f"Shelf::Book {d}" for d in range(5)], "Default", 5)]
    assert [(w["deck"], w["limited_by"]) for w in rows if not w.get("decks")] == [("Own", "Own")]
    grouped = next(w for w in rows if w.get("decks"))
    assert explain(grouped) == ("5 new notes in 5 decks will not come up for study while their options preset "
                                "“Default” allows 0 new cards a day: raise that limit to study them.")
    i18n.force("de")
    try:
        assert explain(grouped).startswith("5 neue Notizen in 5 Stapeln kommen nicht zum Lernen")
    finally:
        i18n.force(None)


# -- Our new cards behind many older new cards of the user's -----------------------------------


def users_new_cards(col, deck_name: str, n: int) -> None:
    basic_type = col.models.by_name("Basic")
    did = col.decks.id(deck_name)
    for i in range(n):
        note = col.new_note(basic_type)
        note["Front"] = f"{deck_name} {i}"
        col.add_note(note, did)


def queued(report):
    return [w for w in report.warnings if w["code"] == "new_cards_queued"]


def test_new_notes_behind_a_weeks_or_more_of_the_users_new_cards_are_said_in_the_report(tmp_path, col, state_path):
    """Default holds 200 new cards of the user's (a shared deck not studied
    yet) at 20 a day: the sync's notes come up in about 10 days, and the
    report says so (once, of the notes this sync made). Not said: a
    wait of less than a week, a deck whose options gather new cards at
    random, a wait behind Polar's own older cards only, a sync of fewer
    new notes than a batch (TODAY_CHECK_FROM: the look costs a watcher's
    one-card sync a fifth of its time)."""
    users_new_cards(col, "Default", 200)
    users_new_cards(col, "Short", 100)  # 5 days at 20 a day
    random_order = preset_with(col, "Random", 20)
    cfg = col.decks.get_config(random_order)
    cfg["newGatherPriority"] = 3  # random notes
    col.decks.update_config(cfg)
    users_new_cards(col, "Shuffled", 300)
    give_preset(col, "Shuffled", random_order)
    root, doc = one_doc(tmp_path, n=TODAY_CHECK_FROM)
    Doc(root, DOC_B, "Doc B", tags=["deck:Short"]).card("1QueueB001", basic("b", "b")).write()
    Doc(root, "1OldSchedDocC000000000cc", "Doc C", tags=["deck:Shuffled"]).card("1QueueC001", basic("c", "c")).write()
    report = run(col, root, state_path)
    assert report.created == TODAY_CHECK_FROM + 2 and not held(report)
    rows = queued(report)
    assert [(w["deck"], w["count"], w["ahead"], w["limit"], w["days"]) for w in rows] == [
        ("Default", TODAY_CHECK_FROM, 200, 20, 10)]
    assert explain(rows[0]) == (f"{TODAY_CHECK_FROM} new notes in “Default” come after 200 older new cards of that "
                                "deck: at its 20 new cards a day, they begin to come up in about 10 days.")
    i18n.force("de")
    try:
        assert explain(rows[0]).startswith(f"{TODAY_CHECK_FROM} neue Notizen in „Default“ kommen erst nach 200 "
                                           "älteren neuen Karten dieses Stapels an die Reihe")
    finally:
        i18n.force(None)
    assert not queued(run(col, root, state_path))  # nothing made: nothing said
    doc.card("1HeldOneMore", basic("one more", "card")).write()
    assert not queued(run(col, root, state_path))  # a card more, not a batch: no look
    # Behind Polar's own older cards only (the reading order the user chose): not said.
    big = Doc(root, "1OldSchedDocD000000000dd", "Doc D", tags=["deck:Polar only"])
    for i in range(200):
        big.card(f"1QueueD{i:04d}", basic(f"d{i}", "d"))
    big.write()
    assert not queued(run(col, root, state_path))
    big.card("1QueueD9999", basic("one more", "d"))
    big.write()
    assert not queued(run(col, root, state_path))


def test_in_a_collection_of_polar_notes_alone_the_wait_is_counted_only_if_a_note_came_meanwhile(
        tmp_path, col, state_path, monkeypatch):
    """A collection that holds Polar's notes alone (a profile kept for them):
    no new card there is the user's, so the cards ahead of ours are not
    counted (two reads a deck after a first sync). But a note that came
    while the sync wrote (here 200 of the user's, put first in the new
    queue) is counted: the row says the wait as ever."""
    from addon.sync import apply as apply_steps

    counted = []
    real = deck_steps._counted_ahead
    monkeypatch.setattr(deck_steps, "_counted_ahead", lambda *a: counted.append(a[1]) or real(*a))
    root, doc = one_doc(tmp_path, n=TODAY_CHECK_FROM)
    report = run(col, root, state_path)
    assert report.created == TODAY_CHECK_FROM and not queued(report) and not counted
    big = Doc(root, "1OldSchedDocD000000000dd", "Doc D")
    for i in range(TODAY_CHECK_FROM):
        big.card(f"1QueueD{i:04d}", basic(f"d{i}", "d"))
    big.write()

    def users_cards_meanwhile(ctx) -> None:  # (as if added in Anki's window while the sync wrote)
        users_new_cards(col, "Default", 200)
        mine = [c for c in col.find_cards("deck:Default is:new") if not col.get_card(c).note().guid.startswith("polar")]
        col.sched.reposition_new_cards(mine, starting_from=0, step_size=1, randomize=False, shift_existing=True)

    steps = list(apply_steps.APPLY_STEPS)
    steps.insert(steps.index(apply_steps.write_collection) + 1, users_cards_meanwhile)
    monkeypatch.setattr(apply_steps, "APPLY_STEPS", tuple(steps))
    rows = queued(run(col, root, state_path))
    ahead = 200 + TODAY_CHECK_FROM  # (the user's, then the first document's)
    assert [(w["deck"], w["count"], w["ahead"]) for w in rows] == [("Default", TODAY_CHECK_FROM, ahead)]
    assert counted


def preview(col, lib: Path, state: Path):
    settings, _ = Settings.from_dict({"delete_max_share": 1})
    prepared = prepare(settings, state, source_path=lib, collection_id=collection_identity(col))
    return prepared.apply(col, dry_run=True)


def test_the_backlog_row_is_told_once_a_day_a_deck_and_a_preview_says_it_too(tmp_path, col, state_path):
    """A big import Polar writes in several saves, each synced by the
    watcher: the first sync says the wait behind the user's 200 new cards,
    the next ones the same day (its rest, another batch) not again (the old
    code: at every one). A preview says it, before any sync and after: its
    notes would come after every new card there now (the old code: never)."""
    users_new_cards(col, "Default", 200)
    root, doc = one_doc(tmp_path, n=TODAY_CHECK_FROM)
    ahead = queued(preview(col, root, state_path))
    assert [(w["deck"], w["count"], w["ahead"], w["days"]) for w in ahead] == [
        ("Default", TODAY_CHECK_FROM, 200, 10)]
    assert not col.find_notes("tag:polar")  # (a preview: nothing made)
    rows = queued(run(col, root, state_path))
    assert [(w["deck"], w["count"], w["ahead"], w["days"]) for w in rows] == [("Default", TODAY_CHECK_FROM, 200, 10)]
    for i in range(TODAY_CHECK_FROM):  # Polar's next save of the import
        doc.card(f"1QueueMore{i:03d}", basic(f"more {i}", "m"))
    doc.write()
    assert [w["count"] for w in queued(preview(col, root, state_path))] == [TODAY_CHECK_FROM]  # asked: said
    report = run(col, root, state_path)
    assert report.created == TODAY_CHECK_FROM and not queued(report)  # told today already


def anki_days_until(col, top: str, ours: set) -> int:
    """What Anki's study screen of ``top`` gathers, day after day: its
    queue of today's new cards (the v3 scheduler's own), until one of
    ``ours`` (note ids) is among them; each day's cards are then taken out
    of the way (suspended), as studying them would."""
    col.decks.select(col.decks.id(top))
    for day in range(60):
        queued_cards = col.sched.get_queued_cards(fetch_limit=1000).cards
        new = [q.card for q in queued_cards if q.queue == 0]  # (QueuedCards.NEW)
        if any(c.note_id in ours for c in new):
            return day
        assert new, "nothing gathered"
        col.sched.suspend_cards([c.id for c in new])
    raise AssertionError("not within 60 days")


def test_a_decks_wait_studied_from_its_top_deck_is_said_as_anki_gathers_it(tmp_path, col, state_path):
    """Polar's deck under "Books", beside "Books::A shared deck" with 200
    new cards of the user's: studied on its own, ours come up today;
    studied from "Books" (20 a day), Anki gathers the shared deck's first,
    for 10 days. The old code counted the deck alone and said nothing. The
    days are checked against Anki's own queue of "Books" day by day; a
    shared deck whose own limit is 5 leaves 15 a day to ours: nothing said,
    and Anki gathers ours today."""
    users_new_cards(col, "Books::A shared deck", 200)
    root, doc = one_doc(tmp_path, tags=["deck:Books/Polar"], n=TODAY_CHECK_FROM)
    rows = queued(run(col, root, state_path))
    assert [(w["deck"], w.get("days"), w["top"], w["top_ahead"], w["top_limit"], w["top_days"]) for w in rows] == [
        ("Books::Polar", None, "Books", 200, 20, 10)]
    assert explain(rows[0]) == (
        f"{TODAY_CHECK_FROM} new notes in “Books::Polar”, studied from “Books”, come after 200 new cards of the "
        "decks in “Books”: at its 20 new cards a day, they begin to come up in about 10 days.")
    i18n.force("de")
    try:
        assert explain(rows[0]).startswith(f"{TODAY_CHECK_FROM} neue Notizen in „Books::Polar“ kommen, von „Books“ "
                                           "aus gelernt, erst nach 200 neuen Karten")
    finally:
        i18n.force(None)
    ours = set(col.find_notes("tag:polar"))
    assert anki_days_until(col, "Books", ours) == 10
    col.sched.unsuspend_cards(list(col.find_cards("is:suspended")))
    # The shared deck's own limit at 5: 15 a day left to ours from the first day.
    give_preset(col, "Books::A shared deck", preset_with(col, "Five", 5))
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1QueueBooks{i:03d}", basic(f"b {i}", "b"))
    doc.write()
    assert not queued(preview(col, root, state_path))
    assert anki_days_until(col, "Books", ours) == 0


def test_a_decks_own_backlog_and_its_top_decks_longer_one_are_both_said(tmp_path, col, state_path):
    """200 of the user's new cards in Polar's deck itself and 400 in a deck
    before it under the same top deck: studied alone, 10 days; from the
    top deck, 30 (as Anki's queue of the top deck gathers them)."""
    users_new_cards(col, "Top::Another", 400)
    users_new_cards(col, "Top::Polar", 200)
    root, doc = one_doc(tmp_path, tags=["deck:Top/Polar"], n=TODAY_CHECK_FROM)
    rows = queued(run(col, root, state_path))
    assert [(w["ahead"], w["days"], w["top_ahead"], w["top_days"]) for w in rows] == [(200, 10, 600, 30)]
    assert explain(rows[0]) == (
        f"{TODAY_CHECK_FROM} new notes in “Top::Polar” come after 200 older new cards of that deck: at its 20 new "
        "cards a day, they begin to come up in about 10 days. Studied from “Top”: after 600 new cards of the decks "
        "in “Top”, at its 20 new cards a day, in about 30 days.")
    assert anki_days_until(col, "Top", set(col.find_notes("tag:polar"))) == 30
