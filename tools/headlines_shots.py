"""Screenshots of report windows whose headline used to contradict its rows,
in real Anki, to look at (not for docs/): a sync whose only change from Polar
lost to Anki's text (a conflict, "Edited in both" set to keep Anki's), a sync
with a document that could not be read, and a preview with that document
still unreadable; each 400 px wide, light and night, English and German (or
English and the languages named after OUT_DIR). Branch headlines. And the
notice of a sync from a Polar export whose Polar 3 flashcards could not be
synced, beside its count (the counts alone hid them), over the main window.

    .venv/bin/python tools/headlines_shots.py OUT_DIR [LANG …]   (after make build)
"""

from __future__ import annotations

import sys
import tempfile
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


def _shots(session: Any, out: Path, lang: str, reports: List[Tuple[str, str, Any]],
           prefix: str = "headline") -> List[Path]:
    from aqt.theme import Theme

    mw = session.mw
    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        mw.set_theme(theme)
        for what, trigger, data in reports:
            name = out / f"{prefix}-{what}-{lang}-{tag}-400.png"
            written.append(words_shots.report_shot(session, data, trigger, name))
    mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    from tests.polar_factory import Doc, basic

    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    docs: Dict[str, Any] = {}
    # (tools.polar_export imports the add-on's package: before Anki runs, where that installs nothing)
    from tools.polar_export import EXPORT_NAME, annotated_document_blocks, block_basic, write_export

    def export(folder: Path) -> Path:
        """A Polar 2.x export of one document, with two Polar 3 flashcards
        of a document not in it."""
        doc = Doc(folder / "polar", "1ShotExportBlocks001", "Spaced repetition")
        doc.card("1ShotExpCard1", basic("<p>What spaces reviews out?</p>", "<p>The scheduler.</p>")).write()
        elsewhere = annotated_document_blocks({"fingerprint": "1ShotNotExported", "title": "Gone"},
                                              [block_basic("front", "back")] * 2)
        return write_export(folder / "Downloads" / EXPORT_NAME, [doc.meta], blocks=elsewhere)

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
        with tempfile.TemporaryDirectory(prefix="polar-sync-headlines-export-") as tmp:
            runner = session.controller.runner
            before = runner.finished_count
            session.set_config(data_dir=str(export(Path(tmp))))  # (the export chosen in the settings)
            session.wait_until(lambda: runner.finished_count > before and not runner.busy, 120, "the export's sync")
            data = session.addon.report_data(session.controller.last_outcome)
            print("export sync:", data.get("created"), [r["code"] for r in data["warnings"]])
            written += words_shots.in_each_language(session, lambda lang: _notice_shots(session, out, lang, data),
                                                    ["de"])
    print("wrote " + ", ".join(p.name for p in written))


def _notice_shots(session: Any, out: Path, lang: str, data: Dict[str, Any]) -> List[Path]:
    from aqt.theme import Theme

    written = []
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        session.mw.set_theme(theme)
        written.append(words_shots.notice_shot(session, data, out / f"notice-blocks-{lang}-{tag}-400.png"))
    session.mw.set_theme(Theme.LIGHT)
    return written

if __name__ == "__main__":
    main()
