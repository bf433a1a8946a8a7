#!/usr/bin/env python3
"""Render the docs' screenshots from real Anki (`make screenshots`).

First session: docs/tools-menu.png, docs/report-window.png, docs/open-at-page.png,
docs/document-window.png and the words shots (tools/words_shots.py). Anki
starts headless (tools/anki_harness.py) with the built add-on and a copy of
the sample library in which one document is broken and one card was edited
on both sides, syncs, and grabs the Tools menu (with the Polar Sync submenu
open) and the report window the notice opens.

Second session (a fresh Anki in a subprocess, ``--cards-only``): the
reviewer, question | answer, for each card kind (tools/card_shots.py), with
the stock note types and then the own types, light and night mode, 400 px
wide: docs/cards/<kind>-<stock|own>-<light|night>.png.

Third session (``--cards-de``): the same reviewer shots in a German Anki
whose collection's first sync was German (own types, "S. N"), light only:
docs/cards/<kind>-de-light.png.

Usage: python tools/screenshots.py [--cards-only | --cards-de | --library-missing REVIEW_DIR] [--out DIR]
(builds dist/polar_sync.ankiaddon first)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402
import build_addon  # noqa: E402
import card_shots  # noqa: E402
import viewer_shots  # noqa: E402
import words_shots  # noqa: E402

ROOT = anki_harness.ROOT
DOCS = ROOT / "docs"
SAMPLE = ROOT / "tools" / "sample_library"


def _break_library(library: Path) -> None:
    # Cut short, as after a crash mid-save: the report must name the file.
    # Dated a minute back (the crash's time): a file cut short seconds before
    # a sync is taken as still being written (read.WRITING_NS), read later.
    victim = library / "1HowHttpsWorksCapture0c" / "state.json"
    victim.write_bytes(victim.read_bytes()[:300])
    aged = time.time() - 60
    os.utime(victim, (aged, aged))


def _grab_menu(session: anki_harness.Anki, out: Path) -> None:
    from aqt.qt import QImage, QPainter, QPoint, Qt

    mw = session.mw
    tools = mw.form.menuTools
    tools.popup(mw.mapToGlobal(QPoint(40, 40)))
    session.process(0.3)
    sub_action = next(a for a in tools.actions() if a.text() == "Polar Sync")
    tools.setActiveAction(sub_action)
    submenu = sub_action.menu()
    submenu.popup(tools.mapToGlobal(QPoint(tools.width() - 8, tools.actionGeometry(sub_action).top())))
    session.process(0.3)
    left, right = tools.grab().toImage(), submenu.grab().toImage()
    top = tools.actionGeometry(sub_action).top()
    image = QImage(left.width() + right.width() - 8, max(left.height(), top + right.height()),
                   QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.drawImage(0, 0, left)
    painter.drawImage(left.width() - 8, top, right)
    painter.end()
    image.save(str(out))
    submenu.hide()
    tools.hide()


def _sync(session: anki_harness.Anki, action: str = "Sync from Polar") -> None:
    controller = session.controller
    before = controller.runner.finished_count
    next(a for a in session.mw.form.menuTools.actions() if a.text() == action).trigger()
    session.wait_until(lambda: controller.runner.finished_count > before, 60, "the sync")


@contextmanager
def _card_session(lang: str = "en_US") -> Iterator[Tuple[anki_harness.Anki, Path, Path]]:
    """A fresh headless Anki on a copy of the sample library, its profile's
    interface in ``lang``, after its startup sync: (session, library, the
    folder the reviewer shots go to). Shut down and cleaned up after."""
    build_addon.build(anki_harness.DIST)
    work = Path(tempfile.mkdtemp(prefix=f"polar-sync-cards-{lang}-"))
    out = DOCS / "cards"
    out.mkdir(parents=True, exist_ok=True)
    try:
        library = work / "polar"
        shutil.copytree(SAMPLE, library)
        anki_harness.prepare_environment(offscreen=True)
        base = work / "anki-base"
        anki_harness.seed_base(base, lang=lang)
        session = anki_harness.start(base, config={"data_dir": str(library), "watch": False}, event_loop_waits=True)
        try:
            controller = session.controller
            session.wait_until(lambda: controller.runner.finished_count >= 1, 30, "the startup sync")
            yield session, library, out
        finally:
            anki_harness.shutdown(session)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cards_session() -> None:
    """The reviewer shots: the shot cards with the stock types, then the same
    cards under new ids synced with the own types."""
    with _card_session() as (session, library, out):
        controller = session.controller
        card_shots.write_library(library, "Stock", "Shots::stock")
        _sync(session)
        written = card_shots.grab_cards(session, "Shots::stock", "stock", out)
        card_shots.write_library(library, "Own", "Shots::own")
        before = controller.runner.finished_count
        controller._write_config(use_stock_note_types=False)  # syncs, as the settings window's OK does
        session.wait_until(lambda: controller.runner.finished_count > before, 60, "the sync with the own types")
        written += card_shots.grab_cards(session, "Shots::own", "own", out)
    print(f"wrote {len(written)} reviewer shots in {out}")


def german_cards_session() -> None:
    """The reviewer in a German Anki whose profile's first sync was German:
    own note types, the context's page as "S. N" (sync/page_label.py)."""
    with _card_session("de_DE") as (session, library, out):
        card_shots.write_library(library, "De", "Shots::de")  # (draws its image with Qt: once it runs)
        _sync(session, "Aus Polar synchronisieren")
        written = card_shots.grab_cards(session, "Shots::de", "de", out, night=False)
    print(f"wrote {len(written)} German reviewer shots in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards-only", action="store_true", help="only the reviewer shots (docs/cards/)")
    parser.add_argument("--library-missing", metavar="REVIEW_DIR",
                        help="only the missing-library message (docs/, and EN/DE light/night at 400 px in REVIEW_DIR)")
    parser.add_argument("--cards-de", action="store_true", help="only the German reviewer shots (docs/cards/*-de-*)")
    parser.add_argument("--out", type=Path, help="write the shots there instead of docs/ (e.g. to compare Ankis)")
    args = parser.parse_args()
    global DOCS
    if args.out:
        DOCS = args.out.resolve()
    out_args = ["--out", str(DOCS)] if args.out else []
    if args.cards_only:
        cards_session()
        return
    if args.cards_de:
        german_cards_session()
        return
    if args.library_missing:
        with _card_session() as (session, library, _out):
            written = words_shots.library_missing(session, library, DOCS, Path(args.library_missing))
        print("wrote " + ", ".join(str(p) for p in written))
        return
    build_addon.build(anki_harness.DIST)
    work = Path(tempfile.mkdtemp(prefix="polar-sync-shots-"))
    try:
        # The library where Polar keeps it, in a home folder of the shots' own, set as a
        # person would type it: the Settings pictures show "~/.polar", not a temp path.
        home = work / "home"
        library = home / ".polar"
        shutil.copytree(SAMPLE, library)
        os.environ["HOME"] = str(home)
        viewer_shots.write_document(library)
        anki_harness.prepare_environment(offscreen=True)
        base = work / "anki-base"
        anki_harness.seed_base(base)
        written: list = []
        session = anki_harness.start(base, config={"data_dir": "~/.polar", "watch": False}, event_loop_waits=True)
        try:
            controller = session.controller
            session.wait_until(lambda: controller.runner.finished_count >= 1, 30, "the startup sync")
            DOCS.mkdir(exist_ok=True)
            _grab_menu(session, DOCS / "tools-menu.png")
            viewer_shots.grab(session, library, DOCS)
            written = words_shots.before_break(session, library, DOCS)

            _break_library(library)
            # The same card edited in Anki and in Polar: the report shows a conflict.
            col = session.mw.col
            note = col.get_note(col.find_notes('"back:*before*memory*"')[0])
            note["Back"] += " (my own words)"
            col.update_note(note)
            state = library / "1SpacedRepetitionIntro0a" / "state.json"
            state.write_text(state.read_text().replace("the memory would fade.", "you would forget it."))
            before = controller.runner.finished_count
            next(a for a in session.mw.form.menuTools.actions() if a.text() == "Sync from Polar").trigger()
            session.wait_until(lambda: controller.runner.finished_count > before, 30, "the sync")
            session.wait_until(lambda: controller.notice is not None, 10, "the notice")
            controller.notice.on_click()
            dialog = controller.report_dialog
            dialog.resize(760, 560)
            session.process(0.5)
            dialog.grab().save(str(DOCS / "report-window.png"))
            dialog.close()
            written += words_shots.after_report(session, DOCS, _grab_menu, library)
        finally:
            anki_harness.shutdown(session)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {DOCS / 'tools-menu.png'}, {DOCS / 'report-window.png'}, {DOCS / 'open-at-page.png'}, "
          f"{DOCS / 'document-window.png'} and {', '.join(p.name for p in written)}")
    # A fresh Anki: the first one ends in German, with a broken library.
    subprocess.run([sys.executable, __file__, "--cards-only", *out_args], check=True)
    subprocess.run([sys.executable, __file__, "--cards-de", *out_args], check=True)


if __name__ == "__main__":
    main()
