#!/usr/bin/env python3
"""Libraries of odd sizes in real Anki (branch `scale`): one textbook of
16,000 cards under a 2,000-character title, 3,000 documents each in a deck of
its own (some 12 levels deep), and one document of 10,000 cards that cannot
be synced (empty fronts: 10,000 problem rows). Real Anki, headless, the built
add-on; the startup sync, then grabs the report (400 px light and night,
760 px), its list with the textbook opened, and the sync log (400 px, and night at its line of decks) into
build/scale/, printing how many rows each shows and how big the log is.

Usage: python tools/scale_shots.py (~2 min)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402
import build_addon  # noqa: E402
import messy_shots  # noqa: E402
from polar_files import ARCHETYPES, empty_page  # noqa: E402

ROOT = anki_harness.ROOT
OUT = ROOT / "build" / "scale"
LONG_TITLE = ("A very long title " * 112)[:2000]


def _document(library: Path, fp: str, title: str, cards: int, tags: list, front: str = "Question {i} of {fp}") -> None:
    pages = max(1, min(cards, 5000))
    meta: dict = {
        "annotationInfo": {}, "version": 2, "attachments": {},
        "docInfo": {"fingerprint": fp, "title": title, "filename": f"{fp}.pdf", "nrPages": pages,
                    "tags": {t: {"id": t, "label": t} for t in tags},
                    "archived": False, "flagged": False, "added": "2020-05-01T09:00:00.000Z",
                    "lastUpdated": "2020-05-01T09:00:00.000Z", "attachments": {}, "backend": "stash"},
        "pageMetas": {str(n): empty_page(n) for n in range(1, pages + 1)},
    }
    for i in range(cards):
        cid = f"{fp}c{i}"
        page = 1 + i % pages
        meta["pageMetas"][str(page)]["flashcards"][cid] = {
            "id": cid, "guid": cid, "created": "2020-05-01T09:00:00.000Z", "lastUpdated": "2020-05-01T09:00:00.000Z",
            "type": "BASIC_FRONT_BACK", "archetype": ARCHETYPES["BASIC_FRONT_BACK"], "ref": f"page:{page}",
            "fields": {"front": {"HTML": front.format(i=i, fp=fp)}, "back": {"HTML": f"<p>Answer {i}</p>"}},
        }
    (library / fp).mkdir()
    (library / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")


def write_library(library: Path) -> None:
    library.mkdir()
    _document(library, "1Textbook0000000001", LONG_TITLE, 16000, ["deck:Textbooks"])
    _document(library, "1Problems0000000001", "Cards with empty fronts", 10000, [], front="")
    for i in range(3000):
        deep = "::".join(f"Level{j}" for j in range(12)) if i % 100 == 0 else f"Area{i % 30}"
        _document(library, f"1Doc{i:015d}", f"Document {i}", 1, [f"deck:{deep}::Doc {i}"])


def shoot() -> None:
    from aqt.qt import QApplication, QEvent, QKeyEvent, Qt
    from aqt.theme import Theme

    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="polar-sync-scale-"))
    try:
        library = work / "polar"
        write_library(library)
        base = work / "anki-base"
        anki_harness.seed_base(base)
        session = anki_harness.start(base, config={"data_dir": str(library), "watch": False}, event_loop_waits=True)
        try:
            c, mw = session.controller, session.mw
            session.wait_until(lambda: c.runner.finished_count >= 1, 600, "the startup sync")
            outcome = c.last_outcome
            data = outcome.report.to_dict(outcome.change_rows)
            blob = json.dumps(data, ensure_ascii=False, default=str)
            print("report JSON", len(blob), "chars; problems", len(data.get("problems", [])))
            label = next(a.text() for a in mw.form.menuTools.actions() if "Polar" in a.text() and a.menu() is None)
            t = time.perf_counter()
            dialog = c.show_report(data, label, outcome.finished, outcome.changes)
            session.process(0.1)
            print(f"report opened in {time.perf_counter() - t:.2f} s (one look, not a test)")
            tree = dialog.tree
            print("tree top items", tree.topLevelItemCount() if tree else None)
            messy_shots.report_shots(session, dialog, OUT)
            if tree is not None:
                for i in range(tree.topLevelItemCount()):
                    item = tree.topLevelItem(i)
                    if item.text(0) == "Textbooks":
                        item.setExpanded(True)
                        t = time.perf_counter()
                        item.child(0).setExpanded(True)
                        session.process(0.1)
                        print(f"textbook opened: {item.child(0).childCount()} rows in "
                              f"{time.perf_counter() - t:.2f} s (one look)")
                        tree.scrollToItem(item.child(0))
                messy_shots.tree_shots(session, dialog, OUT)
            mw.set_theme(Theme.LIGHT)
            QApplication.sendEvent(dialog, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape,
                                                     Qt.KeyboardModifier.NoModifier))
            session.process(0.3)
            try:
                closed = not dialog.isVisible()
            except RuntimeError:  # (closed and deleted)
                closed = True
            print("Escape closed the report:", closed)
            from importlib import import_module

            log = import_module(type(dialog).__module__).show_log(mw)
            log.resize(400, 700)
            session.process(0.6)
            log.grab().save(str(OUT / "07-log-400.png"))
            text = log.text.toPlainText()
            print("log", len(text), "chars; longest line", max(len(line) for line in text.splitlines()))
            mw.set_theme(Theme.DARK)
            cursor = log.text.document().find("decks:")  # the summary's line of decks
            log.text.setTextCursor(cursor)
            log.text.centerCursor()
            session.process(0.6)
            log.grab().save(str(OUT / "08-log-decks-400-night.png"))
            mw.set_theme(Theme.LIGHT)
            log.close()
        finally:
            anki_harness.shutdown(session)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if "--session" in sys.argv:
        anki_harness.prepare_environment(offscreen=True)
        shoot()
        return
    build_addon.build(anki_harness.DIST)
    subprocess.run([sys.executable, __file__, "--session"], check=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
