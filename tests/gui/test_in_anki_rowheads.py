"""A report row about a note type is headed in the reader's words in real
Anki (headless, the add-on installed from dist/; branch ``rowheads``,
docs/dev-notes/words.md): Anki in German, "Front" of "Basic" renamed, then a
card edited in Polar. The row of the field that could not be written was
headed "note type Basic" (the core's English path) in the report window and
in the sync log; now "Notiztyp „Basic“", the path left as its small
technical line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.in_anki import shown_words
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

DOC = "1GuiRowHeadsDoc00001"


def test_a_note_type_s_row_is_headed_in_german(anki: Any) -> None:
    mw = anki.mw
    anki.settle()
    col = mw.col
    doc = Doc(anki.library, DOC, title="Eisbären", tags=["deck:RowHeads"])
    doc.card("1GuiRhB1", basic("<p>Wo jagt ein Eisbär?</p>", "<p>Auf dem Meereis</p>"))
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 1
    anki.settle()
    anki.wait_progress_closed()
    model = col.models.by_name("Basic")
    assert model is not None
    log = anki.addon_dir / "user_files" / "sync-log.txt"
    dialog = None
    try:
        col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == "Front"), "Frage")
        col.models.update_dict(model)
        mw.pm.setLang("de_DE")
        logged = log.stat().st_size if log.exists() else 0
        _, raw = doc.find_card("1GuiRhB1")
        raw["fields"] = basic("<p>Wo jagt ein Eisbär am liebsten?</p>", "<p>Auf dem Meereis</p>")
        before = anki.controller.runner.finished_count
        doc.write()
        report = anki.wait_synced(before).report
        assert [(w["code"], w["path"]) for w in report.warnings] == [("fields_missing", "note type Basic")]
        anki.settle()
        anki.wait_progress_closed()

        dialog = anki.menu_action("Show last report")
        dialog.trigger()
        dialog = anki.controller.report_dialog
        anki.anki.wait_until(lambda: dialog.isVisible(), what="the report window")
        lines = [line.strip() for line in shown_words(dialog.browser.toPlainText()).splitlines()]
        said = next(i for i, line in enumerate(lines) if line.startswith("Dem Notiztyp „Basic“ fehlt das Feld"))
        assert lines[said - 1] == "Notiztyp „Basic“", lines  # the row's heading
        assert lines[said + 1].startswith("note type Basic"), lines  # its technical line, small, as it was
        assert not [line for line in lines[:said] if "note type" in line], lines

        written = log.read_bytes()[logged:].decode("utf-8")
        assert "Notiztyp „Basic“ — Dem Notiztyp „Basic“ fehlt" in written, written
        assert "  note type Basic — " not in written, written
    finally:
        if dialog is not None:
            dialog.close()
        mw.pm.setLang("en_US")
        model = col.models.get(model["id"])
        col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == "Frage"), "Front")
        col.models.update_dict(model)
        anki.anki.process(0.1)
