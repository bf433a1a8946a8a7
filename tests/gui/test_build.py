"""The .ankiaddon package: what is in it, and that its private watchdog
works without touching anyone else's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY39 = Path("/root/.pyenv/versions/3.9.18/bin/python3.9")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def test_layout_matches_what_anki_installs(built):
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    assert "__init__.py" in names and "config.json" in names  # contents, no top folder
    assert {"config.md", "config.schema.json", "gui/setup.py", "_vendor/watchdog/LICENSE"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".so", ".pyd"))]
    assert "meta.json" not in names
    assert [n for n in names if n.startswith("user_files/")] == ["user_files/README.txt"]
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]
    assert manifest["package"] == "polar_sync" and manifest["name"] == "Polar Sync"
    assert manifest["min_point_version"] == 231000
    assert isinstance(manifest["mod"], int) and manifest["mod"] > 0
    assert manifest["human_version"] and manifest["homepage"].startswith("https://")


def test_build_is_reproducible(built, tmp_path):
    again = tmp_path / "again.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(again)],
                   check=True, stdout=subprocess.DEVNULL)
    assert again.read_bytes() == built.read_bytes()


def test_vendored_watchdog_has_no_absolute_imports(built):
    with zipfile.ZipFile(built) as zf:
        for name in zf.namelist():
            if name.startswith("_vendor/") and name.endswith(".py"):
                text = zf.read(name).decode()
                assert "from watchdog" not in text and "import watchdog" not in text, name


@pytest.mark.skipif(not PY39.exists(), reason="needs Python 3.9 (Anki 23.10-25.02 bundle it)")
def test_package_compiles_on_python_39(built, tmp_path):
    with zipfile.ZipFile(built) as zf:
        zf.extractall(tmp_path / "pkg")
    files = [str(p) for p in (tmp_path / "pkg").rglob("*.py")]
    subprocess.run([str(PY39), "-m", "py_compile", *files], check=True)


def test_private_watchdog_is_separate_and_watches(built, tmp_path):
    """Unpacked under an arbitrary package name (AnkiWeb installs use a
    number): the watcher works from the package; on Linux without loading
    watchdog at all, and the bundled watchdog (Windows' backend) loads
    through the package, is not the venv's copy, and reports an atomic write."""
    import importlib
    import threading

    package = "polar_sync_buildcheck"
    with zipfile.ZipFile(built) as zf:
        zf.extractall(tmp_path / package)
    sys.path.insert(0, str(tmp_path))
    try:
        from polar_sync_buildcheck.gui import watcher as built_watcher  # type: ignore[import-not-found]

        library = tmp_path / "lib"
        (library / "1Doc").mkdir(parents=True)
        seen: set = set()
        got = threading.Event()

        def on_change(keys):
            seen.update(keys)
            if "1Doc" in keys:
                got.set()

        def save():
            got.clear()
            tmp = library / "1Doc" / ".state.json.tmp"
            tmp.write_text("{}")
            tmp.replace(library / "1Doc" / "state.json")
            assert got.wait(60), seen

        w = built_watcher.LibraryWatcher(str(library), on_change, print)
        w.start()
        try:
            if sys.platform.startswith("linux"):
                assert w.mode == "inotify"
                assert not [m for m in sys.modules if m.startswith(f"{package}._vendor")]
            save()
        finally:
            w.stop()

        vendored = importlib.import_module(f"{package}._vendor.watchdog.observers")
        w = built_watcher.LibraryWatcher(str(library), on_change, print, platform="win32",
                                         load_observer=lambda: vendored.Observer)
        w.start()
        try:
            assert w.mode == vendored.Observer.__name__
            save()
        finally:
            w.stop()
        import watchdog.observers as venv_watchdog

        assert vendored is not venv_watchdog and vendored.Observer is not venv_watchdog.Observer
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
        shutil.rmtree(tmp_path / package, ignore_errors=True)
