"""Runs tools/polar_sync.py's ``main`` unchanged, with probes for the crash
tests: each phase of the sync is announced on stderr (``PHASE <name>``) the
moment it starts, so the test can SIGKILL the process inside that phase.

    python crash_driver.py <CLI arguments>

Environment:
    POLAR_CRASH_FAIL=<phase>   raise RuntimeError when <phase> starts (the
                               CLI's own restore path then runs)
    POLAR_CRASH_SLOW_COPY=<s>  copy files in 64 KiB chunks with a pause of
                               <s> seconds each, to widen the window of the
                               CLI's backup/restore copies
    POLAR_CRASH_SLOW_MEDIA=<s> the bulk media writer waits <s> seconds before
                               writing (a slow disk)
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

FAIL_AT = os.environ.get("POLAR_CRASH_FAIL", "")
SLOW_COPY = float(os.environ.get("POLAR_CRASH_SLOW_COPY", "0") or 0)
SLOW_MEDIA = float(os.environ.get("POLAR_CRASH_SLOW_MEDIA", "0") or 0)


def phase(name: str) -> None:
    sys.stderr.write(f"PHASE {name}\n")
    sys.stderr.flush()
    if FAIL_AT and name.startswith(FAIL_AT):
        raise RuntimeError(f"injected failure at {name}")


def install() -> None:
    from addon.sync import engine, state

    real_sync = engine.sync

    def sync(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["progress"] = lambda msg: phase(msg.split("…")[0].strip())
        return real_sync(*args, **kwargs)

    engine.sync = sync

    real_commit = state.SyncState.commit

    def commit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        phase("state-commit")
        real_commit(self, *args, **kwargs)
        phase("state-committed")

    state.SyncState.commit = commit  # type: ignore[method-assign]

    import anki.collection  # noqa: F401  (anki.media alone is a circular import)
    from anki.media import MediaManager

    real_write = MediaManager.write_data

    def write_data(self, name, data):  # type: ignore[no-untyped-def]
        phase("media-write")
        return real_write(self, name, data)

    MediaManager.write_data = write_data  # type: ignore[method-assign]

    if SLOW_MEDIA:
        try:
            from addon.sync import media_store
        except ImportError:  # an older core without the bulk writer
            media_store = None
        if media_store is not None:
            # The files are written by _write (on the writer's thread, or in
            # parts on the note builder's); older cores had _write_queue.
            slot = "_write" if hasattr(media_store.MediaWriter, "_write") else "_write_queue"
            real_write_files = getattr(media_store.MediaWriter, slot)

            def write_files(self, *args):  # type: ignore[no-untyped-def]
                phase("media-thread")
                time.sleep(SLOW_MEDIA)
                return real_write_files(self, *args)

            setattr(media_store.MediaWriter, slot, write_files)

    real_copy2 = shutil.copy2

    def copy2(src, dst, **kwargs):  # type: ignore[no-untyped-def]
        phase(f"copy {Path(src).name} -> {Path(dst).name}")
        if not SLOW_COPY:
            return real_copy2(src, dst, **kwargs)
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            while True:
                chunk = fin.read(65536)
                if not chunk:
                    break
                fout.write(chunk)
                fout.flush()
                time.sleep(SLOW_COPY)
        return dst

    shutil.copy2 = copy2


if __name__ == "__main__":
    install()
    import polar_sync

    phase("start")
    code = polar_sync.main(sys.argv[1:])
    phase("exit")
    sys.exit(code)
