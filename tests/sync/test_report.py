"""``ChangeRows``: the report's change rows made as they are read, the same
rows ``change_rows`` makes at once."""

from __future__ import annotations

import json

import pytest

from addon.sync.report import Change, ChangeRows, Report
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run


def _report(n: int) -> Report:
    report = Report(created=n, titles={"1Doc": "A book"})
    report.changes = [Change("created", 100 + i, "Deck", "1Doc", f"1C{i}", i % 3, f"<p>Q <b>{i}</b>?</p>", "")
                      for i in range(n)]
    return report


def test_rows_are_made_when_read_and_once():
    report = _report(5)
    rows = report.lazy_change_rows()
    assert len(rows) == 5 and rows.made == 0 and rows  # len and truth make no row
    assert rows[1] == report.changes[1].to_dict(report.titles) and rows.made == 1
    assert rows[1] is rows[1] and rows.made == 1  # kept, not made again
    assert rows[-1]["card"] == "1C4" and rows.made == 2
    assert [r["card"] for r in rows[1:4]] == ["1C1", "1C2", "1C3"] and rows.made == 4
    with pytest.raises(IndexError):
        rows[5]


def test_read_whole_they_are_the_rows_change_rows_makes():
    report = _report(7)
    rows = report.lazy_change_rows()
    assert list(rows) == report.change_rows() and rows.made == 7
    assert rows == report.change_rows() and rows == report.lazy_change_rows()
    assert rows != report.change_rows()[:6] and rows != _report(6).lazy_change_rows()
    assert report.to_dict(rows)["changes"] is rows
    assert json.dumps(report.to_dict(list(rows))) == json.dumps(report.to_dict())
    assert ChangeRows([], {}) == [] and not ChangeRows([], {})


def test_a_real_syncs_rows_read_lazily_match(col, tmp_path, state_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1RowsDoc0000000000001", title="Rows <&> book", tags=["deck:Rows"])
    doc.card("1RwA", basic("<p>When is a review <b>due</b>?</p>", "<p>later</p>"), page=3)
    doc.card("1RwB", basic("A &amp; B<br>on two lines", "<p>2</p>"))
    doc.write()
    report = run(col, library, state_path)
    rows = report.lazy_change_rows()
    assert rows.made == 0 and len(rows) == report.created == 2
    by_card = {r["card"]: r for r in rows}
    assert by_card["1RwA"]["front"] == "When is a review due?" and by_card["1RwA"]["page"] == 3
    assert by_card["1RwB"]["front"] == "A & B on two lines"
    assert all(r["title"] == "Rows <&> book" and r["note_id"] for r in rows)
    assert rows == report.to_dict()["changes"]


def test_summary_counts_agree_with_their_nouns():
    """The CLI and the sync log print the summary: one of a thing is
    singular ("1 document", "1 problem"), more are plural."""
    one = Report()
    one.documents = one.parsed = one.created = one.duplicates = 1
    one.removed_as = "suspend"
    one.legacy_leftovers = [7]
    one.error("a/state.json", "not a readable Polar document")
    one.warn("b/state.json", "a warning")
    one.conflicts = [{"path": "c#1", "message": "field 'Back' changed in Polar and in Anki"}]
    text = one.summary()
    assert "1 document (1 read" in text and "1 documents" not in text
    assert "\n1 problem:\n" in text and "\n1 warning:\n" in text and "(s)" not in text
    assert "1 duplicate note suspended" in text and "1 conflict." in text
    assert "1 note from Polar's old sync no longer matches a Polar card; left as it is" in text
    many = Report()
    many.documents, many.duplicates, many.removed_as = 3, 2, "tag"
    many.error("a", "x")
    many.error("b", "y")
    text = many.summary()
    assert "3 documents (" in text and "2 duplicate notes tagged polar::deleted" in text and "\n2 problems:\n" in text


@pytest.mark.parametrize("dry_run", [False, True])
def test_duplicates_are_told_by_what_the_setting_did_to_them(dry_run):
    """A second note of one Polar card (two computers, Polar's own sync beside
    the add-on) gets what "Removed in Polar" says: the headline says that, not
    "set aside"; under "delete" the note is counted once, as a duplicate deleted
    (it was "1 note deleted, 1 duplicate note set aside" for one note)."""
    would = "would be " if dry_run else ""
    said = {
        "suspend": f"1 duplicate note {would}suspended",
        "tag": f"1 duplicate note {would}tagged polar::deleted",
        "keep": f"1 duplicate note {would}left as it is",
    }
    for policy, words in said.items():
        assert Report(duplicates=1, removed_as=policy, dry_run=dry_run).counts_words() == [words]
    # "delete": the report's deleted count holds the duplicates (plan.count)
    deleted = Report(duplicates=2, deleted=3, dry_run=dry_run).counts_words()
    assert deleted == ([f"1 note {would}deleted", f"2 duplicate notes {would}deleted"] if dry_run
                       else ["1 note deleted", "2 duplicate notes deleted"])
    assert Report(duplicates=1, deleted=1, dry_run=dry_run).counts_words() == [f"1 duplicate note {would}deleted"]
    # A report of a version before ``removed_as`` (no policy said, nothing deleted): its old words.
    assert Report(duplicates=1, dry_run=dry_run).counts_words() == ["1 duplicate note set aside"]
    copies = Report(copies=2, dry_run=dry_run).counts_words()
    assert copies == [f"2 duplicates made on another computer {'would be ' if dry_run else ''}removed"]


def test_a_problem_line_leads_with_the_title_polars_key_after_it():
    """The CLI's problem lines began with Polar's key ("1HowHttps…/state.json#1Card…:"),
    where the report window names the document by its title and the card by its
    front: they lead with those now, the key kept after them for support."""
    report = Report()
    report.titles["1DocTitled000000000001"] = "Operating Systems"
    report.error("1DocTitled000000000001/state.json#1CardA", "could not render the card: ValueError: x",
                 document="1DocTitled000000000001", card="1CardA", page=3, front="<p>What is a <b>process</b>?</p>")
    report.error("1DocTitled000000000001/state.json", "not a readable Polar document: not valid JSON",
                 document="1DocTitled000000000001")
    report.error("1DocNeverRead00000000002/state.json", "cannot read the file: Permission denied",
                 document="1DocNeverRead00000000002")
    report.warn("note type Polar Basic", "a field was renamed")
    report.conflicts = [{"path": "1DocTitled000000000001#1CardB", "message": "field 'Back' changed in Polar and in "
                         "Anki; Anki version kept", "document": "1DocTitled000000000001", "card": "1CardB",
                         "front": "Why?"}]
    lines = report.summary().splitlines()
    assert ("  “What is a process?” in “Operating Systems”, page 3 (1DocTitled000000000001/state.json#1CardA): "
            "could not render the card: ValueError: x") in lines
    assert ("  “Operating Systems” (1DocTitled000000000001/state.json): not a readable Polar document: not valid "
            "JSON") in lines
    # No title known (never read): the key, as before; a row of no document: its name.
    assert "  1DocNeverRead00000000002/state.json: cannot read the file: Permission denied" in lines
    assert "  note type Polar Basic: a field was renamed" in lines
    assert ("  conflict “Why?” in “Operating Systems” (1DocTitled000000000001#1CardB): field 'Back' changed in "
            "Polar and in Anki; Anki version kept") in lines


def test_the_summary_stays_short_for_a_library_of_many_decks_and_long_titles(col, tmp_path):
    """The CLI prints the summary and the sync log keeps it: a first sync of
    3,000 decks named every one on one line (55 kB), and a 2,000-character
    title was in full in each of its 20 problem lines. At most 10 decks
    named (then how many more), a title cut at 100 characters, a row's words
    at 400, the rest counted: the JSON report keeps them all."""
    lib = tmp_path / "lib"
    title = ("A very long title " * 120)[:2000]
    for i in range(120):
        doc = Doc(lib, f"1Doc{i:04d}", title=f"Document {i}", tags=[f"deck:Area{i % 7}::Doc {i}"])
        doc.text_highlight("1h", "words", top=10.0).card(f"1c{i}", basic(f"Q {i}", "A"), ref="1h").write()
    long_doc = Doc(lib, "1Long", title=title, pages=30)
    for i in range(30):
        long_doc.card(f"1e{i}", basic("", "an empty front"), page=i + 1)
    long_doc.write()
    report = run(col, lib, tmp_path / "state.json")
    for _ in range(25):
        report.warn("1Long/state.json", "deck tag deck:" + "D" * 5000 + ": a level was shortened", document="1Long")
    for i in range(12):
        report.conflicts.append({"path": f"1Long/state.json#1e{i}", "document": "1Long", "message": "edited in both"})
    text = report.summary()
    lines = text.splitlines()
    assert len(report.decks) == 121 and len(report.errors) == 30
    assert "decks: Area0::Doc 0, " in lines[1] and lines[1].endswith(" and 111 more"), lines[1]
    assert max(len(line) for line in lines) <= 600, max(lines, key=len)[:200]
    assert len(text) < 25_000, len(text)
    assert "  ... and 10 more (see the JSON report)" in lines  # problems: 20 of 30
    assert "  ... and 15 more (see the JSON report)" in lines  # warnings: 10 of 25
    assert lines[-1] == "  ... and 2 more (see the JSON report)"  # conflicts: 10 of 12
    assert f"“{title[:99].rstrip()}…”, page 1" in text
    data = report.to_dict()
    assert len(data["warnings"]) == 25 and len(data["errors"]) == 30  # all in the JSON report
    assert len(report.titles["1Long"]) > 500  # (the title kept longer where there is room)
