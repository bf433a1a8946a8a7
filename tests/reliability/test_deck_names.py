"""Deck names Anki refuses (nesting deeper than it creates at once, a level
thousands of characters long, empty levels) or that could pass for another
deck (invisible and direction-changing characters, Unicode Cf): each is
clamped or cleaned for its document with a warning; the rest of the library
syncs, and cards moved by it keep their study data."""

from __future__ import annotations

import unicodedata

from tests.polar_factory import Doc, basic
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync

DEEP = "deck:" + "/".join(f"Level{i}" for i in range(20))
CASES = {
    "1DeckDeep": DEEP,
    "1DeckLong": "deck:Books/" + "A very long shelf name " * 200,
    "1DeckEmpty": "deck:Physics////Optics//",
    "1DeckNothing": "deck:\u200b/\u2060::\ufeff",
    "1DeckBidi": "deck:Chem\u202eyrtsi",  # shows as "Chemistry" in a bidi-aware list
    "1DeckZeroWidth": "deck:\u200bMath",  # would sit beside "Math" looking the same
    "1DeckPlain": "deck:Math",
}


def _library(root, tags):
    for n, (key, tag) in enumerate(sorted(tags.items())):
        doc = Doc(root, key, f"Doc {n}", tags=[tag])
        doc.card(f"{key}C1", basic(f"q {key}", "a"))
        doc.card(f"{key}C2", basic(f"q2 {key}", "a"))
        doc.write()


def _deck_of(col, key):
    dids = set(col.db.list(
        "select c.did from cards c join notes n on c.nid = n.id where n.guid = ?", f"polar:{key}C1"))
    assert len(dids) == 1
    return col.decks.name(dids.pop())


def test_deck_names_anki_refuses_or_that_spoof_are_clamped_per_document(col, tmp_path):
    lib = tmp_path / "lib"
    _library(lib, {"1DeckPlain": "deck:Math", "1DeckDeep": "deck:Start", "1DeckLong": "deck:Start"})
    state = tmp_path / "state.sqlite"
    first = run_sync(col, lib, state)
    assert first.created == 6 and first.errors == []
    # Study, so the move below has something to lose.
    for deck in col.decks.all_names_and_ids():
        col.decks.select(deck.id)
        while (card := col.sched.getCard()) is not None:
            col.sched.answerCard(card, 3)
    reviewed = col.db.list("select distinct cid from revlog")
    col.sched.set_due_date(reviewed, "9")
    before = StudyData.of(col)
    assert len(before.reviewed) == 6

    _library(lib, CASES)
    report = run_sync(col, lib, state)
    assert report.errors == [], report.errors
    assert report.created == 8 and report.moved == 4  # every document synced; the notes of Deep and Long moved

    deep = _deck_of(col, "1DeckDeep")
    assert deep.count("::") == 9 and deep.endswith("Level19")  # 10 levels, the rest joined, not lost
    long = _deck_of(col, "1DeckLong")
    assert long.startswith("Books::A very long shelf") and len(long.split("::")[1]) <= 120
    assert _deck_of(col, "1DeckEmpty") == "Physics::Optics"
    assert _deck_of(col, "1DeckNothing") == col.decks.name(1)  # nothing visible: the default deck
    assert _deck_of(col, "1DeckBidi") == "Chemyrtsi"
    assert _deck_of(col, "1DeckZeroWidth") == _deck_of(col, "1DeckPlain") == "Math"  # no look-alike deck
    for name in col.decks.all_names():
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name), ascii(name)

    warned = {w["path"].split("/")[0]: w["message"] for w in report.warnings}
    assert "deeper than 10 levels" in warned["1DeckDeep"]
    assert "longer than 120 characters" in warned["1DeckLong"]
    assert "names no deck" in warned["1DeckNothing"] and "\\u200b" in warned["1DeckNothing"]
    assert "invisible" in warned["1DeckBidi"] and "\\u202e" in warned["1DeckBidi"]
    assert "invisible" in warned["1DeckZeroWidth"]
    assert "1DeckPlain" not in warned and "1DeckEmpty" not in warned

    after = StudyData.of(col)
    assert after.revlog == before.revlog
    # Moved cards keep due, interval, queue and type; only the deck differs.
    assert [r[:1] + r[2:] for r in after.reviewed] == [r[:1] + r[2:] for r in before.reviewed]
    assert integrity_problems(col) == []
    again = run_sync(col, lib, state)
    assert not again.changed and again.errors == []
