#!/usr/bin/env python3
"""A new user's first start on a messy library (eyes11): the bundled samples,
120 synthetic documents / 1,500 cards, 12 documents cut short as after a
crash mid-save, an emptied one, one garbled from its first byte, one of the
wrong shape, a very long title and Hebrew, Arabic and Japanese titles.
Real Anki, headless, the built add-on with its default settings; grabs the
report (760 px; 400 px light and night), its list of what changed with the
long and right-to-left titles (400 px light and night, 760 px) and the sync
log (400 px) into build/messy/<lang>/, and writes the report's JSON there.

Usage: python tools/messy_shots.py [--lang de_DE] (~1 min a language; a CJK
font such as fonts-wqy-microhei must be installed to judge the Japanese).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402
import build_addon  # noqa: E402
import synthetic_library  # noqa: E402
from polar_files import ARCHETYPES, empty_page  # noqa: E402

ROOT = anki_harness.ROOT
TITLES = {
    "1LongTitle00000000001": "Designing Data-Intensive Applications: The Big Ideas Behind Reliable, Scalable, and "
                             "Maintainable Systems (Second Edition, Early Release, Chapters 1 through 12 with "
                             "Annotations)",
    "1Hebrew0000000000001": "מבוא לתורת הקבוצות — הרצאות",
    "1Arabic0000000000001": "مقدمة في الخوارزميات",
    "1Japanese00000000001": "プログラミング言語の設計と実装について",
}


def _document(library: Path, fp: str, title: str, cards: int = 2) -> Path:
    meta: dict = {
        "annotationInfo": {}, "version": 2, "attachments": {},
        "docInfo": {"fingerprint": fp, "title": title, "filename": f"{fp}.pdf", "tags": {}, "nrPages": 40,
                    "archived": False, "flagged": False, "added": "2020-05-01T09:00:00.000Z",
                    "lastUpdated": "2020-05-01T09:00:00.000Z", "attachments": {}, "backend": "stash"},
        "pageMetas": {str(n): empty_page(n) for n in range(1, cards + 1)},
    }
    for i in range(cards):
        cid = f"{fp}c{i}"
        meta["pageMetas"][str(i + 1)]["flashcards"][cid] = {
            "id": cid, "guid": cid, "created": "2020-05-01T09:00:00.000Z", "lastUpdated": "2020-05-01T09:00:00.000Z",
            "type": "BASIC_FRONT_BACK", "archetype": ARCHETYPES["BASIC_FRONT_BACK"], "ref": f"page:{i + 1}",
            "fields": {"front": {"HTML": f"<p>Question {i} of {title}</p>"}, "back": {"HTML": f"<p>Answer {i}</p>"}},
            "tags": {},
        }
    (library / fp).mkdir()
    state = library / fp / "state.json"
    state.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return state


def write_library(library: Path) -> None:
    shutil.copytree(ROOT / "tools" / "sample_library", library)
    synthetic_library.generate(library, documents=120, cards=1500, seed=3)
    for fp, title in TITLES.items():
        _document(library, fp, title)
    for i in range(12):  # cut short, as after a crash mid-save
        state = _document(library, f"1Broken{i:014d}", f"Broken book {i}")
        state.write_bytes(state.read_bytes()[:200])
    for fp, text in (("1Empty00000000000001", ""), ("1NotJson000000000001", "<html>not json</html>"),
                     ("1WrongShape000000001", "[1, 2, 3]")):
        _document(library, fp, "x").write_text(text)
    # Damaged a minute ago, as after a crash: one cut short seconds before a
    # sync is still being written to it (read.WRITING_NS), read again later.
    aged = time.time() - 60
    for broken in [library / f"1Broken{i:014d}" / "state.json" for i in range(12)] + [
            library / fp / "state.json" for fp in ("1Empty00000000000001", "1NotJson000000000001",
                                                    "1WrongShape000000001")]:
        os.utime(broken, (aged, aged))


def report_shots(session: Any, dialog: Any, out: Path) -> None:
    """The report window at 760 px and at 400 px, light, and at 400 px at night
    (01-…03-…png in ``out``); Anki left in night mode for ``tree_shots``."""
    from aqt.theme import Theme

    for name, size, theme in (("01-report-760.png", (760, 600), Theme.LIGHT),
                              ("02-report-400.png", (400, 700), Theme.LIGHT),
                              ("03-report-400-night.png", (400, 700), Theme.DARK)):
        session.mw.set_theme(theme)
        dialog.resize(*size)
        session.process(0.6)
        dialog.grab().save(str(out / name))


def tree_shots(session: Any, dialog: Any, out: Path) -> None:
    """The report's list of notes given most of the window (as if the user
    dragged the handle up), 400 px light and night, 760 px (04-…06-…png)."""
    from aqt.theme import Theme

    dialog.room_shared_by_hand = True
    for name, size, theme in (("04-tree-400.png", (400, 700), Theme.LIGHT),
                              ("05-tree-400-night.png", (400, 700), Theme.DARK),
                              ("06-tree-760.png", (760, 600), Theme.LIGHT)):
        session.mw.set_theme(theme)
        dialog.resize(*size)
        session.process(0.3)
        dialog.splitter.setSizes([120, size[1] - 220])
        session.process(0.4)
        dialog.grab().save(str(out / name))
    session.mw.set_theme(Theme.LIGHT)


def shoot(lang: str, out: Path) -> None:

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="polar-sync-messy-"))
    try:
        library = work / "polar"
        write_library(library)
        base = work / "anki-base"
        anki_harness.seed_base(base, lang=lang)
        session = anki_harness.start(base, config={"data_dir": str(library), "watch": False}, event_loop_waits=True)
        try:
            c, mw = session.controller, session.mw
            session.wait_until(lambda: c.runner.finished_count >= 1, 120, "the startup sync")
            outcome = c.last_outcome
            data = outcome.report.to_dict(outcome.change_rows)
            (out / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str))
            label = next(a.text() for a in mw.form.menuTools.actions() if "Polar" in a.text() and a.menu() is None)
            dialog = c.show_report(data, label, outcome.finished, outcome.changes)  # (the menu's words)
            report_shots(session, dialog, out)
            tree = dialog.tree
            for i in range(tree.topLevelItemCount()):
                item = tree.topLevelItem(i)
                if item.childCount() and any(item.child(j).text(0) in TITLES.values()
                                             or item.child(j).text(0).startswith("Designing")
                                             for j in range(item.childCount())):
                    item.setExpanded(True)
                    tree.scrollToItem(item.child(item.childCount() - 1))
            tree_shots(session, dialog, out)
            dialog.close()
            from importlib import import_module

            log = import_module(type(dialog).__module__).show_log(mw)  # (the installed add-on's module)
            log.resize(400, 700)
            session.process(0.6)
            log.grab().save(str(out / "07-log-400.png"))
            log.close()
        finally:
            anki_harness.shutdown(session)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", action="append", help="Anki's language (repeatable; default en_US and de_DE)")
    parser.add_argument("--session", help=argparse.SUPPRESS)  # one language, in this process
    args = parser.parse_args()
    if args.session:
        anki_harness.prepare_environment(offscreen=True)
        shoot(args.session, ROOT / "build" / "messy" / args.session)
        return
    build_addon.build(anki_harness.DIST)
    for lang in args.lang or ["en_US", "de_DE"]:  # each a fresh Anki in its own process
        subprocess.run([sys.executable, __file__, "--session", lang], check=True)
        print(f"wrote {ROOT / 'build' / 'messy' / lang}")


if __name__ == "__main__":
    main()
