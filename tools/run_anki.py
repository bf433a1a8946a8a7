#!/usr/bin/env python3
"""`make anki`: try the add-on in real Anki, safely.

Anki runs from the venv with a throwaway base folder (build/anki-base,
wiped on every start, so your own Anki profiles are never touched), Polar
Sync installed from dist/polar_sync.ankiaddon the way "Install from file"
does it, and data_dir pointing at a copy of tools/sample_library in
build/sample-library. Edit the JSON files there while Anki runs to watch
changes arrive.

Usage: python tools/run_anki.py [--data-dir PATH] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402

ROOT = anki_harness.ROOT
BASE = ROOT / "build" / "anki-base"
LIBRARY = ROOT / "build" / "sample-library"
SAMPLE = ROOT / "tools" / "sample_library"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a Polar data folder or export zip (default: a sample copy)")
    parser.add_argument("--keep", action="store_true", help="keep the previous base folder and sample copy")
    args = parser.parse_args()

    if not anki_harness.DIST.exists():
        raise SystemExit("dist/polar_sync.ankiaddon is missing: run `make build` first")
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform != "linux"
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" and has_display:
        del os.environ["QT_QPA_PLATFORM"]  # the Makefile exports offscreen for the tests
    if not has_display:
        print("No display found: Anki will run offscreen (invisible). Set DISPLAY to see it.")

    if not args.keep:
        shutil.rmtree(BASE, ignore_errors=True)
        shutil.rmtree(LIBRARY, ignore_errors=True)
    data_dir = args.data_dir
    if data_dir is None:
        if not LIBRARY.exists():
            shutil.copytree(SAMPLE, LIBRARY)
        data_dir = LIBRARY
    anki_harness.prepare_environment(offscreen=not has_display)
    if not (BASE / "prefs21.db").exists():
        anki_harness.seed_base(BASE)
    print(f"Anki base folder: {BASE}\nPolar library:    {data_dir}")
    session = anki_harness.start(BASE, config={"data_dir": str(data_dir.resolve())})
    sys.exit(session.app.exec())


if __name__ == "__main__":
    main()
