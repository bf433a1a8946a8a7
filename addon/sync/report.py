"""What a sync did, for the CLI's JSON and summary and the GUI's dialog.

Besides the counts, a report names things the way a person knows them: each
row of ``errors``/``warnings``/``conflicts`` may carry the document (its key
and, in ``to_dict``, its title), the card (id, page, the start of its front),
the note id and a ``code`` saying what kind of row it is (so the GUI can say
it in the user's language; ``message`` keeps the English detail). ``changes``
lists every created/updated/moved/restored/removed/deleted note, one row per
counted change, so the lists and the counts agree.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union, overload

from ..numbers import count as grouped  # (Report.count is a figure by key)

if TYPE_CHECKING:
    from anki.collection import OpChanges

# The figures ``to_dict`` gives, in this order (public JSON keys: kept as they are).
MAIN_COUNTS = ("created", "updated", "unchanged", "moved", "orphaned", "deleted")
EXTRA_COUNTS = ("restored", "adopted", "paired", "rekeyed", "duplicates", "copies")
_CHANGES = tuple(k for k in MAIN_COUNTS if k != "unchanged") + EXTRA_COUNTS

# The summary's words for the counts: the very words of the report window
# and the tooltip (``gui/report_text.counts_line`` in English), in its
# order, so the CLI, the sync log and the GUI say the same ("6 new notes",
# not "6 created"). tests/gui/test_units.py compares the two.
_PHRASES = (  # (count key, one, more) of a sync
    ("created", "{n} new note", "{n} new notes"),
    ("updated", "{n} note updated", "{n} notes updated"),
    ("moved", "{n} note moved to another deck", "{n} notes moved to another deck"),
    ("restored", "{n} note back in Polar", "{n} notes back in Polar"),
    ("orphaned", "{n} note removed in Polar", "{n} notes removed in Polar"),
    ("deleted", "{n} note deleted", "{n} notes deleted"),
)
_DRY_PHRASES = (  # ... and of a preview
    ("created", "{n} note would be added", "{n} notes would be added"),
    ("updated", "{n} note would be updated", "{n} notes would be updated"),
    ("moved", "{n} note would move to another deck", "{n} notes would move to another deck"),
    ("restored", "{n} note would come back", "{n} notes would come back"),
    ("orphaned", "{n} note removed in Polar", "{n} notes removed in Polar"),
    ("deleted", "{n} note would be deleted", "{n} notes would be deleted"),
)


# What became of the notes whose cards were deleted in Polar, by
# ``deletion_policy`` ("delete" counts them as deleted): said instead of
# "removed in Polar", which read as the notes and their reviews gone.
_REMOVED = {  # policy -> (one, more) of a sync
    "suspend": ("{n} note suspended (its card was deleted in Polar)",
                "{n} notes suspended (their cards were deleted in Polar)"),
    "tag": ("{n} note tagged polar::deleted (its card was deleted in Polar)",
            "{n} notes tagged polar::deleted (their cards were deleted in Polar)"),
    "keep": ("{n} note left as it is (its card was deleted in Polar)",
             "{n} notes left as they are (their cards were deleted in Polar)"),
}
_DRY_REMOVED = {  # ... and of a preview
    "suspend": ("{n} note would be suspended (its card was deleted in Polar)",
                "{n} notes would be suspended (their cards were deleted in Polar)"),
    "tag": ("{n} note would be tagged polar::deleted (its card was deleted in Polar)",
            "{n} notes would be tagged polar::deleted (their cards were deleted in Polar)"),
    "keep": ("{n} note would be left as it is (its card was deleted in Polar)",
             "{n} notes would be left as they are (their cards were deleted in Polar)"),
}


# What became of a second note of one Polar card (two computers, Polar's own
# sync beside the add-on): the setting for removed cards acted on it. Said
# so, not "set aside", which under "delete" counted one deleted note twice.
_DUPLICATES = {  # policy -> (one, more) of a sync
    "suspend": ("{n} duplicate note suspended", "{n} duplicate notes suspended"),
    "tag": ("{n} duplicate note tagged polar::deleted", "{n} duplicate notes tagged polar::deleted"),
    "keep": ("{n} duplicate note left as it is", "{n} duplicate notes left as they are"),
    "delete": ("{n} duplicate note deleted", "{n} duplicate notes deleted"),
}
_DRY_DUPLICATES = {  # ... and of a preview
    "suspend": ("{n} duplicate note would be suspended", "{n} duplicate notes would be suspended"),
    "tag": ("{n} duplicate note would be tagged polar::deleted",
            "{n} duplicate notes would be tagged polar::deleted"),
    "keep": ("{n} duplicate note would be left as it is", "{n} duplicate notes would be left as they are"),
    "delete": ("{n} duplicate note would be deleted", "{n} duplicate notes would be deleted"),
}


def duplicates_as(counts: Mapping[str, Any]) -> str:
    """What the setting for removed cards did to a report's duplicates: its
    ``removed_as``; "delete" when that setting deleted them (they are then
    among the report's ``deleted``, which the words count apart); "" for a
    report of an older version that does not say."""
    removed_as = str(counts.get("removed_as") or "")
    if removed_as:
        return removed_as
    duplicates = int(counts.get("duplicates") or 0)
    return "delete" if duplicates and int(counts.get("deleted") or 0) >= duplicates else ""


def _phrase(n: int, one: str, more: str) -> str:
    """"1 new note", "5,000 new notes" (English, as the summary is)."""
    return (one if n == 1 else more).format(n=grouped(n))


# How long a card's front may be in a report row (characters).
FRONT_CHARS = 120
# Tags that break a line become a space; inline ones (<b>, <span>) vanish.
_BREAK = re.compile(r"<(?:br|/?(?:p|div|li|ul|ol|tr|td|th|h[1-6]|blockquote|pre|table))\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", re.S)


def plain_text(field_html: str, limit: int = FRONT_CHARS) -> str:
    """The start of a field as one line of text (tags dropped, cloze
    deletions shown as their text). Each step only when needed: a first
    sync's report makes this of every new note."""
    text = field_html[: limit * 8]
    if "{{" in text:
        text = _CLOZE.sub(r"\1", text)
    if "<" in text:
        text = _TAG.sub("", _BREAK.sub(" ", text))
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Change:
    """One counted change of one note."""

    # One per created note (50,000 in a large first sync): no __dict__ each.
    __slots__ = ("kind", "note_id", "deck", "document", "card", "page", "front", "taken_over")

    kind: str  # "created" | "updated" | "moved" | "restored" | "removed" | "deleted"
    note_id: int  # 0: not in the collection (yet): a preview's new notes
    deck: str
    document: str  # the document's key ("" for a Polar note no document is known for)
    card: str  # the Polar card id
    page: int
    front: str  # the front's HTML (made plain in ``to_dict``, only when asked)
    # "adopted" / "paired": an update that took over a note of Polar's old
    # sync (its deck's line in the report says so, as the headline does).
    taken_over: str

    def to_dict(self, titles: Mapping[str, str]) -> Dict[str, Any]:
        row = {
            "change": self.kind,
            "note_id": self.note_id or None,
            "deck": self.deck,
            "document": self.document,
            "title": titles.get(self.document, ""),
            "card": self.card,
            "page": self.page or None,
            "front": plain_text(self.front),
        }
        if self.taken_over:
            row["taken_over"] = self.taken_over
        return row


class ChangeRows(Sequence[Dict[str, Any]]):
    """``to_dict()["changes"]``, each row made when first read. A first sync
    of a large library changes 50,000 notes (~0.25 s of rows, most of it
    their fronts as plain text), and most syncs show only their counts: the
    log keeps the first rows, the report window reads them all when it opens."""

    def __init__(self, changes: Sequence[Change], titles: Mapping[str, str]) -> None:
        self._changes = changes  # a finished sync's: they do not change any more
        self._titles = titles
        self._rows: List[Optional[Dict[str, Any]]] = [None] * len(changes)
        self.made = 0  # rows made so far

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> List[Dict[str, Any]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        row = self._rows[index]  # IndexError past the end: ends iteration
        if row is None:
            row = self._rows[index] = self._changes[index].to_dict(self._titles)
            self.made += 1
        return row

    def make_first(self, n: int) -> None:
        """Make the first ``n`` rows now (on the thread that can afford it)."""
        for i in range(min(n, len(self._rows))):
            self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ChangeRows, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable cache, compared by value like a list


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    orphaned: int = 0  # notes whose Polar card is gone, handled by the policy
    removed_as: str = ""  # that policy ("suspend", "tag", "keep"): what became of them
    deleted: int = 0  # notes removed (deletion_policy "delete")
    restored: int = 0  # orphaned notes whose card came back
    adopted: int = 0  # notes of Polar's old AnkiConnect sync taken over
    rekeyed: int = 0  # cards Polar re-created on edit, kept as the same note
    duplicates: int = 0  # extra notes of one Polar card (two computers), set aside
    copies: int = 0  # extra notes of one Polar card holding nothing of the user's, removed
    paired: int = 0  # old-sync notes of an older version of a card, taken over
    # ids of old-sync notes that match no current Polar card: never changed
    # by a sync; the user may look at them or suspend them
    legacy_leftovers: List[int] = field(default_factory=list)
    # of them, older versions of a card synced now (Polar's old sync added a
    # note for each edit): the user may be studying both
    legacy_older: List[int] = field(default_factory=list)
    documents: int = 0  # documents in the library
    parsed: int = 0  # documents read this time (the rest were unchanged)
    skipped_documents: int = 0  # polar-sync:skip / archived
    skipped_archived: int = 0  # of them: archived (skip_archived), without the tag
    dry_run: bool = False
    # Set by a driver whose sync stopped before its end (a failure, the
    # profile closing): "reading" (before anything was written) or "writing".
    stopped: str = ""
    decks: Set[str] = field(default_factory=set)
    conflicts: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[Dict[str, Any]] = field(default_factory=list)
    warnings: List[Dict[str, Any]] = field(default_factory=list)
    changes: List[Change] = field(default_factory=list)
    titles: Dict[str, str] = field(default_factory=dict)  # document key -> title
    # document key -> its web address or imported file name (Document.known_as), of the documents
    # read this time: what the report window shows beside a title instead of Polar's key
    sources: Dict[str, str] = field(default_factory=dict)
    op_changes: Optional[OpChanges] = None  # of the write, for Anki to refresh its views
    # Notes not written because an editor showed them: note id -> document.
    deferred: Dict[int, str] = field(default_factory=dict)
    # Documents that could not be parsed just after a write (a copy in
    # place still running): key -> path; not problems, read again shortly.
    being_written: Dict[str, str] = field(default_factory=dict)
    # Area-highlight pictures a file-syncing service keeps online only, of
    # the cards rendered: document key -> card id -> (image name, service,
    # page or 0). The state remembers them (``read.WAITING_KEY``) until here.
    images_online_only: Dict[str, Dict[str, Tuple[str, str, int]]] = field(default_factory=dict)

    def error(self, path: str, message: str, **details: Any) -> None:
        """A problem: something could not be synced. ``details``: ``code``,
        ``document``, ``card``, ``page``, ``front``, ``note_id`` as known."""
        self.errors.append(_row(path, message, details))

    def warn(self, path: str, message: str, **details: Any) -> None:
        self.warnings.append(_row(path, message, details))

    def count(self, key: str) -> int:
        """One of the figures of ``MAIN_COUNTS`` / ``EXTRA_COUNTS``."""
        return int(getattr(self, key))

    def counts_words(self) -> List[str]:
        """``6 new notes``, ``1 note updated``, ... for the figures that are
        not zero, in the report window's words and order; "unchanged" only
        beside a change (a first sync has nothing that could be unchanged)."""
        taken = self.adopted + self.paired  # the same card, or an older version of it: both taken over
        # A note taken over is also updated (its text, its tags): told once, as taken over.
        counts = {k: self.count(k) - (taken if k == "updated" else 0) for k, _, _ in _PHRASES}
        dup_as = duplicates_as({"removed_as": self.removed_as, "duplicates": self.duplicates, "deleted": self.deleted})
        if dup_as == "delete":  # told as duplicates deleted, not once more as notes deleted
            counts["deleted"] -= self.duplicates
        removed = (_DRY_REMOVED if self.dry_run else _REMOVED).get(self.removed_as)
        parts = [_phrase(counts[k], *(removed if k == "orphaned" and removed else (one, more)))
                 for k, one, more in (_DRY_PHRASES if self.dry_run else _PHRASES) if counts[k] > 0]
        if taken and self.dry_run:
            parts.append(_phrase(taken, "{n} note would be taken over from Polar's old sync",
                                 "{n} notes would be taken over from Polar's old sync"))
        elif taken:
            parts.append(_phrase(taken, "{n} note taken over from Polar's old sync",
                                 "{n} notes taken over from Polar's old sync"))
        if self.duplicates:
            words = (_DRY_DUPLICATES if self.dry_run else _DUPLICATES).get(dup_as)
            parts.append(_phrase(self.duplicates, *(words or ("{n} duplicate note set aside",
                                                             "{n} duplicate notes set aside"))))
        if self.copies and self.dry_run:
            parts.append(_phrase(self.copies, "{n} duplicate made on another computer would be removed",
                                 "{n} duplicates made on another computer would be removed"))
        elif self.copies:
            parts.append(_phrase(self.copies, "{n} duplicate made on another computer removed",
                                 "{n} duplicates made on another computer removed"))
        if parts and self.unchanged:
            parts.append(f"{grouped(self.unchanged)} unchanged")
        return parts

    @property
    def changed(self) -> bool:
        return any(self.count(k) for k in _CHANGES)

    def sorted_decks(self) -> List[str]:
        return sorted(self.decks, key=str.lower)

    def change_rows(self) -> List[Dict[str, Any]]:
        """``to_dict()["changes"]``: the costly part of it (a first sync of a
        large library changes 50,000 notes, ~0.25 s); see ``lazy_change_rows``."""
        return [c.to_dict(self.titles) for c in self.changes]

    def lazy_change_rows(self) -> ChangeRows:
        """The same rows, each made when read (for a sync whose list may
        never be looked at)."""
        return ChangeRows(self.changes, self.titles)

    def to_dict(self, change_rows: Optional[Sequence[Dict[str, Any]]] = None) -> Dict[str, Any]:
        """Everything, as plain data. ``change_rows``: ``change_rows()`` or
        ``lazy_change_rows()`` made before (the changes do not change after
        the sync); a ``ChangeRows`` is not JSON: ``list()`` it first."""
        return {
            **{k: self.count(k) for k in MAIN_COUNTS},
            **{k: self.count(k) for k in EXTRA_COUNTS},
            "removed_as": self.removed_as,
            "legacy_leftovers": list(self.legacy_leftovers),
            "legacy_older_versions": list(self.legacy_older),
            "documents": self.documents,
            "parsed": self.parsed,
            "skipped_documents": self.skipped_documents,
            "skipped_archived": self.skipped_archived,
            "dry_run": self.dry_run,
            "decks": self.sorted_decks(),
            "conflicts": [self._named(r) for r in self.conflicts],
            "errors": [self._named(r) for r in self.errors],
            "warnings": [self._named(r) for r in self.warnings],
            "changes": self.change_rows() if change_rows is None else change_rows,
            "deferred": len(self.deferred),
            "being_written": len(self.being_written),
            "sources": self.named_sources(),
        }

    def named_sources(self) -> Dict[str, str]:
        """``sources`` of the documents this report names (its changes, problems
        and conflicts): the state remembers them for every document."""
        named = {c.document for c in self.changes}
        named.update(str(r.get("document") or "") for rows in (self.errors, self.warnings, self.conflicts)
                     for r in rows)
        return {k: v for k, v in self.sources.items() if k in named}

    def _named(self, row: Dict[str, Any]) -> Dict[str, Any]:
        """A row with its document's title and its card's front as text."""
        out = dict(row)
        doc = out.get("document")
        if doc and not out.get("title") and self.titles.get(doc):
            out["title"] = self.titles[doc]
        if out.get("front"):
            out["front"] = plain_text(str(out["front"]))
        return out

    def summary(self) -> str:
        head = "Polar Sync (dry run: nothing written)" if self.dry_run else "Polar Sync"
        counts = ", ".join(self.counts_words())
        extra = []
        if self.rekeyed:  # (the window leaves this out: they are counted as updated or unchanged)
            extra.append(_phrase(self.rekeyed, "{n} note kept through an edit in Polar that gave its card a new id",
                                 "{n} notes kept through edits in Polar that gave their cards new ids"))
        if self.conflicts:
            extra.append(_counted(len(self.conflicts), "conflict"))
        if self.deferred:
            extra.append(f"{grouped(len(self.deferred))} left for later (open in an editor)")
        if self.being_written:
            extra.append(_phrase(len(self.being_written), "{n} document still being written, left as it is for now",
                                 "{n} documents still being written, left as they are for now"))
        if counts or extra:
            counts = "; ".join(part for part in (counts, ", ".join(extra)) if part)
        elif self.stopped:  # not "nothing changed": it may have written part of it
            then = "the problem below says what to do" if self.errors else "the next sync does the rest"
            counts = (f"stopped part-way through writing; what it wrote stays, and {then}"
                      if self.stopped == "writing" else f"stopped before it changed anything; {then}")
        else:
            counts = "nothing to change" if self.dry_run else "nothing changed"
            counts += f" ({grouped(self.unchanged)} unchanged)" if self.unchanged else ""
        lines = [f"{head}: {counts}."]
        if not (self.stopped and not self.documents):  # (not "0 documents": none were counted)
            decks = [_cut(d, LINE_CHARS // 2) for d in self.sorted_decks()]
            named = ", ".join(decks[:DECKS_NAMED]) or "-"
            if len(decks) > DECKS_NAMED:  # (a first sync of 3,000 decks was one line of 55 kB)
                named += f" and {grouped(len(decks) - DECKS_NAMED)} more"
            lines.append(
                f"{_counted(self.documents, 'document')} ({grouped(self.parsed)} read, "
                f"{grouped(self.skipped_documents)} skipped); decks: {named}"
            )
        if self.legacy_leftovers:
            one = len(self.legacy_leftovers) == 1
            lines.append(
                f"{_counted(len(self.legacy_leftovers), 'note')} from Polar's old sync "
                + ("no longer matches a Polar card; left as it is (note id" if one else
                   "no longer match a Polar card; left as they are (note ids")
                + ": legacy_leftovers in the JSON report)"
            )
            if self.legacy_older:
                lines.append(
                    f"  of them, {_counted(len(self.legacy_older), 'note')} "
                    + ("is an older version" if len(self.legacy_older) == 1 else "are older versions")
                    + " of a card synced now (the old sync added a note for each edit; "
                    "legacy_older_versions in the JSON report)"
                )
        if self.errors:
            lines.append(f"{_counted(len(self.errors), 'problem')}:")
            lines += [f"  {self._where(e)}: {_cut(str(e['message']), LINE_CHARS)}" for e in self.errors[:20]]
            lines += _more(len(self.errors), 20)
        if self.warnings:
            lines.append(f"{_counted(len(self.warnings), 'warning')}:")
            lines += [f"  {self._where(w)}: {_cut(str(w['message']), LINE_CHARS)}" for w in self.warnings[:10]]
            lines += _more(len(self.warnings), 10)
        for c in self.conflicts[:10]:
            lines.append(f"  conflict {self._where(c)}: {_cut(str(c.get('message', '')), LINE_CHARS)}")
        lines += _more(len(self.conflicts), 10)
        return "\n".join(lines)

    def _where(self, row: Mapping[str, Any]) -> str:
        """A summary line's head: the document by its title where it is known
        (the card's front and page too), as the report window names it, then
        Polar's key in parentheses, for support: ``“What is a process?” in
        “Operating Systems”, page 3 (1Doc…/state.json#1Card…)``. The key
        alone where no title is known (a document never read, a row about
        the collection or the add-on)."""
        path = str(row.get("path") or "")
        doc = str(row.get("document") or "")
        title = _cut(str(row.get("title") or (self.titles.get(doc, "") if doc else "")).strip(), TITLE_CHARS)
        if not title:
            return path
        head = f"“{title}”"
        if row.get("page"):
            head += f", page {row['page']}"
        front = plain_text(str(row.get("front") or ""), 60)
        if front:
            head = f"“{front}” in {head}"
        if _first_strong_is_rtl(head):
            # A line that begins with a Hebrew or Arabic title is laid out right
            # to left (the sync log's window, a bidi terminal): an English line.
            head = "\u200e" + head
        return f"{head} ({path})" if path else head


# The summary (the CLI's output, the sync log) names at most this many decks,
# and cuts a title or a row's words at these lengths (a 2,000-character title
# was in full in each of 20 lines; a deck tag of 5,000 in its warning): the
# JSON report keeps them whole.
DECKS_NAMED = 10
TITLE_CHARS = 100
LINE_CHARS = 400


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _more(shown_of: int, shown: int) -> List[str]:
    return [f"  ... and {grouped(shown_of - shown)} more (see the JSON report)"] if shown_of > shown else []


def _first_strong_is_rtl(text: str) -> bool:
    for char in text:
        way = unicodedata.bidirectional(char)
        if way in ("R", "AL"):
            return True
        if way == "L":
            return False
    return False


def _counted(n: int, noun: str) -> str:
    """"1 document", "2 documents": the summary is read by people (the CLI,
    the sync log), so its counts agree with their nouns."""
    return f"{n} {noun}" if n == 1 else f"{grouped(n)} {noun}s"


def _row(path: str, message: str, details: Dict[str, Any]) -> Dict[str, Any]:
    row: Dict[str, Any] = {"path": path, "message": message}
    row.update((k, v) for k, v in details.items() if v not in (None, ""))
    return row
