"""Anki with a low descriptor limit (``ulimit -n 128``, as low as macOS
defaults can be) and a library with more documents than that: it opens,
syncs and watches without "Too many open files". Watching that held a
descriptor per document or file (watchdog's kqueue, one inotify instance
per folder) could not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.watch_helpers import polar_tree

pytestmark = [
    pytest.mark.anki,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd"),
]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 128
DOCUMENTS = 500


def test_anki_opens_syncs_and_watches_within_128_descriptors(tmp_path):
    addon = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon)],
                   check=True, stdout=subprocess.DEVNULL)
    library = tmp_path / "polar"
    polar_tree(library, documents=DOCUMENTS, backups=20)

    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("watcher_fd_driver.py")), str(addon), str(library),
         str(tmp_path / "anki-base"), str(LIMIT)],
        capture_output=True, text=True, timeout=900, check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = json.loads(lines[-1][len("RESULT "):])
    assert "failure" not in out, out["failure"] + proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]

    assert out["limit"] == LIMIT < DOCUMENTS  # a descriptor per document would not fit
    assert out["startup"] == {"trigger": "startup", "created": DOCUMENTS, "errors": []}
    assert out["notes"] == DOCUMENTS
    assert out["inotify"]["mode"] == "inotify"
    assert out["inotify"]["watches"] <= DOCUMENTS + 4
    assert out["poll"]["mode"] == "stat-poller"
    assert out["max_open_fds"] < LIMIT
    for text in (proc.stdout, proc.stderr, out["sync_log"]):
        assert "Too many open files" not in text
        assert "EMFILE" not in text
