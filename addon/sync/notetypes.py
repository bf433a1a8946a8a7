"""Choosing the note type for each kind of Polar card, and filling its fields.

The profile's stock Basic/Cloze are used when they are there and look like
stock (English names, stock fields and templates). When the user renamed or
reshaped the one the add-on's notes are in (a field added, fields reordered,
its question template edited) and it still has a place for Polar's front and
answer, new notes follow them there (``followed_type``); so they do when the
person moved every one of them into a type of theirs (``moved_type``). Otherwise (German
profile, deleted, a field renamed) the add-on creates its own types once,
marks them with a private key in the note-type dict so they are found again,
and never adds a field to them later (that would force a full AnkiWeb sync).

No context on a question: stock "Basic (and reversed card)" and "Basic
(optional reversed card)" show ``Back`` as the question of card 2, and their
templates are the user's, so reversed kinds always get the own types, whose
context fields appear on answers only. For any other type the context block
goes only into a field that no question template mentions (``Want.tail``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple, cast

from ..render.card import RenderedCard
from ..render.context import context_block, pulled, ruleless
from ..render.style import own_css

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.models import NotetypeDict, NotetypeId

MARKER = "polarSyncKind"  # private key in the note-type dict
# Private key: the look (CSS, answer templates) an own type was last given.
LOOK_MARKER = "polarSyncLook"
LOOK_VERSION = 4  # bump when _CSS or the answer templates change (4: .polar-link)
# A type of a newer look (another computer's newer add-on, brought by AnkiWeb)
# is left alone. Versions before that check (look 4 and earlier) gave such a type their
# own look again when its ``LOOK_HASH_MARKER`` matched its look; on the next
# bump, write a hash that cannot match (e.g. under a new key) so that they see
# "the user's styling" and keep it (dev-notes/twopc.md, round 2).
# Private key: the fingerprint (``look_hash``) of the look last written, so
# a later version tells a look the user has edited (theirs: kept) from one
# it wrote (brought up to date).
LOOK_HASH_MARKER = "polarSyncLookHash"
# The looks earlier versions wrote, for own types made before the key above
# (fingerprints of each kind's CSS and answer templates as Anki stored them):
# without the key (version 1, "polarSyncLook" absent) and at version 2.
_EARLIER_LOOKS = frozenset({
    "c5fb237ea3eb4152", "2216d9e8386318f4", "79d8b509671c5221",  # version 1: basic, reversed, cloze
    "1ae8112285f2aad2", "3f3ed274d7679ef7", "8d1615fb945755f8",  # version 2
})
KINDS = ("basic", "basic_reverse", "basic_optional_reverse", "cloze")
# Kinds whose stock type shows Back on a question (card 2): always own types.
REVERSED = ("basic_reverse", "basic_optional_reverse")

CONTEXT_FIELDS = ("Source", "Highlight", "Image", "Comments")

_STOCK: Dict[str, Dict[str, Any]] = {
    "basic": {"name": "Basic", "fields": ["Front", "Back"], "templates": 1, "cloze": False},
    "basic_reverse": {
        "name": "Basic (and reversed card)", "fields": ["Front", "Back"], "templates": 2, "cloze": False,
    },
    "basic_optional_reverse": {
        "name": "Basic (optional reversed card)",
        "fields": ["Front", "Back", "Add Reverse"],
        "templates": 2,
        "cloze": False,
    },
    "cloze": {"name": "Cloze", "fields": ["Text", "Back Extra"], "templates": 1, "cloze": True},
}

_OWN_NAMES = {
    "basic": "Polar Basic",
    "basic_reverse": "Polar Basic (and reversed card)",
    "basic_optional_reverse": "Polar Basic (optional reversed card)",
    "cloze": "Polar Cloze",
}

# Shown on answers only. The same classes as the stock block (context.py).
_CONTEXT_HTML = (
    "{{#Source}}<div class=\"polar-context\"><hr class=\"polar-rule\">"
    "<div class=\"polar-source\">{{Source}}</div>"
    "{{#Highlight}}<blockquote class=\"polar-highlight\" dir=\"auto\">{{Highlight}}</blockquote>{{/Highlight}}"
    "{{#Image}}<div class=\"polar-image\">{{Image}}</div>{{/Image}}"
    "{{#Comments}}<div class=\"polar-comments\">{{Comments}}</div>{{/Comments}}"
    "</div>{{/Source}}"
)

_CSS = (
    ".card { font-family: arial; font-size: 20px; text-align: center; color: black; background-color: white; }\n"
    ".cloze { font-weight: bold; color: blue; }\n"
    ".nightMode .cloze { color: lightblue; }\n"
    + own_css()
)


@dataclass(frozen=True)
class NoteTypeRef:
    id: NotetypeId
    name: str
    field_names: List[str]
    own: bool
    # An own type the user reshaped: its fields that are gone (removed or
    # renamed). New notes never go there; updates report what they cannot write.
    missing: Tuple[str, ...] = ()
    kind: str = ""  # the card kind an own type was made for
    # Fields (lower-cased) that some question template mentions: never a
    # place for context.
    question_fields: FrozenSet[str] = field(default_factory=frozenset)
    # A cloze note type (its cards are made from cloze deletions); None: not known.
    cloze: Optional[bool] = None
    # Fields (lower-cased) that every answer template shows right after the
    # first field and a "<br>" (the stock Cloze's "{{cloze:Text}}<br>\n{{Back
    # Extra}}"): a block alone there is ``pulled`` over the empty line.
    after_break: FrozenSet[str] = field(default_factory=frozenset)
    # Fields (lower-cased) that every answer template shows right after a
    # rule of its own (the stock Basic's "<hr id=answer>\n\n{{Back}}"): a
    # block alone there goes ``ruleless``.
    after_rule: FrozenSet[str] = field(default_factory=frozenset)


def _id(value: Any) -> NotetypeId:
    # Anki's id types are plain ints at run time; they are imported for the
    # type checker only (anki.models alone is a circular import).
    return cast("NotetypeId", int(value))


def legacy_type_name(kind: str) -> str:
    """The note type Polar's old AnkiConnect sync put a card of ``kind`` in:
    only ever "Basic" or "Cloze", by their English names."""
    return str(_STOCK["cloze" if kind == "cloze" else "basic"]["name"])


def _looks_stock(model: NotetypeDict, kind: str) -> bool:
    spec = _STOCK[kind]
    names = [f["name"] for f in model.get("flds", [])]
    tmpls = model.get("tmpls", [])
    if names != spec["fields"] or len(tmpls) != spec["templates"]:
        return False
    if bool(model.get("type") == 1) != spec["cloze"]:
        return False
    qfmt = _unedited(tmpls[0].get("qfmt", ""))
    return "{{cloze:Text}}" in qfmt if spec["cloze"] else "{{Front}}" in qfmt


# Edit Field During Review (one of Anki's most used add-ons) makes a field
# editable in the reviewer by writing ``{{edit:Front}}`` / ``{{edit:cloze:Text}}``
# into the type's templates: the field still shows as it did, so the type is
# still stock for us.
_EDIT_FILTER = re.compile(r"\{\{((?:[^#/:{}]+:)*)edit:")


def _unedited(template: str) -> str:
    return _EDIT_FILTER.sub(r"{{\1", template)


def _edit_filtered(model: NotetypeDict) -> bool:
    return any(_EDIT_FILTER.search(str(t.get(side, ""))) for t in model.get("tmpls", []) for side in ("qfmt", "afmt"))


def find_stock(col: Collection, kind: str) -> Optional[NotetypeDict]:
    model = col.models.by_name(_STOCK[kind]["name"])
    if model and not model.get(MARKER) and _looks_stock(model, kind):
        return dict(model)
    return None


def own_types(col: Collection, kind: str) -> List[NotetypeDict]:
    """The add-on's own types for ``kind``, oldest first."""
    found = []
    for entry in col.models.all_names_and_ids():
        model = col.models.get(_id(entry.id))
        if model and model.get(MARKER) == kind:
            found.append(model)
    return sorted(found, key=lambda m: int(m["id"]))


def missing_fields(model: NotetypeDict) -> Tuple[str, ...]:
    """The fields an own type should have and lacks (the user removed or
    renamed them); () for any other type. Added or reordered fields are fine."""
    kind = model.get(MARKER)
    if not kind:
        return ()
    have = {str(f["name"]).lower() for f in model.get("flds", [])}
    return tuple(name for name in _own_fields(str(kind)) if name.lower() not in have)


def find_own(col: Collection, kind: str) -> Optional[NotetypeDict]:
    """The oldest own type for ``kind`` that still has all its fields."""
    for model in own_types(col, kind):
        if not missing_fields(model):
            return model
    return None


def _own_fields(kind: str) -> List[str]:
    if kind == "cloze":
        return ["Text", "Back Extra", *CONTEXT_FIELDS]
    if kind == "basic_optional_reverse":
        return ["Front", "Back", "Add Reverse", *CONTEXT_FIELDS]
    return ["Front", "Back", *CONTEXT_FIELDS]


def create_own(col: Collection, kind: str) -> NotetypeDict:
    mm = col.models
    model = mm.new(_OWN_NAMES[kind])
    model[MARKER] = kind
    model[LOOK_MARKER] = LOOK_VERSION
    model["css"] = _CSS
    for name in _own_fields(kind):
        mm.add_field(model, mm.new_field(name))
    if kind == "cloze":
        model["type"] = 1
    for (name, qfmt), afmt in zip(_own_questions(kind), _own_answers(kind)):
        t = mm.new_template(name)
        t["qfmt"] = qfmt
        t["afmt"] = afmt
        mm.add_template(model, t)
    model["name"] = own_name(col, kind)
    model[LOOK_HASH_MARKER] = look_hash(model)
    mm.add(model)  # the marker is what we look up, not the name
    added = mm.get(model["id"])
    assert added is not None
    return dict(added)


def own_name(col: Collection, kind: str) -> str:
    """The name ``create_own`` gives the own type of ``kind`` made now: its
    plain name, or "(2)", "(3)"... after it when a type has that name (a
    reshaped own type keeps the plain one)."""
    taken = {str(e.name).lower() for e in col.models.all_names_and_ids()}
    name, n = _OWN_NAMES[kind], 2
    while name.lower() in taken:
        name = f"{_OWN_NAMES[kind]} ({n})"
        n += 1
    return name


def _own_questions(kind: str) -> List[Tuple[str, str]]:
    if kind == "cloze":
        return [("Cloze", "{{cloze:Text}}")]
    cards = [("Card 1", "{{Front}}")]
    if kind == "basic_reverse":
        cards.append(("Card 2", "{{Back}}"))
    elif kind == "basic_optional_reverse":
        cards.append(("Card 2", "{{#Add Reverse}}{{Back}}{{/Add Reverse}}"))
    return cards


def _own_answers(kind: str) -> List[str]:
    """The own type's answer templates, in card order. Context on answers only."""
    if kind == "cloze":
        return ["{{cloze:Text}}{{#Back Extra}}<br>{{Back Extra}}{{/Back Extra}}" + _CONTEXT_HTML]
    answers = ["{{FrontSide}}<hr id=answer>{{Back}}" + _CONTEXT_HTML]
    if kind != "basic":
        answers.append("{{FrontSide}}<hr id=answer>{{Front}}" + _CONTEXT_HTML)
    return answers


def look_hash(model: Dict[str, Any]) -> str:
    """A fingerprint of a note type's look: its CSS and answer templates."""
    look = [model.get("css", ""), [t.get("afmt", "") for t in model.get("tmpls", [])]]
    return hashlib.sha1(json.dumps(look).encode()).hexdigest()[:16]


def refresh_look(col: Collection, model: NotetypeDict) -> bool:
    """Give an own type made by an older version today's CSS and answer
    templates. Only CSS and template text change (no field, no template
    added), so AnkiWeb needs no full sync. A look the user edited (CSS or an
    answer template: not one a version of the add-on wrote) is theirs and
    stays as it is. True when something was written."""
    kind = model.get(MARKER)
    if kind not in KINDS or _look_version(model) >= LOOK_VERSION or missing_fields(model):
        return False  # (a newer version's look, from another computer: never taken back)
    tmpls = model.get("tmpls", [])
    answers = _own_answers(str(kind))
    if len(tmpls) != len(answers):
        return False  # reshaped by the user: theirs now
    if look_hash(model) not in _EARLIER_LOOKS | {model.get(LOOK_HASH_MARKER)}:
        return False  # the user's styling
    fresh = col.models.get(_id(model["id"]))
    if fresh is None:
        return False
    fresh["css"] = _CSS
    for tmpl, afmt in zip(fresh["tmpls"], answers):
        tmpl["afmt"] = afmt
    fresh[LOOK_MARKER] = LOOK_VERSION
    fresh[LOOK_HASH_MARKER] = look_hash(fresh)
    col.models.update_dict(fresh)
    return True


def _look_version(model: NotetypeDict) -> int:
    """The look version an own type was given (1: before the key)."""
    version = model.get(LOOK_MARKER, 1)
    return version if isinstance(version, int) else 1


_FIELD_REF = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def question_fields(model: Dict[str, Any]) -> FrozenSet[str]:
    """Lower-cased names of the fields any question template mentions
    (``{{Back}}``, ``{{text:Back}}``, ``{{#Back}}``, ``{{type:Back}}``...).

    Any mention counts, conditionals and type-in boxes too: a field they
    name is not a safe place for context."""
    names = set()
    for tmpl in model.get("tmpls", []):
        for ref in _FIELD_REF.findall(str(tmpl.get("qfmt", ""))):
            ref = ref.lstrip("#^/").strip()
            names.add(ref.rsplit(":", 1)[-1].strip().lower())
    return frozenset(names)


def after_break_fields(model: Dict[str, Any]) -> FrozenSet[str]:
    """Lower-cased names of the fields that every answer template shows
    right after the first field (``{{Text}}``, ``{{cloze:Text}}``...) and a
    ``<br>``, as the stock Cloze (and its German "Lückentext") does."""
    fields = model.get("flds", [])
    tmpls = model.get("tmpls", [])
    if not fields or not tmpls:
        return frozenset()
    first = str(fields[0].get("name", "")).strip().lower()
    found: Optional[set] = None
    for tmpl in tmpls:
        names = set()
        for m in _AFTER_BREAK.finditer(str(tmpl.get("afmt", ""))):
            if m.group(1).rsplit(":", 1)[-1].strip().lower() == first:
                names.add(m.group(2).strip().lower())
        found = names if found is None else found & names
    return frozenset(found or ())


def after_rule_fields(model: Dict[str, Any]) -> FrozenSet[str]:
    """Lower-cased names of the fields that every answer template shows
    right after an ``<hr>`` (the stock Basic and its German "Einfach")."""
    found: Optional[set] = None
    for tmpl in model.get("tmpls", []):
        names = {m.group(1).strip().lower() for m in _AFTER_RULE.finditer(str(tmpl.get("afmt", "")))}
        found = names if found is None else found & names
    return frozenset(found or ())


_AFTER_RULE = re.compile(r"<hr\b[^>]*>[ \t\r\n]*\{\{([^#^/{}:][^{}:]*)\}\}", re.I)
_AFTER_BREAK = re.compile(r"\{\{([^#^/{}][^{}]*)\}\}[ \t\r\n]*<br\s*/?>[ \t\r\n]*\{\{([^#^/{}:][^{}:]*)\}\}", re.I)


def ref_of(model: NotetypeDict) -> NoteTypeRef:
    return NoteTypeRef(
        id=_id(model.get("id", 0)),
        name=str(model.get("name", "")),
        field_names=[f["name"] for f in model.get("flds", [])],
        own=bool(model.get(MARKER)),
        missing=missing_fields(model),
        kind=str(model.get(MARKER) or ""),
        question_fields=question_fields(model),
        cloze=model.get("type") == 1,
        after_break=after_break_fields(model),
        after_rule=after_rule_fields(model),
    )


def note_types(col: Collection) -> Dict[NotetypeId, NoteTypeRef]:
    """Every note type of the profile, by id."""
    found: Dict[NotetypeId, NoteTypeRef] = {}
    for entry in col.models.all_names_and_ids():
        model = col.models.get(_id(entry.id))
        if model:
            found[_id(entry.id)] = ref_of(model)
    return found


def choose(col: Collection, kind: str, prefer_stock: bool,
           held: Optional[Mapping[int, int]] = None) -> Optional[NoteTypeRef]:
    """The note type to use for new cards of ``kind``, or None when the
    add-on's own type must be created first. Reversed kinds never use the
    stock types: their card 2 shows ``Back``, context and all, as its question.
    ``held`` (note type id -> Polar notes in it, ``polar_notes_by_type``):
    when the stock type is gone or reshaped, new notes follow the earlier
    ones into the user's type (``followed_type``); when it is stock but the
    person moved every one of them into a type of theirs, likewise
    (``moved_type``)."""
    if prefer_stock and kind not in REVERSED:
        stock = find_stock(col, kind)
        if stock:
            moved = moved_type(col, kind, held, int(stock["id"])) if held else None
            if moved is None and held and _edit_filtered(stock):
                moved = kept_own(col, kind, held, int(stock["id"]))
            return ref_of(moved or stock)
        user = followed_type(col, kind, held) if held else None
        if user:
            return ref_of(user)
    own = find_own(col, kind)
    return ref_of(own) if own else None


def followed_type(col: Collection, kind: str, held: Mapping[int, int]) -> Optional[NotetypeDict]:
    """The user's note type the add-on's earlier notes of ``kind`` are in,
    for new ones to follow them, when the stock type is no longer found as
    stock: the user renamed "Basic", added a field to it, reordered its
    fields, edited its question template. None when most of them are in a
    complete own type (that one stays in use) or in no type that can take
    a new note: one whose fields give Polar's front and answer a place (the
    front shown on a question, so the note has a card). A type holding more
    of the Polar notes goes first."""
    for mid, _ in sorted(held.items(), key=lambda item: (-item[1], item[0])):
        model = col.models.get(_id(mid))
        if not model or (model.get("type") == 1) != (kind == "cloze"):
            continue
        if model.get(MARKER):
            if model.get(MARKER) == kind and not missing_fields(model):
                return None  # the own type the earlier notes are in
            continue
        if _takes_new_notes(model):
            return dict(model)
    return None


def _takes_new_notes(model: NotetypeDict) -> bool:
    """Whether a user's type gives Polar's front and answer a field each,
    the front shown on a question (so a new note has a card)."""
    ref = ref_of(model)
    roles = field_roles(ref)
    if ROLE_FRONT not in roles or stock_gaps(ref):
        return False
    return ref.field_names[roles.index(ROLE_FRONT)].lower() in ref.question_fields


# Polar notes of a kind a user's type must hold, all of them, for new ones
# to follow them away from the stock type (``moved_type``): one note moved to
# try a type out, or a handful of a new library's first cards, is no move.
FOLLOW_FROM = 5


def moved_type(col: Collection, kind: str, held: Mapping[int, int], stock_id: int) -> Optional[NotetypeDict]:
    """The user's type (not stock, not the add-on's own) the person moved
    every Polar note of ``kind`` into (Browse ▸ Change Note Type), the stock
    type being still there as stock: new notes follow them there, so the
    collection is not split again by each new card. Only when the stock type
    (``stock_id``) holds none of them, one type of the user's holds them all,
    at least ``FOLLOW_FROM``, and can take a new note (``_takes_new_notes``).
    Own types of other kinds (the reversed ones) are not counted: their
    notes never were in the stock type. None otherwise: a half-moved
    collection keeps the stock type; changing one note back brings new
    notes back there."""
    if held.get(stock_id):
        return None
    cloze = kind == "cloze"
    total, best, most = 0, None, 0
    for mid, n in held.items():
        model = col.models.get(_id(mid))
        if not model or (model.get("type") == 1) != cloze:
            continue
        mark = model.get(MARKER)
        if mark and mark != kind:
            continue
        total += n
        if not mark and n > most:
            best, most = model, n
    if best is None or most != total or most < FOLLOW_FROM or not _takes_new_notes(best):
        return None
    return dict(best)


def kept_own(col: Collection, kind: str, held: Mapping[int, int], stock_id: int) -> Optional[NotetypeDict]:
    """The own type of ``kind`` holding every Polar note of that kind, the
    stock type (Edit Field During Review's ``{{edit:…}}`` in it) none. Earlier
    versions of the add-on did not take such a type for stock and made the
    own one: a person who synced with them keeps their notes in one type (a
    new user's go to the stock type). None otherwise."""
    if held.get(stock_id):
        return None
    cloze = kind == "cloze"
    own: Optional[NotetypeDict] = None
    for mid, n in held.items():
        model = col.models.get(_id(mid))
        if not n or not model or (model.get("type") == 1) != cloze:
            continue
        mark = model.get(MARKER)
        if mark and mark != kind:
            continue  # (the reversed kinds' own types: never in the stock type)
        if mark != kind or missing_fields(model) or own is not None:
            return None  # some in a type of the user's, a reshaped own type, two own types
        own = model
    return dict(own) if own is not None else None


def planned_own(kind: str) -> NoteTypeRef:
    questions = " ".join(q for _, q in _own_questions(kind))
    return NoteTypeRef(_id(0), _OWN_NAMES[kind], _own_fields(kind), True, kind=kind,
                       question_fields=question_fields({"tmpls": [{"qfmt": questions}]}), cloze=kind == "cloze")


def unfollowed_types(col: Collection, kind: str, held: Mapping[int, int]) -> List[Tuple[NoteTypeRef, Tuple[str, ...]]]:
    """The user's note types (not the add-on's own) holding Polar notes of
    ``kind`` that new notes cannot follow into (``followed_type``) because
    a field for Polar's front or answer is gone ("Front" renamed to
    "Question"): each with the stock names of the fields it lacks."""
    found = []
    for mid in sorted(held):
        model = col.models.get(_id(mid))
        if not model or model.get(MARKER) or (model.get("type") == 1) != (kind == "cloze"):
            continue
        ref = ref_of(model)
        gaps = stock_gaps(ref)
        if gaps:
            found.append((ref, tuple(name for _, name in gaps)))
    return found


def reshaped_own(col: Collection, kind: str) -> List[NoteTypeRef]:
    """Own types for ``kind`` the user reshaped (fields removed or renamed)."""
    return [ref for ref in (ref_of(m) for m in own_types(col, kind)) if ref.missing]


def describe_missing(nt: NoteTypeRef, fields: Sequence[str]) -> str:
    names = ", ".join(repr(f) for f in fields)
    return f"note type {nt.name!r} lacks its field{'s' if len(fields) > 1 else ''} {names} (removed or renamed in Anki)"


def stock_gaps(nt: NoteTypeRef) -> Tuple[Tuple[str, str], ...]:
    """For a type that is not the add-on's own (stock Basic/Cloze, one the
    old sync's notes are in): Polar's parts that have no field in it, as
    (``RenderedCard`` attribute, the field's stock name): the user renamed
    or removed "Front"/"Back" ("Text"/"Back Extra") while other fields keep
    their names. Kept on the note type: asked once per note."""
    gaps = nt.__dict__.get("_gaps")
    if gaps is None:
        roles = field_roles(nt)
        found = []
        if not nt.own and roles:
            if ROLE_FRONT not in roles:
                found.append(("front", "Text" if nt.cloze else "Front"))
            if not any(role.startswith(ROLE_ANSWER) for role in roles):
                found.append(("back", "Back Extra" if nt.cloze else "Back"))
        gaps = tuple(found)
        object.__setattr__(nt, "_gaps", gaps)
    return cast("Tuple[Tuple[str, str], ...]", gaps)


def dropped_fields(nt: NoteTypeRef, rc: RenderedCard) -> List[str]:
    """Fields of a reshaped type ``nt`` whose content for ``rc`` has no
    field to go to (empty content is no loss; nor is the context alone, for
    a type that is not the add-on's own)."""
    if not nt.missing:
        return [name for part, name in stock_gaps(nt) if getattr(rc, part)]
    names = _own_fields(nt.kind)
    wants = wanted_fields(NoteTypeRef(_id(0), "", names, True), rc)
    wanted = {name: want.value for name, want in zip(names, wants) if want is not None}
    return [name for name in nt.missing if wanted.get(name)]


class Want(NamedTuple):
    """What Polar wants in one field.

    ``text`` is three-way merged with the user's edits. ``tail`` (not None:
    the field may hold the stock context block) is the add-on's own part
    after it: split off the current value (``split_block``) and regenerated
    each sync, never merged, never a conflict. ``owned``: the whole field is
    the add-on's (the own types' context fields): regenerated the same way.
    A NamedTuple: a first sync makes two per note (a frozen dataclass cost
    four times as much to make)."""

    text: str
    tail: Optional[str] = None
    owned: bool = False

    @property
    def value(self) -> str:
        return self.text + (self.tail or "")


# Built in C from every field (text, tail, owned), not by NamedTuple's own
# constructor (a Python function, ~0.18 us a call): two or three a note.
_new_want = partial(tuple.__new__, Want)


def wanted_fields(nt: NoteTypeRef, rc: RenderedCard) -> List[Optional[Want]]:
    """A :class:`Want` per field of ``nt``, None for a field Polar does not
    manage (the user's to keep, e.g. "Add Reverse" or a field they added).

    Matching is by name (case-insensitive), then by position for note types
    with other names (adopted notes in a localised "Einfach" type). The
    context block goes into the answer field of a non-own type only when no
    question template shows that field; otherwise the field loses any block
    an older version put there (the context then shows nowhere: never on a
    question)."""
    ctx = rc.context
    wants: List[Optional[Want]] = []
    for i, role in enumerate(field_roles(nt)):
        if role == ROLE_FRONT:
            wants.append(_new_want((rc.front, None, False)))
        elif role == ROLE_ANSWER:
            wants.append(_new_want((rc.back, None, False)))
        elif role == ROLE_ANSWER_AND_BLOCK:
            wants.append(_new_want((rc.back, block_for(nt, i, rc), False)))
        elif role == ROLE_ANSWER_NO_BLOCK:
            wants.append(_new_want((rc.back, "", False)))
        elif role:  # a context part, filling an own type's field of its own
            wants.append(Want(getattr(ctx, role), owned=True))
        else:
            wants.append(None)
    return wants


def block_for(nt: NoteTypeRef, i: int, rc: RenderedCard) -> str:
    """The context block for field ``i`` of ``nt``: where Polar's part of
    the field is empty (a cloze's Back Extra, a card without an answer),
    ``pulled`` if the answer template shows the field right after the text
    and a "<br>", ``ruleless`` if right after a rule of its own. A note whose
    field holds text of the user's before the block gets it as it is
    (plan.py ``as_made``)."""
    block = context_block(rc.context)
    if not rc.back and (nt.after_break or nt.after_rule):
        name = nt.field_names[i].lower()
        if name in nt.after_break:
            return pulled(block, rc.front)
        if name in nt.after_rule:
            return ruleless(block)
    return block


# What a field holds (see _field_roles); a context part's role is its
# Context attribute's name, a field that is not Polar's has role "".
ROLE_FRONT = "front"
ROLE_ANSWER = "answer"  # an own type's answer: context goes into fields of its own
ROLE_ANSWER_AND_BLOCK = "answer+block"
ROLE_ANSWER_NO_BLOCK = "answer-block"
_CONTEXT_PARTS = frozenset({"source", "highlight", "image", "comments"})


def field_roles(nt: NoteTypeRef) -> Tuple[str, ...]:
    """Each field's role in ``wanted_fields`` (see ``_field_roles``), kept on
    the note type: asked once per note."""
    roles = nt.__dict__.get("_roles")
    if roles is None:
        roles = _field_roles(tuple(nt.field_names), nt.own, nt.question_fields)
        object.__setattr__(nt, "_roles", roles)  # frozen; the fields it is made of never change
    return roles


@lru_cache(maxsize=64)
def _field_roles(field_names: Tuple[str, ...], own: bool, question_fields: FrozenSet[str]) -> Tuple[str, ...]:
    """Each field's role in ``wanted_fields``. The same for every note of a
    type: worked out once per type, not per note (a first sync of 50,000
    cards asks 50,000 times)."""

    def answer(name: str) -> str:
        if own:
            return ROLE_ANSWER
        return ROLE_ANSWER_NO_BLOCK if name.lower() in question_fields else ROLE_ANSWER_AND_BLOCK

    roles: List[str] = []
    for name in field_names:
        low = name.lower()
        if low in ("front", "text"):
            roles.append(ROLE_FRONT)
        elif low in ("back", "back extra"):
            roles.append(answer(name))
        else:
            roles.append(low if low in _CONTEXT_PARTS else "")
    if field_names and not any(roles):
        roles = [ROLE_FRONT] + [""] * (len(field_names) - 1)
        if len(field_names) > 1:
            roles[1] = answer(field_names[1])
    elif ROLE_FRONT in roles and not any(role.startswith(ROLE_ANSWER) for role in roles):
        # "Text" is German too: the stock "Lückentext" is (Text, Rückseite
        # Extra). Right after the front, an "… Extra" field is a stock
        # cloze's answer in its language ("Verso extra", "Reverso extra"); a
        # "Back" renamed otherwise ("Answer") stays reported as missing.
        after = roles.index(ROLE_FRONT) + 1
        if after < len(roles) and not roles[after] and "extra" in field_names[after].lower():
            roles[after] = answer(field_names[after])
    return tuple(roles)


# A state row's field hashes are positional: they follow the fields of the
# note type as it was when they were written. A row ends with the layout it
# was written in, one letter per field for its role ("@fashic": Front, Back
# and the four context fields), so the hashes still meet their fields after
# the user added, removed or reordered fields (or changed the note's type).
# Rows written before carry none: positional, when the count still fits.
LAYOUT_MARK = "@"
_ROLE_LETTERS = {
    ROLE_FRONT: "f", ROLE_ANSWER: "a", ROLE_ANSWER_AND_BLOCK: "a", ROLE_ANSWER_NO_BLOCK: "a",
    "source": "s", "highlight": "h", "image": "i", "comments": "c",
}


def layout_tag(nt: NoteTypeRef) -> str:
    """The last item of a state row written for a note of ``nt`` (kept on
    the note type: asked once per note)."""
    tag = nt.__dict__.get("_layout")
    if tag is None:
        tag = LAYOUT_MARK + "".join(_ROLE_LETTERS.get(role, "-") for role in field_roles(nt))
        object.__setattr__(nt, "_layout", tag)
    return str(tag)


def aligned_hashes(stored: Sequence[str], nt: NoteTypeRef) -> Optional[List[str]]:
    """A state row's remembered hashes (``stored``) lined up with the fields
    of ``nt`` as it is now; None when they cannot be (a row of an older
    version whose field count no longer fits). A field of a role the row's
    layout had gets that role's hash (the n-th field of a role, the n-th
    hash of it); any other field none."""
    if not stored or not stored[-1].startswith(LAYOUT_MARK):
        return list(stored) if stored and len(stored) == len(nt.field_names) else None
    hashes, was = stored[:-1], stored[-1][1:]
    now = layout_tag(nt)[1:]
    if was == now:
        return list(hashes)
    if len(was) != len(hashes):
        return None
    by_role: Dict[str, List[str]] = {}
    for letter, value in zip(was, hashes):
        if letter != "-":
            by_role.setdefault(letter, []).append(value)
    out = []
    for letter in now:
        pool = by_role.get(letter)
        out.append(pool.pop(0) if pool else "")
    if len(was) == len(now):
        # A field of Polar's the user renamed and named back: the row kept
        # its hash in the renamed field's place (``renamed_hashes``).
        for i, letter in enumerate(now):
            if not out[i] and letter != "-" and letter not in was and was[i] == "-":
                out[i] = hashes[i]
    return out


def renamed_hashes(stored: Sequence[str], nt: NoteTypeRef) -> Dict[int, str]:
    """Place -> hash, for the fields of ``nt`` in Polar's parts' places that
    are no part of Polar's now: the user renamed the field (its part is
    then missing: ``dropped_fields``). The row written meanwhile keeps the
    hash of what the last sync wrote there, so that when the name comes
    back (``aligned_hashes``) a change made in Polar meanwhile is merged
    with the user's edits as ever, not taken for the field's first text."""
    if not stored or not stored[-1].startswith(LAYOUT_MARK):
        return {}
    hashes, was = stored[:-1], stored[-1][1:]
    now = layout_tag(nt)[1:]
    if len(was) != len(hashes) or len(was) != len(now):
        return {}
    return {i: value for i, (old, new, value) in enumerate(zip(was, now, hashes))
            if new == "-" and value and (old == "-" or old not in now)}


def lacks(nt: NoteTypeRef, names: Sequence[str]) -> List[str]:
    """Those of ``names`` (Polar's fields a ``fields_missing`` row named)
    that ``nt`` still has no field for."""
    gone = set(nt.missing) | {name for _, name in stock_gaps(nt)}
    return [name for name in names if name in gone]
