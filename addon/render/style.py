"""How the context looks: one set of declarations for both places it lives.

With the stock note types the context block sits inside the user's ``Back``
/ ``Back Extra`` field, and their note type's CSS is theirs (never written),
so the block carries its look in ``style`` attributes. The add-on's own
note types get the very same declarations as CSS rules (``own_css``).

Rules that hold in light *and* night mode without JavaScript (AnkiDroid,
AnkiMobile and AnkiWeb show the same card): no colour is named; text and
rules use the card's own colour (``currentColor``, a border's colour when
none is given: so none is, a few bytes less in every note) made secondary
with ``opacity``, so they are dark grey on white and light grey on Anki's
dark background. Images are bounded in both directions and keep their aspect.
A highlight or comment in Hebrew, Arabic... reads right to left: each
element takes its direction from its own text (``dir="auto"``, in the
markup: context.py, notetypes.py), is aligned at its start
(``text-align:start``: left for English, as before) and has its bar there.
"""

from __future__ import annotations

from typing import Dict, List

# class -> declarations. The keys are the block's classes (see context.py).
STYLES: Dict[str, str] = {
    "polar-context": (
        "margin-top:1.2em;font-size:0.8em;line-height:1.35;text-align:start;"
        "overflow-wrap:break-word;word-break:break-word"
    ),
    "polar-rule": "border:0;border-top:1px solid;opacity:0.25;margin:0 0 0.6em",
    "polar-source": "opacity:0.7;font-style:italic",
    # A link in the faded source line (a web capture's site): the line's
    # own colour, underlined. Anki's link blue faded with the line was
    # 3.6:1 on white, and no one named colour reads in light and night
    # mode at 70 %; the text's colour does (about 8:1 on white).
    "polar-link": "color:inherit;text-decoration:underline",
    # The bar at the start of the line: left, or right for right-to-left
    # text (dir="auto" on the element). Logical properties: every Anki
    # (Chromium 112 in 23.10), AnkiDroid's WebView (Chrome 69+) and
    # AnkiMobile (Safari 12.1+) know them.
    "polar-highlight": "margin:0.5em 0;padding-inline-start:0.7em;border-inline-start:3px solid;opacity:0.8",
    "polar-image": "margin:0.5em 0",
    "polar-image-img": (
        "display:block;max-width:100%;max-height:12em;width:auto;height:auto;"
        "border-radius:4px;opacity:0.9"
    ),
    "polar-comments": "opacity:0.8",
    "polar-comment": "margin:0.4em 0;padding-inline-start:0.7em;border-inline-start:3px dotted",
}


# The rule of a block that the stock Cloze's answer template ("{{cloze:Text}}
# <br>\n{{Back Extra}}") puts after its "<br>" with nothing of the user's
# between: after a text ending in a paragraph that "<br>" is a line of its
# own, empty, and the block's 1.2em margin came after it: an empty band of
# ~65 px between the answer and the context line (the paragraph's margin, the
# empty line, the block's margin), where the own types and a stock Basic
# leave one paragraph's margin (~20 px). The rule's margin collapses with the
# block's (render/context.py pulled) to none: the band loses the block's
# margin (~45 px left in a profile made before Anki 23.12, whose stock .card
# has no line-height, ~50 px since). It does not reach into the empty line:
# text the user then types before the block in Anki's editor (the note keeps
# this block until its next rewrite) stands on that line, and the rule must
# stay under it, not cross it.
PULLED_RULE = "border:0;border-top:1px solid;opacity:0.25;margin:-1.2em 0 0.6em"


def attr(name: str) -> str:
    """`` class="name" style="..."`` for an element of the block."""
    return f' class="{name}" style="{STYLES[name]}"'


# The own types' CSS: the same declarations as rules. The image rule targets
# the <img> inside .polar-image (the Image field holds a bare <img>).
_SELECTORS = {"polar-image-img": ".polar-image img", "polar-rule": ".polar-context hr.polar-rule"}


def own_css() -> str:
    rules: List[str] = []
    for name, decl in STYLES.items():
        selector = _SELECTORS.get(name, "." + name)
        rules.append(f"{selector} {{ {decl.replace(';', '; ')}; }}")
    return "\n".join(rules) + "\n"


# Written on every <pre> of a field (render/html.py): a code block wider
# than the card scrolls inside itself instead of the whole answer sideways
# (a phone, a 400 px window), and its lines start at its start edge: the
# stock note types centre a card's text, which set each line of code at its
# own indent. In the field, so every client shows it so.
PRE_STYLE = "overflow-x:auto;text-align:start"
# Written on every <table> likewise: a table wider than the card (Polar's
# editors, Summernote in 1.x and CKEditor 5 in 2.x, both insert tables)
# scrolls inside itself; as a block it keeps the card's width, its rows laid
# out as before inside it.
TABLE_STYLE = "display:block;overflow-x:auto"
# Written on every <figure> (CKEditor 5, Polar 2.x's editor, wraps images and
# tables in one): a browser's default figure margins (40 px each side) took
# 80 px of a 400 px card from its image; the card's own margins are enough.
FIGURE_STYLE = "margin:1em 0"
# Written on an <img> given both a width and a height (pasted from a web
# page, Polar 1.x's Summernote keeps them): the card's max-width shrinks the
# width at 400 px and the height stayed, the image squeezed (800x400 shown
# 348x400); with the height from the width it keeps its shape.
IMG_STYLE = "height:auto"
