"""Screenshots of report rows whose words the wordsnew round read, to look
at (not for docs/): a report of the sample library's sync with the rows of a
Polar card whose note was changed to a type of the other kind (both ways),
new notes following notes moved to a type of the person's, and new notes held
back by a limit of 0 reviews a day (one deck, and decks sharing a preset);
each 400 px wide, light and night, in English and the languages named.

    .venv/bin/python tools/wordsnew_shots.py OUT_DIR [LANG …]   (after make build; de fr when none)

The rows are added to the real report's data as the sync would have written
them (their codes and fields), so the window shows each one's words.
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


def _rows(path: str) -> List[Dict[str, Any]]:
    return [
        {"path": path, "message": "", "code": "kind_changed_kept", "cloze": True, "card": "a1",
         "front": "The {{c1::mitochondria}} is the powerhouse of the cell", "notetype": "Basic", "field": "Front"},
        {"path": path, "message": "", "code": "kind_changed_kept", "card": "a2",
         "front": "What is spaced repetition?", "notetype": "Cloze", "field": "Text"},
        {"path": path, "message": "", "code": "notes_followed", "notetype": "Vocab", "stock": "Basic"},
        {"path": path, "message": "", "code": "new_cards_held", "count": 3, "deck": "bio", "limited_by": "bio",
         "limit": "reviews"},
        {"path": path, "message": "", "code": "new_cards_held", "count": 12, "preset": "Default",
         "decks": ["a", "b", "c", "d", "e", "f"], "limit": "reviews"},
    ]


def _shots(session: Any, out: Path, lang: str, data: Dict[str, Any]) -> List[Path]:
    from aqt.theme import Theme

    written = []
    rows = data["warnings"]
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        session.mw.set_theme(theme)
        for what, shown in (("types", rows[:3]), ("limits", rows[3:])):
            written.append(words_shots.report_shot(session, dict(data, warnings=shown), "manual",
                                                   out / f"report-wordsnew-{what}-{lang}-{tag}-400.png", 760))
    session.mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-wordsnew-") as (session, library):
        controller = session.controller
        data = controller.last_outcome.report.to_dict()
        path = next(iter(data.get("sources") or {}), str(library))
        data["warnings"] = _rows(path)
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, data), ["de", "fr"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
