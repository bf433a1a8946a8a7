"""AnkiWeb's "Download from AnkiWeb" while the first Polar sync writes (real
Anki and Anki's own sync server, in a process of its own:
fullsync_driver.py): no window, no traceback; the download replaces the
collection (the notes the sync had just made go with it, as the person
asked); the next Sync from Polar makes them again and says why without
calling them deleted in Anki; the collection is whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import synthetic_library  # noqa: E402

CARDS = 8000


def test_a_full_download_from_ankiweb_during_a_sync_then_the_next_sync_says_what_happened(tmp_path):
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = tmp_path / "polar"
    synthetic_library.generate(library, documents=40, cards=CARDS)
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fullsync_driver.py")), str(tmp_path / "anki-base"),
         str(library), str(addon_file), str(tmp_path / "server"), str(result)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    for sign in ("Traceback", "CollectionNotOpen", "has been deleted"):
        assert sign not in output, output[-4000:]
    assert seen["windows"] == [], seen["windows"]
    assert seen["stage"].startswith(("Writing media", "Adding")), seen  # the download came while it wrote
    assert seen["notes_after_download"] == 5  # AnkiWeb's collection, as the person asked
    assert not seen["first"]["failed"] and not seen["first"]["errors"], seen["first"]
    second = seen["second"]
    assert not second["failed"] and not second["errors"] and second["created"] == CARDS, second
    assert ("made_again_replaced", CARDS) in [tuple(w) for w in second["warnings"]], second
    assert "made_again" not in [w[0] for w in second["warnings"]], second
    assert seen["notes"] == CARDS + 5 and seen["polar_notes"] == CARDS and seen["integrity"] == "ok", seen
