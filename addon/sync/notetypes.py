"""Choosing the note type for each kind of Polar card, and filling its fields.

The profile's stock Basic/Cloze are used when they are there and look like
stock (English names, stock fields and templates). Otherwise (German profile,
renamed, reshaped, deleted) the add-on creates its own types once, marks them
with a private key in the note-type dict so they are found again, and never
adds a field to them later (that would force a full AnkiWeb sync).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, cast

from ..render.card import RenderedCard
from ..render.context import context_block

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.models import NotetypeDict, NotetypeId

MARKER = "polarSyncKind"  # private key in the note-type dict
KINDS = ("basic", "basic_reverse", "basic_optional_reverse", "cloze")

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

_CONTEXT_HTML = (
    "{{#Source}}<div class=\"polar-context\"><hr class=\"polar-rule\">"
    "<div class=\"polar-source\">{{Source}}</div>"
    "{{#Highlight}}<blockquote class=\"polar-highlight\">{{Highlight}}</blockquote>{{/Highlight}}"
    "{{#Image}}<div class=\"polar-image\">{{Image}}</div>{{/Image}}"
    "{{#Comments}}<div class=\"polar-comments\">{{Comments}}</div>{{/Comments}}"
    "</div>{{/Source}}"
)

_CSS = """.card { font-family: arial; font-size: 20px; text-align: center; color: black; background-color: white; }
.polar-context { margin-top: 1em; font-size: 0.75em; text-align: left; color: #555; }
.polar-context blockquote { border-left: 3px solid #e5c07b; margin: 0.5em 0; padding-left: 0.6em; }
.polar-context img { max-width: 100%; }
.nightMode .polar-context, .night_mode .polar-context { color: #bbb; }
.cloze { font-weight: bold; color: blue; }
.nightMode .cloze { color: lightblue; }
"""


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
    qfmt = tmpls[0].get("qfmt", "")
    return "{{cloze:Text}}" in qfmt if spec["cloze"] else "{{Front}}" in qfmt


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
    model["css"] = _CSS
    for name in _own_fields(kind):
        mm.add_field(model, mm.new_field(name))
    if kind == "cloze":
        model["type"] = 1
        t = mm.new_template("Cloze")
        t["qfmt"] = "{{cloze:Text}}"
        t["afmt"] = "{{cloze:Text}}{{#Back Extra}}<br>{{Back Extra}}{{/Back Extra}}" + _CONTEXT_HTML
        mm.add_template(model, t)
    else:
        t = mm.new_template("Card 1")
        t["qfmt"] = "{{Front}}"
        t["afmt"] = "{{FrontSide}}<hr id=answer>{{Back}}" + _CONTEXT_HTML
        mm.add_template(model, t)
        if kind != "basic":
            t2 = mm.new_template("Card 2")
            cond = "Add Reverse" if kind == "basic_optional_reverse" else ""
            t2["qfmt"] = f"{{{{#{cond}}}}}{{{{Back}}}}{{{{/{cond}}}}}" if cond else "{{Back}}"
            t2["afmt"] = "{{FrontSide}}<hr id=answer>{{Front}}" + _CONTEXT_HTML
            mm.add_template(model, t2)
    taken = {str(e.name).lower() for e in mm.all_names_and_ids()}
    n = 2
    while str(model["name"]).lower() in taken:  # a reshaped one keeps the plain name
        model["name"] = f"{_OWN_NAMES[kind]} ({n})"
        n += 1
    mm.add(model)  # the marker is what we look up, not the name
    added = mm.get(model["id"])
    assert added is not None
    return dict(added)


def ref_of(model: NotetypeDict) -> NoteTypeRef:
    return NoteTypeRef(
        id=_id(model.get("id", 0)),
        name=str(model.get("name", "")),
        field_names=[f["name"] for f in model.get("flds", [])],
        own=bool(model.get(MARKER)),
        missing=missing_fields(model),
        kind=str(model.get(MARKER) or ""),
    )


def note_types(col: Collection) -> Dict[NotetypeId, NoteTypeRef]:
    """Every note type of the profile, by id."""
    found: Dict[NotetypeId, NoteTypeRef] = {}
    for entry in col.models.all_names_and_ids():
        model = col.models.get(_id(entry.id))
        if model:
            found[_id(entry.id)] = ref_of(model)
    return found


def choose(col: Collection, kind: str, prefer_stock: bool) -> Optional[NoteTypeRef]:
    """The note type to use for new cards of ``kind``, or None when the
    add-on's own type must be created first."""
    if prefer_stock:
        stock = find_stock(col, kind)
        if stock:
            return ref_of(stock)
    own = find_own(col, kind)
    return ref_of(own) if own else None


def planned_own(kind: str) -> NoteTypeRef:
    return NoteTypeRef(_id(0), _OWN_NAMES[kind], _own_fields(kind), True, kind=kind)


def reshaped_own(col: Collection, kind: str) -> List[NoteTypeRef]:
    """Own types for ``kind`` the user reshaped (fields removed or renamed)."""
    return [ref for ref in (ref_of(m) for m in own_types(col, kind)) if ref.missing]


def describe_missing(nt: NoteTypeRef, fields: Sequence[str]) -> str:
    names = ", ".join(repr(f) for f in fields)
    return f"note type {nt.name!r} lacks its field{'s' if len(fields) > 1 else ''} {names} (removed or renamed in Anki)"


def dropped_fields(nt: NoteTypeRef, rc: RenderedCard) -> List[str]:
    """Fields of a reshaped own type ``nt`` whose content for ``rc`` has no
    field to go to (empty content is no loss)."""
    if not nt.missing:
        return []
    names = _own_fields(nt.kind)
    wanted = dict(zip(names, fill_fields(names, rc, True)))
    return [name for name in nt.missing if wanted.get(name)]


def fill_fields(field_names: Sequence[str], rc: RenderedCard, own: bool) -> List[Optional[str]]:
    """The value Polar wants in each field, or None for a field Polar does not
    manage (the user's to keep, e.g. "Add Reverse" or a field they added).

    Matching is by name (case-insensitive), then by position for note types
    with other names (adopted notes in a localised "Einfach" type)."""
    ctx = rc.context
    block = "" if own else context_block(ctx)
    back = rc.back + block
    by_name = {
        "front": rc.front, "text": rc.front,
        "back": back, "back extra": back,
        "source": ctx.source, "highlight": ctx.highlight, "image": ctx.image, "comments": ctx.comments,
    }
    values: List[Optional[str]] = []
    matched = False
    for name in field_names:
        value = by_name.get(name.lower())
        matched = matched or value is not None
        values.append(value)
    if not matched and field_names:
        values = [rc.front, back if len(field_names) > 1 else None] + [None] * (len(field_names) - 2)
        values = values[: len(field_names)]
        if len(field_names) == 1:
            values = [rc.front + block]
    return values
