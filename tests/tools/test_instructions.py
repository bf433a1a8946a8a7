"""tools/instructions.py: the first sync it counts (run here without valgrind)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import instructions  # noqa: E402


def test_counts_the_notes_of_a_request() -> None:
    from anki import notes_pb2

    requests = [notes_pb2.AddNoteRequest(note=notes_pb2.Note(guid=f"g{i}", notetype_id=1, fields=["x" * (i * 70)]),
                                         deck_id=1) for i in range(5)]
    request = notes_pb2.AddNotesRequest(requests=requests).SerializeToString()
    from bench_figures import count_request_notes

    assert count_request_notes(request) == 5
    assert count_request_notes(b"") == 0


def test_the_sync_it_counts_makes_the_notes_a_real_first_sync_makes(tmp_path: Path) -> None:
    from bench_figures import fresh_collection, settings_for

    from addon.sync.engine import collection_identity, prepare

    library = ROOT / "tools" / "sample_library"
    col = fresh_collection(tmp_path)
    try:
        real = prepare(settings_for(library), tmp_path / "state.sqlite", source_path=library,
                       collection_id=collection_identity(col)).apply(col)
        assert real.created > 0 and col.note_count() == real.created
    finally:
        col.close()
    import addon.sync.write as write

    before = write._run_add_notes
    assert instructions.first_sync_writes_free(library) == real.created
    assert write._run_add_notes is before  # the real writes are back for whatever runs next


def test_the_sync_counted_is_the_given_trees(tmp_path: Path) -> None:
    """Each tree's count is of its own add-on, whatever is put first on
    sys.path after it (bench_figures puts this checkout: the tool once
    counted this checkout's add-on for every tree)."""
    import subprocess

    (tmp_path / "addon").mkdir()
    (tmp_path / "addon" / "__init__.py").write_text("MARK = 'other tree'\n")
    script = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import instructions; "
              "m = instructions.tree_addon(Path(sys.argv[2])); "
              "sys.path.insert(0, str(instructions.ROOT)); import addon; "
              "print(m.MARK, addon.MARK)")
    run = subprocess.run([sys.executable, "-c", script, str(ROOT / "tools"), str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.stdout.split() == ["other", "tree", "other", "tree"], run.stderr
    refused = subprocess.run([sys.executable, "-c", script, str(ROOT / "tools"), str(tmp_path / "nowhere")],
                             capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode != 0
