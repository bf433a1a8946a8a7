"""The CLI contract other tools rely on: arguments, exit codes, report file,
dry run, a new collection's language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.cli_run import dump

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tools" / "polar_sync.py"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLI), *args], capture_output=True, text=True, timeout=120)


def test_sync_report_and_rerun(library, tmp_path):
    col = tmp_path / "out" / "collection.anki2"
    report = tmp_path / "report.json"
    first = cli("--data-dir", str(library), "--collection", str(col), "--report", str(report))
    assert first.returncode == 0, first.stderr
    data = json.loads(report.read_text())
    assert data["created"] == 6 and data["errors"] == []
    for key in ("created", "updated", "unchanged", "moved", "orphaned", "deleted", "decks", "errors"):
        assert key in data
    assert "6 new notes" in first.stdout
    assert (tmp_path / "out" / "collection.polar-sync.sqlite").is_file()
    second = cli("--data-dir", str(library), "--collection", str(col), "--report", str(report))
    assert second.returncode == 0
    data = json.loads(report.read_text())
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, 6)
    assert not list((tmp_path / "out").glob("*backup*"))


def test_missing_data_dir_is_a_usage_error_and_writes_nothing(tmp_path):
    col = tmp_path / "c.anki2"
    out = cli("--data-dir", str(tmp_path / "missing"), "--collection", str(col))
    assert out.returncode == 2
    assert "does not exist" in out.stderr
    assert not col.exists()


def test_an_export_renamed_in_its_folder_is_named_with_the_option_to_give(tmp_path, library):
    """--data-dir names the export synced before, since renamed in its
    folder: the one line names it with the --data-dir to give (it said only
    "does not exist; point --data-dir at a Polar data folder or a Polar
    export"); the collection and its state are untouched, and given the new
    name nothing changes."""
    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    export = write_export(tmp_path / "Downloads" / EXPORT_NAME, library_metas(library))
    col = tmp_path / "out" / "collection.anki2"
    assert cli("--data-dir", str(export), "--collection", str(col)).returncode == 0
    before = (col.read_bytes(), (tmp_path / "out" / "collection.polar-sync.sqlite").read_bytes())
    renamed = export.rename(export.with_name("polar-march.zip"))
    out = cli("--data-dir", str(export), "--collection", str(col))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        f"polar_sync: the Polar export {export} does not exist; the same export is in that folder, named "
        f"polar-march.zip: use --data-dir {renamed}"], out.stderr
    assert (col.read_bytes(), (tmp_path / "out" / "collection.polar-sync.sqlite").read_bytes()) == before
    again = cli("--data-dir", str(renamed), "--collection", str(col))
    assert again.returncode == 0 and "nothing changed" in again.stdout.lower(), again.stdout


def test_usage_errors_exit_2(tmp_path, library):
    assert cli("--collection", str(tmp_path / "c.anki2")).returncode == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    out = cli("--data-dir", str(library), "--collection", str(tmp_path / "c.anki2"), "--config", str(bad))
    assert out.returncode == 2 and "JSON object" in out.stderr
    assert not (tmp_path / "c.anki2").exists()


def test_a_bad_config_file_is_one_sentence_that_names_it(tmp_path, library):
    """A missing or broken --config names the file once and says what to
    do (it printed Python's "[Errno 2] ...: '/path'" before); a bad value
    is named under the file, not "config: config: ..."."""
    col = str(tmp_path / "c.anki2")
    missing = tmp_path / "missing.json"
    out = cli("--data-dir", str(library), "--collection", col, "--config", str(missing))
    assert out.returncode == 2
    line = out.stderr.strip()
    assert line.count(str(missing)) == 1 and "Errno" not in line and "addon/config.json" in line
    broken = tmp_path / "broken.json"
    broken.write_text('{"default_deck": "Inbox",}')
    out = cli("--data-dir", str(library), "--collection", col, "--config", str(broken))
    assert out.returncode == 2 and "is not valid JSON" in out.stderr and "fix the file" in out.stderr
    typo = tmp_path / "typo.json"
    typo.write_text('{"deck_strategy": "tags"}')
    out = cli("--data-dir", str(library), "--collection", col, "--config", str(typo))
    assert out.returncode == 0
    assert f"--config {typo}: deck_strategy='tags' must be one of tag, document; using 'tag'" in out.stdout
    assert "config: config" not in out.stdout


def test_a_folder_without_documents_says_so(tmp_path):
    """The home folder instead of ~/.polar: the run is fine (exit 0, nothing
    to do) but says which folder held no document and what one looks like."""
    home = tmp_path / "home"
    home.mkdir()
    out = cli("--data-dir", str(home), "--collection", str(tmp_path / "c.anki2"))
    assert out.returncode == 0
    assert f"there are no Polar documents in {home}" in out.stderr and "state.json" in out.stderr


def test_an_export_without_documents_says_so_in_an_exports_words(tmp_path):
    """An export that holds nothing of Polar's (a zip of something else):
    it said a data folder holds state.json files, words about folders for
    a file."""
    import zipfile

    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("holiday/1.jpg", b"\xff\xd8")
    out = cli("--data-dir", str(other), "--collection", str(tmp_path / "c.anki2"))
    assert out.returncode == 0
    assert f"the Polar export {other} holds no Polar documents" in out.stderr and "state.json" not in out.stderr


def test_a_folder_inside_an_unpacked_export_names_the_export(library, tmp_path):
    """--data-dir given doc_meta/ of an unpacked export: the line names the
    folder to use, not state.json files."""
    import tarfile

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    export = write_export(tmp_path / EXPORT_NAME, library_metas(library))
    unpacked = tmp_path / "unpacked"
    with tarfile.open(export) as tar:
        tar.extractall(unpacked)
    out = cli("--data-dir", str(unpacked / "doc_meta"), "--collection", str(tmp_path / "c.anki2"))
    assert out.returncode == 0
    assert f"is inside an unpacked Polar export: use --data-dir {unpacked}" in out.stderr, out.stderr
    assert "state.json" not in out.stderr
    synced = cli("--data-dir", str(unpacked), "--collection", str(tmp_path / "c.anki2"))
    assert synced.returncode == 0 and "6 new notes" in synced.stdout, synced.stdout


def test_config_overrides_and_dry_run(library, tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"default_deck": "Inbox"}))
    col = tmp_path / "c.anki2"
    report = tmp_path / "r.json"
    dry = cli("--data-dir", str(library), "--collection", str(col), "--config", str(cfg),
              "--report", str(report), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    data = json.loads(report.read_text())
    assert data["dry_run"] and data["created"] == 6 and "Inbox" in data["decks"]
    assert not col.exists()  # a dry run creates nothing
    real = cli("--data-dir", str(library), "--collection", str(col), "--config", str(cfg))
    assert real.returncode == 0
    before = col.stat().st_mtime_ns
    again = cli("--data-dir", str(library), "--collection", str(col), "--dry-run", "--report", str(report))
    assert again.returncode == 0 and json.loads(report.read_text())["created"] == 0
    assert col.stat().st_mtime_ns == before


def test_lang_names_the_stock_note_types_of_a_new_collection(library, tmp_path):
    col = tmp_path / "de.anki2"
    out = cli("--data-dir", str(library), "--collection", str(col), "--lang", "de_DE")
    assert out.returncode == 0, out.stderr
    check = subprocess.run(
        [sys.executable, "-c",
         "import sys; from anki.collection import Collection; c = Collection(sys.argv[1]); "
         "print(sorted(m['name'] for m in c.models.all())); c.close()", str(col)],
        capture_output=True, text=True, check=True,
    )
    assert "Einfach" in check.stdout and "Polar Basic" in check.stdout


def _broken_a_minute_ago(path: Path, payload: bytes) -> None:
    """A damaged file, as after a crash: not one being written just now
    (which a run waits for: read.WRITING_NS)."""
    path.write_bytes(payload)
    old = time.time() - 60
    os.utime(path, (old, old))


def test_a_state_json_being_written_as_the_run_reads_it_is_waited_for_not_called_damaged(library, tmp_path):
    """A file-syncing service (or a copy) writing a state.json in place as
    the CLI reads it: "not a readable Polar document" and a problem line,
    a file that was whole a moment later. Now the run reads it again until
    it is whole (within SETTLE_S): no problem, the document synced."""
    col = str(tmp_path / "c.anki2")
    assert cli("--data-dir", str(library), "--collection", col).returncode == 0
    path = library / "1HowHttpsWorksCapture0c" / "state.json"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    report = tmp_path / "r.json"
    run = subprocess.Popen([sys.executable, str(CLI), "--data-dir", str(library), "--collection", col,
                            "--report", str(report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with open(path, "ab") as f:  # the copy at work for 6 s, past the run's reading
            end = time.monotonic() + 6
            while time.monotonic() < end and run.poll() is None:
                f.write(b" ")
                f.flush()
                time.sleep(0.3)
        path.write_bytes(whole)
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    data = json.loads(report.read_text())
    assert data["errors"] == [] and not data.get("being_written"), data
    assert "not a readable" not in out + err and "still being written" not in err


@pytest.mark.parametrize("payload", [b"{not json", b""])
def test_corrupt_document_still_exit_0(library, tmp_path, payload):
    _broken_a_minute_ago(library / "1HowHttpsWorksCapture0c" / "state.json", payload)
    report = tmp_path / "r.json"
    out = cli("--data-dir", str(library), "--collection", str(tmp_path / "c.anki2"), "--report", str(report))
    assert out.returncode == 0
    data = json.loads(report.read_text())
    assert data["created"] == 5
    assert [e["path"] for e in data["errors"]] == ["1HowHttpsWorksCapture0c/state.json"]
    assert "1HowHttpsWorksCapture0c/state.json" in out.stdout


def test_a_damaged_document_synced_before_is_named_by_its_title_then_its_file(library, tmp_path):
    """A problem line leads with the document's title where a sync knew it,
    as the report window does; Polar's key after it, for support."""
    col = str(tmp_path / "c.anki2")
    assert cli("--data-dir", str(library), "--collection", col).returncode == 0
    _broken_a_minute_ago(library / "1HowHttpsWorksCapture0c" / "state.json", b"{not json")
    out = cli("--data-dir", str(library), "--collection", col)
    assert out.returncode == 0
    line = next(line for line in out.stdout.splitlines() if "1HowHttpsWorksCapture0c" in line)
    assert line.startswith("  “How HTTPS works” (1HowHttpsWorksCapture0c/state.json): not a readable Polar "
                           "document"), line


def test_failed_sync_exit_1_and_collection_restored(library, tmp_path):
    col = tmp_path / "c.anki2"
    assert cli("--data-dir", str(library), "--collection", str(col)).returncode == 0
    before = dump(col)
    doc = library / "1HowHttpsWorksCapture0c" / "state.json"
    doc.write_text(doc.read_text().replace("TLS session key", "TLS session key (edited)"))
    # Fail after the collection was written (at the state commit), as an
    # unexpected error would: the collection must be put back as it was.
    driver = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[1:]\n"
        "from addon.sync import state\n"
        "def boom(*a, **k): raise RuntimeError('injected failure')\n"
        "state.SyncState.commit = boom\n"
        "sys.path.insert(0, sys.argv[0] + '/tools'); import polar_sync\n"
        "sys.exit(polar_sync.main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", driver, str(ROOT), "--data-dir", str(library), "--collection", str(col)],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "left as it was" in out.stderr and "injected failure" in out.stderr
    assert dump(col) == before  # every row (the backup is a VACUUM INTO copy, not the same bytes)
    assert not list(tmp_path.glob("*backup*"))


def test_polar_export_named_zip_syncs_and_is_read_once(library, tmp_path):
    from tools.polar_export import EXPORT_NAME, library_metas, rezip, write_export

    export = write_export(tmp_path / EXPORT_NAME, library_metas(library))
    col = tmp_path / "out" / "collection.anki2"
    report = tmp_path / "report.json"
    first = cli("--data-dir", str(export), "--collection", str(col), "--report", str(report))
    assert first.returncode == 0, first.stderr
    assert json.loads(report.read_text())["created"] == 6
    assert (tmp_path / "out" / "collection.polar-sync.export-cache.sqlite").is_file()
    # The same cards from a re-zipped copy: nothing to do.
    again = cli("--data-dir", str(rezip(export, tmp_path / "again")), "--collection", str(col),
                "--report", str(report))
    assert again.returncode == 0, again.stderr
    data = json.loads(report.read_text())
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, 6)


@pytest.mark.parametrize("content", [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", b"just text"])
def test_unopenable_export_exit_2_one_line(tmp_path, content):
    export = tmp_path / "export.tgz"
    export.write_bytes(content)
    col = tmp_path / "c.anki2"
    out = cli("--data-dir", str(export), "--collection", str(col))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and str(export) in out.stderr
    assert not col.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["export.tgz"]


def test_progress_is_printed_only_for_a_long_run():
    import io

    from tools.polar_sync import ProgressPrinter

    now = [0.0]
    out = io.StringIO()
    printer = ProgressPrinter(out, after=2.0, every=1.0, clock=lambda: now[0])
    for t, message in [(0.5, "a"), (1.9, "b"), (2.1, "c"), (2.5, "d"), (3.2, "e")]:
        now[0] = t
        printer(message)
    assert out.getvalue().split() == ["c", "e"]
