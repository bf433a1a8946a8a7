"""Screenshots of a preview's rows in real Anki, to look at (not for docs/):
the report window of a preview after a note was deleted in Anki (a row under
"Warnings": it would be made again), and of a preview after notes were left
deleted (a row under "Good to know": they stay deleted); each 400 px wide,
light and night, English and German (or English and the languages named
after OUT_DIR: de fr ja …). Branch previewrows.

    .venv/bin/python tools/previewrows_shots.py OUT_DIR [LANG …]   (after make build)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import words_shots  # noqa: E402


def _preview(session: Any) -> Any:
    words_shots._trigger(session, "Preview (dry run)…")
    outcome = session.controller.last_outcome
    session.controller.report_dialog.close()
    return outcome


def _shots(session: Any, out: Path, lang: str, reports: List[Tuple[str, Any]]) -> List[Path]:
    from aqt.theme import Theme

    mw = session.mw
    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        mw.set_theme(theme)
        for what, data in reports:
            name = out / f"preview-{what}-{lang}-{tag}-400.png"
            written.append(words_shots.report_shot(session, data, "preview", name))
    mw.set_theme(Theme.LIGHT)
    return written


def _set(session: Any, setting: str) -> None:
    session.set_config(deleted_in_anki=setting)
    session.wait_until(lambda: not session.controller.runner.busy, 60, "a sync the change asked for")


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-previewrows-") as (session, library):
        controller = session.controller
        col = session.mw.col
        polar = sorted(col.find_notes("tag:polar"))
        col.remove_notes(polar[:1])
        mod = col.mod
        made_again = _preview(session)
        assert col.mod == mod, "the preview wrote"
        print("preview, made again:", [w["code"] for w in made_again.report.warnings])
        _set(session, "leave_deleted")  # (its sync leaves the note deleted, and says so)
        col.remove_notes(polar[1:3])
        words_shots._trigger(session, "Sync from Polar")
        print("sync, left deleted:", [w["code"] for w in controller.last_outcome.report.warnings])
        left = _preview(session)
        print("preview, left deleted:", [w["code"] for w in left.report.warnings])
        # "Front" of Basic renamed, a new card in Polar: a note type made for it, the preview says.
        from tests.polar_factory import Doc, basic

        model = col.models.by_name("Basic")
        col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == "Front"), "Question")
        col.models.update_dict(model)
        book = Doc(library, "1ShotNewType00000001", "A new book")
        book.card("1ShotNew1", basic("<p>Why?</p>", "<p>So.</p>")).write()
        replaced = _preview(session)
        print("preview, front renamed:", [w["code"] for w in replaced.report.warnings])
        reports = [("made-again", made_again.report.to_dict()), ("left-deleted", left.report.to_dict()),
                   ("front-renamed", replaced.report.to_dict())]
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, reports), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
