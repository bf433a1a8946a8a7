"""What a person does in Anki between syncs stays done.

The study-data machine (test_study_data.py) with ordinary Anki actions added,
each through Anki's public collection API: suspend, unsuspend, bury, flag, Set
Due Date, Forget, Reposition, Change Deck, rename a deck, rename a tag, add and
remove tags, delete a note, Change Note Type, Find and Replace, Check Database,
Undo. Around every sync it compares the collection before and after, with what
README and docs/ promise:

* a card's flag, scheduling (type, interval, ease, reps, lapses, home due) and
  queue stay as the user left them; the only queue changes a sync makes are its
  own suspension of a note whose card is gone from Polar (Removed in Polar:
  suspend, the note tagged polar::deleted) and taking back exactly such a
  suspension when the card returns (docs/notes-and-fields.md, "A card deleted
  in Polar");
* a card stays in its home deck unless its document's deck changed in Polar
  (docs/decks.md: "A card you moved in Anki stays where you put it until the
  document's Polar deck changes"; a renamed deck is followed);
* no note is deleted unless Removed in Polar is "delete"; no note changes note
  type; tags the user added stay; a Polar tag the user removed or renamed stays
  removed until Polar adds it anew (docs/notes-and-fields.md, Tags);
* text the user typed stays unless Polar changed that document's cards since
  the last sync and Edited in both is "polar_wins";
* a note the user deleted stays deleted with Deleted in Anki "leave_deleted"
  (unless its card changed in Polar), and comes back with "make_again";
* a second sync straight after changes nothing.
"""

from __future__ import annotations

import os
import time
from typing import Dict, List, Optional, Set, Tuple

import pytest
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from addon.sync.identity import guid_for
from tests.polar_factory import Doc
from tests.reliability.helpers import RELIABLE, run_sync
from tests.reliability.test_study_data import DOC_KEYS, POLICIES, StudyMachine

USER_TAGS = ("mine", "mytag")
TOPICS = ("topic_a", "topic_b")
# The bug test_a_note_deleted_in_anki_never_takes_the_note_of_a_card_gone_from_polar
# showed (fixed in plan.Planner.document) was dodged by the machine while it was open;
# USER_ACTIONS_DODGE=1 dodges it again (a hunt for something else past it): no note is
# deleted in Anki while a card of its document is gone from Polar since the last sync,
# and no card goes while such a note's card is in Polar.
DODGE = os.environ.get("USER_ACTIONS_DODGE", "0") == "1"
CardRow = Tuple[int, int, int, int, int, int, int, int, int, int, int, int]
_CARD_COLS = "id, nid, did, odid, queue, type, due, odue, ivl, factor, reps, lapses, flags"


def _choose(data: st.DataObject, items: List, most: int) -> List:
    """1..most of ``items`` (Anki's ids, made from the clock): drawn as
    indexes, so that the draws are the same whatever the ids (Hypothesis
    replays an example by its draws)."""
    k = data.draw(st.integers(1, most))
    picks = data.draw(st.lists(st.integers(0, 63), min_size=k, max_size=k))
    return list(dict.fromkeys(items[i % len(items)] for i in picks))


def _cards(col) -> Dict[int, CardRow]:
    return {r[0]: tuple(r[1:]) for r in col.db.all(f"select {_CARD_COLS} from cards")}


def _notes(col) -> Dict[int, Tuple[str, int, Tuple[str, ...], str]]:
    return {nid: (guid, mid, tuple(str(tags).split()), flds)
            for nid, guid, mid, tags, flds in col.db.all("select id, guid, mid, tags, flds from notes")}


class UserActionsMachine(StudyMachine):
    def __init__(self) -> None:
        super().__init__()
        self.conflict = "polar_wins"
        self.deleted_in_anki = "make_again"
        self.sync_suspended: Dict[int, int] = {}  # card id -> ms when a sync suspended it
        self.deck_changed: Set[str] = set()  # documents whose Polar deck changed since the last sync
        self.content_changed: Set[str] = set()  # documents whose cards Polar changed since the last sync
        self.user_text: Dict[int, List[str]] = {}  # note id -> text the user typed or replaced in
        self.tag_removed: Set[Tuple[int, str]] = set()  # (note id, Polar tag) the user removed or renamed
        self.user_deleted: Dict[str, str] = {}  # guid -> its document, of notes the user deleted
        self.log: List[str] = []
        self.cards_gone: Set[str] = set()  # documents a card went from since the last sync
        self.card_doc: Dict[str, str] = {}  # Polar card id -> its document, of cards edited away

    # -- setup -------------------------------------------------------------
    @initialize(policy=st.sampled_from(POLICIES), conflict=st.sampled_from(["polar_wins", "anki_wins"]),
                deleted=st.sampled_from(["make_again", "leave_deleted"]))
    def start(self, policy: str, conflict: str = "polar_wins", deleted: str = "make_again") -> None:
        self.policy, self.conflict, self.deleted_in_anki = policy, conflict, deleted
        for n, key in enumerate(DOC_KEYS):
            doc = Doc(self.lib, key, f"Study {n}", tags=[f"deck:Study/{n}", TOPICS[n % 2]])
            doc.text_highlight(f"{key[:9]}H1", f"highlight {n}")
            for _ in range(3):
                self._new_card(doc)
            doc.write()
            self.docs[key] = doc
        self._sync()
        self.scm = self.col.db.scalar("select scm from col")

    def _sync(self) -> None:
        run_sync(self.col, self.lib, self.state, deletion_policy=self.policy, delete_max_share=1.0,
                 conflict_policy=self.conflict, deleted_in_anki=self.deleted_in_anki)

    # -- helpers -----------------------------------------------------------
    def _doc_of_guid(self, guid: str) -> Optional[str]:
        if not guid.startswith("polar:"):
            return None
        cid = guid[len("polar:"):]
        for key, doc in list(self.docs.items()) + list(self.removed.items()):
            if cid in self._cards(doc):
                return key
        if cid in self.deleted_cards:
            return self.deleted_cards[cid][0]
        return self.card_doc.get(cid)

    def _live_guids(self) -> Set[str]:
        return {guid_for(cid) for d in self.docs.values() for cid in self._cards(d)}

    def _pick_cids(self, data: st.DataObject, where: str = "") -> List[int]:
        cids = sorted(self.col.db.list(f"select id from cards {where}"))
        if not cids:
            return []
        return _choose(data, cids, 3)

    def _pick_nids(self, data: st.DataObject, where: str = "") -> List[int]:
        nids = sorted(self.col.db.list(f"select id from notes {where}"))
        if not nids:
            return []
        return _choose(data, nids, 2)

    def _forget_missing(self) -> None:
        existing = set(self.col.db.list("select id from cards"))
        self.reviewed &= existing
        notes = set(self.col.db.list("select id from notes"))
        self.user_text = {n: t for n, t in self.user_text.items() if n in notes}

    # -- Polar side: note what changed --------------------------------------
    def _dodge(self, data: st.DataObject) -> bool:
        """A hunt past the bug found (USER_ACTIONS_DODGE): no card goes from a
        document while a note of it deleted in Anki has its card in Polar."""
        return DODGE and bool(set(self.user_deleted.values()) & set(self.docs))

    @rule(data=st.data())
    def polar_edit(self, data: st.DataObject) -> None:
        if self._dodge(data):
            return
        self.cards_gone |= set(self.docs)
        before = {k: self._cards(d) for k, d in self.docs.items()}
        self.card_doc.update({cid: k for k, cids in before.items() for cid in cids})
        super().polar_edit(data)
        self.content_changed |= {k for k, d in self.docs.items() if self._cards(d) != before.get(k)}

    @rule(data=st.data(), to_cloze=st.booleans())
    def polar_edit_in_place(self, data: st.DataObject, to_cloze: bool) -> None:
        import json

        def contents() -> Dict[Tuple[str, str], str]:
            return {(key, cid): json.dumps(doc.find_card(cid)[1], sort_keys=True)
                    for key, doc in self.docs.items() for cid in self._cards(doc)}

        before = contents()
        StudyMachine.polar_edit_in_place(self, data, to_cloze)
        for (key, cid), text in contents().items():
            if before.get((key, cid)) != text:
                self.content_changed.add(key)
                self.user_deleted.pop(guid_for(cid), None)  # changed in Polar: made again

    @rule(data=st.data())
    def polar_delete_card(self, data: st.DataObject) -> None:
        if self._dodge(data):
            return
        doc, cards = self._pick_doc(data)
        if cards:
            cid = data.draw(st.sampled_from(cards))
            self.cards_gone.add(doc.fp)
            from copy import deepcopy
            num, raw = doc.find_card(cid)
            self.deleted_cards[cid] = (doc.fp, deepcopy(raw), num)
            doc.delete_card(cid)
            doc.write()
            self.user_deleted.pop(guid_for(cid), None)  # deleted in Polar: forgotten

    # (polar_readd_card: the study machine's, as it is)

    @rule(data=st.data())
    def polar_add_card(self, data: st.DataObject) -> None:
        before = {key: set(self._cards(doc)) for key, doc in self.docs.items()}
        StudyMachine.polar_add_card(self, data)
        # may be paired with a card deleted since
        self.content_changed.update(key for key, doc in self.docs.items() if set(self._cards(doc)) != before[key])

    @rule(data=st.data(), deck=st.sampled_from(["Study/Moved", "Other", "Study/0", "Custom Study Session",
                                                "Custom Study Session/Part"]))
    def polar_move_deck(self, data: st.DataObject, deck: str) -> None:
        doc, _ = self._pick_doc(data)
        for label in list(doc.meta["docInfo"]["tags"]):
            doc.untag(label)
        doc.tag(f"deck:{deck}")
        doc.write()
        self.deck_changed.add(doc.fp)

    @rule(data=st.data(), topic=st.sampled_from(TOPICS))
    def polar_tag_document(self, data: st.DataObject, topic: str) -> None:
        doc, _ = self._pick_doc(data)
        if topic in doc.meta["docInfo"]["tags"]:
            doc.untag(topic)
        else:
            doc.tag(topic)
            # added anew in Polar: it may come back where the user removed it
            self.tag_removed = {(n, t) for n, t in self.tag_removed if t != topic}
        doc.write()

    @precondition(lambda self: len(self.docs) > 1)
    @rule(data=st.data())
    def polar_delete_document(self, data: st.DataObject) -> None:
        doc, _ = self._pick_doc(data)
        doc.remove()
        self.removed[doc.fp] = self.docs.pop(doc.fp)
        for cid in self._cards(doc):
            self.user_deleted.pop(guid_for(cid), None)

    @precondition(lambda self: bool(self.removed))
    @rule(data=st.data())
    def polar_restore_document(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.removed)))
        doc = self.removed.pop(key)
        doc.write()
        self.docs[key] = doc

    # -- Anki side: the user's actions ---------------------------------------
    @rule(data=st.data())
    def anki_suspend(self, data: st.DataObject) -> None:
        cids = self._pick_cids(data)
        if cids:
            self.col.sched.suspend_cards(cids)
            self.log.append(f"suspend {cids}")

    @rule(data=st.data())
    def anki_unsuspend(self, data: st.DataObject) -> None:
        cids = self._pick_cids(data, "where queue = -1")
        if cids:
            self.col.sched.unsuspend_cards(cids)
            self.log.append(f"unsuspend {cids}")

    @rule(data=st.data())
    def anki_bury(self, data: st.DataObject) -> None:
        cids = self._pick_cids(data)
        if cids:
            self.col.sched.bury_cards(cids)
            self.log.append(f"bury {cids}")

    @rule(data=st.data(), flag=st.integers(0, 7))
    def anki_flag(self, data: st.DataObject, flag: int) -> None:
        cids = self._pick_cids(data)
        if cids:
            self.col.set_user_flag_for_cards(flag, cids)
            self.log.append(f"flag {flag} {cids}")

    @rule(data=st.data(), days=st.sampled_from(["0", "3", "1-5", "10!"]))
    def anki_set_due(self, data: st.DataObject, days: str) -> None:
        cids = self._pick_cids(data)
        if cids:
            self.col.sched.set_due_date(cids, days)
            self.log.append(f"set due {days} {cids}")

    @rule(data=st.data(), restore=st.booleans())
    def anki_forget(self, data: st.DataObject, restore: bool) -> None:
        cids = self._pick_cids(data)
        if cids:
            self.col.sched.schedule_cards_as_new(cids, restore_position=restore, reset_counts=False)
            self.log.append(f"forget {cids}")

    @rule(data=st.data(), start=st.integers(0, 50), shift=st.booleans())
    def anki_reposition(self, data: st.DataObject, start: int, shift: bool) -> None:
        cids = self._pick_cids(data, "where type = 0 and queue = 0")
        if cids:
            self.col.sched.reposition_new_cards(cids, starting_from=start, step_size=1, randomize=False,
                                                shift_existing=shift)
            self.log.append(f"reposition {cids} {start}")

    @rule(data=st.data(), deck=st.sampled_from(["Mine", "Mine::Sub", "Study::2", "Default"]))
    def anki_change_deck(self, data: st.DataObject, deck: str) -> None:
        cids = self._pick_cids(data)
        if cids:
            did = self.col.decks.id(deck)
            assert did is not None
            if self.col.decks.get(did)["dyn"]:
                return
            self.col.set_deck(cids, did)
            self.log.append(f"set deck {deck} {cids}")

    @rule(data=st.data(), to=st.sampled_from(["Renamed", "Mine::Kept", "Study::Again"]))
    def anki_rename_deck(self, data: st.DataObject, to: str) -> None:
        names = sorted(d.name for d in self.col.decks.all_names_and_ids()
                       if d.name.startswith(("Study", "Other")) and not self.col.decks.get(d.id)["dyn"])
        if not names or self.col.decks.id_for_name(to) is not None:
            return
        name = _choose(data, names, 1)[0]
        if to.startswith(name + "::"):
            return
        self.col.decks.rename(self.col.decks.id_for_name(name), to)
        self.log.append(f"rename deck {name} -> {to}")

    @rule(data=st.data())
    def anki_add_tag(self, data: st.DataObject) -> None:
        nids = self._pick_nids(data)
        if nids:
            tag = data.draw(st.sampled_from(USER_TAGS))
            self.col.tags.bulk_add(nids, tag)
            self.log.append(f"add tag {tag} {nids}")

    @rule(data=st.data(), topic=st.sampled_from(TOPICS))
    def anki_remove_polar_tag(self, data: st.DataObject, topic: str) -> None:
        nids = self._pick_nids(data)
        if nids:
            had = [n for n in nids if self.col.get_note(n).has_tag(topic)]
            self.col.tags.bulk_remove(nids, topic)
            self.tag_removed |= {(n, topic) for n in had}
            self.log.append(f"remove tag {topic} {nids}")

    @rule(topic=st.sampled_from(TOPICS))
    def anki_rename_polar_tag(self, topic: str) -> None:
        nids = self.col.find_notes(f"tag:{topic}")
        if nids:
            self.col.tags.rename(topic, f"renamed_{topic}")
            self.tag_removed |= {(n, topic) for n in nids}
            self.log.append(f"rename tag {topic}")

    @rule(data=st.data())
    def anki_take_back(self, data: st.DataObject) -> None:
        """README: remove the tag and unsuspend it to keep the note as yours."""
        nids = self._pick_nids(data, "where tags like '%polar::deleted%'")
        if nids:
            self.col.tags.bulk_remove(nids, "polar::deleted")
            cids = self.col.db.list(f"select id from cards where nid in ({','.join(map(str, nids))})")
            self.col.sched.unsuspend_cards(cids)
            self.log.append(f"take back {nids}")

    @rule(data=st.data())
    def anki_delete_note(self, data: st.DataObject) -> None:
        nids = self._pick_nids(data, "where guid like 'polar:%'")
        if DODGE:
            nids = [n for n in nids if self._doc_of_guid(self.col.db.scalar(
                "select guid from notes where id = ?", n)) not in self.cards_gone | {None}]
        if nids:
            for nid in nids:
                guid = self.col.db.scalar("select guid from notes where id = ?", nid)
                key = self._doc_of_guid(guid)
                if key is not None and key in self.docs:
                    self.user_deleted[guid] = key
            self.col.remove_notes(nids)
            self._forget_missing()
            self.log.append(f"delete notes {nids}")

    @rule(data=st.data(), to=st.sampled_from(["Basic (and reversed card)", "Basic+", "Cloze+", "Basic"]))
    def anki_change_notetype(self, data: st.DataObject, to: str) -> None:
        mm = self.col.models
        for stock, name in (("Basic", "Basic+"), ("Cloze", "Cloze+")):
            if name == to and mm.by_name(name) is None:
                # A copy with a field of the user's, as Tools ▸ Manage Note Types ▸ Add makes it.
                m = mm.copy(mm.by_name(stock), add=False)
                m["name"] = name
                mm.add_field(m, mm.new_field("My notes"))
                mm.add_dict(m)
        target = mm.by_name(to)
        kind = "Cloze" if "Cloze" in to else "Basic"
        sources = [m["id"] for m in self.col.models.all() if (m["type"] == 1) == (kind == "Cloze")
                   and m["id"] != target["id"]]
        nids = sorted(n for mid in sources for n in self.col.models.nids(mid))
        if not nids:
            return
        pick = _choose(data, nids, 2)
        mid = self.col.get_note(pick[0]).mid
        pick = [n for n in pick if self.col.get_note(n).mid == mid]
        info = self.col.models.change_notetype_info(old_notetype_id=mid, new_notetype_id=target["id"])
        request = info.input
        request.note_ids.extend(pick)
        self.col.models.change_notetype_of_notes(request)
        self.scm = self.col.db.scalar("select scm from col")  # Anki's own full-sync demand
        self._forget_missing()
        self.log.append(f"change notetype {pick} -> {to}")

    @rule(data=st.data())
    def anki_edit(self, data: st.DataObject) -> None:
        nids = sorted(self.col.find_notes(""))
        if nids:
            nid = _choose(data, nids, 1)[0]
            note = self.col.get_note(nid)
            self.counter += 1
            mark = f"(my note {self.counter})"
            note.fields[0] += " " + mark
            self.col.update_note(note)
            self.user_text.setdefault(nid, []).append(mark)
            self.log.append(f"edit {nid}")

    @rule(data=st.data())
    def anki_find_replace(self, data: st.DataObject) -> None:
        nids = self._pick_nids(data, "where guid like 'polar:%'")
        if nids:
            self.counter += 1
            mark = f"REPL{self.counter}"
            self.col.find_and_replace(note_ids=nids, search="q", replacement=mark, field_name="Front")
            for nid in nids:
                if mark in self.col.db.scalar("select flds from notes where id = ?", nid):
                    self.user_text.setdefault(nid, []).append(mark)
            self.log.append(f"find/replace {nids}")

    @rule()
    def anki_check_database(self) -> None:
        self.col.fix_integrity()
        self.scm = self.col.db.scalar("select scm from col")

    @rule()
    def anki_undo(self) -> None:
        status = self.col.undo_status()
        if not status.undo:
            return
        self.col.undo()
        self.log.append(f"undo {status.undo}")
        # What the trackers knew may be undone: start afresh from here.
        self.revlog = self.col.db.scalar("select count() from revlog")
        self.scm = self.col.db.scalar("select scm from col")  # undoing a Change Note Type is Anki's
        self._forget_missing()
        self.user_text.clear()
        self.tag_removed.clear()
        present = set(self.col.db.list("select guid from notes"))
        self.user_deleted = {g: k for g, k in self.user_deleted.items() if g not in present}
        # an undone sync is done again by the next one: its moves and suspensions too
        self.deck_changed |= set(self.docs) | set(self.removed)
        self.content_changed |= set(self.docs) | set(self.removed)
        self.cards_gone |= set(self.docs) | set(self.removed)
        self.undone = True

    @rule(empty=st.booleans())
    def anki_filtered_session(self, empty: bool) -> None:
        from anki.errors import FilteredDeckError
        try:
            super().anki_filtered_session(empty)
        except FilteredDeckError:
            pass  # no card matched (its decks renamed): Anki says so, nothing made

    # -- the sync, checked --------------------------------------------------------
    @rule()
    def sync(self) -> None:
        cards0, notes0 = _cards(self.col), _notes(self.col)
        scm0 = self.col.db.scalar("select scm from col")
        at = int(time.time() * 1000)
        super().sync()
        cards1, notes1 = _cards(self.col), _notes(self.col)
        assert self.col.db.scalar("select scm from col") == scm0, "the sync changed the schema"
        self._check(cards0, notes0, cards1, notes1, at)
        # text the sync was allowed to replace (Polar's version won) is not the user's any more
        self.user_text = {n: [m for m in marks if m in notes1[n][3]]
                          for n, marks in self.user_text.items() if n in notes1}
        again = run_sync(self.col, self.lib, self.state, deletion_policy=self.policy, delete_max_share=1.0,
                         conflict_policy=self.conflict, deleted_in_anki=self.deleted_in_anki)
        assert not again.changed, ("a second sync changed something", again.to_dict(), self.log[-8:])
        self.deck_changed.clear()
        self.content_changed.clear()
        self.cards_gone.clear()
        self.undone = False
        self.log.append("sync")

    def teardown(self) -> None:
        try:
            if self.scm is not None:
                from tests.reliability.helpers import integrity_problems
                # What Check Database finds after the user's actions alone is Anki's
                # (Set Due Date on a card reviewed and forgotten adds no review time).
                integrity_problems(self.col)
                self.scm = self.col.db.scalar("select scm from col")
                self.sync()  # checked, and a second sync after it changes nothing
                assert integrity_problems(self.col) == []
        finally:
            self.col.close()
            import shutil
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _check(self, cards0, notes0, cards1, notes1, at: int) -> None:
        live = self._live_guids()
        problems: List[str] = []
        guids1 = {v[0]: k for k, v in notes1.items()}
        for nid, (guid, mid, tags, _flds) in notes0.items():
            if nid not in notes1:
                # (a card that changed kind gets a new note; its old one goes by Removed in Polar)
                if not (self.policy == "delete" and (guid not in live or guids1.get(guid, nid) != nid)):
                    problems.append(f"note {nid} ({guid}) deleted by the sync under {self.policy}")
                continue
            guid1, mid1, tags1, flds1 = notes1[nid]
            if mid1 != mid:
                problems.append(f"note {nid} moved from note type {mid} to {mid1}")
            lower1 = {t.lower() for t in tags1}
            for t in tags:
                if t.lower() in USER_TAGS or t.lower().startswith("renamed_"):
                    if t.lower() not in lower1:
                        problems.append(f"note {nid} lost the user's tag {t}")
            for mark in self.user_text.get(nid, []):
                if mark not in flds1 and (self.conflict == "anki_wins"
                                          or self._doc_of_guid(guid) not in self.content_changed):
                    problems.append(f"note {nid} ({guid}) lost the user's text {mark!r}: {flds1!r}")
        for nid, topic in self.tag_removed:
            if nid in notes1 and topic in {t.lower() for t in notes1[nid][2]}:
                problems.append(f"note {nid}: the Polar tag {topic} the user removed is back")
        # notes the user deleted
        for guid, key in self.user_deleted.items():
            if key not in self.docs or guid not in live:
                continue
            if self.deleted_in_anki == "leave_deleted" and guid in guids1 and not self.undone:
                problems.append(f"note of {guid}, deleted in Anki, made again under leave_deleted")
            if self.deleted_in_anki == "make_again" and guid not in guids1:
                problems.append(f"note of {guid}, deleted in Anki, not made again under make_again")
        for cid, row0 in cards0.items():
            if cid not in cards1:
                continue
            row1 = cards1[cid]
            nid, did0, odid0, q0, type0, due0, odue0, ivl0, factor0, reps0, lapses0, flags0 = row0
            _, did1, odid1, q1, type1, due1, odue1, ivl1, factor1, reps1, lapses1, flags1 = row1
            guid = notes1[nid][0]
            tags1 = notes1[nid][2]
            if flags1 != flags0:
                problems.append(f"card {cid}: flag {flags0} -> {flags1}")
            if (type0, ivl0, factor0, reps0, lapses0) != (type1, ivl1, factor1, reps1, lapses1):
                problems.append(f"card {cid}: scheduling {row0} -> {row1}")
            home0, home1 = (odue0 if odid0 else due0), (odue1 if odid1 else due1)
            # (Anki's Change Deck out of a filtered deck keeps the filtered due of a
            # card whose original due is 0, a new card repositioned to 0: Anki's own)
            if home0 != home1 and not (odid0 and not odid1 and odue0 == 0):
                problems.append(f"card {cid}: due {home0} -> {home1} ({row0} -> {row1})")
            hdeck0, hdeck1 = odid0 or did0, odid1 or did1
            key = self._doc_of_guid(guid)
            if hdeck0 != hdeck1 and key not in self.deck_changed and key is not None:
                problems.append(f"card {cid} ({guid}) moved from deck {self.col.decks.name(hdeck0)} to "
                                f"{self.col.decks.name(hdeck1)} though its document's deck did not change")
            if not odid0 and not odid1 and q0 != q1:
                orphan = any(t.lower().endswith("::deleted") for t in tags1) or not guid.startswith("polar:")
                if q1 == -1 and self.policy == "suspend" and orphan:
                    self.sync_suspended[cid] = at
                elif q0 == -1 and cid in self.sync_suspended:
                    # (a review, or Set Due Date / Forget: revlog type 4, which unsuspend in Anki)
                    studied = self.col.db.scalar(
                        "select max(id) from revlog where cid = ? and (ease > 0 or type = 4)", cid)
                    if studied and studied > self.sync_suspended[cid]:
                        problems.append(f"card {cid}: studied or rescheduled after the sync suspended it, "
                                        "unsuspended")
                    del self.sync_suspended[cid]
                else:
                    problems.append(f"card {cid} ({guid}): queue {q0} -> {q1} (tags {tags1})")
        assert not problems, "\n".join(problems + ["steps: " + "; ".join(self.log[-12:])])


UserActionsMachine.undone = False
TestUserActions = UserActionsMachine.TestCase
TestUserActions.settings = hsettings(RELIABLE, max_examples=100, stateful_step_count=30)
if os.environ.get("USER_ACTIONS_EXPLORE"):  # a local hunt: many examples, no shrinking
    from hypothesis import Phase
    TestUserActions.settings = hsettings(RELIABLE, max_examples=int(os.environ["USER_ACTIONS_EXPLORE"]),
                                         stateful_step_count=30, phases=[Phase.generate],
                                         derandomize=False, report_multiple_bugs=True)


# -- reproducers of what the machine found --------------------------------------


def _two_cards_on_one_highlight(tmp_path):
    """A document with two basic cards on one highlight (A, B)."""
    from tests.conftest import make_collection
    from tests.polar_factory import basic

    lib, state = tmp_path / "polar", tmp_path / "state.sqlite"
    col = make_collection(tmp_path / "col" / "collection.anki2")
    doc = Doc(lib, "1UserDocA000000000000000", "A book", tags=["deck:Books"])
    doc.text_highlight("1UserHl1", "a highlight")
    doc.card("1UserCardA", basic("Who wrote Hamlet?", "Shakespeare"), ref="text-highlight:1UserHl1")
    doc.card("1UserCardB", basic("Who wrote Macbeth?", "Shakespeare"), ref="text-highlight:1UserHl1")
    doc.write()
    return col, lib, state, doc


def _nid(col, card_id):
    return col.db.scalar("select id from notes where guid = ?", guid_for(card_id))


@pytest.mark.parametrize("deleted_in_anki", ["make_again", "leave_deleted"])
@pytest.mark.parametrize("in_polar", ["deleted", "edited"])
def test_a_note_deleted_in_anki_never_takes_the_note_of_a_card_gone_from_polar(tmp_path, deleted_in_anki, in_polar):
    """Steps: Polar has cards A and B on one highlight; sync. In Anki the user
    studies A (its card due in 5 days) and deletes B's note. In Polar, card A
    is deleted (or edited: Polar re-creates it as A2). Sync.

    Seen before the fix: B was taken for A's edit: A's note, with A's reviews and due date, is
    rewritten to B's question ("updated" B in the report); A's note is never
    set aside (no polar::deleted, not suspended), and with Deleted in Anki
    "Leave them deleted" the note the user deleted is back. With A edited, A2
    is a new note without A's reviews.

    Expected (docs/notes-and-fields.md, "Edits, deletions and moves"): only a
    card *new* in Polar is taken for the edit of a gone one; B existed at the
    last sync. A deleted: A's note is suspended and tagged polar::deleted with
    its reviews; A edited: A2 takes A's note. B's note is made again as a new
    note (Make them again) or stays deleted (Leave them deleted)."""
    col, lib, state, doc = _two_cards_on_one_highlight(tmp_path)
    try:
        run_sync(col, lib, state, deleted_in_anki=deleted_in_anki)
        note_a = _nid(col, "1UserCardA")
        card_a = col.db.scalar("select id from cards where nid = ?", note_a)
        col.sched.set_due_date([card_a], "5")
        col.remove_notes([_nid(col, "1UserCardB")])
        if in_polar == "deleted":
            doc.delete_card("1UserCardA")
        else:
            from tests.polar_factory import basic
            doc.edit_card("1UserCardA", "1UserCardA2", basic("Which playwright wrote the tragedy Hamlet?",
                                                             "Shakespeare"))
        doc.write()
        run_sync(col, lib, state, deleted_in_anki=deleted_in_anki)

        assert "Hamlet" in col.get_note(note_a).fields[0], "A's note (its reviews) now asks B's question"
        if in_polar == "deleted":
            assert "polar::deleted" in col.get_note(note_a).tags
            assert col.db.scalar("select queue from cards where id = ?", card_a) == -1
        else:
            assert _nid(col, "1UserCardA2") == note_a
        made_again = _nid(col, "1UserCardB")
        if deleted_in_anki == "leave_deleted":
            assert made_again is None
        else:
            assert made_again is not None and made_again != note_a
    finally:
        col.close()


@pytest.mark.parametrize("in_polar", ["deleted", "edited"])
def test_a_card_left_deleted_never_takes_the_note_of_a_card_gone_beside_it(tmp_path, in_polar):
    """As above, with a sync between the deletion in Anki and Polar's change:
    B is then left deleted (Leave them deleted), a card with no row of its
    own, and was taken for A's edit all the same (the machine's find)."""
    col, lib, state, doc = _two_cards_on_one_highlight(tmp_path)
    try:
        run_sync(col, lib, state, deleted_in_anki="leave_deleted")
        note_a = _nid(col, "1UserCardA")
        col.remove_notes([_nid(col, "1UserCardB")])
        assert run_sync(col, lib, state, deleted_in_anki="leave_deleted").created == 0
        if in_polar == "deleted":
            doc.delete_card("1UserCardA")
        else:
            from tests.polar_factory import basic
            doc.edit_card("1UserCardA", "1UserCardA2", basic("Which playwright wrote the tragedy Hamlet?",
                                                             "Shakespeare"))
        doc.write()
        run_sync(col, lib, state, deleted_in_anki="leave_deleted")

        assert _nid(col, "1UserCardB") is None
        assert "Hamlet" in col.get_note(note_a).fields[0]
        if in_polar == "deleted":
            assert "polar::deleted" in col.get_note(note_a).tags
        else:
            assert _nid(col, "1UserCardA2") == note_a
    finally:
        col.close()
