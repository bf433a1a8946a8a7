"""Run by test_addon_life.py in a process of its own (it switches profiles):
two Anki profiles, one Polar library (Anki keeps one add-on config for all
profiles).

1. profile A opens and syncs the library by itself;
2. Switch Profile to B (never synced): nothing of the library may arrive
   by itself, neither as the profile opens nor when Polar saves a change;
3. Tools ▸ Sync from Polar in B: the cards come, and later changes follow;
4. back to A: it syncs by itself as before.

Usage: profiles_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).parent))

import anki_harness  # noqa: E402
from addon_life_driver import DEBOUNCE_MS, finish, touch_a_document  # noqa: E402

OTHER = "Zweites Profil"


def main(base: Path, library: Path, addon_file: Path, result: Path) -> int:
    return finish(lambda seen: run(base, library, addon_file, seen), result)


def run(base: Path, library: Path, addon_file: Path, seen: Dict[str, Any]) -> None:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch_debounce_ms": DEBOUNCE_MS})
    mw, c = anki.mw, anki.controller
    mw.pm.create(OTHER)
    sys.excepthook = lambda kind, value, tb: seen["errors"].append("".join(traceback.format_exception(kind, value, tb)))

    def idle() -> bool:
        return not c.runner.busy and not c.runner.pending and not c._debounce.isActive()

    def polar_notes() -> int:
        return len(mw.col.find_notes("tag:polar"))

    def switch_to(name: str) -> None:
        mw.unloadProfile(lambda: (mw.pm.load(name), mw.loadProfile()))
        anki.wait_until(lambda: mw.col is not None and mw.pm.name == name and mw.state == "deckBrowser",
                        what=f"profile {name} to open")

    anki.wait_until(lambda: c.runner.finished_count >= 1 and idle(), what="A's startup sync")
    seen["a_notes"] = polar_notes()

    switch_to(OTHER)
    count = c.runner.finished_count
    anki.process(1.0)
    touch_a_document(library)
    anki.process(3 * DEBOUNCE_MS / 1000 + 1.0)
    anki.wait_until(idle, what="nothing queued")
    seen["b_syncs_by_itself"] = c.runner.finished_count - count
    seen["b_notes_by_itself"] = polar_notes()
    seen["b_watching"] = c.watcher is not None

    count = c.runner.finished_count
    c.sync_now()
    anki.wait_until(lambda: c.runner.finished_count > count and idle(), what="Sync from Polar in B")
    seen["b_notes_by_hand"] = polar_notes()
    count = c.runner.finished_count
    touch_a_document(library)
    anki.wait_until(lambda: c.runner.finished_count > count and idle(), what="B's watcher sync")
    seen["b_watch"] = c.last_outcome.report.summary()

    count = c.runner.finished_count
    switch_to(anki_harness.PROFILE)
    anki.wait_until(lambda: c.runner.finished_count > count and idle(), what="A's startup sync again")
    seen["a_again"] = c.last_outcome.report.summary()
    anki_harness.shutdown(anki)


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5])))
