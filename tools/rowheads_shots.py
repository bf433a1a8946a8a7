"""Screenshots of report rows about a part of the collection or of the
add-on, to look at (not for docs/): a note type that lacks a field (its
notes' part not written; new notes going to another type), a deck Anki
refused to make, an image not stored, a setting not understood; each row
headed in the reader's words (branch ``rowheads``), 400 px wide, light and
night, in English and the languages named. And the report of a sync that
changed nothing but could not write Polar's change (its headline).

    .venv/bin/python tools/rowheads_shots.py OUT_DIR [LANG …]   (after make build; de when none)

The rows are added to the real report's data as the core writes them (their
paths, codes and details), so the window shows each one's heading and words.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import words_shots  # noqa: E402

ERRORS: List[Dict[str, Any]] = [
    {"path": "deck 'Biology::Cells'", "message": "Anki refused to create it (name too long); its cards went to the "
     "default deck", "code": "deck_refused", "deck": "Biology::Cells"},
    {"path": "media/figure 3.png", "message": "could not store the image: [Errno 28] No space left on device",
     "code": "image_not_stored"},
]
WARNINGS: List[Dict[str, Any]] = [
    {"path": "note type Basic", "message": "note type 'Basic' lacks its field 'Front' (removed or renamed in "
     "Anki): that part of 2 notes could not be written", "code": "fields_missing", "notetype": "Basic",
     "fields": "Front", "count": 2},
    {"path": "note type Vocab", "message": "note type 'Vocab' lacks its field 'Back' (removed or renamed in "
     "Anki); new notes of this kind go to the new note type 'Polar Basic' instead", "code": "notetype_replaced",
     "notetype": "Vocab", "fields": "Back", "new_notetype": "Polar Basic"},
]


def _shots(session: Any, out: Path, lang: str, data: Dict[str, Any]) -> List[Path]:
    from aqt.theme import Theme

    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        session.mw.set_theme(theme)
        written.append(words_shots.report_shot(session, dict(data, errors=ERRORS, warnings=WARNINGS), "manual",
                                               out / f"report-rowheads-{lang}-{tag}-400.png", 900))
        # A later sync that changed nothing but could not write Polar's change: its headline
        quiet = dict(data, created=0, updated=0, unchanged=data.get("created", 0), changes=[], errors=[],
                     warnings=WARNINGS[:1])
        name = out / f"report-notwritten-{lang}-{tag}-400.png"
        written.append(words_shots.report_shot(session, quiet, "manual", name, 600))
    session.mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-rowheads-") as (session, library):
        controller = session.controller
        data = controller.last_outcome.report.to_dict()
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, data), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
