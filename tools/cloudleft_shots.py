"""Screenshots of the report rows of a Polar folder kept in a cloud-synced
folder (branch ``cloudleft``), to look at (not for docs/): documents that
reached this computer as iCloud Drive's or Nextcloud's placeholders only
(said once, the rows alike said once: "The same for 2 more:"), and a new
note whose area-highlight picture is kept online only; with the notice a
sync of them shows. 400 px wide, light and night, in English and the
languages named.

    .venv/bin/python tools/cloudleft_shots.py OUT_DIR [LANG …]   (after make build; de when none)

The rows are added to the real report's data as the core writes them (their
paths, codes and details).
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


def _online_only(fp: str, service: str) -> Dict[str, Any]:
    return {"path": f"{fp}/state.json", "code": "online_only", "document": fp, "file": fp, "service": service,
            "message": f"{service} keeps this document's folder online only: its file is not on this computer yet, "
                       "so its cards were not synced; once the folder is downloaded it syncs by itself"}


WARNINGS: List[Dict[str, Any]] = [
    _online_only("1Ab6NuCfWBoWRpmGvyaB", "iCloud Drive"),
    _online_only("1Ct8QzPfXkLmN3sRtUvW", "iCloud Drive"),
    _online_only("1Dx2HjKaYbZc4dEfGhJk", "iCloud Drive"),
    _online_only("1Fm5TpQrSsVw6xYzAbCd", "Nextcloud"),
    {"path": "1HzT3kPqRsVw7xYzAbCe/state.json#1CardPic01", "code": "highlight_image_online_only",
     "document": "1HzT3kPqRsVw7xYzAbCe", "title": "Molecular Biology of the Cell", "card": "1CardPic01", "page": 42,
     "front": "Which organelle is shown here?", "file": "12pNUvQDcoRDUbNNKHcz.png", "service": "iCloud Drive",
     "message": "image '12pNUvQDcoRDUbNNKHcz.png' of the area highlight on page 42 is kept online only by iCloud "
                "Drive: the new note has no picture yet, and gets it at the first sync after the image is downloaded"},
]


def _shots(session: Any, out: Path, lang: str, data: Dict[str, Any]) -> List[Path]:
    from aqt.theme import Theme

    written = []
    rows = dict(data, created=1, updated=0, errors=[], warnings=WARNINGS)
    for theme, tag in ((Theme.LIGHT, "light"), (Theme.DARK, "night")):
        session.mw.set_theme(theme)
        written.append(words_shots.report_shot(session, rows, "startup", out / f"report-cloudleft-{lang}-{tag}-400.png",
                                               1100))
    session.mw.set_theme(Theme.LIGHT)
    written.append(words_shots.notice_shot(session, rows, out / f"notice-cloudleft-{lang}-400.png"))
    return written


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with anki_harness.sample_session("polar-sync-cloudleft-") as (session, library):
        data = session.controller.last_outcome.report.to_dict()
        written = words_shots.in_each_language(session, lambda lang: _shots(session, out, lang, data), ["de"])
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
