"""The report window's text of a preview (branch ``previewrows``): the rows
a preview now says, in its own words ("would be made again"), and rows that
only tell (notes left deleted as the setting says, a wait behind the deck's
older new cards) under "Good to know", not "Warnings". A real sync into a
real collection; English and German."""

from __future__ import annotations

import re

import pytest

from addon.gui import i18n
from addon.gui.report_dialog import report_html
from tests.sync.helpers import note_of, run
from tests.sync.test_preview_rows import LEAVE, _two_decks


@pytest.fixture(params=["en", "de"])
def lang(request):
    i18n.force(None if request.param == "en" else request.param)
    yield request.param
    i18n.force(None)


def _headings(html: str):
    return re.findall(r"<h3>([^<]*)</h3>", html)


WORDS = {"en": ("Warnings", "Good to know", "would be made again", "stay deleted"),
         "de": ("Hinweise", "Gut zu wissen", "würde wieder angelegt", "bleiben gelöscht")}


def test_a_preview_says_a_note_would_be_made_again_and_notes_left_deleted_are_good_to_know(col, tmp_path, lang):
    warnings, calm, would, stay = WORDS[lang]
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _two_decks(lib)
    run(col, lib, state)
    col.remove_notes([note_of(col, "1Prev0c1").id])
    html = report_html(run(col, lib, state, dry_run=True).to_dict(), "Preview", 0)
    assert _headings(html) == [f"{warnings} (1)"] and would in html  # (the sync's own row, in a preview's words)

    col.remove_notes([note_of(col, "1Prev1c0").id, note_of(col, "1Prev1c2").id])
    run(col, lib, state, **LEAVE)  # (said, once: "left deleted")
    html = report_html(run(col, lib, state, dry_run=True, **LEAVE).to_dict(), "Preview", 0)
    assert _headings(html) == [f"{calm} (1)"] and stay in html  # only information: not a warning


def test_the_sync_log_has_the_rows_that_only_tell_under_the_same_heading(col, tmp_path, lang):
    from addon.gui.report_text import log_words

    warnings, calm, _, _ = WORDS[lang]
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    _two_decks(lib)
    run(col, lib, state)
    col.remove_notes([note_of(col, "1Prev1c0").id])
    lines = log_words(run(col, lib, state, **LEAVE).to_dict()).splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [f"{calm} (1)"], lines
