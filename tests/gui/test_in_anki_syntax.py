"""Anki's own syntax in Polar's text, in Anki's real reviewer (headless, the
add-on installed from dist/): a highlight quoting ``[sound:…]``, ``\\(…\\)``
and ``[latex]`` shows those words, with no play button and no formula, while
the card's own ``\\(…\\)`` is typeset. See docs/dev-notes/cards.md ("Anki's
own syntax in Polar's text")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.test_in_anki_reviewer import _js, _wait_js, _wait_shown
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

DOC = "1GuiSyntaxDoc0000001"
HIGHLIGHT = r"The tag [sound:beep.mp3] plays; inline \(x^2\) and [latex]z[/latex] stay text"


def test_ankis_syntax_in_a_highlight_is_shown_as_words_in_the_reviewer(anki: Any) -> None:
    mw = anki.mw
    anki.settle()
    from aqt.qt import QApplication

    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    col = mw.col
    doc = Doc(anki.library, DOC, title="Syntax", tags=["deck:SyntaxStudy"])
    doc.text_highlight("1GuiSyHl1", HIGHLIGHT, page=1)
    doc.card("1GuiSy1", basic("<p>Which tag [sound:f.mp3] plays?</p>", r"<p>This one: \(E=mc^2\)</p>"),
             ref="text-highlight:1GuiSyHl1")
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 1
    anki.settle()
    anki.wait_progress_closed()
    anki.anki.process(1.0)
    try:
        col.decks.select(col.decks.id("SyntaxStudy"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()
        assert "Which tag [sound:f.mp3] plays?" in _wait_shown(anki, "Which tag")
        mw.reviewer._showAnswer()
        shown = _wait_shown(anki, "This one")
        assert "[sound:beep.mp3]" in shown and "[latex]z[/latex]" in shown
        assert r"\(x^2\)" in shown
        # The card's formula typeset (MathJax ran), none in the highlight, no play button.
        _wait_js(anki, "!!document.querySelector('#qa mjx-container')")
        counts = _js(anki, "(function(){var q=document.getElementById('qa');return ["
                     "q.querySelectorAll('mjx-container').length,"
                     "q.querySelectorAll('blockquote mjx-container').length,"
                     "q.querySelectorAll('.replay-button, .soundLink').length,"
                     "q.querySelectorAll('img.latex, img[src^=latex]').length];})()")
        assert counts == [1, 0, 0, 0]
    finally:
        mw.moveToState("deckBrowser")
