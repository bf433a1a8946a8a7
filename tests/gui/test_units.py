"""GUI-side rules that need no running Anki: request merging, the log
files, the report text."""

from __future__ import annotations

import json

from addon.gui import synclog
from addon.gui.operations import MANUAL, PREVIEW, STARTUP, WATCH, SyncRequest
from addon.gui.report_dialog import report_html
from addon.gui.report_text import (
    change_tree,
    conflict_count,
    counts_line,
    counts_words,
    group_changes,
    kind_counts,
    note_ids,
    notice_text,
    problem_count,
    tooltip_text,
)


def test_requests_merge_documents_and_keep_the_visible_trigger():
    a = SyncRequest(WATCH, frozenset({"1A"}))
    b = SyncRequest(WATCH, frozenset({"1B"}))
    assert a.merge(b) == SyncRequest(WATCH, frozenset({"1A", "1B"}))
    assert a.merge(SyncRequest(MANUAL)) == SyncRequest(MANUAL, None)  # whole library absorbs
    assert SyncRequest(STARTUP).merge(a) == SyncRequest(STARTUP, None)
    assert a.merge(SyncRequest(PREVIEW)) is None  # a dry run never merges into a real sync


def test_profile_slug_is_safe_and_distinct():
    assert synclog.profile_slug("User 1") != synclog.profile_slug("User_1")
    assert synclog.profile_slug("Plain") == "Plain"
    for name in ("../../etc", "Jo/1", "Jo:1", "", "日本語"):
        slug = synclog.profile_slug(name)
        assert slug and "/" not in slug and ".." not in slug and ":" not in slug
    assert synclog.profile_slug("Jo/1") != synclog.profile_slug("Jo:1")


def test_log_appends_trims_and_reads_newest_first(tmp_path, monkeypatch):
    monkeypatch.setattr(synclog, "MAX_LOG_BYTES", 4000)
    for i in range(100):
        synclog.append_log("P", "manual", f"sync {i}\nsecond line", {"n": i}, user_files=tmp_path, when=0)
    entries = synclog.read_log(tmp_path)
    assert entries[0].endswith("sync 99\n    second line")
    assert 10 < len(entries) < 100
    assert all(e.startswith("1970-01-01") or e[:4].isdigit() for e in entries)
    assert (tmp_path / synclog.LAST_REPORT_NAME).read_text().strip().endswith("}")


def test_log_written_later_keeps_order_time_and_the_rows_of_the_moment(tmp_path, monkeypatch):
    """synclog.append_later (a sync's end, off Anki's main thread): entries
    in the order asked, the report's first rows as they were then; a
    folder that cannot be written is no error."""
    import threading

    gate = threading.Event()
    append_log = synclog.append_log

    def held(*args, **kwargs):
        gate.wait(5)  # the first write waits: the second must still come after it
        append_log(*args, **kwargs)

    monkeypatch.setattr(synclog, "append_log", held)
    changes = [{"note_id": n} for n in range(synclog.MAX_SAVED_CHANGES + 5)]
    first = synclog.append_later("P", "manual", "first", {"changes": changes}, user_files=tmp_path)
    second = synclog.append_later("P", "watch", "second", user_files=tmp_path)
    changes.clear()  # (the window may go on with the rows: the saved ones were taken)
    assert not first.done()
    gate.set()
    first.result(5), second.result(5)
    entries = synclog.read_log(tmp_path, newest_first=False)
    assert [e.rsplit("\n", 1)[-1].strip() for e in entries] == ["first", "second"]
    saved = json.loads((tmp_path / synclog.LAST_REPORT_NAME).read_text())
    assert len(saved["changes"]) == synclog.MAX_SAVED_CHANGES and saved["changes_left_out"] == 5
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert synclog.append_later("P", "manual", "x", user_files=blocked / "sub").result(5) is None


def test_first_run_marker(tmp_path):
    assert not synclog.first_run_done(tmp_path)
    synclog.mark_first_run_done(tmp_path)
    assert synclog.first_run_done(tmp_path)


def test_report_html_lists_each_file_and_escapes():
    data = {
        "created": 2, "updated": 0, "unchanged": 5, "moved": 0, "orphaned": 1, "deleted": 0, "adopted": 3,
        "errors": [{"path": "1Doc/state.json", "message": "not a readable Polar document: <b>x</b>"}],
        "conflicts": [{"path": "1Doc/state.json#c1", "message": "edited in both"}],
        "warnings": [], "decks": ["A::B"], "documents": 4, "parsed": 1,
    }
    assert counts_line(data) == (
        "2 new notes, 1 note removed in Polar, 3 notes taken over from Polar's old sync, 5 unchanged"
    )
    assert (problem_count(data), conflict_count(data)) == (1, 1)
    assert notice_text(data).endswith("; 1 problem, 1 conflict.")  # counted apart, as the report lists them
    html = report_html(data, "Tools ▸ Sync from Polar", 0)
    assert "1Doc/state.json" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "Conflicts (1)" in html and "Problems (1)" in html
    assert "orphaned" not in html


def test_counts_leave_out_zeros_and_unchanged_alone():
    first_sync = {"created": 6, "updated": 0, "unchanged": 0, "moved": 0, "orphaned": 0, "deleted": 0}
    assert counts_line(first_sync) == "6 new notes"  # never "0 unchanged"
    quiet = {"created": 0, "unchanged": 40}
    assert counts_line(quiet) == ""  # "40 unchanged" alone is not news
    assert tooltip_text(quiet) == "Polar Sync: everything is up to date."
    assert tooltip_text({"unchanged": 3, "dry_run": True}) == "Polar Sync: a sync now would change nothing."
    assert counts_line({"created": 1, "unchanged": 1, "dry_run": True}) == "1 note would be added, 1 unchanged"


def test_changes_group_by_deck_and_document_and_give_browser_ids():
    rows = [
        {"change": "created", "deck": "B", "title": "Zoo", "document": "1Z", "front": "q1", "note_id": None},
        {"change": "updated", "deck": "A", "title": "", "document": "1Y", "front": "q2", "note_id": 7},
        {"change": "moved", "deck": "A", "title": "", "document": "1Y", "front": "q2", "note_id": 7},
        {"change": "deleted", "deck": "A", "title": "Old", "document": "1X", "front": "q3", "note_id": 9},
    ]
    groups = group_changes(rows)
    assert list(groups) == ["A", "B"]
    assert list(groups["A"]) == ["document 1Y", "Old"]  # no title: named by its file
    assert kind_counts(groups["A"]["document 1Y"], False) == "1 note updated, 1 note moved to another deck"
    # Created-in-preview notes do not exist yet; deleted ones no longer do.
    assert note_ids(rows) == [7]



def test_the_change_tree_groups_and_counts_in_one_pass_as_group_changes_does():
    rows = [
        {"change": "created", "deck": "B", "title": "Zoo", "document": "1Z", "front": "q1", "note_id": None},
        {"change": "updated", "deck": "A", "title": "", "document": "1Y", "front": "q2", "note_id": 7},
        {"change": "moved", "deck": "A", "title": "", "document": "1Y", "front": "q2", "note_id": 7},
        {"change": "deleted", "deck": "a", "title": "Old", "document": "1X", "front": "q3", "note_id": 9},
        {"change": "created", "deck": "", "title": "Zoo", "document": "1Z", "front": "q4", "note_id": 11},
    ]
    tree = change_tree(rows)
    groups = group_changes(rows)
    assert tree.rows is rows
    assert [d.name for d in tree.decks] == list(groups)
    for deck in tree.decks:
        assert [d.name for d in deck.documents] == list(groups[deck.name])
        assert list(deck.rows) == [r for d in groups[deck.name].values() for r in d]
        assert counts_words(deck.counts, False) == kind_counts(deck.rows, False)
        for doc in deck.documents:
            assert list(doc.rows) == groups[deck.name][doc.name]
            assert counts_words(doc.counts, True) == kind_counts(doc.rows, True)
    assert list(tree.note_ids) == note_ids(rows) == [7, 11]
    assert change_tree([]).decks == []

def test_the_saved_report_keeps_a_bounded_list_of_changes(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(synclog, "MAX_SAVED_CHANGES", 3)
    rows = [{"change": "created", "note_id": i} for i in range(5)]
    synclog.append_log("P", "manual", "sync", {"created": 5, "changes": rows}, user_files=tmp_path, when=0)
    saved = json.loads((tmp_path / synclog.LAST_REPORT_NAME).read_text())
    assert saved["created"] == 5 and len(saved["changes"]) == 3 and saved["changes_left_out"] == 2


def test_the_saved_report_makes_only_the_rows_it_keeps(tmp_path, monkeypatch):
    import json

    from addon.sync.report import Change, Report

    monkeypatch.setattr(synclog, "MAX_SAVED_CHANGES", 3)
    report = Report(created=5, titles={"1Doc": "A book"})
    report.changes = [Change("created", 10 + i, "Deck", "1Doc", f"1C{i}", i, f"<p>Front {i}</p>", "") for i in range(5)]
    rows = report.lazy_change_rows()
    synclog.append_log("P", "manual", "sync", report.to_dict(rows), user_files=tmp_path, when=0)
    saved = json.loads((tmp_path / synclog.LAST_REPORT_NAME).read_text())
    assert saved["changes"] == report.change_rows()[:3] and saved["changes_left_out"] == 2
    assert rows.made == 3  # the other two are made only if the report window opens
    assert saved["changes"][0]["front"] == "Front 0" and saved["changes"][0]["title"] == "A book"


def test_the_undo_rule_knows_our_undo_step_by_name():
    from addon.gui.quiet import our_step_name
    from addon.sync.write import UNDO_NAME

    assert our_step_name() == UNDO_NAME  # in English; Anki shows it in the user's language


def test_progress_between_batches_of_new_notes_is_translated():
    from addon.gui import i18n
    from addon.gui.report_text import progress_words

    assert progress_words("Adding notes… 5000/8000") == "Adding notes… 5,000/8,000"
    i18n.force("de")
    try:
        assert progress_words("Adding notes… 5000/8000") == "Notizen werden hinzugefügt … 5.000/8.000"
        # as the core says it now (English digits), in German digits
        assert progress_words("Adding notes… 5,000/8,000") == "Notizen werden hinzugefügt … 5.000/8.000"
    finally:
        i18n.force(None)


def test_progress_messages_that_count_fill_the_bar():
    from addon.gui.report_text import progress_share
    from addon.sync.read import _reading_export

    assert progress_share("Reading Polar documents… 250/1000") == (250, 1000)
    assert progress_share("Adding notes… 16000/50000") == (16000, 50000)
    assert progress_share("Adding notes… 16,000/50,000") == (16000, 50000)  # the core's words since eyes9
    # The export's message as the reader makes it: its share of 100.
    assert progress_share(_reading_export(300 << 20, 1200 << 20)) == (25, 100)
    assert progress_share("Updating notes… 2,000/8,000") == (2000, 8000)
    for busy in ("Planning…", "Adding 3000 notes…", "Updating 3,000 notes…", "Moving 300 cards…",
                 "Suspending 12 cards…", "Writing media…", "Looking up existing notes…"):
        assert progress_share(busy) is None


def test_notes_deleted_in_anki_and_made_again_are_worth_a_notice():
    from addon.gui.report_text import made_again_count

    again = {"code": "made_again", "count": 2, "path": "polar", "message": "..."}
    data = {"created": 3, "warnings": [again, {"code": "foreign_notes", "count": 5}], "errors": [], "conflicts": []}
    assert made_again_count(data) == 2
    assert notice_text(data) == "Polar Sync: 3 new notes; 2 notes deleted in Anki made again."
    assert made_again_count({"created": 3, "warnings": [{"code": "foreign_notes", "count": 5}]}) == 0


def test_notes_made_again_after_the_collection_was_replaced_are_not_called_deleted_in_anki():
    """After "Download from AnkiWeb" the notice said "8000 notes deleted in
    Anki made again" of notes nobody deleted (real Anki, fullsync_driver.py)."""
    from addon.gui.report_text import explain, replaced_away_count

    row = {"code": "made_again_replaced", "count": 8000, "path": "polar", "message": "..."}
    data = {"created": 8000, "warnings": [row], "errors": [], "conflicts": []}
    assert replaced_away_count(data) == 8000
    assert notice_text(data) == "Polar Sync: 8,000 new notes; 8,000 notes made again after the collection was replaced."
    assert explain(row).startswith("8,000 notes an earlier sync had made were made again: they were not in")
    assert "Anki has no record of deleting them" in explain(row) and "delete it in Polar" not in explain(row)


def test_cloze_cards_polar_left_empty_are_worth_a_notice():
    """Said only in the report, "1 note updated" hid them: the reviews then
    show Anki's "No cloze 1 found on card" until Empty Cards."""
    from addon.gui.report_text import emptied_cloze_count

    rows = [{"code": "cloze_cards_emptied", "count": 1, "path": "d#c1", "message": "..."},
            {"code": "cloze_cards_emptied", "count": 2, "path": "d#c2", "message": "..."}]
    data = {"updated": 2, "warnings": rows, "errors": [], "conflicts": []}
    assert emptied_cloze_count(data) == 3
    assert notice_text(data) == "Polar Sync: 2 notes updated; 3 cloze cards left empty."
    assert emptied_cloze_count({"updated": 1, "warnings": [{"code": "foreign_notes", "count": 5}]}) == 0


def test_a_newer_export_a_download_and_another_library_are_worth_a_notice():
    """Said only in the report, they hid behind "everything is up to date":
    the old export read while a newer lies beside it, a download not done,
    another account's library."""
    from addon.gui.report_text import to_do_codes

    newer = {"code": "export_newer_beside", "path": "polar", "file": "1abc-2026-12-03T22-10-05Z.zip"}
    data = {"warnings": [newer, {"code": "foreign_notes", "count": 5}], "errors": [], "conflicts": []}
    assert to_do_codes(data) == ["export_newer_beside"]
    assert notice_text(data) == "Polar Sync: a newer Polar export is in the same folder."
    data = {"created": 1, "warnings": [{"code": "library_switched", "count": 2}, {"code": "export_downloading"}]}
    assert notice_text(data) == ("Polar Sync: 1 new note; the Polar export is still being downloaded, "
                                 "a different Polar library than before.")
    assert to_do_codes({"warnings": [{"code": "foreign_notes", "count": 5}, {"code": "made_again"}]}) == []
    # An unpacked export over an older one that kept its files: deletions in Polar unseen, ask to unpack anew.
    kept = {"warnings": [{"code": "export_leftovers_kept", "dated": "2021-02-12"}]}
    assert notice_text(kept) == "Polar Sync: files of an older Polar export are in the folder."
    assert to_do_codes({"warnings": [{"code": "export_leftovers_taken", "dated": "2021-02-12"}]}) == []
    # Unpacked from a download cut short: said so, and what to do, in the report.
    cut = {"warnings": [{"code": "export_unpacked_cut", "dated": "2021-02-12", "file": "1New-2021-03-14.zip"}]}
    assert notice_text(cut) == "Polar Sync: the Polar export was unpacked from a download cut short."
    # A collection still on Anki's v1 scheduler: moves and suspensions wait (oldcols): "nothing changed" hid it.
    old = {"unchanged": 3, "warnings": [{"code": "old_scheduler", "count": 3}]}
    assert notice_text(old) == "Polar Sync: some cards wait for Anki's scheduler update."
    from addon.gui.report_text import nothing_changed

    assert nothing_changed(old) == "Nothing changed yet: some cards wait for Anki's scheduler update."
    # Polar's own AnkiConnect sync still on beside the add-on (tests/sync/test_polar_sync_beside.py).
    still_on = {"duplicates": 1, "removed_as": "suspend", "warnings": [{"code": "polar_sync_on", "count": 1}]}
    assert to_do_codes(still_on) == ["polar_sync_on"]
    assert notice_text(still_on) == "Polar Sync: 1 duplicate note suspended; Polar's own Anki sync is still on."
    older = dict(still_on, removed_as="")  # a report of a version that did not say the setting
    assert notice_text(older) == "Polar Sync: 1 duplicate note set aside; Polar's own Anki sync is still on."
    from addon.gui.report_text import explain

    said = explain(cut["warnings"][0])
    # (The older export's day in words, as the language writes it: dates.py.)
    assert "1New-2021-03-14.zip" in said and "(February\u00a012, 2021)" in said
    assert "Download the export again" in said


def test_old_sync_notes_taken_over_and_left_over_are_told_apart():
    data = {"created": 1, "adopted": 1, "paired": 2, "legacy_leftovers": [11, 12], "errors": [], "conflicts": []}
    assert counts_line(data) == "1 new note, 3 notes taken over from Polar's old sync"
    assert notice_text(data, leftovers=2).endswith("; 2 notes from Polar's old sync to look at.")
    html = report_html(data, "Sync when the profile opens", 0)
    assert "From Polar&#x27;s old sync (2)" in html and "no longer match a Polar card" in html
    assert "href='nid:11,12'" in html and "href='polar-suspend:11,12'" in html
    assert "old sync" not in report_html({"created": 1}, "Sync when the profile opens", 0)


def test_anki_start_does_not_import_the_sync_engine():
    """What Anki imports at start (the package, then the GUI module) leaves
    reading, planning and writing to the first sync: they were ~8 of the
    add-on's ~28 ms import (the bench's "import ms", target 30); the
    DocMeta parser, the archive reader and the sync state's code to their
    first use: ~5 ms more; the report, the export cache and the source
    finder (originals, origin) to the first sync or card shown: ~9 ms more;
    the settings and report windows to when they first open.
    Of the core, only the data folder's checks (polar.library) remain."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); import aqt; import addon; import addon.gui.setup; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('addon.', 'aqt.addons')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen")).stdout.split()
    assert "addon.polar.library" in out  # (the data folder is checked at start)
    assert not {"addon.sync.engine", "addon.sync.apply", "addon.sync.plan", "addon.sync.write",
                "addon.sync.read", "addon.sync.state", "addon.polar.docmeta", "addon.polar.archive",
                "addon.polar.hashcodes", "addon.sync.report", "addon.sync.origin", "addon.polar.originals",
                "addon.polar.export_cache"} & set(out)
    # The windows, until first opened (the settings window brings aqt.addons).
    assert not {"addon.gui.settings_dialog", "addon.gui.report_dialog"} & set(out)


def test_a_sync_starts_on_ankis_main_thread_with_one_small_module():
    """What a sync's start imports on Anki's main thread (the collection's id,
    before the reading's QueryOp) brings none of the engine's modules: their
    dataclasses and, on a first run, their compiling held the window ~20 ms."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); import aqt; import addon.gui.setup; "
            "before = set(sys.modules); from addon.sync.identity import collection_identity; "
            "from addon.sync.page_label import from_words, stored; "
            "print(' '.join(sorted(m for m in set(sys.modules) - before if m.startswith('addon.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen")).stdout.split()
    assert set(out) <= {"addon.sync", "addon.sync.identity", "addon.sync.page_label"}, out


def test_the_saved_report_is_utf8_json_as_the_standard_library_reads_it(tmp_path):
    import json
    from typing import NamedTuple

    class Pair(NamedTuple):
        page: int
        title: str

    report = {"created": 1, "decks": ["Bücher::日本語"], "where": Pair(3, "Straße"), 7: "an int key"}
    synclog.append_log("P", "manual", "sync", report, user_files=tmp_path, when=0)
    raw = (tmp_path / synclog.LAST_REPORT_NAME).read_bytes()
    assert "Bücher::日本語".encode() in raw  # written as UTF-8, not \u escapes
    assert json.loads(raw) == json.loads(json.dumps(report, ensure_ascii=False))


def test_a_library_without_documents_is_not_up_to_date():
    """A wrong folder (the home folder, a document's own folder) lists no
    document: the words say so instead of "everything is up to date"."""
    from addon.gui.report_text import nothing_changed

    empty = {"created": 0, "unchanged": 0, "documents": 0, "errors": []}
    assert tooltip_text(empty) == "Polar Sync: no Polar documents were found, so there was nothing to sync."
    assert nothing_changed(dict(empty, dry_run=True)) == "No Polar documents were found, so there was nothing to sync."
    # A library whose only document could not be read has its problem to show (old reports no count):
    # not "Everything is up to date." over "Problems (1)" (test_headlines.py has every row's).
    broken = dict(empty, errors=[{"path": "1A/state.json", "message": "x"}])
    assert nothing_changed(broken) == "Nothing changed, but not all of Polar's changes are in Anki: see below."
    assert tooltip_text({"unchanged": 3}) == "Polar Sync: everything is up to date."


def test_a_folder_without_documents_points_to_the_polar_folder_near_it(tmp_path):
    from addon.gui.polar_folder import better_folder, holds_documents

    home = tmp_path / "home"
    polar = home / ".polar"
    (polar / "1DocA").mkdir(parents=True)
    (polar / "1DocA" / "state.json").write_text("{}")
    (polar / "stash").mkdir()
    (polar / "files" / "image").mkdir(parents=True)
    (polar / ".backup-2020-01-01" / "1DocB").mkdir(parents=True)
    (polar / ".backup-2020-01-01" / "1DocB" / "state.json").write_text("{}")
    assert holds_documents(polar)
    assert not holds_documents(home) and not holds_documents(polar / "stash")
    assert not holds_documents(tmp_path / "gone")
    # Every document kept online only by iCloud Drive (a placeholder in the
    # place of each state.json): still Polar's folder (on the old code: none).
    cloud = tmp_path / "iCloud" / "polar"
    (cloud / "1DocC").mkdir(parents=True)
    (cloud / "1DocC" / ".state.json.icloud").write_bytes(b"")
    (cloud / "stash").mkdir()
    assert holds_documents(cloud) and better_folder(cloud / "stash", tmp_path / "nowhere") == cloud
    nowhere = tmp_path / "nowhere"
    # The home folder, a document's own folder, stash/, files/image/: each leads to .polar.
    for chosen in (home, polar / "1DocA", polar / "stash", polar / "files" / "image"):
        assert better_folder(chosen, nowhere) == polar, chosen
    other = tmp_path / "Documents"
    other.mkdir()
    assert better_folder(other, nowhere) is None
    assert better_folder(other, polar) == polar  # Polar's own default, when it has documents


def test_the_old_sync_link_counts_its_notes():
    one = report_html({"legacy_leftovers": [5], "documents": 1}, "manual", 0)
    two = report_html({"legacy_leftovers": [5, 6], "documents": 1}, "manual", 0)
    assert "Suspend it<" in one and "Suspend them" not in one
    assert "Suspend them<" in two


def test_an_old_sync_notes_edit_kept_says_so():
    """A field edited in Anki since Polar's old sync wrote it, kept on
    adoption, is said as such (not "another computer or an import")."""
    from addon.gui import i18n
    from addon.gui.report_text import explain

    row = {"code": "unrecorded_anki", "field": "Back", "old_sync": True, "message": "x"}
    try:
        i18n.force("en")
        assert explain(row) == "“Back” was edited in Anki after Polar's old sync wrote it: your version was kept."
        assert "another computer" in explain(dict(row, old_sync=False))
        i18n.force("de")
        assert explain(row).startswith("„Back“ wurde in Anki bearbeitet")
    finally:
        i18n.force(None)
    html = report_html({"conflicts": [dict(row, polar="A", anki="B", note_id=1)], "documents": 1}, "manual", 0)
    assert "was edited in Anki after Polar&#x27;s old sync wrote it" in html


def test_the_old_syncs_older_versions_have_their_own_sentence_and_links():
    """Leftovers that are older versions of a card synced now are named as
    such (the user may be studying both), with links to just them."""
    html = report_html({"legacy_leftovers": [5, 6, 7], "legacy_older_versions": [6, 7], "documents": 1}, "manual", 0)
    assert "3 notes from Polar" in html and "no longer match a Polar card" in html
    assert "Of them, 2 are older versions of cards that are synced now" in html
    assert "href='nid:6,7'" in html and "href='polar-suspend:6,7'" in html
    assert "Of them" not in report_html({"legacy_leftovers": [5], "documents": 1}, "manual", 0)


def test_the_cli_summary_says_what_the_window_says():
    """The CLI and the sync log print ``Report.summary()``; the tooltip and
    the report window ``counts_line``: the same English words, in the same
    order, for every count (the JSON keys stay as they are)."""
    import itertools

    from addon.gui import i18n
    from addon.sync.report import Report

    i18n.force("en")
    try:
        keys = ("created", "updated", "moved", "restored", "orphaned", "deleted", "adopted", "paired",
                "duplicates", "copies", "unchanged")
        for dry_run, removed_as in itertools.product((False, True), ("", "suspend", "tag", "keep")):
            for n, key in itertools.product((1, 3), keys):
                for other in ("unchanged", "created", "deleted"):
                    report = Report(dry_run=dry_run, removed_as=removed_as)
                    setattr(report, key, n)
                    if other != key:
                        setattr(report, other, 2 if other != "deleted" else n + 1)
                    first = report.summary().splitlines()[0]
                    words = counts_line(report.to_dict())
                    if words:
                        assert first.endswith(f": {words}."), (first, words)
                    else:
                        assert "nothing" in first and ": 0 " not in first
        assert Report(created=6).summary().startswith("Polar Sync: 6 new notes.\n")
        assert tooltip_text(Report(created=6).to_dict()) == "Polar Sync: 6 new notes."
    finally:
        i18n.force(None)


def _unrecorded(i: int) -> dict:
    return {"path": f"1Doc/state.json#c{i}", "message": "differs", "code": "unrecorded_anki", "field": "Front",
            "polar": f"question {i}", "anki": f"question {i} [sound:tts-{i}.mp3]", "note_id": 1000 + i,
            "document": "1Doc", "card": f"c{i}", "front": f"question {i}"}


def test_texts_kept_for_want_of_a_record_are_not_listed_as_changed_in_both():
    """An unrecorded_anki row is no conflict the setting decided: a section
    of its own says once what happened, the real conflicts keep theirs."""
    data = {"conflicts": [_unrecorded(1), {"path": "1Doc/state.json#c9", "code": "conflict_polar",
                                          "field": "Front", "polar": "p", "anki": "a", "note_id": 9}],
            "documents": 1}
    html = report_html(data, "Sync when the profile opens", 0)
    assert "Kept as in Anki (1)" in html and "no record of syncing them before" in html
    assert "Conflicts (1)" in html
    assert html.index("Kept as in Anki") < html.index("question 1 [sound") < html.index("Conflicts (1)")
    assert notice_text(data) == "Polar Sync: 1 conflict, 1 text kept as in Anki."
    assert notice_text({"conflicts": [_unrecorded(i) for i in range(50)]}) == "Polar Sync: 50 texts kept as in Anki."
    from html import escape

    # Each row says what was kept in a few words: the section's intro says why, once.
    assert html.count("no record of syncing") == 1
    assert escape("“Front” differs from Polar's text; Anki's version was kept.") in html


def test_a_report_of_thousands_of_rows_lists_a_hundred_and_the_rest_in_the_browser():
    data = {"conflicts": [_unrecorded(i) for i in range(5000)], "documents": 1}
    html = report_html(data, "Sync when the profile opens", 0)
    assert "Kept as in Anki (5,000)" in html
    assert html.count(">Show in Browser</a>") == 101 and "Open in Browser" not in html  # (the rows' and the rest's)
    assert "4,900 more, not listed here." in html
    rest = html.split("4,900 more, not listed here.")[1]
    assert "nid:" + ",".join(str(1000 + i) for i in range(100, 5000)) in rest
    assert len(html) < 100_000


def test_an_unpacked_export_with_no_document_is_named_an_export(tmp_path):
    """An unpacked export is read as the export: when it holds no
    document, the message speaks of the export, not of state.json files."""
    from addon.gui.library_missing import message_html

    (tmp_path / "doc_meta").mkdir()
    text = message_html(tmp_path, configured=True, exists=True, empty=True)
    assert "The Polar export" in text and "holds no documents" in text and "state.json" not in text

def test_a_missing_export_names_the_export_downloaded_after_it(tmp_path):
    """The old export deleted once a new one is downloaded (Polar names each
    anew): the missing-library message names the new file to choose."""
    from addon.gui.library_missing import message_html

    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    gone = downloads / "12dzxVk3Q8-2021-03-14T09:26:53.512Z.zip"
    assert "downloaded later" not in message_html(gone, configured=True, exists=False)
    (downloads / "1NewOne9Ab-2021-03-21T10:00:00.000Z.zip").write_bytes(b"\x1f\x8b" + bytes(30))
    text = message_html(gone, configured=True, exists=False)
    assert "downloaded later" in text and "<code>1NewOne9Ab-2021-03-21T10:00:00.000Z.zip</code>" in text


def test_a_missing_export_renamed_in_its_folder_is_named_by_its_new_name(tmp_path):
    """The export read last (the cache beside the sync state knows it),
    renamed in its folder: the message names it and says which menu item
    chooses it (a folder for an unpacked one), without the paragraphs on
    Polar desktop's data folder; a file of another content is not named."""
    import os
    import tarfile

    from addon.gui.library_missing import message_html
    from addon.polar.library import beside, open_source
    from tests.polar_factory import copy_sample_library
    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    downloads = tmp_path / "Downloads"
    export = write_export(downloads / EXPORT_NAME, library_metas(copy_sample_library(tmp_path / "polar")))
    cache = beside(tmp_path / "state.sqlite")
    open_source(export, cache).list_documents()
    other = downloads / "other.zip"  # (same size and time, another content)
    other.write_bytes(b"\x00" + export.read_bytes()[1:])
    os.utime(other, ns=(export.stat().st_atime_ns, export.stat().st_mtime_ns))
    renamed = export.rename(downloads / "polar-march.zip")
    text = message_html(export, configured=True, exists=False, cache=cache)
    assert "under another name: <code>polar-march.zip</code>" in text and "“Use a Polar export…”" in text
    assert ".polar" not in text and "other.zip" not in text
    assert "under another name" not in message_html(export, configured=True, exists=False)  # (no cache)
    folder = downloads / "unpacked"
    with tarfile.open(renamed) as tar:
        tar.extractall(folder)
    open_source(folder, cache).list_documents()
    gone = folder.rename(downloads / "Polar March")
    text = message_html(folder, configured=True, exists=False, cache=cache)
    assert f"under another name: <code>{gone.name}</code>" in text and "“Choose Polar data folder…”" in text


def test_the_decks_left_empty_by_duplicates_removed_are_named_in_every_language():
    from addon.gui import i18n
    from addon.gui.report_text import explain

    row = {"code": "emptied_decks", "decks": ["compsci::os+", "learning+"], "count": 2, "path": "polar",
           "message": "decks left empty by the duplicates removed: ..."}
    try:
        for lang in ("en", "de", "ja"):
            i18n.force(lang)
            words = explain(row)
            assert "compsci::os+, learning+" in words and words != row["message"], (lang, words)
    finally:
        i18n.force(None)


def test_a_side_of_a_conflict_that_is_empty_says_so():
    """A cloze's Back Extra is often empty in Polar: "In Polar:" followed by
    nothing read as something missing from the report."""
    from addon.gui import i18n

    data = {"conflicts": [{"path": "1Doc/state.json#c9", "code": "conflict_anki", "field": "Back Extra",
                           "polar": "", "anki": "my own note", "note_id": 9}], "documents": 1}
    try:
        for lang, empty in (("en", "(empty)"), ("de", "(leer)")):
            i18n.force(lang)
            html = report_html(data, "Sync when the profile opens", 0)
            polar_side = html.split("In Polar:")[-1]  # (the same words in German)
            assert empty in html and "my own note" in html, (lang, html)
            assert polar_side.index(empty) < polar_side.index("my own note"), lang
    finally:
        i18n.force(None)


def test_a_file_or_folder_picked_inside_an_unpacked_export_leads_to_the_export(tmp_path):
    """Use a Polar export… shows files only: a user with an unpacked export
    picks a file in it (doc_meta/x.json, a PDF in stash/); the folder
    chooser gets doc_meta/ or stash/. Each leads to the export's folder."""
    from addon.gui.polar_folder import better_folder
    from addon.polar.library import unpacked_export_around

    export = tmp_path / "12dzxVk3Q8-2021-03-14T09_26_53.512Z"
    for sub in ("doc_meta", "doc_info", "stash"):
        (export / sub).mkdir(parents=True)
    (export / "doc_meta" / "1abc.json").write_text("{}")
    (export / "stash" / "1abc.pdf").write_bytes(b"%PDF")
    for picked in (export / "doc_meta" / "1abc.json", export / "stash" / "1abc.pdf", export / "stash"):
        assert unpacked_export_around(picked) == export, picked
    assert better_folder(export / "doc_meta", tmp_path / "nowhere") == export
    assert unpacked_export_around(tmp_path / "photos" / "a.jpg") is None
    assert unpacked_export_around(export) is None  # the export itself: nothing around it


def test_the_way_back_is_said_only_after_a_first_sync_that_changed_something():
    """A first sync that found everything in place (the notes made on another
    computer, brought by AnkiWeb) said "Edit ▸ Undo takes the sync back" of
    a sync with no step to undo (states5's Left)."""
    from addon.gui.operations import Outcome
    from addon.gui.report_text import backup_words
    from addon.gui.setup import report_data
    from addon.sync.report import Report

    request = SyncRequest(STARTUP)
    changed = Outcome(request, Report(created=3), 0.0, 1.0, backed_up=True)
    unchanged = Outcome(request, Report(unchanged=3), 0.0, 1.0, backed_up=True)
    assert report_data(changed)["backup"] is True
    assert backup_words() in report_html(report_data(changed), "Sync when the profile opens", 0)
    assert "backup" not in report_data(unchanged)
    assert backup_words() not in report_html(report_data(unchanged), "Sync when the profile opens", 0)


def test_new_cards_held_only_for_today_are_the_reports_alone():
    """Today's limit used up: the report says it, no notice (the cards come
    by themselves tomorrow); a limit of 0 holds them for good: the notice."""
    from addon.gui.report_text import attention_line, to_do_codes

    today = {"created": 1, "warnings": [{"code": "new_cards_held", "count": 1, "deck": "Default"}]}
    assert to_do_codes(today) == [] and attention_line(today) == ""
    for row in ({"limited_by": "Default", "deck": "Default"}, {"decks": ["A", "B", "C", "D"], "preset": "Default"}):
        lasting = {"created": 1, "warnings": [{"code": "new_cards_held", "count": 1, **row}]}
        assert to_do_codes(lasting) == ["new_cards_held"]
        assert attention_line(lasting) == "new cards held back by a deck's daily limits"


def test_new_notes_waiting_for_the_scheduler_update_share_the_update_phrase():
    """New notes on a collection Anki studies only after its scheduler
    update (v1, or v2 with v3 off): the notice says the update's phrase,
    once beside the moves that wait for it too; a limit of 0 reviews a day
    holds new cards for good: the notice, as a limit of 0 new cards does."""
    from addon.gui.report_text import attention_line, notice_text, scheduler_wait_count, to_do_codes

    new = {"created": 3, "warnings": [{"code": "new_cards_wait_update", "count": 3}]}
    assert to_do_codes(new) == ["old_scheduler"]
    assert notice_text(new) == "Polar Sync: 3 new notes; some cards wait for Anki's scheduler update."
    both = {"created": 1, "warnings": [{"code": "old_scheduler", "count": 2},
                                       {"code": "new_cards_wait_update", "count": 1}]}
    assert to_do_codes(both) == ["old_scheduler"] and scheduler_wait_count(both) == 3
    assert attention_line(both) == "some cards wait for Anki's scheduler update"
    reviews = {"created": 1, "warnings": [{"code": "new_cards_held", "count": 1, "deck": "Default",
                                           "limited_by": "Default", "limit": "reviews"}]}
    assert to_do_codes(reviews) == ["new_cards_held"]


def test_a_sync_that_only_left_notes_deleted_does_not_say_everything_is_up_to_date():
    """The person just deleted a deck, and Deleted in Anki left its notes
    deleted: the headline says that, not "Everything is up to date."."""
    from addon.gui.report_text import attention_line, left_deleted_count, nothing_changed

    data = {"documents": ["d"], "warnings": [{"code": "left_deleted", "count": 12, "decks": ["bio"]}]}
    assert left_deleted_count(data) == 12
    assert nothing_changed(data) == "Nothing changed: 12 notes you deleted in Anki were left deleted."
    assert attention_line(data) == "12 notes you deleted in Anki left deleted"
    assert nothing_changed({"documents": ["d"], "warnings": []}) == "Everything is up to date."


def test_a_sync_whose_change_from_polar_a_note_does_not_hold_does_not_say_everything_is_up_to_date():
    """A note type lacking a field of Polar's (or a note changed to the other
    kind): Polar's change is not in the note. The headline and the tooltip
    said "everything is up to date"; the notice says it the first time, a
    row told again at a later sync (``told_before``) is the report's alone."""
    from addon.gui import i18n
    from addon.gui.report_text import attention_line, nothing_changed

    row = {"code": "fields_missing", "path": "note type Basic", "notetype": "Basic", "fields": "Front", "count": 1}
    data = {"documents": ["d"], "warnings": [row]}
    assert nothing_changed(data) == "Nothing changed, but not all of Polar's changes are in Anki: see below."
    assert tooltip_text(data) == "Polar Sync: nothing changed, but not all of Polar's changes are in Anki."
    assert attention_line(data) == "a change from Polar not written into a note type that lacks its field"
    again = {"documents": ["d"], "warnings": [dict(row, told_before=True)]}
    assert attention_line(again) == "" and nothing_changed(again) == nothing_changed(data)
    kind = {"documents": ["d"], "warnings": [{"code": "kind_changed_kept", "path": "d#c"}]}
    assert nothing_changed(kind) == nothing_changed(data)
    try:
        i18n.force("de")
        said = nothing_changed(data)
        assert said == "Nichts geändert, aber nicht alle Änderungen aus Polar sind in Anki: siehe unten.", said
    finally:
        i18n.force(None)


def test_a_preview_row_of_notes_left_deleted_before_names_the_decks_and_the_setting_in_every_language():
    """A preview after an earlier sync left notes deleted: the row says they
    stay deleted, where they were, and the way back, in the catalogue's words."""
    from addon.gui import i18n
    from addon.gui.report_text import explain, nothing_changed

    row = {"code": "left_deleted_before", "count": 4, "decks": ["bio", "chem"], "more_decks": 0, "path": "polar",
           "message": "4 notes you deleted in Anki stay deleted ..."}
    expected = {
        "en": "4 notes you deleted in Anki stay deleted (in the decks “bio”, “chem”), as an earlier sync said: "
              "“Deleted in Anki” in Tools ▸ Polar Sync ▸ Settings… is “Leave them deleted”. “Make them again” "
              "brings them back.",
        "de": "Gelöscht lassen",
        "ja": "削除したままにする",
    }
    try:
        for lang, words in expected.items():
            i18n.force(lang)
            said = explain(row)
            assert words in said and "bio" in said and "chem" in said, (lang, said)
        i18n.force("en")
        assert explain(dict(row, count=1, decks=["bio"])).startswith("1 note you deleted in Anki stays deleted (in "
                                                                     "the deck “bio”)")
        data = {"dry_run": True, "documents": ["d"], "warnings": [row]}
        assert nothing_changed(data) == "A sync now would change nothing."
    finally:
        i18n.force(None)


def test_a_row_of_notes_deleted_with_their_note_type_names_it_in_every_language():
    """A note type deleted in Anki with its notes (``note_types`` in the
    row): named after the decks, in the catalogue's words; a row without
    it reads as before."""
    from addon.gui import i18n
    from addon.gui.report_text import explain

    row = {"code": "left_deleted", "count": 8, "decks": ["bio", "chem"], "note_types": ["Basic"], "path": "polar",
           "message": "8 notes you deleted in Anki left deleted ..."}
    expected = {
        "en": "8 notes you deleted in Anki were left deleted (in the decks “bio”, “chem”; the note type “Basic” was "
              "deleted too), as “Deleted in Anki”",
        "de": "; auch der Notiztyp „Basic“ wurde gelöscht)",
        "ja": "ノートタイプ「Basic」も削除されました",
    }
    try:
        for lang, words in expected.items():
            i18n.force(lang)
            assert words in explain(row), (lang, explain(row))
        i18n.force("en")
        two = explain(dict(row, code="made_again", note_types=["Basic", "My cards"]))
        assert "(in the decks “bio”, “chem”; the note types “Basic”, “My cards” were deleted too)" in two, two
        assert "note type" not in explain({k: v for k, v in row.items() if k != "note_types"})
    finally:
        i18n.force(None)


def test_notes_whose_cards_polar_deleted_are_told_by_what_became_of_them_in_every_language():
    """"1 note removed in Polar" read as the note and its reviews gone: the
    headline says what the setting did, a deck's line says it short, a
    note's row in one word, and a section says where they are, how to keep
    one, and which setting decides (qa: real collections). A report of an
    older version (no ``removed_as``) keeps its old words."""
    from addon.gui import i18n
    from addon.gui.report_text import change_label, counts_words

    rows = [{"change": "removed", "deck": "Bio", "title": "Cells", "document": "1C", "front": "q", "note_id": 41},
            {"change": "removed", "deck": "Bio", "title": "Cells", "document": "1C", "front": "r", "note_id": 42}]
    data = {"orphaned": 2, "unchanged": 3, "removed_as": "suspend", "changes": rows, "documents": 1}
    try:
        i18n.force("en")
        assert counts_line(data) == "2 notes suspended (their cards were deleted in Polar), 3 unchanged"
        assert counts_line(dict(data, removed_as="tag", orphaned=1)).startswith(
            "1 note tagged polar::deleted (its card was deleted in Polar)")
        assert counts_line(dict(data, removed_as="keep")).startswith(
            "2 notes left as they are (their cards were deleted in Polar)")
        assert counts_line(dict(data, dry_run=True)).startswith("2 notes would be suspended (their cards were")
        assert counts_line(dict(data, removed_as="")).startswith("2 notes removed in Polar")  # an older report
        assert counts_words({"removed": 2}, False, "suspend") == "2 notes suspended"
        assert counts_words({"removed": 2}, False, "keep") == "2 notes removed in Polar"
        assert (change_label("removed", False, "suspend"), change_label("removed", True, "tag")) == (
            "suspended", "would be tagged polar::deleted")
        html = report_html(data, "Tools ▸ Sync from Polar", 0)
        assert "Cards removed in Polar (2)" in html and "<a href='nid:41,42'>Show in Browser</a>" in html
        assert ("2 cards were deleted in Polar. Their notes stay in Anki with their reviews, suspended and "
                "tagged polar::deleted. To keep one as your own, remove its tag and unsuspend it") in html
        assert "The setting “Removed in Polar” in Tools ▸ Polar Sync ▸ Settings… decides this." in html
        assert "still come up for study" in report_html(dict(data, removed_as="tag"), "x", 0)
        for quiet in (dict(data, removed_as=""), dict(data, dry_run=True)):  # an older report; a preview
            assert "Removed in Polar" not in report_html(quiet, "x", 0)
        expected = {"de": ("2 Notizen dauerhaft ausgeschlossen (ihre Karten wurden in Polar gelöscht)",
                           "In Polar entfernte Karten (2)", "„In Polar entfernt“"),
                    "ja": ("休止したノート 2\u00a0件（カードが Polar で削除されたため）",
                           "Polar で削除されたカード (2)", "「Polar で削除された場合」")}
        for lang, (headline, heading, setting) in expected.items():
            i18n.force(lang)
            html = report_html(data, "x", 0)
            assert counts_line(data).startswith(headline) and heading in html and setting in html, lang
    finally:
        i18n.force(None)
