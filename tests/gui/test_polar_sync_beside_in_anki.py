"""Polar's own Anki sync still on, in real Anki: the real AnkiConnect add-on
installed beside Polar Sync, Polar's sync calling it over HTTP as Polar does
(``tests.polar_anki_sync``), "Sync from Polar" from the Tools menu, reviews by
Anki's scheduler (ankiconnect_driver.py, a process of its own per run).

AnkiConnect's source is not part of this project: the test takes its
``plugin`` folder from ``$POLAR_SYNC_ANKICONNECT`` or from a git copy of
FooSoft/anki-connect (``$POLAR_SYNC_ANKICONNECT_GIT``, default the
workplace's mirror), and is skipped without one. The same sequences run on a
collection without HTTP in tests/sync/test_polar_sync_beside.py (``make test``)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any, Dict

import pytest

pytestmark = [pytest.mark.anki, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MIRROR = Path("/work/.mirror/FooSoft+anki-connect/repo")


def _ankiconnect(dest: Path) -> Path:
    given = os.environ.get("POLAR_SYNC_ANKICONNECT")
    if given and (Path(given) / "__init__.py").is_file():
        return Path(given)
    git_dir = Path(os.environ.get("POLAR_SYNC_ANKICONNECT_GIT", MIRROR))
    if not git_dir.exists():
        pytest.skip("AnkiConnect's source is not here (set POLAR_SYNC_ANKICONNECT to its plugin folder)")
    archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "HEAD", "plugin"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest)
    return dest / "plugin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _drive(tmp_path: Path, order: str, version: str) -> Dict[str, Any]:
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    plugin = _ankiconnect(tmp_path / "ankiconnect")
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("ankiconnect_driver.py")), str(tmp_path / "anki-base"),
         str(tmp_path / "polar"), str(addon_file), str(plugin), str(_free_port()), order, version, str(result)],
        capture_output=True, text=True, timeout=400, cwd=ROOT,
    )
    assert run.returncode == 0 and result.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    data = json.loads(result.read_text(encoding="utf-8"))
    assert data["log"] == [], data["log"]
    return {s["step"]: s for s in data["steps"]}


@pytest.mark.parametrize("version", ["1.x", "2.x"])
def test_polars_sync_then_ours_with_an_edit_between_leaves_one_live_note_per_card(tmp_path, version):
    steps = _drive(tmp_path, "polar-first", version)
    studied = {n for n, count in steps["studied"]["revlog"].items() if count}
    assert len(studied) == 2
    edited = steps["polar after an edit"]
    assert len(edited["polar"]["added"]) == 2  # the edited card and the new one; the cloze refused
    ours = steps["ours after an edit"]
    assert ours["report"]["rekeyed"] == 1 and ours["report"]["adopted"] == 1
    assert ours["report"]["duplicates"] == 1 and "polar_sync_on" in ours["report"]["codes"]
    assert len(ours["live"]) == 3, "one note per card meets the user"
    copy = [n for n in edited["polar"]["added"] if n in ours["suspended"]]
    assert len(copy) == 1
    assert {n for n, count in ours["revlog"].items() if count} == studied, "reviews stay with their notes"
    assert {str(n) for n in ours["live"]} >= studied
    for round_ in (1, 2):
        assert steps[f"polar again {round_}"]["polar"]["added"] == []
        again = steps[f"ours again {round_}"]
        assert again["notes"] == ours["notes"] and again["live"] == ours["live"]
        assert again["report"]["duplicates"] == 0 and again["report"]["codes"] == []


@pytest.mark.parametrize("version", ["1.x", "2.x"])
def test_our_sync_first_then_polars_adds_nothing_until_a_front_is_fixed_in_anki(tmp_path, version):
    steps = _drive(tmp_path, "addon-first", version)
    assert steps["polar"]["polar"]["added"] == [] and len(steps["polar"]["polar"]["refused"]) == 2
    copy = steps["polar after a fix in Anki"]["polar"]["added"]
    assert len(copy) == 1
    ours = steps["ours after a fix in Anki"]
    assert ours["report"]["duplicates"] == 1 and "polar_sync_on" in ours["report"]["codes"]
    assert ours["report"]["legacy_leftovers"] == [] and copy[0] in ours["suspended"]
    assert ours["live"] == steps["studied"]["live"]
    assert ours["revlog"] == {**steps["studied"]["revlog"], str(copy[0]): 0}
    last = steps["ours again 2"]
    assert last["notes"] == ours["notes"] and last["live"] == ours["live"]
