"""A document folder whose name is not valid UTF-8 (copied from an old
system, a broken unzip): that document is keyed safely and reported, the
rest syncs (it once failed the whole sync at the state commit). A failed
run on a new collection leaves no collection, media folder or state file."""

from __future__ import annotations

import json
import os

from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.cli_run import cli, listing, read_study_data, study
from tests.reliability.helpers import integrity_problems

BAD_NAME = b"1Caf\xe9Notes\xff"  # Latin-1 bytes, not UTF-8


def _bad_folder_doc(lib) -> None:
    Doc(lib, "1TempName", "Café notes").card("1CafeCard", basic("café?", "crème")).write()
    os.rename(bytes(lib / "1TempName"), bytes(lib) + b"/" + BAD_NAME)


def test_non_utf8_folder_is_keyed_safely_and_the_rest_syncs(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "profile" / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    studied = study(col)
    _bad_folder_doc(lib)
    report_path = tmp_path / "r.json"
    out = cli("--data-dir", str(lib), "--collection", str(col), "--report", str(report_path))
    assert out.returncode == 0, out.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["created"] == 1 and report["errors"] == []
    key = "1Caf\\xe9Notes\\xff"
    assert [w for w in report["warnings"] if w["path"] == f"{key}/state.json" and "not valid UTF-8" in w["message"]]
    again = cli("--data-dir", str(lib), "--collection", str(col), "--report", str(report_path))
    data = json.loads(report_path.read_text(encoding="utf-8"))
    assert again.returncode == 0 and data["created"] == data["updated"] == 0 and data["unchanged"] == 7

    from anki.collection import Collection

    c = Collection(str(col))
    try:
        assert c.db.scalar("select count() from notes where guid = 'polar:1CafeCard'") == 1
        assert c.db.all("select id, cid, ease, ivl, lastIvl, type from revlog order by id") == studied.revlog
        assert integrity_problems(c) == []
    finally:
        c.close()


def test_failed_first_run_leaves_nothing_beside_the_new_collection(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    _bad_folder_doc(lib)
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "notes.txt").write_text("the user's own file")
    # A sync state left by a collection the user deleted: the failed run
    # sets it aside (another collection's) but must put it back.
    old_state = folder / "collection.polar-sync.sqlite"
    old_state.write_bytes(b"SQLite format 3\x00 an old state")
    before = listing(folder)
    env = dict(os.environ, POLAR_CRASH_FAIL="state-commit")  # after the collection was written
    out = cli("--data-dir", str(lib), "--collection", str(folder / "collection.anki2"), env=env, driver=True)
    assert out.returncode == 1 and "left as it was" in out.stderr
    assert listing(folder) == before  # no collection, -wal, media folder, media database or state file
    assert old_state.read_bytes() == b"SQLite format 3\x00 an old state"
    ok = cli("--data-dir", str(lib), "--collection", str(folder / "collection.anki2"))
    assert ok.returncode == 0, ok.stderr
    assert "7 created" in ok.stdout
    assert len(read_study_data(folder / "collection.anki2").revlog) == 0
