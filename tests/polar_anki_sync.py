"""Polar's own AnkiConnect sync, as a test driver on a real ``anki`` Collection.

A port of what Polar sends and what AnkiConnect does with it, so a test can
run Polar's sync beside this add-on's the way a user who never turned it off
does. Followed, not copied:

* polar-bookshelf (1.x) and polar-app (2.x),
  ``web/js/apps/sync/framework/anki/``: ``AnkiSyncEngine.toNoteDescriptors``
  (per card: model "Basic" or "Cloze", fields ``HTML || TEXT || MARKDOWN``,
  the deck of the document's last ``deck:`` tag, the document's tag labels),
  ``NotesSync.findNote`` (``findNotes "tag:polar_guid:<guid>"``; 2.x also asks
  its own ``SyncEntities.get('anki', guid)`` and skips a card it added before;
  only 1.x pushes the ``polar_guid:<guid>`` tag; both push
  ``_polar-flashcard``), ``NotesSync.canAddNote`` (its answer is only logged:
  ``addNote`` is queued either way), ``NotesSync.addNote`` (2.x then
  ``SyncEntities.set('anki', guid, noteId)``), ``AnkiFields.normalize``
  (first letter upper-cased), ``Decks.toSubDeck`` (``/`` → ``::``; 2.x also
  ``_`` → space), ``DecksSync`` (``createDeck`` of each deck first).
* FooSoft/anki-connect ``plugin/__init__.py``: ``createNote`` (model and deck
  by name, fields matched case-insensitively, ``note.tags`` as sent, then
  ``isNoteDuplicateOrEmptyInScope``: with no options, ``note.dupeOrEmpty()``,
  i.e. Anki's first-field duplicate check within the note type, the whole
  collection; a duplicate raises "cannot create note because it is a
  duplicate") and ``addNote`` (``collection.addNote``), ``findNotes``
  (``collection.findNotes(query)``).
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from anki.collection import Collection
from anki.notes import Note, NoteFieldsCheckResult


@dataclass
class PolarSyncRun:
    added: List[int] = field(default_factory=list)  # note ids AnkiConnect's addNote returned
    found: int = 0  # "Note already found. Skipping."
    refused: List[str] = field(default_factory=list)  # addNote's error, per card (Polar logs it)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("HTML") or value.get("TEXT") or value.get("MARKDOWN") or ""
    return str(value or "")


class AnkiConnectOnCollection:
    """AnkiConnect's actions as its ``plugin/__init__.py`` runs them, applied
    to a collection directly (no HTTP server: the core tests)."""

    def __init__(self, col: Collection) -> None:
        self.col = col

    def find_notes(self, query: str) -> List[int]:
        return list(self.col.find_notes(query))

    def create_deck(self, name: str) -> None:
        self.col.decks.id(name)

    def can_add_notes(self, notes: List[Dict[str, Any]]) -> List[bool]:
        out = []
        for note in notes:
            try:
                self._note(note)
                out.append(True)
            except RuntimeError:
                out.append(False)
        return out

    def _note(self, note: Dict[str, Any]) -> Any:
        model = self.col.models.by_name(note["modelName"])
        if model is None:
            raise RuntimeError(f"model was not found: {note['modelName']}")
        deck = self.col.decks.by_name(note["deckName"])
        if deck is None:
            raise RuntimeError(f"deck was not found: {note['deckName']}")
        anki_note = Note(self.col, model)
        anki_note.tags = list(note["tags"])
        for name, value in note["fields"].items():
            for anki_name in anki_note.keys():
                if name.lower() == anki_name.lower():
                    anki_note[anki_name] = value
                    break
        check = anki_note.fields_check()
        if check == NoteFieldsCheckResult.EMPTY:
            raise RuntimeError("cannot create note because it is empty")
        if check == NoteFieldsCheckResult.DUPLICATE:
            raise RuntimeError("cannot create note because it is a duplicate")
        return anki_note, deck["id"]

    def add_note(self, note: Dict[str, Any]) -> int:
        anki_note, deck_id = self._note(note)
        self.col.add_note(anki_note, deck_id)
        return int(anki_note.id)


class AnkiConnectHttp:
    """The real AnkiConnect add-on in a running Anki, over HTTP as Polar's
    ``AnkiConnectFetch`` calls it (POST ``{"action", "version": 6, "params"}``
    to ``http://127.0.0.1:<port>``; an ``error`` in the answer is thrown)."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def call(self, action: str, **params: Any) -> Any:
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json",
                                                          "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            result = json.loads(answer.read().decode())
        if result.get("error"):
            raise RuntimeError(result["error"])
        return result.get("result")

    def find_notes(self, query: str) -> List[int]:
        return list(self.call("findNotes", query=query))

    def create_deck(self, name: str) -> None:
        self.call("createDeck", deck=name)

    def can_add_notes(self, notes: List[Dict[str, Any]]) -> List[bool]:
        return list(self.call("canAddNotes", notes=notes))

    def add_note(self, note: Dict[str, Any]) -> int:
        return int(self.call("addNote", note=note))


class PolarAnkiSync:
    """Polar's "Start Anki Sync" as Polar ``version`` ("1.x" or "2.x") ran
    it, against ``anki`` (a collection, or a running AnkiConnect):
    ``run(library)`` is one press of the menu item."""

    def __init__(self, anki: Union[Collection, AnkiConnectHttp], version: str = "1.x") -> None:
        assert version in ("1.x", "2.x")
        self.anki = AnkiConnectOnCollection(anki) if isinstance(anki, Collection) else anki
        self.version = version
        self.sync_entities: Dict[str, int] = {}  # 2.x: SyncEntities('anki', guid) → note id

    def _deck(self, labels: List[str]) -> str:
        decks = [t[len("deck:"):] for t in labels if t.startswith("deck:")]
        if not decks:
            return "Default"
        name = decks[-1].replace("/", "::")
        return name.replace("_", " ") if self.version == "2.x" else name

    def descriptors(self, library: Path) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        for state in sorted(library.glob("*/state.json")):
            meta = json.loads(state.read_text(encoding="utf-8"))
            labels = [t.get("label", t.get("id", "")) for t in (meta["docInfo"].get("tags") or {}).values()]
            for page in (meta.get("pageMetas") or {}).values():
                for card in ((page or {}).get("flashcards") or {}).values():
                    fields = {k[:1].upper() + k[1:]: _text(v) for k, v in card["fields"].items()}
                    out.append({
                        "guid": card["guid"], "deckName": self._deck(labels),
                        "modelName": "Cloze" if card["type"] == "CLOZE" else "Basic",
                        "fields": fields, "tags": list(labels),
                    })
        return out

    def run(self, library: Path) -> PolarSyncRun:
        result = PolarSyncRun()
        descriptors = self.descriptors(library)
        for deck in sorted({d["deckName"] for d in descriptors}):  # DecksSync
            self.anki.create_deck(deck)
        for d in descriptors:  # NotesSync.findNote, canAddNote, addNote
            guid = d.pop("guid")
            existing = self.anki.find_notes(f"tag:polar_guid:{guid}")
            known: Optional[int] = self.sync_entities.get(guid) if self.version == "2.x" else None
            if existing or known is not None:
                result.found += 1
                continue
            d["tags"].append("_polar-flashcard")
            if self.version == "1.x":
                d["tags"].append(f"polar_guid:{guid}")
            self.anki.can_add_notes([d])  # only logged by Polar: addNote is sent either way
            try:
                nid = self.anki.add_note(d)
            except RuntimeError as err:
                result.refused.append(f"{guid}: {err}")
                continue
            if self.version == "2.x":
                self.sync_entities[guid] = nid
            result.added.append(nid)
        return result


def two_card_book(library: Path, fingerprint: str) -> Any:
    """The book both syncs write in these tests: a basic card and a cloze on
    two highlights, deck ``compsci/os``; written."""
    from tests.polar_factory import Doc, basic, cloze

    doc = Doc(library, fingerprint, "Operating Systems", tags=["deck:compsci/os", "os"])
    doc.text_highlight("1HlBes0001", "A process is a program in execution.")
    doc.text_highlight("1HlBes0002", "The kernel schedules threads.")
    doc.card("1CardBesA01", basic("What is a process?", "A program in execution"), ref="text-highlight:1HlBes0001")
    doc.card("1CardBesB01", cloze("The {{c1::kernel}} schedules threads."), ctype="CLOZE",
             ref="text-highlight:1HlBes0002")
    doc.write()
    return doc

