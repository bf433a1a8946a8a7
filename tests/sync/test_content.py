"""Content and context as they land in a real collection: sanitised HTML,
escaped TEXT, rendered MARKDOWN, cloze/reverse card counts, media, refused
paths, tags, and the source on every answer."""

from __future__ import annotations

import base64
import os
import re

from addon.sync.identity import guid_for
from addon.sync.notetypes import MARKER
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def note_of(col, card_id):
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        if note.guid == guid_for(card_id):
            return note
    raise AssertionError(card_id)


def test_every_sample_answer_names_title_and_page(col, library, state_path):
    run(col, library, state_path)
    titles = {
        "1FcA1b2C3d": ("An Introduction to Spaced Repetition", 1),
        "1FcE4f5G6h": ("An Introduction to Spaced Repetition", 2),
        "1FcJ7k8L9m": ("An Introduction to Spaced Repetition", 3),  # orphan card
        "1FcN1p2Q3r": ("Operating Systems: Three Easy Pieces", 4),
        "1FcS4t5U6v": ("Operating Systems: Three Easy Pieces", 4),
        "1FcW7x8Y9z": ("How HTTPS works", 0),  # a web capture: no page
    }
    for card_id, (title, page) in titles.items():
        for card in note_of(col, card_id).cards():
            answer = card.answer()
            assert title in answer, (card_id, answer[-400:])
            assert (f"p.&nbsp;{page}" in answer) if page else ("p." not in answer), (card_id, answer[-400:])
    # highlight text (whitespace normalised), comment, web capture URL
    answer = note_of(col, "1FcA1b2C3d").cards()[0].answer()
    assert "Spaced repetition schedules each review just before the memory would fade." in answer
    assert "<i>daily</i> reviews beat cramming" in answer
    assert 'href="https://howhttps.works/"' in note_of(col, "1FcW7x8Y9z").cards()[0].answer()
    # revisedText wins over text
    assert "Hermann Ebbinghaus described" in note_of(col, "1FcE4f5G6h").cards()[0].answer()


def test_area_highlight_png_lands_in_media_and_answer(col, library, state_path):
    run(col, library, state_path)
    png = (library / "files" / "image" / "1AreaImg7Q2wE9rT5yU3.png").read_bytes()
    stored = {name: (open(os.path.join(col.media.dir(), name), "rb").read())
              for name in os.listdir(col.media.dir())}
    names = [n for n, data in stored.items() if data == png]
    assert len(names) == 1
    answer = note_of(col, "1FcN1p2Q3r").cards()[0].answer()
    assert f'<img src="{names[0]}"' in answer
    # the inline data: image of another card became a media file too
    back = note_of(col, "1FcS4t5U6v")["Back"]
    assert "data:" not in back
    inline = re.search(r'<img src="([^"]+)"', back).group(1)
    assert inline in stored


def test_rich_text_kinds_and_sanitising(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000a", "Rich")
    doc.card("1Xss000001", basic(
        '<p onclick="x()">Q<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        '<a href="javascript:alert(3)">link</a> <a href="https://ok.example/">ok</a> <b>b</b>'
        '<table><tr><td>t</td></tr></table> <sub>2</sub> \\(x^2\\)'))
    doc.card("1Text00001", basic("a < b & c", "line one\nline two", kind="TEXT"))
    doc.card("1Md0000001", basic("**bold** and *it*", "- one\n- two", kind="MARKDOWN"))
    doc.card("1Cloze0001", cloze("{{c1::Paris::city}} is in {{c2::France}}"), "CLOZE")
    doc.card("1Rev000001", basic("front", "back"), "BASIC_FRONT_BACK_AND_REVERSE")
    doc.card("1Opt000001", basic("opt front", "opt back"), "BASIC_FRONT_BACK_OR_REVERSE")
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 6 and report.errors == []

    xss = note_of(col, "1Xss000001")
    for value in xss.fields:
        low = value.lower()
        assert "<script" not in low and "onerror" not in low and "onclick" not in low
        assert "javascript:" not in low
    assert 'href="https://ok.example/"' in xss["Back"]
    assert "<b>b</b>" in xss["Back"] and "<td>t</td>" in xss["Back"] and "<sub>2</sub>" in xss["Back"]
    assert "\\(x^2\\)" in xss["Back"]

    text = note_of(col, "1Text00001")
    assert text["Front"] == "a &lt; b &amp; c"
    assert "a &lt; b &amp; c" in text.cards()[0].question()  # shown literally, not as markup
    assert "line one<br>line two" in text["Back"]

    md = note_of(col, "1Md0000001")
    assert "<strong>bold</strong>" in md["Front"] and "<li>one</li>" in md["Back"]

    assert len(note_of(col, "1Cloze0001").cards()) == 2
    assert "[city]" in note_of(col, "1Cloze0001").cards()[0].question()
    assert len(note_of(col, "1Rev000001").cards()) == 2
    opt = note_of(col, "1Opt000001")
    assert opt.note_type()["name"] == "Polar Basic (optional reversed card)"
    assert len(opt.cards()) == 1  # the reverse is the user's to switch on
    opt["Add Reverse"] = "y"
    col.update_note(opt)
    assert len(col.get_note(opt.id).cards()) == 2


def test_image_paths_outside_the_library_are_refused(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG_1PX)
    doc = Doc(lib, "1Doc0000000000000000000a", "Paths")
    for i, name in enumerate(["../../secret.png", str(secret), "link.png"]):
        hid = f"1Area0000{i}"
        doc.page(1)["areaHighlights"][hid] = {
            "id": hid, "image": {"id": hid, "type": "image/png", "src": {"backend": "image", "name": name}},
        }
        doc.card(f"1Card0000{i}", basic(f"q{i}", f"a{i}"), ref=f"area-highlight:{hid}")
    (lib / "files" / "image").mkdir(parents=True)
    os.symlink(secret, lib / "files" / "image" / "link.png")
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 3  # the cards still sync, without the image
    problems = " ".join(w["message"] for w in report.warnings + report.errors)
    assert "../../secret.png" in problems and "link.png" in problems
    assert os.listdir(col.media.dir()) == []


def test_oversized_image_skipped_and_reported(col, library, state_path):
    report = run(col, library, state_path, max_image_bytes=100)
    messages = " ".join(w["message"] for w in report.warnings + report.errors)
    assert "1AreaImg7Q2wE9rT5yU3.png" in messages
    assert report.created == 6


def test_tags(col, library, state_path):
    run(col, library, state_path, folder_tag_prefix="folders")
    tags = set(note_of(col, "1FcA1b2C3d").tags)
    assert tags == {"polar", "folders::science::psychology", "type:article"}
    assert not [t for t in col.tags.all() if t.startswith("deck:") or t.startswith("polar_guid")]


def test_context_can_be_turned_off_and_block_never_grows(col, library, state_path):
    run(col, library, state_path)
    back = note_of(col, "1FcA1b2C3d")["Back"]
    assert back.count('class="polar-context"') == 1
    doc = library / "1SpacedRepetitionIntro0a" / "state.json"
    doc.write_text(doc.read_text().replace("Just <b>before</b>", "Right <b>before</b>"))
    run(col, library, state_path)
    back = note_of(col, "1FcA1b2C3d")["Back"]
    assert back.count('class="polar-context"') == 1 and "Right <b>before</b>" in back
    run(col, library, state_path, context=False)
    assert "polar-context" not in note_of(col, "1FcA1b2C3d")["Back"]


def test_own_note_types_keep_context_in_fields(col, library, state_path):
    run(col, library, state_path, use_stock_note_types=False)
    note = note_of(col, "1FcN1p2Q3r")
    assert note.note_type()[MARKER] == "cloze"
    assert "Operating Systems" in note["Source"] and "<img" in note["Image"]
    assert "polar-context" not in note["Back Extra"]
    assert "Operating Systems" in note.cards()[0].answer()


def test_a_revised_highlight_stays_the_context_of_its_cards(col, tmp_path, state_path):
    """Revising a highlight's text in Polar gives it a new id (the guid kept):
    the cards and comments made before point at the guid, those made after
    at the new id. Every one shows the revised text and every comment, as
    Polar's sidebar does."""
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000r", "Revised")
    doc.text_highlight("1HlOld0001", "as first highlighted", top=300.0)
    doc.comment("1CmBefore1", "<p>comment made before</p>", "text-highlight:1HlOld0001")
    doc.card("1CardOld01", basic("made before", "a"), ref="text-highlight:1HlOld0001")
    doc.revise_highlight("1HlOld0001", "1HlNew0001", "<p>as <b>revised</b></p>")
    doc.comment("1CmAfter01", "<p>comment made after</p>", "text-highlight:1HlNew0001")
    doc.card("1CardNew01", basic("made after", "a"), ref="text-highlight:1HlNew0001")
    doc.comment("1CmOnCmt01", "<p>the comment a card is on</p>", "text-highlight:1HlNew0001")
    doc.card("1CardCmt01", basic("made on a comment", "a"), ref="comment:1CmOnCmt01")
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 3 and report.errors == []
    for card_id in ("1CardOld01", "1CardNew01", "1CardCmt01"):
        answer = note_of(col, card_id).cards()[0].answer()
        assert "as <b>revised</b>" in answer and "as first highlighted" not in answer, card_id
        for comment in ("comment made before", "comment made after", "the comment a card is on"):
            assert comment in answer, (card_id, comment)


def test_polars_mock_flashcards_land_as_front_back_cards(col, tmp_path, state_path):
    """The card ``MockFlashcards.attachFlashcards`` puts on every page: type
    CLOZE, front/back archetype, ``Front`` (HTML, an inline GIF) and ``Back``
    (TEXT). Not refused as a cloze without a deletion: a Basic note."""
    gif = ("R0lGODlhEAAQAMQAAORHHOVSKudfOulrSOp3WOyDZu6QdvCchPGolfO0o/XBs/fNwfjZ0frl3/zy7////wAAAAAAAAAAAAAAAAAAAAAA"
           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACH5BAkAABAALAAAAAAQABAAAAVVICSOZGlCQAosJ6mu7fiyZeKqNKToQGDs"
           "M8hBADgUXoGAiqhSvp5QAnQKGIgUhwFUYLCVDFCrKUE1lBavAViFIDlTImbKC5Gm2hB0SlBCBMQiB0UjIQA7")
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000m", "Mock")
    doc.card("1Mock00001", {"Front": {"HTML": f'What is the capital of California? <img src="data:image/gif;base64,'
                                              f'{gif}" />\n0'},
                            "Back": {"TEXT": "Sacramento"}}, "CLOZE")
    doc.page(1)["flashcards"]["1Mock00001"]["archetype"] = "9d146db1-7c31-4bcf-866b-7b485c4e50ea"
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 1 and report.errors == []
    note = note_of(col, "1Mock00001")
    assert note.note_type()["name"] == "Basic"
    assert note["Front"].startswith("What is the capital of California? <img src=\"polar-")
    assert note["Back"].startswith("Sacramento")
    name = re.search(r'<img src="([^"]+)"', note["Front"]).group(1)
    assert os.path.exists(os.path.join(col.media.dir(), name))


def test_a_web_page_polar_2_captured_as_an_epub_shows_no_page(col, tmp_path, state_path):
    """Polar 2's web extension saves a page as a one-section EPUB with
    ``webCapture: true``, its address in ``url`` (polar-app
    ``polar-web-extension/src/services/SaveToPolarHandler.ts``,
    ``saveToPolarAsEPUB``): "p. 1" means nothing there, as for a .phz."""
    doc = Doc(tmp_path / "polar", "1WebCapEpub0000000000001", "How HTTPS works", pages=1)
    doc.meta["docInfo"].update(filename="1RandomId0.epub", url="https://howhttps.works/", webCapture=True)
    doc.text_highlight("1HlWeb0001", "HTTPS keeps a conversation private.")
    doc.card("1CardWeb01", basic("What does HTTPS keep?", "Privacy"), ref="text-highlight:1HlWeb0001")
    book = Doc(tmp_path / "polar", "1EpubBook00000000000001", "A book", pages=3)
    book.meta["docInfo"]["filename"] = "1RandomId1.epub"
    book.card("1CardBook1", basic("q", "a"), page=2)
    doc.write()
    book.write()
    run(col, doc.root, state_path)
    back = note_of(col, "1CardWeb01")["Back"]
    assert "p.&nbsp;" not in back and ">howhttps.works</a>" in back
    assert "HTTPS keeps a conversation private." in back
    book_back = note_of(col, "1CardBook1")["Back"]
    assert "§&nbsp;2" in book_back and "p.&nbsp;" not in book_back  # an EPUB book keeps its place: a section


def test_cards_written_in_polar_2s_editor_keep_captions_and_embedded_videos(col, tmp_path, state_path):
    """Polar 2.x's editor (CKEditor 5) wraps images, tables and embedded
    media in ``<figure>``s: in the collection the caption is a line of its
    own under its image (it ran on beside it) and the embedded video a link
    on the question (it was dropped: "Watch this talk:" and nothing)."""
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000f", "Figures")
    png = base64.b64encode(PNG_1PX).decode()
    doc.card("1Figure001", basic(
        f'<p>Which layout?</p><figure class="image"><img src="data:image/png;base64,{png}">'
        "<figcaption>Figure 3: the tablet layout</figcaption></figure>", "<p>the grid</p>"))
    doc.card("1Media0001", basic(
        '<p>Watch this talk:</p><figure class="media"><oembed url="https://www.youtube.com/watch?v=dQw4w9WgXcQ">'
        "</oembed></figure>", "<p>Rick Astley</p>"))
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 2 and report.errors == []

    figure = note_of(col, "1Figure001")
    assert re.fullmatch(r'<p>Which layout\?</p><figure style="margin:1em 0"><img src="polar-[0-9a-f]+\.png">'
                        r"<figcaption>Figure 3: the tablet layout</figcaption></figure>", figure["Front"]), \
        figure["Front"]
    question = figure.cards()[0].question()
    assert "<figcaption>Figure 3: the tablet layout</figcaption>" in question

    media = note_of(col, "1Media0001")
    link = '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">https://www.youtube.com/watch?v=dQw4w9WgXcQ</a>'
    assert media["Front"] == f'<p>Watch this talk:</p><figure style="margin:1em 0">{link}</figure>'
    assert link in media.cards()[0].question()
    assert run(col, lib, state_path).updated == 0
