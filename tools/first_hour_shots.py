#!/usr/bin/env python3
"""A new user's first start, in real Anki: a real-sized library over a
collection full of Polar's old sync's notes (docs/dev-notes/words.md, eyes8).

The library: the bundled sample library and Polar's real DocMeta samples
(tools/sample_shots.py) plus a synthetic one of 300 documents / 5,000 cards
(tools/synthetic_library.py). Before the add-on is installed, the profile's
collection gets 2,000 notes as Polar's old AnkiConnect sync made them (in
the profile's stock Basic/Cloze, tagged ``_polar-flashcard`` and
``polar_guid:<id>``): 1,600 of current cards, 400 of cards edited or deleted
since ("Old version: …", ids Polar no longer has). Then Anki starts with the
add-on from dist/ and its default settings ($POLAR_DATA_DIR names the
library, as Polar's own rule does): the first sync runs by itself.

Per language, in build/first-hour/<lang>/: the main window with the notice,
the report at 760 x 560, 400 x 700 and at night, the settings window, the
report's text and its figures (report.json); printed: the notice, Edit ▸
Undo's step and the backups in Anki's backup folder.

Usage: python tools/first_hour_shots.py [--lang en_US --lang de_DE] [--docs] [--out DIR]
(``--docs``: also docs/report-first-sync.png and
docs/report-first-sync-de-400.png). Builds dist/polar_sync.ankiaddon first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402
import build_addon  # noqa: E402
import sample_shots  # noqa: E402
import synthetic_library  # noqa: E402

ROOT = anki_harness.ROOT
OUT = ROOT / "build" / "first-hour"
OLD_NOTES, STILL_CARDS = 2000, 1600
DOCS_SHOTS = {("en_US", "02-report-760.png"): "report-first-sync.png",
              ("de_DE", "03-report-400.png"): "report-first-sync-de-400.png"}


def write_library(library: Path) -> None:
    sample_shots.write_library(library)
    synthetic_library.generate(library, documents=300, cards=5000, seed=8)


def _cards(library: Path) -> List[Tuple[List[str], Any]]:
    cards = []
    for folder in sorted(p for p in library.iterdir() if (p / "state.json").exists()):
        meta = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        tags = (meta["docInfo"].get("tags") or {}).values()
        labels = [t["label"] if isinstance(t, dict) else t for t in tags]
        for page in (meta.get("pageMetas") or {}).values():
            for card in (page.get("flashcards") or {}).values():
                cards.append((labels, card))
    return cards


def _html(field: Any) -> str:
    return str(field.get("HTML") or field.get("TEXT") or field.get("MARKDOWN") or "") if isinstance(field, dict) \
        else str(field)


def old_sync_notes(collection: Path, library: Path, lang: str) -> int:
    """The notes Polar's old sync left, in the profile's stock types."""
    import anki.lang
    from anki.collection import Collection

    anki.lang.set_lang(lang)  # the stock types' names, as Anki's first run makes them
    collection.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(collection))
    try:
        # The stock Basic and Cloze in the profile's language: the first made of each kind.
        models = sorted((m for m in (col.models.get(e.id) for e in col.models.all_names_and_ids()) if m),
                        key=lambda m: m["id"], reverse=True)
        kinds = {m["type"]: m for m in models}
        cards = _cards(library)
        random.Random(8).shuffle(cards)
        for i, (labels, card) in enumerate(cards[:OLD_NOTES]):
            note = col.new_note(kinds[1 if card["type"] == "CLOZE" else 0])
            fields = card["fields"]
            if card["type"] == "CLOZE":
                note.fields[0] = _html(fields["text"])
            else:
                note.fields[0], note.fields[1] = _html(fields["front"]), _html(fields["back"])
            card_id = card["id"]
            if i >= STILL_CARDS:  # edited in Polar since (a new id) or deleted
                note.fields[0] = "Old version: " + note.fields[0]
                card_id = f"1Gone{i:06d}"
            deck = next((t[5:] for t in labels if t.startswith("deck:")), "Default").replace("/", "::")
            note.tags = [t.replace(" ", "_") for t in labels] + ["_polar-flashcard", f"polar_guid:{card_id}"]
            col.add_note(note, col.decks.id(deck))
        return min(len(cards), OLD_NOTES)
    finally:
        col.close()


def grab_cards(session: Any, out: Path) -> None:
    """Question | answer at 400 px, light and night: a Basic and a Cloze
    note taken over from the old sync (in the profile's stock types) and a
    new note of each kind."""
    import card_shots
    from aqt.theme import Theme

    mw = session.mw
    col = mw.col
    picks = []
    for kind in (0, 1):  # basic, cloze
        mids = [m.id for m in col.models.all_names_and_ids() if (col.models.get(m.id) or {}).get("type") == kind]
        taken = [n for n in col.find_notes("tag:polar") if col.get_note(n).mid in mids
                 and col.get_note(n).note_type()["name"] not in ("Polar Basic", "Polar Cloze")]
        fresh = [n for n in col.find_notes('"note:Polar*" tag:polar') if col.get_note(n).mid in mids]
        for label, nids in (("taken-over", taken), ("new", fresh)):
            if nids:
                picks.append((f"{'cloze' if kind else 'basic'}-{label}", col.get_note(nids[0]).card_ids()[0]))
    mw.resize(sample_shots.WIDTH, sample_shots.HEIGHT)
    for mode, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
        mw.set_theme(theme)
        session.process(0.3)
        for name, cid in picks:
            question, answer, _q, _a = card_shots.show_card(session, cid)
            card_shots._side_by_side(question, answer).save(str(out / f"06-{name}-{mode}.png"))
    mw.set_theme(Theme.LIGHT)


def run_session(lang: str, work: Path) -> None:
    from aqt.qt import QPainter, QPoint
    from aqt.theme import Theme

    library = work / "polar"
    out = OUT / lang
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    anki_harness.prepare_environment(offscreen=True)
    base = work / f"base-{lang}"
    anki_harness.seed_base(base, lang=lang)
    made = old_sync_notes(base / anki_harness.PROFILE / "collection.anki2", library, lang)
    os.environ["POLAR_DATA_DIR"] = str(library)  # the add-on's default: $POLAR_DATA_DIR, else ~/.polar
    started = time.time()
    session = anki_harness.start(base, config=None, event_loop_waits=True)
    mw = session.mw
    try:
        mw.resize(1000, 700)
        controller = session.controller
        session.wait_until(lambda: controller.runner.finished_count >= 1 and not controller.runner.busy, 300,
                           "the first sync")
        session.process(0.5)
        backups = sorted(p.name for p in Path(mw.pm.backupFolder()).iterdir())
        print(f"{lang}: {made} old-sync notes; first sync {time.time() - started:.1f} s; "
              f"Undo: {mw.col.undo_status().undo!r}; backups: {backups}")
        image = sample_shots._with_tooltip(mw, mw.grab().toImage())
        notice = controller.notice
        if notice is not None:
            painter = QPainter(image)
            painter.drawImage(mw.mapFromGlobal(notice.mapToGlobal(QPoint(0, 0))), notice.grab().toImage())
            painter.end()
            print(f"{lang}: notice: {notice.text()}")
        image.save(str(out / "01-after-first-start.png"))
        outcome = controller.last_outcome
        data = session.addon.report_data(outcome)  # as the notice's click shows it
        (out / "report.json").write_text(json.dumps({k: v for k, v in data.items() if k != "changes"}, indent=1),
                                         encoding="utf-8")
        trigger = session.addon.trigger_label("startup")

        def show(name: str, width: int, height: int, theme: Any = Theme.LIGHT) -> None:
            mw.set_theme(theme)
            dialog = controller.show_report(data, trigger, outcome.finished, outcome.changes)
            dialog.resize(width, height)
            session.process(0.6)
            dialog.grab().save(str(out / name))
            (out / f"{name}.txt").write_text(dialog.browser.toPlainText(), encoding="utf-8")
            dialog.close()

        show("02-report-760.png", 760, 560)
        show("03-report-400.png", 400, 700)
        show("04-report-night-760.png", 760, 560, Theme.DARK)
        mw.set_theme(Theme.LIGHT)
        settings = controller.open_settings()
        settings.resize(560, 700)
        session.process(0.5)
        settings.grab().save(str(out / "05-settings.png"))
        settings.reject()
        log = controller.open_log()  # Tools ▸ Polar Sync ▸ sync log: the first sync's entry
        log.resize(760, 560)
        session.process(0.5)
        log.grab().save(str(out / "07-sync-log.png"))
        log.close()
        grab_cards(session, out)
    finally:
        anki_harness.shutdown(session)
    print(f"{lang}: shots in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", action="append", help="Anki's interface language (repeatable)")
    parser.add_argument("--docs", action="store_true", help="also copy the docs' shots into docs/")
    parser.add_argument("--session", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="write the shots there instead of build/first-hour/")
    args = parser.parse_args()
    global OUT
    if args.out:
        OUT = args.out.resolve()
    if args.session:
        run_session(args.session, args.work)
        return
    langs = args.lang or ["en_US", "de_DE"]
    build_addon.build(anki_harness.DIST)
    work = Path(tempfile.mkdtemp(prefix="polar-sync-first-hour-"))
    try:
        write_library(work / "polar")
        for lang in langs:  # each a fresh Anki in its own process
            subprocess.run([sys.executable, __file__, "--session", lang, "--work", str(work), "--out", str(OUT)],
                           check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.docs:
        for (lang, name), target in DOCS_SHOTS.items():
            if (OUT / lang / name).exists():
                shutil.copy2(OUT / lang / name, ROOT / "docs" / target)
                print(f"docs/{target}")


if __name__ == "__main__":
    main()
