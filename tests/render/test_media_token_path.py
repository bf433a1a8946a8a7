"""Inline images taken out without a parse tree (``_extract_by_tokens``) must
end as the tree's way ends them: the same field HTML once sanitised, the same
media files, the same problems, whenever the token path takes a fragment."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addon.render.html import sanitize_html
from addon.render.media import _extract_by_tokens, _extract_by_tree, extract_inline_images

from .helpers import GIF, PNG, SVG, data_uri
from .test_html_simple_path import fragments

_PNG = data_uri(PNG, "image/png")
_SRCS = [
    f'"{_PNG}"', f"'{_PNG}'", f'" {_PNG} "', f'"{data_uri(GIF, "image/gif")}"', f'"{data_uri(SVG, "image/svg+xml")}"',
    '"data:image/png;base64,@@@"', '"data:text/plain,hello"', '"data:image/png,not-base64"',
    f'"{_PNG[:30]}\n{_PNG[30:]}"', f'"{data_uri(PNG + b"-big" * 40, "image/png")}"', '"polar-abc.png"',
    '"https://x.org/a.png"', '""', f"{_PNG}",  # unquoted: not a tag the token path reads
]
_IMG_EXTRAS = ["", "", "", ' alt="a"', ' width="20"', " style='x'", " SRC2=x"]


@st.composite
def images(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["img", "IMG", "Img"]))
    src = draw(st.sampled_from(["src", "SRC"]))
    spaces = draw(st.sampled_from(["=", " = "]))
    extra = draw(st.sampled_from(_IMG_EXTRAS))
    order = draw(st.booleans())
    attrs = f" {src}{spaces}{draw(st.sampled_from(_SRCS))}"
    attrs = attrs + extra if order else extra + attrs
    return f"<{name}{attrs}{draw(st.sampled_from(['', '/', ' /']))}>"


@st.composite
def fields(draw: st.DrawFn) -> str:
    """The simple path's fuzz fragments with pasted images (and a comment, a
    broken tag) between them: an image may land inside a tag left open."""
    pieces = st.one_of(fragments(), images(), images(), st.sampled_from(["<!-- c -->", "<x", " "]))
    return "".join(draw(st.lists(pieces, min_size=1, max_size=5)))


def _ends(found: tuple) -> tuple:
    html, media, problems = found
    return sanitize_html(html), media, problems


@settings(max_examples=1500, deadline=None)
@given(fields(), st.sampled_from([0, 100]))
def test_token_path_ends_as_the_tree_does(field: str, max_bytes: int) -> None:
    by_tokens = _extract_by_tokens(field, max_bytes)
    if by_tokens is not None:
        assert _ends(by_tokens) == _ends(_extract_by_tree(field, max_bytes))


def test_fuzzer_exercises_the_token_path() -> None:
    taken = []

    @settings(max_examples=1000, deadline=None, database=None, derandomize=True)
    @given(fields())
    def collect(field: str) -> None:
        by_tokens = _extract_by_tokens(field, None)
        taken.append(by_tokens is not None and bool(by_tokens[1] or by_tokens[2]))

    collect()
    assert sum(taken) > 30


@pytest.mark.parametrize(
    ("field", "html"),
    [
        (f'<p>x<img src="{_PNG}"></p>', '<p>x<img src="polar-{}.png"></p>'),
        (f"<P CLASS=q><IMG SRC='{_PNG}'/> <span style='a'>y</span></P>",
         '<p><img src="polar-{}.png"> <span>y</span></p>'),
        (f'<div><img src="{_PNG}"><img src="{data_uri(SVG, "image/svg+xml")}">z</div>',
         '<div><img src="polar-{}.png">z</div>'),
    ],
)
def test_the_usual_pasted_image_takes_the_token_path(field: str, html: str) -> None:
    found = _extract_by_tokens(field, None)
    assert found is not None
    out, media, _ = found
    assert [m.data for m in media] == [PNG]
    assert sanitize_html(out) == html.format(media[0].name[len("polar-"):-len(".png")])


@pytest.mark.parametrize(
    "field",
    [
        f'<p><img alt="a" src="{_PNG}"></p>',  # another attribute
        f'<script><img src="{_PNG}"></script>',  # html.parser reads a script's content as text
        f'<svg><img src="{_PNG}"></svg>',  # dropped with its content by the sanitiser
        f'<!-- <img src="{_PNG}"> -->',  # a comment
        f"<p><img src={_PNG}></p>",  # unquoted with characters the token reader does not take
        f'<img src="{_PNG}"></img>',
    ],
)
def test_anything_else_takes_the_tree(field: str) -> None:
    assert _extract_by_tokens(field, None) is None
    assert extract_inline_images(field) == _extract_by_tree(field, None)


def test_the_tree_path_leaves_no_cyclic_garbage() -> None:
    # Anki runs with the collector off: a parse tree must be freed by reference counting.
    # Only the parser's own objects count: a thread an earlier test left running may
    # leave cycles of its own while the collector is off (seen as a flake in full runs).
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        gc.garbage.clear()
        for i in range(20):
            extract_inline_images(f'<div><p>{i}</p><img alt="a" src="{_PNG}"><table><tr><td>x</td></tr></table></div>')
        gc.collect()
        ours = [o for o in gc.garbage if type(o).__module__.startswith(("bs4", "html.parser", "addon"))]
        assert ours == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()


def test_a_loose_ampersand_goes_to_the_tree() -> None:
    """Found by the test above: "&amp" (no ";") before an image is "&" to the
    tree's parse but stays "&amp" as written, which the sanitiser's own parse
    then reads at the end of a text: the token path leaves such a field alone."""
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUi1wbmctYm9keQ=="
    svg = ("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQo"
           "MSkiPjwvc3ZnPg==")
    field = f'<img src="{png}"><p>&amp<img src="{svg}">'
    assert _extract_by_tokens(field, 0) is None
    assert _extract_by_tokens(f'<img src="{png}"><p>&amp; x</p>', 0) is not None


def test_spaces_alone_after_a_dropped_image_end_as_the_tree_ends_them() -> None:
    """The fuzzer's find: the tree writes the two spaces between a dropped SVG
    and a kept PNG as one (bs4 keeps a text of spaces alone as one space);
    the token path joined them to the text before and kept both."""
    field = f'<p/>plain<img src="{data_uri(SVG, "image/svg+xml")}">  <img src="{_PNG}">'
    assert _ends(extract_inline_images(field, 0)) == _ends(_extract_by_tree(field, 0))
    assert _extract_by_tokens(field, 0) is None
