"""Suite 5: never lose study data.

A hypothesis state machine interleaves Polar-side changes (edits that
re-create a card under a new id, in-place edits, type changes, deletions,
re-added cards, deck moves, deleted and restored documents) with Anki-side
study (answering cards through the real scheduler) and Anki-side edits, and
syncs in between, under each deletion policy; study happens in filtered
decks (a Custom Study session) too, and documents move into and out of them.
Invariants, after every step:

* the review log only grows;
* a card with reviews is never deleted, unless deletion_policy is "delete"
  (and then only as part of a note whose Polar card is gone);
* the collection schema (``scm``) never changes after the first sync, so
  AnkiWeb never demands a one-way full sync because of us;
* no two notes share a guid, and Check Database finds nothing at the end.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Dict, List, Set, Tuple

from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from addon.sync.identity import guid_for
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic, cloze
from tests.reliability.helpers import RELIABLE, integrity_problems, run_sync, snapshot

POLICIES = ("suspend", "tag", "keep", "delete")
TOTALS = {"reviews": 0, "syncs": 0, "sessions": 0}  # across all examples, to show the machine did study
SESSION = "Custom Study Session"  # a filtered deck, and a deck tag naming it
DOC_KEYS = ("1StudyDocA0000000000000a", "1StudyDocB0000000000000b", "1StudyDocC0000000000000c")


class StudyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="polar-study-"))
        self.lib = self.tmp / "polar"
        self.col = make_collection(self.tmp / "col" / "collection.anki2")
        self.state = self.tmp / "state.sqlite"
        self.docs: Dict[str, Doc] = {}
        self.removed: Dict[str, Doc] = {}  # deleted documents, to restore later
        self.deleted_cards: Dict[str, tuple] = {}  # card id -> (doc key, raw card) for re-adding
        self.counter = 0
        self.scm = None
        self.revlog = 0
        self.reviewed: Set[int] = set()  # card ids with review history
        self.policy = "suspend"
        self.removed_reviewed: Set[int] = set()  # reviewed cards the delete policy removed

    # -- setup -------------------------------------------------------------
    @initialize(policy=st.sampled_from(POLICIES))
    def start(self, policy: str) -> None:
        # A permissive share: the property is about what may be deleted at all.
        self.policy = policy
        for n, key in enumerate(DOC_KEYS):
            doc = Doc(self.lib, key, f"Study {n}", tags=[f"deck:Study/{n}"])
            doc.text_highlight(f"{key[:9]}H1", f"highlight {n}")
            for _ in range(3):
                self._new_card(doc)
            doc.write()
            self.docs[key] = doc
        self._sync()
        self.scm = self.col.db.scalar("select scm from col")

    def _new_card(self, doc: Doc, ctype: str = "") -> str:
        self.counter += 1
        cid = f"1St{self.counter:07d}"
        ctype = ctype or ("CLOZE" if self.counter % 3 == 0 else "BASIC_FRONT_BACK")
        fields = cloze(f"card {{{{c1::{self.counter}}}}}") if ctype == "CLOZE" else basic(f"q{self.counter}", "a")
        doc.card(cid, fields, ctype, ref=f"text-highlight:{doc.fp[:9]}H1")
        return cid

    def _cards(self, doc: Doc) -> List[str]:
        return sorted(cid for page in doc.meta["pageMetas"].values() for cid in page["flashcards"])

    def _pick_doc(self, data: st.DataObject) -> Tuple[Doc, List[str]]:
        doc = data.draw(st.sampled_from(sorted(self.docs.values(), key=lambda d: d.fp)))
        return doc, self._cards(doc)

    def _sync(self) -> None:
        run_sync(self.col, self.lib, self.state, deletion_policy=self.policy, delete_max_share=1.0)

    # -- Polar side ----------------------------------------------------------
    @rule(data=st.data())
    def polar_edit(self, data: st.DataObject) -> None:
        """Polar re-creates an edited card with a new id."""
        doc, cards = self._pick_doc(data)
        if cards:
            old = data.draw(st.sampled_from(cards))
            _, raw = doc.find_card(old)
            self.counter += 1
            new_fields = copy.deepcopy(raw["fields"])
            for value in new_fields.values():
                value["HTML"] = value["HTML"].replace("}}", f" edit{self.counter}}}}}", 1) if "{{c" in \
                    value["HTML"] else value["HTML"] + f" edit{self.counter}"
            doc.edit_card(old, f"1St{self.counter:07d}", new_fields)
            doc.write()

    @rule(data=st.data(), to_cloze=st.booleans())
    def polar_edit_in_place(self, data: st.DataObject, to_cloze: bool) -> None:
        """Old/mock data: same id, new content, possibly another card type."""
        doc, cards = self._pick_doc(data)
        if cards:
            cid = data.draw(st.sampled_from(cards))
            _, raw = doc.find_card(cid)
            if to_cloze:
                raw["type"], raw["fields"] = "CLOZE", cloze(f"now {{{{c1::cloze}}}} {{{{c2::{cid}}}}}")
            else:
                raw["type"], raw["fields"] = "BASIC_FRONT_BACK", basic(f"now basic {cid}", "b")
            doc.write()

    @rule(data=st.data())
    def polar_delete_card(self, data: st.DataObject) -> None:
        doc, cards = self._pick_doc(data)
        if cards:
            cid = data.draw(st.sampled_from(cards))
            num, raw = doc.find_card(cid)
            self.deleted_cards[cid] = (doc.fp, copy.deepcopy(raw), num)
            doc.delete_card(cid)
            doc.write()

    @precondition(lambda self: bool(self.deleted_cards))
    @rule(data=st.data())
    def polar_readd_card(self, data: st.DataObject) -> None:
        """A deleted card comes back (undo in Polar, a restored backup)."""
        cid = data.draw(st.sampled_from(sorted(self.deleted_cards)))
        key, raw, num = self.deleted_cards.pop(cid)
        doc = self.docs.get(key)
        if doc is not None:
            doc.page(num)["flashcards"][cid] = raw
            doc.write()

    @rule(data=st.data())
    def polar_add_card(self, data: st.DataObject) -> None:
        doc, _ = self._pick_doc(data)
        self._new_card(doc)
        doc.write()

    @rule(data=st.data(), deck=st.sampled_from(["Study/Moved", "Other", "Study/0", SESSION, f"{SESSION}/Part"]))
    def polar_move_deck(self, data: st.DataObject, deck: str) -> None:
        doc, _ = self._pick_doc(data)
        for label in list(doc.meta["docInfo"]["tags"]):
            doc.untag(label)
        doc.tag(f"deck:{deck}")
        doc.write()

    @precondition(lambda self: len(self.docs) > 1)
    @rule(data=st.data())
    def polar_delete_document(self, data: st.DataObject) -> None:
        doc, _ = self._pick_doc(data)
        doc.remove()
        self.removed[doc.fp] = self.docs.pop(doc.fp)

    @precondition(lambda self: bool(self.removed))
    @rule(data=st.data())
    def polar_restore_document(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.removed)))
        doc = self.removed.pop(key)
        doc.write()
        self.docs[key] = doc

    # -- Anki side -----------------------------------------------------------
    @rule(answers=st.integers(1, 6), ease=st.integers(1, 4))
    def study(self, answers: int, ease: int) -> None:
        done = 0
        for deck in sorted(self.col.decks.all_names_and_ids(), key=lambda d: d.id):
            self.col.decks.select(deck.id)
            while done < answers:
                card = self.col.sched.getCard()
                if card is None:
                    break
                self.col.sched.answerCard(card, ease)
                self.reviewed.add(card.id)
                TOTALS["reviews"] += 1
                done += 1

    @rule(empty=st.booleans())
    def anki_filtered_session(self, empty: bool) -> None:
        """A Custom Study session borrows cards from their home decks (and is
        emptied or rebuilt later); syncs meanwhile move documents."""
        did = self.col.decks.id_for_name(SESSION)
        if did is None:
            did = self.col.decks.new_filtered(SESSION)
            deck = self.col.sched.get_or_create_filtered_deck(did)
            deck.config.search_terms[0].search = "deck:Study* OR deck:Other"
            deck.config.search_terms[0].limit = 100
            deck.config.reschedule = True
            self.col.sched.add_or_update_filtered_deck(deck)
        elif not self.col.decks.get(did)["dyn"]:
            return  # a document's deck tag made a normal deck of that name first
        elif empty:
            self.col.sched.empty_filtered_deck(did)
        else:
            self.col.sched.rebuild_filtered_deck(did)
        TOTALS["sessions"] += 1

    @rule(data=st.data())
    def anki_edit(self, data: st.DataObject) -> None:
        nids = sorted(self.col.find_notes(""))
        if nids:
            note = self.col.get_note(data.draw(st.sampled_from(nids)))
            note.fields[0] += " (my note)"
            note.tags.append("mine")
            self.col.update_note(note)

    @rule()
    def sync(self) -> None:
        before = {cid for cid in self.reviewed if self.col.db.scalar("select count() from cards where id = ?", cid)}
        self._sync()
        after = {cid for cid in before if self.col.db.scalar("select count() from cards where id = ?", cid)}
        lost = before - after
        if self.policy != "delete":
            assert not lost, f"reviewed cards {sorted(lost)} deleted under policy {self.policy}"
        else:
            # Only notes whose Polar card is gone may go.
            live = {guid_for(cid) for d in self.docs.values() for cid in self._cards(d)}
            for cid in lost:
                guid = self.col.db.scalar("select guid from notes where id = (select nid from cards where id = ?)", cid)
                assert guid is None or guid not in live
            self.removed_reviewed |= lost
        TOTALS["syncs"] += 1

    # -- invariants ------------------------------------------------------------
    @invariant()
    def revlog_only_grows(self) -> None:
        n = self.col.db.scalar("select count() from revlog")
        assert n >= self.revlog
        self.revlog = n

    @invariant()
    def schema_unchanged(self) -> None:
        if self.scm is not None:
            assert self.col.db.scalar("select scm from col") == self.scm

    @invariant()
    def reviewed_cards_exist(self) -> None:
        missing = {cid for cid in self.reviewed - self.removed_reviewed
                   if not self.col.db.scalar("select count() from cards where id = ?", cid)}
        assert not missing, missing

    @invariant()
    def guids_unique(self) -> None:
        snapshot(self.col)

    def teardown(self) -> None:
        try:
            if self.scm is not None:
                self._sync()
                again = run_sync(self.col, self.lib, self.state, deletion_policy=self.policy, delete_max_share=1.0)
                assert not again.changed, again.to_dict()
                assert integrity_problems(self.col) == []
        finally:
            self.col.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


TestStudyData = StudyMachine.TestCase
TestStudyData.settings = hsettings(RELIABLE, max_examples=40, stateful_step_count=30)


def test_the_machine_studied_and_synced():
    # Runs after the state machine (file order): guards against a vacuous run.
    print(f"\nstudy-data machine: {TOTALS['reviews']} answers, {TOTALS['syncs']} syncs, {TOTALS['sessions']} sessions")
    assert TOTALS["reviews"] >= 100 and TOTALS["syncs"] >= 50 and TOTALS["sessions"] >= 10, TOTALS
