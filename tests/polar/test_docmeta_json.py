"""``docmeta.load_json``: the bytes of a ``state.json`` as Polar wrote them.

JavaScript strings can hold half of a character outside the BMP (a text
cut in the middle of "𝑥" or an emoji), and JSON.stringify (well-formed, as
every Electron Polar 1.x ran) writes it as an escape such as ``"\\ud835"``.
orjson refuses those; the whole document and its cards were reported as
damaged. They are read, each half character shown as "�" as Polar showed it;
what is not JSON is still refused in one sentence."""

from __future__ import annotations

import json

import pytest

from addon.polar.docmeta import DocMetaError, load_json
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run


def test_half_characters_are_read_as_replacement_characters_and_pairs_kept():
    data = (b'{"docInfo": {"title": "x \\ud835 y"}, "k\\udc65": ["\\udc65", "\\ud835\\udc65", "\\\\ud835", 1, null],'
            b' "nested": [{"a": "\\ud83d"}]}')
    assert load_json(data) == {"docInfo": {"title": "x \ufffd y"},
                               "k\ufffd": ["\ufffd", "\U0001d465", "\\ud835", 1, None],
                               "nested": [{"a": "\ufffd"}]}


def test_what_is_not_json_is_still_refused_with_the_parsers_words():
    for data in (b'{"title": "\\ud835', b'{"title": "\\ud835" "x"}', b'{"t": "\\ud835", \xff}'):
        with pytest.raises(DocMetaError, match="not valid JSON"):
            load_json(data)


def test_a_document_with_half_a_character_syncs_its_cards(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1HalfCharDoc01", "Math with \ud835 half a letter", pages=2)
    doc.text_highlight("1HalfCharH1", "let \ud835 be a variable")
    doc.card("1HalfCharC1", basic("What is \ud835?", "half of 𝑥"), ref="text-highlight:1HalfCharH1")
    doc.card("1HalfCharC2", basic("plain", "card"))
    doc.path.parent.mkdir(parents=True, exist_ok=True)
    doc.path.write_text(json.dumps(doc.meta), encoding="ascii")  # the escapes, as JSON.stringify writes them
    assert b"\\ud835" in doc.path.read_bytes()
    report = run(col, lib, state)
    assert report.errors == [] and report.created == 2
    note = note_of(col, "1HalfCharC1")
    assert note["Front"] == "What is \ufffd?" and "half of 𝑥" in note["Back"]
    assert not run(col, lib, state).changed
