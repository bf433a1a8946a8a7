"""The note types a person moved the Polar notes into, in real Anki
(headless, the add-on installed from dist/; branch ``followmoved``,
docs/dev-notes/cards.md): every Polar basic note changed to the person's
"Vocab" (Browse ▸ Change Note Type), stock "Basic" untouched, and a cloze
note changed to "Vocab" too. Polar then edits the cloze and adds a card; the
watcher syncs. The new card is in "Vocab" (before: "Basic"), the changed
cloze note keeps its front (before: Polar's text with its braces), and the
report says both, one row each.

With POLAR_SYNC_SHOTS=<folder>, the report is also saved there as PNGs at
400 px: English and German, light and night (to look at, not compared)."""

from __future__ import annotations

import html
from typing import Any, List

import pytest

from addon.sync.notetypes import FOLLOW_FROM
from tests.gui.test_in_anki_oldcols import _shoot
from tests.polar_factory import Doc, basic, cloze

pytestmark = pytest.mark.anki

DOC = "1GuiFollowMovedDoc01"
BASICS = [f"1GuiFmB{i}" for i in range(FOLLOW_FROM)]


def _note(col: Any, card_id: str) -> Any:
    nid = col.db.scalar("select id from notes where guid = ?", f"polar:{card_id}")
    assert nid, card_id
    return col.get_note(nid)


def _move(col: Any, card_ids: List[str], to: str) -> None:
    """Browse ▸ Notes ▸ Change Note Type, the fields mapped as offered."""
    nids = [_note(col, cid).id for cid in card_ids]
    info = col.models.change_notetype_info(old_notetype_id=col.get_note(nids[0]).mid,
                                           new_notetype_id=col.models.by_name(to)["id"])
    request = info.input
    request.note_ids.extend(nids)
    col.models.change_notetype_of_notes(request)


def test_new_cards_follow_the_moved_notes_and_a_cloze_made_basic_keeps_its_front(anki: Any) -> None:
    mw = anki.mw
    anki.settle()
    col = mw.col
    # (the session's profile is shared: this test's are the only Polar basic notes it moves)
    others = col.db.list("select id from notes where guid like 'polar:%' and mid = ?",
                         col.models.by_name("Basic")["id"])
    doc = Doc(anki.library, DOC, title="Moved notes", tags=["deck:FollowMoved"])
    doc.text_highlight("1GuiFmHl1", "A word and its meaning.", page=1)
    for i, cid in enumerate(BASICS):
        doc.card(cid, basic(f"<p>word {i}</p>", f"<p>meaning {i}</p>"), ref="text-highlight:1GuiFmHl1")
    doc.card("1GuiFmZ1", cloze("<p>The {{c1::capital}} of France</p>"), "CLOZE", ref="text-highlight:1GuiFmHl1")
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == FOLLOW_FROM + 1
    anki.settle()
    anki.wait_progress_closed()
    vocab = col.models.copy(col.models.by_name("Basic"), add=False)
    vocab["name"] = "Vocab"
    col.models.add_field(vocab, col.models.new_field("Mnemonic"))
    col.models.add_dict(vocab)
    parked: List[int] = []
    try:
        if others:  # the earlier tests' basic notes, out of the way for this test
            parked = list(others)
            info = col.models.change_notetype_info(old_notetype_id=col.get_note(parked[0]).mid,
                                                   new_notetype_id=col.models.by_name("Vocab")["id"])
            request = info.input
            request.note_ids.extend(parked)
            col.models.change_notetype_of_notes(request)
        _move(col, BASICS, "Vocab")
        _move(col, ["1GuiFmZ1"], "Vocab")  # (into "Basic", it would keep new notes there: it holds a Polar note)
        made_basic = _note(col, "1GuiFmZ1")
        made_basic["Front"] = "<p>The ___ of France</p>"
        col.update_note(made_basic)

        _, raw = doc.find_card("1GuiFmZ1")
        raw["fields"] = cloze("<p>The {{c1::capital}} of France is Paris</p>")
        doc.card("1GuiFmBnew", basic("<p>new word</p>", "<p>new meaning</p>"))
        before = anki.controller.runner.finished_count
        doc.write()
        report = anki.wait_synced(before).report
        anki.settle()
        anki.wait_progress_closed()
        assert report.errors == [] and report.conflicts == [] and report.created == 1
        assert _note(col, "1GuiFmBnew").note_type()["name"] == "Vocab"
        assert _note(col, "1GuiFmZ1").note_type()["name"] == "Vocab"
        assert _note(col, "1GuiFmZ1")["Front"] == "<p>The ___ of France</p>"
        codes = sorted(w["code"] for w in report.warnings)
        assert codes == ["kind_changed_kept", "notes_followed"], report.warnings
        notice = html.unescape(anki.controller.notice.text())  # the watcher's sync: a notice, not a tooltip
        assert "new notes go to the note type you moved the others into" in notice, notice
        assert "a change from Polar not written into a note whose type you changed" in notice, notice
        _shoot(anki, anki.controller.last_report[0], "followmoved")
    finally:
        _move(col, ["1GuiFmZ1"], "Cloze")
        back = [_note(col, cid).id for cid in BASICS + ["1GuiFmBnew"]] + parked
        info = col.models.change_notetype_info(old_notetype_id=col.models.by_name("Vocab")["id"],
                                               new_notetype_id=col.models.by_name("Basic")["id"])
        request = info.input
        request.note_ids.extend(back)
        col.models.change_notetype_of_notes(request)
        col.models.remove(col.models.by_name("Vocab")["id"])
