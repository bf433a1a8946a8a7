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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

from ..render.context import split_block
from .notetypes import Want


def field_hash(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Merged:
    value: Optional[str]  # the field's new value; None: leave it as it is
    remember: str  # hash for the next merge (Polar's side)
    conflict: bool = False  # both sides changed the user's part
    polar_took: bool = True  # with a conflict: whose version was kept


def merge_field(want: Want, current: str, old: str, polar_wins: bool) -> Merged:
    """``old``: the hash remembered at the last sync ("" when none)."""
    if want.owned:
        value = want.value
        return Merged(None if current == value else value, field_hash(value))
    if want.tail is None:
        text, block, cur_text = want.text, "", current
        polar_same = {field_hash(text)}
        anki_same = {field_hash(current)}
    else:
        text, block = want.text, want.tail
        cur_text, cur_block = split_block(current)
        # This sync's hash is of the user's part; an older one of text + block.
        polar_same = {field_hash(text), field_hash(text + cur_block)}
        anki_same = {field_hash(cur_text), field_hash(current)}
    remember = field_hash(text)
    conflict = False
    if cur_text == text or not old:
        keep_user = False  # nothing to keep / nothing remembered: Polar is the source
    elif old in polar_same:
        keep_user = True  # Polar did not change it: the Anki edit stays
    elif old in anki_same:
        keep_user = False  # only Polar changed it
    else:
        conflict, keep_user = True, not polar_wins
    value = (cur_text if keep_user else text) + block
    return Merged(None if value == current else value, remember, conflict, not keep_user)
