"""A deck the user renamed or moved in Anki (the deck itself, a parent of it,
or under another parent) is followed, not made again under its old name:
while Polar's name for a document stays the one the sync put its cards
under, new cards (and cards moved in from another document) go to the deck
the sync put them in, by its id (``state.deck_homes``,
``deck_steps.follow_renamed_decks``). A deck change in Polar, a deleted deck: as
before. On real collections, with Anki's own deck operations; after every
step a resync changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, List, Set

import pytest

from addon.sync.identity import guid_for
from addon.sync.state import DeckHome, SyncState
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run

A_KEY = "1DocA00000000000000000aa"
B_KEY = "1DocB00000000000000000bb"
C_KEY = "1DocC00000000000000000cc"


def _doc(root: Path, key: str, deck: str, *cards: str) -> Doc:
    doc = Doc(root, key, f"Doc {key[4]}", tags=[f"deck:{deck}"] if deck else [])
    for cid in cards:
        doc.card(cid, basic(f"<p>{cid} front</p>", f"<p>{cid} back</p>"))
    doc.write()
    return doc


def _add(doc: Doc, cid: str) -> None:
    doc.card(cid, basic(f"<p>{cid} front</p>", f"<p>{cid} back</p>"))
    doc.write()


def _retag(doc: Doc, deck: str) -> None:
    for label in [t for t in doc.meta["docInfo"]["tags"] if t.startswith("deck:")]:
        doc.untag(label)
    doc.tag(f"deck:{deck}")
    doc.write()


def decks_of(col: Any, cid: str) -> Set[str]:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(cid)]
    assert len(nids) == 1, (cid, nids)
    return {col.decks.name(c.did) for c in col.get_note(nids[0]).cards()}


def deck_names(col: Any) -> List[str]:
    return sorted(d.name for d in col.decks.all_names_and_ids())


def rename(col: Any, old: str, new: str) -> int:
    did = col.decks.id_for_name(old)
    assert did
    col.decks.rename(did, new)  # Anki's own: children follow
    return int(did)


def homes(state: Path) -> dict:
    return SyncState(state).deck_homes()


def assert_idempotent(col: Any, root: Path, state: Path, **config: Any) -> None:
    decks = deck_names(col)
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    again = run(col, root, state, **config)
    assert not again.changed, again.to_dict()
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods
    assert deck_names(col) == decks


@pytest.fixture
def lib(tmp_path):
    root = tmp_path / "polar"
    return root, _doc(root, A_KEY, "compsci/os", "1CardA0001", "1CardA0002")


def test_a_renamed_deck_gets_the_new_cards(col, lib, state_path):
    root, a = lib
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::CS::os")
    _add(a, "1CardA0003")

    preview = run(col, root, state_path, dry_run=True)
    assert preview.created == 1 and [c.deck for c in preview.changes] == ["Study::CS::os"]
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 0 and report.errors == []
    assert decks_of(col, "1CardA0003") == decks_of(col, "1CardA0001") == {"Study::CS::os"}
    assert col.decks.id_for_name("compsci::os") is None  # not made again beside it
    assert report.sorted_decks() == ["Study::CS::os"]
    assert [(c.kind, c.deck) for c in report.changes] == [("created", "Study::CS::os")]
    # Remembered: the deck's id and Polar's name for it.
    assert homes(state_path) == {A_KEY: DeckHome(did, "compsci::os")}
    assert_idempotent(col, root, state_path)
    assert run(col, root, state_path).sorted_decks() == ["Study::CS::os"]  # unchanged documents name it too


def test_a_renamed_parent_deck_and_a_moved_deck(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "compsci/os", "1CardA0001")
    b = _doc(root, B_KEY, "compsci/net", "1CardB0001")
    run(col, root, state_path)
    rename(col, "compsci", "Study::compsci")  # the parent: its children follow
    _add(a, "1CardA0002")
    _add(b, "1CardB0002")
    report = run(col, root, state_path)
    assert report.created == 2 and report.moved == 0
    assert decks_of(col, "1CardA0002") == {"Study::compsci::os"}
    assert decks_of(col, "1CardB0002") == {"Study::compsci::net"}
    assert col.decks.id_for_name("compsci") is None
    assert_idempotent(col, root, state_path)

    # Dragged under another parent (Anki's reparent): followed the same way.
    archive = col.decks.id("Archive")
    col.decks.reparent([col.decks.id_for_name("Study::compsci::os")], archive)
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 0
    assert decks_of(col, "1CardA0003") == decks_of(col, "1CardA0001") == {"Archive::os"}
    assert col.decks.id_for_name("Study::compsci::os") is None
    assert col.decks.id_for_name("compsci::os") is None
    assert_idempotent(col, root, state_path)


def test_a_deck_change_in_polar_after_a_rename_moves_the_cards_as_before(col, lib, state_path):
    root, a = lib
    run(col, root, state_path)
    rename(col, "compsci::os", "Study::os")
    _retag(a, "math")
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 2
    for cid in ("1CardA0001", "1CardA0002", "1CardA0003"):
        assert decks_of(col, cid) == {"math"}
    assert col.decks.id_for_name("compsci::os") is None
    assert report.sorted_decks() == ["math"]
    assert_idempotent(col, root, state_path)
    # The new deck is the one remembered now: renamed, it is followed.
    rename(col, "math", "Maths")
    _add(a, "1CardA0004")
    run(col, root, state_path)
    assert decks_of(col, "1CardA0004") == {"Maths"} and col.decks.id_for_name("math") is None
    # Polar's deck back to the old name: no document's cards are in a deck
    # of that name any more (the sync last put them in Maths): made again.
    _retag(a, "compsci/os")
    report = run(col, root, state_path)
    assert report.moved == 4 and decks_of(col, "1CardA0004") == {"compsci::os"}
    assert_idempotent(col, root, state_path)


def test_polar_renamed_to_the_name_the_user_gave_it(col, lib, state_path):
    """The user renamed the deck in Anki and then the tag in Polar to match:
    the deck of that name is the one; nothing moves, nothing is made."""
    root, a = lib
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::os")
    _retag(a, "Study/os")
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 0
    assert decks_of(col, "1CardA0003") == {"Study::os"}
    assert homes(state_path)[A_KEY] == DeckHome(did, "Study::os")
    assert_idempotent(col, root, state_path)


def test_a_renamed_then_deleted_deck_is_made_again_by_name(col, lib, state_path):
    root, a = lib
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::os")
    col.decks.remove([did])  # its cards go with it
    assert col.note_count() == 0
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.errors == []
    assert col.note_count() == 3  # the deleted notes come back, as before
    for cid in ("1CardA0001", "1CardA0002", "1CardA0003"):
        assert decks_of(col, cid) == {"compsci::os"}
    assert homes(state_path)[A_KEY] == DeckHome(col.decks.id_for_name("compsci::os"), "compsci::os")
    assert_idempotent(col, root, state_path)


def test_a_filtered_deck_with_the_old_name(col, lib, state_path):
    """The old name now taken by a filtered deck: the renamed deck, which the
    cards are in, still gets them (no warning, no detour to Default). Once
    that deck is gone too: the filtered-deck rule, as before."""
    root, a = lib
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::os")
    col.decks.new_filtered("compsci::os")
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.created == 1 and report.warnings == [] and report.errors == []
    assert decks_of(col, "1CardA0003") == {"Study::os"}
    assert_idempotent(col, root, state_path)

    col.decks.remove([did])
    _add(a, "1CardA0004")
    report = run(col, root, state_path)
    assert [w for w in report.warnings if "is the filtered deck" in w["message"]]
    assert decks_of(col, "1CardA0004") == {"Default"}
    assert A_KEY not in homes(state_path) or homes(state_path)[A_KEY].name == "Default"
    assert_idempotent(col, root, state_path)


def test_documents_sharing_a_deck(col, tmp_path, state_path):
    """Two documents in one deck, renamed: both follow it. A new document of
    that Polar deck joins them (the sync put that deck's cards there); one
    re-tagged in Polar leaves, the other stays."""
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "compsci/os", "1CardA0001")
    b = _doc(root, B_KEY, "compsci/os", "1CardB0001")
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::os")
    _add(a, "1CardA0002")
    _add(b, "1CardB0002")
    _doc(root, C_KEY, "compsci/os", "1CardC0001")
    report = run(col, root, state_path)
    assert report.created == 3 and report.moved == 0
    for cid in ("1CardA0002", "1CardB0002", "1CardC0001"):
        assert decks_of(col, cid) == {"Study::os"}
    assert col.decks.id_for_name("compsci::os") is None
    assert {k: h.did for k, h in homes(state_path).items()} == {A_KEY: did, B_KEY: did, C_KEY: did}
    assert_idempotent(col, root, state_path)

    _retag(b, "math")
    _add(a, "1CardA0003")
    report = run(col, root, state_path)
    assert report.moved == 2 and report.created == 1
    assert decks_of(col, "1CardB0001") == decks_of(col, "1CardB0002") == {"math"}
    assert decks_of(col, "1CardA0003") == decks_of(col, "1CardC0001") == {"Study::os"}
    assert_idempotent(col, root, state_path)


def test_a_card_moved_into_a_document_of_a_renamed_deck(col, tmp_path, state_path):
    """A card moved (in Polar) from a document of another deck into one
    whose deck the user renamed goes to the renamed deck."""
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "compsci/os", "1CardA0001")
    b = _doc(root, B_KEY, "misc", "1CardB0001", "1CardX0001")
    run(col, root, state_path)
    rename(col, "compsci::os", "Study::os")
    num, card = b.find_card("1CardX0001")
    a.page(num)["flashcards"]["1CardX0001"] = card
    a.write()
    b.delete_card("1CardX0001")
    b.write()
    report = run(col, root, state_path)
    assert report.moved == 1 and report.created == 0
    assert decks_of(col, "1CardX0001") == {"Study::os"}
    assert col.decks.id_for_name("compsci::os") is None
    assert_idempotent(col, root, state_path)


def test_per_document_decks_follow_too(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "", "1CardA0001")
    run(col, root, state_path, deck_strategy="document")
    rename(col, "Polar::Doc A", "Reading::Doc A")
    _add(a, "1CardA0002")
    run(col, root, state_path, deck_strategy="document")
    assert decks_of(col, "1CardA0002") == {"Reading::Doc A"}
    assert col.decks.id_for_name("Polar::Doc A") is None
    assert_idempotent(col, root, state_path, deck_strategy="document")


def test_an_undone_sync_after_a_rename(col, lib, state_path):
    """Edit ▸ Undo of a sync after a rename: the next sync brings back what
    it did, into the renamed deck; and an undone deck change (Polar's tag
    put back, too) leaves the cards where they were, the renamed deck
    followed as before the undone sync (its deck home rolled back with it)."""
    root, a = lib
    run(col, root, state_path)
    did = rename(col, "compsci::os", "Study::os")
    _add(a, "1CardA0003")
    run(col, root, state_path)
    assert decks_of(col, "1CardA0003") == {"Study::os"}
    col.undo()
    assert col.note_count() == 2 and deck_names(col) == ["Default", "Study", "Study::os", "compsci"]
    report = run(col, root, state_path)
    assert report.created == 1 and decks_of(col, "1CardA0003") == {"Study::os"}
    assert col.decks.id_for_name("compsci::os") is None
    assert_idempotent(col, root, state_path)

    _retag(a, "math")
    report = run(col, root, state_path)
    assert report.moved == 3 and homes(state_path)[A_KEY].name == "math"
    col.undo()  # the move, and the deck it made
    assert decks_of(col, "1CardA0001") == {"Study::os"} and col.decks.id_for_name("math") is None
    _retag(a, "compsci/os")
    _add(a, "1CardA0004")
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 0
    assert decks_of(col, "1CardA0004") == decks_of(col, "1CardA0001") == {"Study::os"}
    assert col.decks.id_for_name("compsci::os") is None
    assert homes(state_path)[A_KEY] == DeckHome(did, "compsci::os")
    assert_idempotent(col, root, state_path)


def _as_before_deck_homes(state: Path) -> None:
    """The state file as a version without deck homes left it: no table,
    and journal entries without its pre-images."""
    conn = sqlite3.connect(str(state))
    with conn:
        conn.execute("DROP TABLE deck_homes")
        for gen, data in conn.execute("SELECT gen, data FROM journal").fetchall():
            entry = json.loads(data)
            entry.pop("homes", None)
            entry.pop("deck_homes", None)
            conn.execute("UPDATE journal SET data = ? WHERE gen = ?", (json.dumps(entry), gen))
    conn.close()


def test_a_state_from_before_deck_homes(col, tmp_path, state_path):
    """An older version's state file: the first sync remembers where the
    unchanged documents' cards are (by name, as that version put them),
    without reading them again; a later rename is then followed. A deck
    already renamed before that sync cannot be known: made again by name,
    as before."""
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "compsci/os", "1CardA0001")
    b = _doc(root, B_KEY, "math", "1CardB0001")
    run(col, root, state_path)
    _as_before_deck_homes(state_path)
    rename(col, "math", "Maths")  # before the upgrade
    report = run(col, root, state_path)
    assert not report.changed and report.unchanged == 2
    assert set(homes(state_path)) == {A_KEY}
    rename(col, "compsci::os", "Study::os")  # after it
    _add(a, "1CardA0002")
    _add(b, "1CardB0002")
    run(col, root, state_path)
    assert decks_of(col, "1CardA0002") == {"Study::os"} and col.decks.id_for_name("compsci::os") is None
    assert decks_of(col, "1CardB0002") == {"math"} and decks_of(col, "1CardB0001") == {"Maths"}
    assert_idempotent(col, root, state_path)


def test_a_deck_renamed_before_the_upgrade_is_known_once_renamed_back(col, tmp_path, state_path):
    """docs/decks.md's way out: renamed back to its Polar name for one sync
    (which writes nothing), then renamed again, the deck is followed."""
    root = tmp_path / "polar"
    b = _doc(root, B_KEY, "math", "1CardB0001")
    run(col, root, state_path)
    _as_before_deck_homes(state_path)
    rename(col, "math", "Maths")
    assert not run(col, root, state_path).changed and homes(state_path) == {}
    rename(col, "Maths", "math")
    assert not run(col, root, state_path).changed and set(homes(state_path)) == {B_KEY}
    rename(col, "math", "Maths")
    _add(b, "1CardB0002")
    run(col, root, state_path)
    assert decks_of(col, "1CardB0002") == {"Maths"} and col.decks.id_for_name("math") is None


def test_an_undo_journaled_before_deck_homes(col, lib, state_path):
    """An undone sync whose journal entry an older version wrote (no deck
    homes kept): rolled back as before, the deck homes left as they are."""
    root, a = lib
    run(col, root, state_path)
    _add(a, "1CardA0003")
    run(col, root, state_path)
    _as_before_deck_homes(state_path)  # two syncs of an older version
    assert not run(col, root, state_path).changed  # the upgrade: A's deck remembered, nothing written
    assert set(homes(state_path)) == {A_KEY}
    col.undo()  # the older version's second sync
    assert col.note_count() == 2
    rename(col, "compsci::os", "Study::os")
    report = run(col, root, state_path)
    assert report.created == 1 and report.errors == []
    assert decks_of(col, "1CardA0003") == {"Study::os"} and col.decks.id_for_name("compsci::os") is None
    assert_idempotent(col, root, state_path)


def test_an_undone_upgrade_sync_forgets_the_homes_it_recorded(col, tmp_path, state_path):
    """The first sync of a state from before deck homes records the unchanged
    documents' decks; undone in Anki (it wrote another document's card too),
    those records go with it (journaled) and the next sync makes them again."""
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "compsci/os", "1CardA0001")
    _doc(root, B_KEY, "math", "1CardB0001")
    run(col, root, state_path)
    _as_before_deck_homes(state_path)
    _add(a, "1CardA0002")
    run(col, root, state_path)
    assert set(homes(state_path)) == {A_KEY, B_KEY}
    col.undo()
    report = run(col, root, state_path)
    assert report.created == 1
    conn = sqlite3.connect(str(state_path))
    journal = [json.loads(d) for (d,) in conn.execute("SELECT data FROM journal ORDER BY gen")]
    conn.close()
    # The sync after the undo: B's record (and A's) put back as none, then made again.
    assert journal[-1]["homes"] == sorted({A_KEY, B_KEY, ""}) and journal[-1]["deck_homes"] == []
    assert set(homes(state_path)) == {A_KEY, B_KEY}
    assert_idempotent(col, root, state_path)


def test_a_new_polar_deck_under_a_renamed_parent(col, lib, state_path):
    """``deck:compsci/networking``, never synced before, after the user renamed
    ``compsci`` to ``CS``: ``CS::networking``, not a new ``compsci`` beside
    it; and so on down and after a move of the parent."""
    root, a = lib
    run(col, root, state_path)
    rename(col, "compsci", "CS")
    _doc(root, B_KEY, "compsci/networking", "1CardB0001")
    preview = run(col, root, state_path, dry_run=True)
    assert [c.deck for c in preview.changes] == ["CS::networking"]
    report = run(col, root, state_path)
    assert report.created == 1 and report.errors == [] and report.sorted_decks() == ["CS::networking", "CS::os"]
    assert decks_of(col, "1CardB0001") == {"CS::networking"}
    assert col.decks.id_for_name("compsci") is None
    assert homes(state_path)[B_KEY] == DeckHome(col.decks.id_for_name("CS::networking"), "compsci::networking")
    assert_idempotent(col, root, state_path)

    # A grandchild of the renamed deck, and the parent moved under another deck.
    _doc(root, C_KEY, "compsci/networking/tcp", "1CardC0001")
    run(col, root, state_path)
    assert decks_of(col, "1CardC0001") == {"CS::networking::tcp"}
    col.decks.reparent([col.decks.id_for_name("CS")], col.decks.id("Study"))
    d = _doc(root, "1DocD00000000000000000dd", "compsci/db", "1CardD0001")
    run(col, root, state_path)
    assert decks_of(col, "1CardD0001") == {"Study::CS::db"}
    assert col.decks.id_for_name("compsci") is None
    assert_idempotent(col, root, state_path)

    # Undone, the deck it made and its home go; the next sync does it again.
    _add(d, "1CardD0002")
    _doc(root, "1DocE00000000000000000ee", "compsci/ai", "1CardE0001")
    run(col, root, state_path)
    assert decks_of(col, "1CardE0001") == {"Study::CS::ai"}
    col.undo()
    assert col.decks.id_for_name("Study::CS::ai") is None
    report = run(col, root, state_path)
    assert report.created == 2 and decks_of(col, "1CardE0001") == {"Study::CS::ai"}
    assert homes(state_path)["1DocE00000000000000000ee"] == DeckHome(col.decks.id_for_name("Study::CS::ai"),
                                                                      "compsci::ai")
    assert decks_of(col, "1CardD0002") == {"Study::CS::db"}
    assert col.decks.id_for_name("compsci") is None
    assert_idempotent(col, root, state_path)


def test_a_new_polar_deck_whose_parent_is_not_known_renamed(col, tmp_path, state_path):
    """By name, as before, when the parent still exists under its Polar name
    (only a child was moved away), or its children went to several decks."""
    root = tmp_path / "polar"
    _doc(root, A_KEY, "compsci/os", "1CardA0001")
    _doc(root, B_KEY, "compsci/net", "1CardB0001")
    run(col, root, state_path)
    rename(col, "compsci::os", "Study::os")  # compsci stays
    _doc(root, C_KEY, "compsci/db", "1CardC0001")
    run(col, root, state_path)
    assert decks_of(col, "1CardC0001") == {"compsci::db"}

    rename(col, "compsci::net", "Other::net")
    rename(col, "compsci::db", "Third::db")
    col.decks.remove([col.decks.id_for_name("compsci")])  # empty now
    _doc(root, "1DocD00000000000000000dd", "compsci/ai", "1CardD0001")
    run(col, root, state_path)
    assert decks_of(col, "1CardD0001") == {"compsci::ai"}  # Study, Other or Third: none is the one
    assert_idempotent(col, root, state_path)


def _preset(col: Any, deck: str, name: str) -> int:
    """Deck options ▸ a preset of the user's for ``deck``."""
    conf_id = col.decks.add_config_returning_id(name)
    d = col.decks.get(col.decks.id_for_name(deck))
    d["conf"] = conf_id
    col.decks.save(d)
    return int(conf_id)


def _conf_of(col: Any, deck: str) -> int:
    return int(col.decks.get(col.decks.id_for_name(deck))["conf"])


@pytest.mark.parametrize("strategy", ["tags", "document"])
def test_cards_moved_to_a_deck_the_sync_makes_keep_their_options_preset(col, tmp_path, state_path, strategy):
    """A document's deck changed in Polar (a ``deck:`` tag fixed, or, by
    document, its title): the deck the sync makes for its cards takes the
    preset the user gave the deck they come from, not Default; Undo takes
    back the deck, preset and all. A deck made for new cards only, or for
    cards from two decks of different presets, keeps Anki's Default."""
    root = tmp_path / "polar"
    config = {"deck_strategy": "document"} if strategy == "document" else {}
    a = _doc(root, A_KEY, "Books/Physcs" if strategy == "tags" else "", "1CardA0001", "1CardA0002")
    a.meta["docInfo"]["title"] = "Physcs"
    a.write()
    run(col, root, state_path, **config)
    old = "Books::Physcs" if strategy == "tags" else "Polar::Physcs"
    new = old.replace("Physcs", "Physics")
    mine = _preset(col, old, "Physics, FSRS")
    default = _conf_of(col, "Default")
    if strategy == "tags":
        _retag(a, "Books/Physics")
    else:
        a.meta["docInfo"]["title"] = "Physics"
        a.write()
    report = run(col, root, state_path, **config)
    assert report.moved == 2 and decks_of(col, "1CardA0001") == {new}
    assert _conf_of(col, new) == mine and _conf_of(col, old) == mine
    assert_idempotent(col, root, state_path, **config)
    col.undo()
    assert decks_of(col, "1CardA0001") == {old} and col.decks.id_for_name(new) is None

    b = _doc(root, B_KEY, "Books/Chemistry", "1CardB0001")
    b.meta["docInfo"]["title"] = "Chemistry"
    b.write()
    run(col, root, state_path, **config)
    made = "Books::Chemistry" if strategy == "tags" else "Polar::Chemistry"
    assert _conf_of(col, made) == default  # new cards only: Anki's default


def test_cards_split_evenly_between_decks_of_different_presets_get_anki_s_default(col, tmp_path, state_path):
    """No preset held by more than half the moved cards: Anki's Default, as for a new deck."""
    root = tmp_path / "polar"
    a = _doc(root, A_KEY, "Books/One", "1CardA0001", "1CardA0002")
    run(col, root, state_path)
    col.set_deck([c.id for n in col.find_notes("") for c in col.get_note(n).cards()
                  if col.get_note(n).guid == guid_for("1CardA0002")], col.decks.id("Hard"))
    _preset(col, "Books::One", "Slow")
    _retag(a, "Books/Two")
    assert run(col, root, state_path).moved == 2
    assert _conf_of(col, "Books::Two") == _conf_of(col, "Default")


def test_the_profile_s_default_deck_is_named_as_anki_names_it_from_the_first_sync(col_de, tmp_path, state_path):
    """A German profile's default deck is "Standard". The cards of a
    document without a deck: tag went there, but the first sync's report
    (the one a new user reads) listed them under "Default", a deck the user
    could not find; only the next syncs said "Standard"."""
    library = tmp_path / "polar"
    doc = Doc(library, "1NoDeckDoc000000001", title="Ohne Stapel")
    doc.card("1NdA", basic("<p>Frage?</p>", "<p>Antwort</p>"))
    doc.write()
    Doc(library, "1TaggedDoc000000001", title="Mit Stapel", tags=["deck:Biologie"]).card(
        "1TdA", basic("<p>Zelle?</p>", "<p>ja</p>")).write()

    preview = run(col_de, library, state_path, dry_run=True).to_dict()
    assert sorted(preview["decks"]) == ["Biologie", "Standard"]
    first = run(col_de, library, state_path).to_dict()
    assert sorted(first["decks"]) == ["Biologie", "Standard"]
    assert {r["deck"] for r in first["changes"] if r["document"] == "1NoDeckDoc000000001"} == {"Standard"}
    assert sorted(d.name for d in col_de.decks.all_names_and_ids()) == ["Biologie", "Standard"]  # no "Default"
    assert {col_de.decks.name(c.did) for c in col_de.get_note(first["changes"][0]["note_id"]).cards()} <= {
        "Standard", "Biologie"}

    doc.card("1NdB", basic("<p>Frage 2?</p>", "<p>Antwort</p>"))
    doc.write()
    assert "Standard" in run(col_de, library, state_path).to_dict()["decks"]
    # Removed in Polar: its notes are named in the deck they are in.
    doc.remove()
    gone = run(col_de, library, state_path).to_dict()
    assert {r["deck"] for r in gone["changes"]} == {"Standard"}


def test_an_english_default_deck_keeps_its_name(col, tmp_path, state_path):
    library = tmp_path / "polar"
    Doc(library, "1NoDeckDoc000000001", title="No deck").card("1NdA", basic("<p>Q?</p>", "<p>A</p>")).write()
    assert run(col, library, state_path).to_dict()["decks"] == ["Default"]
    col.decks.rename(col.decks.get(1), "My cards")  # the user renamed it: followed, and named so
    Doc(library, "1NoDeckDoc000000002", title="No deck 2").card("1NdB", basic("<p>Q2?</p>", "<p>A</p>")).write()
    assert run(col, library, state_path).to_dict()["decks"] == ["My cards"]
    assert "Default" not in [d.name for d in col.decks.all_names_and_ids()]


def test_a_deck_called_default_beside_standard_is_the_one(col_de, tmp_path, state_path):
    """Polar's old sync asked AnkiConnect for a deck "Default" and, finding
    only "Standard" in a German profile, made one: the untagged documents'
    old notes are there. A document new since went to "Standard" (Anki's
    default deck, hidden while empty), apart from the others."""
    col_de.decks.id("Default")
    library = tmp_path / "polar"
    Doc(library, "1NoDeckDoc000000001", title="Neu").card("1NdA", basic("<p>Frage?</p>", "<p>A</p>")).write()
    data = run(col_de, library, state_path).to_dict()
    assert data["decks"] == ["Default"]
    nid = data["changes"][0]["note_id"]
    assert {col_de.decks.name(c.did) for c in col_de.get_note(nid).cards()} == {"Default"}
    assert col_de.decks.card_count(1, include_subdecks=False) == 0
