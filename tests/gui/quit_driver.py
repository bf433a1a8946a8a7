"""Run by test_quit_mid_sync.py in a process of its own (Qt allows one Anki
per process, and this one quits): start real Anki with Polar Sync and a
large library, close the main window as a person does while the first sync
is writing, and let Anki exit through its own path.

Usage: quit_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON [LATER]
Writes {"stage": <the sync's step when the window closed>, "exit": <code>}.

With LATER (a library of its own): LIBRARY is small; once its first sync is
done, LATER's documents are put into it (a big Polar import since the last
start) and a startup sync is asked for: not the profile's first, so it
writes quietly (no Anki window: the person can close Anki meanwhile), and
the window closes while that one writes. Also writes "quiet" (it did).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402

# The write phase of a sync: media, then notes in batches (a step between
# batches), then updates. Closing as soon as it starts leaves the most steps
# at which the sync can stop, however slow the machine.
WRITING = ("Writing media", "Adding")


def main(base: Path, library: Path, addon_file: Path, result: Path, later: Path | None = None) -> int:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False})
    runner = anki.controller.runner
    seen = {}
    if later is not None:
        anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the first sync")
        for item in later.iterdir():
            if item.is_dir() and item.name not in ("stash", "files"):
                shutil.copytree(item, library / item.name)
        for folder in ("stash", "files/image"):
            for file in (later / folder).iterdir():
                shutil.copy(file, library / folder / file.name)
        runner.request("startup")
        anki.wait_until(lambda: runner.stage.startswith(WRITING) and runner._writing, 300,
                        "the startup sync to write")
        seen["quiet"] = runner._writing_quietly
    else:
        anki.wait_until(lambda: runner.stage.startswith(WRITING), 300, "the first sync to write")
    stage = runner.stage

    from aqt.qt import QTimer

    QTimer.singleShot(0, anki.mw.close)  # the window's close button: Anki quits
    code = anki.app.exec()
    sys.excepthook = sys.__excepthook__
    result.write_text(json.dumps({"stage": stage, "exit": code, **seen}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:6])))
