"""Which of the cards the sync suspended the person touched since, read from
the review log: a suspension such a card has now is theirs (or Anki's leech
action's), and a restore leaves it (``apply.still_suspended_by_sync``).

A review counts, and so does Set Due Date or Forget (a row of type 4, of no
ease): Anki unsuspends each card it does either to. An FSRS reschedule does
not: Anki 23.10's "Reschedule cards on change" logs every card of the preset
it reschedules with that same row (type 4, no ease, its interval and
difficulty as Set Due Date under FSRS writes them), suspended cards too, and
leaves them suspended; later Ankis log type 5 and skip suspended cards. The
row alone cannot tell the two apart; its time can: a reschedule's rows are
written as the preset is saved (its ``mod``), while a person's Set Due Date
needs the Browser, opened after the deck options closed; and so can the
card: a reschedule leaves it suspended, a Set Due Date or Forget does not,
so a card still suspended and unchanged since its last such row was not
given one by the person (the preset saved again since, for a daily limit,
moves its ``mod`` away from the reschedule's rows)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Set

from .sql import in_chunks

MANUAL = 4  # (revlog type: Set Due Date, Forget; 23.10's FSRS reschedule too)
SUSPENDED = -1  # (cards.queue)
# The rows of one reschedule, in seconds from the preset's save: the save's
# second (its ``mod``) and what follows within the one op (a few seconds for
# tens of thousands of cards on a slow machine).
RESCHEDULE_BEFORE_S = 1
RESCHEDULE_AFTER_S = 30


def touched_since(col: Any, stamped: Dict[int, int]) -> Set[int]:
    """The cards of ``stamped`` (card id -> when the sync suspended it, in
    milliseconds as revlog ids are) with a review, a Set Due Date or a Forget
    logged after it. One query of the review log; a second look only for
    cards whose only later rows are of type 4, in a collection using FSRS."""
    db = col.db
    touched: Set[int] = set()
    manual: Dict[int, List[int]] = defaultdict(list)
    for marks, chunk in in_chunks(sorted(stamped)):
        for cid, rid, ease in db.all(f"SELECT cid, id, ease FROM revlog WHERE cid IN ({marks}) "
                                     f"AND (ease > 0 OR type = {MANUAL})", *chunk):
            if int(rid) <= stamped[int(cid)]:
                continue
            if int(ease) > 0:
                touched.add(int(cid))
            else:
                manual[int(cid)].append(int(rid))
    for cid in touched:
        manual.pop(cid, None)
    if manual and col.get_config("fsrs", False):
        saved = _presets_saved(col, sorted(manual))
        manual = {cid: [r for r in rows if not _in_reschedule(r, saved.get(cid))] for cid, rows in manual.items()}
    manual = {cid: rows for cid, rows in manual.items() if rows}
    if manual:
        # A row that left its card suspended: the card is suspended now and
        # unchanged since the row (its ``mod``, in seconds, written in the
        # same op: the row's second), so the row was no Set Due Date or
        # Forget (they unsuspend it, and the person's suspending again comes
        # a second later at least). 23.10's reschedule after the preset was
        # saved again (a daily limit changed: a new ``mod``, no new row),
        # which the rule above no longer finds at the save.
        for marks, chunk in in_chunks(sorted(manual)):
            for cid, queue, mod in col.db.all(f"SELECT id, queue, mod FROM cards WHERE id IN ({marks})", *chunk):
                rows = manual[int(cid)]
                if int(queue) == SUSPENDED and int(mod) <= max(rows) // 1000:
                    rows.remove(max(rows))
    touched.update(cid for cid, rows in manual.items() if rows)
    return touched


def _presets_saved(col: Any, cids: List[int]) -> Dict[int, int]:
    """card id -> when its home deck's preset was last saved (seconds)."""
    homes: Dict[int, int] = {}
    for marks, chunk in in_chunks(cids):
        for cid, did, odid in col.db.all(f"SELECT id, did, odid FROM cards WHERE id IN ({marks})", *chunk):
            homes[int(cid)] = int(odid) or int(did)
    mods: Dict[int, int] = {}
    for did in set(homes.values()):
        conf = col.decks.config_dict_for_deck_id(did)
        mods[did] = int(conf.get("mod", 0) or 0)
    return {cid: mods[did] for cid, did in homes.items()}


def _in_reschedule(rid: int, saved: Any) -> bool:
    if not saved:
        return False
    return -RESCHEDULE_BEFORE_S <= rid // 1000 - int(saved) <= RESCHEDULE_AFTER_S
