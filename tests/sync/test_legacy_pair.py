"""``legacy.pair``'s work and its result against the algorithm it replaced.

A first sync compared every leftover old-sync note with every new card of
its document that the trigram bound let through, and every card's
candidates with each other (``_newest_of_chain``): 500 old notes of a
five-word template (a user's cards edited in Polar since the old sync,
hundreds in one document) took 80 s. ``pair`` now stops at a note's second
candidate and scores a card's candidates only for a card that can be paired;
the result must be the old one for every input (below: ``reference_pair``, a
copy of the old code).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import addon.sync.legacy as legacy
from addon.sync.legacy import (
    PAIR_THRESHOLD,
    RIVAL_THRESHOLD,
    NewCard,
    OldNote,
    _answer_added_to,
    _could_reach,
    _similarity,
    _trigrams,
    _windows,
    plain_text,
    same_document,
    similarity,
)


def reference_pair(old: Sequence[OldNote], new: Sequence[NewCard],
                   chains: Optional[List[int]] = None) -> List[Tuple[int, str]]:
    """``legacy.pair`` before the legpair branch: every note against every card
    (``chains``: gets the note of each pair made as the newest of a chain)."""
    scores: Dict[Tuple[int, str], float] = {}
    by_note: Dict[int, List[str]] = {}
    by_card: Dict[str, List[int]] = {}
    plain_new = {card.card_id: plain_text(card.text) for card in new}
    grams = {cid: _trigrams(text) for cid, text in plain_new.items()}
    parts = {card.card_id: (plain_text(card.question), plain_text(card.answer)) for card in new
             if card.question and card.answer}
    for note in old:
        a = plain_text(note.text)
        windows = _windows(a)
        mine = (plain_text(note.question), plain_text(note.answer)) if note.question and note.answer else ("", "")
        for card in new:
            if card.kind != note.kind or not same_document(note, card):
                continue
            added = _answer_added_to(note, card, parts, mine) if mine[0] else 0.0
            if not added and not _could_reach(a, windows, grams[card.card_id], RIVAL_THRESHOLD):
                continue
            score = max(_similarity(a, plain_new[card.card_id]), added)
            if score >= RIVAL_THRESHOLD:
                scores[(note.note_id, card.card_id)] = score
                by_note.setdefault(note.note_id, []).append(card.card_id)
                by_card.setdefault(card.card_id, []).append(note.note_id)
    pairs = []
    for (nid, cid), score in sorted(scores.items()):
        if score >= PAIR_THRESHOLD and by_note[nid] == [cid] and by_card[cid] == [nid]:
            pairs.append((nid, cid))
    texts = {note.note_id: note.text for note in old}
    suspended = frozenset(note.note_id for note in old if note.suspended)
    for cid, nids in sorted(by_card.items()):
        newest = reference_newest_of_chain(cid, nids, scores, by_note, texts, suspended)
        if newest is not None:
            pairs.append((newest, cid))
            if chains is not None:
                chains.append(newest)
    return sorted(pairs)


def reference_newest_of_chain(cid: str, nids: List[int], scores: Dict[Tuple[int, str], float],
                              by_note: Dict[int, List[str]], texts: Dict[int, str],
                              suspended: FrozenSet[int] = frozenset()) -> Optional[int]:
    """``legacy._newest_of_chain`` before the legpair branch."""
    if len(nids) < 2:
        return None
    chain = sorted(nids)
    for i, nid in enumerate(chain[:-1]):
        to_card = scores[(nid, cid)]
        if not any(similarity(texts[nid], texts[later]) >= max(PAIR_THRESHOLD, to_card) for later in chain[i + 1:]):
            return None
    studied = [nid for nid in chain if nid not in suspended]
    newest = (studied or chain)[-1]
    if scores[(newest, cid)] < PAIR_THRESHOLD or by_note[newest] != [cid]:
        return None
    return newest


LABELS = frozenset({"deck:compsci/os", "os"})
DECKS = frozenset({"compsci::os", "compsci"})


def templated(n: int) -> Tuple[List[OldNote], List[NewCard]]:
    """As the old sync left them: a note per card, every card edited in Polar since."""
    old, new = [], []
    for i in range(n):
        question, answer = f"What is term number {i}?", f"answer {i}"
        old.append(OldNote(1_600_000_000_000 + i, "basic", f"{question} {answer}", LABELS | {"_polar-flashcard"},
                           "compsci::os", question=question, answer=answer))
        new.append(NewCard(f"1Card{i:06d}", "1Doc", "basic", f"{question} (edited) {answer}", LABELS, DECKS,
                           question=f"{question} (edited)", answer=answer))
    return old, new


def counted(monkeypatch) -> List[int]:
    calls: List[int] = []
    real = legacy._similarity
    monkeypatch.setattr(legacy, "_similarity", lambda a, b: calls.append(1) or real(a, b))
    return calls


def test_templated_old_notes_are_compared_a_bounded_number_of_times_each(monkeypatch):
    """Every note resembles every card (a template): each note is ambiguous
    at its second candidate, no card can be paired, so nothing more is
    compared. Before: n² comparisons in the loop and up to n² more in
    ``_newest_of_chain`` (at 200: 40,000 + 53,836; now 400)."""
    for n in (50, 150):
        old, new = templated(n)
        assert reference_pair(old, new) == []
        calls = counted(monkeypatch)
        assert legacy.pair(old, new) == []
        assert len(calls) <= 3 * n, (n, len(calls))
        monkeypatch.undo()


def test_one_card_paired_among_templated_ones_still_sees_all_its_rivals(monkeypatch):
    """A note with one candidate is paired only when that card has no other
    candidate: the card's candidates are all scored, templated or not."""
    old, new = templated(80)
    lone = OldNote(1_700_000_000_000, "basic", "Who schedules threads? The kernel", LABELS, "compsci::os",
                   question="Who schedules threads?", answer="The kernel")
    card = NewCard("1CardLone", "1Doc", "basic", "Who schedules the threads? The kernel", LABELS, DECKS,
                   question="Who schedules the threads?", answer="The kernel")
    calls = counted(monkeypatch)
    assert legacy.pair(old + [lone], new + [card]) == [(lone.note_id, "1CardLone")]
    assert len(calls) <= 3 * 81 + 81
    # a second note close to the lone card: ambiguous, as before
    twin = dataclasses.replace(lone, note_id=1_700_000_000_001, text="Who schedules threads? The kernel does")
    assert legacy.pair(old + [lone, twin], new + [card]) == reference_pair(old + [lone, twin], new + [card])


# --- the result is the old one: seeded random inputs --------------------------------------------

WORDS = ["process", "thread", "kernel", "paging", "memory", "cache", "disk", "what", "is", "the", "a",
         "of", "schedules", "fixed", "size", "blocks", "program", "execution", "élan", "café"]


def _sentence(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 7)))


def _edit(rnd: random.Random, text: str) -> str:
    words = text.split()
    for _ in range(rnd.randint(0, 2)):
        how = rnd.random()
        at = rnd.randint(0, len(words))
        if how < 0.5:
            words.insert(at, rnd.choice(WORDS + ["(edited)", "<b>x</b>", "&amp;"]))
        elif words and how < 0.8:
            words[min(at, len(words) - 1)] = rnd.choice(WORDS)
        elif words:
            del words[min(at, len(words) - 1)]
    return " ".join(words)


def _random_case(rnd: random.Random) -> Tuple[List[OldNote], List[NewCard]]:
    docs = []
    for d in range(rnd.randint(1, 3)):
        labels = frozenset(rnd.sample(["os", "deck:compsci/os", "bio", "ml", "x"], rnd.randint(0, 2)))
        decks = frozenset(rnd.sample(["default", "compsci::os", "bio", "ml"], rnd.randint(1, 2)))
        docs.append((f"doc{d}", labels, decks))
    template = rnd.random() < 0.4
    base = ["What is term number {}?", "{} is the capital of what?", "Define {} in an OS"]
    texts: List[Tuple[str, str]] = []
    for i in range(rnd.randint(1, 8)):
        if template:
            q = rnd.choice(base).format(rnd.choice([str(i), str(rnd.randint(0, 3)), rnd.choice(WORDS)]))
        else:
            q = _sentence(rnd)
        texts.append((q, rnd.choice(["", _sentence(rnd), f"answer {i}"])))
    old: List[OldNote] = []
    new: List[NewCard] = []
    ids = list(range(1000, 1000 + 40))
    rnd.shuffle(ids)
    for q, a in texts:
        doc, labels, decks = rnd.choice(docs)
        kind = rnd.choice(["basic", "basic", "cloze"])
        # the old sync's notes of this card's versions (0-3), then the card now (or none)
        qv, av = q, a
        for _ in range(rnd.choice([0, 1, 1, 1, 2, 3])):
            tags = labels | {"_polar-flashcard"} if rnd.random() < 0.85 else frozenset({"other"})
            deck = rnd.choice(sorted(decks)) if rnd.random() < 0.85 else "elsewhere"
            answer = av + " (mnemonic)" if av and rnd.random() < 0.2 else av
            old.append(OldNote(ids.pop(), kind if rnd.random() < 0.9 else "cloze", f"{qv} {answer}".strip(), tags,
                               deck, rnd.random() < 0.15, qv if answer else "", answer))
            qv = _edit(rnd, qv) if rnd.random() < 0.8 else qv
        if rnd.random() < 0.85:
            new.append(NewCard(f"c{len(new)}", doc, kind, f"{qv} {av}".strip(), labels, decks,
                               qv if av else "", av))
    if rnd.random() < 0.05 and new:  # a repeated card id (never from the plan, still the same answer)
        new.append(dataclasses.replace(rnd.choice(new), text=_sentence(rnd)))
    if rnd.random() < 0.05 and old:
        old.append(dataclasses.replace(rnd.choice(old), text=_sentence(rnd)))
    rnd.shuffle(old)
    rnd.shuffle(new)
    return old, new


def test_pair_gives_what_comparing_everything_gave_on_random_inputs():
    rnd = random.Random(20261206)
    paired = 0
    chained: List[int] = []
    for _ in range(4000):
        old, new = _random_case(rnd)
        expected = reference_pair(old, new, chained)
        assert legacy.pair(old, new) == expected, (old, new)
        paired += bool(expected)
    # the inputs reach the outcomes that matter: pairs, and the newest of a chain among them
    assert paired > 2000 and len(chained) > 500, (paired, len(chained))


def test_newest_of_chain_gives_what_it_gave_with_a_plain_text_cache():
    rnd = random.Random(7)
    for _ in range(2000):
        n = rnd.randint(2, 5)
        nids = list(range(1, n + 1))
        texts = {nid: _sentence(rnd) for nid in nids}
        for nid in nids[1:]:
            if rnd.random() < 0.7:
                texts[nid] = _edit(rnd, texts[nid - 1])
        scores = {(nid, "c"): rnd.choice([RIVAL_THRESHOLD, 0.7, PAIR_THRESHOLD, 0.9, 1.0]) for nid in nids}
        by_note = {nid: ["c"] if rnd.random() < 0.8 else ["c", "d"] for nid in nids}
        suspended = frozenset(nid for nid in nids if rnd.random() < 0.2)
        assert legacy._newest_of_chain("c", nids, scores, by_note, texts, suspended, {}) == \
            reference_newest_of_chain("c", nids, scores, by_note, texts, suspended)
