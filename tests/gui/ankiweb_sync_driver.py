"""Run by test_ankiweb_beside_a_write.py in a process of its own (Qt allows
one Anki per process): real Anki with Polar Sync, logged in to Anki's own
sync server (tests/reliability/ankiweb.py, standing in for AnkiWeb), and a
large library.

1. "during": the profile's first sync (a small library) over, Polar's
   cloud brings 40 documents (8,000 cards, 600 images); while the watcher's
   sync writes them quietly, the person presses Sync
   (``mw.on_sync_button_clicked``, what the toolbar's button calls).
2. A Polar card is answered in Anki (a review).
3. "polar while AnkiWeb": a document is added in Polar; the person presses
   Sync, and Tools ▸ Sync from Polar at once, while Anki's sync runs.
4. Sync once more (what the previous syncs left), media too.
5. A second computer (a new collection, "Download from AnkiWeb", then a
   media sync) must hold every note, the review and the media files.

Every window that shows is recorded and closed; ``aqt.sync.full_sync`` (the
full-sync question) is watched, not replaced. Usage:
ankiweb_sync_driver.py BASE LIBRARY BIG_LIBRARY ADDON_FILE SERVER_BASE SECOND_BASE RESULT_JSON [quiet|first]
("first": the 40 documents are there when Anki starts: the profile's first
sync writes them, with its progress window, when Sync is pressed.)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

from tests.gui.driver_windows import WindowsNoted  # noqa: E402
from tests.polar_factory import Doc, basic  # noqa: E402
from tests.reliability.ankiweb import start_server, stop_server, upload_profile  # noqa: E402

WRITING = ("Writing media", "Adding")
ANKIWEB_NOTES = 5
ADDED_LATER = 300
SMALL = 3


def media_files(folder: Path) -> Dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}


def bring(big: Path, library: Path) -> None:
    """As Polar's cloud: the images first, then each document folder moved in
    whole (renames: the watcher sees all of them in one sync)."""
    for sub in ("files/image", "stash"):
        (library / sub).mkdir(parents=True, exist_ok=True)
        for f in (big / sub).iterdir():
            shutil.copy2(f, library / sub / f.name)
    staging = library.parent / "staging"
    shutil.copytree(big, staging, ignore=shutil.ignore_patterns("files", "stash", "info.json"))
    for d in staging.iterdir():
        os.rename(d, library / d.name)


def main(base: Path, library: Path, big: Path, addon_file: Path, server_base: Path, second: Path,
         result: Path, mode: str = "quiet") -> int:
    server_base.mkdir(parents=True, exist_ok=True)
    proc, server = start_server(server_base)
    out: Dict[str, Any] = {"windows": [], "full_sync": [], "events": []}
    t0 = time.monotonic()

    def event(what: str) -> None:
        out["events"].append([round(time.monotonic() - t0, 2), what])

    try:
        anki_harness.prepare_environment(offscreen=True)
        anki_harness.seed_base(base)
        from anki.collection import Collection

        # The account's collection: this profile's, uploaded with a few notes.
        account = server.account()
        auth = upload_profile(account, base / anki_harness.PROFILE, ANKIWEB_NOTES)

        small = Doc(library, "1AnkiWebBeside5Small0000", title="A short note")
        for i in range(SMALL):
            small.card(f"1AwB5s{i}", basic(f"<p>Small question {i}?</p>", f"<p>Small answer {i}</p>"))
        small.write()
        if mode == "first":  # the whole library at once: the profile's first sync writes it
            bring(big, library)
        anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch": True})
        mw = anki.mw
        runner = anki.controller.runner
        if mode != "first":
            anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the profile's first sync")
        mw.pm.set_sync_key(auth.hkey)
        mw.pm.set_custom_sync_url(account.endpoint)
        out["scm_before"] = mw.col.db.scalar("select scm from col")

        import aqt.sync
        from aqt import gui_hooks
        watcher = WindowsNoted(mw, out["windows"])

        full_sync = aqt.sync.full_sync

        def watched_full_sync(mw_: Any, sync_output: Any, on_done: Any) -> None:
            out["full_sync"].append(int(sync_output.required))  # Anki's question follows
            full_sync(mw_, sync_output, on_done)

        aqt.sync.full_sync = watched_full_sync
        # When Anki's sync really talks to the server (on Anki's worker
        # thread): was our write still under way? (Watched, not replaced.)
        col_class = type(mw.col)
        sync_collection = col_class.sync_collection

        def watched_sync_collection(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self is not mw.col:  # (the second computer's)
                return sync_collection(self, *args, **kwargs)
            out["syncs"].append({"writing_at_start": bool(runner._writing),
                                 "pending_at_start": self.db.scalar("select count() from notes where usn = -1")})
            event("ankiweb sync talks to the server")
            try:
                return sync_collection(self, *args, **kwargs)
            finally:
                out["syncs"][-1]["writing_at_end"] = bool(runner._writing)

        col_class.sync_collection = watched_sync_collection  # type: ignore[method-assign]
        out["syncs"] = []
        finished: List[float] = []
        gui_hooks.sync_did_finish.append(lambda: (finished.append(time.monotonic()), event("ankiweb sync finished")))
        gui_hooks.sync_will_start.append(lambda: event("ankiweb sync starts"))

        def ankiweb_sync() -> None:
            """The Sync button, and its media sync to the end."""
            n = len(finished)
            mw.on_sync_button_clicked()
            anki.wait_until(lambda: len(finished) > n, 300, "Anki's sync")
            anki.process(0.5)
            anki.wait_until(lambda: not mw.media_syncer.is_syncing(), 300, "Anki's media sync")

        def polar_done(before: int) -> None:
            anki.wait_until(lambda: runner.finished_count > before and not runner.busy and not runner.pending,
                            300, "the Polar sync to end")

        # Every Polar sync's outcome, in order: the watcher may add a no-op
        # sync after the one that wrote (a late event of the copied images on
        # a loaded machine), and the last outcome alone was then that one.
        outcomes: List[Any] = []
        on_finished = runner.on_finished

        def noted(o: Any) -> Any:
            outcomes.append(o)
            return on_finished(o)

        runner.on_finished = noted

        def outcome(since: int) -> Dict[str, Any]:
            """The syncs that ended since ``since`` outcomes were noted, as one."""
            done = outcomes[since:]
            return {"failed": any(o.failed for o in done), "interrupted": any(o.interrupted for o in done),
                    "created": sum(o.report.created for o in done), "syncs": len(done),
                    "errors": [str(e) for o in done for e in o.report.errors][:5],
                    "warnings": [(w["code"], w.get("count")) for o in done for w in o.report.warnings]}

        # 1. Sync pressed while the watcher's sync writes quietly (or the
        # profile's first sync writes, with its progress window).
        before, noted_before = runner.finished_count, len(outcomes)
        if mode != "first":
            bring(big, library)
        anki.wait_until(lambda: runner.stage.startswith(WRITING) and runner._writing, 300, "the sync to write")
        out["quiet"] = bool(runner._writing_quietly)
        out["progress_open"] = mw.progress._win is not None and mw.progress._win.isVisible()
        out["stage_at_press"] = runner.stage
        event("sync pressed while Polar writes: " + runner.stage)
        n = len(finished)
        mw.on_sync_button_clicked()
        polar_done(before)
        event("Polar sync ended")
        out["ankiweb_done_before_polar"] = len(finished) > n
        anki.wait_until(lambda: len(finished) > n, 300, "Anki's sync")
        anki.process(0.5)
        anki.wait_until(lambda: not mw.media_syncer.is_syncing(), 300, "Anki's media sync")
        # What that one sync left for the next: nothing of the write.
        out["pending_after_first_ankiweb"] = mw.col.db.scalar("select count() from notes where usn = -1")
        out["first"] = outcome(noted_before)
        out["polar_notes_1"] = len(mw.col.find_notes("tag:polar"))

        # 2. A review of a Polar card.
        col = mw.col
        cid = col.find_cards("tag:polar")[0]
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
        out["reviewed"] = int(cid)
        out["revlog_local"] = col.db.scalar("select count() from revlog where cid = ?", cid)

        # 3. A document added in Polar; Sync pressed, then Sync from Polar at once.
        doc = Doc(library, "1AnkiWebBeside5Doc000000", title="Added while AnkiWeb syncs")
        for i in range(ADDED_LATER):
            doc.card(f"1AwB5c{i:04d}", basic(f"<p>Later question {i}?</p>", f"<p>Later answer {i}</p>"))
        doc.write()
        n = len(finished)
        before, noted_before = runner.finished_count, len(outcomes)
        mw.on_sync_button_clicked()
        for action in mw.form.menuTools.actions():
            if action.text() == "Sync from Polar":
                action.trigger()
        event("Sync from Polar pressed while AnkiWeb syncs")
        out["waiting_while_ankiweb"] = runner.waiting if len(finished) == n else "(AnkiWeb already done)"
        polar_done(before)
        event("second Polar sync ended")
        out["ankiweb_done_before_second_polar"] = len(finished) > n
        anki.wait_until(lambda: len(finished) > n, 300, "Anki's sync")
        anki.wait_until(lambda: not mw.media_syncer.is_syncing(), 300, "Anki's media sync")
        out["second"] = outcome(noted_before)

        # 4. Once more: what was written after Anki's last sync goes up.
        ankiweb_sync()
        col = mw.col
        out["scm_after"] = col.db.scalar("select scm from col")
        out["notes"] = col.note_count()
        out["polar_notes"] = len(col.find_notes("tag:polar"))
        guids = sorted(col.db.list("select guid from notes"))
        local_media = media_files(Path(col.media.dir()))
        out["local_media"] = len(local_media)
        out["local_pending"] = col.db.scalar("select count() from notes where usn = -1") + col.db.scalar(
            "select count() from cards where usn = -1") + col.db.scalar("select count() from revlog where usn = -1")
        out["integrity"] = col.db.scalar("pragma integrity_check")

        # 5. A second computer.
        second.mkdir(parents=True, exist_ok=True)
        other = Collection(str(second / "collection.anki2"))
        other_auth = account.auth(other)
        account.full(other, upload=False)
        other.sync_media(other_auth)
        deadline = time.monotonic() + 120
        while other.media_sync_status().active and time.monotonic() < deadline:
            time.sleep(0.1)
        out["second_notes"] = other.note_count()
        out["second_guids_equal"] = sorted(other.db.list("select guid from notes")) == guids
        out["second_revlog"] = other.db.scalar("select count() from revlog where cid = ?", cid)
        other_media = media_files(Path(other.media.dir()))
        out["second_media"] = len(other_media)
        out["second_media_equal"] = other_media == local_media
        out["missing_on_second"] = sorted(set(local_media) - set(other_media))[:5]
        other.close()
        watcher.stop()
        anki.process(0.5)
        watcher.look()
    finally:
        stop_server(proc)
        result.write_text(json.dumps(out), encoding="utf-8")
        for stream in (sys.stdout, sys.stderr, sys.__stderr__):
            flush = getattr(stream, "flush", None)  # (Anki's error handler has none)
            if flush is not None:
                flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(*(Path(x) for x in sys.argv[1:8]), *sys.argv[8:9]))
