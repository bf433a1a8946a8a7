"""Run by test_fullsync_mid_sync.py in a process of its own (Qt allows one
Anki per process): real Anki with Polar Sync and a large library, logged in
to Anki's own sync server (tests/reliability/ankiweb.py) whose collection
was uploaded from this profile before (a few notes); while the first Polar
sync writes, the person syncs with AnkiWeb and answers a full-sync question
with "Download from AnkiWeb": Anki's own ``aqt.sync.full_download``, between
its ``sync_will_start`` and ``sync_did_finish`` hooks, as the Sync button does.
Every window that shows is recorded and closed; then Sync from Polar once more.

Usage: fullsync_driver.py BASE LIBRARY ADDON_FILE SERVER_BASE RESULT_JSON [download|upload] [writing|idle]
("upload": the answer "Upload to AnkiWeb", Anki's ``aqt.sync.full_upload``;
"idle": the full sync once the first sync is over, not while it writes.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

from tests.gui.driver_windows import WindowsNoted  # noqa: E402
from tests.reliability.ankiweb import start_server, stop_server, upload_profile  # noqa: E402

WRITING = ("Writing media", "Adding")
ANKIWEB_NOTES = 5


def controller_outcome(anki: Any) -> dict:
    o = anki.controller.last_outcome
    return {"failed": bool(o.failed), "interrupted": bool(o.interrupted), "created": o.report.created,
            "errors": [str(e) for e in o.report.errors][:5],
            "warnings": [(w["code"], w.get("count")) for w in o.report.warnings]}


def main(base: Path, library: Path, addon_file: Path, server_base: Path, result: Path,
         direction: str = "download", moment: str = "writing") -> int:
    server_base.mkdir(parents=True, exist_ok=True)
    proc, server = start_server(server_base)
    out: dict = {"windows": [], "log": []}
    try:
        anki_harness.prepare_environment(offscreen=True)
        anki_harness.seed_base(base)

        # "AnkiWeb's" collection: this profile's, uploaded with a few notes.
        account = server.account()
        auth = upload_profile(account, base / anki_harness.PROFILE, ANKIWEB_NOTES)

        anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": False})
        mw = anki.mw
        mw.pm.set_sync_key(auth.hkey)
        mw.pm.set_custom_sync_url(account.endpoint)
        runner = anki.controller.runner

        watcher = WindowsNoted(mw, out["windows"])

        anki.wait_until(lambda: runner.stage.startswith(WRITING), 300, "the first sync to write")
        out["stage"] = runner.stage
        before = runner.finished_count
        if moment == "idle":
            anki.wait_until(lambda: runner.finished_count > before and not runner.busy, 300, "the first sync")
            out["first_before"] = controller_outcome(anki)
            before = runner.finished_count

        import aqt.sync
        from aqt import gui_hooks

        finished = []
        gui_hooks.sync_will_start()  # the Sync button, as main.py's _sync_collection_and_media

        def done() -> None:
            gui_hooks.sync_did_finish()
            finished.append(True)

        if direction == "upload":
            aqt.sync.full_upload(mw, None, done)  # "Upload to AnkiWeb"
        else:
            aqt.sync.full_download(mw, None, done)  # "Download from AnkiWeb"
        anki.wait_until(lambda: finished, 300, "the full download")
        out["notes_after_download"] = mw.col.note_count()
        if moment != "idle":  # the stopped sync runs again once the collection is back
            anki.wait_until(lambda: runner.finished_count > before and not runner.busy and not runner.pending,
                            300, "the Polar sync to end")
        anki.process(1.0)
        if moment == "idle":  # nothing of ours ran meanwhile
            out["first"] = out["first_before"]
        else:
            out["first"] = controller_outcome(anki)
        # Whatever the first one did, a sync asked for now converges.
        before = runner.finished_count
        for action in mw.form.menuTools.actions():
            if action.text() == "Sync from Polar":
                action.trigger()
        anki.wait_until(lambda: runner.finished_count > before and not runner.busy and not runner.pending,
                        300, "the second Polar sync")
        anki.process(1.0)
        out["second"] = controller_outcome(anki)
        out["notes"] = mw.col.note_count()
        out["polar_notes"] = len(mw.col.find_notes("tag:polar"))
        out["integrity"] = mw.col.db.scalar("pragma integrity_check")
        from addon.gui import synclog  # the add-on's copy is loaded as polar_sync; same file format

        out["log"] = synclog.read_log(Path(anki.mw.addonManager.addonsFolder(anki_harness.PACKAGE)) / "user_files")[:6]
        watcher.stop()
    finally:
        stop_server(proc)
        result.write_text(json.dumps(out), encoding="utf-8")
        for stream in (sys.stdout, sys.stderr, sys.__stderr__):
            flush = getattr(stream, "flush", None)  # (Anki's error handler has none)
            if flush is not None:
                flush()
    os._exit(0)


if __name__ == "__main__":
    a = sys.argv[1:6]
    sys.exit(main(*(Path(x) for x in a), *sys.argv[6:8]))
