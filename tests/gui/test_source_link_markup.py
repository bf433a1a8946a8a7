"""Where the "open at p. N" control goes in a card's answer as Anki renders
it: inside the context line of the stock block and of the own note types'
Source field, on a line of its own without a context block; never twice."""

from __future__ import annotations

from typing import Any

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


def test_the_control_does_not_name_again_the_page_its_line_names():
    """ "Bigtable · p. 1 · open at p. 1" (German "… · S. 1 · auf S. 1
    öffnen") named the page twice. Where the line it ends names the card's
    page the control says "open"; its tooltip still names page and key.
    Where nothing names the page (no context block, a line without it) it
    says "open at p. N"; an EPUB (the book window at the highlight) "show in book"."""
    from addon.gui.source_link import control_html, control_label, control_tip, names_page, source_line
    from addon.polar.originals import EPUB, PDF

    pdf, epub = _origin(PDF, 7), _origin(EPUB, 7)
    for label in ("p.&nbsp;7", "p. 7", "S.&nbsp;7", "p.\u00a07", "第&nbsp;7&nbsp;页"):
        line = source_line(_answer(f'<span class="polar-title">Memory</span>&nbsp;· {label}'))
        assert line is not None and names_page(line, 7), label
    title = '<span class="polar-title">Memory</span>'
    for source in ('<span class="polar-title">Memory 7</span>', f"{title}&nbsp;· p.&nbsp;17",
                   f'{title}&nbsp;· <a class="polar-link" href="https://e.org/7">7.org</a>'):
        assert not names_page(source_line(_answer(source)) or "", 7), source  # a title's or a link's 7 is no page
    assert source_line("<p>answer</p>") is None
    assert control_label(pdf, page_shown=True) == "open"
    assert control_label(pdf) == "open at p. 7"
    assert control_label(epub, page_shown=True) == control_label(epub) == "show in book"
    assert control_tip(pdf) == "Open the document at p. 7 here (Shift+O)"
    shown = control_html(123, pdf, page_shown=True)
    assert ">open</a>" in shown and "open at p. 7</a>" not in shown
    assert 'title="Open the document at p. 7 here (Shift+O)"' in shown


def _answer(source: str) -> str:
    return "<p>A successful recall.</p>" + context_block(Context(source, "the highlight", "", ""))


def _origin(kind: str, page: int) -> Any:
    from addon.polar.originals import Original, Spot
    from addon.sync.origin import Origin

    return Origin(Original("key", "Memory", kind, "memory.pdf"), Spot(page), "text-highlight:1")


def test_the_context_lines_links_are_the_lines_own_colour_underlined():
    """Anki's link blue faded with the line (opacity 0.7) was 3.6:1 on white
    where the card shows without the add-on (AnkiDroid, AnkiWeb): the site
    link, and the control beside it, take the line's colour, underlined."""
    from addon.gui.source_link import CONTROL_STYLE
    from addon.render.style import STYLES, own_css

    assert STYLES["polar-link"] == "color:inherit;text-decoration:underline"
    assert ".polar-link { color:inherit; text-decoration:underline; }" in own_css()
    assert CONTROL_STYLE.endswith(STYLES["polar-link"])


def test_the_lookups_for_the_control_use_one_thread_however_long_the_folder_hangs() -> None:
    """A Polar folder on a dead share holds the control's look in the
    kernel. Every answer shown meanwhile asks again: they wait behind it on
    the same thread (never one stuck thread per card), the newest first,
    at most ``KEEP``; the older ones are answered with nothing at once."""
    import logging
    import threading

    from addon.gui.polar_folder import Lookups

    lookups = Lookups(logging.getLogger("test"))
    hang = threading.Event()
    began = threading.Event()
    order = []

    def stuck() -> str:
        began.set()
        hang.wait(30)
        return "first"

    first = lookups.ask(stuck)
    assert began.wait(5)
    assert lookups.stuck(0) and not lookups.stuck(5)
    jobs = [lookups.ask(lambda n=n: order.append(n) or n) for n in range(12)]
    dropped, kept = jobs[:-Lookups.KEEP], jobs[-Lookups.KEEP:]
    assert all(job.done.is_set() and job.result is None for job in dropped)
    assert not any(job.done.is_set() for job in kept)
    assert [t.name for t in threading.enumerate()].count("polar-sync-origin") == 1
    hang.set()
    assert first.done.wait(5) and first.result == "first"
    assert all(job.done.wait(5) for job in kept)
    assert [job.result for job in kept] == list(range(4, 12))
    assert order == list(range(11, 3, -1))  # the newest (the card on screen) first
    for _ in range(500):
        if "polar-sync-origin" not in [t.name for t in threading.enumerate()]:
            break
        threading.Event().wait(0.01)
    assert "polar-sync-origin" not in [t.name for t in threading.enumerate()]
