"""Run by test_settings_draft.py in a process of its own (this Anki quits):
real Anki with Polar Sync, the Settings window open with a change not
saved, and the person quits (the main window's close). Run again on the
same base folder: the next Anki's Settings window.

Usage: settings_quit_driver.py quit|reopen BASE LIBRARY ADDON_FILE RESULT_JSON
``quit`` writes {"exit": <code>, "boxes": [<modal windows seen while Anki
closed>], "config": <the stored config after>}; ``reopen`` writes
{"shown": <the deletion policy in the field>, "line": <the draft's line>,
"config": ..., "exit": <code>} (the window then cancelled: the draft dropped).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402


def main(mode: str, base: Path, library: Path, addon_file: Path, result: Path) -> int:
    anki_harness.prepare_environment(offscreen=True)
    if mode == "quit":
        anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False,
                                                        "sync_on_startup": False})
    from aqt.qt import QApplication, QComboBox, QLabel, QTimer

    mw = anki.mw
    dialog = anki.controller.open_settings()
    combo = dialog.findChild(QComboBox, "polar_sync_setting_deletion_policy")
    seen = {}
    if mode == "quit":
        combo.setCurrentIndex(combo.findData("tag"))
        boxes = []

        def watch() -> None:  # a modal window while Anki closes would stop a person's quit
            modal = QApplication.activeModalWidget()
            if modal is not None and type(modal).__name__ != "ProgressDialog":
                boxes.append(f"{type(modal).__name__}: {modal.windowTitle()}")
                modal.close()
            QTimer.singleShot(50, watch)

        watch()
        seen["boxes"] = boxes
    else:
        label = dialog.findChild(QLabel, "polar_sync_settings_draft")
        seen["shown"] = combo.currentData()
        seen["line"] = label.text().replace("\u2060", "") if label is not None and label.isVisible() else ""
        dialog.reject()
    seen["config"] = mw.addonManager.getConfig(anki_harness.PACKAGE)
    QTimer.singleShot(0, mw.close)  # the window's close button: Anki quits
    code = anki.app.exec()
    sys.excepthook = sys.__excepthook__
    result.write_text(json.dumps({"exit": code, **seen}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], *(Path(a) for a in sys.argv[2:6])))
