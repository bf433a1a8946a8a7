"""Screenshots of the setting "Deleted in Anki" in real Anki, to look at (not
for docs/): the Settings window scrolled to it, and the report of a deck
deleted in Anki with its notes, made again (the default) and left deleted,
a preview after that (the notes stay deleted), and the note type Basic
deleted with its notes (named in the row); each 400 px wide, light and night, English and German
(or English and the languages named after OUT_DIR: de fr ja …).

    .venv/bin/python tools/deleted_in_anki_shots.py OUT_DIR [LANG …]   (after make build)
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import words_shots  # noqa: E402


def _sync(session: Any) -> Any:
    words_shots._trigger(session, "Sync from Polar")
    return session.controller.last_outcome


def _biggest_deck(col: Any) -> str:
    decks = Counter(col.decks.name(col.get_card(col.find_cards(f"nid:{nid}")[0]).did)
                    for nid in col.find_notes("tag:polar"))
    return decks.most_common(1)[0][0]


def _shots(session: Any, out: Path, lang: str, reports: List[Any]) -> List[Path]:
    from aqt.qt import QComboBox, QScrollArea
    from aqt.theme import Theme

    controller, mw = session.controller, session.mw
    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        mw.set_theme(theme)
        dialog = controller.open_settings()
        dialog.resize(400, 640)
        session.process(0.3)
        combo = dialog.findChild(QComboBox, "polar_sync_setting_deleted_in_anki")
        dialog.findChild(QScrollArea).ensureWidgetVisible(combo, 0, 220)
        name = out / f"settings-deleted-in-anki-{lang}-{tag}-400.png"
        words_shots._save(dialog, name, session)
        dialog.reject()
        written.append(name)
        for what, data in reports:
            name = out / f"report-{what}-{lang}-{tag}-400.png"
            written.append(words_shots.report_shot(session, data, "manual", name))
    mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-keepdeleted-") as (session, library):
        controller = session.controller
        col = session.mw.col
        reports = []
        for setting in ("make_again", "leave_deleted"):
            session.set_config(deleted_in_anki=setting)
            session.wait_until(lambda: not controller.runner.busy, 60, "a sync the change asked for")
            deck = _biggest_deck(col)
            col.decks.remove([col.decks.id_for_name(deck)])
            outcome = _sync(session)
            codes = [w["code"] for w in outcome.report.warnings]
            print(setting, deck, codes, "created", outcome.report.created)
            reports.append((setting.replace("_", "-"), outcome.report.to_dict()))
        # A preview after that (Leave them deleted still set): the notes stay deleted, said in a row.
        words_shots._trigger(session, "Preview (dry run)…")
        preview = controller.last_outcome
        print("preview", [w["code"] for w in preview.report.warnings])
        controller.report_dialog.close()
        reports.append(("preview-after-left", preview.report.to_dict()))
        # A note type deleted with its notes: named in the row.
        col.models.remove(col.models.by_name("Basic")["id"])
        outcome = _sync(session)
        print("note type", [(w["code"], w.get("note_types")) for w in outcome.report.warnings])
        reports.append(("note-type-left", outcome.report.to_dict()))
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, reports), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
