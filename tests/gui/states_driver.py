"""Run by test_states_in_anki.py in a process of its own (Qt allows one Anki
per process): real Anki with Polar Sync starts on a profile whose collection
Anki cannot open (damaged pages, or saved by a newer Anki), every window that
shows is recorded and closed as a person would, then the person opens another
profile from the profile manager.

Usage: states_driver.py BASE LIBRARY ADDON_FILE KIND RESULT_JSON
(KIND: unopenable | damaged | newer). Writes {"windows": [[class, title, text]...],
"other_notes": <notes of the second profile>, "state": mw.state}.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402


def spoil(col: Path, kind: str) -> None:
    if kind == "unopenable":  # the first page (SQLite's header, the schema) overwritten
        with open(col, "r+b") as fh:
            fh.write(b"\x00" * 4096)
    elif kind == "damaged":  # the notes table's first page overwritten: Anki opens it, reading notes fails
        conn = sqlite3.connect(col)
        page_size = conn.execute("pragma page_size").fetchone()[0]
        root = conn.execute("select rootpage from sqlite_master where name = 'notes'").fetchone()[0]
        conn.close()
        with open(col, "r+b") as fh:
            fh.seek((root - 1) * page_size)
            fh.write(b"\xff" * page_size)
    else:  # a schema one newer than this Anki's
        conn = sqlite3.connect(col)
        conn.execute("update col set ver = ver + 1")
        conn.commit()
        conn.close()


def main(base: Path, library: Path, addon_file: Path, kind: str, result: Path) -> int:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    from aqt.profiles import ProfileManager

    pm = ProfileManager(base)
    pm.setupMeta()
    pm.create("Other")
    assert pm.db is not None
    pm.db.close()

    # A real collection, synced from the library by Anki's backend, then spoiled.
    from anki.collection import Collection

    profile = base / anki_harness.PROFILE
    profile.mkdir(exist_ok=True)
    made = Collection(str(profile / "collection.anki2"))
    made.add_note(made.new_note(made.models.by_name("Basic")), made.decks.id("Default"))
    made.close()
    spoil(profile / "collection.anki2", kind)

    import aqt
    from aqt.qt import QApplication, QDialog, QLabel, QMessageBox, QTextBrowser, QTimer

    aqt.AnkiApp.KEY = os.environ["ANKI_SINGLE_INSTANCE_KEY"]
    app = aqt._run(["anki", "-b", str(base), "-p", anki_harness.PROFILE], exec=False)
    mw = aqt.mw
    if not hasattr(mw.pm, "check_for_updates"):
        mw.setup_auto_update = lambda *_: None
    if addon_file.name != "none":  # "none": the same Anki without the add-on, to compare
        mw.addonManager.install(str(addon_file))
        mw.addonManager.writeConfig(anki_harness.PACKAGE, {"data_dir": str(library), "watch": True})
        os.environ["POLAR_SYNC_FORCE_GUI"] = "1"
        mw.addonManager.loadAddons()
        del os.environ["POLAR_SYNC_FORCE_GUI"]

    windows = []
    out = {}

    def look() -> None:
        for w in QApplication.topLevelWidgets():
            if w is mw or not w.isVisible() or not isinstance(w, (QMessageBox, QDialog)):
                continue
            if type(w).__name__ in ("ProfileManager", "ProgressDialog"):  # Anki's own, left to it
                continue
            parts = [lbl.text() for lbl in w.findChildren(QLabel)]
            parts += [t.toPlainText().replace("\u2060", "") for t in w.findChildren(QTextBrowser)]
            text = w.text() if isinstance(w, QMessageBox) else " | ".join(parts)
            windows.append([type(w).__name__, w.windowTitle(), text[:300]])
            w.close()

    def other() -> None:  # the profile manager Anki shows: select "Other", Open
        if mw.col is not None:  # the profile opened after all (its damage shows later)
            return
        names = mw.pm.profiles()
        mw.profileForm.profiles.setCurrentRow(names.index("Other"))
        mw.pm.load("Other")
        mw.onOpenProfile()

    def done() -> None:
        out["state"] = mw.state
        out["profile"] = mw.pm.name
        try:
            out["notes"] = mw.col.note_count() if mw.col is not None else None
        except Exception as exc:  # the damaged collection
            out["notes"] = type(exc).__name__
        app.quit()

    def wait_for_other_sync() -> None:
        setup = sys.modules.get(f"{anki_harness.PACKAGE}.gui.setup")
        busy = setup is not None and setup.controller.runner.busy
        synced = setup is not None and setup.controller.runner.finished_count
        if mw.col is not None and mw.state == "deckBrowser" and not busy and (setup is None or synced):
            done()
        else:
            QTimer.singleShot(200, wait_for_other_sync)

    watcher = QTimer()
    watcher.timeout.connect(look)
    watcher.start(100)
    QTimer.singleShot(6000, other)
    QTimer.singleShot(8000, wait_for_other_sync)
    QTimer.singleShot(150_000, app.quit)  # never hang a test run
    app.exec()
    out["windows"] = windows
    result.write_text(json.dumps(out), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # Anki's own exit path is the quit test's; here the states before it


if __name__ == "__main__":
    a = sys.argv[1:6]
    sys.exit(main(Path(a[0]), Path(a[1]), Path(a[2]), a[3], Path(a[4])))
