"""Ctrl-C and SIGTERM sent to a real CLI process at exact points of a sync
(the CLI waits at a named point, ``POLAR_SYNC_PAUSE_AT``; no timing): the
collection and its sync state come back byte for byte with the study data in
them, nothing is left beside them, the message says what happened; a signal
once the sync is complete lets it finish."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.cli_run import Paused, cli, dump, listing, read_study_data, study
from tests.reliability.helpers import integrity_problems


def _studied(tmp_path: Path) -> Dict[str, Any]:
    """A collection synced from the sample library and studied; the library
    then changes (an edit, a new document) so the next sync writes."""
    lib = copy_sample_library(tmp_path / "polar")
    folder = tmp_path / "profile"
    col = folder / "collection.anki2"
    first = cli("--data-dir", str(lib), "--collection", str(col))
    assert first.returncode == 0, first.stderr
    studied = study(col)
    doc = lib / "1HowHttpsWorksCapture0c" / "state.json"
    doc.write_text(doc.read_text().replace("TLS session key", "TLS session key (edited)"))
    Doc(lib, "1InterruptNew", "New").card("1InterruptCard", basic("new q", "new a")).write()
    return {
        "lib": lib, "folder": folder, "col": col, "studied": studied,
        "dump": dump(col), "state": (folder / "collection.polar-sync.sqlite").read_bytes(),
        "listing": listing(folder),
    }


@pytest.mark.parametrize("signum,point", [
    (signal.SIGINT, "opened"),  # the lock is held, no backup yet
    (signal.SIGTERM, "backed-up"),
    (signal.SIGINT, "adding"),  # media written, notes about to be added
    (signal.SIGINT, "updating"),  # new notes committed to the collection
    (signal.SIGTERM, "synced"),  # collection and sync state both committed
])
def test_interrupted_sync_restores_the_collection_exactly(tmp_path, signum, point):
    w = _studied(tmp_path)
    paused = Paused(point, "--data-dir", str(w["lib"]), "--collection", str(w["col"]),
                    "--report", str(tmp_path / "report.json"))
    code, out, err = paused.signal(signum)
    assert code == 1, err
    name = signal.Signals(signum).name
    assert f"interrupted ({name})" in err and "restored" in err and str(w["col"]) in err
    assert "Traceback" not in err
    assert not w["col"].with_name("collection.anki2-wal").exists()
    assert dump(w["col"]) == w["dump"]
    assert (w["folder"] / "collection.polar-sync.sqlite").read_bytes() == w["state"]
    assert listing(w["folder"]) == w["listing"], "something was left beside the collection"
    assert not (tmp_path / "report.json").exists()
    assert read_study_data(w["col"]) == w["studied"]
    # The next run syncs normally and keeps the study data.
    again = cli("--data-dir", str(w["lib"]), "--collection", str(w["col"]), "--report", str(tmp_path / "r.json"))
    assert again.returncode == 0, again.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["created"] == 1 and report["updated"] == 1
    _assert_study_data_kept(w["col"], w["studied"])


def _assert_study_data_kept(col_path: Path, before: Any) -> None:
    from anki.collection import Collection

    col = Collection(str(col_path))
    try:
        from tests.reliability.cli_run import StudyData

        after = StudyData.of(col)
        assert after.revlog == before.revlog
        assert after.reviewed == before.reviewed  # due, ivl, queue, deck of every reviewed card
        assert integrity_problems(col) == []
    finally:
        col.close()


@pytest.mark.parametrize("signum,point", [
    (signal.SIGTERM, "opened"),
    (signal.SIGINT, "reading"),
    (signal.SIGTERM, "adding"),
    # (No "updating" here: a first sync updates no note, so it says no
    # "Updating N notes…"; "synced" is its point after the new notes.)
    (signal.SIGINT, "synced"),
])
def test_interrupted_first_sync_leaves_nothing(tmp_path, signum, point):
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "new" / "profile" / "collection.anki2"
    paused = Paused(point, "--data-dir", str(lib), "--collection", str(col))
    code, _, err = paused.signal(signum)
    assert code == 1 and "interrupted" in err, err
    assert not (tmp_path / "new").exists(), listing(tmp_path / "new")


def test_signal_after_the_sync_is_complete_lets_it_finish(tmp_path):
    w = _studied(tmp_path)
    paused = Paused("finishing", "--data-dir", str(w["lib"]), "--collection", str(w["col"]))
    code, out, err = paused.signal(signal.SIGTERM)
    assert code == 0, err
    assert "SIGTERM arrived after the sync was complete" in err
    assert "1 new note, 1 note updated" in out
    assert not [p for p in w["folder"].iterdir() if "backup" in p.name]
    _assert_study_data_kept(w["col"], w["studied"])
