"""One state file, two collections: a profile deleted and made again under the
same name (the add-on's state is per profile name), or a full download from
AnkiWeb that replaced the collection. The state's documents are "unchanged",
but not for this collection: every card must reach it, none twice."""

from __future__ import annotations

from tests.conftest import make_collection
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run


def _library(root):
    doc = Doc(root, "1OtherCol0000000000001", "Other", tags=["deck:Other"])
    doc.card("1OcCard01", basic("<p>one?</p>", "<p>1</p>"))
    doc.card("1OcCard02", basic("<p>two?</p>", "<p>2</p>"))
    doc.write()
    return doc


def _fronts(col):
    return sorted(col.get_note(n)["Front"] for n in col.find_notes(""))


def test_a_collection_made_on_another_day_gets_every_card(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _library(lib)
    assert run(col, lib, state).created == 2
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        other.db.execute("update col set crt = crt - 86400 * 400")  # made a year before (AnkiWeb's)
        assert other.crt != col.crt
        report = run(other, lib, state)
        assert report.created == 2 and _fronts(other) == ["<p>one?</p>", "<p>two?</p>"]
        assert "state_rebuilt" in {w["code"] for w in report.to_dict()["warnings"]}
        assert not run(other, lib, state).changed
        # Back to the first collection (the profile switched back): its notes
        # are found by their ids, none made twice.
        back = run(col, lib, state)
        assert back.created == 0 and col.note_count() == 2
        assert not run(col, lib, state).changed
    finally:
        other.close()


def test_a_collection_made_the_same_day_gets_every_card(col, tmp_path):
    """Anki's ``crt`` is the day's start: a profile deleted and made again the
    same day has the identity of the first."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _library(lib)
    assert run(col, lib, state).created == 2
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        report = run(other, lib, state)
        assert report.created == 2 and _fronts(other) == ["<p>one?</p>", "<p>two?</p>"]
        assert not run(other, lib, state).changed
    finally:
        other.close()
