"""Existing notes follow an upgrade: notes written by the previous layout
(render version 2: an unstyled context block, whole-field hashes, reversed
cards in the stock reversed type) are re-rendered by the next sync without
a conflict, keeping the user's edits, and without moving, resetting or
reordering a single card."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import addon.render.html as html
import addon.render.style as style
import addon.sync.notetypes as notetypes
import addon.sync.read as read
from addon.render.context import split_block
from addon.sync.field_merge import field_hash
from tests.polar_factory import Doc, basic, cloze
from tests.render.helpers import PNG
from tests.sync.helpers import note_of, run

# "Polar Basic" as the versions before the look's marker made it (CSS, answer template).
VERSION_1_LOOK = (
    ".card { font-family: arial; font-size: 20px; text-align: center; color: black; background-color: white; }\n"
    ".polar-context { margin-top: 1em; font-size: 0.75em; text-align: left; color: #555; }\n"
    ".polar-context blockquote { border-left: 3px solid #e5c07b; margin: 0.5em 0; padding-left: 0.6em; }\n"
    ".polar-context img { max-width: 100%; }\n"
    ".nightMode .polar-context, .night_mode .polar-context { color: #bbb; }\n"
    ".cloze { font-weight: bold; color: blue; }\n"
    ".nightMode .cloze { color: lightblue; }\n",
    '{{FrontSide}}<hr id=answer>{{Back}}{{#Source}}<div class="polar-context"><hr class="polar-rule">'
    '<div class="polar-source">{{Source}}</div>{{#Highlight}}<blockquote class="polar-highlight">{{Highlight}}'
    '</blockquote>{{/Highlight}}{{#Image}}<div class="polar-image">{{Image}}</div>{{/Image}}{{#Comments}}'
    '<div class="polar-comments">{{Comments}}</div>{{/Comments}}</div>{{/Source}}',
)
STYLE = re.compile(r' style="[^"]*"| class="polar-(rule|link)"| data-polar-block="[^"]*"')




def as_version_2(col: Any, state: Path) -> None:
    """Rewrite what the sync wrote into the previous layout: the block without
    its styles, and every remembered hash over the whole field."""
    hashes: Dict[str, List[str]] = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        for i, value in enumerate(note.fields):
            user, block = split_block(value)
            if block:
                note.fields[i] = user + STYLE.sub("", block)
        col.update_note(note)
        hashes[note.guid] = [field_hash(v) if v else "" for v in note.fields]
    with sqlite3.connect(state) as db:
        for guid, fields in hashes.items():
            if guid.startswith("polar:"):
                db.execute("UPDATE cards SET fields = ? WHERE guid = ?", (json.dumps(fields), guid))
    db.close()


def scheduling(col: Any) -> Dict[int, Tuple[Any, ...]]:
    rows = col.db.all("SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, left FROM cards")
    return {r[0]: tuple(r[1:]) for r in rows}


def studied(col: Any, *cards: str) -> Tuple[Dict[int, Tuple[Any, ...]], int]:
    """The notes of these Polar cards given due dates, as if studied; the
    collection's schedules and review count then, for an upgrade to keep."""
    col.sched.set_due_date([c.id for n in cards for c in note_of(col, n).cards()], "10")
    return scheduling(col), col.db.scalar("SELECT count() FROM revlog")


def test_notes_of_the_previous_layout_follow_without_conflicts_or_moves(col, tmp_path, monkeypatch) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1UpgradeDoc0000000000000", "The Book")
    doc.text_highlight("1HlUpgr001", "the highlighted sentence", page=2)
    doc.comment("1CmUpgr001", "<p>my comment</p>", "text-highlight:1HlUpgr001", page=2)
    doc.card("1BasicUpgr", basic("basic q", "basic a"), ref="text-highlight:1HlUpgr001", page=2)
    doc.card("1RevUpgr01", basic("rev front", "rev back"), "BASIC_FRONT_BACK_AND_REVERSE",
             ref="text-highlight:1HlUpgr001", page=2)
    doc.card("1ClozeUpg1", cloze("{{c1::one}} {{c2::two}}"), "CLOZE", ref="text-highlight:1HlUpgr001", page=2)
    doc.write()

    # The previous version: render version 2, reversed cards in the stock type.
    monkeypatch.setattr(read, "RENDER_VERSION", "2")
    monkeypatch.setattr(notetypes, "REVERSED", ())
    run(col, library, state)
    # Version 2 appended the block to the stock reversed type's Back too (which
    # this version refuses to do): put it there as it did.
    rev = note_of(col, "1RevUpgr01")
    rev["Back"] += split_block(note_of(col, "1BasicUpgr")["Back"])[1]
    col.update_note(rev)
    as_version_2(col, state)
    rev = note_of(col, "1RevUpgr01")
    assert rev.note_type()["name"] == "Basic (and reversed card)" and "polar-context" in rev["Back"]

    # The user studies some cards and edits an answer.
    col.decks.select(1)
    for _ in range(3):
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
    edited = note_of(col, "1BasicUpgr")
    edited["Back"] = edited["Back"].replace("basic a", "my answer", 1)
    col.update_note(edited)
    before = scheduling(col)
    assert sum(1 for row in before.values() if row[8] > 0) == 3  # reps

    # Upgrade.
    monkeypatch.undo()
    report = run(col, library, state)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert scheduling(col) == before  # nothing moved, reset or reordered

    basic_note = note_of(col, "1BasicUpgr")
    user, block = split_block(basic_note["Back"])
    assert user == "my answer" and 'style="' in block and "the highlighted sentence" in block
    assert split_block(note_of(col, "1ClozeUpg1")["Back Extra"])[1].count('style="') > 3
    # The stock reversed note keeps its type (no full sync) and loses the
    # block that showed on card 2's question.
    rev = note_of(col, "1RevUpgr01")
    assert rev.note_type()["name"] == "Basic (and reversed card)" and rev["Back"] == "rev back"
    for nid in col.find_notes(""):
        for card in col.get_note(nid).cards():
            assert "the highlighted sentence" not in card.question()
    again = run(col, library, state)
    assert (again.updated, again.conflicts) == (0, [])


def test_own_types_of_an_older_version_get_the_new_look(col, tmp_path) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1LookDoc0000000000000000", "Look")
    doc.card("1LookCard1", basic("q", "a"))
    doc.write()
    run(col, library, state, use_stock_note_types=False)
    model = note_of(col, "1LookCard1").note_type()
    css, afmt = model["css"], model["tmpls"][0]["afmt"]
    old = col.models.get(model["id"])
    old["css"], old["tmpls"][0]["afmt"] = VERSION_1_LOOK
    del old[notetypes.LOOK_MARKER], old[notetypes.LOOK_HASH_MARKER]
    col.models.update_dict(old)
    fields_before = [f["name"] for f in old["flds"]]

    doc.card("1LookCard2", basic("q2", "a2"))  # any change makes the sync write
    doc.write()
    run(col, library, state, use_stock_note_types=False)
    fresh = col.models.get(model["id"])
    assert fresh["css"] == css and fresh["tmpls"][0]["afmt"] == afmt
    assert fresh[notetypes.LOOK_MARKER] == notetypes.LOOK_VERSION
    assert [f["name"] for f in fresh["flds"]] == fields_before


@pytest.mark.parametrize("made_by", ["version 1", "today"])
def test_an_own_type_whose_look_the_user_edited_keeps_it_after_an_upgrade(col, tmp_path, monkeypatch, made_by) -> None:
    """The user's CSS and answer template are theirs: an add-on update that
    brings a new look leaves an own type the user restyled alone, and gives
    it to an untouched one (here "Polar Cloze")."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1LookDoc0000000000000000", "Look")
    doc.card("1LookCard1", basic("q", "a"))
    doc.card("1LookCard2", cloze("a {{c1::cloze}}"), "CLOZE")
    doc.write()
    run(col, library, state, use_stock_note_types=False)
    mine = col.models.get(note_of(col, "1LookCard1").mid)
    if made_by == "version 1":
        mine["css"], mine["tmpls"][0]["afmt"] = VERSION_1_LOOK
        del mine[notetypes.LOOK_MARKER], mine[notetypes.LOOK_HASH_MARKER]
    mine["css"] += "\n.card { font-family: 'My Serif'; font-size: 28px; }"  # the user's styling
    mine["tmpls"][0]["afmt"] = mine["tmpls"][0]["afmt"].replace("<hr id=answer>", "<hr id=answer><b>Answer</b>")
    col.models.update_dict(mine)
    theirs = (col.models.get(mine["id"])["css"], col.models.get(mine["id"])["tmpls"][0]["afmt"])
    cloze_type = col.models.get(note_of(col, "1LookCard2").mid)

    # An update of the add-on with a new look.
    monkeypatch.setattr(notetypes, "LOOK_VERSION", notetypes.LOOK_VERSION + 1)
    monkeypatch.setattr(notetypes, "_CSS", notetypes._CSS + "\n.polar-new { color: red; }")
    doc.card("1LookCard3", basic("q3", "a3"))  # any change makes the sync write
    doc.write()
    report = run(col, library, state, use_stock_note_types=False)
    assert report.errors == []

    kept = col.models.get(mine["id"])
    assert (kept["css"], kept["tmpls"][0]["afmt"]) == theirs
    assert col.models.get(cloze_type["id"])["css"].endswith(".polar-new { color: red; }")
    assert note_of(col, "1LookCard3").mid == mine["id"]  # still the type new notes go to


def test_own_types_of_look_3_get_readable_site_links(col, tmp_path) -> None:
    """Look 3's CSS left a web capture's site link Anki's blue, faded to
    3.6:1 on white where the add-on does not show the card: look 4's own
    types give it the line's colour, underlined (CSS only: no note is
    rewritten for it, no full sync)."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1LookDoc0000000000000000", "Look")
    doc.card("1LookCard1", basic("q", "a"))
    doc.write()
    run(col, library, state, use_stock_note_types=False)
    model = col.models.get(note_of(col, "1LookCard1").mid)
    rule = ".polar-link { color:inherit; text-decoration:underline; }\n"
    assert rule in model["css"]
    model["css"] = model["css"].replace(rule, "")  # as look 3 wrote it
    model[notetypes.LOOK_MARKER] = 3
    model[notetypes.LOOK_HASH_MARKER] = notetypes.look_hash(model)
    col.models.update_dict(model)
    fields = [f["name"] for f in model["flds"]]

    doc.card("1LookCard2", basic("q2", "a2"))  # any change makes the sync write
    doc.write()
    run(col, library, state, use_stock_note_types=False)
    fresh = col.models.get(model["id"])
    assert rule in fresh["css"] and fresh[notetypes.LOOK_MARKER] == notetypes.LOOK_VERSION == 4
    assert [f["name"] for f in fresh["flds"]] == fields


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_code_blocks_of_render_version_6_follow_once_and_keep_anki_edits(col, tmp_path, monkeypatch,
                                                                         policy: str) -> None:
    """Render version 7 sets a <pre>'s lines from its start edge (the stock
    types centred each line). Notes written by version 6 follow once; one
    the user edited in Anki keeps the edit, with no conflict, whatever the
    policy; no card moves."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1CodeUpgradeDoc000000000", "Code")
    doc.text_highlight("1HlCode001", "a highlight", page=3)
    doc.card("1CodeCard1", basic("<p>first?</p>", "<pre>x = 1\n    y()</pre>"), ref="text-highlight:1HlCode001")
    doc.card("1CodeCard2", basic("<p>second?</p>", '<pre style="color: red">z</pre>'),
             ref="text-highlight:1HlCode001")
    doc.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "6")
    monkeypatch.setattr(style, "PRE_STYLE", "overflow-x:auto")
    monkeypatch.setattr(html, "_TAG_ACTIONS", {})
    run(col, library, state, conflict_policy=policy)
    assert note_of(col, "1CodeCard1")["Back"].startswith('<pre style="overflow-x:auto">x = 1')
    edited = note_of(col, "1CodeCard1")
    edited["Back"] = edited["Back"].replace("x = 1", "x = 2  # mine", 1)
    col.update_note(edited)
    before = scheduling(col)

    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 1 and scheduling(col) == before
    mine = note_of(col, "1CodeCard1")["Back"]
    assert mine.startswith('<pre style="overflow-x:auto">x = 2  # mine')  # the user's field, as they left it
    other = note_of(col, "1CodeCard2")["Back"]
    assert other.startswith('<pre style="overflow-x:auto;text-align:start;color:#ff0000">z')
    assert run(col, library, state, conflict_policy=policy).updated == 0  # once


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_tables_and_figures_of_render_version_7_follow_once_and_keep_anki_edits(col, tmp_path, monkeypatch,
                                                                               policy: str) -> None:
    """Render version 8 gives every <table> its own scrolling (a wide table
    scrolled the whole answer sideways at 400 px), keeps CKEditor 5's
    figures and writes an embedded video as a link. Notes version 7 wrote
    (its fields and hashes below, what its sanitiser made of these cards)
    follow once; one the user edited in Anki keeps the edit, with no
    conflict, whatever the policy; no card moves."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1TableUpgradeDoc00000000", "Tables")
    doc.text_highlight("1HlTable01", "a highlight", page=2)
    cards = {  # id: (front, back as Polar 2.x / 1.x wrote them, the field version 7 wrote, its name)
        "1TableCk01": ("<p>ports?</p>", '<figure class="table"><table><tbody><tr><td>port</td><td>443</td></tr>'
                       "</tbody></table></figure>", "<table><tbody><tr><td>port</td><td>443</td></tr></tbody></table>",
                       "Back"),
        "1TableSn01": ("<p>cells?</p>",
                       '<table class="table table-bordered"><tbody><tr><td>a</td></tr></tbody></table>',
                       "<table><tbody><tr><td>a</td></tr></tbody></table>", "Back"),
        "1MediaCk01": ('<p>Watch:</p><figure class="media"><oembed url="https://youtu.be/abc"></oembed></figure>',
                       "<p>a talk</p>", "<p>Watch:</p>", "Front"),
    }
    for cid, (front, back, _, _) in cards.items():
        doc.card(cid, basic(front, back), ref="text-highlight:1HlTable01")
    doc.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "7")
    run(col, library, state, conflict_policy=policy)
    with sqlite3.connect(state) as db:  # as version 7 left them
        for cid, (_, _, v7, name) in cards.items():
            note = note_of(col, cid)
            i = [f["name"] for f in note.note_type()["flds"]].index(name)
            user, block = split_block(note.fields[i])
            note.fields[i] = v7 + block
            col.update_note(note)
            row = db.execute("SELECT fields FROM cards WHERE guid = ?", (note.guid,)).fetchone()
            hashes = json.loads(row[0])
            old, plus, old_block = hashes[i].partition("+")
            hashes[i] = field_hash(v7) + plus + old_block
            db.execute("UPDATE cards SET fields = ? WHERE guid = ?", (json.dumps(hashes), note.guid))
    db.close()
    edited = note_of(col, "1TableCk01")
    edited["Back"] = edited["Back"].replace("443", "443 (HTTPS, mine)", 1)
    col.update_note(edited)
    before = scheduling(col)

    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 2 and scheduling(col) == before
    mine = note_of(col, "1TableCk01")["Back"]
    assert mine.startswith("<table><tbody><tr><td>port</td><td>443 (HTTPS, mine)</td>")  # as the user left it
    assert note_of(col, "1TableSn01")["Back"].startswith(f'<table style="{style.TABLE_STYLE}"><tbody><tr><td>a</td>')
    assert note_of(col, "1MediaCk01")["Front"] == (
        '<p>Watch:</p><figure style="margin:1em 0"><a href="https://youtu.be/abc">https://youtu.be/abc</a></figure>')
    assert run(col, library, state, conflict_policy=policy).updated == 0  # once


def as_earlier_block(col: Any, state: Path, whole_field: bool) -> None:
    """Rewrite the block of every note as an earlier version wrote it (no
    styles), with the hashes it remembered: of the whole field (versions 2
    and 3) or ``text+block`` (versions 4 to 6)."""
    if whole_field:
        as_version_2(col, state)
        return
    with sqlite3.connect(state) as db:
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            row = db.execute("SELECT fields FROM cards WHERE guid = ?", (note.guid,)).fetchone()
            hashes = json.loads(row[0])
            for i, value in enumerate(note.fields):
                user, block = split_block(value)
                if block:
                    note.fields[i] = user + STYLE.sub("", block)
                    hashes[i] = f"{hashes[i].partition('+')[0]}+{field_hash(STYLE.sub('', block))}"
            col.update_note(note)
            db.execute("UPDATE cards SET fields = ? WHERE guid = ?", (json.dumps(hashes), note.guid))
    db.close()


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
@pytest.mark.parametrize("whole_field", [True, False], ids=["whole-field-hash", "block-hash"])
def test_text_typed_inside_a_block_of_an_earlier_version_is_kept(col, tmp_path, monkeypatch, policy: str,
                                                                 whole_field: bool) -> None:
    """An editor's caret at the end of Back lands inside the block: a note
    typed at the end of the answer is inside the block an earlier version
    wrote. The upgrade writes every block anew: what was typed is kept,
    before the new block, with no conflict and no card moved. Was: a
    conflict "context changed in Polar" (polar_wins: the typing lost) or,
    under a whole-field hash, the typing silently dropped."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1TypedUpgradeDoc00000000", "Typed")
    doc.text_highlight("1HlTyped01", "the highlighted sentence", page=2)
    doc.card("1TypedCrd1", basic("q1", "a1"), ref="text-highlight:1HlTyped01", page=2)
    doc.card("1TypedCrd2", basic("q2", "a2"), ref="text-highlight:1HlTyped01", page=2)
    doc.card("1TypedClz1", cloze("{{c1::one}} two"), "CLOZE", ref="text-highlight:1HlTyped01", page=2)
    doc.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "2" if whole_field else "6")
    run(col, library, state, conflict_policy=policy)
    as_earlier_block(col, state, whole_field)
    for card_id, field, edit in [("1TypedCrd1", "Back", None), ("1TypedCrd2", "Back", "a2, mine"),
                                 ("1TypedClz1", "Back Extra", None)]:
        note = note_of(col, card_id)
        user, block = split_block(note[field])
        note[field] = (edit or user) + block[: -len("</div>")] + " my note</div>"
        col.update_note(note)
    before = scheduling(col)

    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert scheduling(col) == before
    for card_id, field, mine in [("1TypedCrd1", "Back", "a1 my note"), ("1TypedCrd2", "Back", "a2, mine my note"),
                                 ("1TypedClz1", "Back Extra", " my note")]:
        user, block = split_block(note_of(col, card_id)[field])
        assert user == mine and 'style="' in block and "my note" not in block
    assert run(col, library, state, conflict_policy=policy).updated == 0


@pytest.mark.parametrize("stock", [True, False], ids=["stock-types", "own-types"])
def test_an_epub_card_s_line_names_its_section_once_upgraded_keeping_edits_and_reviews(col, tmp_path, monkeypatch,
                                                                                       stock: bool) -> None:
    """Polar numbers an EPUB's pages by its sections: render version 8 wrote
    "p. 3" for a page no reader shows. Version 9 writes "§ 3"; the next sync
    re-renders the EPUB's notes once, keeping what the user typed into the
    answer and every card's schedule and review history; a PDF's line and
    its note are left as they were."""
    import addon.render.context as context

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    book = Doc(library, "1EpubUpgradeBook00000001", "Moby-Dick", pages=40)
    book.meta["docInfo"]["filename"] = "1EpubStashId.epub"
    book.text_highlight("1HlEpub001", "Call me Ishmael.", page=3)
    book.card("1CardEpub1", basic("Who speaks first?", "Ishmael"), ref="text-highlight:1HlEpub001", page=3)
    paper = Doc(library, "1PdfUpgradePaper00000001", "Bigtable")
    paper.text_highlight("1HlPdf0001", "a sparse map", page=3)
    paper.card("1CardPdf01", basic("What is Bigtable?", "a map"), ref="text-highlight:1HlPdf0001", page=3)
    book.write()
    paper.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "8")
    monkeypatch.setattr(context, "SECTION_HTML", "p.&nbsp;{page}")  # as version 8 wrote an EPUB's line
    run(col, library, state, use_stock_note_types=stock)
    epub = note_of(col, "1CardEpub1")
    assert "p.&nbsp;3" in epub.cards()[0].answer()
    epub["Back"] = epub["Back"].replace("Ishmael", "Ishmael (the narrator, mine)", 1)
    if stock:  # typed at the end of the answer, where the caret lands: inside the block
        epub["Back"] = epub["Back"][: -len("</div>")] + " see ch. 1</div>"
    col.update_note(epub)
    before = studied(col, "1CardEpub1", "1CardPdf01")
    pdf_mod = note_of(col, "1CardPdf01").mod

    monkeypatch.undo()
    report = run(col, library, state, use_stock_note_types=stock)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 1  # the EPUB's note only
    epub = note_of(col, "1CardEpub1")
    shown = epub.cards()[0].answer()
    assert "§&nbsp;3" in shown and "p.&nbsp;3" not in shown
    assert epub["Back"].startswith("Ishmael (the narrator, mine)")  # the user's words stay
    if stock:
        user, block = split_block(epub["Back"])
        assert user == "Ishmael (the narrator, mine) see ch. 1" and "§&nbsp;3" in block
    else:
        assert epub["Source"].endswith("§&nbsp;3")
    assert "p.&nbsp;3" in note_of(col, "1CardPdf01").cards()[0].answer()
    assert note_of(col, "1CardPdf01").mod == pdf_mod
    assert (scheduling(col), col.db.scalar("SELECT count() FROM revlog")) == before
    assert run(col, library, state, use_stock_note_types=stock).updated == 0  # once


@pytest.mark.parametrize("label", ["p. {page}", "S. {page}"], ids=["english", "german"])
def test_a_source_line_edited_in_anki_stays_through_the_epub_section_upgrade(col, tmp_path, monkeypatch,
                                                                             label: str) -> None:
    """The own types' Source field, edited in Anki (the book's full title
    typed in): version 9's "§ 3" for an EPUB is a new rendering, not a
    change in Polar. Was: a conflict "changed in Polar and in Anki; Polar
    version kept", the person's title lost. Now the edit stays, its "p. 3"
    (or the collection's "S. 3") renamed "§ 3", no conflict; once."""
    import addon.render.context as context
    from addon.settings import Settings
    from addon.sync.engine import sync

    def run_with_label() -> Any:
        settings, _ = Settings.from_dict({"use_stock_note_types": False})
        return sync(col, settings._replace(page_label=label), state, source_path=library)

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    book = Doc(library, "1EpubEditedSource0000001", "Moby-Dick", pages=40)
    book.meta["docInfo"]["filename"] = "1EpubStashId.epub"
    book.card("1CardEpubS", basic("Who speaks first?", "Ishmael"), page=3)
    book.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "8")
    monkeypatch.setattr(context, "SECTION_HTML", "p.&nbsp;{page}")
    if label != "p. {page}":  # as version 8 wrote it in that collection: its page words
        monkeypatch.setattr(context, "SECTION_HTML", label.replace(" ", "&nbsp;"))
    run_with_label()
    note = note_of(col, "1CardEpubS")
    words = label.replace(" ", "&nbsp;").replace("{page}", "3")
    assert note["Source"] == f'<span class="polar-title">Moby-Dick</span>&nbsp;· {words}'
    note["Source"] = note["Source"].replace("Moby-Dick", "Moby-Dick; or, The Whale")
    col.update_note(note)

    monkeypatch.undo()
    report = run_with_label()
    assert report.conflicts == [] and report.errors == [] and report.updated == 1
    assert note_of(col, "1CardEpubS")["Source"] == (
        '<span class="polar-title">Moby-Dick; or, The Whale</span>&nbsp;· §&nbsp;3')
    again = run_with_label()
    assert again.updated == 0 and again.conflicts == []


@pytest.mark.parametrize("stock", [True, False], ids=["stock-types", "own-types"])
def test_an_area_highlight_s_picture_gets_its_alt_once_keeping_edits_and_reviews(col, tmp_path, monkeypatch,
                                                                                  stock: bool) -> None:
    """Render version 10: an area highlight's picture has an alt (its source
    line's words), where a screen reader said the file's name. The next sync
    rewrites the notes with a picture once, keeping what the user typed and
    every card's schedule; a note without a picture is not written."""
    import addon.render.context as context
    import addon.sync.plan as plan

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    (library / "files" / "image").mkdir(parents=True)
    (library / "files" / "image" / "1ChartShot000001.png").write_bytes(PNG)
    paper = Doc(library, "1AreaAltPaper00000000001", "The Forgetting Curve")
    paper.area_highlight("1AreaHl001", "1ChartShot000001.png", page=7)
    paper.card("1CardArea1", basic("What does the chart show?", "Retention falls"), ref="area-highlight:1AreaHl001",
               page=7)
    paper.text_highlight("1HlText001", "memory decays", page=2)
    paper.card("1CardText1", basic("What decays?", "memory"), ref="text-highlight:1HlText001", page=2)
    paper.write()
    monkeypatch.setattr(read, "RENDER_VERSION", "9")
    monkeypatch.setattr(context, "_picture_alt", lambda shared, page: "")  # as version 9 wrote the picture
    monkeypatch.setattr(plan, "image_alt", lambda source: "")
    run(col, library, state, use_stock_note_types=stock)
    area = note_of(col, "1CardArea1")
    assert "<img" in area.cards()[0].answer() and "alt=" not in area.cards()[0].answer()
    area["Back"] = area["Back"].replace("Retention falls", "Retention falls (fast, mine)", 1)
    col.update_note(area)
    before = studied(col, "1CardArea1", "1CardText1")
    text_mod = note_of(col, "1CardText1").mod

    monkeypatch.undo()
    report = run(col, library, state, use_stock_note_types=stock)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 1  # the picture's note only
    area = note_of(col, "1CardArea1")
    assert 'alt="The Forgetting Curve · p. 7"' in area.cards()[0].answer()
    assert area["Back"].startswith("Retention falls (fast, mine)")
    if not stock:
        assert re.fullmatch(r'<img src="[^"]+" alt="The Forgetting Curve · p\. 7">', area["Image"])
    assert note_of(col, "1CardText1").mod == text_mod
    assert (scheduling(col), col.db.scalar("SELECT count() FROM revlog")) == before
    assert run(col, library, state, use_stock_note_types=stock).updated == 0  # once


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_colours_of_render_version_10_get_their_mix_once_keeping_edits_and_reviews(col, tmp_path, monkeypatch,
                                                                                  policy: str) -> None:
    """Render version 11: a colour with a night (or light) variant gets a
    color-mix() before its light-dark(), for Anki 23.10 to 25.x, whose web
    view knows no light-dark() (navy text unreadable in their night mode).
    The next sync rewrites the notes holding such a colour once; one edited
    in Anki keeps the edit, no conflict, whatever the policy; every card's
    schedule is kept; a note without such a colour is not written."""
    import addon.render.inline_style as inline_style

    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = Doc(library, "1ColourMixDoc0000000000", "Colours")
    doc.text_highlight("1HlColMix1", "a highlight", page=1)
    navy = '<p><span style="color: rgb(0, 0, 139);">navy</span> words</p>'
    marked = '<p><span style="background-color: rgb(255, 255, 0);">marked</span> words</p>'
    doc.card("1ColMixNavy", basic("<p>navy?</p>", navy), ref="text-highlight:1HlColMix1")
    doc.card("1ColMixMark", basic("<p>marked?</p>", marked), ref="text-highlight:1HlColMix1")
    doc.card("1ColMixRed1", basic("<p>red?</p>", '<p><span style="color: red;">red</span></p>'),
             ref="text-highlight:1HlColMix1")
    doc.write()

    def themed_v10(prop: str, c: Any, light: Any, night: Any) -> List[str]:
        written = inline_style.hex_of(c)
        if light is None and night is None:
            return [f"{prop}:{written}"]
        pair = f"{inline_style.hex_of(light) if light else written},{inline_style.hex_of(night) if night else written}"
        return [f"{prop}:{written}", f"{prop}:light-dark({pair})"]

    monkeypatch.setattr(read, "RENDER_VERSION", "10")
    monkeypatch.setattr(inline_style, "_themed", themed_v10)
    monkeypatch.setattr(html, "_TAG_ACTIONS", {})  # (the sanitiser's tags worked out once: version 10's apart)
    run(col, library, state, conflict_policy=policy)
    assert "color-mix(" not in note_of(col, "1ColMixNavy")["Back"]
    edited = note_of(col, "1ColMixMark")
    edited["Back"] = edited["Back"].replace("marked</span> words", "marked</span> words (mine)", 1)
    col.update_note(edited)
    before = studied(col, "1ColMixNavy", "1ColMixMark", "1ColMixRed1")
    red_mod = note_of(col, "1ColMixRed1").mod

    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 1  # the navy note only: the edited one keeps the user's version
    assert "color:color-mix(in srgb,#00008b 44%,CanvasText);color:light-dark(#00008b,#8585ff)" in \
        note_of(col, "1ColMixNavy")["Back"]
    assert "words (mine)" in note_of(col, "1ColMixMark")["Back"]
    assert note_of(col, "1ColMixRed1").mod == red_mod
    assert (scheduling(col), col.db.scalar("SELECT count() FROM revlog")) == before
    assert run(col, library, state, conflict_policy=policy).updated == 0  # once
