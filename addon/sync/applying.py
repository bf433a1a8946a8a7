"""What the apply steps share: the :class:`Applying` context one sync's steps
work on, and the keys of what they remember in the state file's ``meta``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, AbstractSet, Any, Dict, List, Optional, Set, Tuple

from .collection_view import NO_PROBE, NoteInfo, Probe, notes_fingerprint
from .journal import Generation
from .plan import Planner
from .read import LoadedDoc, Reading
from .report import Report
from .state import CardState, DocState, LeftDeleted, NoteIdChanges, StagedCards, SuspendRecords
from .write import UNDO_NAME

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckId
    from anki.notes import NoteId


# State keys: how many old-sync notes matched no card at the last look, and
# how many notes the collection held then (notes added since, by an import or
# AnkiWeb, may be old-sync notes too).
LEFTOVERS_KEY = "legacy_leftovers"
NOTES_SEEN_KEY = "legacy_notes_seen"
OLDER_KEY = "legacy_older_versions"  # leftovers that are older versions of a card taken over
# State key: when this add-on's first sync on this state was (ms, as a note
# id): an old-sync note younger than that, with the front of a note this
# add-on keeps, was added by Polar's own sync still running beside it.
OWNED_SINCE_KEY = "owned_since_ms"
COPIES_TOLD_KEY = "polar_copies_told"  # such notes the user studied, said once (ids)
# State key: the collection's schema stamp (``scm``) as the last sync left it.
SCHEMA_KEY = "schema_seen"
# State key: the note types holding Polar notes as the last sync left them
# (JSON: note type id -> name), to name one deleted in Anki with its notes
# (sync/left_deleted.py).
NOTE_TYPES_KEY = "note_types_held"
# State key: the ``fields_missing`` rows of the last sync (JSON list): told
# again while their note type still lacks the fields (the notes keep what
# they had there), and their documents read again once it has them back.
FIELDS_MISSING_KEY = "fields_missing"


@dataclass
class Applying:
    """What the apply steps share."""

    col: Collection
    reading: Reading
    dry_run: bool
    undo_name: str = UNDO_NAME  # Edit ▸ Undo's name for the sync (the GUI's language)
    leave_alone: AbstractSet[int] = frozenset()  # note ids not to write this time (open in an editor)
    set_aside_later: AbstractSet[int] = frozenset()  # note ids not to set aside this time (in the reviewer)
    # note id -> document key: notes left out because Anki's v1 scheduler refuses their moves or suspensions
    held_for_scheduler: Dict[int, str] = field(default_factory=dict)
    known_docs: Dict[str, DocState] = field(default_factory=dict)
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))  # as a note id then
    # OWNED_SINCE_KEY as the sync began (0: none yet). Read before the write:
    # once the state rows are staged, the state file may be locked to readers.
    owned_since: int = 0
    copies_told: Optional[str] = None  # COPIES_TOLD_KEY to store (None: as it is)
    looked_up_to: Optional[int] = None  # the newest note's id when the old-sync notes were looked for
    polar_notes: int = 0  # Polar notes in the collection before the sync
    probe: Probe = NO_PROBE  # where the likely looked-for notes are (found while counting)
    # Polar notes in the collection that no state row knows: guid -> note ids
    unknown: Dict[str, List[NoteId]] = field(default_factory=dict)
    # False when the rows cannot vouch for the notes' texts (syncs undone, or
    # an older backup restored, further back than the journal reaches)
    rows_vouch: bool = True
    # guids of notes the last sync left that are gone (deleted in Anki)
    deleted_in_anki: Set[str] = field(default_factory=set)
    # Of those, the guids whose note left no grave: not deleted in Anki (nor
    # on another computer), but gone with a collection replaced since the last
    # sync (a full download from AnkiWeb, a backup or a .colpkg opened).
    replaced_away: Set[str] = field(default_factory=set)
    # Cards whose notes earlier syncs left deleted (the setting "Deleted in
    # Anki"): card id -> (document, signature); this sync's changes to them;
    # the new notes of such cards made again now that the setting says so.
    left_known: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    left_changes: LeftDeleted = field(default_factory=LeftDeleted)
    # The note types holding Polar notes as the last sync left them (id ->
    # name; None: not recorded), and the names of those deleted in Anki since.
    types_held: Optional[Dict[int, str]] = None
    gone_types: List[str] = field(default_factory=list)
    made_by_setting: List[Any] = field(default_factory=list)
    # rows of notes in no document (foreign_row) whose note is gone: forgotten
    stale_rows: List[str] = field(default_factory=list)
    parsed: List[LoadedDoc] = field(default_factory=list)
    gone_docs: List[str] = field(default_factory=list)  # documents gone from the library
    old_by_doc: Dict[str, Dict[str, CardState]] = field(default_factory=dict)  # last sync's rows
    # The same rows as stored (old_by_doc's follow moved cards): card id -> row
    stored_rows: Dict[str, CardState] = field(default_factory=dict)
    # card id -> (the document the last sync had it from, orphaned there), for
    # the cards of the documents in ``owners_of`` (``_owners``)
    owners: Dict[str, Tuple[str, bool]] = field(default_factory=dict)
    owners_of: Set[str] = field(default_factory=set)
    # Remembered problems of the unchanged documents (``read_where_cards_moved``)
    known_problems: Optional[Dict[str, List[Dict[str, Any]]]] = None
    # Cards gone from the document the last sync had them from and now in
    # another one: card id -> (from, to). The note follows the card.
    moved: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    by_guid: Dict[str, List[NoteInfo]] = field(default_factory=dict)
    planner: Optional[Planner] = None
    rows: List[CardState] = field(default_factory=list)
    staged: Optional[StagedCards] = None  # rows begun during the write (a large one), for remember
    whole_library: bool = False  # every document listed and read: leftovers can be judged
    legacy_unsettled: int = 0  # old-sync notes neither taken over nor known to be a current card's
    fingerprint: str = ""  # the collection's notes when the sync began (notes_fingerprint)
    fingerprint_now: Optional[str] = None  # ... and once its writes are done (read once, by remember)
    notes_booked: bool = False  # the notes now are those it began with and its own changes (notes_as_booked)
    # The collection holds the very notes the last sync left (and its note-id
    # hints were exact): nothing went missing, notes are found by id.
    trusted: bool = False
    hints_exact: bool = False  # the note-id hints are the collection's Polar notes, as the sync began
    ids: NoteIdChanges = field(default_factory=NoteIdChanges)  # what the write did to Polar notes
    suspended: SuspendRecords = field(default_factory=SuspendRecords)  # the cards the write suspended on orphans
    generation: Optional[Generation] = None  # the undo journal's entry of a sync that writes (journal.py)
    # Where the last syncs put each document's cards (follow_renamed_decks)
    homes_todo: List[str] = field(default_factory=list)  # unchanged documents with cards and no deck home yet
    places: Dict[str, str] = field(default_factory=dict)  # document -> the deck followed for it (any document)
    deck_ids: Dict[str, DeckId] = field(default_factory=dict)  # those decks: lower-case name -> id
    live: Optional[Dict[str, int]] = None  # the state's live cards per document (live_cards)
    # Documents whose notes another computer's notes of the same cards replaced (_find_replaced_notes)
    replaced_docs: Set[str] = field(default_factory=set)
    # The collection's schema stamp when the sync began, "" when the notes' types
    # could not all be checked (``follow_changed_note_types``): not remembered.
    schema: str = ""
    schema_moved: bool = True  # the stamp moved since the last sync (or was not known)
    # The last sync's ``fields_missing`` rows whose note types still lack the fields
    lacking_before: List[Dict[str, Any]] = field(default_factory=list)
    lacking_told: bool = False  # the state holds such rows (FIELDS_MISSING_KEY), to be replaced
    done: bool = False  # set by a step to end the run (a dry run ends after counting)
    # Documents some of whose new notes were not added: the person stopped
    # the sync between two batches (``write.add_notes``); read again next time.
    unfinished: Set[str] = field(default_factory=set)

    @property
    def report(self) -> Report:
        return self.reading.report

    def say(self, message: str) -> None:
        if self.reading.progress:
            self.reading.progress(message)


def planner_of(ctx: Applying) -> Planner:
    assert ctx.planner is not None, "look_up_notes runs first"
    return ctx.planner


def notes_as_booked(ctx: Applying) -> bool:
    """Whether the collection holds exactly the notes it held as the sync
    began, plus those the sync added, less those it deleted (by count and the
    sum of ids, ``notes_fingerprint``: one read of an index): then no note
    came from anywhere else meanwhile. Asked once the writes are done; read
    once (``ctx.fingerprint_now``)."""
    if not ctx.fingerprint:
        return False
    if ctx.fingerprint_now is None:
        ctx.fingerprint_now = notes_fingerprint(ctx.col)
        count, total, _ = (int(part) for part in ctx.fingerprint.split(":"))
        ids = ctx.ids
        count += len(ids.made) - len(ids.removed)
        total += sum(map(itemgetter(1), ids.made)) - sum(ids.removed)
        ctx.notes_booked = ctx.fingerprint_now.startswith(f"{count}:{total}:")
    return ctx.notes_booked
