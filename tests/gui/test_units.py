"""GUI-side rules that need no running Anki: request merging, the log
files, the report text."""

from __future__ import annotations

from addon.gui import synclog
from addon.gui.operations import MANUAL, PREVIEW, STARTUP, WATCH, SyncRequest
from addon.gui.report_dialog import counts_line, problem_count, report_html


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
    assert counts_line(data) == "2 created, 5 unchanged, 1 orphaned, 3 adopted"
    assert problem_count(data) == 2
    html = report_html(data, "Tools ▸ Sync from Polar", 0)
    assert "1Doc/state.json" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "Conflicts (1)" in html and "Problems (1)" in html and "A::B" in html
