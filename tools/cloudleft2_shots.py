"""Screenshots of a document still being written when Sync from Polar reads
it (branch ``cloudleft2``), to look at (not for docs/): a real sync in real
Anki of the sample library with one state.json cut short a moment before
(a file-syncing service writing it in place), the watcher off; the tooltip
it shows over the main window and its report, 400 px wide, light and
night, in English and the languages named.

    .venv/bin/python tools/cloudleft2_shots.py OUT_DIR [LANG …]   (after make build; de when none)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import sample_shots  # noqa: E402
import words_shots  # noqa: E402

DOC = "1HowHttpsWorksCapture0c"


def _shots(session: Any, library: Path, out: Path, lang: str) -> List[Path]:
    from aqt.theme import Theme

    path = library / DOC / "state.json"
    whole = path.read_bytes()
    written = []
    mw = session.mw
    controller = session.controller
    try:
        for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
            mw.set_theme(theme)
            mw.resize(400, 360)
            session.wait_until(lambda: not controller.runner.busy and not controller._debounce.isActive(),
                               what="the re-read")
            path.write_bytes(whole[: len(whole) // 2])  # being written in place, as the sync reads it
            before = controller.runner.finished_count
            controller.sync_now()
            session.wait_until(lambda b=before: controller.runner.finished_count > b and not controller.runner.busy,
                               what="Sync from Polar")
            assert controller.last_outcome.report.being_written, "the document was read whole"
            session.process(0.4)
            name = out / f"tooltip-cloudleft2-{lang}-{tag}-400.png"
            sample_shots._with_tooltip(mw, mw.grab().toImage()).save(str(name))
            written.append(name)
            data, label, when, changes = controller.last_report
            report = controller.show_report(data, label, when, changes)
            report.resize(400, 520)
            name = out / f"report-cloudleft2-{lang}-{tag}-400.png"
            words_shots._save(report, name, session)
            report.close()
            written.append(name)
            path.write_bytes(whole)
    finally:
        path.write_bytes(whole)
        mw.set_theme(Theme.LIGHT)
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-cloudleft2-") as (session, library):
        written = words_shots.in_each_language(session, lambda lang: _shots(session, library, out, lang), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
