"""Run by test_ankiweb_beside_a_write.py, twice, in processes of their own:
Anki's automatic sync with "AnkiWeb" (Anki's own sync server, started by
the test) on close and on open, beside Polar Sync's writing.

``close``: the profile's first sync over (a small library), Polar's cloud
brings 40 documents (8,000 cards, images); while the watcher's sync writes
them quietly, the person quits Anki (File ▸ Exit, ``unloadProfileAndExit``),
whose automatic sync on close follows. ``open``: Anki started again; its
automatic sync on open and the add-on's startup sync (the rest of the
notes) meet; then Sync, and a second computer downloads the account.

Usage: ankiweb_close_driver.py PHASE BASE LIBRARY BIG_LIBRARY ADDON_FILE ENDPOINT USER SECOND_BASE RESULT_JSON
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

from tests.gui.ankiweb_sync_driver import bring, media_files  # noqa: E402
from tests.gui.driver_windows import WindowsNoted  # noqa: E402
from tests.polar_factory import Doc, basic  # noqa: E402
from tests.reliability.ankiweb import Account, upload_profile  # noqa: E402

WRITING = ("Adding notes… ",)  # (a batch written: the close stops it part-way)
ANKIWEB_NOTES = 5
SMALL = 3


def main(phase: str, base: Path, library: Path, big: Path, addon_file: Path, endpoint: str, user: str,
         second: Path, result: Path) -> int:
    out: Dict[str, Any] = {"windows": [], "full_sync": [], "events": []}
    t0 = time.monotonic()

    def event(what: str) -> None:
        out["events"].append([round(time.monotonic() - t0, 2), what])

    account = Account(endpoint, user, "pass")
    hkey = ""
    try:
        anki_harness.prepare_environment(offscreen=True)
        from anki.collection import Collection

        profile = base / anki_harness.PROFILE
        if phase == "close":
            anki_harness.seed_base(base)
            hkey = upload_profile(account, profile, ANKIWEB_NOTES).hkey
            small = Doc(library, "1AnkiWebBeside5Small0000", title="A short note")
            for i in range(SMALL):
                small.card(f"1AwB5s{i}", basic(f"<p>Small question {i}?</p>", f"<p>Small answer {i}</p>"))
            small.write()

        import aqt.sync
        from aqt import gui_hooks

        finished: List[float] = []
        gui_hooks.sync_will_start.append(lambda: event("ankiweb sync starts"))
        gui_hooks.sync_did_finish.append(lambda: (finished.append(time.monotonic()), event("ankiweb sync finished")))
        full_sync = aqt.sync.full_sync

        def watched_full_sync(mw_: Any, sync_output: Any, on_done: Any) -> None:
            out["full_sync"].append(int(sync_output.required))  # Anki's question follows
            full_sync(mw_, sync_output, on_done)

        aqt.sync.full_sync = watched_full_sync

        anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": True})
        mw = anki.mw
        runner = anki.controller.runner
        event("profile open")

        watcher = WindowsNoted(mw, out["windows"])

        def outcome() -> Dict[str, Any]:
            o = anki.controller.last_outcome
            return {"failed": bool(o.failed), "interrupted": bool(o.interrupted), "created": o.report.created,
                    "errors": [str(e) for e in o.report.errors][:5], "stage": o.stage,
                    "warnings": [(w["code"], w.get("count")) for w in o.report.warnings]}

        if phase == "close":
            anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the profile's first sync")
            mw.pm.set_sync_key(hkey)
            mw.pm.set_custom_sync_url(endpoint)
            out["scm_before"] = mw.col.db.scalar("select scm from col")
            before = runner.finished_count
            bring(big, library)
            anki.wait_until(lambda: runner.stage.startswith(WRITING) and runner._writing_quietly, 300,
                            "the sync to write")
            out["stage_at_quit"] = runner.stage
            event("File > Exit while Polar writes: " + runner.stage)
            watcher.stop()
            anki_harness.shutdown(anki, timeout=300)  # Anki's sync on close, then it quits
            event("Anki closed")
            out["finished_polar"] = runner.finished_count - before
            out["polar"] = outcome() if runner.finished_count > before else None
            out["ankiweb_syncs"] = len(finished)
            col = Collection(str(profile / "collection.anki2"))
            out["notes"] = col.note_count()
            out["pending"] = col.db.scalar("select count() from notes where usn = -1")
            out["scm_after"] = col.db.scalar("select scm from col")
            col.close()
        else:
            anki.wait_until(lambda: finished and runner.finished_count >= 1 and not runner.busy
                            and not runner.pending, 300, "Anki's sync on open and the startup sync")
            out["startup"] = outcome()
            out["ankiweb_syncs_on_open"] = len(finished)
            n = len(finished)
            mw.on_sync_button_clicked()
            anki.wait_until(lambda: len(finished) > n, 300, "Anki's sync")
            anki.process(0.5)
            anki.wait_until(lambda: not mw.media_syncer.is_syncing(), 300, "Anki's media sync")
            col = mw.col
            out["scm_after"] = col.db.scalar("select scm from col")
            out["notes"] = col.note_count()
            out["polar_notes"] = len(col.find_notes("tag:polar"))
            out["pending"] = col.db.scalar("select count() from notes where usn = -1")
            guids = sorted(col.db.list("select guid from notes"))
            local_media = media_files(Path(col.media.dir()))
            out["local_media"] = len(local_media)
            second.mkdir(parents=True, exist_ok=True)
            other = Collection(str(second / "collection.anki2"))
            account.full(other, upload=False)
            other.sync_media(account.auth(other))
            deadline = time.monotonic() + 120
            while other.media_sync_status().active and time.monotonic() < deadline:
                time.sleep(0.1)
            out["second_notes"] = other.note_count()
            out["second_guids_equal"] = sorted(other.db.list("select guid from notes")) == guids
            out["second_media_equal"] = media_files(Path(other.media.dir())) == local_media
            other.close()
            watcher.look()
            watcher.stop()
            anki_harness.shutdown(anki, timeout=300)
    finally:
        result.write_text(json.dumps(out), encoding="utf-8")
        for stream in (sys.stdout, sys.stderr, sys.__stderr__):
            flush = getattr(stream, "flush", None)  # (Anki's error handler has none)
            if flush is not None:
                flush()
    os._exit(0)


if __name__ == "__main__":
    a = sys.argv[1:]
    sys.exit(main(a[0], Path(a[1]), Path(a[2]), Path(a[3]), Path(a[4]), a[5], a[6], Path(a[7]), Path(a[8])))
