"""Every CLI error is one sentence naming the path and what to do, with the
contract's exit code (2: usage, unusable library or collection, nothing
written; 1: a failed sync, restored), no traceback unless --debug, and
nothing left beside the collection. Permission cases run the CLI bound by
file modes (as root: without the capabilities that bypass them)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Callable, Dict, Optional

import pytest

from tests.polar_factory import copy_sample_library
from tests.reliability.cli_run import cli, dump, listing, read_study_data, study
from tests.reliability.helpers import integrity_problems


@pytest.fixture
def world(tmp_path):
    base = tmp_path / "w"
    lib = copy_sample_library(base / "polar")
    yield base, lib
    for path in [base, *base.rglob("*")]:  # let pytest remove it
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def _one_sentence(err: str, *must: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("polar_sync: ") and "Traceback" not in err
    for text in must:
        assert text in lines[0], (text, lines[0])


Setup = Callable[[Path, Path], Dict[str, Optional[str]]]


def _synced(base: Path, lib: Path) -> Path:
    col = base / "profile" / "collection.anki2"
    out = cli("--data-dir", str(lib), "--collection", str(col))
    assert out.returncode == 0, out.stderr
    return col


def case_collection_is_a_folder(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "profile" / "collection.anki2").mkdir(parents=True)
    return {"collection": str(base / "profile" / "collection.anki2"), "says": "is a folder"}


def case_collection_under_a_file(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "profile").mkdir()
    (base / "profile" / "notes.txt").write_text("x")
    return {"collection": str(base / "profile" / "notes.txt" / "collection.anki2"), "says": "is a file, not a folder"}


def case_not_an_anki_file(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "profile").mkdir()
    (base / "profile" / "collection.anki2").write_text("my shopping list\n")
    return {"collection": str(base / "profile" / "collection.anki2"), "says": "is not an Anki collection"}


def case_sqlite_but_not_anki(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "profile").mkdir()
    path = base / "profile" / "places.sqlite"
    conn = sqlite3.connect(str(path))
    conn.execute("create table places (url text)")
    conn.commit()
    conn.close()
    return {"collection": str(path), "says": "not an Anki collection"}


def case_read_only_collection(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    col = _synced(base, lib)
    col.chmod(0o444)
    return {"collection": str(col), "says": "is read-only", "user": "1"}


def case_folder_not_writable(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    col = _synced(base, lib)
    col.parent.chmod(0o555)
    return {"collection": str(col), "says": "is not writable", "user": "1"}


def case_new_collection_in_unwritable_folder(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "locked").mkdir(mode=0o555)
    (base / "locked").chmod(0o555)
    return {"collection": str(base / "locked" / "sub" / "collection.anki2"), "says": "is not writable", "user": "1"}


def case_report_is_a_folder(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    col = _synced(base, lib)
    (base / "out").mkdir()
    return {"collection": str(col), "report": str(base / "out"), "says": "is a folder", "named": str(base / "out")}


def case_report_under_a_file(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "out.txt").write_text("x")
    report = str(base / "out.txt" / "r.json")
    return {"collection": str(base / "new" / "collection.anki2"), "report": report, "says": "is a file",
            "named": report}


def case_report_folder_not_writable(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    (base / "ro").mkdir()
    (base / "ro").chmod(0o555)
    report = str(base / "ro" / "r.json")
    return {"collection": str(base / "new" / "collection.anki2"), "report": report, "says": "not writable",
            "named": report, "user": "1"}


def case_missing_data_dir(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    missing = str(base / "no-such-polar")
    return {"collection": str(base / "new" / "collection.anki2"), "data": missing, "says": "does not exist",
            "named": missing}


def case_unopenable_archive(base: Path, lib: Path) -> Dict[str, Optional[str]]:
    archive = base / "polar-export.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 10 + b"this is not really an archive")
    return {"collection": str(base / "new" / "collection.anki2"), "data": str(archive), "named": str(archive)}


CASES = [case_collection_is_a_folder, case_collection_under_a_file, case_not_an_anki_file,
         case_sqlite_but_not_anki, case_read_only_collection, case_folder_not_writable,
         case_new_collection_in_unwritable_folder, case_report_is_a_folder, case_report_under_a_file,
         case_report_folder_not_writable, case_missing_data_dir, case_unopenable_archive]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_usage_error_is_one_sentence_exit_2_and_writes_nothing(world, case):
    base, lib = world
    spec = case(base, lib)
    as_user = bool(spec.get("user"))
    col = Path(spec["collection"] or "")
    before = listing(base)
    before_dump = dump(col) if col.is_file() and col.stat().st_size and "not an Anki" not in spec.get("says", "") \
        else None
    before_bytes = col.read_bytes() if col.is_file() else None
    args = ["--data-dir", spec.get("data") or str(lib), "--collection", str(col)]
    if spec.get("report"):
        args += ["--report", str(spec["report"])]
    out = cli(*args, as_user=as_user)
    assert out.returncode == 2, out.stderr
    _one_sentence(out.stderr, spec.get("named") or str(col), *([spec["says"]] if spec.get("says") else []))
    assert listing(base) == before, "something was written"
    if before_bytes is not None and before_dump is None:
        assert col.read_bytes() == before_bytes  # a foreign file is never touched
    if before_dump is not None:
        assert dump(col) == before_dump


def test_unexpected_failure_is_one_line_and_debug_shows_the_traceback(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "profile" / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    studied = study(col)
    doc = lib / "1HowHttpsWorksCapture0c" / "state.json"
    doc.write_text(doc.read_text().replace("TLS session key", "TLS session key (edited)"))
    before, rows = listing(col.parent), dump(col)
    env = dict(os.environ, POLAR_CRASH_FAIL="Updating")  # crash_driver raises when the step starts
    quiet = cli("--data-dir", str(lib), "--collection", str(col), env=env, driver=True)
    assert quiet.returncode == 1
    lines = [line for line in quiet.stderr.splitlines() if not line.startswith("PHASE ")]
    _one_sentence("\n".join(lines), str(col), "injected failure", "left as it was", "--debug")
    assert listing(col.parent) == before and dump(col) == rows
    loud = cli("--data-dir", str(lib), "--collection", str(col), "--debug", env=env, driver=True)
    assert loud.returncode == 1 and "Traceback (most recent call last)" in loud.stderr
    assert listing(col.parent) == before and dump(col) == rows
    assert read_study_data(col) == studied
    ok = cli("--data-dir", str(lib), "--collection", str(col), "--report", str(tmp_path / "r.json"))
    assert ok.returncode == 0 and json.loads((tmp_path / "r.json").read_text())["updated"] == 1
    from anki.collection import Collection

    c = Collection(str(col))
    try:
        assert integrity_problems(c) == []
    finally:
        c.close()


def test_a_run_bound_by_file_modes_syncs(world):
    """Guards the permission cases above: they fail for the right reason."""
    base, lib = world
    out = cli("--data-dir", str(lib), "--collection", str(base / "u" / "collection.anki2"), as_user=True)
    assert out.returncode == 0, out.stderr
