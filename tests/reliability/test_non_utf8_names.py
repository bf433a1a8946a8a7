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
    assert "7 new notes" in ok.stdout
    assert len(read_study_data(folder / "collection.anki2").revlog) == 0


def _export_with_non_utf8_names(dest):
    """A Polar export (gzip'd tar, as Polar writes it) of the sample library
    plus members whose names are not UTF-8: a document's ``doc_meta``
    record, its ``doc_info``, a document file in ``stash/``, and a link
    (refused) with such a name."""
    import io
    import tarfile

    from tests.polar_factory import SAMPLE_LIBRARY
    from tools.polar_export import MTIME, Member, library_metas, members

    odd = Doc(dest.parent / "src", "1OddNameDoc", "Odd names").card("1OddNameCard", basic("odd?", "named"))
    extra = members([odd.meta], body=None)
    for member in extra:
        folder = member.name.split("/", 1)[0]
        if folder in ("doc_meta", "doc_info"):
            member.name = f"{folder}/caf\udce9-\udcff.json"  # the bytes b"caf\xe9-\xff.json"
    pdf = b"%PDF-1.4\n%%EOF\n"
    extra.append(Member("stash/caf\udce9.pdf", len(pdf), lambda: io.BytesIO(pdf)))
    parts = members(library_metas(SAMPLE_LIBRARY)) + extra
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz", format=tarfile.USTAR_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for member in parts:
            info = tarfile.TarInfo(member.name)
            info.size, info.mtime = member.size, MTIME
            with member.open() as fh:
                tar.addfile(info, fh)
        link = tarfile.TarInfo("stash/lien-\udce9.pdf")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    return dest


def test_export_members_named_in_non_utf8_bytes_sync_under_printable_names(col, tmp_path):
    """Such names once failed the whole sync ("surrogates not allowed" at the
    export cache's insert): each is kept under its printable name, a refused
    one is one error naming it, everything syncs, a resync changes nothing,
    and nothing is taken as deleted."""
    from tests.reliability.cli_run import StudyData
    from tests.reliability.helpers import run_sync

    export = _export_with_non_utf8_names(tmp_path / "downloads" / "polar-export.zip")
    state = tmp_path / "state.sqlite"
    policy = {"deletion_policy": "delete", "delete_max_share": 1.0}  # the same settings both times
    first = run_sync(col, export, state, **policy)
    assert first.created == 7 and first.documents == 5, first.errors
    assert [(e["path"], e["message"]) for e in first.errors] == [
        ("polar-export.zip:stash/lien-\\xe9.pdf", "links are refused")]
    renamed = [w for w in first.warnings if w["path"] == "polar-export.zip:doc_meta/caf\\xe9-\\xff.json"]
    assert len(renamed) == 1 and "not valid UTF-8" in renamed[0]["message"]
    json.dumps(first.to_dict(), ensure_ascii=False).encode("utf-8")  # the report can be written
    assert col.db.scalar("select count() from notes where guid = 'polar:1OddNameCard'") == 1
    col.sched.answerCard(col.sched.getCard(), 3)
    studied = StudyData.of(col)

    again = run_sync(col, export, state, **policy)
    assert (again.created, again.updated, again.moved, again.orphaned, again.deleted) == (0, 0, 0, 0, 0)
    assert again.unchanged == 7 and len(again.errors) == 1 and again.warnings == []
    assert StudyData.of(col) == studied
    assert integrity_problems(col) == []


def test_export_with_non_utf8_names_through_the_cli(tmp_path):
    """The same export through the command line: the JSON report is
    written, the run succeeds, and a second run is a no-op."""
    export = _export_with_non_utf8_names(tmp_path / "downloads" / "polar-export.zip")
    col = tmp_path / "profile" / "collection.anki2"
    report_path = tmp_path / "r.json"
    for created in (7, 0):
        out = cli("--data-dir", str(export), "--collection", str(col), "--report", str(report_path))
        assert out.returncode == 0, out.stderr
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["created"] == created and report["updated"] == 0
        assert [e["path"] for e in report["errors"]] == ["polar-export.zip:stash/lien-\\xe9.pdf"]


def test_export_whose_own_file_name_is_not_utf8(col, tmp_path):
    """An export file named in Latin-1 bytes (copied from an old system):
    reports name it with ``\\xNN``, never a lone surrogate (which a UTF-8
    report, Anki's UI and the sync log cannot hold), and it syncs."""
    from addon.polar.library import SourceError, open_source
    from tests.reliability.helpers import run_sync

    built = _export_with_non_utf8_names(tmp_path / "src" / "x.zip")
    export = tmp_path / os.fsdecode(b"caf\xe9-export.zip")
    built.rename(export)
    report = run_sync(col, export, tmp_path / "state.sqlite")
    assert report.created == 7
    paths = [e["path"] for e in report.errors + report.warnings]
    assert paths and all(p.startswith("caf\\xe9-export.zip:") for p in paths), paths
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")

    missing = tmp_path / os.fsdecode(b"gone-\xff.zip")
    try:
        open_source(missing)
    except SourceError as exc:
        assert "gone-\\xff.zip" in str(exc)
        str(exc).encode("utf-8")
    else:
        raise AssertionError("a missing export must be refused")
