"""Screenshots of report windows whose headline used to contradict its rows,
in real Anki, to look at (not for docs/): a sync whose only change from Polar
lost to Anki's text (a conflict, "Edited in both" set to keep Anki's), a sync
with a document that could not be read, and a preview with that document
still unreadable; each 400 px wide, light and night, English and German (or
English and the languages named after OUT_DIR). Branch headlines.

    .venv/bin/python tools/headlines_shots.py OUT_DIR [LANG …]   (after make build)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import words_shots  # noqa: E402


def _run(session: Any, title: str) -> Any:
    words_shots._trigger(session, title)
    outcome = session.controller.last_outcome
    if session.controller.report_dialog is not None:
        session.controller.report_dialog.close()
    return outcome


def _shots(session: Any, out: Path, lang: str, reports: List[Tuple[str, str, Any]]) -> List[Path]:
    from aqt.theme import Theme

    mw = session.mw
    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        mw.set_theme(theme)
        for what, trigger, data in reports:
            name = out / f"headline-{what}-{lang}-{tag}-400.png"
            written.append(words_shots.report_shot(session, data, trigger, name))
    mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    from tests.polar_factory import Doc, basic

    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    docs: Dict[str, Any] = {}

    def books(library: Path) -> None:
        docs["book"] = Doc(library, "1ShotBook0000000001", "Spaced repetition")
        docs["book"].card("1ShotCard1", basic("<p>What spaces reviews out?</p>", "<p>The scheduler.</p>")).write()
        docs["other"] = Doc(library, "1ShotBroken00000001", "Notes on memory")
        docs["other"].card("1ShotCard2", basic("<p>Who wrote on forgetting?</p>", "<p>Ebbinghaus.</p>")).write()

    with anki_harness.sample_session("polar-sync-headlines-", books, conflict_policy="anki_wins") as (session, _):
        col = session.mw.col
        # Edited in both: Anki's text kept, Polar's change not in the note.
        nid = col.find_notes('"Front:*spaces reviews*"')[0]
        note = col.get_note(nid)
        note["Front"] = "<p>What spaces my reviews out?</p>"
        col.update_note(note)
        book = docs["book"]
        _, raw = book.find_card("1ShotCard1")
        raw["fields"]["front"]["HTML"] = "<p>What spaces reviews out, and how?</p>"
        book.write()
        conflict = _run(session, "Sync from Polar").report.to_dict()
        print("sync, conflict:", conflict.get("updated"), [r["code"] for r in conflict["conflicts"]])
        # A document that cannot be read.
        docs["other"].path.write_text('{"docInfo": ', encoding="utf-8")
        broken = _run(session, "Sync from Polar").report.to_dict()
        print("sync, unreadable:", [r["code"] for r in broken["errors"]])
        preview = _run(session, "Preview (dry run)…").report.to_dict()
        print("preview, unreadable:", [r["code"] for r in preview["errors"]])
        reports = [("conflict", "manual", conflict), ("unreadable", "manual", broken),
                   ("preview-unreadable", "preview", preview)]
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, reports), ["de"])
    print("wrote " + ", ".join(p.name for p in written))

if __name__ == "__main__":
    main()
