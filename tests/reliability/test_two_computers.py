"""Two computers kept in step by AnkiWeb, Polar Sync on both.

Polar's own cloud gives both computers the same ``.polar`` data (here: one
library folder both read); each computer has its own collection and its own
sync state file. AnkiWeb is Anki's own sync server (``ankiweb.py``), so
what travels between the collections is exactly what Anki's sync carries
(notes and cards by id, decks and note types by id, config, graves).
Also runs on anki 23.10 / Python 3.9 (tools/compat.sh runs tests/reliability/test_compat.py
and this module).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from addon.sync.identity import guid_for
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.ankiweb import Account, SyncServer, start_server, stop_server
from tests.reliability.helpers import integrity_problems, run_sync

FULL_SYNC = (2, 3, 4)  # SyncCollectionResponse.required: FULL_SYNC, FULL_DOWNLOAD, FULL_UPLOAD


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    base = tmp_path_factory.mktemp("ankiweb")
    proc, srv = start_server(base)
    try:
        yield srv
    finally:
        stop_server(proc)


class Computer:
    """One computer: its collection, its sync state, the shared library."""

    def __init__(self, name: str, root: Path, library: Path, account: Account, lang: str) -> None:
        self.name = name
        self.col = make_collection(root / name / "collection.anki2", lang)
        self.state = root / name / "polar_sync_state.sqlite"
        self.library = library
        self.account = account

    def polar(self, **config: Any) -> Any:
        return run_sync(self.col, self.library, self.state, **config)

    def ankiweb(self) -> None:
        required = self.account.sync(self.col)
        assert required not in FULL_SYNC, f"{self.name}: AnkiWeb asks for a full sync ({required})"

    def pending_changes(self) -> Dict[str, int]:
        """What this computer would send AnkiWeb (objects with usn -1)."""
        db = self.col.db
        out = {t: db.scalar(f"select count() from {t} where usn = -1") for t in ("notes", "cards", "revlog")}
        out["decks"] = sum(1 for d in self.col.decks.all() if d["usn"] == -1)
        out["notetypes"] = sum(1 for m in self.col.models.all() if m["usn"] == -1)
        return {k: v for k, v in out.items() if v}

    def polar_notes(self) -> List[Tuple[str, int]]:
        rows = self.col.db.all("select id, guid from notes where guid like 'polar%'")
        return sorted((str(g), int(i)) for i, g in rows)

    def review(self, card_id: int, ease: int = 3) -> None:
        card = self.col.get_card(card_id)
        card.start_timer()
        self.col.sched.answerCard(card, ease)
        # A review's revlog id is the time in ms; two computers' reviews in
        # the same ms have one id, and AnkiWeb keeps one of them (Anki's
        # own, not a sync of ours; no two people answer in the same ms).
        time.sleep(0.003)

    def cards_of(self, polar_card: str) -> List[Any]:
        nids = self.col.db.list("select id from notes where guid = ?", guid_for(polar_card))
        return [self.col.get_card(cid) for nid in nids for cid in self.col.card_ids_of_note(nid)]


@pytest.fixture
def pair(server: SyncServer, tmp_path: Path) -> Iterator[Any]:
    """A factory of two computers in step through AnkiWeb: A made the
    collection (one note of the user's) and uploaded it, B downloaded it."""
    made: List[Computer] = []

    def make(library: Path, lang: str = "en_US") -> Tuple[Computer, Computer]:
        account = server.account()
        a = Computer("A", tmp_path, library, account, lang)
        b = Computer("B", tmp_path, library, account, lang)
        made.extend((a, b))
        note = a.col.new_note(a.col.models.all()[0])
        note.fields[0] = "a note of the user's"
        a.col.add_note(note, a.col.decks.id("Default"))
        account.full(a.col, upload=True)
        account.full(b.col, upload=False)
        assert b.col.note_count() == 1
        return a, b

    yield make
    for c in made:
        c.col.close()


def _sample(tmp_path: Path) -> Path:
    return copy_sample_library(tmp_path / "polar")


# -- 1. one computer syncs from Polar, AnkiWeb brings it to the other ----------

@pytest.mark.parametrize("lang", ["en_US", "de_DE"])
def test_the_second_computer_finds_the_notes_the_first_made(pair, tmp_path, lang):
    a, b = pair(_sample(tmp_path), lang)
    first = a.polar()
    assert first.created == 6 and first.errors == []
    reviewed = a.cards_of("1FcA1b2C3d")[0].id
    a.review(reviewed)
    a.ankiweb()
    b.ankiweb()
    notes, models, decks = b.polar_notes(), b.col.models.all_names_and_ids(), b.col.decks.all_names_and_ids()
    assert b.pending_changes() == {}

    report = b.polar()  # its own state file is empty

    assert report.errors == [] and report.warnings == []
    assert (report.created, report.updated, report.duplicates, report.orphaned, report.moved) == (0, 0, 0, 0, 0)
    assert report.unchanged == 6 and not report.changes
    assert b.polar_notes() == notes
    assert b.col.models.all_names_and_ids() == models and b.col.decks.all_names_and_ids() == decks
    assert b.pending_changes() == {}, "a sync that found everything in place wrote to the collection"
    assert b.col.get_card(reviewed).reps == 1
    b.ankiweb()
    again = b.polar()
    assert not again.changed and again.unchanged == 6
    assert integrity_problems(b.col) == []


def test_an_edit_made_on_the_first_computer_survives_the_second_ones_first_sync(pair, tmp_path):
    """The user fixed a card's text in Anki on A; B's first sync (no record
    of the note there) keeps it, reports it once, and writes nothing, so
    AnkiWeb brings nothing back to A (it used to put Polar's text back on
    both computers)."""
    a, b = pair(_sample(tmp_path))
    a.polar()
    note = a.cards_of("1FcA1b2C3d")[0].note()
    note["Front"] = "my fixed question"
    a.col.update_note(note)
    a.ankiweb()
    b.ankiweb()

    report = b.polar()

    assert [(r["field"], r["code"], r["anki"]) for r in report.conflicts] == [
        ("Front", "unrecorded_anki", "my fixed question")]
    assert report.updated == 0 and b.pending_changes() == {}
    assert b.cards_of("1FcA1b2C3d")[0].note()["Front"] == "my fixed question"
    b.ankiweb()
    a.ankiweb()
    assert a.cards_of("1FcA1b2C3d")[0].note()["Front"] == "my fixed question"
    assert not a.polar().conflicts and not b.polar().conflicts


# -- 2. both computers sync from Polar before AnkiWeb meets them ------------

@pytest.mark.parametrize("lang", ["en_US", "de_DE"])
def test_both_computers_synced_from_polar_before_ankiweb(pair, tmp_path, lang):
    a, b = pair(_sample(tmp_path), lang)
    assert a.polar().created == 6
    assert b.polar().created == 6
    scm = a.col.db.scalar("select scm from col")
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    assert a.col.db.scalar("select scm from col") == scm == b.col.db.scalar("select scm from col")

    report = b.polar()
    b.ankiweb()
    a.ankiweb()
    later = a.polar()
    a.ankiweb()
    b.ankiweb()

    for c in (a, b):
        guids = [g for g, _ in c.polar_notes()]
        print(c.name, report, later, guids, c.col.decks.all_names_and_ids(), c.col.models.all_names_and_ids())
        assert len(guids) == len(set(guids)) == 6, f"{c.name}: duplicates left"
        assert integrity_problems(c.col) == []


def _library(tmp_path: Path, *cards: str) -> Tuple[Path, Doc]:
    lib = tmp_path / "polar"
    doc = Doc(lib, "1TwoComputersDoc0001", "Two computers", tags=["deck:compsci/os"])
    for cid in cards:
        doc.card(cid, basic(f"question {cid}", f"answer {cid}"))
    doc.write()
    return lib, doc


def _decks_of(c: Computer, cards: List[str]) -> Dict[str, List[int]]:
    return {cid: sorted({card.odid or card.did for card in c.cards_of(cid)}) for cid in cards}


@pytest.mark.parametrize("settles,maker", [("A", "B"), ("B", "B"), ("B", "A")])
def test_after_duplicates_every_card_of_a_document_goes_to_one_deck(pair, tmp_path, settles, maker):
    """A synced from Polar first (its notes are the older, kept), then B;
    AnkiWeb shows each computer the other's decks too ("compsci+"). The
    duplicates are settled on A or B; afterwards a new card, synced first on
    ``maker``, goes to the deck the kept notes are in, on both computers."""
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = pair(lib)
    a.polar()
    b.polar()
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    first, other = (a, b) if settles == "A" else (b, a)
    settled = first.polar()
    assert (settled.copies, settled.duplicates) == (2, 0)
    first.ankiweb()
    other.ankiweb()
    quiet = other.polar()
    assert (quiet.copies, quiet.duplicates, quiet.created) == (0, 0, 0)
    assert other.pending_changes() == {}
    kept = _decks_of(a, ["c1", "c2"])
    assert kept["c1"] == kept["c2"] and len(kept["c1"]) == 1

    doc.card("c3", basic("question c3", "answer c3")).write()
    one, two = (a, b) if maker == "A" else (b, a)
    one.polar()
    one.ankiweb()
    two.ankiweb()
    two.polar()
    two.ankiweb()
    one.ankiweb()
    for c in (a, b):
        guids = [g for g, _ in c.polar_notes()]
        assert len(guids) == len(set(guids)) == 3, (c.name, guids)
        assert _decks_of(c, ["c1", "c2", "c3"]) == {"c1": kept["c1"], "c2": kept["c1"], "c3": kept["c1"]}, c.name
        assert c.pending_changes() == {}
        assert integrity_problems(c.col) == []


def test_duplicates_studied_on_both_computers_keep_every_review(pair, tmp_path):
    lib, _ = _library(tmp_path, "c1", "c2")
    a, b = pair(lib)
    a.polar()
    b.polar()
    a.review(a.cards_of("c1")[0].id)
    b.review(b.cards_of("c1")[0].id)
    b.review(b.cards_of("c2")[0].id)
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    revlog = a.col.db.scalar("select count() from revlog")
    assert revlog == 3
    report = a.polar()
    # c1: studied on both: the older (A's) kept, B's set aside with its review;
    # c2: B's studied copy kept, A's spare copy removed.
    assert (report.duplicates, report.copies) == (1, 1)
    a.ankiweb()
    b.ankiweb()
    for c in (a, b):
        assert c.col.db.scalar("select count() from revlog") == revlog
        assert len(c.cards_of("c1")) == len(c.cards_of("c2")) == 1
        assert c.cards_of("c2")[0].reps == 1 and c.cards_of("c1")[0].reps == 1
        assert integrity_problems(c.col) == []


@pytest.mark.parametrize("how", ["edited", "suspended"])
def test_a_duplicate_never_studied_but_edited_or_suspended_is_no_spare_copy(pair, tmp_path, how):
    """A second computer's copy that was never studied is removed as a spare
    copy only when it holds nothing of the user's: one edited there (or
    suspended) is set aside as a duplicate, its text kept."""
    lib, _ = _library(tmp_path, "c1")
    a, b = pair(lib)
    a.polar()
    b.polar()
    copy = b.col.get_note(b.cards_of("c1")[0].nid)
    if how == "edited":
        copy["Back"] = copy["Back"].replace("answer c1", "answer c1, as I put it on B", 1)
        b.col.update_note(copy)
    else:
        b.col.sched.suspend_cards([b.cards_of("c1")[0].id])
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    report = a.polar()
    assert (report.duplicates, report.copies) == (1, 0), report.to_dict()
    kept = a.col.get_note(copy.id)  # (the younger copy: the older is the keeper)
    assert kept.guid != guid_for("c1") and len(a.cards_of("c1")) == 1
    if how == "edited":
        assert "as I put it on B" in kept["Back"]
    assert integrity_problems(a.col) == []


# -- 3. Polar's changes synced on one computer, studied on the other ----------

def _in_step(lib: Path, pair: Any) -> Tuple[Computer, Computer]:
    """A synced from Polar, AnkiWeb brought it to B, which synced from
    Polar too (found everything): both have a state of their own."""
    a, b = pair(lib)
    a.polar()
    a.ankiweb()
    b.ankiweb()
    assert b.polar().unchanged == 2
    return a, b


def test_a_polar_edit_synced_on_one_computer_keeps_the_review_made_on_the_other(pair, tmp_path):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.edit_card("c1", "c1e", basic("question c1, edited", "answer c1")).write()
    edit = a.polar()
    assert (edit.rekeyed, edit.updated) == (1, 1)
    b.review(b.cards_of("c1")[0].id)  # before AnkiWeb brings the edit
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    report = b.polar()  # its state still knows the card as c1
    assert report.errors == [] and report.conflicts == []
    assert (report.created, report.duplicates, report.copies, report.orphaned) == (0, 0, 0, 0)
    for c in (a, b):
        assert c.cards_of("c1") == [] and len(c.cards_of("c1e")) == 1, c.name
        card = c.cards_of("c1e")[0]
        assert card.reps == 1 and "edited" in card.note()["Front"], c.name
    assert b.pending_changes() == {}
    doc.card("c4", basic("question c4", "answer c4")).write()
    # B found c1e's note by its guid (AnkiWeb re-keyed it): its next sync,
    # trusting the notes it left, must know where c1e is.
    assert b.polar().created == 1
    again = a.polar()
    assert again.created == 1  # (both before AnkiWeb: a copy)
    b.ankiweb()
    a.ankiweb()
    assert a.polar().copies == 1


def test_a_card_deleted_in_polar_while_the_other_computer_studies_it(pair, tmp_path):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.delete_card("c1").write()
    gone = a.polar()
    assert gone.orphaned == 1
    b.review(b.cards_of("c1")[0].id)  # studied on B, which has not heard of it yet
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    report = b.polar()
    assert report.errors == [] and report.duplicates == 0 and report.copies == 0
    b.ankiweb()
    a.ankiweb()
    for c in (a, b):
        [card] = c.cards_of("c1")
        assert card.reps == 1, c.name  # the review made on B is kept
        assert card.queue == -1 and card.note().has_tag("polar::deleted"), c.name
        assert integrity_problems(c.col) == []
    assert a.polar().changed is False and b.polar().changed is False


def test_the_undo_marker_another_computer_brings_is_not_taken_for_an_undo(pair, tmp_path):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.card("c3", basic("question c3", "answer c3")).write()
    assert b.polar().created == 1  # B's undo marker, in the collection's config
    b.ankiweb()
    a.ankiweb()
    doc.edit_card("c2", "c2e", basic("question c2, edited", "answer c2")).write()
    assert a.polar().rekeyed == 1  # A's marker (after AnkiWeb brought B's)
    a.ankiweb()
    b.ankiweb()  # B's collection now carries A's marker
    report = b.polar()
    assert [w for w in report.warnings if w.get("code") in ("undo_beyond_memory", "preview_after_undo")] == []
    assert (report.created, report.updated, report.copies, report.duplicates) == (0, 0, 0, 0), report
    assert len(b.cards_of("c2e")) == 1 and "edited" in b.cards_of("c2e")[0].note()["Front"]


# -- 4. the other computer's Anki-side changes --------------------------------

def test_a_deck_renamed_on_the_other_computer_is_followed(pair, tmp_path):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    did = a.cards_of("c1")[0].did
    a.col.decks.rename(did, "Study::OS")
    a.ankiweb()
    b.ankiweb()
    doc.card("c3", basic("question c3", "answer c3")).write()
    report = b.polar()
    assert report.created == 1 and report.decks == {"Study::OS"}
    assert b.cards_of("c3")[0].did == did
    assert b.col.decks.id_for_name("compsci::os") is None
    b.ankiweb()
    a.ankiweb()
    assert a.polar().changed is False


def _decks(c: Computer) -> Dict[str, int]:
    """Every deck: name -> the cards in it (not under it)."""
    return {n.name: c.col.decks.card_count(n.id, include_subdecks=False) for n in c.col.decks.all_names_and_ids()}


@pytest.mark.parametrize("settles", ["A", "B"])
def test_the_decks_the_removed_copies_leave_empty_are_named_and_deleting_them_loses_nothing(pair, tmp_path, settles):
    """After both computers synced from Polar before AnkiWeb met them, the
    copies removed leave the other computer's decks empty: the report names
    the one that can go ("compsci::os+" on A, "compsci::os" on B), not a deck
    above others (on A "compsci+", which is "compsci" on B, above the kept
    "compsci::os+"), and deleting it as docs/two-computers.md says (on one computer) leaves
    every card on both, and no deck without its parent."""
    lib = tmp_path / "polar"
    for key, deck, cid in (("1TwoComputersDoc0001", "compsci", "c1"), ("1TwoComputersDoc0002", "compsci/os", "c2")):
        doc = Doc(lib, key, cid, tags=[f"deck:{deck}"])
        doc.card(cid, basic(f"question {cid}", f"answer {cid}"))
        doc.write()
    a, b = pair(lib)
    a.polar()
    b.polar()
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    first, other = (a, b) if settles == "A" else (b, a)
    report = first.polar()
    assert report.copies == 2
    named = [w for w in report.warnings if w.get("code") == "emptied_decks"]
    leaf = "compsci::os+" if settles == "A" else "compsci::os"
    assert len(named) == 1 and named[0]["decks"] == [leaf] and leaf in named[0]["message"], report.warnings
    assert sorted(name for name, n in _decks(first).items() if n == 0) == sorted([leaf, "compsci+" if settles == "A"
                                                                                  else "compsci"])
    first.ankiweb()
    other.ankiweb()
    assert other.polar().warnings == []  # said once, where the copies were removed

    first.col.decks.remove([first.col.decks.id_for_name(leaf)])
    first.ankiweb()
    other.ankiweb()
    first.ankiweb()
    for c in (a, b):
        assert sorted(_decks(c).values()) == [0, 1, 1, 1], (c.name, _decks(c))  # Default, 2 kept, 1 empty parent
        assert len(c.polar_notes()) == 2 and integrity_problems(c.col) == []
        assert c.polar().created == 0


# -- 5. a full upload after a deletion ----------------------------------------

def test_notes_deleted_before_a_full_upload_are_not_told_as_a_replaced_collection(pair, tmp_path):
    """A full upload ("Upload to AnkiWeb", asked after a change that needs
    one: a note type's field added, a deck option…) clears the graves of the
    notes deleted since the last AnkiWeb sync. The next Sync from Polar made
    the deleted note again and said the collection "was most likely
    replaced since that sync (a full download …, a backup …)": it was not,
    the person deleted it. The collection still carries the undo marker of
    the last sync that wrote to it, which no replacement older than that
    sync has: those notes were deleted here (reliability.md, round 5)."""
    lib, doc = _library(tmp_path, "c1", "c2", "c3")
    a, _ = pair(lib)
    assert a.polar().created == 3
    a.ankiweb()
    a.col.remove_notes([a.cards_of("c2")[0].nid])
    a.ankiweb()
    a.col.remove_notes([a.cards_of("c3")[0].nid])
    a.account.full(a.col, upload=True)  # "Upload to AnkiWeb"
    assert a.col.db.scalar("select count() from graves") == 0  # what the upload does
    report = a.polar()
    assert report.created == 2
    assert [(w["code"], w["count"]) for w in report.warnings if w["code"].startswith("made_again")] == [
        ("made_again", 2)]
    assert a.polar().created == 0


# -- 6. round 2: one computer with an older add-on; a restored card -----------

def _own_looks(c: Computer) -> Dict[str, Tuple[Any, str]]:
    from addon.sync.notetypes import LOOK_MARKER, MARKER
    return {str(m["name"]): (m.get(LOOK_MARKER), str(m["css"])) for m in c.col.models.all() if m.get(MARKER)}


def test_an_older_add_on_on_the_other_computer_leaves_the_newer_look_alone(pair, tmp_path, monkeypatch):
    """A runs a newer version whose own note types have a new look (version
    5 here); B still runs this one. B's sync used to give the types its
    older look back ("an earlier version's look, bring it up to date"),
    AnkiWeb carried that to A, whose sync upgraded them again: the cards'
    look flipped on every sync, and every sync sent the note types."""
    from addon.sync import notetypes
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = pair(lib, "de_DE")  # German: own note types
    assert a.polar().created == 2
    a.ankiweb()
    b.ankiweb()
    assert b.polar().changed is False
    scm = a.col.db.scalar("select scm from col")
    doc.card("c3", basic("question c3", "answer c3")).write()
    with monkeypatch.context() as newer:
        newer.setattr(notetypes, "LOOK_VERSION", notetypes.LOOK_VERSION + 1)
        newer.setattr(notetypes, "_CSS", notetypes._CSS + "\n.polar-newer { color: teal; }\n")
        assert a.polar().created == 1
        looks = _own_looks(a)
        assert looks and all(v == notetypes.LOOK_VERSION and "polar-newer" in css for v, css in looks.values())
    a.ankiweb()
    b.ankiweb()
    assert _own_looks(b) == looks
    doc.card("c4", basic("question c4", "answer c4")).write()

    assert b.polar().created == 1  # the older version, with something to write

    assert _own_looks(b) == looks, "the older version gave the note types its look back"
    assert b.pending_changes().get("notetypes") is None
    b.ankiweb()
    a.ankiweb()  # (ankiweb() fails on a full sync)
    assert a.col.db.scalar("select scm from col") == scm == b.col.db.scalar("select scm from col")


def _take_back(c: Computer, polar_card: str) -> None:
    """What docs/notes-and-fields.md says keeps a deleted card's note as the user's: the tag
    removed (in the Browser), its cards unsuspended."""
    [card] = c.cards_of(polar_card)
    note = card.note()
    note.remove_tag("polar::deleted")
    c.col.update_note(note)
    c.col.sched.unsuspend_cards([card.id])


@pytest.mark.parametrize("b_saw_it", [True, False], ids=["B-synced-between", "B-not-between"])
def test_a_note_taken_back_on_one_computer_is_not_set_aside_again_by_the_other(pair, tmp_path, b_saw_it):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.delete_card("c1").write()
    assert a.polar().orphaned == 1
    a.ankiweb()
    b.ankiweb()
    if b_saw_it:
        b.polar()  # finds it set aside already
        b.ankiweb()
        a.ankiweb()
    _take_back(a, "c1")
    assert a.polar().changed is False
    a.ankiweb()
    b.ankiweb()

    report = b.polar()
    b.ankiweb()
    a.ankiweb()

    for c in (a, b):
        [card] = c.cards_of("c1")
        assert card.queue != -1 and not card.note().has_tag("polar::deleted"), (c.name, report)
    assert a.polar().changed is False and b.polar().changed is False


def test_a_card_back_in_polar_then_deleted_again_is_set_aside_by_the_other_computer(pair, tmp_path):
    """The shared list of notes set aside forgets a note when a sync
    restores it: deleted again later, the other computer (which never saw
    the first deletion) sets it aside, and does not take it for one the
    user took back. An Undo of the sync that set it aside forgets it too."""
    from addon.sync.plan import SET_ASIDE_KEY
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.delete_card("c1").write()
    assert a.polar().orphaned == 1
    assert len(a.col.get_config(SET_ASIDE_KEY)) == 1
    doc.card("c1", basic("question c1", "answer c1")).write()
    assert a.polar().restored == 1
    assert a.col.get_config(SET_ASIDE_KEY) == []
    a.ankiweb()
    b.ankiweb()
    doc.delete_card("c2").write()
    assert b.polar().orphaned == 1
    b.col.undo()  # Edit ▸ Undo of that sync
    assert b.col.get_config(SET_ASIDE_KEY) == []
    doc.delete_card("c1").write()
    report = b.polar()
    assert report.orphaned == 2
    for cid in ("c1", "c2"):
        [card] = b.cards_of(cid)
        assert card.queue == -1 and card.note().has_tag("polar::deleted"), cid


# -- 7. media through AnkiWeb's media sync --------------------------------------

def _media_sync(c: Computer) -> None:
    """Anki's media sync (runs after the collection's, in the background)."""
    c.col.sync_media(c.account.auth(c.col))
    deadline = time.time() + 30
    while c.col.media_sync_status().active:
        assert time.time() < deadline, "media sync did not finish"
        time.sleep(0.05)


def _media_files(c: Computer) -> List[str]:
    return sorted(n for n in os.listdir(c.col.media.dir()) if not n.startswith("."))


@pytest.mark.parametrize("order", ["media-first", "polar-first", "both-before-ankiweb"])
def test_the_images_reach_the_other_computer_under_the_same_names(pair, tmp_path, order):
    """An area highlight's image and an inline image (sample library): A
    writes them; AnkiWeb's media sync carries them; B's sync (before or
    after the media arrived, or before AnkiWeb met A at all) writes no file
    under another name, and Check Media on either computer calls none of
    them unused or missing."""
    a, b = pair(_sample(tmp_path))
    a.polar()
    if order == "both-before-ankiweb":
        b.polar()
    a.ankiweb()
    _media_sync(a)
    files = _media_files(a)
    assert len(files) >= 2, files
    b.ankiweb()
    if order == "media-first":
        _media_sync(b)
        b.polar()
    else:
        b.polar()
        _media_sync(b)
    b.ankiweb()
    _media_sync(b)
    a.ankiweb()
    _media_sync(a)
    for c in (a, b):
        assert _media_files(c) == files, c.name
        check = c.col.media.check()
        assert (list(check.unused), list(check.missing)) == ([], []), c.name
        fields = " ".join(c.col.db.list("select flds from notes"))
        assert all(name in fields for name in files), c.name


@pytest.mark.parametrize("settles", ["A", "B"])
def test_the_tidy_up_readme_suggests_delete_then_rename_is_followed_on_both(pair, tmp_path, settles):
    """docs/two-computers.md's tidy-up after both computers made copies: delete the deck the
    report names, then rename the kept "+" deck (on the computer that shows
    it so) to the plain name. New cards of the document, made on either
    computer, go to the renamed deck: no deck of the old name made again."""
    lib = tmp_path / "polar"
    doc = Doc(lib, "1TwoComputersDoc0001", "doc", tags=["deck:reading"])
    doc.card("c1", basic("question c1", "answer c1")).write()
    a, b = pair(lib)
    a.polar()
    b.polar()
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    first, other = (a, b) if settles == "A" else (b, a)
    report = first.polar()
    [named] = [w["decks"] for w in report.warnings if w.get("code") == "emptied_decks"]
    first.col.decks.remove([first.col.decks.id_for_name(named[0])])
    first.ankiweb()
    other.ankiweb()
    first.ankiweb()
    plus = next(c for c in (a, b) if "reading+" in _decks(c))
    did = plus.col.decks.id_for_name("reading+")
    deck = plus.col.decks.get(did)
    deck["name"] = "reading"
    plus.col.decks.save(deck)
    plus.ankiweb()
    for c in (a, b):
        c.ankiweb()
    for n, maker in enumerate((a, b)):
        cid = f"n{n}"
        doc.card(cid, basic(f"question {cid}", f"answer {cid}")).write()
        assert maker.polar().created == 1, maker.name
        maker.ankiweb()
        for c in (a, b):
            c.ankiweb()
        assert other.polar().created == 0 and first.polar().created == 0
    for c in (a, b):
        assert _decks(c) == {"Default": 1, "reading": 3}, (c.name, _decks(c))  # Default: the user's note
        assert integrity_problems(c.col) == []


def _sync_leaving(c: Computer, leave_alone: Any) -> Any:
    """A sync from Polar while the notes ``leave_alone`` are open in an
    editor (the GUI passes them so: ``prepared.apply(leave_alone=...)``)."""
    from addon.settings import Settings
    from addon.sync.engine import collection_identity, prepare
    settings, _ = Settings.from_dict({})
    prepared = prepare(settings, c.state, source_path=c.library, collection_id=collection_identity(c.col))
    return prepared.apply(c.col, leave_alone=set(leave_alone))


@pytest.mark.parametrize("open_note", ["copy", "keeper"])
def test_settling_duplicates_while_one_is_open_in_an_editor(pair, tmp_path, open_note):
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = pair(lib)
    a.polar()
    b.polar()
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    notes = a.col.db.list("select id from notes where guid = ? order by id", guid_for("c1"))
    assert len(notes) == 2
    keeper, copy = notes  # neither studied: the older is kept
    held = copy if open_note == "copy" else keeper

    report = _sync_leaving(a, {held})

    assert report.errors == [] and report.created == 0
    assert a.col.db.scalar("select count() from notes where id = ?", held) == 1, "a note open in the editor went"
    again = a.polar()  # the editor closed
    assert again.errors == [] and again.created == 0
    a.ankiweb()
    b.ankiweb()
    assert b.polar().created == 0
    for c in (a, b):
        assert [g for g, _ in c.polar_notes()] == sorted([guid_for("c1"), guid_for("c2")]), c.name
        assert c.col.db.list("select id from notes where guid = ?", guid_for("c1")) == [keeper], c.name
        assert integrity_problems(c.col) == []
    assert len({card.did for c in (a,) for cid in ("c1", "c2") for card in c.cards_of(cid)}) == 1


# -- 8. Polar's cloud behind on the other computer ------------------------------

@pytest.mark.parametrize("b_state", ["synced-before", "first-sync"])
def test_a_card_deleted_in_polar_whose_deletion_has_not_reached_the_other_computer(pair, tmp_path, b_state):
    """Polar's cloud updates a computer's data folder only while Polar runs
    there: B's folder can be older than A's. A card deleted in Polar and
    synced on A is set aside; AnkiWeb brings that to B, whose folder still
    has the card (B synced from Polar before, or B's add-on is new)."""
    import shutil
    lib, doc = _library(tmp_path, "c1", "c2")
    if b_state == "synced-before":
        a, b = _in_step(lib, pair)
    else:
        a, b = pair(lib)
        a.polar()
    stale = tmp_path / "polar-b"
    shutil.copytree(lib, stale)
    b.library = stale
    doc.delete_card("c1").write()
    assert a.polar().orphaned == 1
    a.ankiweb()
    b.ankiweb()
    report = b.polar()  # B's Polar folder still has c1
    # Synced before, B reads nothing (its copy of the document is unchanged).
    # New to the add-on, B reads it, finds c1 there and its note set aside:
    # it gives it back (the one-computer rule for a card back in Polar), and
    # A then takes it for one the user took back. Left (twopc.md, round 2).
    assert report.restored == (0 if b_state == "synced-before" else 1)
    b.ankiweb()
    a.ankiweb()
    assert a.polar().orphaned == 0
    a.ankiweb()
    b.ankiweb()
    shutil.rmtree(stale)
    shutil.copytree(lib, stale)  # Polar ran on B: its folder caught up
    assert b.polar().orphaned == 1  # B sets it aside now (if A had restored it, as before)
    b.ankiweb()
    a.ankiweb()
    for c in (a, b):
        [card] = c.cards_of("c1")
        assert card.queue == -1 and card.note().has_tag("polar::deleted"), c.name


def test_a_look_upgrade_made_on_both_computers_before_ankiweb(pair, tmp_path, monkeypatch):
    """Both computers updated the add-on and synced from Polar before
    AnkiWeb: each gave the own types the new look (two modifications of
    one note type). AnkiWeb keeps one, asks for no full sync, and the next
    syncs write nothing more to the note types."""
    from addon.sync import notetypes
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = pair(lib, "de_DE")
    a.polar()
    a.ankiweb()
    b.ankiweb()
    assert b.polar().changed is False
    scm = a.col.db.scalar("select scm from col")
    monkeypatch.setattr(notetypes, "LOOK_VERSION", notetypes.LOOK_VERSION + 1)
    monkeypatch.setattr(notetypes, "_CSS", notetypes._CSS + "\n.polar-newer { color: teal; }\n")
    doc.card("c3", basic("question c3", "answer c3")).write()
    a.polar()
    b.polar()
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    assert _own_looks(a) == _own_looks(b)
    assert all(v == notetypes.LOOK_VERSION for v, _ in _own_looks(a).values())
    doc.card("c4", basic("question c4", "answer c4")).write()
    for c in (a, b):
        c.polar()
        assert c.pending_changes().get("notetypes") is None, c.name
    assert a.col.db.scalar("select scm from col") == scm == b.col.db.scalar("select scm from col")


# -- 9. a record made stale by AnkiWeb: an Anki edit on top of the other computer's write

@pytest.mark.parametrize("edited_on", ["A", "B"])
def test_an_anki_edit_made_after_the_other_computer_synced_polar_s_edit_is_kept(pair, tmp_path, edited_on):
    """Polar's edit (in place, as Polar 3) synced on B; AnkiWeb brings it
    to A; the user fixes the text in Anki (on A or on B) after that. A's
    record still has the text from before Polar's edit, so its sync saw
    "changed in Polar and in Anki" and, with the default polar_wins, put
    Polar's text back over the fix (B kept it: the computers disagreed)."""
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.card("c1", basic("question c1, v2", "answer c1")).write()
    assert b.polar().updated == 1
    b.ankiweb()
    a.ankiweb()
    editor = a if edited_on == "A" else b
    note = editor.cards_of("c1")[0].note()
    assert "v2" in note["Front"]
    note["Front"] = "my question"
    editor.col.update_note(note)
    editor.ankiweb()
    for c in (a, b):
        c.ankiweb()

    report = a.polar()

    assert report.conflicts == [] and report.updated == 0, report.conflicts
    b.polar()
    a.ankiweb()
    b.ankiweb()
    for c in (a, b):
        assert c.cards_of("c1")[0].note()["Front"] == "my question", c.name
        assert not c.polar().conflicts


def test_an_anki_edit_made_before_polar_s_edit_reached_the_note_is_still_a_conflict(pair, tmp_path):
    """The true conflict stays one: the user fixed the text in Anki on A
    while Polar's edit was made and synced on A itself."""
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    note = a.cards_of("c1")[0].note()
    note["Front"] = "my question"
    a.col.update_note(note)
    doc.card("c1", basic("question c1, v2", "answer c1")).write()
    report = a.polar()
    assert [c["code"] for c in report.conflicts] == ["conflict_polar"]


# -- 10. a document moved to another deck in Polar, synced on both before AnkiWeb

@pytest.mark.parametrize("maker", ["A", "B"])
def test_a_deck_change_synced_on_both_computers_before_ankiweb_keeps_one_deck(pair, tmp_path, maker):
    """A document re-tagged in Polar (deck:compsci/os -> deck:systems): both
    computers sync it before AnkiWeb meets them, each makes its own
    "systems" deck and moves the cards there. AnkiWeb keeps each card's
    later move (B's), and shows A's deck as "systems" and B's as "systems+"
    on A. The document's next card, made on either computer, must go where
    its other cards are."""
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.untag("deck:compsci/os").tag("deck:systems").write()
    assert a.polar().moved == 2
    time.sleep(1.05)  # a card's mtime is in seconds: B's move is the later one
    assert b.polar().moved == 2
    a.ankiweb()
    b.ankiweb()
    a.ankiweb()
    doc.card("c3", basic("question c3", "answer c3")).write()
    first = a if maker == "A" else b
    assert first.polar().created == 1
    first.ankiweb()
    for c in (a, b):
        c.ankiweb()
    for c in (a, b):
        c.polar()
        c.ankiweb()
    for c in (a, b):
        c.ankiweb()
    for c in (a, b):
        decks = _decks_of(c, ["c1", "c2", "c3"])
        assert len({d for ds in decks.values() for d in ds}) == 1, (c.name, decks, _decks(c))
        assert integrity_problems(c.col) == []


def test_a_tag_removed_in_anki_after_the_other_computer_synced_polar_s_tag_stays_removed(pair, tmp_path):
    """A document tagged in Polar ("exam"), synced on A; AnkiWeb brings the
    tag to B; the user removes it from one note on B. B's record predates
    the tag, so its sync took "exam" for Polar's addition and put it back."""
    lib, doc = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    doc.tag("exam").write()
    assert a.polar().updated == 2
    a.ankiweb()
    b.ankiweb()
    note = b.cards_of("c1")[0].note()
    assert note.has_tag("exam")
    note.remove_tag("exam")
    b.col.update_note(note)

    report = b.polar()

    assert not b.cards_of("c1")[0].note().has_tag("exam"), report
    assert b.cards_of("c2")[0].note().has_tag("exam")
    b.ankiweb()
    a.ankiweb()
    assert a.polar().changed is False
    assert not a.cards_of("c1")[0].note().has_tag("exam")


# -- 7. notes deleted in Anki, left deleted (the setting Deleted in Anki) -----

LEAVE = {"deleted_in_anki": "leave_deleted"}


def test_a_deck_deleted_on_one_computer_is_left_deleted_on_both(pair, tmp_path):
    """The deck deleted on A with its notes: A's sync leaves them deleted and
    says so; AnkiWeb brings the deletion (the graves) to B, whose sync leaves
    them deleted too and says so once, in its own report; then neither
    computer makes them again."""
    lib, _ = _library(tmp_path, "c1", "c2", "c3")
    a, b = pair(lib)
    assert a.polar(**LEAVE).created == 3
    a.ankiweb()
    b.ankiweb()
    assert b.polar(**LEAVE).unchanged == 3
    a.col.decks.remove([a.col.decks.id_for_name("compsci::os")])
    report = a.polar(**LEAVE)
    assert report.created == 0
    assert [(w["code"], w["count"], w["decks"]) for w in report.warnings] == [("left_deleted", 3, ["compsci::os"])]
    a.ankiweb()
    b.ankiweb()
    assert b.polar_notes() == []
    report = b.polar(**LEAVE)
    assert report.created == 0
    assert [(w["code"], w["count"]) for w in report.warnings] == [("left_deleted", 3)]
    for c in (a, b):
        again = c.polar(**LEAVE)
        assert not again.changed and again.warnings == [] and c.polar_notes() == []
    a.ankiweb()
    b.ankiweb()
    assert a.polar_notes() == b.polar_notes() == []


def test_notes_made_again_on_the_other_computer_are_synced_on_the_one_that_left_them_deleted(pair, tmp_path):
    """A leaves the deleted notes deleted, B (Make them again, the default)
    makes them again: AnkiWeb brings B's notes to A, whose sync takes them
    as the cards' notes (nothing made, no duplicate) and no longer holds the
    cards as left deleted."""
    lib, _ = _library(tmp_path, "c1", "c2")
    a, b = _in_step(lib, pair)
    a.col.remove_notes([a.cards_of("c1")[0].nid])
    assert [(w["code"], w["count"]) for w in a.polar(**LEAVE).warnings] == [("left_deleted", 1)]
    a.ankiweb()
    b.ankiweb()
    report = b.polar()
    assert report.created == 1 and [(w["code"], w["count"]) for w in report.warnings] == [("made_again", 1)]
    b.ankiweb()
    a.ankiweb()
    report = a.polar(**LEAVE)
    assert report.created == 0 and report.warnings == [], report.warnings
    assert a.polar_notes() == b.polar_notes() and len(a.polar_notes()) == 2
    from addon.sync.state import SyncState

    assert SyncState(a.state).left_deleted() == {}
    assert not a.polar(**LEAVE).changed
