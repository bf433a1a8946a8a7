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
    "compsci::os+"), and deleting it as README says (on one computer) leaves
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
