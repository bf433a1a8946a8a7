"""A long background write, seen and safe (real Anki, see conftest.py):
a large quiet write says how far it got without taking a key, ...

Sorted after test_in_anki.py: the startup sync has happened (so a sync here
is not the profile's first: it writes quietly, without Anki's window).
"""

from __future__ import annotations

import shutil
import time
from typing import Any, Dict, List

import pytest

from tests.gui.test_in_anki_background import no_errors
from tests.gui.test_in_anki_beside3 import open_add_window
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

# Enough new cards that their quiet write lasts well over the indicator's
# second (Adding in batches: "Adding notes… 4,000/8,000" between them).
BIG = 8000


def visible_tooltips() -> List[str]:
    """The texts of the tooltip-like windows on screen (Anki's tooltip, the
    add-on's notice): windows that take neither the focus nor a key."""
    from aqt.qt import QApplication, QLabel, Qt

    return [w.text() for w in QApplication.topLevelWidgets()
            if isinstance(w, QLabel) and w.isVisible() and w.windowType() == Qt.WindowType.ToolTip]


def test_a_long_background_write_says_how_far_it_got_and_takes_no_key(anki, qtbot, capfd, monkeypatch):
    """Polar imported a big book since Anki started: the background sync
    adds 8,000 notes while the person types in the Add window, one key
    every 40 ms. Before: nothing at all on screen while it wrote (only the
    closing tooltip). Now a tooltip says "Adding notes… 4,000/8,000" as it
    goes, and every key still reaches the Add window's field."""
    import importlib

    from aqt.qt import QApplication, QTimer, sip

    quiet_progress = importlib.import_module(anki.anki.addon.__name__.rsplit(".", 1)[0] + ".quiet_progress")
    anki.settle()
    runner = anki.controller.runner
    add = open_add_window(anki)
    editor = add.editor
    seen: Dict[str, Any] = {"typed": 0, "to_add": 0, "other_window": [], "texts": [],
                            "write_began": None, "write_ended": None, "shown_at": None}

    def tick() -> None:
        now = time.monotonic()
        if runner._writing and seen["write_began"] is None:
            seen["write_began"] = now
        if seen["write_began"] is not None and not runner._writing and seen["write_ended"] is None:
            seen["write_ended"] = now
        for text in visible_tooltips():
            if "Polar Sync, in the background" in text:
                if seen["shown_at"] is None:
                    seen["shown_at"] = now
                if not seen["texts"] or seen["texts"][-1] != text:
                    seen["texts"].append(text)
        active = QApplication.activeWindow()
        if active is not add:
            seen["other_window"].append(type(active).__name__)
        target = QApplication.focusWidget() or active
        if target is not None:
            qtbot.keyClick(target, "x")
            seen["typed"] += 1
            if target is editor.web.focusProxy():
                seen["to_add"] += 1

    doc = big = Doc(anki.library, "1GuiBeside4BigDoc0001", title="A big import")
    small = None
    for n in range(BIG):
        doc.card(f"1GuiB4b{n:05d}", basic(f"<p>Imported question {n}</p>", f"<p>Imported answer {n}</p>"))
    there = set(anki.mw.col.find_notes(""))
    timer = QTimer()
    timer.setInterval(40)
    timer.timeout.connect(tick)

    def sync_and_watch(what: str, expect_sign: bool = True) -> Any:
        seen.update(texts=[], write_began=None, write_ended=None, shown_at=None)
        before = runner.finished_count
        doc.write(atomic=True)
        outcome = anki.wait_synced(before, 300)
        anki.anki.process(0.5)
        took = seen["write_ended"] - seen["write_began"]
        print(f"{what}: quiet write {took:.2f} s; shown after {(seen['shown_at'] or 0) - seen['write_began']:.2f} s;"
              f" texts {seen['texts']}; keys {seen['typed']}, to Add {seen['to_add']}")
        assert not outcome.failed, outcome.report
        assert bool(seen["texts"]) == expect_sign, seen["texts"] or "nothing on screen while the sync wrote"
        assert not any("Polar Sync, in the background" in t for t in visible_tooltips())  # gone at the end
        return outcome, took

    try:
        timer.start()
        # 8,000 new notes: 0.3-0.5 s of writing here, Polar's edit of their
        # answers 1-2 s (a 50,000-card import takes many seconds): the sign
        # comes sooner for the story than Anki's 0.6 s.
        monkeypatch.setattr(quiet_progress, "SHOW_AFTER_MS", 200)
        outcome, took = sync_and_watch("adding")
        assert outcome.report.created == BIG
        assert any("Adding notes…" in t and f"/{BIG:,}" in t for t in seen["texts"]), seen["texts"]
        assert seen["shown_at"] - seen["write_began"] >= 0.15
        for n in range(BIG):
            doc.find_card(f"1GuiB4b{n:05d}")[1]["fields"]["back"]["HTML"] = f"<p>Imported answer {n}, revised</p>"
        outcome, took = sync_and_watch("updating")
        assert outcome.report.updated == BIG
        assert any("Updating notes…" in t for t in seen["texts"]), seen["texts"]
        # A short write (a small document's one note) at the product's delay: only its notice.
        monkeypatch.undo()
        doc = small = Doc(anki.library, "1GuiBeside4Small0001", title="A short note")
        small.card("1GuiB4s1", basic("<p>Small question</p>", "<p>Small answer</p>"))
        outcome, took = sync_and_watch("one note", expect_sign=False)
        assert outcome.report.created == 1 and took < 0.5, took
        timer.stop()
        assert not seen["other_window"], seen["other_window"][:5]
        assert seen["to_add"] == seen["typed"]
        anki.anki.wait_until(lambda: editor.note.fields[0].count("x") == seen["typed"], 15,
                             "the keys to reach the note")
    finally:
        timer.stop()
        no_errors(capfd)
        add.ifCanClose = lambda on_ok: on_ok()
        add.close()
        anki.anki.wait_until(lambda: sip.isdeleted(add) or not add.isVisible(), 15, "the Add window to close")
        anki.settle()
        count = runner.finished_count
        shutil.rmtree(big.path.parent)
        if small is not None:
            shutil.rmtree(small.path.parent)
        anki.wait_synced(count, 300)
        anki.mw.col.remove_notes(list(set(anki.mw.col.find_notes("")) - there))
        anki.settle()
