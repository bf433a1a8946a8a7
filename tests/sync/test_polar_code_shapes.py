"""Shapes of a DocMeta as Polar's own code wrote them (fourth pass of
docs/dev-notes/shapes.md), each synced into a real collection."""

from __future__ import annotations

import base64

from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
PNG_2PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR42mP8z8DAwMDAwAAADgQBAPtR1jkAAAAASUVORK5CYII=")


def test_a_2018_highlight_carrying_its_screenshots_as_data_addresses(col, tmp_path, state_path):
    """Polar 1.x of August 2018 (polar-bookshelf 986a44644,
    ``TextHighlightController.attachScreenshot``) kept two screenshots of a
    text highlight inline: ``images.screenshot`` and
    ``images["screenshot-with-highlight"]``, each ``{src: <data: URL>,
    width, height, rel}`` (``Image.src`` was a string until 2019-04-26). A
    card nested in that highlight: its note shows the highlight's text, and
    no screenshot becomes media or a warning (Polar never showed them)."""
    shot = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    doc = Doc(tmp_path / "polar", "1Doc2018Screenshots00001", "Screenshots inline")
    doc.text_highlight("1Hl2018aaa", "The words highlighted in 2018.")
    hl = doc.page(1)["textHighlights"]["1Hl2018aaa"]
    hl["images"] = {rel: {"src": shot, "width": 120, "height": 18, "rel": rel}
                    for rel in ("screenshot", "screenshot-with-highlight")}
    hl["flashcards"]["1Card2018a"] = {
        "id": "1Card2018a", "created": "2018-08-26T10:00:00.000Z", "type": "BASIC_FRONT_BACK",
        "fields": {"front": {"MARKDOWN": "What was highlighted?"}, "back": {"MARKDOWN": "Words"}}}
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors, report.warnings) == (1, [], []), (report.errors, report.warnings)
    back = note_of(col, "1Card2018a")["Back"]
    assert "The words highlighted in 2018." in back and "<img" not in back
    assert not col.media.check().unused and not list((tmp_path / "col" / "collection.media").iterdir())


def test_a_legacy_highlight_given_its_id_by_polars_upgrade_keeps_its_cards_context(col, tmp_path, state_path):
    """A text highlight of early 2018 had no ``id``; Polar's loader
    (polar-bookshelf ``PageMetas.upgrade``) gives it
    ``Hashcodes.createID(rects)`` in place, so the next write of the
    document stores that id inside the highlight while the map keeps its
    old key. A card and a comment made since point at the new id: the card
    shows the highlight's text and the comment, and sits at its place."""
    doc = Doc(tmp_path / "polar", "1DocLegacyHighlightId0001", "Legacy ids")
    doc.text_highlight("0", "Text of a highlight keyed by its old key.", top=200.0)
    doc.text_highlight("1HlLater01", "A later highlight, higher on the page.", top=50.0)
    hl = doc.page(1)["textHighlights"]["0"]
    hl.update(id="1UpgradedIdFromRects", guid="1UpgradedIdFromRects")
    doc.comment("1Comment01", "<p>My note on it</p>", "text-highlight:1UpgradedIdFromRects")
    doc.card("1CardOld01", basic("Old question", "Old answer"), ref="text-highlight:1UpgradedIdFromRects")
    doc.card("1CardNew01", basic("New question", "New answer"), ref="text-highlight:1HlLater01")
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors, report.warnings) == (2, [], []), (report.errors, report.warnings)
    back = note_of(col, "1CardOld01")["Back"]
    assert "Text of a highlight keyed by its old key." in back and "My note on it" in back
    # Reading order: the later highlight is higher on the page, so its card comes first.
    cards = {note_of(col, cid).cards()[0].due: cid for cid in ("1CardOld01", "1CardNew01")}
    assert [cards[due] for due in sorted(cards)] == ["1CardNew01", "1CardOld01"]


def test_an_area_highlight_resized_in_polar_shows_its_new_image_and_keeps_the_reviews(col, tmp_path, state_path):
    """Resizing an area highlight (polar-bookshelf ``AreaHighlights.ts``,
    ``DefaultAreaHighlightWriter.prepare``) keeps the highlight's id, gives
    it a new ``image`` (a new random id, ``files/image/<id>.<ext>``,
    ``Images.toExt``), moves the ``docInfo.attachments`` entry and deletes
    the old file. The card's note shows the new image, with its review
    kept and no warning about the deleted one."""
    root = tmp_path / "polar"
    images = root / "files" / "image"
    images.mkdir(parents=True)
    (images / "1OldImage0000000000.png").write_bytes(PNG_1PX)
    doc = Doc(root, "1DocAreaResized000000001", "Area")
    doc.area_highlight("1AreaHl001", "1OldImage0000000000.png")
    doc.meta["docInfo"]["attachments"]["1OldImage0000000000.png"] = {
        "fileRef": {"backend": "image", "name": "1OldImage0000000000.png"}}
    doc.card("1AreaCard1", basic("What does the figure show?", "A curve"), ref="area-highlight:1AreaHl001")
    doc.write()
    assert run(col, root, state_path).created == 1
    card = note_of(col, "1AreaCard1").cards()[0]
    card.start_timer()
    col.sched.answerCard(card, 3)
    before = col.get_card(card.id)
    # Resized: a new image, the old file deleted, the attachments moved.
    (images / "1NewImage0000000000.png").write_bytes(PNG_2PX)
    (images / "1OldImage0000000000.png").unlink()
    hl = doc.page(1)["areaHighlights"]["1AreaHl001"]
    hl["image"] = {"id": "1NewImage0000000000", "type": "image/png", "width": 2, "height": 1, "rel": "screenshot",
                   "src": {"backend": "image", "name": "1NewImage0000000000.png"}}
    hl["rects"]["0"]["width"] = 80.0
    hl["lastUpdated"] = "2020-02-01T00:00:00.000Z"
    doc.meta["docInfo"]["attachments"] = {"1NewImage0000000000": {
        "fileRef": {"backend": "image", "name": "1NewImage0000000000.png"}}}
    doc.write()
    again = run(col, root, state_path)
    assert (again.updated, again.created, again.errors, again.warnings) == (1, 0, [], []), again
    note = note_of(col, "1AreaCard1")
    shown = " ".join(note.fields)
    media = tmp_path / "col" / "collection.media"
    names = [p.name for p in media.iterdir() if p.read_bytes() == PNG_2PX]
    assert names and names[0] in shown, (names, shown)
    after = col.get_card(card.id)
    assert (after.due, after.ivl, after.reps, after.queue) == (before.due, before.ivl, before.reps, before.queue)
