"""Real Anki with Polar Sync under a low descriptor limit, in its own process
(the limit must be set before Anki opens anything; test_watcher_fd_limit.py
runs it):

    python watcher_fd_driver.py <addon file> <library> <base folder> <limit>

Like ``ulimit -n <limit>``, then: Anki starts, the startup sync runs over the
whole library, a save arrives through the watcher (inotify on Linux), then
the same through the stat poller macOS uses. Prints one JSON line of what it
saw; exits non-zero with the reason when a step does not happen.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> None:
    addon_file, library, base, limit = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    # Soft and hard, as `ulimit -n` sets them: Chromium (QtWebEngine) raises
    # the soft limit to 8192 at start whenever the hard one allows it.
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    import anki_harness

    from tests.polar_factory import Doc, basic

    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch_debounce_ms": 300})
    out: Dict[str, Any] = {"limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}
    try:
        c = anki.controller
        runner = c.runner
        anki.wait_until(lambda: c.last_outcome is not None and not runner.busy and not runner.pending,
                        600, "the startup sync")
        report = c.last_outcome.report
        out["startup"] = {"trigger": c.last_outcome.request.trigger, "created": report.created,
                          "errors": [str(e) for e in report.errors]}
        out["notes"] = len(anki.mw.col.find_notes("tag:polar"))

        def save_and_wait(fp: str, front: str) -> None:
            doc = Doc(library, fp, title=front)
            doc.card(fp[:8] + "C1", basic(f"<p>{front}</p>", "<p>yes</p>"))
            doc.write(atomic=True)
            anki.wait_until(lambda: anki.mw.col.find_notes(f'"front:*{front}*"'), what=front)

        c.watcher.wait_started(60)
        out["inotify"] = {"mode": c.watcher.mode, "watches": c.watcher.backend.watch_count(),
                          "open_fds": open_fds()}
        save_and_wait("1LowFdInotify000000001", "Seen by inotify")

        # The backend macOS gets, in the same Anki: the controller's own wiring.
        watcher_module = sys.modules[f"{anki_harness.PACKAGE}.gui.watcher"]
        c.stop_watcher()
        c.watcher = watcher_module.LibraryWatcher(c.watch_root, c._on_change_from_thread, c._log_watcher,
                                                  platform="darwin")
        c.watcher.start()
        out["poll"] = {"mode": c.watcher.mode, "open_fds": open_fds()}
        save_and_wait("1LowFdPoll00000000001", "Seen by polling")
        out["max_open_fds"] = open_fds()
        log = Path(anki.mw.addonManager.addonsFolder(anki_harness.PACKAGE)) / "user_files" / "sync-log.txt"
        out["sync_log"] = log.read_text(encoding="utf-8") if log.exists() else ""
    except BaseException:
        out["failure"] = traceback.format_exc()
    finally:
        anki_harness.shutdown(anki)
    print("RESULT " + json.dumps(out))
    sys.exit(1 if "failure" in out else 0)


if __name__ == "__main__":
    main()
