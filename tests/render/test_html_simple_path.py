"""The second sanitiser fast path (``_sanitize_simple``) must write exactly
what the full bs4 parse writes, whenever it takes a fragment at all."""

from __future__ import annotations

from typing import List

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from addon.render.html import _sanitize_simple, _sanitize_tree, formatter, sanitize_html


def full_parse(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    _sanitize_tree(soup)
    return soup.decode(formatter=formatter())


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ('<p><span style="color: rgb(200, 30, 30);">text</span></p>',
         '<p><span style="color:#c81e1e;color:color-mix(in srgb,#c81e1e 62%,CanvasText);'
         'color:light-dark(#c81e1e,#e96b6b)">text</span></p>'),
        ('<div>x<br></div><div><font color="#f00">y</font></div>',
         '<div>x<br></div><div><font color="#ff0000">y</font></div>'),
        ('<p><span style="font-size: 14px; font-family: Arial">plain</span><font face="Arial">f</font></p>',
         "<p><span>plain</span>f</p>"),
        ("<P CLASS=a>Up<BR/>per</P>", "<p>Up<br>per</p>"),
        ("<p class='q'>a&nbsp;b &lt;c&gt; &amp; d > e\xa0f</p>", "<p>a&nbsp;b &lt;c&gt; &amp; d &gt; e&nbsp;f</p>"),
        ('<center>c</center><span lang="de">w</span>', "c<span>w</span>"),
        ('<p>see <a href=" https://en.wikipedia.org/wiki/x y " target="_blank" TITLE=\'t\'>wiki</a></p>',
         '<p>see <a href="https://en.wikipedia.org/wiki/x%20y" title="t">wiki</a></p>'),
        ('<a href="javascript:alert(1)" title="x">no</a> <a>plain</a> <a href>e</a>', "no plain e"),
        ("<a href='mailto:a@b.c'>m</a>", '<a href="mailto:a@b.c">m</a>'),
        # What extract_inline_images leaves of a data-URI image: a plain media name as the only attribute.
        ('<p class="q">x<IMG SRC=" polar-1a.png "></p> <span>y</span>',
         '<p>x<img src="polar-1a.png"></p> <span>y</span>'),
        ("<div><img src='a\xa0b.png'>\n<img src=c.gif></div>",
         '<div><img src="a&nbsp;b.png">\n<img src="c.gif"></div>'),
    ],
)
def test_simple_fields(field: str, expected: str) -> None:
    assert _sanitize_simple(field) == expected
    assert full_parse(field) == expected
    assert sanitize_html(field) == expected


@pytest.mark.parametrize(
    "field",
    [
        '<a href="http://x" title="say &quot;hi&quot;">x</a>',  # entity in a value
        "<a href='http://x/\"q\"'>x</a>",  # bs4 would switch quotes
        '<a href="http://x" href="http://y">x</a>',
        "<a href=http://x>x</a>",
        '<img src="a.png" alt="x">',  # kept attributes: the full parse
        '<img src="a.png"/>',
        '<img src="../a.png">',  # dropped: the full parse
        "<img src>",
        '<p><img src="a.png"></img></p>',
        '<img src="a.png">  <img src="b.png">',  # bs4 writes the spaces as one
        '<td colspan="2">x</td>',
        "<p>a &eacute; b</p>",  # entity bs4 would rewrite
        '<p class="x">unclosed',
        "<b><i>x</b></i>",
        "<p/>",
        "</br>",
        "<script>x</script>",
        "<p>a<!-- c -->b</p>",
        '<p title="a>b">x</p>',
        '<o:p class="x">w</o:p>',
        "<p x=\"a\"y='b'>z</p>",
    ],
)
def test_everything_else_takes_the_full_parse(field: str) -> None:
    assert _sanitize_simple(field) is None


_TAGS = ["p", "b", "i", "span", "div", "code", "ul", "li", "h2", "font", "center", "blink", "sub",
         "a", "img", "td", "script", "style", "br", "hr", "P", "SPAN", "Font", "o:p", "textarea", "title"]
_ATTRS = ['', ' class="x"', " style='color: red'", " color=red", ' id="a1" data-x="&amp;"', " hidden",
          ' href="http://x.org/"', ' src="p.png"', " title=\"a'b\"", ' onclick="alert(1)"', " x=a/b", " a = 'b' "]
_TEXTS = ["", "plain", "a &amp; b", "&nbsp;", "x &lt; y &gt; z", "> gt", "\xa0", "&eacute;", "&#160;",
          "{{c1::cloze}}", "\\(x_1\\)", "a < b", "a & b", "line\nbreak", "tab\there", "&amp", "&nbsp"]


# Mostly what the fast path takes, so the comparison is not vacuous.
_BENIGN_TAGS = ["p", "b", "span", "div", "font", "center", "br", "li", "H1", "Span", "a", "A", "img"]
_BENIGN_ATTRS = ["", ' class="x"', " style='color: red'", " color=red", " hidden", " x=a/b", " a = 'b' ",
                 ' style="background-color: rgb(255, 255, 0);"', " style='font-weight: bold; color: navy'",
                 ' color="#9C0000"', ' color="#333" style="text-decoration: underline"', " style=color:red",
                 ' style="color: red" style="color: blue"', ' style="width: expression(alert(1))"',
                 ' href="http://x.org/a b"', " href='https://y' title=\"T\"", ' href="javascript:x"',
                 ' title="t" href="mailto:m@x"', " href", ' href="http://\xa0x"', " HREF='http://z' target=_blank",
                 ' src="p.png"', " SRC=q.gif", " src=' r .png '"]
_BENIGN_TEXTS = ["", "plain", "a &amp; b", "&nbsp;", "x &lt; y &gt; z", "> gt", "\xa0", "line\nbreak", "&amp"]


@st.composite
def fragments(draw: st.DrawFn) -> str:
    benign = draw(st.booleans())
    tags, attrs, texts = (_BENIGN_TAGS, _BENIGN_ATTRS, _BENIGN_TEXTS) if benign else (_TAGS, _ATTRS, _TEXTS)
    parts: List[str] = []
    stack: List[str] = []
    for _ in range(draw(st.integers(0, 12))):
        action = draw(st.integers(0, 3))
        if action == 0:
            parts.append(draw(st.sampled_from(texts)))
        elif action == 1 or not stack:
            tag = draw(st.sampled_from(tags))
            close = draw(st.sampled_from(["", "", "", "/", " /"]))
            parts.append(f"<{tag}{draw(st.sampled_from(attrs))}{close}>")
            if not close and tag.lower() not in ("br", "hr", "img"):
                stack.append(tag)
        elif action == 2:
            tag = stack.pop()
            if draw(st.integers(0, 9)) == 0:
                tag = draw(st.sampled_from(tags))  # sometimes mis-nested
            parts.append(f"</{tag}{draw(st.sampled_from(['', ' ']))}>")
        else:
            parts.append(draw(st.sampled_from(texts)))
    while stack and (benign or draw(st.booleans())):
        parts.append(f"</{stack.pop()}>")
    return "".join(parts)


@settings(max_examples=1500, deadline=None)
@given(fragments())
def test_fast_path_equals_full_parse(field: str) -> None:
    simple = _sanitize_simple(field)
    if simple is not None:
        assert simple == full_parse(field)


@settings(max_examples=1500, deadline=None)
@given(fragments())
def test_a_styled_field_without_its_styles_is_what_version_4_wrote(field: str) -> None:
    """field_merge.unstyled_hash: the sanitised field rendered again without
    styles is byte for byte the field rendered without them from the start
    (the rendering of render version 4), on every path of the sanitiser."""
    assert sanitize_html(sanitize_html(field), styles=False) == sanitize_html(field, styles=False)
    assert sanitize_html(sanitize_html(field)) == sanitize_html(field)  # and styled output is a fixed point


def test_fuzzer_exercises_the_fast_path() -> None:
    taken = []

    @settings(max_examples=500, deadline=None, database=None, derandomize=True)
    @given(fragments())
    def collect(field: str) -> None:
        taken.append(_sanitize_simple(field) is not None and "<" in field)

    collect()
    assert sum(taken) > 30


def test_a_tag_worked_out_once_acts_the_same_in_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tag's action is remembered (``_TAG_ACTIONS``); a remembered tag
    must still be checked against the field's own open tags, and past the
    memo's cap every tag is worked out on the spot, the same way."""
    import addon.render.html as html

    fields = ['<p><span style="font-size: 9px">a</span></p>', '<span style="color: red">b</p>',  # mismatched close
              '</span><span style="color: red">c', '<a href="https://x.org/1">d</a>', "<a>e</a>",
              '<p>f<img src="g.png"></p>', "<p>h<br></p>", "<p>i</P>"]
    monkeypatch.setattr(html, "_TAG_ACTIONS", {})
    cold = [_sanitize_simple(f) for f in fields]
    warm = [_sanitize_simple(f) for f in fields]
    monkeypatch.setattr(html, "_TAG_ACTIONS", {})
    monkeypatch.setattr(html, "_MAX_TAG_ACTIONS", 2)
    capped = [_sanitize_simple(f) for f in fields]
    assert len(html._TAG_ACTIONS) == 2
    assert cold == warm == capped
    assert cold == ["<p><span>a</span></p>", None, None, '<a href="https://x.org/1">d</a>', "e",
                    '<p>f<img src="g.png"></p>', "<p>h<br></p>", "<p>i</p>"]
    for field, out in zip(fields, cold):
        if out is not None:
            assert out == full_parse(field)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["<", "\r", "\x00", "&", "nbsp", "amp", "lt", "gt", "quot", ";", "a", " ", "\n"]),
                max_size=12))
def test_bad_text_is_what_the_two_alternatives_found(pieces: List[str]) -> None:
    import re

    from addon.render.html import _SIMPLE_TEXT_BAD

    text = "".join(pieces)
    either = re.compile(r"[<\r\x00]|&(?!(?:nbsp|amp|lt|gt);)")
    assert (_SIMPLE_TEXT_BAD.search(text) is None) == (either.search(text) is None)
