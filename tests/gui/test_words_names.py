"""The report's list of what changed names documents as a person knows them
(eyes9): a document's tooltip was its Polar key ("1ag3DiKsWi…"), a note's
"<key>#<card id>", and two documents of one title ("Introduction" of two
books, Polar's "Untitled") were one item, counted together, with the key of
the first as tooltip. Real Anki, a real sync of a real library."""

from __future__ import annotations

import pytest

from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

KEYS = ("1NamesPhysics00000001", "1NamesChemistry000001", "1NamesWebCapture00001", "1NamesUntitled0000001")


def _library(anki) -> None:
    physics = Doc(anki.library, KEYS[0], title="Introduction", tags=["deck:Names"])
    physics.meta["docInfo"]["filename"] = "12Ji9JDcRn-intro-to-physics.pdf"
    physics.card("1NmPhy1", basic("<p>What is a force?</p>", "<p>A push or a pull.</p>"), page=2)
    chemistry = Doc(anki.library, KEYS[1], title="Introduction", tags=["deck:Names"])
    chemistry.meta["docInfo"]["filename"] = "1Zt8DxQ4kP-intro-to-chemistry.pdf"
    chemistry.card("1NmChe1", basic("<p>What is a mole?</p>", "<p>6.022e23 of something.</p>"))
    chemistry.card("1NmChe2", basic("<p>What is a bond?</p>", "<p>Shared electrons.</p>"))
    web = Doc(anki.library, KEYS[2], title="How HTTPS works", tags=["deck:Names"])
    web.meta["docInfo"].update(filename="1aYMbsa64k-how-https-works.phz", url="https://howhttps.works/")
    web.card("1NmWeb1", basic("<p>What does TLS add?</p>", "<p>Privacy.</p>"))
    untitled = Doc(anki.library, KEYS[3], title="", tags=["deck:Names"])
    untitled.meta["docInfo"]["filename"] = "1ag3DiKsWi-bigtable.pdf"
    untitled.card("1NmUnt1", basic("<p>What is a tablet?</p>", "<p>A range of rows.</p>"))
    for doc in (physics, chemistry, web, untitled):
        doc.write(atomic=True)


def test_documents_in_the_report_are_named_by_title_file_and_address_never_by_key(anki):
    anki.settle()
    anki.set_config(watch=False)
    dialog = None
    try:
        _library(anki)
        c = anki.controller
        done = c.runner.finished_count
        c.runner.request("manual")
        outcome = anki.wait_synced(done)
        data = outcome.report.to_dict(outcome.change_rows)
        assert outcome.report.created >= 4
        dialog = c.show_report(data, "manual", outcome.finished, outcome.changes)
        anki.anki.process(0.2)
        tree = dialog.tree
        decks = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}
        deck = decks["Names"]
        docs = {deck.child(i).text(0): deck.child(i) for i in range(deck.childCount())}
        # Two books of one title: two items, each told by its file, counted apart.
        # An untitled document: by its file as imported, not the stash's "1ag3DiKsWi-bigtable.pdf".
        assert set(docs) == {"Introduction (intro-to-physics.pdf)", "Introduction (intro-to-chemistry.pdf)",
                             "How HTTPS works", "bigtable.pdf"}, set(docs)
        assert docs["bigtable.pdf"].toolTip(0) == "bigtable.pdf"
        assert docs["Introduction (intro-to-chemistry.pdf)"].text(1) == "2 new notes"
        assert docs["Introduction (intro-to-physics.pdf)"].text(1) == "1 new note"
        assert docs["Introduction (intro-to-physics.pdf)"].toolTip(0) == "Introduction\nintro-to-physics.pdf"
        assert docs["How HTTPS works"].toolTip(0) == "How HTTPS works\nhttps://howhttps.works/"
        # A note: its whole front and where it is.
        item = docs["Introduction (intro-to-physics.pdf)"]
        item.setExpanded(True)
        anki.anki.process(0.1)
        assert item.childCount() == 1
        assert item.child(0).toolTip(0) == "What is a force?\n“Introduction” (page 2)"
        tips = [deck.toolTip(0)] + [d.toolTip(0) for d in docs.values()] + [item.child(0).toolTip(0)]
        assert not any(key in tip or key[:10] in tip for tip in tips for key in KEYS + ("1ag3DiKsWi",)), tips
        assert not any("1NmPhy1" in tip for tip in tips), tips
    finally:
        if dialog is not None:
            dialog.close()
        for key in KEYS:
            (anki.library / key / "state.json").unlink(missing_ok=True)
            (anki.library / key).rmdir()
        anki.set_config(watch=True)
    anki.settle()
