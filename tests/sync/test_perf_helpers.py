"""Helpers that exist only to be fast must give the slow answer exactly."""

import json

from hypothesis import given
from hypothesis import strategies as st

from addon.sync.state import _json_list


@given(st.lists(st.text() | st.text(alphabet="0123456789abcdef", min_size=16, max_size=16), max_size=6))
def test_json_list_is_json_dumps(items):
    assert _json_list(tuple(items)) == json.dumps(items)


def _whole(value, cls):
    """Built from every field (the hot paths' partial(tuple.__new__, cls)):
    the class's own instance, as long as its fields, equal to the one its
    constructor makes."""
    return type(value) is cls and len(value) == len(cls._fields) and value == cls(*value)


def test_the_per_card_tuples_built_in_c_are_whole(tmp_path, col):
    """Parse, read, render and the write's rows make their NamedTuples from
    every field in order, without the class's constructor (and its
    defaults): each must come out as the constructor would make it."""
    from addon.polar.docmeta import Flashcard, Highlight, Text
    from addon.render.card import RenderedCard
    from addon.render.context import Context
    from addon.settings import Settings
    from addon.sync.engine import prepare
    from addon.sync.notetypes import Want, choose, wanted_fields
    from addon.sync.read import CardMeta, Pending
    from addon.sync.state import CardState
    from addon.sync.write import NewNote, _make_note, _row
    from tests.polar_factory import Doc, basic, cloze

    root = tmp_path / "polar"
    doc = Doc(root, "fp1", title="Whole").text_highlight("h1", "Some highlighted text", page=2, top=10.0)
    doc.area_highlight("a1", "img.png", page=3).comment("m1", "<p>a comment</p>", "text-highlight:h1", page=2)
    doc.card("c1", basic("<p>Front <b>x</b></p>", "Back"), ref="text-highlight:h1", page=2, tags=["t1"])
    doc.card("c2", cloze("{{c1::one}} two"), "CLOZE", ref="area-highlight:a1", page=3)
    doc.card("c3", {"front": {"TEXT": "plain"}, "back": {"MARKDOWN": "*md*"}})
    doc.write()
    settings, _ = Settings.from_dict({})
    p = prepare(settings, None, source_path=root)
    (loaded,) = p.docs.values()
    assert len(loaded.pending) == 3 and all(_whole(pc, Pending) for pc in loaded.pending)
    assert all(_whole(m, CardMeta) for m in loaded.card_meta.values())
    parsed = loaded.pending[0].doc
    assert all(_whole(c, Flashcard) for c in parsed.flashcards)
    assert all(_whole(t, Text) for c in parsed.flashcards for t in c.fields.values())
    assert len(parsed.highlights) == 2 and all(_whole(h, Highlight) for h in parsed.highlights.values())
    assert _whole(parsed.highlights["h1"].text, Text)
    for pc in loaded.pending:
        rc = p.render(pc)
        assert rc is not None and _whole(rc, RenderedCard) and _whole(rc.context, Context)
        nt = choose(col, rc.kind, True)
        assert nt is not None
        wants = [w for w in wanted_fields(nt, rc) if w is not None]
        assert wants and all(_whole(w, Want) for w in wants)
    row = _row("c1", "fp1", "polar:c1", loaded.card_meta["c1"], ["h1", "h2+h3"], ["t1"])
    assert _whole(row, CardState) and row.fields == ("h1", "h2+h3") and not row.orphaned
    assert _whole(_make_note((["a", "b"], ["t"], "polar:c1", 1, 2, b"entry")), NewNote)
