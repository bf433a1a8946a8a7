"""Run by test_quit_mid_sync.py in a process of its own (Qt allows one Anki
per process, and this one quits): start real Anki with Polar Sync and a
large library, close the main window as a person does while the first sync
is writing, and let Anki exit through its own path.

Usage: quit_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON
Writes {"stage": <the sync's step when the window closed>, "exit": <code>}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402

# The write phase of a sync: media, then notes in batches (a step between
# batches), then updates. Closing as soon as it starts leaves the most steps
# at which the sync can stop, however slow the machine.
WRITING = ("Writing media", "Adding")


def main(base: Path, library: Path, addon_file: Path, result: Path) -> int:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False})
    runner = anki.controller.runner
    anki.wait_until(lambda: runner.stage.startswith(WRITING), 300, "the first sync to write")
    stage = runner.stage

    from aqt.qt import QTimer

    QTimer.singleShot(0, anki.mw.close)  # the window's close button: Anki quits
    code = anki.app.exec()
    sys.excepthook = sys.__excepthook__
    result.write_text(json.dumps({"stage": stage, "exit": code}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5])))
