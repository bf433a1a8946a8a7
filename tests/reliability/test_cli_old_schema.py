"""The command line on a collection an older Anki left (schema 11-17;
oldcols): the current Anki upgrades the file to schema 18 when it
opens it, and the Anki that made it then refuses it ("FileTooNew": seen with
anki 2.1.35 from PyPI on a collection it made and the CLI synced). The CLI
closes such a file as schema 11 again (Anki's own "Downgrade & Quit"), which
every Anki opens; nothing is lost and the schema stamp (``scm``, a full
AnkiWeb sync when it moves) stays. The old files are made here by the current
Anki closing with ``downgrade=True``: the schema-11 file Anki writes, the one
that matters for this step (anki 2.1.35 needs Python 3.8 and its own Rust
wheel, too costly for CI)."""

from __future__ import annotations

import sqlite3

from anki.collection import Collection

from tests.polar_factory import copy_sample_library
from tests.reliability.cli_run import cli


def _col_row(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT ver, scm FROM col").fetchone()
    finally:
        conn.close()


def _old_collection(path) -> None:
    col = Collection(str(path))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "my own card", "from years ago"
    col.add_note(note, col.decks.id("Languages"))
    col.close(downgrade=True)


def test_a_collection_an_old_anki_left_stays_openable_by_it(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    path = tmp_path / "collection.anki2"
    _old_collection(path)
    ver, scm = _col_row(path)
    assert ver == 11

    run = cli("--data-dir", str(lib), "--collection", str(path))
    assert run.returncode == 0, run.stderr
    assert _col_row(path) == (11, scm)  # the old code: (18, scm): 2.1.35 says "FileTooNew"

    # What the sync wrote is all there for any Anki, its own types found again.
    col = Collection(str(path))
    try:
        assert len(col.find_notes("tag:polar")) == 6 and len(col.find_notes("")) == 7
        names = sorted(e.name for e in col.models.all_names_and_ids())
    finally:
        col.close(downgrade=True)
    again = cli("--data-dir", str(lib), "--collection", str(path))
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout + again.stderr
    col = Collection(str(path))
    try:
        assert sorted(e.name for e in col.models.all_names_and_ids()) == names
    finally:
        col.close()


def test_a_current_collection_keeps_its_schema(tmp_path):
    lib = copy_sample_library(tmp_path / "polar")
    path = tmp_path / "collection.anki2"
    Collection(str(path)).close()
    assert _col_row(path)[0] == 18
    assert cli("--data-dir", str(lib), "--collection", str(path)).returncode == 0
    assert _col_row(path)[0] == 18
