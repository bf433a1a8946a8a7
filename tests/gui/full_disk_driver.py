"""Run by test_full_disk_in_anki.py in a process of its own (Qt allows one
Anki per process): real Anki with Polar Sync, its base folder (profile,
add-ons, logs) on a small disk; once the startup sync is done the disk is
filled but 8 KB, Polar saves 20 documents and the person asks for Sync from
Polar; every window that shows is recorded and closed; then the disk gets
room again and the person syncs once more.

Usage: full_disk_driver.py DISK LIBRARY ADDON_FILE RESULT_JSON [full|readonly]
("readonly": instead of filling the disk, the add-on's user_files folder is
bind-mounted read-only, as on a managed install or a disk turned read-only.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

from tests.polar_factory import Doc, basic  # noqa: E402


def main(disk: Path, library: Path, addon_file: Path, result: Path, mode: str = "full") -> int:
    base = disk / "base"
    out: dict = {"windows": []}
    try:
        anki_harness.prepare_environment(offscreen=True)
        anki_harness.seed_base(base)
        anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False})
        controller, mw = anki.controller, anki.mw
        runner = controller.runner
        anki.wait_until(lambda: runner.finished_count > 0 and not runner.busy, 120, "the startup sync")

        from aqt.qt import QApplication, QDialog, QLabel, QMessageBox, QTextBrowser, QTimer

        def look() -> None:
            for w in QApplication.topLevelWidgets():
                if w is mw or not w.isVisible() or not isinstance(w, (QMessageBox, QDialog)):
                    continue
                if type(w).__name__ == "ProgressDialog":
                    continue
                parts = [lbl.text() for lbl in w.findChildren(QLabel)]
                parts += [t.toPlainText().replace("\u2060", "") for t in w.findChildren(QTextBrowser)]
                text = w.text() if isinstance(w, QMessageBox) else " | ".join(parts)
                out["windows"].append([type(w).__name__, w.windowTitle(), text[:500]])
                w.close()

        watcher = QTimer()
        watcher.timeout.connect(look)
        watcher.start(100)

        def sync_from_polar() -> dict:
            before = runner.finished_count
            for action in mw.form.menuTools.actions():
                if action.text() == "Sync from Polar":
                    action.trigger()
            anki.wait_until(lambda: runner.finished_count > before and not runner.busy, 120, "Sync from Polar")
            anki.process(1.5)  # Anki's error handler shows its box 100 ms after stderr
            o = controller.last_outcome
            return {"failed": bool(o.failed), "created": o.report.created,
                    "errors": [(e.get("code"), e.get("path")) for e in o.report.errors]}

        out["polar_before"] = len(mw.col.find_notes("tag:polar"))
        for n in range(20):
            Doc(library, f"1FullDisk{n:04d}", f"Full {n}").card(f"1FullCard{n}", basic("q" * 2000, "a" * 2000)).write()
        user_files = Path(mw.addonManager.addonsFolder(anki_harness.PACKAGE)) / "user_files"
        if mode == "readonly":
            subprocess.run(["mount", "--bind", str(user_files), str(user_files)], check=True)
            subprocess.run(["mount", "-o", "remount,ro,bind", str(user_files)], check=True)
        else:
            st = os.statvfs(disk)
            with open(disk / "filler", "wb") as fh:
                fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - 8 * 1024))
        out["full"] = sync_from_polar()
        out["windows_when_full"] = list(out["windows"])
        if mode == "readonly":
            subprocess.run(["umount", str(user_files)], check=True)
        else:
            (disk / "filler").unlink()
        out["again"] = sync_from_polar()
        out["integrity"] = mw.col.db.scalar("pragma integrity_check")
        out["polar_notes"] = len(mw.col.find_notes("tag:polar"))
        watcher.stop()
    finally:
        result.write_text(json.dumps(out), encoding="utf-8")
        for stream in (sys.stdout, sys.__stderr__):
            stream.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5]), *sys.argv[5:6]))
