from __future__ import annotations

import re
from typing import Optional

import pytest

from addon.polar.docmeta import Text
from addon.render.media import (
    MediaFile,
    extract_inline_images,
    field_html,
    image_file,
    media_name,
    sniff_image_type,
)

from .helpers import GIF, JPEG, PNG, SVG, WEBP, data_uri

NAME = re.compile(r"^polar-[0-9a-f]{20}\.(png|jpg|gif|webp)$")


@pytest.mark.parametrize(
    ("data", "mime", "ext"),
    [
        (PNG, "image/png", "png"),
        (JPEG, "image/jpeg", "jpg"),
        (JPEG, "image/jpg", "jpg"),
        (GIF, "image/gif", "gif"),
        (WEBP, "image/webp", "webp"),
        (WEBP, "IMAGE/WEBP", "webp"),
    ],
)
def test_raster_data_uris_become_media_files(data: bytes, mime: str, ext: str) -> None:
    html, media, problems = extract_inline_images(f'<p>see <img src="{data_uri(data, mime)}" alt="a"></p>')
    assert problems == []
    assert len(media) == 1
    file = media[0]
    assert file.data == data
    assert NAME.match(file.name) and file.name.endswith("." + ext)
    assert f'src="{file.name}"' in html and "data:" not in html


def test_same_bytes_same_name_and_one_file() -> None:
    uri = data_uri(PNG, "image/png")
    html, media, _ = extract_inline_images(f'<img src="{uri}"><img src="{uri}">')
    assert len(media) == 1
    assert html.count(media[0].name) == 2
    _, media2, _ = extract_inline_images(f'<b>other field</b><img src="{uri}">')
    assert media2 == media
    other = extract_inline_images(f'<img src="{data_uri(PNG + b"x", "image/png")}">')[1]
    assert other[0].name != media[0].name


def test_type_comes_from_the_bytes_not_the_declared_mime() -> None:
    _, media, problems = extract_inline_images(f'<img src="{data_uri(JPEG, "image/png")}">')
    assert problems == [] and media[0].name.endswith(".jpg")


@pytest.mark.parametrize(
    "uri",
    [
        data_uri(SVG, "image/svg+xml"),
        "data:image/svg+xml;utf8,<svg onload=alert(1)></svg>",
    ],
)
def test_svg_is_dropped_with_a_problem(uri: str) -> None:
    html, media, problems = extract_inline_images(f"<p>a<img src='{uri}'>b</p>")
    assert media == []
    assert html == "<p>ab</p>"
    assert len(problems) == 1 and "SVG" in problems[0]


def test_svg_disguised_as_png_is_dropped() -> None:
    html, media, problems = extract_inline_images(f'<img src="{data_uri(SVG, "image/png")}">')
    assert media == [] and "<img" not in html
    assert "not a PNG, JPEG, GIF or WebP" in problems[0]


def test_broken_base64_drops_the_image_with_a_problem() -> None:
    html, media, problems = extract_inline_images(
        '<p>x<img src="data:image/png;base64,iVBOR!!not*base64"></p>'
    )
    assert html == "<p>x</p>" and media == []
    assert len(problems) == 1 and "base64" in problems[0]


def test_non_base64_raster_uri_is_a_problem() -> None:
    html, media, problems = extract_inline_images('<img src="data:image/png,%89PNG">')
    assert "<img" not in html and media == [] and problems


def test_other_data_uris_are_dropped() -> None:
    html, media, problems = extract_inline_images('<img src="data:text/html;base64,PHNjcmlwdD4=">')
    assert "<img" not in html and media == []
    assert "text/html" in problems[0]


def test_wrapped_and_unpadded_base64_is_accepted() -> None:
    encoded = data_uri(GIF, "image/gif").split(",", 1)[1].rstrip("=")
    wrapped = "\n".join(encoded[i : i + 8] for i in range(0, len(encoded), 8))
    _, media, problems = extract_inline_images(f'<img src="data:image/gif;base64,{wrapped}">')
    assert problems == [] and media[0].data == GIF


def test_size_limit() -> None:
    html, media, problems = extract_inline_images(f'<img src="{data_uri(PNG, "image/png")}">', max_bytes=8)
    assert media == [] and "<img" not in html and "limit" in problems[0]


def test_field_without_data_uri_is_returned_untouched() -> None:
    field = '<p>What is <b>x</b>? <img src="already.png"></p>'
    html, media, problems = extract_inline_images(field)
    assert html is field and media == [] and problems == []


def test_text_mentioning_data_is_not_changed() -> None:
    field = "<p>metadata: none</p>"
    assert extract_inline_images(field) == (field, [], [])


@pytest.mark.parametrize(
    ("data", "ext"),
    [
        (PNG, "png"),
        (JPEG, "jpg"),
        (GIF, "gif"),
        (WEBP, "webp"),
        (SVG, None),
        (b"", None),
        (b"RIFF1234WAVE", None),
    ],
)
def test_sniffing(data: bytes, ext: Optional[str]) -> None:
    assert sniff_image_type(data) == ext


def test_image_file_hashes_content() -> None:
    file = image_file("1fgJWGXVQGMekJe2zxRc.png", PNG)
    assert file == MediaFile(media_name(PNG, "png"), PNG)
    assert image_file("resized-new-id.png", PNG) == file  # same bytes, same media file
    assert image_file("evil.png", SVG) is None


def test_field_html_keeps_inline_images_as_media() -> None:
    text = Text("HTML", f'<p onclick="x">A<img src="{data_uri(WEBP, "image/webp")}" onerror="y"></p>')
    html, media, problems = field_html(text)
    assert html == f'<p>A<img src="{media[0].name}"></p>'
    assert problems == []


def test_field_html_markdown_image() -> None:
    html, media, _ = field_html(Text("MARKDOWN", f"![chart]({data_uri(PNG, 'image/png')})"))
    assert html == f'<p><img alt="chart" src="{media[0].name}"></p>'


def test_field_html_text_is_never_parsed() -> None:
    uri = data_uri(PNG, "image/png")
    html, media, _ = field_html(Text("TEXT", f'<img src="{uri}">'))
    assert media == [] and html.startswith("&lt;img")


@pytest.mark.parametrize("kind, value", [
    ("HTML", '<p>What is this? <img style="width: 50%" src="https://upload.example.org/a.png"></p>'),
    ("HTML", "<P>What is this? <IMG SRC='//upload.example.org/a.png'></P>"),
    ("MARKDOWN", "What is this? ![a](https://upload.example.org/a.png)"),
])
def test_an_image_on_the_web_is_left_out_and_said_so(kind: str, value: str) -> None:
    """Pasted from a web page into Polar's editor: only images stored with
    the note are kept, so it goes, but never silently."""
    html, media, problems = field_html(Text(kind, value))
    assert "<img" not in html.lower() and "What is this?" in html and media == []
    assert problems == ["an image on the web was left out (only images stored in Polar are copied): "
                        + ("//" if value.count("https") == 0 else "https://") + "upload.example.org/a.png"]
    # A link to the same address stays, and is no problem.
    assert field_html(Text("HTML", '<a href="https://upload.example.org/a.png">a</a>'))[2] == []
