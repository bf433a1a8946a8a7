"""merge_field: the user's part three-way merged, the add-on's part regenerated."""

from __future__ import annotations

import pytest

from addon.render.context import Context, context_block
from addon.render.style import IMG_STYLE, PRE_STYLE, TABLE_STYLE
from addon.sync.field_merge import bytes_hash, earlier_pre_hashes, field_hash, merge_field, remember_hash
from addon.sync.notetypes import Want

OLD_BLOCK = context_block(Context("Title · p. 1", "old highlight", "", ""))
NEW_BLOCK = context_block(Context("Title · p. 1", "new highlight", "", ""))
# The block as the previous render version wrote it (no styles).
V2_BLOCK = '<div class="polar-context"><hr><div class="polar-source">Title · p. 1</div></div>'
PRE = f'<pre style="{PRE_STYLE}">'


@pytest.mark.parametrize("polar_wins", [True, False])
def test_context_change_alone_keeps_the_users_answer(polar_wins: bool) -> None:
    merged = merge_field(Want("answer", NEW_BLOCK), "my answer" + OLD_BLOCK, field_hash("answer"), polar_wins)
    assert merged.value == "my answer" + NEW_BLOCK
    assert not merged.conflict and merged.remember == f"{field_hash('answer')}+{field_hash(NEW_BLOCK)}"


def test_polar_change_to_the_answer_is_taken_when_anki_did_not_edit() -> None:
    merged = merge_field(Want("new answer", NEW_BLOCK), "answer" + OLD_BLOCK, field_hash("answer"), True)
    assert merged.value == "new answer" + NEW_BLOCK and not merged.conflict


@pytest.mark.parametrize(("polar_wins", "kept"), [(True, "new answer"), (False, "my answer")])
def test_both_changed_the_answer_is_a_conflict(polar_wins: bool, kept: str) -> None:
    merged = merge_field(Want("new answer", NEW_BLOCK), "my answer" + OLD_BLOCK, field_hash("answer"), polar_wins)
    assert merged.conflict and merged.polar_took == polar_wins
    assert merged.value == kept + NEW_BLOCK


def test_unchanged_field_is_left_alone() -> None:
    merged = merge_field(Want("answer", NEW_BLOCK), "answer" + NEW_BLOCK, field_hash("answer"), True)
    assert merged.value is None and not merged.conflict


def test_hashes_from_before_the_upgrade_cover_text_and_block() -> None:
    old = field_hash("answer" + V2_BLOCK)
    # The user edited the answer; Polar did not: the edit stays, no conflict.
    merged = merge_field(Want("answer", NEW_BLOCK), "my answer" + V2_BLOCK, old, True)
    assert merged.value == "my answer" + NEW_BLOCK and not merged.conflict
    # Nothing edited: the new block replaces the old one.
    merged = merge_field(Want("answer", NEW_BLOCK), "answer" + V2_BLOCK, old, True)
    assert merged.value == "answer" + NEW_BLOCK and not merged.conflict
    # Polar changed the answer, Anki did not: Polar's is taken.
    merged = merge_field(Want("new answer", NEW_BLOCK), "answer" + V2_BLOCK, old, False)
    assert merged.value == "new answer" + NEW_BLOCK and not merged.conflict


def test_a_field_shown_on_a_question_loses_its_block() -> None:
    merged = merge_field(Want("answer", ""), "my answer" + V2_BLOCK, field_hash("answer" + V2_BLOCK), True)
    assert merged.value == "my answer" and not merged.conflict


def test_owned_fields_follow_polar_keep_an_anki_edit_and_say_when_both_changed() -> None:
    was = field_hash("old")
    # Untouched in Anki (or no hash, no record): Polar's, quietly.
    merged = merge_field(Want("new highlight", owned=True), "old", was, True)
    assert merged.value == "new highlight" and not merged.conflict
    for old, recorded in (("", True), (was, False)):
        merged = merge_field(Want("new highlight", owned=True), "edited in Anki", old, True, recorded)
        assert merged.value == "new highlight" and not merged.conflict
    # Edited in Anki, unchanged in Polar: the edit stays.
    merged = merge_field(Want("old", owned=True), "edited in Anki", was, True)
    assert merged.value is None and not merged.conflict and merged.remember == was
    # Both: the policy decides, and it is a conflict.
    merged = merge_field(Want("new highlight", owned=True), "edited in Anki", was, True)
    assert merged.value == "new highlight" and merged.conflict and merged.polar_took
    merged = merge_field(Want("new highlight", owned=True), "edited in Anki", was, False)
    assert merged.value is None and merged.conflict and not merged.polar_took


def test_plain_fields_merge_as_before() -> None:
    assert merge_field(Want("q"), "q", field_hash("q"), True).value is None
    assert merge_field(Want("q"), "mine", field_hash("q"), True).value is None  # Anki edit stays
    assert merge_field(Want("q2"), "q", field_hash("q"), True).value == "q2"  # Polar edit taken
    both = merge_field(Want("q2"), "mine", field_hash("q"), False)
    assert both.conflict and both.value is None
    assert merge_field(Want("q"), "anything", "", False).value == "q"  # nothing remembered


def written(text: str, block: str) -> str:
    from addon.sync.field_merge import remember_hash

    return remember_hash(text, block)


def test_text_typed_inside_the_block_is_moved_before_it() -> None:
    # An editor's caret at the end of the field lands inside the block.
    typed = OLD_BLOCK.replace("old highlight", "old highlight and my note", 1)
    merged = merge_field(Want("answer", OLD_BLOCK), "answer" + typed, written("answer", OLD_BLOCK), True)
    assert merged.value == "answer and my note" + OLD_BLOCK and not merged.conflict
    # Markup typed there comes out balanced.
    typed = OLD_BLOCK[: -len("</div>")] + "<b>bold</div>"
    merged = merge_field(Want("answer", OLD_BLOCK), "answer" + typed, written("answer", OLD_BLOCK), True)
    assert merged.value == "answer<b>bold</b>" + OLD_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_text_typed_inside_a_block_whose_context_changed_is_kept_before_it(polar_wins: bool) -> None:
    # The block written then is the note's without " and my note" (its hash
    # says so): that run is the user's, the rest of the difference Polar's.
    typed = OLD_BLOCK.replace("old highlight", "old highlight and my note", 1)
    merged = merge_field(Want("answer", NEW_BLOCK), "answer" + typed, written("answer", OLD_BLOCK), polar_wins)
    assert not merged.conflict and merged.value == "answer and my note" + NEW_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_a_block_edited_in_anki_whose_context_changed_is_a_conflict(polar_wins: bool) -> None:
    # The user replaced words of the block: no run of it taken out gives the
    # block written then, so whose it is cannot be told.
    typed = OLD_BLOCK.replace("old highlight", "my own words", 1)
    current = "answer" + typed
    merged = merge_field(Want("answer", NEW_BLOCK), current, written("answer", OLD_BLOCK), polar_wins)
    assert merged.conflict and merged.in_block and merged.polar_took == polar_wins
    assert merged.value == ("answer" + NEW_BLOCK if polar_wins else None)
    if not polar_wins:  # kept as the user left it, and not asked again
        again = merge_field(Want("answer", NEW_BLOCK), current, merged.remember, polar_wins)
        assert not again.conflict and again.value == "answer" + NEW_BLOCK


@pytest.mark.parametrize("text", ["", "plain", "<p>Front <b>x</b></p>", "é中🙂 · p. 3", "x" * 5000])
def test_a_hash_of_the_encoded_text_is_the_texts_hash(text: str) -> None:
    """A new note's hashes are taken of the bytes its request carries
    (write._new_note): the same value the merge computes from the text."""
    assert bytes_hash(text.encode()) == field_hash(text)


@pytest.mark.parametrize("old_pre", ['<pre style="overflow-x:auto">', "<pre>"])  # render version 6, 5
@pytest.mark.parametrize("polar_wins", [True, False])
def test_a_code_blocks_new_style_alone_keeps_the_users_edit(old_pre: str, polar_wins: bool) -> None:
    """Render version 7 writes a <pre>'s lines from its start edge; the last
    sync remembered the field as version 6 (or 5) wrote it. Polar did not
    change it: the user's Anki edit stays, no conflict."""
    ours = f'{PRE}x = 1</pre><p>see</p>'
    remembered = field_hash(ours.replace(PRE, old_pre))
    merged = merge_field(Want(ours, NEW_BLOCK), "my own answer" + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == "my own answer" + NEW_BLOCK and not merged.conflict
    # Not edited in Anki: it takes the new style.
    merged = merge_field(Want(ours, NEW_BLOCK), ours.replace(PRE, old_pre) + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == ours + NEW_BLOCK and not merged.conflict


def test_the_earlier_renderings_of_a_code_block() -> None:
    text = f'<p>a</p>{PRE}x</pre><pre style="{PRE_STYLE};color:#ff0000">y</pre>'
    assert earlier_pre_hashes(text) == (
        field_hash('<p>a</p><pre style="overflow-x:auto">x</pre><pre style="overflow-x:auto;color:#ff0000">y</pre>'),
        field_hash('<p>a</p><pre>x</pre><pre style="color:#ff0000">y</pre>'),
    )
    assert earlier_pre_hashes("<p>no code</p>") == ()
    # Typed in Anki, not the sanitiser's: not an earlier rendering of ours.
    assert earlier_pre_hashes('<pre style="color:red">x</pre>') == ()


@pytest.mark.parametrize("polar_wins", [True, False])
def test_a_table_or_figure_written_anew_alone_keeps_the_users_edit(polar_wins: bool) -> None:
    """Render version 8 gives a <table> its own scrolling, an image with a
    width and a height its shape, keeps CKEditor 5's figures and writes an
    embedded video as a link; version 7 did none of it (what it wrote, below, is
    what its sanitiser made of Polar 2.x's field). Polar did not change the
    text: the user's Anki edit stays, no conflict; not edited, the field
    takes the new rendering."""
    fig = '<figure style="margin:1em 0">'
    ours = (f'<p>Which layout?</p>{fig}<img src="a.png"><figcaption>Figure 3</figcaption></figure>'
            f'{fig}<a href="https://youtu.be/x?a=1&amp;b=2">https://youtu.be/x?a=1&amp;b=2</a></figure>'
            f'{fig}<table style="{TABLE_STYLE}"><tr><td>a</td></tr></table></figure>'
            f'<table style="{TABLE_STYLE};color:#ff0000"><tr><td>b</td></tr></table>'
            f'<img height="400" src="b.png" style="{IMG_STYLE}" width="800">')
    version_7 = ('<p>Which layout?</p><img src="a.png">Figure 3<table><tr><td>a</td></tr></table>'
                 '<table style="color:#ff0000"><tr><td>b</td></tr></table><img height="400" src="b.png" width="800">')
    remembered = field_hash(version_7)
    merged = merge_field(Want(ours, NEW_BLOCK), "my own answer" + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == "my own answer" + NEW_BLOCK and not merged.conflict
    merged = merge_field(Want(ours, NEW_BLOCK), version_7 + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == ours + NEW_BLOCK and not merged.conflict
    # Without a record of the note (made on another computer): an earlier rendering of Polar's text, not the user's.
    merged = merge_field(Want(ours, NEW_BLOCK), version_7 + OLD_BLOCK, "", polar_wins, recorded=False)
    assert merged.value == ours + NEW_BLOCK and not merged.unrecorded


# Upgrades: fields as older versions wrote them, copied from collections their
# CLI synced (tools/polar_sync.py at 7568bc2, render version 5, and at 0b8e228,
# render version 3), with the hashes their state remembered, then edited in
# Anki. THIS_BLOCK is the same context as this version writes it.
THIS_BLOCK = (
    '<div class="polar-context" style="margin-top:1.2em;font-size:0.8em;line-height:1.35;text-align:start;'
    'overflow-wrap:break-word;word-break:break-word"><hr class="polar-rule" style="border:0;border-top:1px solid;'
    'opacity:0.25;margin:0 0 0.6em"><div class="polar-source" style="opacity:0.7;font-style:italic">'
    '<span class="polar-title">History: matrix empire steam</span>&nbsp;· p.&nbsp;2</div></div>'
)
V5_TEXT = "<p>What is <i>prior</i>&nbsp;in \\(x_{15} = \\frac{a}{b}\\)?</p>"
V5_BLOCK = (
    '<div class="polar-context" style="margin-top:1.2em;font-size:0.8em;line-height:1.35;text-align:left;'
    'overflow-wrap:break-word;word-break:break-word"><hr class="polar-rule" style="border:0;border-top:1px solid '
    'currentColor;opacity:0.25;margin:0 0 0.6em"><div class="polar-source" style="opacity:0.7;font-style:italic">'
    '<span class="polar-title">History: matrix empire steam</span> · p. 2</div></div>'
)
V5_REMEMBERED = "539709bb07b317f8+214a61a69ca7a154"
V3_BLOCK = ('<div class="polar-context"><hr><div class="polar-source"><span class="polar-title">'
            'History: matrix empire steam</span> · p. 2</div></div>')


def typed_in(block: str, typed: str) -> str:
    """As Anki's editor leaves it: the caret at the end of the field is inside the block."""
    return block[: -len("</div>")] + typed + "</div>"


@pytest.mark.parametrize("polar_wins", [True, False])
def test_a_colours_mix_for_older_ankis_alone_keeps_the_users_edit(polar_wins: bool) -> None:
    """Render version 11 writes a color-mix() before a colour's light-dark()
    (Anki 23.10 to 25.x know no light-dark()); version 10 did not. Polar did
    not change the text: the user's Anki edit stays, no conflict; not edited,
    the field takes the new rendering."""
    ours = ('<p><span style="color:#00008b;color:color-mix(in srgb,#00008b 44%,CanvasText);'
            'color:light-dark(#00008b,#8585ff)">navy</span> and <span style="background-color:#ffff00;'
            'background-color:color-mix(in srgb,#ffff00 36%,transparent);'
            'background-color:light-dark(#ffff00,#797900)">marked</span></p>')
    version_10 = ('<p><span style="color:#00008b;color:light-dark(#00008b,#8585ff)">navy</span> and '
                  '<span style="background-color:#ffff00;background-color:light-dark(#ffff00,#797900)">'
                  'marked</span></p>')
    remembered = field_hash(version_10)
    merged = merge_field(Want(ours, NEW_BLOCK), version_10 + " my edit" + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == version_10 + " my edit" + NEW_BLOCK and not merged.conflict
    merged = merge_field(Want(ours, NEW_BLOCK), version_10 + OLD_BLOCK, remembered, polar_wins)
    assert merged.value == ours + NEW_BLOCK and not merged.conflict
    merged = merge_field(Want(ours, NEW_BLOCK), version_10 + OLD_BLOCK, "", polar_wins, recorded=False)
    assert merged.value == ours + NEW_BLOCK and not merged.unrecorded


@pytest.mark.parametrize("polar_wins", [True, False])
def test_text_typed_inside_a_block_an_upgrade_restyled_is_kept(polar_wins: bool) -> None:
    """Render version 5's block, typed into; this version writes it anew (the
    upgrade changed its style, not the context). Was: a conflict "context
    changed in Polar", the typing lost with polar_wins."""
    assert remember_hash(V5_TEXT, V5_BLOCK) == V5_REMEMBERED
    current = V5_TEXT + typed_in(V5_BLOCK, "my note")
    merged = merge_field(Want(V5_TEXT, THIS_BLOCK), current, V5_REMEMBERED, polar_wins)
    assert not merged.conflict and merged.value == V5_TEXT + "my note" + THIS_BLOCK
    # Typed at two places (the caret inside the source line, and at the end).
    current = V5_TEXT + typed_in(V5_BLOCK.replace("steam</span>", "steam!</span>"), " and more")
    merged = merge_field(Want(V5_TEXT, THIS_BLOCK), current, V5_REMEMBERED, polar_wins)
    assert not merged.conflict and merged.value == V5_TEXT + "! and more" + THIS_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_text_typed_inside_a_block_under_a_whole_field_hash_is_kept(polar_wins: bool) -> None:
    """Render version 3 remembered the whole field. The user typed inside the
    block (and edited the answer, and typed after the block). Was: the typing
    silently dropped, or a conflict that with polar_wins lost the edits too."""
    text = "<p><span>series posterior protein</span></p>"
    remembered = field_hash(text + V3_BLOCK)
    for current, mine in [
        (text + typed_in(V3_BLOCK, "INS"), text + "INS"),
        (text + " my edit" + typed_in(V3_BLOCK, "INS"), text + " my edit" + "INS"),
        (text + typed_in(V3_BLOCK, "INS") + "AFTER", text + "AFTER" + "INS"),
    ]:
        merged = merge_field(Want(text, THIS_BLOCK), current, remembered, polar_wins)
        assert not merged.conflict and merged.value == mine + THIS_BLOCK
    # Polar changed the answer too: both changed, a conflict as ever.
    merged = merge_field(Want("<p>new</p>", THIS_BLOCK), text + typed_in(V3_BLOCK, "INS"), remembered, polar_wins)
    assert merged.conflict and merged.value == ("<p>new</p>" if polar_wins else text + "INS") + THIS_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_an_edit_of_a_coloured_answer_under_a_whole_field_hash_is_kept(polar_wins: bool) -> None:
    """Render version 3 wrote the answer without its colour and remembered the
    whole field; this version keeps the colour. Was: a conflict (polar_wins:
    the user's edit replaced)."""
    v3_text = "<span>yellow bg</span> answer"
    text = ('<span style="background-color:#fbeeb8;background-color:color-mix(in srgb,#fbeeb8 37%,transparent);'
            'background-color:light-dark(#fbeeb8,#8c7208)">yellow bg</span> answer')
    remembered = field_hash(v3_text + V3_BLOCK)
    merged = merge_field(Want(text, THIS_BLOCK), v3_text + " my edit" + V3_BLOCK, remembered, polar_wins)
    assert not merged.conflict and merged.value == v3_text + " my edit" + THIS_BLOCK
    # Not edited in Anki: this version's rendering is taken.
    merged = merge_field(Want(text, THIS_BLOCK), v3_text + V3_BLOCK, remembered, polar_wins)
    assert not merged.conflict and merged.value == text + THIS_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_text_typed_inside_the_block_and_a_polar_change_of_the_answer_are_a_conflict(polar_wins: bool) -> None:
    """The user typed a note at the end of Back (inside the block), Polar
    changed the answer: both changed it. Was: Polar's answer taken as if
    only Polar had, the note silently dropped, with either policy."""
    current = "answer" + typed_in(OLD_BLOCK, "my note")
    merged = merge_field(Want("new answer", OLD_BLOCK), current, written("answer", OLD_BLOCK), polar_wins)
    assert merged.conflict and merged.polar_took == polar_wins
    assert merged.value == ("new answer" if polar_wins else "answer" + "my note") + OLD_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_a_block_typed_into_that_this_version_leaves_out_gives_the_typing_back(polar_wins: bool) -> None:
    """Versions 2 and 3 put the block in the stock reversed type's Back too
    (shown on card 2's question); this version writes that field without it.
    The user had edited the answer and typed at its end (inside the block).
    Was: a conflict; with polar_wins the answer's edit lost, the typing with
    either policy."""
    remembered = field_hash("rev back" + V3_BLOCK)
    current = "rev back my edit" + typed_in(V3_BLOCK, "my note")
    merged = merge_field(Want("rev back", ""), current, remembered, polar_wins)
    assert not merged.conflict and merged.value == "rev back my editmy note"
    # Typed at the end of the source line's text, the page number.
    current = "rev back" + V3_BLOCK.replace("p. 2</div>", "p. 2 see ch. 3</div>")
    merged = merge_field(Want("rev back", ""), current, remembered, polar_wins)
    assert not merged.conflict and merged.value == "rev back see ch. 3"


# Find and Replace over Back ("Title" → "Heading") changes the block's own words.
REPLACED = OLD_BLOCK.replace("Title", "Heading")


@pytest.mark.parametrize("polar_wins", [True, False])
def test_words_of_the_block_replaced_in_anki_are_not_typing(polar_wins: bool) -> None:
    # Polar changed the answer, not the context: the block is ours again, the
    # replaced letters are not moved into the answer, no conflict.
    merged = merge_field(Want("new answer", OLD_BLOCK), "answer" + REPLACED, written("answer", OLD_BLOCK), polar_wins)
    assert not merged.conflict and merged.value == "new answer" + OLD_BLOCK
    # Text typed too (at a word's end, and after it) is still the user's.
    typed = REPLACED.replace("old highlight", "old highlighted, see p. 9", 1)
    merged = merge_field(Want("answer", OLD_BLOCK), "answer" + typed, written("answer", OLD_BLOCK), polar_wins)
    assert not merged.conflict and merged.value == "answered, see p. 9" + OLD_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_words_of_a_block_whose_context_changed_replaced_in_anki_are_made_anew(polar_wins: bool) -> None:
    merged = merge_field(Want("answer", NEW_BLOCK), "answer" + REPLACED, written("answer", OLD_BLOCK), polar_wins)
    assert not merged.conflict and merged.value == "answer" + NEW_BLOCK
    typed = REPLACED.replace("old highlight", "old highlight and my note", 1)
    merged = merge_field(Want("answer", NEW_BLOCK), "answer" + typed, written("answer", OLD_BLOCK), polar_wins)
    assert not merged.conflict and merged.value == "answer and my note" + NEW_BLOCK


# A field as a sync wrote it: the text, then the block stamped with its hash.
def as_written(text: str, block: str) -> str:
    from addon.render.context import stamped

    return text + stamped(block, field_hash(block)) if block else text


AS_WRITTEN_CASES = [
    # (text, tail, old): the remembered hash as each version wrote it
    ("answer", OLD_BLOCK, written("answer", OLD_BLOCK)),
    ("answer", OLD_BLOCK, ""),  # no record: the block's stamp stands in
    ("answer", OLD_BLOCK, field_hash("answer" + OLD_BLOCK)),  # versions 2 and 3: a whole-field hash
    ("answer", OLD_BLOCK, written("older answer", OLD_BLOCK)),  # Polar changed it, the note already has it
    ("answer", NEW_BLOCK, written("answer", OLD_BLOCK)),  # the block recorded differs: the full way
    ("", OLD_BLOCK, written("", OLD_BLOCK)),
    ("answer", "", written("answer", "")),  # no context to show
    ("answer", None, field_hash("answer")),  # a field without a block (a question)
    ("answer", None, field_hash("old answer")),
    (f'<div class="polar-context">{PRE}x</pre></div>', OLD_BLOCK, ""),  # Polar's text holds a block's class
]


@pytest.mark.parametrize("polar_wins", [True, False])
@pytest.mark.parametrize("recorded", [True, False])
@pytest.mark.parametrize(("text", "tail", "old"), AS_WRITTEN_CASES)
def test_a_field_as_written_merges_as_the_full_way_would(monkeypatch: pytest.MonkeyPatch, text: str,
                                                         tail: str, old: str, recorded: bool,
                                                         polar_wins: bool) -> None:
    # The short way for a field that holds what the sync would write must
    # give what the whole merge gives, for every kind of record; and the
    # same for fields that differ a little (the short way says None there).
    import addon.sync.field_merge as fm

    want = Want(text, tail)
    currents = [as_written(text, tail or ""), as_written(text + " typed", tail or ""),
                as_written(text, (tail or "") + " "), text + (tail or "")]
    short = [merge_field(want, c, old, polar_wins, recorded) for c in currents]
    monkeypatch.setattr(fm, "_as_written", lambda *_: None)
    assert short == [merge_field(want, c, old, polar_wins, recorded) for c in currents]


def test_a_field_as_written_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A sync that reads every note again (a setting changed, an add-on
    # update) meets fields as it wrote them: their text and block are not
    # split nor each hashed again (a tenth of such a sync, bench's update_all).
    import addon.sync.field_merge as fm

    def no(*_: object) -> None:
        raise AssertionError("parsed a field that holds what the sync would write")

    monkeypatch.setattr(fm, "split_block", no)
    monkeypatch.setattr(fm, "unstamped", no)
    merged = merge_field(Want("answer", OLD_BLOCK), as_written("answer", OLD_BLOCK), written("answer", OLD_BLOCK), True)
    assert merged == fm.Merged(None, written("answer", OLD_BLOCK))
    with pytest.raises(AssertionError):  # text typed in Anki: the full way
        merge_field(Want("answer", OLD_BLOCK), as_written("my answer", OLD_BLOCK), written("answer", OLD_BLOCK), True)


def test_text_typed_against_a_words_start_in_the_block_is_moved_before_it() -> None:
    # The caret at the start of the highlight's line, a note typed with no
    # space after it: one word of the editor's, ours at its end.
    glued = OLD_BLOCK.replace(">old highlight", ">NBold highlight", 1)
    merged = merge_field(Want("answer", OLD_BLOCK), "answer" + glued, written("answer", OLD_BLOCK), True)
    assert not merged.conflict and merged.value == "answerNB" + OLD_BLOCK


def test_words_of_the_block_typed_over_across_a_line_are_not_typing() -> None:
    # The end of the source line and the start of the highlight selected and
    # typed over: words of ours replaced (with the tags between), the block's
    # own, made anew; nothing moved into the answer.
    start, end = OLD_BLOCK.index("1</div>"), OLD_BLOCK.index("old highlight") + len("old")
    over = OLD_BLOCK[:start] + "X" + OLD_BLOCK[end:]
    merged = merge_field(Want("answer", OLD_BLOCK), "answer" + over, written("answer", OLD_BLOCK), True)
    assert not merged.conflict and merged.value == "answer" + OLD_BLOCK


@pytest.mark.parametrize("polar_wins", [True, False])
def test_typing_on_a_words_end_beside_a_word_changed_in_a_block_whose_context_changed_is_never_dropped_unsaid(
        polar_wins: bool) -> None:
    # "passage" typed on to ("passageXY") and "highlight" changed, the context
    # changed in Polar: no way of putting the block back tells whose each is,
    # so it is said (a conflict over the block), never "XY" dropped unsaid as
    # a changed word of the block's.
    old = context_block(Context("Title · p. 1", "the old highlight passage", "", ""))
    new = context_block(Context("Title · p. 2", "the new highlight passage", "", ""))
    current = "answer" + old.replace("passage", "passageXY", 1).replace("highlight", "highlights", 1)
    merged = merge_field(Want("answer", new), current, written("answer", old), polar_wins)
    assert merged.conflict and merged.in_block and merged.polar_took == polar_wins
