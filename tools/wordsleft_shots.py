"""Screenshots of what branch ``wordsleft`` changed, to look at (not for
docs/): a report whose tree lists sub-decks too long for 400 px (cut at
their "::", each deck's own name whole) with a document opened (its cards'
"(page 3)") and a row headed by a card and its page (the same "(page 3)");
and a preview of a new note whose area-highlight picture is kept online
only (the row in the preview's tense). 400 px wide, light and night, in
English and the languages named.

    .venv/bin/python tools/wordsleft_shots.py OUT_DIR [LANG …]   (after make build; de when none)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import words_shots  # noqa: E402

DECKS = ["computer science::algorithms", "computer science::operating systems", "computer science::databases",
         "computer science::systems::networking", "computer science::theory::compilers", "Biology::Cells"]


def _changes(dry_run: bool) -> List[Dict[str, Any]]:
    rows = []
    for n, deck in enumerate(DECKS):
        for k in range(5 + 7 * n):
            kind = "created" if k % 3 else "updated"
            rows.append({"kind": kind, "change": kind, "deck": deck, "document": f"1WordsLeftDoc{n:07d}",
                         "title": f"{deck.split('::')[-1].title()} in practice", "note_id": None if dry_run and
                         kind == "created" else 1_700_000_000_000 + n * 1000 + k, "front": f"Question {k + 1} of "
                         f"chapter {n + 1}?", "card": f"1Card{n}x{k}", "page": 1 + k // 2})
    return rows


CARD_ROW: Dict[str, Any] = {
    "path": "1WordsLeftDoc0000000/state.json#1Card0x7", "code": "cloze_without_deletion",
    "document": "1WordsLeftDoc0000000", "title": "Algorithms in practice", "card": "1Card0x7", "page": 3,
    "front": "Question 8 of chapter 1?", "message": "cloze card without a cloze deletion; skipped"}

PICTURE_ROW: Dict[str, Any] = {
    "path": "1HzT3kPqRsVw7xYzAbCe/state.json#1CardPic01", "code": "highlight_image_online_only",
    "document": "1HzT3kPqRsVw7xYzAbCe", "title": "Molecular Biology of the Cell", "card": "1CardPic01", "page": 42,
    "front": "Which organelle is shown here?", "file": "12pNUvQDcoRDUbNNKHcz.png", "service": "iCloud Drive",
    "message": "image '12pNUvQDcoRDUbNNKHcz.png' of the area highlight on page 42 is kept online only by iCloud "
               "Drive: the new note has no picture yet, and gets it at the first sync after the image is downloaded"}


def _shot(session: Any, data: Dict[str, Any], trigger: str, name: Path, height: int) -> Path:
    """The report window, 400 px wide, its first document opened (its
    cards listed), saved to ``name`` and closed."""
    report = session.controller.show_report(data, session.addon.trigger_label(trigger), time.time())
    report.resize(400, height)
    session.process(0.3)
    tree = report.tree
    deck = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(0) == "computer science::algorithms")
    deck.setExpanded(True)
    deck.child(0).setExpanded(True)
    session.process(0.2)
    report.share_room()
    words_shots._save(report, name, session)
    report.close()
    return name


def _shots(session: Any, out: Path, lang: str, data: Dict[str, Any]) -> List[Path]:
    from aqt.theme import Theme

    written = []
    synced = dict(data, created=sum(1 for r in _changes(False) if r["kind"] == "created"),
                  updated=sum(1 for r in _changes(False) if r["kind"] == "updated"), errors=[CARD_ROW], warnings=[],
                  conflicts=[], changes=_changes(False))
    preview = dict(synced, dry_run=True, errors=[], warnings=[PICTURE_ROW], changes=_changes(True))
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        session.mw.set_theme(theme)
        written.append(_shot(session, synced, "manual", out / f"report-wordsleft-{lang}-{tag}-400.png", 760))
        written.append(_shot(session, preview, "preview", out / f"preview-wordsleft-{lang}-{tag}-400.png", 760))
    session.mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-wordsleft-") as (session, library):
        data = session.controller.last_outcome.report.to_dict()
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, data), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
