"""Run by test_polar_sync_beside_in_anki.py in a process of its own (Qt allows
one Anki per process): real Anki with Polar Sync **and the real AnkiConnect
add-on** installed, Polar's own sync (``tests.polar_anki_sync.PolarAnkiSync``)
calling AnkiConnect over HTTP on 127.0.0.1 as Polar's ``AnkiConnectFetch``
does, and "Sync from Polar" from the Tools menu, in turn, with reviews by
Anki's scheduler in between.

Usage: ankiconnect_driver.py BASE LIBRARY ADDON_FILE ANKICONNECT_DIR PORT ORDER VERSION RESULT_JSON

ORDER ``polar-first``: Polar's sync, then this add-on's (its notes taken
over), every card studied, a card edited in Polar and a new one made,
Polar's sync, this add-on's; then both again, twice.
ORDER ``addon-first``: this add-on's first, then Polar's sync for the first
time on that profile, then the user fixes a front in Anki, then both again.

Writes {"steps": [{"step", "polar"?: {added, found, refused}, "report"?: {...},
"notes", "live", "revlog": {nid: n}, "suspended": [nid]}], "log": [...]}.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

ANKICONNECT_ID = "2055492159"  # its AnkiWeb id, the folder name Anki gives it


def _book(library: Path) -> Any:
    from tests.polar_anki_sync import two_card_book

    return two_card_book(library, "1DocBesideAnki0000000aa")


def _shots(anki: Any, out: Path) -> None:
    """The report of that sync, as a person sees it (``$POLAR_SYNC_SHOTS``: a
    folder to save PNGs in, to look at: light, night, 400 px, German)."""
    from aqt.theme import Theme

    controller, mw = anki.controller, anki.mw
    data = controller.last_outcome.report.to_dict()
    i18n = sys.modules[f"{anki_harness.PACKAGE}.gui.i18n"]
    out.mkdir(parents=True, exist_ok=True)
    for name, theme, width, height, lang in (("light", Theme.LIGHT, 760, 560, None),
                                             ("night", Theme.DARK, 760, 560, None),
                                             ("narrow", Theme.LIGHT, 400, 700, None),
                                             ("de", Theme.LIGHT, 760, 560, "de")):
        mw.set_theme(theme)
        i18n.force(lang)
        dialog = controller.show_report(data, anki.addon.trigger_label("manual"), time.time())
        dialog.resize(width, height)
        anki.process(1.0)
        dialog.grab().save(str(out / f"report-polar-sync-on-{name}.png"))
        dialog.close()
    i18n.force(None)
    mw.set_theme(Theme.LIGHT)
    notice = sys.modules[f"{anki_harness.PACKAGE}.gui.report_text"].notice_text(data)
    (out / "notice.txt").write_text(notice, encoding="utf-8")


def main(base: Path, library: Path, addon_file: Path, ankiconnect: Path, port: int, order: str,
         version: str, result: Path) -> int:
    from tests.polar_anki_sync import AnkiConnectHttp, PolarAnkiSync
    from tests.polar_factory import basic

    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    target = base / "addons21" / ANKICONNECT_ID
    shutil.copytree(ankiconnect, target)
    config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    config["webBindPort"] = port
    (target / "config.json").write_text(json.dumps(config), encoding="utf-8")
    doc = _book(library)
    anki = anki_harness.start(base, addon_file, config={
        "data_dir": str(library), "sync_on_startup": False, "watch": False})
    mw = anki.mw
    steps: List[Dict[str, Any]] = []
    log: List[str] = []
    polar = PolarAnkiSync(AnkiConnectHttp(port), version)

    def off_main(fn: Callable[[], Any]) -> Any:
        """Polar is another program: its HTTP calls wait while Anki's main
        thread runs (AnkiConnect answers from it)."""
        box: Dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as err:  # noqa: BLE001 - carried to the main thread
                box["error"] = err

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        anki.wait_until(lambda: not thread.is_alive(), 120, "Polar's sync over AnkiConnect")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def look(step: str, **extra: Any) -> None:
        col = mw.col
        nids = list(col.db.list("select id from notes order by id"))
        steps.append({
            "step": step, **extra, "notes": nids,
            "live": list(col.db.list("select distinct nid from cards where queue != -1 order by nid")),
            "suspended": list(col.db.list("select distinct nid from cards where queue = -1 order by nid")),
            "revlog": {str(n): col.db.scalar("select count() from revlog where cid in "
                                             "(select id from cards where nid = ?)", n) for n in nids},
            "guids": {str(n): col.db.scalar("select guid from notes where id = ?", n) for n in nids},
        })

    def polar_sync(step: str) -> None:
        run = off_main(lambda: polar.run(library))
        look(step, polar={"added": run.added, "found": run.found, "refused": run.refused})

    def our_sync(step: str) -> None:
        controller = anki.controller
        before = controller.runner.finished_count
        for action in mw.form.menuTools.actions():
            if action.text() == "Sync from Polar":
                action.trigger()
                break
        else:
            raise LookupError("Sync from Polar")
        anki.wait_until(lambda: controller.runner.finished_count > before and not controller.runner.busy
                        and not controller.runner.pending, 120, "Sync from Polar")
        report = controller.last_outcome.report.to_dict()
        look(step, report={k: report[k] for k in ("created", "adopted", "rekeyed", "duplicates",
                                                   "legacy_leftovers", "deleted", "orphaned")}
             | {"codes": [w.get("code", "") for w in report["warnings"]]})

    def study(step: str) -> None:
        col = mw.col
        for cid in col.db.list("select id from cards where queue = 0"):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        look(step)

    try:
        if order == "polar-first":
            polar_sync("polar")
            our_sync("ours")
            study("studied")
            doc.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
            doc.card("1CardBesC01", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlBes0002")
            doc.write()
            polar_sync("polar after an edit")
            our_sync("ours after an edit")
            if os.environ.get("POLAR_SYNC_SHOTS"):
                _shots(anki, Path(os.environ["POLAR_SYNC_SHOTS"]))
        else:
            our_sync("ours")
            study("studied")
            polar_sync("polar")
            col = mw.col
            nid = col.db.scalar("select id from notes where flds like 'What is a process?%'")
            note = col.get_note(nid)
            note["Front"] = "What is a process? (OS)"
            col.update_note(note)
            polar_sync("polar after a fix in Anki")
            our_sync("ours after a fix in Anki")
        for round_ in (1, 2):
            polar_sync(f"polar again {round_}")
            our_sync(f"ours again {round_}")
    except Exception as err:  # noqa: BLE001 - reported in the result
        log.append(f"{type(err).__name__}: {err}")
    finally:
        result.write_text(json.dumps({"steps": steps, "log": log}, indent=1), encoding="utf-8")
        anki_harness.shutdown(anki)
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    sys.exit(main(Path(a[0]), Path(a[1]), Path(a[2]), Path(a[3]), int(a[4]), a[5], a[6], Path(a[7])))
