"""One field's three-way merge: what Polar wants, what the note holds, and
the hash of what Polar wrote last time.

* The user's part (``Want.text``) is merged: Polar's change is taken only
  where Polar changed it; an Anki edit otherwise stays; both changed →
  ``conflict_policy`` decides (and the report lists it).
* The add-on's own part is regenerated, never merged, never a conflict: the
  context block after the user's text in a stock ``Back`` / ``Back Extra``
  (``Want.tail``), or a whole own-type context field (``Want.owned``).

The remembered hash is of Polar's version of the user's part (the text
before the block), so a context change alone looks like no change to it. Hashes remembered before the block was merged
separately covered the whole field (text + block): both readings are tried,
so the first sync after the upgrade raises no false conflict.

Render version 5 keeps a user's colours (``render/inline_style.py``), which
version 4 dropped: a field with colours reads as changed in Polar once. Where
the note was edited in Anki meanwhile, the remembered hash is compared with
the field rendered without styles too (``unstyled_hash``): when that is what
the last sync wrote, Polar did not change it, and the Anki edit stays.
Likewise for a ``<pre>``'s style, which versions 6 and 7 changed
(``earlier_pre_hashes``): the field as version 5 and 6 wrote it; and for
version 8's tables (their own scrolling) and CKEditor 5's figures (kept, an
embedded video a link): the field as version 7 wrote it; and for version
11's ``color-mix()`` beside a colour's ``light-dark()``: the field as version
10 wrote it (``_before_version_11``). A hash of
the whole field (versions 2 and 3) is compared with these earlier renderings
followed by the note's block, which is the block those versions wrote.

Text typed inside a block that was rendered anew since (an upgrade restyled
every block) is found by its hash (``typed_into_rewritten``): the block the
last sync wrote is the note's block without what the user typed, so the run
whose removal gives the remembered hash is theirs; only when none does is it
a conflict ("whose block?").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations, product
from typing import Callable, List, Optional, Sequence, Tuple

from ..render.context import page_words_html, split_block, stamped, unstamped
from ..render.html import as_anki_keeps
from ..render.style import IMG_STYLE, PRE_STYLE, TABLE_STYLE
from ..settings import ENGLISH_PAGE_LABEL
from .notetypes import (
    LAYOUT_MARK,
    ROLE_ANSWER,
    ROLE_ANSWER_AND_BLOCK,
    ROLE_ANSWER_NO_BLOCK,
    NoteTypeRef,
    Want,
    field_roles,
    layout_tag,
)


def field_hash(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_sha1 = hashlib.sha1
EMPTY_HASH = field_hash("")


def bytes_hash(encoded: bytes) -> str:
    """``field_hash`` of the text ``encoded`` holds (as UTF-8), for a caller
    that has its bytes anyway (a new note's fields, ``write._new_note``):
    one encoding of each field, not two. An empty field's is known."""
    return _sha1(encoded).hexdigest()[:16] if encoded else EMPTY_HASH


@dataclass(frozen=True)
class Merged:
    value: Optional[str]  # the field's new value; None: leave it as it is
    remember: str  # hash for the next merge (Polar's side)
    conflict: bool = False  # both sides changed the user's part
    polar_took: bool = True  # with a conflict: whose version was kept
    in_block: bool = False  # the conflict is over text typed inside the context block
    unrecorded: bool = False  # no record of the field: the note's text differs from Polar's and stays


def remember_hash(text: str, tail: Optional[str]) -> str:
    """What to remember for a field as written: the hash of Polar's version
    of the user's part, and for a field with a context block also the block's
    (``text+block``), to tell later whether the user typed inside it."""
    return field_hash(text) if tail is None else f"{field_hash(text)}+{field_hash(tail)}"


_ANSWER_ROLES = (ROLE_ANSWER, ROLE_ANSWER_AND_BLOCK, ROLE_ANSWER_NO_BLOCK)


def laid_out_for(stored: Sequence[str], nt: NoteTypeRef, context: bool) -> bool:
    """Whether a state row's hashes (``stored``, its layout last) were written
    for a note laid out as ``nt`` wants: the same fields of Polar's (fields
    the user added do not count), the context block in the answer where
    ``nt`` has room for it and nowhere else (``context``: blocks are written
    at all). False after a Change Note Type that moves Polar's parts or the
    block (Basic ↔ a type whose question shows Back, stock ↔ own types): the
    note is then laid out anew. A row of a version before layouts: True."""
    if not stored or not stored[-1].startswith(LAYOUT_MARK) or len(stored[-1]) != len(stored):
        return True
    was, now = stored[-1][1:], layout_tag(nt)[1:]
    if was.replace("-", "") != now.replace("-", ""):
        return False
    answers = [h for letter, h in zip(was, stored) if letter == "a"]
    roles = [role for role in field_roles(nt) if role in _ANSWER_ROLES]
    for remembered, role in zip(answers, roles):
        block = "+" in remembered and not remembered.endswith("+" + EMPTY_HASH)
        if block and role != ROLE_ANSWER_AND_BLOCK:
            return False  # a block in a field a question shows (or an own type's answer)
        if context and role == ROLE_ANSWER_AND_BLOCK and not block:
            return False  # the block's field, written without it (from a type that asks it)
    return True


_TOKENS = re.compile(r"<[^>]*>|[^<]|<")
# Tags, words, any other character.
_WORD_TOKENS = re.compile(r"<[^>]*>|\w+|[^<\w]|<")


def typed_into(ours: str, edited: str) -> str:
    """What the user added to the block we wrote, as balanced HTML: the runs
    of ``edited`` inserted between words of ``ours``, and what was typed on
    at a word's end or start ("p. 1" → "p. 12my note": an editor's caret at
    the end of the field lands inside the block). A run that replaced words
    of ours (Find and Replace over the field, a word of the title
    overwritten) changed the block's own words, which is made anew: that
    is not typing. A run that replaced only tags (an editor may write a tag
    anew) counts whole, unless it is only tags too: our tags rewritten, no
    word typed (a Find and Replace of "polar" by "Polar" over the field,
    case ignored as Anki's dialog does, reaches the block's classes)."""
    # Tags and words as whole tokens: an insertion never splits a tag, and a
    # word replaced is one run, not the letters two words happen to share.
    a, b = _WORD_TOKENS.findall(ours), _WORD_TOKENS.findall(edited)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    parts = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        theirs = "".join(b[j1:j2])
        if op == "insert" or (op == "replace" and all(t.startswith("<") for t in a[i1:i2])
                              and not all(t.startswith("<") for t in b[j1:j2])):
            parts.append(theirs)
        elif op == "replace":
            mine = "".join(a[i1:i2])
            if theirs.startswith(mine):
                parts.append(theirs[len(mine):])
            elif theirs.endswith(mine):
                parts.append(theirs[: -len(mine)])
    return _balanced("".join(parts))


def typed_into_rewritten(ours: str, edited: str, was_written: Callable[[str], bool]) -> Optional[str]:
    """What the user typed into a block that ``ours`` (this sync's block)
    no longer is: ``edited`` is the block an earlier sync wrote with their
    typing in it, ``was_written`` tells that block by its hash. The runs of
    ``edited`` that ``ours`` lacks (the typing, and the old rendering or
    context) are taken out one at a time, then in every combination (of at
    most eight runs; more are taken out all at once), then the ends of the
    block's last texts: what leaves the block written then was typed. None
    when nothing does (then whose it is cannot be told)."""
    a, b = _TOKENS.findall(ours), _TOKENS.findall(edited)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    runs = [(j1, j2) for op, _, _, j1, j2 in matcher.get_opcodes() if op in ("insert", "replace")]
    sets: List[Tuple[Tuple[int, int], ...]] = [(r,) for r in runs]
    if len(runs) > 1:
        if len(runs) <= 8:
            sets += [c for k in range(2, len(runs) + 1) for c in combinations(runs, k)]
        else:
            sets.append(tuple(runs))
    for chosen in sets:
        kept, added, at = [], [], 0
        for j1, j2 in chosen:
            kept += b[at:j1]
            added += b[j1:j2]
            at = j2
        kept += b[at:]
        if was_written("".join(kept)):
            return _balanced("".join(added))
    # No run of the difference alone (``ours`` is empty, a block this version
    # leaves out, or the typing ran into text that changed): the end of one of
    # the block's last texts, where the editor's caret puts what is typed (at
    # most 1,000 tries: a real conflict of a 4,000-character block pays ~25 ms
    # with the diff above; only conflicts and typing inside a block get here).
    tried = 0
    for m in reversed(list(_TEXT_RUN.finditer(edited))[-3:]):
        for k in range(m.end() - 1, m.start() - 1, -1):
            if tried == 1000:
                return None
            tried += 1
            if was_written(edited[:k] + edited[m.end():]):
                typed = edited[k:m.end()]
                return typed if typed.strip() else None
    # Last (what was typed is looked for first): words of the block changed.
    return _words_changed(ours, edited, was_written)



def _balanced(typed: str) -> str:
    if "<" in typed or ">" in typed or "&" in typed:
        from bs4 import BeautifulSoup  # ships with Anki; only for this rare case

        typed = str(BeautifulSoup(typed, "html.parser"))
    return typed if typed.strip() else ""


# Differences of a block at most this many: each is tried three ways (left
# as the note has it, put back as ours has it, or taken out as typed).
_CHANGED_MAX = 6


def _words_changed(ours: str, edited: str, was_written: Callable[[str], bool]) -> Optional[str]:
    """The user changed words of the block (Find and Replace over the field
    changes the title or highlight too), perhaps typed into it as well, and
    the context changed in Polar since: the block written then is the
    note's block ``b`` with the changed runs put back as ``a`` (ours) has
    them where the context did not change, and what was typed taken out.
    Each difference is left, put back, or (an insertion or replacement)
    taken out as typed; what leaves the block written then tells which:
    the typed runs are returned ("" for none), the changed words are the
    block's, made anew. None when nothing does. A run that only inserts
    (more than white space), or holds ours whole, is never put back: that
    is typing, not a change."""
    # By whole words here: a word replaced is one difference, not a few
    # letters that happen to match.
    a, b = _WORD_TOKENS.findall(ours), _WORD_TOKENS.findall(edited)
    opcodes = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not opcodes or len(opcodes) > _CHANGED_MAX:
        return None
    choices = []
    for op, i1, i2, j1, j2 in opcodes:
        ways = ["keep"]
        theirs, mine = "".join(b[j1:j2]), "".join(a[i1:i2])
        if op == "insert":
            back = not theirs.strip()  # only white space: "Zebrafish" → "Zebra fish"
        elif op == "delete":
            back = True
        else:  # words replaced; not a run that holds ours whole ("passage" → "passageXY": typed)
            back = mine not in theirs
        if back:
            ways.append("back")
        if op != "delete":
            ways.append("typed")
        choices.append(ways)
    for picked in product(*choices):
        if "back" not in picked:
            continue  # (tried above: runs taken out alone)
        kept, added, at = [], [], 0
        for (_op, i1, i2, j1, j2), way in zip(opcodes, picked):
            kept += b[at:j1]
            if way == "keep":
                kept += b[j1:j2]
            elif way == "back":
                kept += a[i1:i2]
            else:
                added += b[j1:j2]
            at = j2
        kept += b[at:]
        if was_written("".join(kept)):
            return _balanced("".join(added))
    return None

_TEXT_RUN = re.compile(r"[^<>]+")


def earlier_renderings(text: str) -> Tuple[str, ...]:
    """``text`` as earlier render versions wrote it where it differs: without
    styles (version 4 and before), its ``<pre>``s as versions 6 and 5 wrote
    them."""
    out: List[str] = []
    if "style=" in text or "<font" in text:
        from ..render.html import sanitize_html

        out.append(sanitize_html(text, not_trivial=True, styles=False))
    return (*out, *_earlier_pres(text), *_before_version_8(text), *_before_version_9(text),
            *_before_version_11(text))


def unstyled_hash(text: str) -> Optional[str]:
    """The hash of ``text`` as render version 4 wrote it (no style, no
    ``<font>``), or None when it has neither (then it is the same)."""
    if "style=" not in text and "<font" not in text:
        return None
    from ..render.html import sanitize_html

    return field_hash(sanitize_html(text, not_trivial=True, styles=False))


# A <pre>'s style as the sanitiser writes it (PRE_STYLE, then ";" and the
# user's kept declarations, or the closing quote). A new PRE_STYLE adds the
# one it replaces to _earlier_pres.
_PRE_STYLED = re.compile(re.escape(f'<pre style="{PRE_STYLE}') + '(;|")')


def _earlier_pres(text: str) -> Tuple[str, ...]:
    """``text`` as render versions 6 (``overflow-x:auto`` alone) and 5 (no
    style of ours) wrote its ``<pre>``s; () when it has none (then they
    wrote the same)."""
    if "<pre style=" not in text:
        return ()
    v6 = _PRE_STYLED.sub(r'<pre style="overflow-x:auto\1', text)
    if v6 == text:
        return ()
    return v6, _PRE_STYLED.sub(lambda m: '<pre style="' if m.group(1) == ";" else "<pre", text)


# What render version 8 added: a figure's tags (Polar 2.x's editor), the link
# an embedded video's <oembed> became, a <table>'s own style, an <img>'s.
_FIGURE_TAG = re.compile(r'<figure style="[^"<>]*">|</figure>|</?figcaption>')
_EMBED_LINK = re.compile(r'<figure style="[^"<>]*"><a href="([^"<>]*)">\1</a></figure>')
_TABLE_STYLED = re.compile(re.escape(f'<table style="{TABLE_STYLE}') + '(;|")')
_IMG_STYLED = re.compile(r'(<img [^<>]*?) style="' + re.escape(IMG_STYLE) + '"')


def _before_version_8(text: str) -> Tuple[str, ...]:
    """``text`` as render version 7 wrote it: CKEditor 5's ``<figure>`` and
    ``<figcaption>`` unwrapped, an ``<oembed>`` dropped, a ``<table>``
    without its scrolling, an ``<img>`` with a width and a height without
    ``height:auto``; () when it has none of these."""
    if "<fig" not in text and "<table style=" not in text and IMG_STYLE not in text:
        return ()
    v7 = _TABLE_STYLED.sub(lambda m: '<table style="' if m.group(1) == ";" else "<table", text)
    v7 = _IMG_STYLED.sub(r"\1", v7)
    if "<fig" in v7:
        v7 = _FIGURE_TAG.sub("", _EMBED_LINK.sub("", v7))
    return () if v7 == text else (v7,)


# What render version 9 wrote otherwise in a card's own fields: a sound or
# TTS tag's bracket in a span of its own (render/html.py literal_sound).
_LITERAL_SOUND = re.compile(r"<span>\[</span>(?=sound:|anki:tts|/anki:tts)", re.IGNORECASE)


def _before_version_9(text: str) -> Tuple[str, ...]:
    """``text`` as render version 8 wrote it: Anki's sound and TTS tags as
    tags (a play button); () when it has none."""
    if "<span>[</span>" not in text:
        return ()
    v8 = _LITERAL_SOUND.sub("[", text)
    return () if v8 == text else (v8,)


# What render version 11 added to a colour with a variant: the color-mix()
# for web views without light-dark() (render/inline_style.py _fallback).
_COLOUR_MIX = re.compile(
    r";(?:background-)?color:color-mix\(in srgb,#[0-9a-f]{6,8} \d{1,3}%,(?:CanvasText|transparent)\)")


def _before_version_11(text: str) -> Tuple[str, ...]:
    """``text`` as render version 10 wrote it: a colour's ``light-dark()``
    without the ``color-mix()`` before it; () when it has none."""
    if "color-mix(" not in text:
        return ()
    v10 = _COLOUR_MIX.sub("", text)
    return () if v10 == text else (v10,)


def earlier_pre_hashes(text: str) -> Tuple[str, ...]:
    """The hashes of ``_earlier_pres(text)``, ``_before_version_8(text)``,
    ``_before_version_9(text)`` and ``_before_version_11(text)``: renderings
    of Polar's same text by earlier versions that differ only in how a
    ``<pre>``, a ``<table>``, a figure, a sound tag or a colour's variant is
    written."""
    return tuple(field_hash(t) for t in (*_earlier_pres(text), *_before_version_8(text), *_before_version_9(text),
                                          *_before_version_11(text)))


def merge_field(want: Want, current: str, old: str, polar_wins: bool, recorded: bool = True,
                written: Optional[Callable[[], Optional[str]]] = None,
                page_label: str = ENGLISH_PAGE_LABEL, as_polar: Optional[str] = None) -> Merged:
    """``old``: the hash remembered at the last sync ("" when none).
    ``recorded`` False: the sync state has no row for the note at all (made
    on another computer, imported, the state lost or rebuilt), so whether
    Polar or the user changed a text that differs cannot be told: the
    note's text stays (``unrecorded``) unless it is only an earlier
    rendering of Polar's; the context block is the add-on's as ever.
    ``written``: what a sync on any computer remembered of this field when it
    last wrote the note (``plan.WRITTEN_KEY``), asked only when both changed:
    this sync's own text then was in the note before the Anki edit.
    ``page_label``: the collection's page words, as render version 8 put
    them in an EPUB's line (``_section_before_version_9``).
    ``as_polar``: ``want.text`` before ``as_anki_keeps`` composed it and took
    out Anki's dropped control characters (None: the same), which versions
    before it wrote and remembered the hash of: Polar did not change that."""
    if want.owned:
        return _merge_owned(want.value, current, old, polar_wins, recorded, page_label)
    same = _as_written(want, current, old)
    if same is not None:
        return same
    old, _, old_block = old.partition("+")
    in_block = False
    if want.tail is None:
        text, block, cur_text = want.text, "", current
        polar_same = {field_hash(text)}
        anki_same = {field_hash(current)}
    else:
        text, block = want.text, want.tail
        # The block's own record of itself (``stamped``) is no part of it,
        # and stands in for a hash the sync has none of (no record).
        stamped_value = current
        current, stamp = unstamped(current)
        if stamp and not old:
            old_block = stamp
        cur_text, cur_block = split_block(current)
        if stamp and not cur_block:
            # A block whose class a Find and Replace reworded ("context" →
            # "setting"): its stamp, taken off above, still tells it.
            cur_text, cur_block = split_block(stamped_value)
            cur_block = unstamped(cur_block)[0]
        # This sync's hash is of the user's part; an older one of text + block.
        polar_same = {field_hash(text), field_hash(text + cur_block)}
        anki_same = {field_hash(cur_text), field_hash(current)}
        typed: Optional[str] = ""
        if old_block and cur_block and field_hash(cur_block) != old_block and cur_block != block:
            # (A block as this sync writes it holds nothing typed: an earlier
            # version remembered the hash of it before Anki composed it.)
            # The user typed inside the block we wrote.
            if field_hash(block) == old_block:  # ours is as it was: the difference is theirs
                typed = typed_into(block, cur_block)
            else:  # and the block changed too (context, or an upgrade's rendering): whose runs?
                typed = typed_into_rewritten(block, cur_block, lambda b: field_hash(b) == old_block)
                in_block = typed is None
        elif old and not old_block and cur_block and cur_block != block \
                and old not in polar_same and old not in anki_same:
            # A whole-field hash (versions 2 and 3) that neither part matches
            # as the note holds it: an earlier rendering of Polar's text, or
            # the user typed inside the block (or both), or Polar's change.
            old, typed = _whole_field(old, text, cur_text, block, cur_block)
            polar_same = {field_hash(text)}
        if typed:
            # Their part is what they typed too: it is an Anki edit now.
            cur_text += typed
            anki_same = {field_hash(cur_text)}
    untouched = False  # the note holds what an earlier version wrote (no one edited it)
    if as_polar is not None and as_polar != text:
        earlier = {field_hash(as_polar), field_hash(as_polar + block)} if block else {field_hash(as_polar)}
        polar_same |= earlier
        untouched = old in earlier and cur_text in (as_polar, as_anki_keeps(as_polar))
    remember = remember_hash(text, want.tail)
    if not recorded and cur_text != text and not _rendering_of(cur_text, text):
        value = cur_text + block
        return Merged(None if value == current else value, remember, polar_took=False, unrecorded=True)
    if in_block:
        if polar_wins:
            value = cur_text + block  # the new context; what was typed inside the old one is lost
            return Merged(None if value == current else value, remember, True, True, True)
        # The user's whole field stays; their block counts as ours from now on.
        return Merged(None, f"{field_hash(text)}+{field_hash(cur_block)}", True, False, True)
    conflict = False
    if cur_text == text or not old or untouched:
        keep_user = False  # nothing to keep / nothing remembered: Polar is the source
    elif old in polar_same:
        keep_user = True  # Polar did not change it: the Anki edit stays
    elif old in anki_same:
        keep_user = False  # only Polar changed it
    elif old == unstyled_hash(text) or old in earlier_pre_hashes(text):
        keep_user = True  # only the rendering changed (colours, a <pre>'s style): the Anki edit stays
    elif written is not None and written() == remember:
        # Another computer's sync wrote this very text of Polar's into the
        # note (AnkiWeb brought it); the Anki edit came after: it stays.
        keep_user = True
    else:
        conflict, keep_user = True, not polar_wins
    value = (cur_text if keep_user else text) + block
    return Merged(None if value == current else value, remember, conflict, not keep_user)


def _as_written(want: Want, current: str, old: str) -> Optional[Merged]:
    """The field holds byte for byte what this sync would write (Polar's
    text, and its block stamped with its own hash): nothing of anyone's to
    keep or merge, only the hashes to remember. The common case of a sync
    that reads every note again for a setting or an add-on update (its tags
    changed, say), where the full path's parsing of the field and its seven
    hashes were a tenth of the sync. None: the full path decides. A block
    whose record differs from its hash (``old``'s part after "+": text was
    typed inside it, or an earlier rendering) goes the full way too."""
    text, block = want.text, want.tail
    if block is None:
        return Merged(None, field_hash(text)) if current == text else None
    if not current.startswith(text):
        return None
    tail = field_hash(block)
    if current[len(text):] != stamped(block, tail):
        return None
    recorded_block = old.partition("+")[2]
    if recorded_block and recorded_block != tail:
        return None
    return Merged(None, f"{field_hash(text)}+{tail}")


# Where render version 9 put an EPUB's section ("§&nbsp;3") in a source line,
# version 8 had put the collection's page words ("p.&nbsp;3", "S.&nbsp;3").
_SECTION = re.compile(r"(?<=&nbsp;· )§&nbsp;(\d+)")


def _section_before_version_9(value: str, page_label: str) -> Optional[Tuple[str, List[Tuple[str, str]]]]:
    """``value`` (an own type's Source field) as render version 8 wrote it,
    with the (version 8, version 9) words it changed; None when it names no
    section (then they wrote the same)."""
    if "§&nbsp;" not in value:
        return None
    words = page_words_html(page_label)
    swaps: List[Tuple[str, str]] = []

    def page_words(m: re.Match[str]) -> str:
        swaps.append((words.replace("{page}", m.group(1)), m.group(0)))
        return swaps[-1][0]

    v8 = _SECTION.sub(page_words, value)
    return (v8, swaps) if swaps else None


def _merge_owned(value: str, current: str, old: str, polar_wins: bool, recorded: bool,
                 page_label: str = ENGLISH_PAGE_LABEL) -> Merged:
    """An own type's context field (Source, Highlight, Image, Comments): the
    add-on's, written whole, but shown in Anki's editor as any field, so a
    person may fix a typo there. Its hash says whether they did: an edit
    stays while Polar's context is unchanged (a rendering of the same
    context by a later version counts as a change of Polar's, except
    version 9's "§ 3" for an EPUB's "p. 3": the edit stays, renamed); both
    changed, the policy decides, as for the user's part. No record (or no
    hash): Polar's, as before."""
    remember = field_hash(value)
    if current == value or not old or not recorded or field_hash(current) == old:
        return Merged(None if current == value else value, remember)
    if old == remember:
        return Merged(None, remember, polar_took=False)  # only the user changed it: it stays
    earlier = _section_before_version_9(value, page_label)
    if earlier is not None and field_hash(earlier[0]) == old:
        # Only the rendering changed (an EPUB's "p. 3" became "§ 3"): the
        # Anki edit stays, its page words renamed where they still stand.
        mine = current
        for was, now in earlier[1]:
            mine = mine.replace(f"&nbsp;· {was}", f"&nbsp;· {now}")
        return Merged(None if mine == current else mine, remember, polar_took=False)
    return Merged(value if polar_wins else None, remember, True, polar_wins)


def _rendering_of(current: str, text: str) -> bool:
    """Whether ``current`` is ``text`` as an earlier render version wrote it."""
    # (a <table> of ours has a style)
    if "style=" not in text and "<font" not in text and "<pre" not in text and "<fig" not in text:
        return False
    return field_hash(current) in {unstyled_hash(text), *earlier_pre_hashes(text)}


def _whole_field(old: str, text: str, cur_text: str, block: str, cur_block: str) -> Tuple[str, str]:
    """``(old, typed)`` for a field whose remembered hash is of the whole
    field, as versions 2 and 3 wrote it. What they wrote is looked for: an
    earlier rendering of this sync's text followed by the note's block (only
    the rendering changed), or this text, an earlier rendering of it or the
    note's text followed by the note's block without what the user typed
    into it. Found, ``old`` becomes the hash of Polar's text as it was (as
    this version writes it), with what was typed ("" when nothing was); else
    ``old`` stays (the caller finds a conflict)."""
    earlier = earlier_renderings(text)
    if any(field_hash(t + cur_block) == old for t in earlier):
        return field_hash(text), ""  # only the rendering changed
    texts = (text, *earlier, cur_text)
    found: List[str] = []

    def was_written(b: str) -> bool:
        found[:] = [t for t in texts if field_hash(t + b) == old][:1]
        return bool(found)

    typed = typed_into_rewritten(block, cur_block, was_written)
    if typed is None:
        return old, ""
    # Polar's text then: this one (or its earlier rendering), or the note's.
    polar_then = cur_text if found[0] is cur_text and cur_text != text else text
    return field_hash(polar_then), typed
