"""Text a person wrote in Polar that Anki reads as markup: ``[sound:x]``,
``[anki:tts]…[/anki:tts]``, ``[latex]``/``[$]``/``[$$]``, ``\\(`` ``\\[``.

Polar shows it as written. Synced into a real collection, Anki made a play
button of a sound tag (the words gone; the reviewer tries to play a file no
one has), a LaTeX image (or "LaTeX image generation is disabled in the
preferences." under the card) and MathJax of the highlight's text. Now a
sound or TTS tag is text in every field; LaTeX and MathJax are text in the
highlight, the comments and the title (from a PDF or a web page), and stay
markup in a card's own fields (typed there, they are meant)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List

import pytest

import addon.render.card as card_mod
import addon.render.context as context_mod
import addon.sync.read as read
from addon.settings import Settings
from addon.sync.engine import sync
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run
from tests.sync.test_upgrade_layout import scheduling

# A programming book, a math text and a book about Anki, as highlighted.
HIGHLIGHT = (r"Anki plays [sound:beep.mp3] and says [anki:tts lang=en_US]spoken[/anki:tts]; "
             r"inline \(x^2\) and display \[y\]; [latex]z[/latex] [$]w[/$] [$$]v[/$$]; {{c1::quoted}} {{Front}}")
COMMENT = r"<p>my note: [sound:c.mp3] and \(c\)</p>"
TITLE = "Sounds [sound:title.mp3] of Anki"
CARDS = {
    "1SynBasic1": ("BASIC_FRONT_BACK", basic("Which tag plays [sound:f.mp3]?", "It is [sound:b.mp3] \\(E=mc^2\\)")),
    "1SynText01": ("BASIC_FRONT_BACK", basic("typed [sound:f.mp3] [anki:tts]t[/anki:tts]", "back", kind="TEXT")),
    "1SynMd0001": ("BASIC_FRONT_BACK", basic("md [sound:f.mp3] \\(x_1\\)", "back", kind="MARKDOWN")),
    "1SynRev001": ("BASIC_FRONT_BACK_AND_REVERSE", basic("rev [sound:r.mp3]", "rev back")),
    "1SynCloze1": ("CLOZE", cloze("{{c1::[sound:z.mp3]}} plays and {{c2::\\(x\\)}} is math")),
}
B = "<span>[</span>"  # a bracket Anki does not read as its syntax
_STYLE = re.compile(r"<style>.*?</style>", re.S)


def write_library(root: Path) -> None:
    doc = Doc(root, "1SyntaxDoc00000000000000", TITLE)
    doc.text_highlight("1HlSyntax1", HIGHLIGHT, page=2)
    doc.comment("1CmSyntax1", COMMENT, "text-highlight:1HlSyntax1", page=2)
    for cid, (ctype, fields) in CARDS.items():
        doc.card(cid, fields, ctype, ref="text-highlight:1HlSyntax1", page=2)
    doc.write()


def rendered(col: Any) -> List[Any]:
    return [card for nid in col.find_notes("") for card in col.get_note(nid).cards()]


@pytest.mark.parametrize("own", [False, True], ids=["stock", "own"])
def test_ankis_syntax_in_polar_text_is_shown_as_written(col, tmp_path, own: bool) -> None:
    library = tmp_path / "polar"
    write_library(library)
    settings, warnings = Settings.from_dict({"use_stock_note_types": not own})
    assert not warnings
    report = sync(col, settings, tmp_path / "state.sqlite", source_path=library)
    assert report.errors == [] and report.created == len(CARDS)
    cards = rendered(col)
    assert len(cards) == 7  # the reversed note and the cloze have two each
    for card in cards:
        question, answer = _STYLE.sub("", card.question()), _STYLE.sub("", card.answer())
        where = f"{card.note().note_type()['name']} card {card.ord + 1}: {answer[:80]!r}"
        # No play button: nothing to play, and the words stay.
        assert card.question_av_tags() == [] and card.answer_av_tags() == [], where
        assert "[anki:play" not in question + answer, where
        assert "<span>[</span>sound:" in question + answer, where
        # No LaTeX image, no "LaTeX image generation is disabled".
        words = answer.replace(B, "[")
        assert "latex" not in words.lower().replace("[latex]", "").replace("[/latex]", ""), where
        assert f"{B}latex]z{B}/latex] {B}$]w{B}/$] {B}$$]v{B}/$$]" in answer, where
        # The highlight's and the comment's math is text: its opener split from its bracket.
        assert r"inline <span>\</span>(x^2\) and display <span>\</span>[y\]" in answer, where
        assert r"and <span>\</span>(c\)" in answer, where
        assert "Sounds <span>[</span>sound:title.mp3] of Anki" in answer, where
    # A card's own formulas stay formulas.
    back = note_of(col, "1SynBasic1")
    assert "\\(E=mc^2\\)" in back.fields[1]
    assert "\\(x_1\\)" in note_of(col, "1SynMd0001").fields[0]
    cloze_note = note_of(col, "1SynCloze1")
    assert cloze_note.fields[0] == "{{c1::<span>[</span>sound:z.mp3]}} plays and {{c2::\\(x\\)}} is math"
    c1 = next(c for c in cloze_note.cards() if c.ord == 0)
    assert "<span>[</span>sound:z.mp3]" in c1.answer() and c1.answer_av_tags() == []
    # Nothing to change on the next sync.
    again = sync(col, settings, tmp_path / "state.sqlite", source_path=library)
    assert again.updated == 0 and again.errors == []


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_sound_tags_of_render_version_8_follow_once_and_keep_anki_edits(col, tmp_path, monkeypatch,
                                                                         policy: str) -> None:
    """Notes version 8 wrote (sound tags as tags) follow once; one whose
    field the user edited in Anki keeps the edit, with no conflict, whatever
    the policy; no card moves."""
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    write_library(library)
    monkeypatch.setattr(read, "RENDER_VERSION", "8")
    monkeypatch.setattr(card_mod, "literal_sound", lambda html: html)
    monkeypatch.setattr(context_mod, "literal_anki_syntax", lambda html: html)
    run(col, library, state, conflict_policy=policy)
    old = note_of(col, "1SynBasic1")
    assert old.fields[0] == "Which tag plays [sound:f.mp3]?"  # as version 8 wrote it
    old.fields[0] = "Which tag plays [sound:f.mp3]? (mine)"
    col.update_note(old)
    before = scheduling(col)

    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == len(CARDS) and scheduling(col) == before  # every one has the highlight
    assert note_of(col, "1SynBasic1").fields[0] == "Which tag plays [sound:f.mp3]? (mine)"  # the user's
    assert note_of(col, "1SynText01").fields[0] == f"typed {B}sound:f.mp3] {B}anki:tts]t{B}/anki:tts]"
    assert "<span>[</span>sound:beep.mp3]" in note_of(col, "1SynBasic1").fields[1]  # the block follows
    assert run(col, library, state, conflict_policy=policy).updated == 0  # once
