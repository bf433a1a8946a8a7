"""Quitting Anki half-way through a large first sync (real Anki in a process
of its own, quit_driver.py): the sync stops at its next step before the
collection closes, nothing reaches stderr or Anki's error handler, the log
says it was interrupted, and the next sync converges."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from addon.gui import synclog
from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import GUID_PREFIX

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import synthetic_library  # noqa: E402

from tests.gui.anki_output import media_server_noise_removed  # noqa: E402

CARDS = 8000  # two batches of notes to add: the window closes between steps


@pytest.mark.parametrize("which", ["first", "quiet"])
def test_closing_anki_mid_sync_interrupts_it_cleanly(tmp_path, which):
    """``first``: the profile's first sync (Anki's window up, a backup first).
    ``quiet``: a startup sync after a big import, not the first: it writes
    with no window of Anki's (round 3), so nothing stops the person from
    closing Anki while it writes."""
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = tmp_path / "polar"
    extra = []
    if which == "first":
        info = synthetic_library.generate(library, documents=40, cards=CARDS)
    else:
        synthetic_library.generate(library, documents=1, cards=3, seed=2)
        later = tmp_path / "polar-import"
        info = synthetic_library.generate(later, documents=40, cards=CARDS)
        info.cards += 3
        extra = [str(later)]
    base = tmp_path / "anki-base"
    result = tmp_path / "result.json"

    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("quit_driver.py")), str(base), str(library),
         str(addon_file), str(result), *extra],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert seen["exit"] == 0 and seen["stage"], seen  # closed while the sync wrote
    assert seen.get("quiet", False) == (which == "quiet"), seen
    for sign in ("Traceback", "CollectionNotOpen", "has been deleted", "Window should have been closed"):
        assert sign not in media_server_noise_removed(output), output[-4000:]

    user_files = base / "addons21" / "polar_sync" / "user_files"
    log = synclog.read_log(user_files)
    # What the log says it had done is what the collection holds (eyes9: it said "interrupted by
    # closing Anki", for a switch of profile too, and not what it had done).
    stopped = re.search(r"stopped when Anki closed, after adding ([\d,]+) of ([\d,]+) new notes; "
                        r"they stay, and the next sync does the rest\.", log[0])
    if stopped is None:  # closed before the first batch was in
        assert "stopped when Anki closed, part-way through writing; what it wrote stays" in log[0], log[0]
    assert not any("stopped with" in entry or "problem" in entry for entry in log)

    # The collection Anki closed: sound, and the next sync converges.
    from anki.collection import Collection

    col = Collection(str(base / anki_harness_profile() / "collection.anki2"))
    try:
        _, ok = col.fix_integrity()
        assert ok
        partial = polar_notes(col)
        assert partial <= info.cards
        if stopped is not None:
            first = 0 if which == "first" else 3  # (the small library's, synced before)
            assert (int(stopped[1].replace(",", "")), int(stopped[2].replace(",", ""))) == \
                (partial - first, info.cards - first), log[0]
        settings, _ = Settings.from_dict({"data_dir": str(library)})
        state = synclog.state_path(anki_harness_profile(), user_files)
        report = sync(col, settings, state, source_path=library)
        assert not report.errors, report.errors[:3]
        assert report.created == info.cards - partial
        assert polar_notes(col) == info.cards
        assert not sync(col, settings, state, source_path=library).changed
    finally:
        col.close()


def anki_harness_profile() -> str:
    import anki_harness

    return anki_harness.PROFILE


def polar_notes(col) -> int:
    guids = [col.get_note(nid).guid for nid in col.find_notes("")]
    assert len(guids) == len(set(guids))  # no note twice
    return sum(1 for g in guids if g.startswith(GUID_PREFIX))
