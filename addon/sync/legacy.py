"""Notes of Polar's old AnkiConnect sync that match no current Polar card.

Polar re-created a card on every edit (new id, same highlight and type) and
its old sync never updated a note, so a user's collection may hold the note
of a card's *older version* beside nothing for the new one. Those notes carry
no link to a highlight; all there is to go on is the document (its tag labels
and deck, which the old sync copied onto the note), the note type and the
text. A wrong pair (two different cards merged, the review history of one
given to the other) is worse than a leftover the user is told about, so a
pair needs every piece of evidence at once:

* same document: the note carries all of the document's tag labels (as the
  old sync wrote them), or, for a document without tags, sits in its deck
  (one the old sync used, or where the user moved its other old notes);
* same kind of card (Basic or Cloze, the two types the old sync used);
* the new card's text is an edit of the old one (:func:`similarity`);
* no other candidate on either side: the old note resembles exactly one new
  card of its document and that card exactly one old note (a near second
  candidate, even below the pairing bar, makes the pair ambiguous), unless
  the card's candidates are versions of one card, the old sync's note of
  each edit (v1, v2): the newest takes it (:func:`_newest_of_chain`).

Everything else is a leftover: reported, never changed by a sync. Those that
are an earlier version of a card taken over are named as such in the report
(:func:`older_versions`): the user may be studying both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import AbstractSet, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

# Pair when at least this share of the old text survives in the new one...
PAIR_THRESHOLD = 0.85
# ...and no other candidate reaches this (a rival that close is ambiguity).
RIVAL_THRESHOLD = 0.6
# A run of fewer equal characters is coincidence ("an" in "France" and
# "Germany"), not text that survived an edit.
_MIN_BLOCK = 3
# Very long fields are compared on their start: edits show there too, and
# SequenceMatcher is quadratic in the worst case.
_MAX_CHARS = 2000

_TAG_RE = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(nbsp|amp|lt|gt|quot|#39);")
_ENTITIES = {"nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'"}
_WS = re.compile(r"\s+")


def plain_text(html: str) -> str:
    """Lower-case text of an HTML field, markup and spacing normalised,
    accents composed (NFC, as Anki stores a note's fields)."""
    text = _TAG_RE.sub(" ", html)
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
    return _WS.sub(" ", composed(text)).strip().lower()[:_MAX_CHARS]


def _kept(matcher: SequenceMatcher) -> int:
    return sum(block.size for block in matcher.get_matching_blocks() if block.size >= _MIN_BLOCK)


def similarity(old: str, new: str) -> float:
    """How much of ``old`` (plain text) survives in ``new``: the share of its
    characters in runs of ``_MIN_BLOCK`` or more that appear, in order, in
    ``new``. Additions are free (an edit that adds a word or a clause keeps
    the card); replacing a word is not ("capital of France" → "capital of
    Germany" keeps 77 %). A new text that is mostly new (the old one a small
    part of it) does not count as an edit of it."""
    return _similarity(plain_text(old), plain_text(new))


def _similarity(a: str, b: str) -> float:
    """:func:`similarity` of two plain texts."""
    if not a or not b:
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # quick_ratio bounds the characters any alignment can keep: skip the full
    # comparison when even that bound cannot keep enough of ``a``.
    if matcher.quick_ratio() * (len(a) + len(b)) / 2 < RIVAL_THRESHOLD * len(a):
        return 0.0
    kept = _kept(matcher)
    if kept < 0.5 * len(b):
        return min(kept / len(a), kept / len(b))
    return kept / len(a)


@dataclass(frozen=True)
class OldNote:
    """A leftover note of the old sync, as far as pairing needs it."""

    note_id: int
    kind: str  # "basic" | "cloze" (the only two types the old sync used)
    text: str  # its fields' HTML, joined
    tags: FrozenSet[str]  # lower-case, quotes dropped (note_tags)
    deck: str  # lower-case name of its (home) deck
    suspended: bool = False  # every card of it suspended (the user's "not this one")
    # A basic note's question and answer apart ("": a cloze, or not known):
    # an answer the user added to in Anki still pairs (``_answer_added_to``).
    question: str = ""
    answer: str = ""


@dataclass(frozen=True)
class NewCard:
    """A current Polar card that no note matched (it would be created)."""

    card_id: str
    doc: str
    kind: str  # "basic" or "cloze", as for OldNote
    text: str
    doc_labels: FrozenSet[str]  # the tags the document's labels became on an old note (old_sync_label)
    decks: FrozenSet[str]  # lower-case deck names the old sync could have used for the document
    question: str = ""  # a basic card's front and back apart (as OldNote's)
    answer: str = ""


_QUOTES = str.maketrans("", "", "\"'")


def old_sync_label(label: str) -> List[str]:
    """A Polar tag label as the old sync left it on a note: the tags it
    became, lower-case. The old sync sent each label as one tag (AnkiConnect's
    ``addNote`` sets ``note.tags`` to the list as given) and Anki splits a
    note's tags on whitespace when it stores them, so "machine learning" is
    "machine" and "learning" there; Anki 2.1 before its Rust tag code also
    dropped quotes (``TagManager.canonify``), so quotes are compared without
    (``note_tags``); Anki stores tags composed (NFC), so they are compared
    composed."""
    return composed(label.translate(_QUOTES).lower()).split()


def note_tags(tags: Sequence[str]) -> FrozenSet[str]:
    """An old note's tags as ``old_sync_label`` compares them."""
    return frozenset(composed(t.translate(_QUOTES).lower()) for t in tags)


def composed(text: str) -> str:
    """``text`` in Unicode NFC, as Anki stores a note's fields, tags and deck
    names: a title out of a PDF or a file name on a Mac often has an accent
    as a character of its own ("e" + U+0301)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def same_document(note: OldNote, card: NewCard) -> bool:
    if card.doc_labels:
        return card.doc_labels <= note.tags
    return note.deck in card.decks


def _trigrams(text: str) -> FrozenSet[str]:
    return frozenset(text[i:i + 3] for i in range(len(text) - 2))


def _windows(text: str) -> Dict[str, FrozenSet[int]]:
    """Each window of 3 characters of ``text`` → the positions it covers."""
    out: Dict[str, Set[int]] = {}
    for i in range(len(text) - 2):
        out.setdefault(text[i:i + 3], set()).update((i, i + 1, i + 2))
    return {gram: frozenset(at) for gram, at in out.items()}


def _could_reach(a: str, windows: Dict[str, FrozenSet[int]], trigrams: FrozenSet[str], share: float,
                 widest: int = 0) -> bool:
    """Whether ``share`` of ``a`` (its ``windows``) can survive in a text of
    these ``trigrams``: a surviving run (``_MIN_BLOCK`` = 3 or more
    characters) lies in windows of 3 found in both, so the characters such
    windows cover bound what survives. Exact as a filter (never refuses a
    pair ``similarity`` would score at ``share``) and done by set operations:
    with hundreds of old notes and new cards in a document, the first sync
    spent seconds comparing unrelated texts. ``widest``: the most
    characters one window of ``a`` covers (0: not known)."""
    shared = trigrams.intersection(windows)
    if widest and len(shared) * widest < share * len(a):
        return False  # (no window covers more than ``widest`` characters: most pairs stop here)
    return len(frozenset().union(*(windows[g] for g in shared))) >= share * len(a)


def answer_added_to(answer: str, card_answer: str) -> bool:
    """Whether an old note's answer (plain text) holds the card's whole
    answer and more: words the user added in Anki ("… (mnemonic: PIE)"),
    the card's answer whole, on word boundaries."""
    if not card_answer or len(answer) <= len(card_answer):
        return False
    at = answer.find(card_answer)
    while at >= 0:
        end = at + len(card_answer)
        if (at == 0 or not answer[at - 1].isalnum()) and (end == len(answer) or not answer[end].isalnum()):
            return True
        at = answer.find(card_answer, at + 1)
    return False


def _answer_added_to(note: OldNote, card: NewCard, plain: Dict[str, Tuple[str, str]],
                     mine: Tuple[str, str]) -> float:
    """A basic note whose answer the user added to in Anki, of a card whose
    question Polar edited since (new id, new front): its score is how much
    of its question survives in the card's, when the card's whole answer is
    in the note's (``answer_added_to``); else 0. Compared on the whole text,
    the user's added words count as text the card lost, and no pair was
    made (legacy3's Left)."""
    if not mine[0] or not mine[1] or card.card_id not in plain:
        return 0.0
    question, answer = plain[card.card_id]
    if not question or not answer_added_to(mine[1], answer):
        return 0.0
    return _similarity(mine[0], question)


def pair(old: Sequence[OldNote], new: Sequence[NewCard]) -> List[Tuple[int, str]]:
    """(note id, card id) for every confident pair; see the module doc.

    A note with two candidates (each scoring ``RIVAL_THRESHOLD`` or more) is
    ambiguous whatever its others score, so its cards are scanned only until
    the second; a card's candidates are all scored only for a card that is the
    one candidate of some note at ``PAIR_THRESHOLD``: no other card can be
    paired (``_newest_of_chain`` too needs its newest note to be such). The
    result is the one scoring every note against every card gives (legpair:
    500 old notes of one template took 80 s); with repeated ids, it does that."""
    plain_new = {card.card_id: plain_text(card.text) for card in new}
    grams = {cid: _trigrams(text) for cid, text in plain_new.items()}
    parts = {card.card_id: (plain_text(card.question), plain_text(card.answer)) for card in new
             if card.question and card.answer}
    # Early stops are exact only when an id is one entry (else scores and lists merge entries).
    unique = len(plain_new) == len(new) and len({note.note_id for note in old}) == len(old)
    groups: Dict[Tuple[str, FrozenSet[str], FrozenSet[str]], List[int]] = {}
    for at, card in enumerate(new):
        groups.setdefault((card.kind, card.doc_labels, card.decks), []).append(at)
    prepared: Dict[int, Tuple[str, Dict[str, FrozenSet[int]], int, Tuple[str, str]]] = {}
    computed: Dict[Tuple[int, int], float] = {}

    def candidates(ni: int) -> List[int]:
        """Indices (in ``new``) of the cards of note ``ni``'s kind and document."""
        note = old[ni]
        found = [at for (kind, _, _), ats in groups.items() if kind == note.kind
                 and same_document(note, new[ats[0]]) for at in ats]
        return sorted(found)

    def score(ni: int, ci: int) -> float:
        """Note ``ni``'s score with card ``ci`` (0.0: set aside by the bound)."""
        got = computed.get((ni, ci))
        if got is not None:
            return got
        note, card = old[ni], new[ci]
        if ni not in prepared:
            a = plain_text(note.text)
            windows = _windows(a)
            mine = (plain_text(note.question), plain_text(note.answer)) if note.question and note.answer else ("", "")
            prepared[ni] = (a, windows, max(map(len, windows.values()), default=0), mine)
        a, windows, widest, mine = prepared[ni]
        added = _answer_added_to(note, card, parts, mine) if mine[0] else 0.0
        if not added and not _could_reach(a, windows, grams[card.card_id], RIVAL_THRESHOLD, widest):
            got = 0.0
        else:
            got = max(_similarity(a, plain_new[card.card_id]), added)
        computed[(ni, ci)] = got
        return got

    scores: Dict[Tuple[int, str], float] = {}
    by_note: Dict[int, List[str]] = {}
    by_card: Dict[str, List[int]] = {}
    rivals_of: Dict[int, List[int]] = {}
    for ni in range(len(old)):
        rivals: List[int] = []
        for ci in candidates(ni):
            if score(ni, ci) >= RIVAL_THRESHOLD:
                rivals.append(ci)
                if unique and len(rivals) == 2:
                    break  # ambiguous: no pair takes it, its other rivals change nothing
        rivals_of[ni] = rivals
    if unique:
        wanted = sorted({rivals[0] for ni, rivals in rivals_of.items()
                         if len(rivals) == 1 and score(ni, rivals[0]) >= PAIR_THRESHOLD})
        for ni, rivals in rivals_of.items():
            by_note[old[ni].note_id] = [new[ci].card_id for ci in rivals]
        for ci in wanted:
            cid = new[ci].card_id
            for ni, note in enumerate(old):
                if note.kind == new[ci].kind and same_document(note, new[ci]) and score(ni, ci) >= RIVAL_THRESHOLD:
                    scores[(note.note_id, cid)] = score(ni, ci)
                    by_card.setdefault(cid, []).append(note.note_id)
    else:
        for ni, rivals in rivals_of.items():
            for ci in rivals:
                scores[(old[ni].note_id, new[ci].card_id)] = score(ni, ci)
                by_note.setdefault(old[ni].note_id, []).append(new[ci].card_id)
                by_card.setdefault(new[ci].card_id, []).append(old[ni].note_id)
    pairs = []
    for (nid, cid), value in sorted(scores.items()):
        if value >= PAIR_THRESHOLD and by_note[nid] == [cid] and by_card[cid] == [nid]:
            pairs.append((nid, cid))
    texts = {note.note_id: note.text for note in old}
    suspended = frozenset(note.note_id for note in old if note.suspended)
    plain: Dict[int, str] = {}
    for cid, nids in sorted(by_card.items()):
        newest = _newest_of_chain(cid, nids, scores, by_note, texts, suspended, plain)
        if newest is not None:
            pairs.append((newest, cid))
    return sorted(pairs)


def older_versions(old: Sequence[OldNote], taken: Sequence[NewCard]) -> List[int]:
    """The old notes (left over: no card claimed them) that are an earlier
    version of a card whose note was taken over this sync (``taken``: its
    current text): the old sync added a note for each version of an edited
    card, so the user may study the older ones beside it. Only said in the
    report (a pair needs no rival; this needs none: nothing is changed)."""
    by_doc: Dict[str, List[NewCard]] = {}
    for card in taken:
        by_doc.setdefault(card.doc, []).append(card)
    seen: Dict[str, Tuple[str, FrozenSet[str]]] = {}  # card id -> its plain text and trigrams, when needed
    found = []
    for note in old:
        a = plain_text(note.text)
        windows = _windows(a)
        if any(_has_newer_version(note, a, windows, cards, seen) for cards in by_doc.values()
               if same_document(note, cards[0])):
            found.append(note.note_id)
    return found


def _has_newer_version(note: OldNote, a: str, windows: Dict[str, FrozenSet[int]], cards: Sequence[NewCard],
                       seen: Dict[str, Tuple[str, FrozenSet[str]]]) -> bool:
    for card in cards:
        if card.kind != note.kind:
            continue
        if card.card_id not in seen:
            text = plain_text(card.text)
            seen[card.card_id] = (text, _trigrams(text))
        text, grams = seen[card.card_id]
        if _could_reach(a, windows, grams, PAIR_THRESHOLD) and _similarity(a, text) >= PAIR_THRESHOLD:
            return True
    return False


def _newest_of_chain(cid: str, nids: List[int], scores: Dict[Tuple[int, str], float],
                     by_note: Dict[int, List[str]], texts: Dict[int, str],
                     suspended: FrozenSet[int] = frozenset(), plain: Optional[Dict[int, str]] = None) -> Optional[int]:
    """The old note a card takes when several resemble it because they are
    versions of one card: Polar made a new card on every edit and the old
    sync a note for each (v1, v2, ...), so a card edited again since (v3)
    resembles all of them. The newest version takes the card when the card
    is an edit of it, it resembles no other new card, and every older one
    is an earlier version of a newer one: an edit of it, at least as close
    to it as to the card. Anything else (a sibling cloze, "France" beside
    "Germany") stays ambiguous, and the older versions stay leftovers.
    (Similarity is what survives of the old text, additions are free: v1 is
    often as close to v3 as v2 is, so "closest to the card" cannot decide.)
    Note ids are creation times: the old sync added each version as a new
    note, the last one last. A version the user suspended (every card: they
    kept studying another one of the duplicates) is passed over for the
    newest one they did not suspend. ``plain``: the notes' plain texts, as
    far as known (filled in)."""
    if len(nids) < 2:
        return None
    chain = sorted(nids)
    studied = [nid for nid in chain if nid not in suspended]
    newest = (studied or chain)[-1]
    if scores[(newest, cid)] < PAIR_THRESHOLD or by_note[newest] != [cid]:
        return None  # (first: most cards with rivals stop here, before comparing their notes)
    known = {} if plain is None else plain

    def text(nid: int) -> str:
        if nid not in known:
            known[nid] = plain_text(texts[nid])
        return known[nid]

    for i, nid in enumerate(chain[:-1]):
        to_card = scores[(nid, cid)]
        if not any(_similarity(text(nid), text(later)) >= max(PAIR_THRESHOLD, to_card) for later in chain[i + 1:]):
            return None
    return newest


class StudiedVersions:
    """Old notes the user studies (``old``), to find the one that is an
    earlier version of a card (:meth:`of`). Each note's text is prepared
    once: a first sync may ask for hundreds of cards against thousands of
    notes (a plain comparison of each pair took 0.3 s a card at 1,000)."""

    def __init__(self, old: Sequence[OldNote]) -> None:
        self.old = list(old)
        self._prepared: Dict[int, Tuple[str, Dict[str, FrozenSet[int]], int]] = {}

    def _prepare(self, note: OldNote) -> Tuple[str, Dict[str, FrozenSet[int]], int]:
        found = self._prepared.get(note.note_id)
        if found is None:
            text = plain_text(note.text)
            windows = _windows(text)
            found = self._prepared[note.note_id] = (text, windows, max(map(len, windows.values()), default=0))
        return found

    def of(self, card: NewCard, taken: AbstractSet[int] = frozenset()) -> Optional[int]:
        """The one (not ``taken``) that is an earlier version of ``card``: of
        its document and kind, the card an edit of it; of several, the newest
        when each is an earlier version of a newer one (the old sync's note of
        each edit). None when none is, or several are that are no versions of
        each other."""
        text = plain_text(card.text)
        grams = _trigrams(text)
        found: List[int] = []
        texts: Dict[int, str] = {}
        for note in self.old:
            if note.note_id in taken or note.kind != card.kind or not same_document(note, card):
                continue
            old, windows, widest = self._prepare(note)
            if _could_reach(old, windows, grams, PAIR_THRESHOLD, widest) and _similarity(old, text) >= PAIR_THRESHOLD:
                found.append(note.note_id)
                texts[note.note_id] = old
        found.sort()
        for i, nid in enumerate(found[:-1]):
            if not any(_similarity(texts[nid], texts[later]) >= PAIR_THRESHOLD for later in found[i + 1:]):
                return None
        return found[-1] if found else None


def legacy_kind(kind: str) -> str:
    """The old sync's two types: every basic kind went to "Basic"."""
    return "cloze" if kind == "cloze" else "basic"


def old_sync_decks(labels: Sequence[str], deck: str, title: str = "") -> FrozenSet[str]:
    """Deck names (lower-case) the old sync may have put a document's notes in:
    the deck this add-on chose, the last ``deck:`` tag with ``/`` as ``::``
    and, before Polar fixed nesting, only its first level (Polar #758);
    "Default" for a document without one, or its ``title`` (Polar before
    1.8 made a deck per document, ``DocInfos.bestTitle``)."""
    names = {deck.lower()}
    tags = [label[len("deck:"):] for label in labels if label.lower().startswith("deck:")]
    if tags:
        full = tags[-1].replace("/", "::").strip().lower()
        names |= {full, full.split("::")[0]}
    else:
        names.add("default")
        if title.strip():
            names.add("::".join(part.strip() for part in title.split("::")).lower())
    return frozenset(composed(name) for name in names)


def old_sync_deck_names(labels: Sequence[str]) -> List[str]:
    """The names Polar's old sync gave the deck of a document's ``deck:``
    tag (its last one), where they may differ from this add-on's: Polar 2.x
    (``Decks.toSubDeck``) made ``/`` a level and ``_`` a space
    (``deck:machine_learning/deep_nets`` → "machine learning::deep nets"),
    Polar 1.x made ``_`` a level ("machine::learning"), and before it knew
    sub-decks left ``/`` as it was (``deck:compsci/os`` → a deck named
    "compsci/os"). This add-on keeps ``_`` and makes ``/`` a level."""
    tags = [label[len("deck:"):] for label in labels if label.lower().startswith("deck:")]
    if not tags or ("_" not in tags[-1] and "/" not in tags[-1]):
        return []
    value = tags[-1]
    names = [value.replace("/", "::").replace("_", " "), value.replace("_", "::").replace("/", "::"),
             value.replace("_", "::")]
    return list(dict.fromkeys(names))
