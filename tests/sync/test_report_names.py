"""The report names things as a person knows them: documents by title (also
one that cannot be read any more), cards by their front and page, notes by
id; its list of changed notes agrees with its counts; the CLI's JSON keeps
every old key and gains these."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from addon.settings import Settings
from addon.sync.engine import prepare
from addon.sync.report import plain_text
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

ROOT = Path(__file__).resolve().parents[2]



def kinds(data) -> dict:
    out: dict = {}
    for row in data["changes"]:
        out[row["change"]] = out.get(row["change"], 0) + 1
    return out


def test_changes_list_the_notes_behind_the_counts(col, tmp_path, state_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1NamesDoc000000000001", title="Spaced repetition", tags=["deck:Memory"])
    doc.card("1NmA", basic("<p>When is a review <b>due</b>?</p>", "<p>later</p>"), page=3)
    doc.card("1NmB", basic("<p>Second?</p>", "<p>2</p>"))
    doc.write()

    preview = run(col, library, state_path, dry_run=True).to_dict()
    assert preview["created"] == 2 and kinds(preview) == {"created": 2}
    assert all(row["note_id"] is None for row in preview["changes"])  # not in the collection yet
    first = {row["card"]: row for row in preview["changes"]}["1NmA"]
    assert first == {"change": "created", "note_id": None, "deck": "Memory", "document": "1NamesDoc000000000001",
                     "title": "Spaced repetition", "card": "1NmA", "page": 3,
                     "front": "When is a review due?"}

    report = run(col, library, state_path)
    data = report.to_dict()
    # The GUI makes the rows on Anki's worker thread and hands them back in.
    assert report.to_dict(report.change_rows()) == data
    nids = {row["card"]: row["note_id"] for row in data["changes"]}
    assert set(nids.values()) == set(col.find_notes("tag:polar"))

    # An edit, a deck change and a removal: one row per counted change.
    doc.edit_card("1NmB", "1NmB2", basic("<p>Second, edited?</p>", "<p>2</p>"))
    doc.untag("deck:Memory").tag("deck:Memory::New")
    doc.delete_card("1NmA")
    doc.write()
    data = run(col, library, state_path).to_dict()
    for kind, key in (("updated", "updated"), ("moved", "moved"), ("removed", "orphaned")):
        assert kinds(data).get(kind, 0) == data[key] > 0, kind
    removed = next(r for r in data["changes"] if r["change"] == "removed")
    assert removed["note_id"] == nids["1NmA"] and removed["title"] == "Spaced repetition"
    assert removed["front"] == "When is a review due?"


def test_problem_rows_name_the_document_and_card(col, tmp_path, state_path):
    library = tmp_path / "polar"
    good = Doc(library, "1NamesGood00000000001", title="Geography")
    good.card("1NmC", cloze("The capital is Berlin."), "CLOZE", page=2)  # no deletion: cannot sync
    good.card("1NmD", basic("<p>River?</p>", "<p>Rhine</p>"))
    good.write()
    broken = Doc(library, "1NamesBroken000000001", title="Cut short later")
    broken.card("1NmE", basic("<p>Q?</p>", "<p>A</p>"))
    broken.write()
    data = run(col, library, state_path).to_dict()
    card = next(r for r in data["errors"] if r.get("card") == "1NmC")
    assert (card["title"], card["page"], card["front"], card["code"]) == (
        "Geography", 2, "The capital is Berlin.", "cloze_without_deletion")
    # Broken after a sync: the title is remembered even though nothing of
    # the file can be parsed any more.
    broken.path.write_bytes(b"{not json")
    data = run(col, library, state_path).to_dict()
    rows = {row["path"]: row for row in data["errors"]}
    assert rows["1NamesBroken000000001/state.json"]["title"] == "Cut short later"
    assert rows["1NamesBroken000000001/state.json"]["code"] == "not_a_document"
    # The card is reported again while its document stays unchanged, still by name.
    again = next(r for r in data["errors"] if r.get("card") == "1NmC")
    assert (again["title"], again["front"], again["code"]) == (
        "Geography", "The capital is Berlin.", "cloze_without_deletion")


def test_an_unreadable_new_file_is_named_from_what_is_left_of_it(col, tmp_path, state_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1NamesCut000000000001", title="Half a file")
    doc.card("1NmF", basic("<p>Q?</p>", "<p>A</p>"))
    doc.write()
    text = doc.path.read_bytes()
    doc.path.write_bytes(text[: text.index(b'"Half a file"') + 20])  # cut short after the title
    data = run(col, library, state_path).to_dict()
    assert data["errors"][0]["title"] == "Half a file"


def test_conflict_rows_carry_both_versions_and_the_note(col, tmp_path, state_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1NamesConflict0000001", title="Both sides")
    doc.card("1NmG", basic("<p>Front?</p>", "<p>Polar's answer</p>"))
    doc.write()
    run(col, library, state_path)
    nid = col.find_notes("tag:polar")[0]
    note = col.get_note(nid)
    note["Back"] = note["Back"].replace("Polar's answer", "My own answer")
    col.update_note(note)
    doc.edit_card("1NmG", "1NmG", basic("<p>Front?</p>", "<p>Polar's new answer</p>"))
    doc.write()
    data = run(col, library, state_path).to_dict()
    (row,) = data["conflicts"]
    assert row["note_id"] == nid and row["title"] == "Both sides" and row["field"] == "Back"
    assert "Polar's new answer" in row["polar"] and "My own answer" in row["anki"]
    assert row["code"] == "conflict_polar"


def test_undo_entry_takes_the_callers_name(col, tmp_path, state_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1NamesUndo00000000001", title="Undo")
    doc.card("1NmH", basic("<p>Q?</p>", "<p>A</p>"))
    doc.write()
    prepared = prepare(Settings(), state_path, source_path=library)
    prepared.apply(col, undo_name="Aus Polar synchronisieren")
    assert col.undo_status().undo == "Aus Polar synchronisieren"


def test_plain_text_of_a_front():
    assert plain_text("<p>A {{c1::cloze::hint}} &amp; <i>more</i></p>") == "A cloze & more"
    assert len(plain_text("x" * 500)) == 120


def test_cli_report_keeps_its_keys_and_names_rows(library, tmp_path):
    out = tmp_path / "report.json"
    col = tmp_path / "c" / "collection.anki2"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "polar_sync.py"), "--data-dir", str(library),
                           "--collection", str(col), "--report", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    for key in ("created", "updated", "unchanged", "moved", "orphaned", "deleted", "restored", "adopted",
                "rekeyed", "duplicates", "documents", "parsed", "skipped_documents", "dry_run", "decks",
                "conflicts", "errors", "warnings"):
        assert key in data
    assert len(data["changes"]) == data["created"] == 6
    assert all(row["note_id"] and row["title"] and row["front"] for row in data["changes"])


def test_the_summary_of_a_stopped_sync_says_it_stopped_not_nothing_changed():
    """A sync that stopped (a failure, the profile closing) has an empty
    report: its summary said "Polar Sync: nothing changed." over the problem
    that stopped it, and "0 documents (0 read, 0 skipped); decks: -" (eyes9)."""
    from addon.sync.report import Report

    stopped = Report(stopped="writing")
    stopped.error("/profile/collection.anki2", "the sync stopped with DBError: disk full", code="collection_full")
    lines = stopped.summary().splitlines()
    assert lines[0] == ("Polar Sync: stopped part-way through writing; what it wrote stays, and the problem below "
                        "says what to do.")
    assert lines[1] == "1 problem:" and "0 documents" not in stopped.summary()
    assert Report(stopped="writing").summary() == (
        "Polar Sync: stopped part-way through writing; what it wrote stays, and the next sync does the rest.")
    assert Report(stopped="reading").summary() == (
        "Polar Sync: stopped before it changed anything; the next sync does the rest.")
    assert Report(stopped="reading", documents=3, parsed=1).summary().splitlines()[1].startswith("3 documents")
    assert Report(stopped="writing", created=2).summary().splitlines()[0] == "Polar Sync: 2 new notes."


def test_the_summary_shows_no_zero_counts_and_unchanged_only_beside_a_change():
    from addon.sync.report import Report

    assert Report(created=6).summary().splitlines()[0] == "Polar Sync: 6 new notes."
    assert Report(unchanged=6).summary().splitlines()[0] == "Polar Sync: nothing changed (6 unchanged)."
    assert Report(updated=3, unchanged=5, orphaned=1, adopted=2).summary().splitlines()[0] == (
        "Polar Sync: 1 note updated, 1 note removed in Polar, 2 notes taken over from Polar's old sync, "
        "5 unchanged.")
    assert Report(dry_run=True).summary().startswith("Polar Sync (dry run: nothing written): nothing to change.")


def test_a_document_not_read_this_time_keeps_its_file_in_the_report(col, tmp_path, state_path):
    """Round 9 left it: the report's tooltip of a document gives its file as
    imported, but only for documents read in that sync; one deleted in Polar
    (its notes set aside) or unchanged was named by its title alone. The
    state now remembers the file as it remembers the title."""
    library = tmp_path / "polar"
    gone = Doc(library, "1GoneDoc00000000001", title="Introduction")
    gone.meta["docInfo"]["filename"] = "1ag3DiKsWi-intro-to-physics.pdf"
    gone.card("1GnA", basic("<p>What is inertia?</p>", "<p>resistance</p>"), page=2)
    gone.write()
    stays = Doc(library, "1StaysDoc0000000001", title="Notes")
    stays.card("1StA", basic("<p>Stays?</p>", "<p>yes</p>"))
    stays.write()
    first = run(col, library, state_path).to_dict()
    assert first["sources"] == {"1GoneDoc00000000001": "intro-to-physics.pdf",
                                "1StaysDoc0000000001": "1StaysDoc0000000001.pdf"}

    gone.remove()
    data = run(col, library, state_path).to_dict()
    assert [(r["change"], r["document"]) for r in data["changes"]] == [("removed", "1GoneDoc00000000001")]
    assert data["sources"] == {"1GoneDoc00000000001": "intro-to-physics.pdf"}  # only the documents it names

    # Forgotten with the document; a title-only document keeps none.
    assert run(col, library, state_path).to_dict()["sources"] == {}
    from addon.sync.state import SyncState

    assert SyncState(state_path).sources() == {"1StaysDoc0000000001": "1StaysDoc0000000001.pdf"}


def test_the_summary_says_what_became_of_a_note_whose_card_polar_deleted(col, tmp_path, state_path):
    """"1 note removed in Polar" read as the note and its reviews gone
    (qa: real collections); the summary says what the setting did to it,
    and the JSON carries the setting for the report window's words."""
    from addon.sync.plan import ORPHAN_TAG

    said = {}
    for policy in ("suspend", "tag", "keep"):
        library = tmp_path / policy
        doc = Doc(library, f"1Removed{policy:0<13}", title="Spaced repetition")
        gone = f"1Rm{policy}A"  # (one collection: each library its own cards)
        doc.card(gone, basic("<p>Gone?</p>", "<p>yes</p>"))
        doc.card(f"1Rm{policy}B", basic("<p>Stays?</p>", "<p>yes</p>"))
        doc.write()
        state = tmp_path / f"{policy}.sqlite"
        run(col, library, state, deletion_policy=policy)
        doc.delete_card(gone)
        doc.write()
        preview = run(col, library, state, dry_run=True, deletion_policy=policy)
        report = run(col, library, state, deletion_policy=policy)
        data = report.to_dict()
        assert data["orphaned"] == 1 and data["removed_as"] == policy == preview.to_dict()["removed_as"]
        nid = next(r["note_id"] for r in data["changes"] if r["change"] == "removed")
        note = col.get_note(nid)  # the note stays, whatever the words
        assert note.has_tag(ORPHAN_TAG) == (policy != "keep")
        assert all(c.queue == -1 for c in note.cards()) == (policy == "suspend")
        said[policy] = (preview.summary().splitlines()[0], report.summary().splitlines()[0])
    assert said == {
        "suspend": ("Polar Sync (dry run: nothing written): 1 note would be suspended (its card was deleted in "
                    "Polar), 1 unchanged.",
                    "Polar Sync: 1 note suspended (its card was deleted in Polar), 1 unchanged."),
        "tag": ("Polar Sync (dry run: nothing written): 1 note would be tagged polar::deleted (its card was "
                "deleted in Polar), 1 unchanged.",
                "Polar Sync: 1 note tagged polar::deleted (its card was deleted in Polar), 1 unchanged."),
        "keep": ("Polar Sync (dry run: nothing written): 1 note would be left as it is (its card was deleted "
                 "in Polar), 1 unchanged.",
                 "Polar Sync: 1 note left as it is (its card was deleted in Polar), 1 unchanged."),
    }
    from addon.sync.report import Report

    # Two notes, and a report of the setting "delete" (counted as deleted) or of an older version: as before.
    assert Report(orphaned=2, removed_as="suspend").summary().startswith(
        "Polar Sync: 2 notes suspended (their cards were deleted in Polar).")
    assert Report(orphaned=2).summary().startswith("Polar Sync: 2 notes removed in Polar.")
