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


def test_what_ankis_editor_holds_of_a_literal_sound_tag_stays_text(anki: Any) -> None:
    """Anki's editor holds a field as a DOM and writes it back as its HTML
    once the user types in it: the bracket kept as text must survive that
    (an entity, ``&#91;``, came back as ``[``: a live tag again)."""
    mw = anki.mw
    anki.settle()
    doc = Doc(anki.library, "1GuiSyntaxEdDoc00001", title="Editor", tags=["deck:SyntaxEditor"])
    doc.card("1GuiSyEd1", basic("<p>Held [sound:f.mp3] here?</p>", "<p>b</p>"))
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 1
    anki.settle()
    from aqt import dialogs

    nid = mw.col.find_notes("Held*here")[0]
    browser = dialogs.open("Browser", mw, search=(f"nid:{nid}",))
    try:
        script = ("(function(){var out=[];document.querySelectorAll('*').forEach(function(e){"
                  "if(e.shadowRoot){e.shadowRoot.querySelectorAll('[contenteditable]').forEach("
                  "function(c){out.push(c.innerHTML);});}});return out;})()")
        held: list = []

        def loaded() -> bool:
            got: list = []
            browser.editor.web.evalWithCallback(script, got.append)
            anki.anki.wait_until(lambda: bool(got), what="the editor's page")
            held[:] = got[0] or []
            return bool(held)

        anki.anki.wait_until(loaded, what="the editor's fields")
        assert held[0] == "<p>Held <span>[</span>sound:f.mp3] here?</p>"
        assert "[sound:" not in held[0]  # what Anki's tag parser would find
    finally:
        browser.close()
        anki.anki.process(1.0)
