#!/usr/bin/env python3
"""Sync a Polar library into an Anki collection file, without Anki's window.

    .venv/bin/python tools/polar_sync.py --data-dir DIR_OR_ZIP --collection FILE.anki2 \
        [--lang LANG] [--config FILE.json] [--report FILE.json] [--dry-run]

Exit codes: 0 the sync ran (per-document problems are in the report), 2 usage
error or missing library (nothing written), 1 the sync failed (the collection
is restored to how it was). The sync state lives beside the collection, in
``FILE.polar-sync.sqlite``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from addon.polar.library import SourceError, open_source  # noqa: E402
from addon.settings import Settings, load_defaults  # noqa: E402


class UsageError(Exception):
    pass


def state_path_for(collection: Path) -> Path:
    return collection.with_name(collection.stem + ".polar-sync.sqlite")


def load_settings(config_file: Optional[Path], data_dir: Path) -> tuple[Settings, List[str]]:
    raw: Dict[str, Any] = load_defaults()
    if config_file is not None:
        try:
            overrides = json.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read --config {config_file}: {exc}") from None
        if not isinstance(overrides, dict):
            raise UsageError(f"--config {config_file} must hold a JSON object")
        raw.update(overrides)
    raw["data_dir"] = str(data_dir)
    return Settings.from_dict(raw)


def open_collection(path: Path, lang: Optional[str]) -> Any:
    if not path.exists() and lang:
        import anki.lang

        anki.lang.set_lang(lang)
    from anki.collection import Collection

    path.parent.mkdir(parents=True, exist_ok=True)
    return Collection(str(path))


def backup_collection(collection: Path, backup: Path) -> None:
    """A consistent copy of the collection, *including* transactions still in
    its write-ahead log (Anki keeps collections in WAL mode; after a crash of
    Anki or of this tool the latest commits, reviews too, live only in
    ``FILE-wal``, which a plain file copy would leave behind). A backup left
    by a killed run is stale and simply replaced."""
    import sqlite3

    tmp = backup.with_name(backup.name + ".tmp")
    wal = collection.with_name(collection.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        shutil.copy2(collection, tmp)  # cleanly closed: the file is everything
        os.replace(tmp, backup)
        return
    src = sqlite3.connect(str(collection))
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(tmp, backup)


def restore_collection(backup: Path, collection: Path) -> None:
    """Put the backup back atomically: a crash mid-restore must not leave a
    torn collection file (copy beside it, then rename over it)."""
    tmp = collection.with_name(collection.name + ".polar-sync-restore")
    shutil.copyfile(backup, tmp)
    os.replace(tmp, collection)
    backup.unlink()


def run(args: argparse.Namespace) -> int:
    from addon.sync.engine import sync

    data_dir = Path(args.data_dir).expanduser()
    try:
        open_source(data_dir)  # fail fast (exit 2) before anything is created
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    settings, warnings = load_settings(Path(args.config) if args.config else None, data_dir)
    collection = Path(args.collection).expanduser()
    if collection.exists() and not collection.is_file():
        raise UsageError(f"--collection {collection} is not a file")

    scratch: Optional[tempfile.TemporaryDirectory[str]] = None
    if args.dry_run and not collection.exists():
        # Plan against an empty collection of that language; write nothing.
        scratch = tempfile.TemporaryDirectory(prefix="polar-sync-dry-")
        collection = Path(scratch.name) / "collection.anki2"
    backup: Optional[Path] = None
    if collection.exists() and not args.dry_run:
        backup = collection.with_name(collection.name + ".polar-sync-backup")
        backup_collection(collection, backup)
    created_now = not collection.exists()

    col = open_collection(collection, args.lang)
    try:
        report = sync(
            col, settings, None if args.dry_run and scratch else state_path_for(collection),
            source_path=data_dir, dry_run=args.dry_run,
        )
    except Exception:
        traceback.print_exc()
        col.close()
        if backup is not None:
            restore_collection(backup, collection)
        elif created_now:
            collection.unlink(missing_ok=True)
        print("polar_sync: the sync failed; the collection was left as it was", file=sys.stderr)
        return 1
    col.close()
    if backup is not None:
        backup.unlink()
    if scratch is not None:
        scratch.cleanup()

    for w in warnings:
        report.warn("config", w)
    if args.report:
        out = Path(args.report)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.summary())
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="polar_sync.py", description="Sync a Polar library into an Anki collection."
    )
    parser.add_argument("--data-dir", required=True, help="Polar data directory or Polar 2.x export zip")
    parser.add_argument("--collection", required=True, help="Anki collection file (.anki2); created if missing")
    parser.add_argument("--lang", help="UI language for a new collection, e.g. de_DE (names its stock note types)")
    parser.add_argument("--config", help="JSON file overriding keys of addon/config.json")
    parser.add_argument("--report", help="write the report as JSON to this file")
    parser.add_argument("--dry-run", action="store_true", help="plan and report; change nothing")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors already
        return int(exc.code or 0)
    try:
        return run(args)
    except UsageError as exc:
        print(f"polar_sync: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
