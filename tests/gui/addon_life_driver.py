"""Run by test_addon_life.py in a process of its own (the add-on is deleted
and Anki quits, which no shared Anki may see): Polar Sync updated and then
deleted while Anki runs, as Tools ▸ Add-ons does it.

1. Anki starts with ADDON_FILE and syncs LIBRARY;
2. NEWER_FILE is installed over it (Anki's "Install from file", which an
   AnkiWeb update also runs): its modules fail when imported, so anything
   the running version imports from the new files shows;
3. the running version goes on: a change Polar saves, Sync from Polar, the
   sync log, the settings window, a preview's report;
4. the add-on is deleted through the Add-ons window's Delete button;
5. a change Polar saves, then Anki quits through its own exit path.

Usage: addon_life_driver.py BASE LIBRARY ADDON_FILE NEWER_FILE RESULT_JSON
Writes what was seen as JSON (the test checks it).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402

DEBOUNCE_MS = 300


def touch_a_document(library: Path) -> None:
    """Polar saving a document: its state.json rewritten with a new title."""
    state = sorted(library.glob("*/state.json"))[0]
    data = json.loads(state.read_text(encoding="utf-8"))
    data["docInfo"]["title"] = str(data["docInfo"].get("title", "")) + " (edited)"
    state.write_text(json.dumps(data), encoding="utf-8")


def finish(story: Callable[[Dict[str, Any]], None], result: Path) -> int:
    """Run a driver's ``story`` into ``seen`` (its failure noted in
    ``seen["errors"]``), write ``seen`` to ``result`` and end the process.
    Shared by this module's, profiles_driver's and told_profiles_driver's
    ``main``."""
    seen: Dict[str, Any] = {"errors": []}
    try:
        story(seen)
    except Exception:
        seen["errors"].append(traceback.format_exc())
    result.write_text(json.dumps(seen), encoding="utf-8")
    for stream in (sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    # Not the interpreter's finalisation: PyQt's atexit clean-up after an
    # in-process Anki now and then segfaults (see tests/gui/conftest.py).
    os._exit(0)


def main(base: Path, library: Path, addon_file: Path, newer_file: Path, result: Path) -> int:
    return finish(lambda seen: run(base, library, addon_file, newer_file, seen), result)


def run(base: Path, library: Path, addon_file: Path, newer_file: Path, seen: Dict[str, Any]) -> None:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch_debounce_ms": DEBOUNCE_MS})
    mw, c = anki.mw, anki.controller
    errors: List[str] = seen["errors"]

    def caught(kind: Any, value: Any, tb: Any) -> None:
        errors.append("".join(traceback.format_exception(kind, value, tb)))

    sys.excepthook = caught  # what would reach Anki's error window

    def synced_after(count: int, what: str, timeout: float = anki_harness.WAIT_S) -> None:
        anki.wait_until(lambda: c.runner.finished_count > count and not c.runner.busy and not c.runner.pending,
                        timeout, what)

    synced_after(0, "the startup sync")
    folder = Path(mw.addonManager.addonsFolder(anki_harness.PACKAGE))
    seen["user_files_before"] = sorted(p.name for p in (folder / "user_files").iterdir())
    seen["data_dir_before"] = mw.addonManager.getConfig(anki_harness.PACKAGE)["data_dir"]

    # 2. the update
    installed = mw.addonManager.install(str(newer_file))
    seen["installed"] = getattr(installed, "name", repr(installed))
    seen["human_version"] = mw.addonManager.addon_meta(anki_harness.PACKAGE).human_version
    seen["user_files_after"] = sorted(p.name for p in (folder / "user_files").iterdir())
    seen["data_dir_after"] = mw.addonManager.getConfig(anki_harness.PACKAGE)["data_dir"]

    # 3. the running version goes on
    count = c.runner.finished_count
    touch_a_document(library)
    synced_after(count, "the watcher's sync after the update")
    seen["watch_after_update"] = c.last_outcome.report.summary()
    count = c.runner.finished_count
    c.sync_now()
    synced_after(count, "Sync from Polar after the update")
    seen["manual_after_update"] = c.last_outcome.report.summary()
    seen["windows"] = []
    for name, opener in (("log", c.open_log), ("settings", c.open_settings)):
        try:
            window = opener()
            anki.process(0.2)
            seen["windows"].append(name)
            window.close()
        except Exception:
            errors.append(traceback.format_exc())
    count = c.runner.finished_count
    c.preview()
    synced_after(count, "the preview")
    if c.report_dialog is not None:
        seen["windows"].append("report")
        c.report_dialog.close()

    # 4. Delete in Tools ▸ Add-ons
    import aqt
    import aqt.addons

    dialog = aqt.dialogs.open("AddonsDialog", mw.addonManager)
    rows = [i for i, meta in enumerate(dialog.addons) if meta.dir_name == anki_harness.PACKAGE]
    dialog.form.addonList.setCurrentRow(rows[0])
    aqt.addons.askUser = lambda *_a, **_k: True  # "Delete the selected add-on?" ▸ Yes
    dialog.onDelete()
    dialog.close()
    anki.process(0.2)
    seen["folder_after_delete"] = folder.exists()
    seen["menu_after_delete"] = [a.text() for a in mw.form.menuTools.actions() if "Polar" in a.text()]

    # 5. Polar saves again; nothing of ours may run, then Anki quits
    count = c.runner.finished_count
    touch_a_document(library)
    anki.process(3 * DEBOUNCE_MS / 1000 + 1.0)
    seen["syncs_after_delete"] = c.runner.finished_count - count
    seen["folder_before_quit"] = folder.exists()
    try:
        anki_harness.shutdown(anki)
        seen["exit"] = 0
    except RuntimeError as exc:
        seen["exit"] = str(exc)
    seen["folder_after_quit"] = folder.exists()


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:6])))
