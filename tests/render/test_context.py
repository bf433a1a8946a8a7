from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from addon.polar.docmeta import Comment, Highlight, Text
from addon.polar.library import UnsafePathError
from addon.render.context import Context, build_context, context_block, image_alt, kept_image, site_of, split_block
from addon.render.media import media_name

from .helpers import PNG, Loader, card, document, html, no_images

TEXT_HL = Highlight(
    "hl1", "text-highlight", 3, text=Text("TEXT", "The execve()\nsystem call <replaces>\n  the image")
)
AREA_HL = Highlight("ah1", "area-highlight", 5, image_name="1fgJWGXVQGMekJe2zxRc.png")


def test_text_highlight_context() -> None:
    c = card({"front": html("q")})
    ctx, media, problems = build_context(document([c], {"hl1": TEXT_HL}), c, no_images)
    assert ctx.source == '<span class="polar-title">Operating Systems</span>&nbsp;· p.&nbsp;3'
    assert ctx.highlight == "The execve() system call &lt;replaces&gt; the image"
    assert ctx.image == "" and ctx.comments == ""
    assert media == [] and problems == []


def test_display_title_rule_and_escaping() -> None:
    c = card({"front": html("q")}, ref=("page", "3"))
    titles = [
        (document(title="<b>A & B</b>"), "&lt;b&gt;A &amp; B&lt;/b&gt;"),
        (document(title="", filename="paper.pdf"), "paper.pdf"),
        (document(title="", filename=""), "Untitled"),
    ]
    for doc, shown in titles:
        ctx, _, _ = build_context(doc, c, no_images)
        assert ctx.source == f'<span class="polar-title">{shown}</span>&nbsp;· p.&nbsp;3'


def test_web_capture_gets_a_link() -> None:
    c = card({"front": html("q")}, page=1, ref=("page", "1"))
    ctx, _, _ = build_context(document(url='https://example.org/a?x=1&y="2"', filename="a.phz"), c, no_images)
    url = "https://example.org/a?x=1&amp;y=&quot;2&quot;"
    # The full address in the href, the site as the text (a tracked URL
    # would take six lines at phone width). A captured page has no pages.
    assert ctx.source == (
        '<span class="polar-title">Operating Systems</span>&nbsp;· '
        f'<a class="polar-link" style="color:inherit;text-decoration:underline" href="{url}">example.org</a>'
    )
    for bad in ("javascript:alert(1)", "file:///home/me/x.html", "mailto:a@b.c"):
        ctx, _, _ = build_context(document(url=bad), c, no_images)
        assert "<a" not in ctx.source and "javascript" not in ctx.source


def test_the_page_never_wraps_away_from_its_number() -> None:
    """At phone width "Designing Data-Intensive Applications · p. 142"
    broke as "… · p." / "142": the page's number stays with "p.", and each
    separator with the part before it (no line starts with "·")."""
    c = card({"front": html("q")}, page=142, ref=("page", "142"))
    ctx, _, _ = build_context(document(url="https://example.org/paper.pdf", filename="paper.pdf"), c, no_images)
    assert ctx.source == (
        '<span class="polar-title">Operating Systems</span>&nbsp;· p.&nbsp;142&nbsp;· '
        '<a class="polar-link" style="color:inherit;text-decoration:underline" href="https://example.org/paper.pdf">example.org</a>'
    )
    text = BeautifulSoup(context_block(ctx), "html.parser").get_text()
    assert "p.\u00a0142" in text and " ·" not in text and "·\u00a0" not in text


def test_a_web_capture_shows_no_page() -> None:
    """Polar keeps a captured web page as one page: "p. 1" meant nothing."""
    c = card({"front": html("q")}, page=1, ref=("text-highlight", "hl1"))
    hl = Highlight("hl1", "text-highlight", 1, text=Text("TEXT", "quoted"))
    for url, filename in (("https://howhttps.works/", "1HTTPS0000-how-https-works.phz"),
                          ("https://howhttps.works/", "")):
        ctx, _, _ = build_context(document([c], {"hl1": hl}, url=url, filename=filename), c, no_images)
        assert "p." not in ctx.source and ctx.source.endswith(">howhttps.works</a>")
        assert ctx.highlight == "quoted"


def test_no_page_when_unknown() -> None:
    c = card({"front": html("q")}, page=0, ref=("", ""))
    ctx, _, _ = build_context(document(), c, no_images)
    assert ctx.source == '<span class="polar-title">Operating Systems</span>'


def test_rich_highlight_text_is_rendered_and_sanitised() -> None:
    c = card({"front": html("q")})
    for text, shown in [
        (Text("HTML", "<p>bold <b>claim</b><script>x</script></p>"), "<p>bold <b>claim</b></p>"),
        (Text("MARKDOWN", "a **b**"), "<p>a <strong>b</strong></p>"),
    ]:
        doc = document([c], {"hl1": Highlight("hl1", "text-highlight", 3, text=text)})
        assert build_context(doc, c, no_images)[0].highlight == shown


def test_area_highlight_image_is_loaded() -> None:
    c = card({"front": html("q")}, page=5, ref=("area-highlight", "ah1"))
    load = Loader({"1fgJWGXVQGMekJe2zxRc.png": PNG})
    ctx, media, problems = build_context(document([c], {"ah1": AREA_HL}), c, load)
    name = media_name(PNG, "png")
    # alt: the source line's words, for a screen reader (it said the file's name)
    assert ctx.image == f'<img src="{name}" alt="Operating Systems · p. 5">'
    assert [m.name for m in media] == [name] and media[0].data == PNG
    assert problems == [] and load.calls == ["1fgJWGXVQGMekJe2zxRc.png"]
    assert ctx.source.endswith("p.&nbsp;5") and ctx.highlight == ""


@pytest.mark.parametrize("title, filename, label, alt", [
    ("Operating Systems", "os.pdf", "p. {page}", "Operating Systems · p. 5"),
    ("Betriebssysteme", "os.pdf", "S. {page}", "Betriebssysteme · S. 5"),  # the collection's page words
    ("Moby-Dick", "1Stash.epub", "p. {page}", "Moby-Dick · § 5"),  # an EPUB's section
    ('A <b> & "quoted" title', "q.pdf", "p. {page}", "A &lt;b&gt; &amp; &quot;quoted&quot; title · p. 5"),
    ("Notes [sound:x.mp3] \\(x\\)", "s.pdf", "p. {page}", None),  # Anki's syntax stays literal
])
def test_an_area_highlight_s_picture_is_named_for_a_screen_reader(title: str, filename: str, label: str,
                                                                   alt: object) -> None:
    """Render version 10: the picture's alt is its source line's words, so a
    screen reader says where the area comes from, not "polar-cefe….png"."""
    c = card({"front": html("q")}, page=5, ref=("area-highlight", "ah1"))
    doc = document([c], {"ah1": AREA_HL}, title=title, filename=filename)
    ctx = build_context(doc, c, Loader({"1fgJWGXVQGMekJe2zxRc.png": PNG}), label)[0]
    found = re.fullmatch(r'<img src="([^"]+)" alt="([^"]*)">', ctx.image)
    assert found is not None and found.group(1) == media_name(PNG, "png")
    if alt is not None:
        assert found.group(2) == alt
    else:  # neither Anki's sound tag nor MathJax can be read out of the attribute
        assert "[sound:" not in found.group(2) and "\\(" not in found.group(2)
        assert BeautifulSoup(ctx.image, "html.parser").img["alt"] == "Notes [sound:x.mp3] \\(x\\) · p. 5"
    block = context_block(ctx)  # the stock types' block styles it and keeps the alt
    assert f'alt="{found.group(2)}" style="' in block


@pytest.mark.parametrize("title, filename, url", [
    ("Operating Systems", "os.pdf", ""),
    ("", "", ""),  # "Untitled"
    ("  A\n\ttitle &amp; <i>x</i>  ", "q.pdf", ""),
    ("Notes [sound:x.mp3] \\(x\\) $$y$$", "s.pdf", ""),
    ("Moby-Dick", "1Stash.epub", ""),
    ("A web page", "a.phz", "https://www.example.org/a?b=1&c=\"2\""),
    ("A saved page", "", "https://example.org/x"),
    ("A PDF from the web", "w.pdf", "https://example.org/w.pdf"),
])
@pytest.mark.parametrize("label", ["p. {page}", "S. {page}", "第 {page} 页", "{page}", "pág.\u00a0{page}",
                                   "p.&amp; {page}"])
def test_a_picture_s_alt_is_the_words_of_its_source_line(title: str, filename: str, url: str, label: str) -> None:
    """The alt is made from the line's parts, not by parsing the line back
    (``_picture_alt``): it must say exactly what ``image_alt`` of the line says."""
    c = card({"front": html("q")}, page=5, ref=("area-highlight", "ah1"))
    doc = document([c], {"ah1": AREA_HL}, title=title, filename=filename, url=url)
    for page in (0, 1, 5, 1234):
        area = Highlight("ah1", "area-highlight", page, image_name="1fgJWGXVQGMekJe2zxRc.png")
        doc.highlights["ah1"] = area
        ctx = build_context(doc, c, Loader({"1fgJWGXVQGMekJe2zxRc.png": PNG}), label)[0]
        assert ctx.image.endswith(f' alt="{image_alt(ctx.source)}">')


def test_a_kept_image_takes_the_alt_of_its_line() -> None:
    """An export has no pictures: a note keeps the one it has, with the alt
    a data folder's sync writes now (a note from before version 10 gets it)."""
    src = "polar-cefe2ad32df95104425d.png"
    before = f'<div class="polar-image" style="x"><img src="{src}" style="y"></div>'
    alt = image_alt('<span class="polar-title">Operating Systems</span>&nbsp;· p.&nbsp;5')
    assert alt == "Operating Systems · p. 5"
    assert kept_image(["q", "a" + before], None, alt) == f'<img src="{src}" alt="{alt}">'
    assert kept_image(["q", "a", f'<img src="{src}" alt="old">'], 2, alt) == f'<img src="{src}" alt="{alt}">'
    assert kept_image(["q", "a", ""], 2, alt) == "" and kept_image(["q", "a"], None, alt) == ""


def _area_context_with(exc: Exception) -> tuple:
    c = card({"front": html("q")}, page=5, ref=("area-highlight", "ah1"))

    def load(name: str) -> bytes:
        raise exc

    return build_context(document([c], {"ah1": AREA_HL}), c, load)


def test_unsafe_image_name_is_refused_and_reported() -> None:
    ctx, media, problems = _area_context_with(UnsafePathError("../../etc/passwd"))
    assert ctx.image == "" and media == []
    assert len(problems) == 1 and "1fgJWGXVQGMekJe2zxRc.png" in problems[0] and "refused" in problems[0]


def test_missing_image_is_reported() -> None:
    ctx, media, problems = _area_context_with(FileNotFoundError("gone"))
    assert ctx.image == "" and media == [] and "missing" in problems[0]


def test_oversized_image_is_reported() -> None:
    ctx, media, problems = _area_context_with(ValueError("image 'x' is 99 bytes, over the 10-byte limit"))
    assert ctx.image == "" and media == [] and "over the 10-byte limit" in problems[0]


def test_unreadable_image_is_reported() -> None:
    ctx, media, problems = _area_context_with(PermissionError(13, "Permission denied"))
    assert ctx.image == "" and media == [] and "Permission denied" in problems[0]


def test_image_that_is_not_a_raster_is_reported() -> None:
    c = card({"front": html("q")}, ref=("area-highlight", "ah1"))
    ctx, media, problems = build_context(document([c], {"ah1": AREA_HL}), c, lambda name: b"<svg/>")
    assert ctx.image == "" and media == [] and "not a PNG" in problems[0]


def test_orphan_card_keeps_source_only() -> None:
    c = card({"front": html("q")}, page=7, ref=("text-highlight", "deleted"))
    ctx, media, problems = build_context(document([c], {"hl1": TEXT_HL}), c, no_images)
    assert ctx.source == '<span class="polar-title">Operating Systems</span>&nbsp;· p.&nbsp;7'
    assert ctx.highlight == "" and ctx.image == ""
    assert media == [] and problems == []


def test_comments_on_the_same_highlight_in_created_order() -> None:
    c = card({"front": html("q")})
    comments = [
        Comment(
            "c2", 3, "text-highlight", "hl1", html("<p>second<script>x</script></p>"), "2020-01-02T00:00:00Z"
        ),
        Comment("c9", 3, "text-highlight", "other", html("unrelated"), "2020-01-01T00:00:00Z"),
        Comment("c1", 3, "text-highlight", "hl1", Text("TEXT", "first & foremost"), "2020-01-01T00:00:00Z"),
        Comment("c3", 3, "area-highlight", "hl1", html("wrong kind"), "2020-01-01T00:00:00Z"),
        Comment("c4", 3, "text-highlight", "hl1", None, "2020-01-03T00:00:00Z"),
    ]
    ctx, _, _ = build_context(document([c], {"hl1": TEXT_HL}, comments), c, no_images)
    assert ctx.comments == (
        '<div class="polar-comment" dir="auto">first &amp; foremost</div>'
        '<div class="polar-comment" dir="auto"><p>second</p></div>'
    )


def test_comment_index_follows_the_document() -> None:
    c = card({"front": html("q")})
    doc_a = document([c], {"hl1": TEXT_HL}, [Comment("a", 3, "text-highlight", "hl1", html("from A"))])
    doc_b = document([c], {"hl1": TEXT_HL}, [Comment("b", 3, "text-highlight", "hl1", html("from B"))])
    assert "from A" in build_context(doc_a, c, no_images)[0].comments
    assert "from B" in build_context(doc_b, c, no_images)[0].comments


def _tree(block: str) -> BeautifulSoup:
    return BeautifulSoup(block, "html.parser")


def test_context_block_layout() -> None:
    ctx = Context("S", "H", '<img src="i.png">', '<div class="polar-comment">C</div>')
    tree = _tree(context_block(ctx))
    outer = tree.find("div")
    assert outer is not None and outer["class"] == ["polar-context"] and outer.parent is tree
    parts = [(child.name, child.get("class")) for child in outer.children]
    assert parts == [
        ("hr", ["polar-rule"]), ("div", ["polar-source"]), ("blockquote", ["polar-highlight"]),
        ("div", ["polar-image"]), ("div", ["polar-comments"]),
    ]
    assert [t.get_text() for t in outer.find_all(class_=["polar-source", "polar-highlight", "polar-comment"])] == [
        "S", "H", "C",
    ]
    assert tree.find("img")["src"] == "i.png"


def test_context_block_is_styled_inline_for_light_and_night() -> None:
    """The stock types' CSS is the user's: every element of the block carries
    its look itself, with no named colour (secondary by opacity, so it reads
    in night mode too), smaller and left-aligned, images bounded."""
    ctx = Context("S", "H", '<img src="i.png">', '<div class="polar-comment">C</div>')
    tree = _tree(context_block(ctx))
    for tag in tree.find_all(True):
        assert tag.get("style"), tag.name
    styles = " ".join(str(t["style"]) for t in tree.find_all(True))
    assert not re.search(r"#[0-9a-f]{3}|rgb|\b(grey|gray|black|white)\b", styles, re.I)
    outer = str(tree.find(class_="polar-context")["style"])
    assert "text-align:start" in outer and "font-size:0.8em" in outer
    assert "opacity" in str(tree.find(class_="polar-source")["style"])
    img = str(tree.find("img")["style"])
    assert "max-width:100%" in img and "max-height:" in img and "height:auto" in img
    assert tree.find("script") is None and "on" not in {a[:2] for t in tree.find_all(True) for a in t.attrs}


def test_right_to_left_highlights_and_comments_read_right_to_left() -> None:
    """A Hebrew highlight was laid out left to right: aligned left, its
    closing "(Ebbinghaus, 1885)." at the wrong end, the bar on the wrong
    side. Each highlight and comment now takes its direction from its own
    text (``dir="auto"``: in the markup, so AnkiDroid/AnkiMobile do the
    same, and its ``<p>``s inherit it), aligned and barred at its start."""
    from addon.render.style import own_css
    from addon.sync.notetypes import _CONTEXT_HTML

    c = card({"front": html("q")})
    hl = Highlight("hl1", "text-highlight", 3, text=Text("TEXT", "החזרה המרווחת (Ebbinghaus, 1885)."))
    comment = Comment("c1", 3, "text-highlight", "hl1", html("<p>التكرار.</p>"), "2020-01-01T00:00:00Z")
    ctx, _, _ = build_context(document([c], {"hl1": hl}, [comment]), c, no_images)
    assert ctx.comments == '<div class="polar-comment" dir="auto"><p>التكرار.</p></div>'  # the own types' field
    tree = _tree(context_block(ctx))
    assert "text-align:start" in str(tree.find(class_="polar-context")["style"])
    for name, bar in (("polar-highlight", "solid"), ("polar-comment", "dotted")):
        element = tree.find(class_=name)
        assert element["dir"] == "auto", name
        style = str(element["style"])
        assert f"border-inline-start:3px {bar}" in style and "padding-inline-start:0.7em" in style
        assert "-left" not in style, style  # no physical side: it would stay left in right-to-left text
    assert '<blockquote class="polar-highlight" dir="auto">{{Highlight}}' in _CONTEXT_HTML
    css = own_css()
    assert "text-align:start" in css[css.index(".polar-context {"):].split("}", 1)[0]
    assert "border-inline-start:3px dotted" in css[css.index(".polar-comment {"):].split("}", 1)[0]


def test_context_block_omits_empty_parts() -> None:
    tree = _tree(context_block(Context("S", "", "", "")))
    assert [c.get("class") for c in tree.find("div").children] == [["polar-rule"], ["polar-source"]]
    assert context_block(Context("", "", "", "")) == ""


def test_split_block_finds_the_block_the_user_part_before_it() -> None:
    block = context_block(Context("S", "H", "", ""))
    assert split_block("my answer" + block) == ("my answer", block)
    assert split_block("no block") == ("no block", "")
    # The block of an older version (no style attribute) is found too.
    old = '<div class="polar-context"><hr><div class="polar-source">S</div></div>'
    assert split_block("a" + old) == ("a", old)
    # An editor that re-serialised the attributes in another order.
    moved = '<div style="x" class="polar-context">S</div>'
    assert split_block("b" + moved) == ("b", moved)


def test_site_of() -> None:
    assert site_of("https://www.example.org/a/b?utm_source=x") == "example.org"
    assert site_of("http://en.wikipedia.org/wiki/X") == "en.wikipedia.org"
    assert site_of("https://[::1") == "https://[::1"


def test_context_block_is_deterministic() -> None:
    c = card({"front": html("q")})
    comments = [Comment(f"c{i}", 3, "text-highlight", "hl1", html(f"n{i}"), "2020-01-01") for i in range(5)]

    def block() -> str:
        doc = document([c], {"hl1": TEXT_HL}, comments, url="https://example.org/")
        return context_block(build_context(doc, c, no_images)[0])

    first = block()
    assert first == block() and first.encode() == block().encode()
    assert first.index("n0") < first.index("n4")


def test_plain_text_comment_keeps_its_line_breaks() -> None:
    c = card({"front": html("q")})
    doc = document(
        [c], {"hl1": TEXT_HL}, [Comment("c", 3, "text-highlight", "hl1", Text("TEXT", "a\nb <c>\n"))]
    )
    comments = build_context(doc, c, no_images)[0].comments
    assert comments == '<div class="polar-comment" dir="auto">a<br>b &lt;c&gt;</div>'


def test_split_block_keeps_text_typed_after_the_block() -> None:
    block = context_block(Context("S", "H", "", '<div class="polar-comment">C</div>'))
    assert split_block("answer" + block + "<div>my note</div>") == ("answer<div>my note</div>", block)
    # A block cut short (no closing tag) runs to the end.
    assert split_block('a<div class="polar-context"><div>x') == ("a", '<div class="polar-context"><div>x')


@pytest.mark.parametrize("value", ["a & b < c > d\n e", "x\r\ny\u2028z\x0bw\x1c v  ", "&amp; &lt;\u00a0\u3000end",
                                   "  ", "\"quoted\" 'single'"])
def test_a_text_highlight_is_escaped_as_escape_text_of_its_normalised_words(value: str) -> None:
    """build_context writes a text highlight without the helpers' calls: the
    same as escape_text(normalise_whitespace(...))."""
    from addon.render.html import escape_text, normalise_whitespace

    hl = Highlight("hl1", "text-highlight", 3, text=Text("TEXT", value))
    c = card({"front": html("q")})
    ctx, _, _ = build_context(document([c], {"hl1": hl}), c, no_images)
    assert ctx.highlight == escape_text(normalise_whitespace(value))
