"""Where the "open at p. N" control goes in a card's answer as Anki renders
it: inside the context line of the stock block and of the own note types'
Source field, on a line of its own without a context block; never twice."""

from __future__ import annotations

from addon.gui.source_link import add_control
from addon.render.context import Context, context_block
from addon.sync.notetypes import create_own

CONTROL = '<a class="polar-open" href="#">open at p. 7</a>'


def _source_line(answer: str) -> str:
    start = answer.index('class="polar-source"')
    return answer[start: answer.index("</div>", start)]


def test_in_the_stock_block_it_ends_the_source_line():
    block = context_block(Context('<span class="polar-title">Memory</span> · p. 7', "the highlight", "", ""))
    answer = "<p>A successful recall.</p>" + block
    shown = add_control(answer, CONTROL)
    assert _source_line(shown).endswith("p. 7 · " + CONTROL)
    assert shown.replace(" · " + CONTROL, "") == answer  # nothing else touched


def test_in_the_own_types_it_ends_the_source_field(col):
    for kind in ("basic", "cloze"):
        model = create_own(col, kind)
        note = col.new_note(model)
        note.fields[0] = "What is {{c1::recall}}?" if kind == "cloze" else "What pushes the review out?"
        note["Source"] = '<span class="polar-title">Memory</span> · p. 7'
        col.add_note(note, col.decks.id("Default"))
        answer = note.cards()[0].answer()
        shown = add_control(answer, CONTROL)
        assert _source_line(shown).endswith("p. 7 · " + CONTROL)
        assert shown.count("polar-open") == 1


def test_without_a_context_block_it_gets_a_line_of_its_own():
    shown = add_control("<p>answer</p>", CONTROL)
    assert shown.startswith("<p>answer</p>") and shown.endswith(CONTROL + "</div>")
    assert "polar-open-line" in shown
