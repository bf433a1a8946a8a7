"""The add-on's own life in Tools ▸ Add-ons while Anki runs (real Anki in a
process of its own, addon_life_driver.py): updated from a file (as AnkiWeb
updates do), then deleted. Anki replaces or removes the folder at once but
keeps the running code until it restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from addon.gui.addon_life import module_names
from tests.gui.anki_output import our_tracebacks
from tests.polar_factory import copy_sample_library

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
BROKEN = 'raise ImportError("a module of the newer version was loaded into the running one")\n'


def newer_version(current: Path, out: Path) -> None:
    """The same add-on as a newer release whose every module fails when
    imported: the running version must never import one of them."""
    with zipfile.ZipFile(current) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["human_version"] = "99.0"
                data = json.dumps(manifest).encode()
            elif item.filename.endswith(".py") and item.filename != "__init__.py":
                data = BROKEN.encode()
            dst.writestr(item, data)


def test_an_update_and_a_delete_while_anki_runs_leave_the_running_version_whole(tmp_path):
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    newer = tmp_path / "polar_sync-99.ankiaddon"
    newer_version(addon_file, newer)
    library = copy_sample_library(tmp_path / "polar")
    base = tmp_path / "anki-base"
    result = tmp_path / "result.json"

    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("addon_life_driver.py")), str(base), str(library),
         str(addon_file), str(newer), str(result)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert not seen["errors"], seen["errors"]
    assert not our_tracebacks(output), output[-4000:]
    assert "newer version was loaded" not in output, output[-4000:]

    # The update: the user's files and settings kept, the newer version named.
    assert seen["installed"] == "Polar Sync" and seen["human_version"] == "99.0"
    assert "state-Polar_Test-86362477.sqlite" in seen["user_files_before"]
    assert seen["user_files_after"] == seen["user_files_before"]
    assert seen["data_dir_after"] == seen["data_dir_before"] == str(library)
    # The running version goes on, with its state: one document read again.
    assert "1 note updated" in seen["watch_after_update"], seen["watch_after_update"]
    assert "nothing changed" in seen["manual_after_update"], seen["manual_after_update"]
    assert seen["windows"] == ["log", "settings", "report"]

    # The delete: gone from the menu, nothing runs, the folder stays gone.
    assert seen["folder_after_delete"] is False
    assert seen["menu_after_delete"] == []
    assert seen["syncs_after_delete"] == 0
    assert seen["exit"] == 0
    assert seen["folder_before_quit"] is False and seen["folder_after_quit"] is False


def test_module_names_are_every_module_of_the_package_but_user_files(tmp_path):
    for name in ("__init__.py", "a.py", "gui/__init__.py", "gui/b.py", "user_files/x.py",
                 "gui/__pycache__/b.py", "odd-dir/c.py", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert module_names("pkg", tmp_path) == ["pkg.a", "pkg.gui", "pkg.gui.b"]


def test_a_second_profile_gets_the_library_only_when_asked(tmp_path):
    """Anki keeps one add-on config for all profiles: a profile that never
    synced is left alone while another one has the library."""
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = copy_sample_library(tmp_path / "polar")
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("profiles_driver.py")), str(tmp_path / "anki-base"),
         str(library), str(addon_file), str(result)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert not seen["errors"], seen["errors"]
    assert not our_tracebacks(output), output[-4000:]
    assert seen["a_notes"] == 6
    assert (seen["b_syncs_by_itself"], seen["b_notes_by_itself"], seen["b_watching"]) == (0, 0, False)
    assert seen["b_notes_by_hand"] == 6
    assert "1 note updated" in seen["b_watch"], seen["b_watch"]
    assert "1 note updated" in seen["a_again"], seen["a_again"]  # the change B saw, now in A


def test_what_a_notice_told_once_a_session_is_told_once_for_each_profile(tmp_path):
    """The notices said once a session (decks holding new cards back, the
    scheduler update's wait, old-sync notes) are remembered per profile: a
    second profile opened in the same Anki run is told of its own decks,
    even of the same name (the old code remembered them for the Anki run)."""
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = tmp_path / "polar"
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("told_profiles_driver.py")), str(tmp_path / "anki-base"),
         str(library), str(addon_file), str(result)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert not seen["errors"], seen["errors"]
    assert not our_tracebacks(output), output[-4000:]
    held = [["Held back", 1]]  # (JSON)
    assert seen["a_first"] == {"profile": "Polar Test", "created": 1, "rows": held, "told": True}
    assert seen["a_again"] == {"profile": "Polar Test", "created": 1, "rows": held, "told": False}
    assert seen["b_by_hand"]["profile"] == "Zweites Profil" and seen["b_by_hand"]["rows"] == []
    assert seen["b_first"] == {"profile": "Zweites Profil", "created": 1, "rows": held, "told": True}
    assert seen["b_again"] == {"profile": "Zweites Profil", "created": 1, "rows": held, "told": False}
    assert seen["a_back"] == {"profile": "Polar Test", "created": 1, "rows": held, "told": False}
