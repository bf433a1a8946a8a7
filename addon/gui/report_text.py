"""What a sync did, in words: the counts line, the notice, the groups of the
report window. Pure Python over the report's dict (``Report.to_dict()``, also
what ``last-report.json`` and the CLI's ``--report`` hold), so the rules are
tested without Anki and old reports still display.

Rules: a count of zero is never shown; "unchanged" only next to a change
(never on a first sync, where nothing could be unchanged); problems and
conflicts are counted apart, exactly as the report window lists them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .i18n import day, ltr, ntr, number, tr

# Kinds of change a note can have; the report's count key for each.
CHANGE_KINDS = ("created", "updated", "moved", "restored", "removed", "deleted")
# The report window's tree tells an update that took over a note of Polar's
# old sync as such ("taken"), as the headline does, not as "updated".
TREE_KINDS = ("created", "taken", "updated", "moved", "restored", "removed", "deleted")
_COUNT_KEY = {"removed": "orphaned"}


def removed_words(n: int, removed_as: str, dry_run: bool = False, short: bool = False) -> str:
    """What became of ``n`` notes whose cards were deleted in Polar, by the
    setting that acted on them (``removed_as``: the report's deletion_policy;
    "" in a report of an older version): ``1 note suspended (its card was
    deleted in Polar)``, or ``short`` (a deck's line in the tree, which must
    fit beside its name at 400 px) ``1 note suspended``."""
    if short and removed_as in ("suspend", "tag"):
        if removed_as == "suspend":
            return (ntr("{n} note would be suspended", "{n} notes would be suspended", n) if dry_run
                    else ntr("{n} note suspended", "{n} notes suspended", n))
        return (ntr("{n} note would be tagged polar::deleted", "{n} notes would be tagged polar::deleted", n)
                if dry_run else ntr("{n} note tagged polar::deleted", "{n} notes tagged polar::deleted", n))
    if short or removed_as not in ("suspend", "tag", "keep"):
        return ntr("{n} note removed in Polar", "{n} notes removed in Polar", n)
    if dry_run:
        words = {
            "suspend": lambda: ntr("{n} note would be suspended (its card was deleted in Polar)",
                                   "{n} notes would be suspended (their cards were deleted in Polar)", n),
            "tag": lambda: ntr("{n} note would be tagged polar::deleted (its card was deleted in Polar)",
                               "{n} notes would be tagged polar::deleted (their cards were deleted in Polar)", n),
            "keep": lambda: ntr("{n} note would be left as it is (its card was deleted in Polar)",
                                "{n} notes would be left as they are (their cards were deleted in Polar)", n),
        }
    else:
        words = {
            "suspend": lambda: ntr("{n} note suspended (its card was deleted in Polar)",
                                   "{n} notes suspended (their cards were deleted in Polar)", n),
            "tag": lambda: ntr("{n} note tagged polar::deleted (its card was deleted in Polar)",
                               "{n} notes tagged polar::deleted (their cards were deleted in Polar)", n),
            "keep": lambda: ntr("{n} note left as it is (its card was deleted in Polar)",
                                "{n} notes left as they are (their cards were deleted in Polar)", n),
        }
    return words[removed_as]()


def change_words(kind: str, n: int, dry_run: bool = False, removed_as: str = "", short: bool = False) -> str:
    """``3 new notes`` / ``1 note suspended (its card was deleted in Polar)``."""
    if kind == "removed":
        return removed_words(n, removed_as, dry_run, short)
    if kind == "taken":
        if dry_run:
            return ntr("{n} note would be taken over from Polar's old sync",
                       "{n} notes would be taken over from Polar's old sync", n)
        return ntr("{n} note taken over from Polar's old sync", "{n} notes taken over from Polar's old sync", n)
    if dry_run:
        words = {
            "created": lambda: ntr("{n} note would be added", "{n} notes would be added", n),
            "updated": lambda: ntr("{n} note would be updated", "{n} notes would be updated", n),
            "moved": lambda: ntr("{n} note would move to another deck", "{n} notes would move to another deck", n),
            "restored": lambda: ntr("{n} note would come back", "{n} notes would come back", n),
            "deleted": lambda: ntr("{n} note would be deleted", "{n} notes would be deleted", n),
            "unchanged": lambda: ntr("{n} unchanged", "{n} unchanged", n),
        }
    else:
        words = {
            "created": lambda: ntr("{n} new note", "{n} new notes", n),
            "updated": lambda: ntr("{n} note updated", "{n} notes updated", n),
            "moved": lambda: ntr("{n} note moved to another deck", "{n} notes moved to another deck", n),
            "restored": lambda: ntr("{n} note back in Polar", "{n} notes back in Polar", n),
            "deleted": lambda: ntr("{n} note deleted", "{n} notes deleted", n),
            "unchanged": lambda: ntr("{n} unchanged", "{n} unchanged", n),
        }
    return words[kind]()


def count_of(data: Mapping[str, Any], kind: str) -> int:
    value = data.get(_COUNT_KEY.get(kind, kind)) or 0
    return int(value)


def counts_line(data: Mapping[str, Any]) -> str:
    """``3 new notes, 1 note updated, 40 unchanged``; empty when nothing changed."""
    dry = bool(data.get("dry_run"))
    # Adopted (same card) and paired (an older version of it): both taken over.
    taken = int(data.get("adopted") or 0) + int(data.get("paired") or 0)
    # A note taken over is also updated (its text, its tags): told once, as
    # taken over ("1865 notes updated, 1865 notes taken over" read as 3,730).
    counts = {k: count_of(data, k) - (taken if k == "updated" else 0) for k in CHANGE_KINDS}
    removed_as = str(data.get("removed_as") or "")
    from ..sync.report import duplicates_as

    if duplicates_as(data) == "delete":  # told as duplicates deleted, not once more as notes deleted
        counts["deleted"] -= int(data.get("duplicates") or 0)
    parts = [change_words(k, counts[k], dry, removed_as) for k in CHANGE_KINDS if counts[k] > 0]
    if taken:
        parts.append(change_words("taken", taken, dry))
    if data.get("duplicates"):
        parts.append(duplicates_words(data, dry))
    if data.get("copies") and dry:
        parts.append(ntr("{n} duplicate made on another computer would be removed",
                         "{n} duplicates made on another computer would be removed", int(data["copies"])))
    elif data.get("copies"):
        parts.append(ntr("{n} duplicate made on another computer removed",
                         "{n} duplicates made on another computer removed", int(data["copies"])))
    if parts and data.get("unchanged"):
        parts.append(change_words("unchanged", int(data["unchanged"]), dry))
    return join(parts)


def duplicates_words(data: Mapping[str, Any], dry: bool) -> str:
    """``1 duplicate note suspended``: what the setting for removed cards did
    to the second notes of one Polar card (``sync.report.duplicates_as``)."""
    from ..sync.report import duplicates_as

    n = int(data.get("duplicates") or 0)
    acted = duplicates_as(data)
    if dry:
        words = {
            "suspend": lambda: ntr("{n} duplicate note would be suspended",
                                   "{n} duplicate notes would be suspended", n),
            "tag": lambda: ntr("{n} duplicate note would be tagged polar::deleted",
                               "{n} duplicate notes would be tagged polar::deleted", n),
            "keep": lambda: ntr("{n} duplicate note would be left as it is",
                                "{n} duplicate notes would be left as they are", n),
            "delete": lambda: ntr("{n} duplicate note would be deleted", "{n} duplicate notes would be deleted", n),
        }
    else:
        words = {
            "suspend": lambda: ntr("{n} duplicate note suspended", "{n} duplicate notes suspended", n),
            "tag": lambda: ntr("{n} duplicate note tagged polar::deleted",
                               "{n} duplicate notes tagged polar::deleted", n),
            "keep": lambda: ntr("{n} duplicate note left as it is", "{n} duplicate notes left as they are", n),
            "delete": lambda: ntr("{n} duplicate note deleted", "{n} duplicate notes deleted", n),
        }
    said = words.get(acted)
    # (a report of a version before ``removed_as``: what it said then)
    return said() if said else ntr("{n} duplicate note set aside", "{n} duplicate notes set aside", n)


def problem_count(data: Mapping[str, Any]) -> int:
    return len(data.get("errors") or [])


def conflict_count(data: Mapping[str, Any]) -> int:
    return len(data.get("conflicts") or [])


def kept_count(data: Mapping[str, Any]) -> int:
    """The conflict rows that are texts kept for want of a sync record."""
    return sum(1 for row in data.get("conflicts") or [] if row.get("code") == "unrecorded_anki")


def made_again_count(data: Mapping[str, Any]) -> int:
    """Notes deleted in Anki that the sync made again (their cards are still
    in Polar): worth a notice once, or the user sees only "2 new notes"."""
    return sum(int(w.get("count") or 0) for w in data.get("warnings") or []
               if w.get("code") in ("made_again", "made_again_by_setting"))


def left_deleted_count(data: Mapping[str, Any]) -> int:
    """Notes deleted in Anki that the sync left deleted (the setting Deleted
    in Anki): said once, in the notice as in the report."""
    return sum(int(w.get("count") or 0) for w in data.get("warnings") or [] if w.get("code") == "left_deleted")


def replaced_away_count(data: Mapping[str, Any]) -> int:
    """Notes an earlier sync made that the collection lost when it was
    replaced (a full download from AnkiWeb, a backup), made again: worth
    a notice once, in words that do not say the user deleted them."""
    return sum(int(w.get("count") or 0) for w in data.get("warnings") or [] if w.get("code") == "made_again_replaced")


# Rows of notes that wait for Anki's scheduler update: moves and suspensions
# (v1), new notes that do not come up (v1, or v2 with v3 off). One phrase in
# the notice, once a session (setup.py).
SCHEDULER_WAIT_CODES = ("old_scheduler", "new_cards_wait_update")


def scheduler_wait_count(data: Mapping[str, Any]) -> int:
    """Notes left for Anki's scheduler update (a collection on v1 or v2)."""
    return sum(int(w.get("count") or 0) for w in data.get("warnings") or [] if w.get("code") in SCHEDULER_WAIT_CODES)


def held_back_decks(data: Mapping[str, Any]) -> Set[str]:
    """The decks whose options hold the sync's new cards back."""
    decks: Set[str] = set()
    for w in data.get("warnings") or []:
        if w.get("code") == "new_cards_held":
            decks.update(str(d) for d in w.get("decks") or [w.get("deck")])
    return decks


def emptied_cloze_count(data: Mapping[str, Any]) -> int:
    """Cards of studied clozes Polar took a deletion out of: Anki shows them
    empty in the reviews until Empty Cards, so worth a notice once."""
    return sum(int(w.get("count") or 0) for w in data.get("warnings") or [] if w.get("code") == "cloze_cards_emptied")


def _to_do_phrases() -> Dict[str, str]:
    """Warnings that ask the user to do something, or to know the sync was
    not what it seemed (a tooltip "everything is up to date" hid them):
    code -> the notice's words."""
    return {
        "export_newer_beside": tr("a newer Polar export is in the same folder"),
        "export_downloading": tr("the Polar export is still being downloaded"),
        "library_switched": tr("a different Polar library than before"),
        "export_leftovers_kept": tr("files of an older Polar export are in the folder"),
        "export_unpacked_cut": tr("the Polar export was unpacked from a download cut short"),
        "old_scheduler": tr("some cards wait for Anki's scheduler update"),
        "new_cards_held": tr("new cards held back by a deck's daily limits"),
        "polar_sync_on": tr("Polar's own Anki sync is still on"),
        "notes_followed": tr("new notes go to the note type you moved the others into"),
        "kind_changed_kept": tr("a change from Polar not written into a note whose type you changed"),
        "fields_missing": tr("a change from Polar not written into a note type that lacks its field"),
        "block_flashcards_held_back": tr("flashcards of Polar 3 not synced"),
        "export_unidentified": tr("documents missing from the Polar export not taken as removed"),
        "cloud_copy": tr("a document's folder was copied by a file-syncing service"),
        "folder_copy": tr("a copy of a document's folder was not synced"),
        "online_only": tr("a document's folder is kept online only by a file-syncing service"),
        "highlight_image_online_only": tr("a picture is kept online only by a file-syncing service"),
    }


def to_do_codes(data: Mapping[str, Any]) -> List[str]:
    """The codes of ``_to_do_phrases`` among the warnings, each once, in order.
    New cards held back only for today (a limit used up: they come by
    themselves tomorrow, and a daily user knows it) are the report's alone;
    a limit of 0, which holds them for good, is worth the notice."""
    codes = {str(w.get("code")) for w in data.get("warnings") or []
             if (w.get("code") != "new_cards_held" or w.get("limited_by") or w.get("decks"))
             and not w.get("told_before")}
    if "new_cards_wait_update" in codes:  # the same phrase: said once
        codes.add("old_scheduler")
    if "export_block_flashcards" in codes:  # (flashcards not synced: the same phrase)
        codes.add("block_flashcards_held_back")
    return [code for code in ("export_newer_beside", "export_downloading", "library_switched",
                              "export_leftovers_kept", "export_unpacked_cut", "old_scheduler",
                              "new_cards_held", "polar_sync_on", "notes_followed", "kind_changed_kept",
                              "fields_missing", "block_flashcards_held_back", "export_unidentified", "cloud_copy",
                              "folder_copy", "online_only", "highlight_image_online_only")
            if code in codes]


def leftover_ids(data: Mapping[str, Any]) -> List[int]:
    """Notes of Polar's old sync that match no Polar card (never changed by a sync)."""
    return [int(n) for n in data.get("legacy_leftovers") or []]


def older_version_ids(data: Mapping[str, Any]) -> List[int]:
    """Of the leftovers, the older versions of a card synced now."""
    return [int(n) for n in data.get("legacy_older_versions") or []]


def older_versions_text(n: int) -> str:
    return ntr(
        "Of them, {n} is an older version of a card that is synced now: Polar's old sync added a new note each "
        "time you edited a card in Polar, so you may be studying it beside the card's note.",
        "Of them, {n} are older versions of cards that are synced now: Polar's old sync added a new note each "
        "time you edited a card in Polar, so you may be studying them beside the cards' notes.",
        n,
    )


def leftovers_text(n: int) -> str:
    return ntr(
        "{n} note from Polar's old sync no longer matches a Polar card: deleted in Polar, or not matched with "
        "certainty. A sync never changes it; look at it, then suspend or delete it if you like.",
        "{n} notes from Polar's old sync no longer match a Polar card: deleted in Polar, or not matched with "
        "certainty. A sync never changes them; look at them, then suspend or delete them if you like.",
        n,
    )


def removed_told(data: Mapping[str, Any]) -> int:
    """Notes whose cards Polar deleted that the report window's section on
    them tells of (a sync's, under a setting that kept them); 0: none."""
    if data.get("dry_run") or data.get("removed_as") not in ("suspend", "tag", "keep"):
        return 0
    return count_of(data, "removed")


def removed_text(n: int, removed_as: str) -> str:
    """The report window's section on notes whose cards were deleted in
    Polar: what became of them, by the setting, and how to keep one."""
    if removed_as == "tag":
        return ntr(
            "{n} card was deleted in Polar. Its note stays in Anki with its reviews, tagged polar::deleted, and "
            "still comes up for study; suspend or delete it in Anki if you no longer want it. If the card comes "
            "back in Polar, the note follows it again. The setting “Removed in Polar” in {settings} decides this.",
            "{n} cards were deleted in Polar. Their notes stay in Anki with their reviews, tagged polar::deleted, "
            "and still come up for study; suspend or delete them in Anki if you no longer want them. A card that "
            "comes back in Polar brings its note back. The setting “Removed in Polar” in {settings} decides this.",
            n, settings=_settings_path())
    if removed_as == "keep":
        return ntr(
            "{n} card was deleted in Polar. Its note stays in Anki as it is, with its reviews, and still comes up "
            "for study; suspend or delete it in Anki if you no longer want it. The setting “Removed in Polar” in "
            "{settings} decides this.",
            "{n} cards were deleted in Polar. Their notes stay in Anki as they are, with their reviews, and still "
            "come up for study; suspend or delete them in Anki if you no longer want them. The setting “Removed "
            "in Polar” in {settings} decides this.",
            n, settings=_settings_path())
    return ntr(
        "{n} card was deleted in Polar. Its note stays in Anki with its reviews, suspended and tagged "
        "polar::deleted. To keep it as your own, remove the tag and unsuspend it; if the card comes back in "
        "Polar, the note comes back with it. The setting “Removed in Polar” in {settings} decides this.",
        "{n} cards were deleted in Polar. Their notes stay in Anki with their reviews, suspended and tagged "
        "polar::deleted. To keep one as your own, remove its tag and unsuspend it; a card that comes back in "
        "Polar brings its note back. The setting “Removed in Polar” in {settings} decides this.",
        n, settings=_settings_path())


def attention_line(data: Mapping[str, Any], leftovers: int = 0) -> str:
    """``1 problem, 1 conflict``: what the notice asks to look at
    (``leftovers``: old-sync notes not shown to the user before)."""
    parts = []
    if problem_count(data):
        parts.append(ntr("{n} problem", "{n} problems", problem_count(data)))
    kept = kept_count(data)
    if conflict_count(data) - kept:
        parts.append(ntr("{n} conflict", "{n} conflicts", conflict_count(data) - kept))
    if kept:  # no conflict: a text of Anki's kept for want of a sync record (report_dialog's own section)
        parts.append(ntr("{n} text kept as in Anki", "{n} texts kept as in Anki", kept))
    again = made_again_count(data)
    if again:
        parts.append(ntr("{n} note deleted in Anki made again", "{n} notes deleted in Anki made again", again))
    left = left_deleted_count(data)
    if left:
        parts.append(ntr("{n} note you deleted in Anki left deleted", "{n} notes you deleted in Anki left deleted",
                         left))
    replaced = replaced_away_count(data)
    if replaced:
        parts.append(ntr("{n} note made again after the collection was replaced",
                         "{n} notes made again after the collection was replaced", replaced))
    emptied = emptied_cloze_count(data)
    if emptied:
        parts.append(ntr("{n} cloze card left empty", "{n} cloze cards left empty", emptied))
    phrases = _to_do_phrases()
    parts += [phrases[code] for code in to_do_codes(data)]
    if leftovers:
        parts.append(ntr("{n} note from Polar's old sync to look at", "{n} notes from Polar's old sync to look at",
                         leftovers))
    return join(parts)


# Rows of a sync that stopped as a whole (operations.SyncRunner._fail).
STOPPED_CODES = frozenset({"sync_failed", "collection_damaged", "collection_full", "files_readonly"})


def backup_words() -> str:
    """A profile's first sync (data["backup"]): it may have taken over
    thousands of notes, and a new user wants to know the way back."""
    return tr("Before this first sync, Anki backed up your collection: Edit ▸ Undo takes the sync back while "
              "Anki is open; later, File ▸ Switch Profile ▸ Open Backup… brings the collection back as it was.")


def stopped_words(stopped: str, stage: str, cause: str = "") -> str:
    """The log's line for a sync the profile's closing stopped, with what
    it had done by then. ``cause``: "quit" (Anki closed), "switch" (File ▸
    Switch Profile), "you" (Escape or Cancel in the progress window), or ""
    (another way, or not known: the words name both)."""
    when = {"quit": lambda: tr("when Anki closed"), "switch": lambda: tr("when you switched profiles"),
            "you": lambda: tr("as you asked")}.get(cause, lambda: tr("when Anki closed or switched profiles"))()
    if stopped != "writing":
        return tr("Polar Sync: stopped {when}, before it changed anything; the next sync does it.", when=when)
    match = re.match(_ADDED, stage)
    if match:
        return tr("Polar Sync: stopped {when}, after adding {done} of {total} new notes; they stay, and the next "
                  "sync does the rest.", when=when, done=number(_int(match.group(1))),
                  total=number(_int(match.group(2))))
    return tr("Polar Sync: stopped {when}, part-way through writing; what it wrote stays, and the next sync does "
              "the rest.", when=when)


# The core's warnings of a sync the person stopped part-way through its
# write: between two batches of new notes, or of updated notes.
STOPPED_BY_YOU = frozenset({"stopped_by_you", "stopped_updating_by_you"})


def stopped_by_you(data: Mapping[str, Any]) -> Optional[Tuple[int, int]]:
    """(added, planned) new notes of a sync the person stopped between two
    batches (the core's ``stopped_by_you`` warning), else None."""
    for row in data.get("warnings") or []:
        if row.get("code") == "stopped_by_you":
            return int(row.get("done") or 0), int(row.get("total") or 0)
    return None


def stopped_by_you_words(data: Mapping[str, Any]) -> str:
    """The tooltip's (and the log's first) line for it; "" for another sync."""
    stopped = stopped_by_you(data)
    if stopped is not None:
        return stopped_words("writing", f"Adding notes… {stopped[0]:,}/{stopped[1]:,}", "you")
    if any(row.get("code") == "stopped_updating_by_you" for row in data.get("warnings") or []):
        return stopped_words("writing", "", "you")  # (part-way through writing; the next sync does the rest)
    return ""


def nothing_changed(data: Mapping[str, Any]) -> str:
    if any(row.get("code") in STOPPED_CODES for row in data.get("errors") or []):
        return tr("The sync stopped before it was complete.")  # not "Everything is up to date."
    if "documents" in data and not data.get("documents") and not data.get("errors"):
        return tr("No Polar documents were found, so there was nothing to sync.")
    if data.get("dry_run"):
        if not_all_written(data):
            return tr("A sync now would change nothing, but not all of Polar's changes would be in Anki: see below.")
        if any(row.get("code") == "preview_after_undo" for row in data.get("warnings") or []):
            return tr("This preview does not show all that a sync now would do: see below.")
        return tr("A sync now would change nothing.")
    # Before the words of a wait or of notes left deleted: a change from
    # Polar that is not in Anki is what the person must not miss.
    writing = only_being_written(data)
    if writing:  # (not a problem, nor "up to date": it comes by itself)
        return ntr("Not all of Polar's changes are in Anki yet: {n} document was still being written, and syncs by "
                   "itself once written.",
                   "Not all of Polar's changes are in Anki yet: {n} documents were still being written, and sync by "
                   "themselves once written.", writing)
    if not_all_written(data):
        return tr("Nothing changed, but not all of Polar's changes are in Anki: see below.")
    if any(row.get("code") == "old_scheduler" for row in data.get("warnings") or []):
        return tr("Nothing changed yet: some cards wait for Anki's scheduler update.")  # not "up to date"
    left = left_deleted_count(data)
    if left:  # not "up to date": the person just deleted them, and the sync chose not to make them
        return ntr("Nothing changed: {n} note you deleted in Anki was left deleted.",
                   "Nothing changed: {n} notes you deleted in Anki were left deleted.", left)
    return tr("Everything is up to date.")


# Warnings that say a change from Polar is not in Anki after this sync: not
# written into a note, flashcards not synced, documents not read or not
# taken as removed, a sync stopped before the rest. The sync is not "up to date".
NOT_WRITTEN_CODES = frozenset({
    "fields_missing", "kind_changed_kept", "block_flashcards_held_back", "export_block_flashcards",
    "export_downloading", "export_incomplete", "export_unidentified", "export_newer_beside", "export_unpacked_cut",
    "library_switched", "library_empty", "stopped_by_you", "stopped_updating_by_you", "online_only",
    "highlight_image_online_only", "being_written",
})
# Conflicts where Anki's text was kept: Polar's change is not in the note.
KEPT_IN_ANKI_CODES = frozenset({"conflict_anki", "conflict_context_anki", "unrecorded_anki"})


def only_being_written(data: Mapping[str, Any]) -> int:
    """How many documents were left for a moment, still being written
    (``being_written``), when that is all that keeps Polar's changes out of
    Anki (nothing else to say first); else 0."""
    writing = [row for row in data.get("warnings") or [] if row.get("code") == "being_written"]
    if not writing or data.get("errors") or any(
            row.get("code") in KEPT_IN_ANKI_CODES for row in data.get("conflicts") or []) or any(
            row.get("code") in NOT_WRITTEN_CODES - {"being_written"} for row in data.get("warnings") or []):
        return 0
    return len(writing)


def not_all_written(data: Mapping[str, Any]) -> bool:
    """Whether a row says that a change from Polar is not in Anki: any
    problem (what it names was not synced), a conflict Anki's text won,
    a warning of ``NOT_WRITTEN_CODES``."""
    return (bool(data.get("errors"))
            or any(row.get("code") in KEPT_IN_ANKI_CODES for row in data.get("conflicts") or [])
            or any(row.get("code") in NOT_WRITTEN_CODES for row in data.get("warnings") or []))


def notice_text(data: Mapping[str, Any], leftovers: int = 0) -> str:
    """The notice's sentence (plain text; the caller escapes)."""
    counts = counts_line(data)
    attention = attention_line(data, leftovers)
    if counts:
        return tr("Polar Sync: {counts}; {attention}.", counts=counts, attention=attention)
    return tr("Polar Sync: {attention}.", attention=attention)


def tooltip_text(data: Mapping[str, Any]) -> str:
    counts = counts_line(data)
    if counts:
        return tr("Polar Sync: {counts}.", counts=counts)
    if "documents" in data and not data.get("documents") and not data.get("errors"):
        return tr("Polar Sync: no Polar documents were found, so there was nothing to sync.")
    if data.get("dry_run"):
        if not_all_written(data):
            return tr("Polar Sync: a sync now would change nothing, but not all of Polar's changes would be in Anki.")
        return tr("Polar Sync: a sync now would change nothing.")
    writing = only_being_written(data)
    if writing:
        return ntr("Polar Sync: {n} document is still being written; it syncs by itself once written.",
                   "Polar Sync: {n} documents are still being written; they sync by themselves once written.",
                   writing)
    if not_all_written(data):
        return tr("Polar Sync: nothing changed, but not all of Polar's changes are in Anki.")
    return tr("Polar Sync: everything is up to date.")


def sentence(counts: str) -> str:
    """``counts`` as a sentence of its own (the full stop differs by language)."""
    return tr("{counts}.", counts=counts)


def join(parts: List[str]) -> str:
    # The list separator differs by language (、 in Japanese, ， in Chinese).
    return tr(", ").join(parts)


# -- rows ------------------------------------------------------------------------


def short_key(key: str) -> str:
    """A Polar key, cut to what tells two documents apart (keys are 20+
    random characters): the last resort of a name."""
    return key if len(key) <= 12 else key[:10] + "…"


def document_name(row: Mapping[str, Any]) -> str:
    """A row's document by title, else its file."""
    title = str(row.get("title") or "").strip()
    if title:
        return title
    doc = str(row.get("document") or "")
    if doc:  # a document never read by this version, its title unknown: its key, short
        return tr("document {name}", name=short_key(doc))
    return part_name(row) or str(row.get("path") or "") or tr("Polar library")


_DECK_PATH = re.compile(r"deck ('.*'|\".*\")$", re.DOTALL)
_NOTE_PATH = re.compile(r"note (\d+)$")


def part_name(row: Mapping[str, Any]) -> str:
    """A row about a part of the collection or of the add-on, not a
    document: the core names it by an English path ("note type Basic",
    "deck 'Books'", "media/a.png", "add-on config", "note 123"), kept as
    the row's technical line; its heading says it in the reader's words.
    Read from the row's detail (``notetype``, ``deck``) when it has one,
    else from the path (older saved reports have only that). "" for a
    path that is a file or folder (a document, the library, the
    collection)."""
    path = str(row.get("path") or "")
    if path.startswith("note type "):
        name = str(row.get("notetype") or "") or path[len("note type "):]
        return tr("note type {name}", name=quoted(name))
    deck = _DECK_PATH.match(path)
    if deck:
        name = str(row.get("deck") or "")
        if not name:
            try:
                name = str(ast.literal_eval(deck.group(1)))
            except (ValueError, SyntaxError):  # (not a name the core quoted)
                name = deck.group(1)[1:-1]
        return tr("deck {name}", name=quoted(name))
    if path.startswith("media/") and row_code(row) == "image_not_stored":
        return tr("image {name}", name=quoted(path[len("media/"):]))
    if path == "add-on config":
        return tr("Polar Sync settings")
    if path == "Polar Sync":
        return tr("Polar Sync")
    note = _NOTE_PATH.match(path)
    if note:
        return tr("note {id}", id=note.group(1))
    return ""


def where(row: Mapping[str, Any]) -> str:
    """``“Spaced repetition” (page 3)`` for a row."""
    name = quoted(document_name(row)) if row.get("title") else document_name(row)
    return with_page(name, row.get("page"))


def with_page(text: str, page: Any) -> str:
    """``text (page 3)``: a card's page after its front (the report's tree,
    a preview's), after its document (a row's heading, a tooltip), in one
    form ("“What?” in “Doc”, page 3" and "What? (page 3)" were two)."""
    return tr("{text} (page {page})", text=text, page=page) if page else text


def deck_shown(name: str, fits: Callable[[str], bool], middle: Callable[[str], str]) -> str:
    """A deck's name as the report's tree shows it in the room it has
    (``fits``): whole when it fits; else its parents cut at "::", the deck's
    own name (the leaf) kept whole ("compsci::…::Algorithms", then
    "…::Algorithms"); only a leaf too wide alone is cut in its middle
    (``middle``). Cut at the right, sub-decks were "compsci::…" eight times;
    in the middle, "compsci…orithms"."""
    if fits(name):
        return name
    parts = name.split("::")
    for kept in range(len(parts) - 1, 0, -1):  # the most of the deck's own end first
        tail = "::".join(parts[-kept:])
        if kept <= len(parts) - 2 and fits(f"{parts[0]}::…::{tail}"):
            return f"{parts[0]}::…::{tail}"
        if fits("…::" + tail):
            return "…::" + tail
    return middle(parts[-1])


def counts_shown(text: str, fits: Callable[[str], bool], cut: Callable[[str], str]) -> str:
    """A tree row's counts ("50 notes would be added, 25 notes would be
    updated") in the room the names leave them: whole, else the first
    counts that fit then "…" ("50 notes would be added, …"), else ``cut``."""
    if fits(text):
        return text
    sep = tr(", ")
    parts = text.split(sep)
    for kept in range(len(parts) - 1, 0, -1):
        shown = sep.join(parts[:kept]) + sep + "…"
        if fits(shown):
            return shown
    return cut(text)


def quoted(text: str) -> str:
    """``text`` in the language's quotation marks."""
    return tr("“{text}”", text=text)


def snippet(text: str, limit: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def card_name(row: Mapping[str, Any]) -> str:
    front = snippet(str(row.get("front") or ""))
    if front:
        return quoted(front)
    return tr("a card") if row.get("card") else ""


# -- what changed, grouped -------------------------------------------------------

Group = Dict[str, Any]


def group_changes(changes: Sequence[Mapping[str, Any]]) -> Dict[str, Dict[str, List[Mapping[str, Any]]]]:
    """deck -> document title -> change rows, decks and documents sorted by name."""
    decks: Dict[str, Dict[str, List[Mapping[str, Any]]]] = {}
    for row in changes:
        deck = str(row.get("deck") or "") or tr("(no deck)")
        decks.setdefault(deck, {}).setdefault(document_name(row), []).append(row)
    out: Dict[str, Dict[str, List[Mapping[str, Any]]]] = {}
    for deck in sorted(decks, key=str.lower):
        docs = decks[deck]
        out[deck] = {d: docs[d] for d in sorted(docs, key=str.lower)}
    return out


def kind_counts(rows: Sequence[Mapping[str, Any]], dry_run: bool) -> str:
    """``2 new notes, 1 note updated`` for some change rows."""
    counted: Dict[str, int] = {}
    for row in rows:
        kind = tree_kind(row)
        counted[kind] = counted.get(kind, 0) + 1
    return counts_words(counted, dry_run)


def tree_kind(row: Mapping[str, Any]) -> str:
    """A change row's kind in the report window: ``taken`` for an update
    that took over a note of Polar's old sync."""
    kind = str(row.get("change"))
    return "taken" if kind == "updated" and row.get("taken_over") else kind


def counts_words(counted: Mapping[str, int], dry_run: bool, removed_as: str = "") -> str:
    """``2 new notes, 1 note updated`` for counts by kind of change (the
    report window's tree: "taken over" and "suspended" said short, its
    headline says from what and why, and a deck's line must fit beside its
    name at 400 px)."""
    return join([_taken_words(counted[k], dry_run) if k == "taken"
                 else change_words(k, counted[k], dry_run, removed_as, short=True)
                 for k in TREE_KINDS if counted.get(k)])


def _taken_words(n: int, dry_run: bool) -> str:
    if dry_run:
        return ntr("{n} note would be taken over", "{n} notes would be taken over", n)
    return ntr("{n} note taken over", "{n} notes taken over", n)


@dataclass(frozen=True)
class DocumentGroup:
    name: str
    counts: Mapping[str, int]  # kind of change -> rows
    rows: Sequence[Mapping[str, Any]]
    key: str = ""  # the document's Polar key: two documents of one title are two groups


@dataclass(frozen=True)
class DeckGroup:
    name: str
    counts: Mapping[str, int]
    rows: Sequence[Mapping[str, Any]]  # its documents' rows, one after the other
    documents: Sequence[DocumentGroup]


@dataclass(frozen=True)
class ChangeTree:
    """The report window's tree of what changed, made once for a list of
    change rows: decks and their documents in order, counted, and the
    notes of all rows. A first sync lists 50,000 rows (~0.1-0.2 s of
    Python): made on the sync's worker thread, not in the window's."""

    rows: Sequence[Mapping[str, Any]]  # the rows it was made of
    decks: Sequence[DeckGroup]
    note_ids: Sequence[int]  # note_ids(rows)


def change_tree(rows: Sequence[Mapping[str, Any]]) -> ChangeTree:
    """``group_changes`` with the counts, in one pass over the rows (any
    thread: plain data and the catalogue's words)."""
    no_deck = tr("(no deck)")
    # deck -> (document name, key) -> (counts, rows): two documents of one
    # title ("Untitled", two editions of a book) were one item, under one key
    decks: Dict[str, Dict[Tuple[str, str], Tuple[Dict[str, int], List[Mapping[str, Any]]]]] = {}
    names: Dict[Tuple[Any, Any, Any], Tuple[str, str]] = {}  # (title, document, path) -> (name, document)
    for row in rows:
        deck = str(row.get("deck") or "") or no_deck
        key = (row.get("title"), row.get("document"), row.get("path"))
        name = names.get(key)
        if name is None:
            name = names[key] = (document_name(row), str(row.get("document") or ""))
        docs = decks.get(deck)
        if docs is None:
            docs = decks[deck] = {}
        group = docs.get(name)
        if group is None:
            group = docs[name] = ({}, [])
        kind = tree_kind(row)
        group[0][kind] = group[0].get(kind, 0) + 1
        group[1].append(row)
    out: List[DeckGroup] = []
    for deck in sorted(decks, key=str.lower):
        docs = decks[deck]
        documents = [DocumentGroup(d[0], docs[d][0], docs[d][1], d[1])
                     for d in sorted(docs, key=lambda d: (d[0].lower(), d[1]))]
        counts: Dict[str, int] = {}
        deck_rows: List[Mapping[str, Any]] = []
        for document in documents:
            for kind, n in document.counts.items():
                counts[kind] = counts.get(kind, 0) + n
            deck_rows += document.rows
        out.append(DeckGroup(deck, counts, deck_rows, documents))
    return ChangeTree(rows, out, note_ids(rows))


def change_label(kind: str, dry_run: bool, removed_as: str = "") -> str:
    """A note's row in the tree: ``new``, ``suspended``…"""
    if kind == "removed" and removed_as in ("suspend", "tag"):
        if removed_as == "suspend":
            return tr("would be suspended") if dry_run else tr("suspended")
        return tr("would be tagged polar::deleted") if dry_run else tr("tagged polar::deleted")
    if dry_run:
        labels = {
            "created": tr("would be added"), "updated": tr("would be updated"), "taken": tr("would be taken over"),
            "moved": tr("would move"), "restored": tr("would come back"),
            "removed": tr("removed in Polar"), "deleted": tr("would be deleted"),
        }
    else:
        labels = {
            "created": tr("new"), "updated": tr("updated"), "taken": tr("taken over"), "moved": tr("moved"),
            "restored": tr("back in Polar"), "removed": tr("removed in Polar"), "deleted": tr("deleted"),
        }
    return labels.get(kind, kind)


def note_ids(rows: Sequence[Mapping[str, Any]]) -> List[int]:
    """Note ids of rows whose note exists (deleted notes and, in a preview,
    notes still to be added have none)."""
    seen: Dict[int, None] = {}
    for row in rows:
        nid = row.get("note_id")
        if isinstance(nid, int) and nid > 0 and row.get("change") != "deleted":
            seen[nid] = None
    return list(seen)


def browser_search(nids: List[int]) -> str:
    return "nid:" + ",".join(str(n) for n in nids)


# Warning rows that only tell: the setting "Deleted in Anki" did as it
# says, a preview's reminder of notes left deleted before, new notes that
# wait behind the deck's older new cards (Anki's order, the user's). The
# report window lists them under a calmer heading than "Warnings".
INFORMATION_CODES = frozenset({"left_deleted", "left_deleted_before", "made_again_by_setting", "new_cards_queued",
                               "being_written"})  # (being_written: no problem, it syncs by itself once written)


def _named_in_words(row: Mapping[str, Any]) -> bool:
    """The row's place is a phrase of ours ("note type “Basic”", "document
    1Ab…"), not a title or a path, which stay as the reader wrote them."""
    return not str(row.get("title") or "").strip() and bool(row.get("document") or part_name(row))


def section_rows(data: Mapping[str, Any], key: str) -> List[Tuple[str, str, str, Optional[int]]]:
    """(where, what, technical id, note id) per row of errors/conflicts/warnings."""
    out = []
    for row in data.get(key) or []:
        head = where(row)
        card = card_name(row)
        if card:
            head = tr("{card} in {document}", card=card, document=head)
        elif _named_in_words(row):  # a heading: "Note type “Basic”", not "note type …"
            head = head[:1].upper() + head[1:]
        nid = row.get("note_id")
        technical = str(row.get("path") or "")
        words = explain(row, bool(data.get("dry_run")))
        if row_code(row) in _messages() and row.get("message") and str(row["message"]) not in words:
            technical += " · " + str(row["message"])  # the translated words replace it above
        out.append((head, words, technical, nid if isinstance(nid, int) else None))
    return out


def log_words(data: Mapping[str, Any], limit: int = 20) -> str:
    """The rows that need a look, in the user's words, for the sync log
    (below the core's summary, which keeps the technical lines)."""
    lines: List[str] = []
    warned = data.get("warnings") or []
    told = {  # (the rows that only tell under a calmer heading, as the report window has them)
        "warnings": [r for r in warned if r.get("code") not in INFORMATION_CODES],
        "information": [r for r in warned if r.get("code") in INFORMATION_CODES],
    }
    for heading, key in ((tr("Problems"), "errors"), (tr("Conflicts"), "conflicts"), (tr("Warnings"), "warnings"),
                         (tr("Good to know"), "information")):
        rows = section_rows({**data, "warnings": told[key]} if key in told else data,
                            "warnings" if key in told else key)
        if not rows:
            continue
        lines.append(f"{heading} ({number(len(rows))})")
        # Rows of the same words say them once (as the report does): "The same for 11 more: „a“, „b“, …".
        alike: Dict[str, List[str]] = {}
        first: Dict[str, str] = {}
        source = told[key] if key in told else data.get(key) or []
        for row, (head, words, _, _) in zip(source[:limit], rows[:limit]):
            same = alike_words(row, words)
            first.setdefault(same, words)
            alike.setdefault(same, []).append(head)
        for same, heads in alike.items():
            words = first[same]
            lines.append("  " + ltr(f"{heads[0]} — {words}"))  # (a Hebrew title first: still left to right)
            if len(heads) > 1:
                lines.append("    " + ntr("The same for {n} more:", "The same for {n} more:", len(heads) - 1)
                             + " " + tr("; ").join(heads[1:]))  # (titles may hold commas)
        if len(rows) > limit:
            lines.append("  …")
    return "\n".join(lines)


# -- the watcher -------------------------------------------------------------------

def watch_words(note: Any) -> str:
    """What the watcher's note (``watcher.WatchNote``) means for the user:
    whether what they change in Polar still comes into Anki by itself."""
    path, reason = note.root, note.reason
    if note.code == "poll_failed":
        return tr("Polar Sync can no longer watch the Polar folder {path} for changes ({reason}). What you change "
                  "in Polar now comes into Anki when you sync: Tools ▸ Sync from Polar.", path=path, reason=reason)
    if not note.then:
        return tr("Polar Sync cannot watch the Polar folder {path} for changes ({reason}). What you change in "
                  "Polar comes into Anki when you sync: Tools ▸ Sync from Polar.", path=path, reason=reason)
    if note.code == "watch_stopped":
        return tr("The system's change notices for the Polar folder {path} stopped ({reason}); Polar Sync now "
                  "checks the folder every few moments instead. What you change in Polar still comes into Anki by "
                  "itself.", path=path, reason=reason)
    if note.then == "poll":
        return tr("Polar Sync watches the Polar folder {path} by checking it every few moments, as the system's "
                  "change notices are not available ({reason}). What you change in Polar still comes into Anki by "
                  "itself.", path=path, reason=reason)
    return tr("The system's change notices for the Polar folder {path} are not available ({reason}); Polar Sync "
              "tries another way to watch it.", path=path, reason=reason)


# -- row messages ------------------------------------------------------------------

def _settings_path() -> str:
    return tr("Tools ▸ Polar Sync ▸ Settings…")


def _polar_sync_on_words(r: Mapping[str, Any]) -> str:
    """Polar's own sync added copies of cards this add-on keeps: what became
    of a copy never studied, by the setting that acted on it (the row's
    ``removed_as``: "Removed in Polar"), in plain words (it said "set aside
    like a duplicate", which a new user could not picture); a report of an
    older version, without it, says the default and that the setting decides."""
    n = _count(r)
    said = ntr("Polar's own Anki sync is still on: it added {n} note of a card this add-on already keeps, a second "
               "copy of the same question.",
               "Polar's own Anki sync is still on: it added {n} notes of cards this add-on already keeps, second "
               "copies of the same questions.", n)
    settings = _settings_path()
    fates = {
        "suspend": lambda: tr("A copy you never studied is suspended and tagged polar::deleted, as “Removed in "
                              "Polar” in {settings} says; one you studied is listed to look at.", settings=settings),
        "tag": lambda: tr("A copy you never studied is tagged polar::deleted and still comes up for study, as "
                          "“Removed in Polar” in {settings} says; one you studied is listed to look at.",
                          settings=settings),
        "keep": lambda: tr("A copy you never studied is left as it is and still comes up for study, as “Removed in "
                           "Polar” in {settings} says; one you studied is listed to look at.", settings=settings),
        "delete": lambda: tr("A copy you never studied is deleted, as “Removed in Polar” in {settings} says; one "
                             "you studied is listed to look at.", settings=settings),
    }
    fate = fates.get(str(r.get("removed_as") or ""))
    what = fate() if fate else tr(
        "A copy you never studied is treated as a note whose card was deleted in Polar: suspended and tagged "
        "polar::deleted, unless “Removed in Polar” in {settings} says otherwise; one you studied is listed to look "
        "at.", settings=settings)
    stop = tr("Your notes and their reviews stay as they are. To stop it, no longer use “Start Anki Sync” in Polar, "
              "or remove the AnkiConnect add-on if nothing else needs it.")
    return " ".join((said, what, stop))


def _review_limit_held(r: Mapping[str, Any]) -> str:
    """New notes held back by a limit of 0 reviews a day (the v3 scheduler
    counts new cards against it): a lasting limit, not today's."""
    if r.get("decks"):
        return ntr(
            "{n} new note in {decks} decks will not come up for study while their options preset “{preset}” "
            "allows 0 reviews a day, a limit Anki counts new cards against too: raise that limit to study it.",
            "{n} new notes in {decks} decks will not come up for study while their options preset “{preset}” "
            "allows 0 reviews a day, a limit Anki counts new cards against too: raise that limit to study them.",
            _count(r), decks=number(len(r.get("decks") or [])), preset=r.get("preset", ""))
    return ntr(
        "{n} new note in “{deck}” will not come up for study while the options of “{limit}” allow 0 reviews a "
        "day, a limit Anki counts new cards against too: raise that limit to study it.",
        "{n} new notes in “{deck}” will not come up for study while the options of “{limit}” allow 0 reviews a "
        "day, a limit Anki counts new cards against too: raise that limit to study them.",
        _count(r), deck=r.get("deck", ""), limit=r.get("limited_by", ""))


def _refused_words(r: Mapping[str, Any]) -> str:
    """Why a document's file was not read, in the reader's words (the core's
    ``refused``); without it (an export's damaged entry, a report of an older
    version) the sentence that points to the technical line."""
    kind = r.get("refused")
    if kind == "dangling":
        return tr("This document's state.json is a link that leads nowhere, so it was not read. Its notes in Anki "
                  "were left as they are.")
    if kind == "not_regular":
        return tr("This document's state.json is not an ordinary file (a folder, a pipe or a device), so it was not "
                  "read. Its notes in Anki were left as they are.")
    if kind == "outside":
        return tr("This document's state.json is a link to a file outside the Polar folder, so it was not read. Its "
                  "notes in Anki were left as they are.")
    if kind == "too_large":
        return tr("This document's state.json is too large to be a Polar document, so it was not read. Its notes in "
                  "Anki were left as they are.")
    return tr("This file was not read: it is not an ordinary file, leads outside the Polar folder, is too large, or "
              "is damaged (the line below says which). Its notes in Anki were left as they are.")


def _deck_tag_words(r: Mapping[str, Any]) -> str:
    """A document's deck: tag problems, each said in the reader's words (the
    core's ``issues``), then where its cards went. A report of an older
    version (no ``issues``) points to the technical line as it did."""
    deck = r.get("deck", "")
    issues = [i for i in r.get("issues") or () if isinstance(i, Mapping)]
    said: List[str] = []
    for issue in issues:
        tag, kind, n = str(issue.get("tag", "")), issue.get("kind"), int(issue.get("count") or 0)
        if kind == "empty":
            said.append(tr("The tag “{tag}” names no deck (nothing visible in it); it was left aside.", tag=tag))
        elif kind == "too_deep":
            said.append(ntr("The tag “{tag}” nests decks more than {n} level deep; the deepest levels were joined "
                            "into one.",
                            "The tag “{tag}” nests decks more than {n} levels deep; the deepest levels were joined "
                            "into one.", n, tag=tag))
        elif kind == "too_long":
            said.append(ntr("A level of the tag “{tag}” is longer than {n} character; it was shortened.",
                            "A level of the tag “{tag}” is longer than {n} characters; it was shortened.", n, tag=tag))
        elif kind == "invisible":
            said.append(tr("The tag “{tag}” holds invisible characters; they were removed.", tag=tag))
        elif kind == "several":
            said.append(ntr("This document has {n} deck: tag in Polar; the last one, “{tag}”, was used.",
                            "This document has {n} deck: tags in Polar; the last one, “{tag}”, was used.", n, tag=tag))
    if not said:
        return tr("Something is wrong with this document's deck: tag in Polar (the line below says what); its cards "
                  "went to “{deck}”. Correct the tag in Polar if that is not the deck you want.", deck=deck)
    said.append(tr("Its cards went to “{deck}”. Correct the tag in Polar if that is not the deck you want.", deck=deck))
    # (Japanese and Chinese sentences follow one another with no space.)
    return "".join(part if not i or said[i - 1].endswith(("。", "！", "？")) else " " + part
                   for i, part in enumerate(said))


def _where(r: Mapping[str, Any]) -> str:
    """``in “bio”, “chem” and 2 more decks``: where the notes a row counts
    were; and the note types deleted in Anki with them (``note_types``)."""
    where = _in_decks(r)
    types = [str(t) for t in r.get("note_types") or []]
    if not types:
        return where
    named = join([tr("“{text}”", text=t) for t in types])
    if len(types) == 1:
        return tr("{where}; the note type {types} was deleted too", where=where, types=named)
    return tr("{where}; the note types {types} were deleted too", where=where, types=named)


def _in_decks(r: Mapping[str, Any]) -> str:
    decks = [str(d) for d in r.get("decks") or []]
    if not decks:
        return tr("in their documents' decks")
    named = join([tr("“{text}”", text=d) for d in decks])
    more = int(r.get("more_decks") or 0)
    if more:
        return ntr("in {decks} and {n} more deck", "in {decks} and {n} more decks", more, decks=named)
    if len(decks) == 1:
        return tr("in the deck {decks}", decks=named)
    return tr("in the decks {decks}", decks=named)


def _made_again_words(r: Mapping[str, Any]) -> str:
    """Notes deleted in Anki, made again: where they were, how to be rid of a
    card, and the setting that leaves them deleted (a person who deleted a
    deck or a note type learns of it when it matters)."""
    n = _count(r)
    if not r.get("decks"):  # (a row of an earlier version, kept in the log)
        return ntr(
            "{n} note deleted in Anki was made again: its card is still in Polar. To be rid of a card for good, "
            "delete it in Polar, or suspend its note in Anki (a sync leaves that as it is).",
            "{n} notes deleted in Anki were made again: their cards are still in Polar. To be rid of a card for "
            "good, delete it in Polar, or suspend its note in Anki (a sync leaves that as it is).",
            n)
    return ntr(
        "{n} note deleted in Anki was made again ({where}): its card is still in Polar. To be rid of a card for "
        "good, delete it in Polar, or suspend its note in Anki. In {settings}, “Deleted in Anki” set to “Leave "
        "them deleted” leaves the notes you delete in Anki deleted.",
        "{n} notes deleted in Anki were made again ({where}): their cards are still in Polar. To be rid of a card "
        "for good, delete it in Polar, or suspend its note in Anki. In {settings}, “Deleted in Anki” set to "
        "“Leave them deleted” leaves the notes you delete in Anki deleted.",
        n, where=_where(r), settings=_settings_path())


def _online_only_words(r: Mapping[str, Any]) -> str:
    """A document whose folder reached this computer as a file-syncing
    service's placeholder only (library.PLACEHOLDERS): where it is, and the
    service's own way to download it; the watcher then syncs it."""
    service, file = str(r.get("service") or ""), r.get("file", "")
    if service == "iCloud Drive":
        return tr(
            "iCloud Drive keeps this document's folder, {file}, online only: it is not on this computer yet, so its "
            "cards were not synced. In Finder, open the Polar folder, Control-click {file} and choose Download Now "
            "(or turn off Optimise Mac Storage in iCloud's settings). Once it is downloaded, it syncs by itself.",
            file=file)
    return tr(
        "{service} keeps this document's folder, {file}, online only: it is not on this computer yet, so its cards "
        "were not synced. Right-click {file} in the Polar folder and choose {service}'s “Make always available "
        "locally”. Once it is downloaded, it syncs by itself.", service=service or "?", file=file)


# Rows whose words name their own file: rows alike but for it are said once
# ("The same for 299 more:", each by its name and file), as rows of the
# same words are (a new computer's iCloud folder may hold hundreds).
_NAMED_BY_FILE = frozenset({"online_only"})


def alike_words(row: Mapping[str, Any], words: str, dry_run: bool = False) -> str:
    """What groups ``row`` with others saying the same (``words``, its
    words, but for its own file where they name it)."""
    if row_code(row) in _NAMED_BY_FILE:
        return explain({**row, "file": "…"}, dry_run)
    return words


def _count(row: Mapping[str, Any]) -> int:
    try:
        return int(row.get("count") or 0)
    except (TypeError, ValueError):
        return 0


def _messages() -> Dict[str, Any]:
    # The core gives each row a ``code`` and its own English ``message``
    # (which keeps the technical detail, shown small below these words):
    # these are the words shown, in plain language, saying what to do.
    return {
        # -- files and documents
        "unreadable_file": lambda r: tr("The file could not be read: check that the disk is connected and "
                                        "that you may open the file, then sync again."),
        "file_refused": _refused_words,
        "not_a_document": lambda r: tr("The file is damaged or was cut short. Restore it from one of Polar's "
                                       "backup folders (.backup-… in the Polar data folder), or delete the "
                                       "document in Polar."),
        "document_part_skipped": lambda r: tr(
            "Part of this document is damaged in the Polar file and was skipped, with any cards in it; the rest "
            "was synced. If cards are missing, restore the file from one of Polar's backup folders (.backup-… "
            "in the Polar data folder)."),
        "name_not_utf8": lambda r: tr("The name of this document's file contains characters that are not valid "
                                      "text; it was synced all the same. Nothing to do."),
        "deck_tag": _deck_tag_words,
        # -- cards
        "card_not_synced": lambda r: tr("This card could not be synced because of an error in the add-on; its "
                                        "note (if any) was left as it was. Please report it with the line below."),
        "card_problem": lambda r: tr("This card is damaged in the Polar file and was not synced; the document's "
                                     "other cards were. Edit the card in Polar or make it again, then sync again."),
        "empty_front": lambda r: tr("This card's front is empty, so it was not synced. Give it a front in Polar, "
                                    "then sync again."),
        "cloze_empty": lambda r: tr("This cloze card has no text, so it was not synced. Write its text in Polar, "
                                    "then sync again."),
        "cloze_without_deletion": lambda r: tr(
            "This cloze card hides nothing (it has no {example}), so it was not synced. Mark the words to hide "
            "in Polar, then sync again.", example="{{c1::…}}"),
        "card_part_left_out": lambda r: tr("Part of this card was left out (the line below says what); the rest "
                                           "was synced."),
        "same_card_twice": lambda r: tr("The same card is also in another document and was synced from there; "
                                        "if this document is a copy, delete it in Polar."),
        # -- images
        "svg_image_dropped": lambda r: tr("An SVG image in this card was left out: SVG images can carry scripts, "
                                          "so they are not copied. The rest of the card was synced."),
        "image_dropped": lambda r: tr("An image in this card was left out because it is damaged or not a picture "
                                      "Anki can show (PNG, JPEG, GIF or WebP). The rest of the card was synced."),
        "image_too_large": lambda r: tr(
            "An image in this card is larger than the setting “Largest image to copy” allows, so it was left "
            "out. To copy it, raise that setting in {settings}, then sync again.", settings=_settings_path()),
        "web_image_left_out": lambda r: tr("An image in this card is on a web page and was left out: only images "
                                           "stored in Polar are copied into Anki."),
        "highlight_image_missing": lambda r: tr("The picture of this card's area highlight is missing from the "
                                                "Polar folder, so the card was synced without it."),
        "highlight_image_online_only": lambda r: tr(
            "The picture of this card's area highlight is kept online only by {service}: it is not on this computer "
            "yet, so the new note has no picture for now. Once the picture is downloaded (the folder files/image "
            "in the Polar folder), the next sync adds it to the note.", service=r.get("service") or "?"),
        "highlight_image_unreadable": lambda r: tr(
            "The picture of this card's area highlight could not be read (damaged, not a PNG, JPEG, GIF or "
            "WebP picture, or outside the Polar folder), so the card was synced without it."),
        "image_not_stored": lambda r: tr("An image could not be stored in Anki's media folder: check that the "
                                         "disk has room, then sync again."),
        # -- decks and note types
        "deck_refused": lambda r: tr("Anki refused to create this deck; its cards went to the default deck."),
        "filtered_deck": lambda r: tr(
            "The deck “{deck}” is a filtered deck or lies inside one, and filtered decks cannot keep cards of "
            "their own, so this document's cards went to “{fallback}”. Give the document another deck: tag in "
            "Polar if you want them elsewhere.", deck=r.get("deck", ""), fallback=r.get("fallback", "")),
        "fields_missing": lambda r: ntr(
            "The note type “{notetype}” lacks the field {fields} (renamed or removed in Anki), so that part of "
            "{n} note was not updated. Rename the field back to keep the notes in step with Polar; new notes go "
            "to a complete Polar note type.",
            "The note type “{notetype}” lacks the field {fields} (renamed or removed in Anki), so that part of "
            "{n} notes was not updated. Rename the field back to keep the notes in step with Polar; new notes go "
            "to a complete Polar note type.",
            _count(r), notetype=r.get("notetype", ""), fields=r.get("fields", "")),
        "notetype_replaced": lambda r: tr(
            "The note type “{notetype}” lacks the field {fields} (renamed or removed in Anki), so new notes of "
            "this kind go to the note type “{new}” instead. Existing notes stay as they are; with the field {fields} "
            "back, new notes go to “{notetype}” again.",
            notetype=r.get("notetype", ""), fields=r.get("fields", ""), new=r.get("new_notetype", "")),
        "notes_followed": lambda r: tr(
            "All the Polar notes of this kind are in the note type “{notetype}” now, so new ones go there too "
            "instead of “{stock}”; change one of them back to “{stock}” in the Browser (Notes ▸ Change Note Type) "
            "to have new ones go there again.", notetype=r.get("notetype", ""), stock=r.get("stock", "")),
        "kind_changed_kept": lambda r: tr(
            "Polar's cloze card {note} is in the note type “{notetype}” now, which is not a cloze type, so "
            "Polar's change to its text was not written into “{field}” (its braces would show on the "
            "question); changed back to a cloze note type, the note takes Polar's next change again.",
            note=card_name(r), notetype=r.get("notetype", ""), field=r.get("field", ""))
        if r.get("cloze") else tr(
            "Polar's basic card {note} is in the cloze note type “{notetype}” now, so Polar's change to its "
            "front was not written into “{field}”, which keeps its cloze deletions; changed back to "
            "a basic note type, the note takes Polar's next change again.",
            note=card_name(r), notetype=r.get("notetype", ""), field=r.get("field", "")),
        "old_scheduler": lambda r: ntr(
            "This collection still uses Anki's old scheduler, and Anki moves and suspends no card until it is "
            "updated: {n} note whose cards were to be moved to another deck or suspended was left as it is. "
            "Anki's deck list offers the update; the first sync after it does the rest.",
            "This collection still uses Anki's old scheduler, and Anki moves and suspends no card until it is "
            "updated: {n} notes whose cards were to be moved to another deck or suspended were left as they are. "
            "Anki's deck list offers the update; the first sync after it does the rest.",
            _count(r)),
        "new_cards_held": lambda r: _review_limit_held(r) if r.get("limit") == "reviews" else ntr(
            "{n} new note in {decks} decks will not come up for study while their options preset “{preset}” "
            "allows 0 new cards a day: raise that limit to study it.",
            "{n} new notes in {decks} decks will not come up for study while their options preset “{preset}” "
            "allows 0 new cards a day: raise that limit to study them.",
            _count(r), decks=number(len(r.get("decks") or [])), preset=r.get("preset", "")) if r.get("decks")
        else ntr(
            "{n} new note in “{deck}” will not come up for study while the options of “{limit}” allow 0 new "
            "cards a day: raise that limit to study it.",
            "{n} new notes in “{deck}” will not come up for study while the options of “{limit}” allow 0 new "
            "cards a day: raise that limit to study them.",
            _count(r), deck=r.get("deck", ""), limit=r.get("limited_by", "")) if r.get("limited_by") else ntr(
            "{n} new note in “{deck}” will not come up for study today, as the deck's daily limits are reached: "
            "it comes up on a later day, or sooner if you raise the limits in the deck's options.",
            "{n} new notes in “{deck}” will not come up for study today, as the deck's daily limits are reached: "
            "they come up on later days, or sooner if you raise the limits in the deck's options.",
            _count(r), deck=r.get("deck", "")),
        "new_cards_queued": _queued_words,
        "new_cards_wait_update": lambda r: ntr(
            "{n} new note will not come up for study until Anki's scheduler is updated: this collection still "
            "uses an old scheduler, and Anki shows none of its cards for study until then. Anki's deck "
            "list offers the update.",
            "{n} new notes will not come up for study until Anki's scheduler is updated: this collection still "
            "uses an old scheduler, and Anki shows none of its cards for study until then. Anki's deck "
            "list offers the update.",
            _count(r)),
        "delete_refused": lambda r: tr("So many notes would have been deleted that none were; "
                                       "see “Most notes one sync may delete” in the settings."),
        # -- the library as a whole
        "library_empty": lambda r: tr(
            "The Polar library has no documents, so no note was marked as removed in Polar. If this is not your "
            "Polar folder, choose the right one in {settings}.", settings=_settings_path()),
        "library_switched": lambda r: ntr(
            "This is another Polar library than the one synced before (another Polar account's export, or "
            "another Polar folder). {n} document synced before is not in it: its notes were left as they are, "
            "not marked as removed in Polar.",
            "This is another Polar library than the one synced before (another Polar account's export, or "
            "another Polar folder). {n} documents synced before are not in it: their notes were left as they "
            "are, not marked as removed in Polar.",
            _count(r)),
        "foreign_notes": lambda r: ntr(
            "{n} note in this collection belongs to a Polar card that no document of this library holds, and no "
            "earlier sync of this add-on made it (another tool, an import, another computer, or a lost sync "
            "record). It was left as it is.",
            "{n} notes in this collection belong to Polar cards that no document of this library holds, and no "
            "earlier sync of this add-on made them (another tool, an import, another computer, or a lost sync "
            "record). They were left as they are.",
            _count(r)),
        "polar_sync_on": _polar_sync_on_words,
        "made_again": _made_again_words,
        "left_deleted": lambda r: ntr(
            "{n} note you deleted in Anki was left deleted ({where}), as “Deleted in Anki” in {settings} says. "
            "If its card changes in Polar, it gets a new note; “Make them again” brings it back.",
            "{n} notes you deleted in Anki were left deleted ({where}), as “Deleted in Anki” in {settings} says. "
            "A card that changes in Polar gets a new note; “Make them again” brings them back.",
            _count(r), where=_where(r), settings=_settings_path()),
        "left_deleted_before": lambda r: ntr(
            "{n} note you deleted in Anki stays deleted ({where}), as an earlier sync said: “Deleted in Anki” in "
            "{settings} is “Leave them deleted”. “Make them again” brings it back.",
            "{n} notes you deleted in Anki stay deleted ({where}), as an earlier sync said: “Deleted in Anki” in "
            "{settings} is “Leave them deleted”. “Make them again” brings them back.",
            _count(r), where=_where(r), settings=_settings_path()),
        "made_again_by_setting": lambda r: ntr(
            "{n} note you deleted in Anki, left deleted until now, was made again ({where}), as the setting "
            "“Deleted in Anki” now says.",
            "{n} notes you deleted in Anki, left deleted until now, were made again ({where}), as the setting "
            "“Deleted in Anki” now says.",
            _count(r), where=_where(r)),
        "made_again_replaced": lambda r: ntr(
            "{n} note an earlier sync had made was made again: it was not in the collection, and Anki has no "
            "record of deleting it, so the collection was most likely replaced since that sync (a full download "
            "from AnkiWeb, or a backup or .colpkg opened). Its reviews, if it had any, are in the collection that "
            "was replaced.",
            "{n} notes an earlier sync had made were made again: they were not in the collection, and Anki has no "
            "record of deleting them, so the collection was most likely replaced since that sync (a full download "
            "from AnkiWeb, or a backup or .colpkg opened). Their reviews, if they had any, are in the collection "
            "that was replaced.",
            _count(r)),
        "cloze_cards_emptied": lambda r: ntr(
            "{n} card of this cloze lost its cloze deletion in Polar: Anki keeps it and shows it as empty in the "
            "reviews until Tools ▸ Empty Cards deletes it, with its reviews.",
            "{n} cards of this cloze lost their cloze deletions in Polar: Anki keeps them and shows them as empty "
            "in the reviews until Tools ▸ Empty Cards deletes them, with their reviews.",
            _count(r)),
        "emptied_decks": lambda r: tr(
            "Left empty by the duplicates removed: {decks}. The other computer's sync made these decks; delete "
            "them in Anki if you like, on one computer (AnkiWeb takes that to the other).",
            decks=", ".join(str(d) for d in r.get("decks") or [])),
        "export_damaged": lambda r: tr("Part of the Polar export could not be read; the rest was synced. Export "
                                       "your library from Polar again and sync from the new file."),
        "export_incomplete": lambda r: tr(
            "The Polar export is damaged and could not be read to the end: documents not found in it were left "
            "as they are, not taken as removed. Export your library from Polar again and sync from the new file."),
        "export_downloading": lambda r: tr(
            "The Polar export {file} is still being downloaded by your browser: what is not in it yet was left as "
            "it is, nothing was taken as removed. Sync again once the download is done.",
            file=r.get("file", "")),
        "export_newer_beside": lambda r: tr(
            "A Polar export downloaded later is in the same folder: {file}. Polar gives every export a new name, "
            "so this sync read the older one; choose the new file with “Use a Polar export…” to sync what "
            "changed in Polar since.", file=r.get("file", "")),
        "export_leftovers_taken": lambda r: tr(
            "This folder also holds files left by an older Polar export unpacked there ({date}). This export does "
            "not hold them, so what they held was taken as removed in Polar.", date=day(str(r.get("dated", "")))),
        "export_leftovers_kept": lambda r: tr(
            "This folder also holds files left by an older Polar export unpacked there ({date}) that this export "
            "did not write over, so what was removed in Polar since cannot be told: they were synced as they are. "
            "Unpack each new export into a new, empty folder.", date=day(str(r.get("dated", "")))),
        "export_unpacked_cut": lambda r: tr(
            "This folder was unpacked from {file}, a download cut short (its end is missing), over the files of an "
            "older Polar export ({date}): nothing was taken as removed in Polar. Download the export again and "
            "unpack it into a new, empty folder.", file=r.get("file", ""), date=day(str(r.get("dated", "")))),
        "cloud_copy": lambda r: tr(
            "The folder {file} is a copy of this document's folder that a file-syncing service (Dropbox, OneDrive, "
            "Google Drive, Syncthing, Nextcloud, iCloud Drive) made when the document changed on two computers at "
            "once. It was not synced: the document's own folder was. A card made on the other computer that only "
            "the copy holds is not in the document in Polar either: make it again in Polar if you need it, then "
            "delete the copy.", file=r.get("file", "")),
        "folder_copy": lambda r: tr(
            "The folder {file} holds a copy of this document, made by hand or by a file-syncing service and "
            "renamed since. It was not synced: the document's own folder was. A card that only the copy holds is "
            "not in the document in Polar: make it again in Polar if you need it, then delete the copy or move it "
            "out of the Polar folder.", file=r.get("file", "")),
        "online_only": _online_only_words,
        "being_written": lambda r: tr(
            "This document's file was still being written when the sync read it (a copy or a file-syncing service "
            "at work). Nothing is wrong with it: it is read again in a moment, and its cards are synced by "
            "themselves once it is written."),
        "export_chosen_in_folder": lambda r: tr(
            "The chosen folder holds {n} Polar exports; the latest, {file}, was read.",
            n=number(_count(r)), file=r.get("file", "")),
        "export_unidentified": lambda r: tr(
            "Some documents in the Polar export could not be identified, so no document missing from it was "
            "taken as removed this time. If this stays, export your library from Polar again."),
        "export_block_flashcards": lambda r: ntr(
            "{n} flashcard in the Polar export is stored in Polar 3's newer format (blocks) for a document that is "
            "not in the export, so it was not synced.",
            "{n} flashcards in the Polar export are stored in Polar 3's newer format (blocks) for documents that "
            "are not in the export, so they were not synced.",
            _count(r)),
        "block_flashcards_held_back": lambda r: ntr(
            "{n} flashcard of this document, edited in Polar 3, could not be matched for certain with the card it "
            "was copied from when Polar 3 took the document over. To make no duplicate it was not synced; the note "
            "of the earlier card stays as it was.",
            "{n} flashcards of this document, edited in Polar 3, could not be matched for certain with the cards "
            "they were copied from when Polar 3 took the document over. To make no duplicates they were not "
            "synced; the notes of the earlier cards stay as they were.",
            _count(r)),
        "stopped_by_you": lambda r: tr(
            "Stopped as you asked, after adding {done} of {total} new notes; they stay, and the next sync adds "
            "the rest.", done=number(int(r.get("done") or 0)), total=number(int(r.get("total") or 0))),
        "stopped_updating_by_you": lambda r: tr(
            "Stopped as you asked, after updating {done} of {total} notes; they stay, and the next sync updates "
            "the rest.", done=number(int(r.get("done") or 0)), total=number(int(r.get("total") or 0))),
        # -- the add-on's own record, undo, settings
        "state_rebuilt": lambda r: tr(
            "The add-on's record of earlier syncs could not be used (damaged, or from another collection or "
            "version), so it was made anew and every Polar document was read again. Nothing to do."),
        "preview_after_undo": lambda r: tr("An earlier sync was undone in Anki. The next sync brings back what it "
                                           "changed; this preview does not show that."),
        "undo_beyond_memory": lambda r: tr("Syncs were undone in Anki further back than the add-on remembers, so "
                                           "every Polar document was read again."),
        "config_setting": lambda r: tr("{problem} (in {settings})", problem=r.get("message", ""),
                                       settings=_settings_path()),
        "collection_full": lambda r: tr("The disk that holds this collection file is full, so the sync stopped. "
                                        "Free some disk space, then sync again."),
        "files_readonly": lambda r: tr(
            "This file or folder cannot be written: its disk is read-only (or turned read-only), or its "
            "permissions forbid it, so the sync stopped. Make it writable, then sync again."),
        "collection_damaged": lambda r: tr(
            "This collection file is damaged, so the sync stopped. Use Tools ▸ Check Database; if it cannot repair "
            "the file, open a backup (File ▸ Switch Profile ▸ Open Backup…), then sync again."),
        "sync_failed": lambda r: tr("The sync stopped because of an unexpected error in the add-on. Sync again; "
                                    "if it happens again, please report it with the line below."),
        # -- conflicts
        "conflict_polar": lambda r: tr("“{field}” was changed in Polar and in Anki; Polar's version was kept.",
                                       field=r.get("field", "")),
        "conflict_anki": lambda r: tr("“{field}” was changed in Polar and in Anki; Anki's version was kept.",
                                      field=r.get("field", "")),
        "unrecorded_anki": lambda r: tr(
            "“{field}” was edited in Anki after Polar's old sync wrote it: your version was kept.",
            field=r.get("field", "")) if r.get("old_sync") else tr(
            "“{field}” differs from Polar's text, and the add-on has no record of syncing this note before (it "
            "came from another computer or an import, or the add-on's record was lost): Anki's version was kept.",
            field=r.get("field", "")),
        "conflict_context_polar": lambda r: tr(
            "Text was typed into the part of “{field}” that says where the card comes from, and that part "
            "changed in Polar: Polar's version was kept, so the text typed there is gone. Type it again before "
            "that part to keep it.", field=r.get("field", "")),
        "conflict_context_anki": lambda r: tr(
            "Text was typed into the part of “{field}” that says where the card comes from, and that part "
            "changed in Polar: Anki's version was kept, so this note does not show Polar's new version of it.",
            field=r.get("field", "")),
    }


# Problems an older version stored in the sync state (shown again while
# their document is unchanged) or in last-report.json: without a code, or
# with the one it gave every card that could not be synced. Known by the
# core's English message, which has not changed.
_OLD_MESSAGES = (
    ("flashcard has an empty front", "empty_front"),
    ("cloze card has an empty text", "cloze_empty"),
    ("cloze card has no deletion", "cloze_without_deletion"),
    ("could not render the card: ", "card_not_synced"),
    ("cannot read the file: ", "unreadable_file"),
    ("not a readable Polar document: ", "not_a_document"),
    ("the same flashcard id is already synced from document ", "same_card_twice"),
    ("could not store the image: ", "image_not_stored"),
)


def source_error_words(exc: BaseException) -> str:
    """Why the Polar library (a folder or an export) cannot be used at all,
    in the reader's words: the core's ``SourceError`` is English (the CLI and
    the log say it so); its ``code`` and details give the words here. The
    system's or the archive's own reason stays as they gave it, in the
    reader's sentence. A reason without words here: the core's English."""
    code = getattr(exc, "code", "")
    details: Mapping[str, str] = getattr(exc, "details", {}) or {}
    file, reason = details.get("file", ""), details.get("reason", "")
    if code == "not_an_export":
        return tr("{file} is neither a Polar data directory nor a Polar export (a .zip, .tar.gz or .tar archive)",
                  file=file)
    if code == "folder_unreadable":
        return tr("cannot read the Polar data directory {file}: {reason}", file=file, reason=reason)
    if code == "export_unreadable":
        return tr("cannot read the Polar export {file}: {reason}", file=file, reason=reason)
    if code == "special_file":
        kind = details.get("kind", "")
        if kind == "pipe":
            return tr("{file} is a pipe (FIFO), not a folder or a regular file, so it is not read as a Polar data "
                      "directory or export", file=file)
        if kind == "device":
            return tr("{file} is a device, not a folder or a regular file, so it is not read as a Polar data "
                      "directory or export", file=file)
        if kind == "socket":
            return tr("{file} is a socket, not a folder or a regular file, so it is not read as a Polar data "
                      "directory or export", file=file)
        return tr("{file} is a special file, not a folder or a regular file, so it is not read as a Polar data "
                  "directory or export", file=file)
    if code == "missing":
        what = details.get("what", "")
        words = (tr("the Polar export {file} does not exist", file=file) if what == "export" else
                 tr("the unpacked Polar export {file} does not exist", file=file) if what == "unpacked" else
                 tr("the Polar data directory {file} does not exist", file=file))
        if details.get("newer"):
            words += tr("; a Polar export downloaded later is in that folder: {file}", file=details["newer"])
        elif details.get("same"):
            words += tr("; the same export is in that folder, named {file}: choose that one", file=details["same"])
        return words
    if code == "export_still_downloading":
        return tr("the Polar export {file} holds no whole document yet: {download} is a download not finished; "
                  "try again once it is done", file=file, download=details.get("downloading", ""))
    if code == "export_empty":
        words = tr("{file} is empty (0 bytes)", file=file)
    elif code == "export_unopenable":
        words = tr("cannot open the Polar export {file}: {reason}", file=file,
                   reason=_archive_reason(details.get("why", ""), details.get("detail", "")) or reason)
    else:
        return str(exc)
    downloading = details.get("downloading", "")
    if downloading == "self":
        words += tr("; it is a download not finished yet: try again once the download is done")
    elif downloading:
        words += tr("; its download is not finished ({file} is beside it): try again once the download is done",
                    file=downloading)
    return words


def _archive_reason(why: str, detail: str) -> str:
    """An archive's reason (``ArchiveError.why``) in the reader's words; ""
    for one without words here (the core's English is said then)."""
    opened = {"truncated": lambda: tr("the archive is truncated"),
              "checksum": lambda: tr("the gzip checksum does not match"),
              "compressed": lambda: tr("corrupt compressed data: {detail}", detail=detail)}
    if why in opened:
        return tr("the archive cannot be opened ({reason})", reason=opened[why]())
    whole = {"no_member": lambda: tr("the archive ends before its first member"),
             "gzip_not_tar": lambda: tr("the gzip stream does not hold a tar archive"),
             "not_tar": lambda: tr("not a tar archive"),
             "zip_damaged": lambda: tr("the zip is damaged: neither its directory nor its first entry can be read"),
             "no_doc_meta": lambda: tr("the folder holds no doc_meta folder")}
    return whole[why]() if why in whole else ""


def row_code(row: Mapping[str, Any]) -> str:
    """The kind of a row, also of one an older version made."""
    code = str(row.get("code") or "")
    if code in ("", "card_not_synced"):
        message = str(row.get("message") or "")
        for start, known in _OLD_MESSAGES:
            if message.startswith(start):
                return known
        if not code and ", not a map" in message:  # a damaged part of a document
            return "document_part_skipped"
    return code


def explain(row: Mapping[str, Any], dry_run: bool = False) -> str:
    """A row's message in the interface language when its kind is known;
    of a preview (``dry_run``), in its own words where the sync's say it is done."""
    words = (_preview_messages().get(row_code(row)) if dry_run else None) or _messages().get(row_code(row))
    return words(row) if words else str(row.get("message") or "")


def _preview_messages() -> Dict[str, Any]:
    """A preview's words for the rows the sync says in words of what it did
    ("was made again"): what a sync now would do. The others say how
    things are, or what happens next, in a preview as in a sync."""
    return {
        "made_again": lambda r: ntr(
            "{n} note deleted in Anki would be made again ({where}): its card is still in Polar. To be rid of a "
            "card for good, delete it in Polar, or suspend its note in Anki. In {settings}, “Deleted in Anki” set "
            "to “Leave them deleted” leaves the notes you delete in Anki deleted.",
            "{n} notes deleted in Anki would be made again ({where}): their cards are still in Polar. To be rid of "
            "a card for good, delete it in Polar, or suspend its note in Anki. In {settings}, “Deleted in Anki” "
            "set to “Leave them deleted” leaves the notes you delete in Anki deleted.",
            _count(r), where=_where(r), settings=_settings_path()),
        "made_again_by_setting": lambda r: ntr(
            "{n} note you deleted in Anki, left deleted until now, would be made again ({where}), as the setting "
            "“Deleted in Anki” now says.",
            "{n} notes you deleted in Anki, left deleted until now, would be made again ({where}), as the setting "
            "“Deleted in Anki” now says.",
            _count(r), where=_where(r)),
        "made_again_replaced": lambda r: ntr(
            "{n} note an earlier sync had made would be made again: it is not in the collection, and Anki has no "
            "record of deleting it, so the collection was most likely replaced since that sync (a full download "
            "from AnkiWeb, or a backup or .colpkg opened). Its reviews, if it had any, are in the collection that "
            "was replaced.",
            "{n} notes an earlier sync had made would be made again: they are not in the collection, and Anki has "
            "no record of deleting them, so the collection was most likely replaced since that sync (a full "
            "download from AnkiWeb, or a backup or .colpkg opened). Their reviews, if they had any, are in the "
            "collection that was replaced.",
            _count(r)),
        "notetype_replaced": lambda r: tr(
            "The note type “{notetype}” lacks the field {fields} (renamed or removed in Anki), so a sync would add "
            "new notes of this kind to a new note type “{new}”, made for them. Existing notes stay as they are; "
            "with the field {fields} back, new notes go to “{notetype}” again.",
            notetype=r.get("notetype", ""), fields=r.get("fields", ""), new=r.get("new_notetype", "")),
        "notes_followed": lambda r: tr(
            "All the Polar notes of this kind are in the note type “{notetype}” now, so a sync would add new ones "
            "there too instead of to “{stock}”; change one of them back to “{stock}” in the Browser (Notes ▸ Change "
            "Note Type) to have new ones go there again.", notetype=r.get("notetype", ""), stock=r.get("stock", "")),
        "highlight_image_online_only": lambda r: tr(
            "The picture of this card's area highlight is kept online only by {service}: it is not on this computer "
            "yet, so a sync now would make the new note without a picture. Once the picture is downloaded (the "
            "folder files/image in the Polar folder), the next sync adds it to the note.",
            service=r.get("service") or "?"),
        "cloze_cards_emptied": lambda r: ntr(
            "{n} card of this cloze lost its cloze deletion in Polar: after a sync, Anki would keep it and show it "
            "as empty in the reviews until Tools ▸ Empty Cards deletes it, with its reviews.",
            "{n} cards of this cloze lost their cloze deletions in Polar: after a sync, Anki would keep them and "
            "show them as empty in the reviews until Tools ▸ Empty Cards deletes them, with their reviews.",
            _count(r)),
    }


# -- progress ------------------------------------------------------------------------

_READING = r"Reading Polar documents… ([\d,]+)/([\d,]+)$"
_EXPORT = r"Reading the Polar export… ([\d,]+) of ([\d,]+) MB \((\d+)%\)$"
_ADDING = r"Adding ([\d,]+) notes…$"
_ADDED = r"Adding notes… ([\d,]+)/([\d,]+)$"
_UPDATING = r"Updating ([\d,]+) notes…$"
_UPDATED = r"Updating notes… ([\d,]+)/([\d,]+)$"
_CARDS = r"(Moving|Suspending|Unsuspending) ([\d,]+) cards…$"


def _queued_words(r: Mapping[str, Any]) -> str:
    """The backlog row: the wait as the deck is studied on its own, and as
    its top deck is studied when that is longer (``top``); the top's alone
    when the deck's own is short (no ``days``)."""
    n, deck, top = _count(r), r.get("deck", ""), r.get("top", "")
    figures = {"ahead": number(int(r.get("top_ahead") or 0)), "limit": number(int(r.get("top_limit") or 0)),
               "days": number(int(r.get("top_days") or 0))}
    if r.get("days") is None and top:
        return ntr(
            "{n} new note in “{deck}”, studied from “{top}”, comes after {ahead} new cards of the decks in "
            "“{top}”: at its {limit} new cards a day, it comes up in about {days} days.",
            "{n} new notes in “{deck}”, studied from “{top}”, come after {ahead} new cards of the decks in "
            "“{top}”: at its {limit} new cards a day, they begin to come up in about {days} days.",
            n, deck=deck, top=top, **figures)
    words = ntr(
        "{n} new note in “{deck}” comes after {ahead} older new cards of that deck: at its {limit} new cards "
        "a day, it comes up in about {days} days.",
        "{n} new notes in “{deck}” come after {ahead} older new cards of that deck: at its {limit} new cards "
        "a day, they begin to come up in about {days} days.",
        n, deck=deck, ahead=number(int(r.get("ahead") or 0)),
        limit=number(int(r.get("limit") or 0)), days=number(int(r.get("days") or 0)))
    if not top:
        return words
    return words + " " + tr(
        "Studied from “{top}”: after {ahead} new cards of the decks in “{top}”, at its {limit} new cards a day, "
        "in about {days} days.", top=top, **figures)


def _int(digits: str) -> int:
    """A count in a core progress message ("5000", or "5,000" as English writes it)."""
    return int(digits.replace(",", ""))


def progress_share(message: str) -> Optional[Tuple[int, int]]:
    """(done, total) for a progress message that counts (documents read, MB
    of an export, notes added so far): the window's bar shows it; None for
    the others, which show Anki's busy bar. ("Adding 3000 notes…" is busy:
    a small sync adds them in one call, and a bar would stand at 0.)"""
    match = re.match(_READING, message) or re.match(_ADDED, message) or re.match(_UPDATED, message)
    if match:
        return _int(match.group(1)), _int(match.group(2))
    match = re.match(_EXPORT, message)
    if match:
        return int(match.group(3)), 100
    return None


def progress_words(message: str) -> str:
    """The core's progress messages (English) in the interface language.
    (The patterns go through ``re``'s own cache: compiled by the first sync,
    not at Anki's start, ~1 ms each on a slow machine.)"""
    match = re.match(_READING, message)
    if match:
        return tr("Reading Polar documents… {done}/{total}", done=number(_int(match.group(1))),
                  total=number(_int(match.group(2))))
    match = re.match(_EXPORT, message)
    if match:
        return tr("Reading the Polar export… {done} of {total} MB ({share}%)", done=number(_int(match.group(1))),
                  total=number(_int(match.group(2))), share=match.group(3))
    match = re.match(_ADDING, message)
    if match:
        return ntr("Adding {n} note…", "Adding {n} notes…", _int(match.group(1)))
    match = re.match(_ADDED, message)
    if match:
        return tr("Adding notes… {done}/{total}", done=number(_int(match.group(1))),
                  total=number(_int(match.group(2))))
    match = re.match(_UPDATING, message)
    if match:
        return ntr("Updating {n} note…", "Updating {n} notes…", _int(match.group(1)))
    match = re.match(_UPDATED, message)
    if match:
        return tr("Updating notes… {done}/{total}", done=number(_int(match.group(1))),
                  total=number(_int(match.group(2))))
    match = re.match(_CARDS, message)
    if match:
        n = _int(match.group(2))
        return {
            "Moving": lambda: ntr("Moving {n} card…", "Moving {n} cards…", n),
            "Suspending": lambda: ntr("Suspending {n} card…", "Suspending {n} cards…", n),
            "Unsuspending": lambda: ntr("Unsuspending {n} card…", "Unsuspending {n} cards…", n),
        }[match.group(1)]()
    fixed = {
        "Checking the collection against the last sync…": lambda: tr("Checking the collection against the last sync…"),
        "Looking up existing notes…": lambda: tr("Looking up existing notes…"),
        "Planning…": lambda: tr("Planning…"),
        "Writing media…": lambda: tr("Writing media…"),
        "Backing up your collection…": lambda: tr("Backing up your collection…"),
    }
    words = fixed.get(message)
    return words() if words else message
