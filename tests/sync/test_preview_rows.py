"""A preview says every row the sync then says (branch ``previewrows``,
dev-notes/cards.md): for each state the sync suites build, a preview (dry
run) and then the sync of the same library and collection, their rows
compared (code, path and details; the English message aside, which a
preview may say in its own tense), their counts too. The preview writes
nothing: the collection's ``mod``, every note's and card's ``mod``, the
collection's config and the state file are as they were.

Before, a preview left out what the sync says as it writes (new notes
following the note type the Polar notes were moved into; a note type made
because the one in use lost its front) and what it said only "not in a
preview" (notes deleted in Anki made again, by default or by the setting;
cards of a cloze emptied in Polar)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from addon.sync.deck_steps import TODAY_CHECK_FROM
from addon.sync.report import EXTRA_COUNTS, MAIN_COUNTS
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run

# Rows only a preview makes: what it cannot show (an undone sync), and why
# a card has no note (the sync said it once, before).
PREVIEW_ONLY = {"preview_after_undo", "left_deleted_before"}
LEAVE = {"deleted_in_anki": "leave_deleted"}
# Rows the sync says once (a day, a deck) that a preview, asked, says again:
# scenario -> their codes (test_old_collections'
# test_the_backlog_row_is_told_once_a_day_a_deck_and_a_preview_says_it_too).
SAID_AGAIN = {"queued_told_today": ["new_cards_queued"]}


def _change_type(col: Any, card_ids: List[str], to: str) -> None:
    """Browse ▸ Notes ▸ Change Note Type, the fields mapped as offered."""
    nids = [note_of(col, cid).id for cid in card_ids]
    info = col.models.change_notetype_info(old_notetype_id=col.get_note(nids[0]).mid,
                                           new_notetype_id=col.models.by_name(to)["id"])
    request = info.input
    request.note_ids.extend(nids)
    col.models.change_notetype_of_notes(request)


def _copy_type(col: Any, stock: str, name: str) -> None:
    model = col.models.copy(col.models.by_name(stock), add=False)
    model["name"] = name
    col.models.add_field(model, col.models.new_field("Mnemonic"))
    col.models.add_dict(model)


def _two_decks(lib: Path) -> List[Doc]:
    docs = []
    for d, deck in enumerate(("bio", "chem")):
        doc = Doc(lib, f"1PrevDoc{d:016d}", f"Document {d}", tags=[f"deck:{deck}"])
        for c in range(3):
            doc.card(f"1Prev{d}c{c}", basic(f"question {d}.{c}", f"answer {d}.{c}"))
        doc.write()
        docs.append(doc)
    return docs


# Each scenario: the collection and library as the suites build them,
# synced up to the sync compared; returns that sync's settings and the
# codes its rows must hold (so a scenario that no longer builds its state fails).
Scenario = Callable[[Any, Path, Path], Tuple[Dict[str, Any], List[str]]]


def followed_types(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """Every Polar note moved into a type of the user's (test_followed_moves)."""
    doc = Doc(lib, "1PrevMoved", "Moved", tags=["deck:Moved"])
    for i in range(6):
        doc.card(f"1PrevB{i}", basic(f"question {i}", f"answer {i}"))
        doc.card(f"1PrevZ{i}", cloze(f"a {{{{c1::cloze}}}} {i}"), "CLOZE")
    doc.write()
    run(col, lib, state)
    _copy_type(col, "Basic", "Vocab")
    _copy_type(col, "Cloze", "My Cloze")
    _change_type(col, [f"1PrevB{i}" for i in range(6)], "Vocab")
    _change_type(col, [f"1PrevZ{i}" for i in range(6)], "My Cloze")
    doc.card("1PrevBnew", basic("new question", "new answer"))
    doc.card("1PrevZnew", cloze("new {{c1::cloze}}"), "CLOZE")
    doc.write()
    return {}, ["notes_followed", "notes_followed"]


def _front_renamed(col: Any, lib: Path, state: Path) -> Doc:
    doc = Doc(lib, "1PrevTypes", "Types", tags=["deck:Types"])
    doc.card("1PrevT1", basic("question one", "answer one"))
    doc.write()
    run(col, lib, state)
    model = col.models.by_name("Basic")
    col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == "Front"), "Question")
    col.models.update_dict(model)
    other = Doc(lib, "1PrevTypes2", "Types two", tags=["deck:Types"])  # (its notes' document not read again)
    other.card("1PrevT2", basic("question two", "answer two"))
    other.write()
    return doc


def front_renamed(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """"Front" renamed: new notes go to a note type made for them (test_user_note_types)."""
    _front_renamed(col, lib, state)
    return {}, ["notetype_replaced"]


def front_renamed_and_edited(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """... synced, then a card of a note there edited in Polar: its front cannot be written."""
    doc = _front_renamed(col, lib, state)
    run(col, lib, state)
    _, raw = doc.find_card("1PrevT1")
    raw["fields"] = basic("question one, edited", "answer one")
    doc.card("1PrevT3", basic("question three", "answer three"))
    doc.write()
    return {}, ["fields_missing"]


def deleted_made_again(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """A note deleted in Anki, the default setting: made again (test_left_deleted)."""
    _two_decks(lib)
    run(col, lib, state)
    col.remove_notes([note_of(col, "1Prev0c1").id])
    return {}, ["made_again"]


def deleted_left_deleted(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """... with Leave them deleted."""
    _two_decks(lib)
    run(col, lib, state)
    col.remove_notes([note_of(col, "1Prev0c1").id, note_of(col, "1Prev1c2").id])
    return LEAVE, ["left_deleted"]


def left_deleted_then_made_again(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """... left deleted, then the setting back to Make them again."""
    deleted_left_deleted(col, lib, state)
    run(col, lib, state, **LEAVE)
    return {}, ["made_again_by_setting"]


def cloze_emptied(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """c1 taken out of a cloze in Polar (test_studied_pairing)."""
    doc = Doc(lib, "1PrevCloze", "Cloze", tags=["deck:Cloze"])
    doc.card("1PrevE1", cloze("{{c1::Alpha}} and {{c2::Beta}}"), "CLOZE")
    doc.write()
    run(col, lib, state)
    doc.edit_card("1PrevE1", "1PrevE2", cloze("Alpha and {{c2::Beta}} or {{c3::Gamma}}")).write()
    return {}, ["cloze_cards_emptied"]


def kind_changed(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """A cloze's note changed to Basic, its text edited in Polar (test_retyped_cards)."""
    doc = Doc(lib, "1PrevKind", "Kind", tags=["deck:Kind"])
    doc.card("1PrevK1", cloze("{{c1::Ebbinghaus}} drew a curve"), "CLOZE")
    doc.write()
    run(col, lib, state)
    _change_type(col, ["1PrevK1"], "Basic")
    _, raw = doc.find_card("1PrevK1")
    raw["fields"] = cloze("{{c1::Hermann Ebbinghaus}} drew a curve")
    doc.write()
    return {}, ["kind_changed_kept"]


def no_new_cards_a_day(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """New notes in a deck whose preset shows none (test_old_collections)."""
    conf = col.decks.add_config_returning_id("None new")
    cfg = col.decks.get_config(conf)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    deck = col.decks.get(col.decks.id("Default"))
    deck["conf"] = conf
    col.decks.save(deck)
    doc = Doc(lib, "1PrevHeld", "Held")
    for i in range(3):
        doc.card(f"1PrevH{i}", basic(f"front {i}", f"back {i}"))
    doc.write()
    return {}, ["new_cards_held"]


def todays_limit_reached(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """Today's 2 new cards of a deck studied, a batch of notes more
    (test_old_collections): they come up on a later day."""
    from anki.scheduler.v3 import CardAnswer

    conf = col.decks.add_config_returning_id("Two a day")
    cfg = col.decks.get_config(conf)
    cfg["new"]["perDay"] = 2
    col.decks.update_config(cfg)
    deck = col.decks.get(col.decks.id("Default"))
    deck["conf"] = conf
    col.decks.save(deck)
    doc = Doc(lib, "1PrevLimit", "Limit")
    for i in range(4):
        doc.card(f"1PrevL{i:03d}", basic(f"front {i}", f"back {i}"))
    doc.write()
    run(col, lib, state)
    col.decks.select(col.decks.id("Default"))
    for _ in range(2):
        card = col.sched.getCard()
        states = col._backend.get_scheduling_states(card.id)
        col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD))
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1PrevL2{i:03d}", basic(f"later {i}", "back"))
    doc.write()
    return {}, ["new_cards_held"]


def _behind_users_cards(col: Any, lib: Path) -> Doc:
    """Default holds 200 new cards of the user's at 20 a day (test_old_collections)."""
    basic_type = col.models.by_name("Basic")
    for i in range(200):
        note = col.new_note(basic_type)
        note["Front"] = f"mine {i}"
        col.add_note(note, col.decks.id("Default"))
    doc = Doc(lib, "1PrevQueue", "Queue")
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1PrevQ{i:03d}", basic(f"front {i}", f"back {i}"))
    doc.write()
    return doc


def queued(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """New notes behind a week's or more of the user's new cards."""
    _behind_users_cards(col, lib)
    return {}, ["new_cards_queued"]


def queued_told_today(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """... a second batch the same day: told once a day a deck, so not again
    by the sync; a preview, asked, says it (``SAID_AGAIN``)."""
    doc = _behind_users_cards(col, lib)
    run(col, lib, state)
    for i in range(TODAY_CHECK_FROM):
        doc.card(f"1PrevQ2{i:03d}", basic(f"more {i}", f"back {i}"))
    doc.write()
    return {}, []


def picture_online_only(col: Any, lib: Path, state: Path) -> Tuple[Dict[str, Any], List[str]]:
    """A new note on an area highlight whose picture iCloud Drive keeps online
    only, beside a document folder kept so and another's conflict copy
    (test_cloud_folder; review2: the preview left out the picture's row,
    said by the sync as it makes the note)."""
    name = "1img0000000000000009.png"
    (lib / "files" / "image").mkdir(parents=True)
    (lib / "files" / "image" / f".{name}.icloud").write_bytes(b"")
    doc = Doc(lib, "1PrevPic0000000000000000", "Pictures")
    doc.area_highlight("1hl09", name).card("1PrevPic01", basic("q", "a"), ref="area-highlight:1hl09").write()
    (lib / "1PrevAway00000000000000" / ".state.json.icloud").parent.mkdir()
    (lib / "1PrevAway00000000000000" / ".state.json.icloud").write_bytes(b"")
    doc.write()
    import shutil

    shutil.copytree(doc.path.parent, lib / "1PrevPic0000000000000000 (1)")
    return {}, ["highlight_image_online_only", "online_only", "cloud_copy"]


SCENARIOS: List[Scenario] = [followed_types, front_renamed, front_renamed_and_edited, deleted_made_again,
                             deleted_left_deleted, left_deleted_then_made_again, cloze_emptied, kind_changed,
                             no_new_cards_a_day, todays_limit_reached, queued, queued_told_today, picture_online_only]


def _rows(report: Any) -> List[Tuple[str, str, Tuple[Tuple[str, str], ...]]]:
    """Every row, less its English message and the preview's own rows."""
    data = report.to_dict()
    return sorted((kind, str(row.get("code")), tuple(sorted((k, repr(v)) for k, v in row.items() if k != "message")))
                  for kind in ("errors", "warnings", "conflicts") for row in data[kind]
                  if row.get("code") not in PREVIEW_ONLY)


def _counts(report: Any) -> Dict[str, int]:
    return {k: report.count(k) for k in MAIN_COUNTS + EXTRA_COUNTS}


def _written(col: Any, state: Path) -> Any:
    """All a preview must leave as it is."""
    files = {p.name: hashlib.sha1(p.read_bytes()).hexdigest()
             for p in sorted(state.parent.iterdir()) if p.name.startswith(state.name)}
    return (col.mod, col.db.all("SELECT id, mod, usn FROM notes ORDER BY id"),
            col.db.all("SELECT id, mod, usn FROM cards ORDER BY id"), col.all_config(), files)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_a_preview_says_every_row_the_sync_then_says_and_writes_nothing(col, tmp_path, scenario):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    config, codes = scenario(col, lib, state)
    before = _written(col, state)
    preview = run(col, lib, state, dry_run=True, **config)
    assert _written(col, state) == before  # nothing written, not even the config a row sets
    report = run(col, lib, state, **config)
    assert sorted(code for _, code, _ in _rows(report)) == sorted(codes), report.to_dict()["warnings"]
    again = SAID_AGAIN.get(scenario.__name__, [])
    assert sorted(code for _, code, _ in _rows(preview) if code in again) == again
    assert [row for row in _rows(preview) if row[1] not in again] == _rows(report)
    assert _counts(preview) == _counts(report)


def test_a_preview_of_a_replaced_collection_says_its_notes_are_made_again(tmp_path):
    """A backup restored (a collection without the notes an earlier sync
    made: test_left_deleted): the preview says "made again, the collection
    was replaced" as the sync then does."""
    from anki.collection import Collection

    from tests.conftest import make_collection

    path = tmp_path / "col" / "collection.anki2"
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _two_decks(lib)
    make_collection(path).close()
    older = tmp_path / "backup.anki2"
    older.write_bytes(path.read_bytes())
    col = Collection(str(path))
    try:
        assert run(col, lib, state).created == 6
    finally:
        col.close()
    path.write_bytes(older.read_bytes())  # the backup restored
    col = Collection(str(path))
    try:
        before = _written(col, state)
        preview = run(col, lib, state, dry_run=True)
        assert _written(col, state) == before
        report = run(col, lib, state)
        assert [code for _, code, _ in _rows(report)] == ["made_again_replaced"]
        assert _rows(preview) == _rows(report) and _counts(preview) == _counts(report)
    finally:
        col.close()


@pytest.mark.parametrize("scenario", [deleted_made_again, left_deleted_then_made_again, cloze_emptied, followed_types,
                                      front_renamed], ids=lambda s: s.__name__)
def test_a_previews_rows_say_what_a_sync_would_do_not_what_it_did(col, tmp_path, scenario):
    """The report window's words of the rows a preview now says: "would be
    made again", not "was made again" under "nothing was written"; "a sync
    would add new notes of this kind to a new note type", not "go to" a type
    that is not there yet; the sync's as before. English and German (every language: make lint's i18n check)."""
    from addon.gui import i18n
    from addon.gui.report_text import section_rows

    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    config, codes = scenario(col, lib, state)
    preview = run(col, lib, state, dry_run=True, **config).to_dict()
    done = run(col, lib, state, **config).to_dict()
    for lang, would, did in (("en", ("would",), ("was made again", "were made again", "Anki keeps",
                                                 "so new ones go", "so new notes of this kind go")),
                             ("de", ("würde", "würden"), ("wurde wieder", "wurden wieder", "Anki behält",
                                                          "daher kommen"))):
        i18n.force(None if lang == "en" else lang)
        try:
            said = [words for _, words, _, _ in section_rows(preview, "warnings")]
            assert len(said) == len(codes) and all(any(w in s for w in would) for s in said), said
            assert not any(d in s for s in said for d in did), said
            said = [words for _, words, _, _ in section_rows(done, "warnings")]
            assert said and all(any(d in s for d in did) for s in said), said
        finally:
            i18n.force(None)
