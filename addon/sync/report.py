"""What a sync did, for the CLI's JSON and summary and the GUI's dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

if TYPE_CHECKING:
    from anki.collection import OpChanges

# The figures every summary shows, in this order.
MAIN_COUNTS = ("created", "updated", "unchanged", "moved", "orphaned", "deleted")
# Figures shown only when not zero, in these words.
EXTRA_COUNTS = (
    ("restored", "restored"),
    ("adopted", "adopted"),
    ("paired", "older versions of Polar's old sync taken over"),
    ("rekeyed", "re-keyed after an edit"),
    ("duplicates", "duplicates resolved"),
)
_CHANGES = tuple(k for k in MAIN_COUNTS if k != "unchanged") + tuple(k for k, _ in EXTRA_COUNTS)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    orphaned: int = 0  # notes whose Polar card is gone, handled by the policy
    deleted: int = 0  # notes removed (deletion_policy "delete")
    restored: int = 0  # orphaned notes whose card came back
    adopted: int = 0  # notes of Polar's old AnkiConnect sync taken over
    rekeyed: int = 0  # cards Polar re-created on edit, kept as the same note
    duplicates: int = 0  # extra notes of one Polar card (two computers)
    paired: int = 0  # old-sync notes of an older version of a card, taken over
    # ids of old-sync notes that match no current Polar card: never changed
    # by a sync; the user may look at them or suspend them
    legacy_leftovers: List[int] = field(default_factory=list)
    documents: int = 0  # documents in the library
    parsed: int = 0  # documents read this time (the rest were unchanged)
    skipped_documents: int = 0  # polar-sync:skip / archived
    dry_run: bool = False
    decks: Set[str] = field(default_factory=set)
    conflicts: List[Dict[str, str]] = field(default_factory=list)
    errors: List[Dict[str, str]] = field(default_factory=list)
    warnings: List[Dict[str, str]] = field(default_factory=list)
    op_changes: Optional[OpChanges] = None  # of the write, for Anki to refresh its views

    def error(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def warn(self, path: str, message: str) -> None:
        self.warnings.append({"path": path, "message": message})

    def count(self, key: str) -> int:
        """One of the figures of ``MAIN_COUNTS`` / ``EXTRA_COUNTS``."""
        return int(getattr(self, key))

    def extras(self) -> List[str]:
        """``3 adopted``, ... for the extra figures that are not zero."""
        return [f"{self.count(k)} {label}" for k, label in EXTRA_COUNTS if self.count(k)]

    @property
    def changed(self) -> bool:
        return any(self.count(k) for k in _CHANGES)

    def sorted_decks(self) -> List[str]:
        return sorted(self.decks, key=str.lower)

    def to_dict(self) -> Dict[str, Any]:
        return {
            **{k: self.count(k) for k in MAIN_COUNTS},
            **{k: self.count(k) for k, _ in EXTRA_COUNTS},
            "legacy_leftovers": list(self.legacy_leftovers),
            "documents": self.documents,
            "parsed": self.parsed,
            "skipped_documents": self.skipped_documents,
            "dry_run": self.dry_run,
            "decks": self.sorted_decks(),
            "conflicts": list(self.conflicts),
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        head = "Polar Sync (dry run: nothing written)" if self.dry_run else "Polar Sync"
        counts = ", ".join(f"{self.count(k)} {k}" for k in MAIN_COUNTS)
        extra = self.extras() + ([f"{len(self.conflicts)} conflicts"] if self.conflicts else [])
        lines = [f"{head}: {counts}" + (f"; {', '.join(extra)}" if extra else "") + "."]
        lines.append(
            f"{self.documents} documents ({self.parsed} read, {self.skipped_documents} skipped); "
            f"decks: {', '.join(self.sorted_decks()) or '-'}"
        )
        if self.legacy_leftovers:
            lines.append(
                f"{len(self.legacy_leftovers)} notes from Polar's old sync no longer match a Polar card; "
                "left as they are (note ids: legacy_leftovers in the JSON report)"
            )
        if self.errors:
            lines.append(f"{len(self.errors)} problem(s):")
            lines += [f"  {e['path']}: {e['message']}" for e in self.errors[:20]]
            if len(self.errors) > 20:
                lines.append(f"  ... and {len(self.errors) - 20} more (see the JSON report)")
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s):")
            lines += [f"  {w['path']}: {w['message']}" for w in self.warnings[:10]]
        for c in self.conflicts[:10]:
            lines.append(f"  conflict {c.get('path', '')}: {c.get('message', '')}")
        return "\n".join(lines)
