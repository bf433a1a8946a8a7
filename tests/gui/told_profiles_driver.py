"""Run by test_addon_life.py in a process of its own (it switches profiles):
what a notice told "once a session" is told once for each profile, not once
for the Anki run (dev-notes/beside.md, "Decks that hold cards back, said
right").

1. profile A opens and syncs the library; its "Default" preset is set to 0
   new cards a day; a card more, synced as at a start: the notice says the
   cards are held back; another card, the same way: not again (told);
2. Switch Profile to B: Sync from Polar there (its first); its own
   "Default" preset at 0 too, a card more synced as at a start: the notice
   says it for B's deck of the same name (the old code: quiet, as told in A);
3. back to A: a card more, synced as at a start: still told (quiet).

Usage: told_profiles_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON
"""

from __future__ import annotations

import html
import sys
import traceback
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).parent))

import anki_harness  # noqa: E402
from addon_life_driver import finish  # noqa: E402

from tests.polar_factory import Doc, basic  # noqa: E402

OTHER = "Zweites Profil"
DOC = "1ToldProfilesDoc00000001"


def main(base: Path, library: Path, addon_file: Path, result: Path) -> int:
    return finish(lambda seen: run(base, library, addon_file, seen), result)


def run(base: Path, library: Path, addon_file: Path, seen: Dict[str, Any]) -> None:
    doc = Doc(library, DOC, "Held", tags=["deck:Held back"])
    doc.card("1ToldP000", basic("<p>First?</p>", "<p>yes</p>"))
    doc.write()
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False})
    mw, c = anki.mw, anki.controller
    mw.pm.create(OTHER)
    sys.excepthook = lambda kind, value, tb: seen["errors"].append("".join(traceback.format_exception(kind, value, tb)))
    added = [0]

    def idle() -> bool:
        return not c.runner.busy and not c.runner.pending

    def switch_to(name: str) -> None:
        mw.unloadProfile(lambda: (mw.pm.load(name), mw.loadProfile()))
        anki.wait_until(lambda: mw.col is not None and mw.pm.name == name and mw.state == "deckBrowser",
                        what=f"profile {name} to open")
        anki.wait_until(idle, what="nothing queued")

    def no_new_cards() -> None:
        cfg = mw.col.decks.get_config(1)
        cfg["new"]["perDay"] = 0
        mw.col.decks.update_config(cfg)

    def sync(trigger: str) -> Dict[str, Any]:
        """A card more, synced by ``trigger``: the rows of held-back decks,
        and whether a notice said it."""
        if c.notice is not None:
            c.notice.close()
            c.notice = None
        added[0] += 1
        doc.card(f"1ToldP{added[0]:03d}", basic(f"<p>More {added[0]}?</p>", "<p>yes</p>"))
        doc.write()
        count = c.runner.finished_count
        if trigger == "manual":
            c.sync_now()
        else:
            c.runner.request(trigger)
        anki.wait_until(lambda: c.runner.finished_count > count and idle(), what=f"{trigger} sync")
        rows = [(w.get("deck"), w.get("count")) for w in c.last_outcome.report.warnings
                if w.get("code") == "new_cards_held"]
        notice = c.notice
        told = notice is not None and "held back" in html.unescape(notice.text())
        return {"profile": mw.pm.name, "created": c.last_outcome.report.created, "rows": rows, "told": told}

    anki.wait_until(lambda: c.runner.finished_count >= 1 and idle(), what="A's startup sync")
    no_new_cards()
    seen["a_first"] = sync("startup")
    seen["a_again"] = sync("startup")

    switch_to(OTHER)
    seen["b_by_hand"] = sync("manual")  # B's first sync (20 new cards a day yet)
    no_new_cards()
    seen["b_first"] = sync("startup")
    seen["b_again"] = sync("startup")

    switch_to(anki_harness.PROFILE)
    seen["a_back"] = sync("startup")
    anki_harness.shutdown(anki)


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5])))
