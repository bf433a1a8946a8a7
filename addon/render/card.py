"""One Polar flashcard → the field HTML, tags and media of one Anki note."""

from __future__ import annotations

from functools import partial
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ..polar.docmeta import BASIC, BASIC_AND_REVERSE, BASIC_OR_REVERSE, CLOZE, Document, Flashcard, Text
from ..settings import Settings
from .context import EMPTY_CONTEXT, HIGHLIGHT_REFS, Context, build_context
from .html import MARKDOWN_CHANGED_IN_13, as_anki_keeps, has_cloze, is_blank_html, literal_sound
from .issues import Issue
from .media import MediaFile, field_html
from .tags import anki_tag_tuple

KINDS = {
    BASIC: "basic",
    BASIC_AND_REVERSE: "basic_reverse",
    BASIC_OR_REVERSE: "basic_optional_reverse",
    CLOZE: "cloze",
}


# (no docInfo.added?, added, fingerprint, page, group, top, left, created, card id)
ReadingKey = Tuple[int, str, str, int, int, float, float, str, str]
# The same without the document's part: (page, group, top, left, created, card id)
PlaceKey = Tuple[int, int, float, float, str, str]


class RenderedCard(NamedTuple):
    """Immutable. A NamedTuple, not a frozen dataclass: one is made per card,
    and a frozen dataclass's ``__init__`` costs ~4x more (``object.__setattr__``
    per field). Nothing compares it with anything but another RenderedCard."""

    card_id: str
    kind: str  # "basic" | "basic_reverse" | "basic_optional_reverse" | "cloze"
    front: str  # basic: Front HTML; cloze: Text HTML (cloze syntax intact)
    back: str  # basic: Back HTML; cloze: an old card's "extra"/"back", usually ""
    context: Context
    tags: Tuple[str, ...]
    media: Tuple[MediaFile, ...]  # inline images of all fields + context image, unique by name
    problems: Tuple[str, ...]  # reported; the card still syncs
    error: Optional[str]  # the card must not be synced
    # Where the card sits in the reading of the whole library, for new
    # cards' due order (see reading_position).
    position: ReadingKey = (1, "", "", 0, 0, 0.0, 0.0, "", "")
    # (front, back) as rendered before ``as_anki_keeps`` made them what a note
    # holds, when that changed either (else empty): the text earlier versions
    # wrote and remembered the hash of (``merge_field``'s ``as_polar``).
    as_polar: Tuple[str, ...] = ()


# One is made per card: built in C from every field in order, not by
# NamedTuple's own constructor (a Python function, ~0.18 us a call).
_new_rendered = partial(tuple.__new__, RenderedCard)
_UNPLACED: ReadingKey = RenderedCard._field_defaults["position"]


def reading_position(doc: Document, card: Flashcard) -> ReadingKey:
    """The card's place in reading order, as a sort key.

    Documents in the order they were added to Polar (``docInfo.added``;
    without one, after those with one), then by page; on a page the cards of
    highlights with a known place first, top then left, then those of
    highlights without one, then page-level cards; ties by creation."""
    added = doc.added
    return (0 if added else 1, added, doc.fingerprint, *place_in_document(doc, card))


def place_in_document(doc: Document, card: Flashcard) -> PlaceKey:
    """``reading_position`` without its leading part, which is the same for
    every card of ``doc``: sorting one document's cards by it gives the
    same order with a third less key to make and compare (a first sync puts
    every new card in order by it, ``new_note_order``)."""
    parent = doc.highlights.get(card.ref_id) if card.ref_type in HIGHLIGHT_REFS else None
    if parent is not None and parent.page > 0:
        top, left = parent.top, parent.left
        if top is not None and left is not None:
            return (parent.page, 0, top, left, card.created, card.id)
        return (parent.page, 1, 0.0, 0.0, card.created, card.id)
    return (card.page, 2, 0.0, 0.0, card.created, card.id)


def _first_field(
    fields: Mapping[str, Text], names: Sequence[str], max_bytes: Optional[int], problems: List[str]
) -> Tuple[str, List[MediaFile], Optional[str]]:
    """(html, media, earlier) of the first present field in ``names``; its
    problems, named by the field, are added to ``problems``. ``earlier``:
    the field as render version 12 rendered it, when that differs (Markdown
    with a line break or a tilde), else None."""
    for name in names:
        text = fields.get(name)
        if text is not None:
            html, media, issues = field_html(text, max_bytes)
            html = literal_sound(html)  # Polar has no audio: a sound tag is text (render version 9)
            if issues:
                problems += [issue.within(f"field {name!r}: ", field=name) if isinstance(issue, Issue)
                             else f"field {name!r}: {issue}" for issue in issues]
            earlier = None
            if text.kind == "MARKDOWN" and MARKDOWN_CHANGED_IN_13.search(text.value):
                earlier = literal_sound(field_html(text, max_bytes, before_13=True)[0])
            return html, media, earlier
    return "", [], None


_BASIC_NAMES = (("front",), ("back",))
# Old/mock cloze cards may keep the text under "front", and an extra under "back".
_CLOZE_NAMES = (("text", "front"), ("extra", "back_extra", "back"))


def looks_unsyncable(card: Flashcard) -> bool:
    """True when the card's front as written looks like what ``render_card``
    refuses (no front, a blank one, a cloze without a deletion). A new
    document's cards are tested until the first that passes, and those it
    flags are rendered at once (read_document): no deck is made for a
    document none of whose cards can be synced; the rendering decides. A
    card it passes may still fail (a front of removed markup only)."""
    cloze = KINDS.get(card.type) == "cloze"
    for name in _CLOZE_NAMES[0] if cloze else _BASIC_NAMES[0]:
        text = card.fields.get(name)
        if text is not None:
            return is_blank_html(text.value) or (cloze and not has_cloze(text.value))
    return True


def render_card(
    doc: Document, card: Flashcard, image_loader: Callable[[str], bytes], settings: Settings, placed: bool = False
) -> RenderedCard:
    """``placed``: the card's place in reading order is decided already (the
    batched write sorted its document by ``reading_position``): its
    ``position`` is left at the default, not made a second time."""
    kind = KINDS.get(card.type, "basic")
    front_names, back_names = _CLOZE_NAMES if kind == "cloze" else _BASIC_NAMES

    problems: List[str] = []
    max_bytes = settings.max_image_bytes or None
    front, media, earlier_front = _first_field(card.fields, front_names, max_bytes, problems)
    back, found, earlier_back = _first_field(card.fields, back_names, max_bytes, problems)
    if found:
        media += found
    # As the note will hold them: what is compared and remembered is then what
    # a note read back holds (``as_anki_keeps``).
    kept_front, kept_back = as_anki_keeps(front), as_anki_keeps(back)
    as_polar: Tuple[str, ...] = ()
    if kept_front is not front or kept_back is not back or earlier_front is not None or earlier_back is not None:
        as_polar = (front if earlier_front is None else earlier_front, back if earlier_back is None else earlier_back)
        front, back = kept_front, kept_back

    error: Optional[str] = None
    if kind == "cloze":
        if is_blank_html(front):
            error = Issue("cloze card has an empty text", "cloze_empty")
        elif not has_cloze(front):
            error = Issue("cloze card has no deletion {{c1::...}}", "cloze_without_deletion")
    elif is_blank_html(front):
        error = Issue("flashcard has an empty front", "empty_front")

    context = EMPTY_CONTEXT
    if settings.context:
        context, found, issues = build_context(doc, card, image_loader, settings.page_label)
        if found:
            media += found
        if issues:
            problems += issues

    if len(media) > 1:  # unique by name, the first kept (most cards have no image)
        unique: Dict[str, MediaFile] = {}
        for file in media:
            unique.setdefault(file.name, file)
        media = list(unique.values())

    # Every field, in the field order (see _new_rendered).
    return _new_rendered((
        card.id,  # card_id
        kind,
        front,
        back,
        context,
        anki_tag_tuple(doc.tags, card.tags, settings),  # tags
        tuple(media),  # media
        tuple(problems),  # problems
        error,
        _UNPLACED if placed else reading_position(doc, card),  # position
        as_polar,
    ))
