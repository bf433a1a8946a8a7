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
    # The "·" stays with "p. 7": at phone width no line starts with it.
    assert _source_line(shown).endswith("p. 7&nbsp;· " + CONTROL)
    assert shown.replace("&nbsp;· " + CONTROL, "") == answer  # nothing else touched


def test_in_the_own_types_it_ends_the_source_field(col):
    for kind in ("basic", "cloze"):
        model = create_own(col, kind)
        note = col.new_note(model)
        note.fields[0] = "What is {{c1::recall}}?" if kind == "cloze" else "What pushes the review out?"
        note["Source"] = '<span class="polar-title">Memory</span> · p. 7'
        col.add_note(note, col.decks.id("Default"))
        answer = note.cards()[0].answer()
        shown = add_control(answer, CONTROL)
        assert _source_line(shown).endswith("p. 7&nbsp;· " + CONTROL)
        assert shown.count("polar-open") == 1


def test_without_a_context_block_it_gets_a_line_of_its_own():
    shown = add_control("<p>answer</p>", CONTROL)
    assert shown.startswith("<p>answer</p>") and shown.endswith(CONTROL + "</div>")
    assert "polar-open-line" in shown


def test_the_context_lines_links_are_dark_enough_in_light_mode_only():
    """Faded with the context line (opacity 0.7), Anki's light link blue was
    3.6:1 on white; the answer shown (never the note) gets a darker blue."""
    from addon.gui.source_link import readable_links

    block = context_block(Context('<span class="polar-title">Memory</span> · p. 7', "the highlight", "", ""))
    answer = "<p>A successful recall.</p>" + block
    light = readable_links(add_control(answer, CONTROL), night_mode=False)
    assert light.endswith("<style>.polar-source a, .polar-open-line a { color: #0a2e80; }</style>")
    assert readable_links(answer, night_mode=True) == answer  # night mode's light blue reads as it is
    assert readable_links("<p>not ours</p>", night_mode=False) == "<p>not ours</p>"
    line = add_control("<p>answer</p>", CONTROL)
    assert readable_links(line, night_mode=False) != line
