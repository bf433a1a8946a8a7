"""Polar's text as Anki keeps it in a note.

Polar (JavaScript) keeps a text as it was typed, pasted or taken from a PDF:
decomposed accents (macOS, many PDFs: "e" + U+0301), a carriage return, a
form feed or a NUL out of a PDF's text layer. Anki stores a field composed
(NFC) and without ASCII control characters other than tab and line feed.
The sync remembered the hash of the text it wrote, not of the text the note
then held: the next edit in Polar looked like an edit in both (a conflict in
the report; with "Edited in both: keep Anki's" Polar's edit was not taken),
and a decomposed title rewrote every note of its document at each read.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run

NFD = unicodedata.normalize("NFD", "Café crème, İstanbul")

TEXTS = [
    pytest.param(NFD, "HTML", id="decomposed-html"),
    pytest.param(NFD, "TEXT", id="decomposed-text"),
    pytest.param(NFD, "MARKDOWN", id="decomposed-markdown"),
    pytest.param("line\r\nbreak", "HTML", id="crlf-html"),
    pytest.param("a\rb", "HTML", id="cr-html"),
    pytest.param("nul\x00here", "TEXT", id="nul-text"),
    pytest.param("form\x0cfeed", "MARKDOWN", id="formfeed-markdown"),
    pytest.param("unit\x1fseparator", "HTML", id="unit-separator-html"),
    pytest.param("del\x7fete \x08back", "TEXT", id="del-text"),
]


def _front(col: Any, card_id: str) -> str:
    return str(note_of(col, card_id).fields[0])


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
@pytest.mark.parametrize(("text", "kind"), TEXTS)
def test_an_edit_in_polar_is_no_conflict(col: Any, tmp_path: Path, text: str, kind: str, policy: str) -> None:
    lib, state = tmp_path / "polar", tmp_path / "state.json"
    doc = Doc(lib, "fp1", "Title")
    doc.card("c1", basic(text, "answer " + text, kind)).card("c2", basic("other", "answer"))
    doc.write()
    run(col, lib, state, conflict_policy=policy)
    first = _front(col, "c1")
    again = run(col, lib, state, conflict_policy=policy)
    assert again.summary().startswith("Polar Sync: nothing changed"), again.summary()

    # Edited in Polar (a new id, Polar's way); nothing was touched in Anki.
    doc.edit_card("c1", "c1b", basic(text + " more", "answer " + text, kind))
    doc.write()
    report = run(col, lib, state, conflict_policy=policy)
    assert not report.conflicts, report.summary()
    front = _front(col, "c1b")
    assert front != first and "more" in front  # Polar's edit taken, whatever the policy
    assert unicodedata.is_normalized("NFC", front)
    assert run(col, lib, state, conflict_policy=policy).summary().startswith("Polar Sync: nothing changed")


@pytest.mark.parametrize(("text", "kind"), TEXTS)
def test_an_edit_in_anki_is_kept_and_polars_text_stays_unchanged(col: Any, tmp_path: Path, text: str,
                                                                  kind: str) -> None:
    """The other way round: the note edited in Anki, Polar's card as it was."""
    lib, state = tmp_path / "polar", tmp_path / "state.json"
    doc = Doc(lib, "fp1", "Title")
    doc.card("c1", basic(text, "answer", kind))
    doc.write()
    run(col, lib, state)
    note = note_of(col, "c1")
    note.fields[0] = "mine"
    col.update_note(note)
    doc.tag("more")  # the document read again
    doc.write()
    report = run(col, lib, state)
    assert not report.conflicts, report.summary()
    assert _front(col, "c1") == "mine"


def test_a_decomposed_title_or_highlight_rewrites_no_note(col: Any, tmp_path: Path) -> None:
    """A decomposed title, highlight and comment (the context on the
    answer): an edit of one card leaves its document's other notes as
    they are."""
    lib, state = tmp_path / "polar", tmp_path / "state.json"
    doc = Doc(lib, "fp1", unicodedata.normalize("NFD", "Étude\r\n"))
    doc.text_highlight("h1", NFD + "\x0c", top=10.0)
    doc.comment("m1", NFD + " says\r\n", "text-highlight:h1")
    doc.card("c1", basic("one", "answer"), ref="text-highlight:h1")
    doc.card("c2", basic("two", "answer"), ref="text-highlight:h1")
    doc.write()
    run(col, lib, state)
    before = list(note_of(col, "c2").fields)
    doc.edit_card("c1", "c1b", basic("one, edited", "answer"))
    doc.write()
    report = run(col, lib, state)
    assert not report.conflicts, report.summary()
    assert report.updated == 1 and report.unchanged == 1, report.summary()
    assert list(note_of(col, "c2").fields) == before
    composed = unicodedata.normalize("NFC", NFD)
    assert "Étude" in before[1] and composed in before[1] and composed + " says" in before[1]


@pytest.mark.parametrize(("text", "kind"), TEXTS)
def test_an_edit_in_anki_under_an_earlier_version_is_kept(col: Any, tmp_path: Path, monkeypatch: Any,
                                                          text: str, kind: str) -> None:
    """Notes an earlier version wrote remember the hash of Polar's text as
    it was, not as the note holds it: a note the user edited in Anki since
    is no conflict after the update (Polar changed nothing), their edit kept."""
    import addon.render.card as card_module

    lib, state = tmp_path / "polar", tmp_path / "state.json"
    doc = Doc(lib, "fp1", "Title")
    doc.card("c1", basic(text, "answer " + text, kind))
    doc.write()
    with monkeypatch.context() as earlier:  # the version before as_anki_keeps
        earlier.setattr(card_module, "as_anki_keeps", lambda value: value)
        run(col, lib, state)
    note = note_of(col, "c1")
    note.fields[0] = "mine"
    col.update_note(note)
    doc.tag("more")  # the document read again
    doc.write()
    report = run(col, lib, state)
    assert not report.conflicts, report.summary()
    note = note_of(col, "c1")
    assert note.fields[0] == "mine" and "more" in note.tags
    # and the answer, edited by nobody, is no conflict either
    assert run(col, lib, state).summary().startswith("Polar Sync: nothing changed")


# -- Markdown as Polar renders it (marked, ``gfm`` and ``breaks``) ----------------------

MARKDOWN = "Question?\nsecond line with ~struck~ and ~~struck too~~"


def test_markdown_line_breaks_and_strikethrough_as_polar_shows_them(col: Any, tmp_path: Path) -> None:
    """Polar's MarkdownToHTML (marked 1.2.5, ``gfm: true, breaks: true``, run
    in node): ``Question?<br/>second line with <del>struck</del> and
    <del>struck too</del>``; version 12 joined the lines and showed the tildes."""
    lib, state = tmp_path / "polar", tmp_path / "state.json"
    Doc(lib, "fp1", "Title").card("c1", basic(MARKDOWN, "a", "MARKDOWN")).write()
    run(col, lib, state)
    front = _front(col, "c1")
    assert "Question?<br>" in front and "<del>struck</del>" in front and "<del>struck too</del>" in front
    assert "~" not in front


@pytest.mark.parametrize("edited_in_anki", [False, True])
def test_markdown_notes_of_version_12_follow_without_a_conflict(col: Any, tmp_path: Path, monkeypatch: Any,
                                                                edited_in_anki: bool) -> None:
    """A note version 12 wrote: untouched, it takes the new rendering; edited
    in Anki since, the edit stays (Polar changed nothing): no conflict either way."""
    import addon.render.html as html_module
    import addon.sync.read as read_module

    lib, state = tmp_path / "polar", tmp_path / "state.json"
    Doc(lib, "fp1", "Title").card("c1", basic(MARKDOWN, MARKDOWN, "MARKDOWN")).write()
    with monkeypatch.context() as earlier:  # version 12: Markdown without breaks or strikethrough
        real = html_module.markdown_to_html
        earlier.setattr(html_module, "markdown_to_html", lambda text, before_13=False: real(text, True))
        earlier.setattr(read_module, "RENDER_VERSION", "12")
        run(col, lib, state)
    note = note_of(col, "c1")
    assert "~struck~" in note.fields[0]
    if edited_in_anki:
        note.fields[0] = "mine"
        col.update_note(note)
    report = run(col, lib, state)  # version 13: the library read again
    assert not report.conflicts, report.summary()
    note = note_of(col, "c1")
    assert note.fields[0] == "mine" if edited_in_anki else "<del>struck</del>" in note.fields[0]
    assert "<del>struck</del>" in note.fields[1]  # the answer, edited by nobody, follows
    assert run(col, lib, state).summary().startswith("Polar Sync: nothing changed")


@pytest.mark.parametrize("edited_in_anki", [False, True])
def test_a_decomposed_context_of_an_earlier_version_is_no_conflict(col: Any, tmp_path: Path, monkeypatch: Any,
                                                                   edited_in_anki: bool) -> None:
    """The context block an earlier version wrote of a decomposed title,
    highlight and comment: Anki composed it, so its remembered hash is not
    the note's block's; that is no text typed inside it (no conflict), and
    an answer edited in Anki stays."""
    import addon.render.card as card_module
    import addon.render.context as context_module
    import addon.sync.read as read_module

    lib, state = tmp_path / "polar", tmp_path / "state.json"
    decomposed = unicodedata.normalize("NFD", "Café\r\n")
    doc = Doc(lib, "fp1", decomposed)
    doc.text_highlight("h1", decomposed + " said", top=10.0)
    doc.comment("m1", decomposed + " says", "text-highlight:h1")
    doc.card("c1", basic(decomposed, decomposed), ref="text-highlight:h1")
    doc.write()
    with monkeypatch.context() as earlier:  # the version before as_anki_keeps
        earlier.setattr(card_module, "as_anki_keeps", lambda value: value)
        earlier.setattr(context_module, "as_anki_keeps", lambda value: value)
        earlier.setattr(read_module, "RENDER_VERSION", "12")
        run(col, lib, state)
    if edited_in_anki:
        note = note_of(col, "c1")
        note.fields[1] = "mine " + note.fields[1]
        col.update_note(note)
    before = list(note_of(col, "c1").fields)
    report = run(col, lib, state)  # version 13: the library read again
    assert not report.conflicts, report.summary()
    assert list(note_of(col, "c1").fields) == before
    assert run(col, lib, state).summary().startswith("Polar Sync: nothing changed")
