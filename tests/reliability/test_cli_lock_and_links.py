"""The order of the CLI's safety steps and a symlinked collection:

* the collection is opened (Anki's lock) before it is backed up, and the
  backup has a name of its own: a second run on the same collection gets
  "in use", exit 1, and leaves nothing; the first run is unharmed;
* a collection reached through a symlink (profiles kept in a synced folder)
  is backed up, checked for a write-ahead log and restored as the real file,
  and the link stays a link.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.cli_run import Paused, cli, dump, listing, read_study_data, study
from tests.reliability.helpers import integrity_problems, review_then_crash


def _studied_profile_with_a_new_card(tmp_path):
    """A synced, studied collection and a library with one card more, so the
    next run has something to write."""
    lib = copy_sample_library(tmp_path / "polar")
    folder = tmp_path / "profile"
    col = folder / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    studied = study(col)
    Doc(lib, "1LockNew", "New").card("1LockCard", basic("q", "a")).write()
    return lib, folder, col, studied


def test_second_run_on_a_locked_collection_is_refused_and_leaves_nothing(tmp_path):
    lib, folder, col, studied = _studied_profile_with_a_new_card(tmp_path)
    before = listing(folder)
    first = Paused("backed-up", "--data-dir", str(lib), "--collection", str(col))
    # The first run holds the collection and its backup now.
    during = listing(folder)
    backups = sorted(name for name in during if "backup" in name)
    assert [b.split(".polar-sync-backup-")[0] for b in backups] == ["collection.anki2", "collection.polar-sync.sqlite"]
    assert all(f"-{first.proc.pid}-" in b for b in backups)  # named for its run
    second = cli("--data-dir", str(lib), "--collection", str(col), "--report", str(tmp_path / "r.json"))
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1 and "is in use" in second.stderr and str(col) in second.stderr
    assert "Traceback" not in second.stderr
    assert listing(folder) == during, "the refused run left something or touched the first run's files"
    assert not (tmp_path / "r.json").exists()
    code, _, err = first.signal(signal.SIGINT)
    assert code == 1 and "restored" in err
    assert listing(folder) == before
    assert read_study_data(col) == studied
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0


def test_a_run_that_is_restoring_still_holds_the_collection(tmp_path):
    """A failed run closes the collection (Anki's lock ends) before it puts
    its backup back; a second run in that moment must not open the
    collection the backup is about to replace."""
    lib, folder, col, studied = _studied_profile_with_a_new_card(tmp_path)
    before, rows = listing(folder), dump(col)
    # ("synced": its new note committed; a sync that updates nothing says no "Updating …")
    first = Paused("synced,restoring", "--data-dir", str(lib), "--collection", str(col))
    first.nudge(signal.SIGINT)  # interrupted: it closes the collection and stops before restoring
    first.wait_for("restoring")
    second = cli("--data-dir", str(lib), "--collection", str(col))
    assert second.returncode == 1 and "is in use" in second.stderr, second.stderr
    code, _, err = first.signal(signal.SIGTERM)  # let it restore
    assert code == 1 and "interrupted (SIGINT)" in err
    assert listing(folder) == before and dump(col) == rows
    assert read_study_data(col) == studied


def test_collection_open_in_anki_is_in_use(tmp_path):
    """Anki itself holding the collection (a Python process with it open)."""
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "profile" / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom anki.collection import Collection\nc = Collection(sys.argv[1])\n"
         "c.decks.id('Opened in Anki')\nprint('open', flush=True)\nsys.stdin.read()\nc.close()\n", str(col)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = listing(col.parent)
        out = cli("--data-dir", str(lib), "--collection", str(col))
        assert out.returncode == 1 and "is in use" in out.stderr and "close it" in out.stderr
        assert listing(col.parent) == before
    finally:
        holder.communicate("")
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0


def test_symlinked_collection_is_backed_up_and_restored_as_the_real_file(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    real_dir = tmp_path / "Dropbox" / "Anki"
    real = real_dir / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(real)).returncode == 0
    profile = tmp_path / "profile"
    profile.mkdir()
    link = profile / "collection.anki2"
    link.symlink_to(real)
    reviews = review_then_crash(link)
    wal = real.with_name(real.name + "-wal")
    assert reviews > 0 and wal.stat().st_size > 0  # the log sits beside the real file
    Doc(lib, "1LinkNew", "New").card("1LinkCard", basic("q", "a")).write()
    before_real, before_profile = listing(real_dir), listing(profile)

    paused = Paused("synced", "--data-dir", str(lib), "--collection", str(link))  # its new note committed
    # Both backups beside the real file (the sync state belongs to it too).
    assert sorted(n.split(".polar-sync-backup-")[0] for n in listing(real_dir) if "backup" in n) == \
        ["collection.anki2", "collection.polar-sync.sqlite"]
    assert not [n for n in listing(profile) if "backup" in n]
    code, _, err = paused.signal(signal.SIGTERM)
    assert code == 1 and "restored" in err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert not [n for n in listing(real_dir) if "backup" in n]
    assert not [n for n in listing(profile) if "backup" in n]
    assert listing(profile) == before_profile
    assert set(listing(real_dir)) <= set(before_real)  # the -wal was folded into the restored file
    data = read_study_data(link)
    assert len(data.revlog) == reviews  # the reviews that lived only in the -wal survived

    report = tmp_path / "r.json"
    out = cli("--data-dir", str(lib), "--collection", str(link), "--report", str(report))
    assert out.returncode == 0, out.stderr
    assert json.loads(report.read_text())["created"] == 1
    assert link.is_symlink() and os.readlink(link) == str(real)
    from anki.collection import Collection

    c = Collection(str(link))
    try:
        assert c.db.scalar("select count() from revlog") == reviews
        assert c.db.all("select id, due, ivl from cards where id in (select cid from revlog) order by id") == \
            [[r[0], r[3], r[5]] for r in data.reviewed]
        assert integrity_problems(c) == []
    finally:
        c.close()
