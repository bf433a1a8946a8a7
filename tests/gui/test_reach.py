"""The add-on's windows as people reach them without a mouse or a
left-to-right Anki: the keyboard alone, a screen reader, Anki in Arabic,
Hebrew or Persian (docs/dev-notes/words.md, "Reached by everyone").

Shares the session's Anki (conftest.py); every test puts back what it changed.
"""

from __future__ import annotations

import importlib
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.anki

LRM = "\u200e"


def _module(anki: Any, name: str) -> Any:
    package = type(anki.controller).__module__.rsplit(".", 1)[0]  # the installed add-on's gui package
    return importlib.import_module(f"{package}.{name}")


def _visible(object_name: str) -> list:
    from aqt.qt import QApplication

    return [w for w in QApplication.topLevelWidgets() if w.objectName() == object_name and w.isVisible()]


def _unjoined(text: str) -> str:
    return text.replace("\u2060", "").replace("\u00a0", " ")


def _closed(widget: Any) -> bool:
    from aqt.qt import sip

    return sip.isdeleted(widget) or not widget.isVisible()


def _key(widget: Any, key: Any) -> None:
    from PyQt6.QtTest import QTest

    QTest.keyClick(widget, key)


@pytest.fixture
def right_to_left(anki: Any) -> Iterator[Any]:
    """Anki in Arabic, as it starts: its language, and the whole application
    laid out right to left (aqt.setupLangAndBackend)."""
    from aqt.qt import QApplication, QLocale, Qt

    anki.mw.pm.setLang("ar_SA")
    QApplication.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    before = QLocale()
    QLocale.setDefault(QLocale("ar"))
    menu = _module(anki, "menu")
    menu.retranslate(anki.controller.actions)  # (as each profile open does)
    try:
        yield anki
    finally:
        QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        QLocale.setDefault(before)
        anki.mw.pm.setLang("en_US")
        menu.retranslate(anki.controller.actions)


def _settings(anki: Any) -> Any:
    dialog = anki.controller.open_settings()
    dialog.activateWindow()
    anki.anki.process(0.3)
    return dialog


def test_escape_after_typing_in_the_settings_asks_before_it_drops_what_was_typed(anki: Any) -> None:
    """Escape closed the settings like Cancel, without a word: a folder typed
    and an Escape to leave the field, and it was gone."""
    from aqt.qt import Qt

    before = dict(anki.mw.addonManager.getConfig("polar_sync"))
    dialog = _settings(anki)
    field = dialog.widgets["document_deck_parent"]
    field.setFocus()
    field.selectAll()
    from PyQt6.QtTest import QTest

    QTest.keyClicks(field, "Reading")
    _key(field, Qt.Key.Key_Escape)
    anki.anki.process(0.2)
    assert dialog.isVisible()
    asked = _visible("polar_sync_settings_discard")
    assert len(asked) == 1 and asked[0].text() == "Discard the changes you made here?"
    assert asked[0].defaultButton().text() == "Keep editing"
    _key(asked[0], Qt.Key.Key_Escape)  # Escape there keeps the editing
    anki.anki.wait_until(lambda: not _visible("polar_sync_settings_discard"), what="the question to close")
    assert dialog.isVisible() and field.text() == "Reading"

    _key(field, Qt.Key.Key_Escape)
    anki.anki.process(0.2)
    asked = _visible("polar_sync_settings_discard")
    discard = next(b for b in asked[0].buttons() if b.text() == "Discard changes")
    discard.click()
    anki.anki.wait_until(lambda: _closed(dialog), what="the settings to close")
    assert dict(anki.mw.addonManager.getConfig("polar_sync")) == before

    # Nothing changed: Escape closes at once; Cancel drops what was typed as before.
    dialog = _settings(anki)
    _key(dialog.widgets["document_deck_parent"], Qt.Key.Key_Escape)
    anki.anki.wait_until(lambda: _closed(dialog), what="the settings to close")
    assert not _visible("polar_sync_settings_discard")
    dialog = _settings(anki)
    dialog.widgets["document_deck_parent"].setText("Elsewhere")
    dialog.reject()
    anki.anki.process(0.2)
    assert _closed(dialog) and not _visible("polar_sync_settings_discard")
    assert dict(anki.mw.addonManager.getConfig("polar_sync")) == before


def test_the_words_beside_a_settings_check_box_toggle_it_as_the_box_does(anki: Any) -> None:
    """A check box's words are a label of their own (they wrap): a left
    click on them toggles the box, as a click on the box does; a right
    click, or a press dragged off them, does not (a box's own behaviour)."""
    from aqt.qt import QCheckBox, QPoint, Qt
    from PyQt6.QtTest import QTest

    before = dict(anki.mw.addonManager.getConfig("polar_sync"))
    dialog = _settings(anki)
    try:
        box = dialog.widgets["copy_tags"]
        assert isinstance(box, QCheckBox) and box.text() == ""  # (its words are the label beside it)
        label = box.parentWidget().layout().itemAt(1).widget()
        was = box.isChecked()
        QTest.mouseClick(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(2, 2))
        assert box.isChecked() != was and dialog.changed()
        QTest.mouseClick(label, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(2, 2))
        assert box.isChecked() != was
        QTest.mousePress(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(2, 2))
        QTest.mouseRelease(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(label.width() + 50, label.height() + 50))
        assert box.isChecked() != was
        box.setEnabled(False)
        QTest.mouseClick(label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(2, 2))
        assert box.isChecked() != was
    finally:
        dialog.reject()
        anki.anki.process(0.2)
    assert dict(anki.mw.addonManager.getConfig("polar_sync")) == before


def test_a_settings_field_is_read_out_with_the_line_that_explains_it(anki: Any) -> None:
    """A screen reader gave a field's name only; the grey line under it, which
    says what the setting does, is not in the Tab order and was never read."""
    from aqt.qt import QLabel

    dialog = _settings(anki)
    try:
        # (A line is shown with its names and example paths joined, unbroken.py: the same words.)
        lines = {_unjoined(label.text()) for label in dialog.findChildren(QLabel) if not label.isEnabled()}
        for key, widget in dialog.widgets.items():
            assert _unjoined(widget.accessibleDescription()) in lines, key
        assert "Polar's data folder" in dialog.widgets["data_dir"].accessibleDescription()
    finally:
        dialog.reject()


@pytest.mark.parametrize("lang", ["en_US", "de_DE"])
def test_the_arrow_buttons_are_named_for_a_screen_reader(anki: Any, lang: str) -> None:
    """The page and section arrows are a ◀ and a ▶ with a tooltip: a screen
    reader read "black left-pointing triangle" (or nothing)."""
    anki.mw.pm.setLang(lang)
    windows = [_module(anki, "document_window").DocumentWindow(None), _module(anki, "book_window").BookWindow(None)]
    try:
        names = [(w.prev_button.accessibleName(), w.next_button.accessibleName()) for w in windows]
        tips = [(w.prev_button.toolTip(), w.next_button.toolTip()) for w in windows]
        assert names == tips
        if lang == "en_US":
            assert names == [("Previous page", "Next page"), ("Previous section", "Next section")]
        else:
            assert names == [("Vorige Seite", "Nächste Seite"), ("Voriger Abschnitt", "Nächster Abschnitt")]
    finally:
        for w in windows:
            w.close()
        anki.mw.pm.setLang("en_US")


def test_a_right_to_left_anki_gets_the_add_ons_english_laid_out_left_to_right(right_to_left: Any) -> None:
    """Anki in Arabic mirrors every window. The add-on speaks English there
    (none of its catalogues is Arabic, Hebrew or Persian), and in a mirrored
    window English lost its punctuation to the wrong end: "...Choose Polar
    data folder", "...Use a Polar export" on the settings' buttons and in the
    Tools menu, labels right-aligned above left-aligned lines."""
    from aqt.qt import QApplication, QLabel, QPushButton, Qt

    anki = right_to_left
    ltr = Qt.LayoutDirection.LeftToRight
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    windows = []
    try:
        settings = _settings(anki)
        windows.append(settings)
        data = {"created": 2, "documents": 1, "errors": [], "conflicts": [], "warnings": [],
                "changes": [{"kind": "created", "deck": "Default", "document": "d", "title": "Doc", "note_id": 1,
                             "front": "Q?"}]}
        windows.append(anki.controller.show_report(data, "manual", 0))
        windows.append(_module(anki, "document_window").DocumentWindow(None))
        windows.append(_module(anki, "book_window").BookWindow(None))
        for window in windows:
            assert window.layoutDirection() == ltr, type(window).__name__
            for part in window.findChildren(QPushButton) + window.findChildren(QLabel):
                if part.window() is not window:
                    continue  # (Anki's tooltip, a window of its own, may be shown over ours)
                assert part.layoutDirection() == ltr, (type(window).__name__, part.text())
        # Its numbers in the digits of its words, not Anki's Arabic-Indic ones.
        settings.widgets["watch_debounce_ms"].setValue(1300)
        assert settings.widgets["watch_debounce_ms"].text() == "1300 ms"
        assert settings.widgets["max_image_bytes"].text().startswith("10.0")
        windows[2].page_box.setMaximum(412)
        windows[2].page_box.setValue(12)
        assert windows[2].page_box.text() == "12"
        settings.widgets["watch_debounce_ms"].setValue(settings.shown_values["watch_debounce_ms"])
        buttons = {b.text() for b in settings.findChildren(QPushButton)}
        assert LRM + "Choose Polar data folder…" + LRM in buttons  # English, held left to right
        # A message box of the settings too (its own window).
        box = settings.ask_to_discard()
        windows.append(box)
        assert box.layoutDirection() == ltr
        box.close()
        # Anki's Tools menu stays Anki's, right to left; our entries in it keep
        # their "…" at their end.
        actions = anki.controller.actions
        assert actions["choose_dir"].text() == LRM + "Choose Polar data folder…" + LRM
        assert actions["preview"].text() == LRM + "Preview (dry run)…" + LRM
        assert actions["menu"].title() == LRM + "Polar Sync" + LRM
        assert anki.mw.form.menuTools.layoutDirection() == Qt.LayoutDirection.RightToLeft
        # The progress window's words, which Anki lays out.
        assert _module(anki, "direction").in_anki("Reading the Polar library…") == \
            LRM + "Reading the Polar library…" + LRM
    finally:
        for window in windows:
            window.close()
    # Back in a left-to-right Anki, nothing is added.
    QApplication.setLayoutDirection(ltr)
    _module(anki, "menu").retranslate(anki.controller.actions)
    assert anki.controller.actions["choose_dir"].text() == "Choose Polar data folder…"


def _tab_stops(anki: Any, window: Any, first: Any, n: int) -> list:
    from aqt.qt import QApplication, Qt

    window.show()
    QApplication.setActiveWindow(window)
    first.setFocus()
    anki.anki.process(0.2)
    stops = []
    for _ in range(n):
        stops.append(QApplication.focusWidget())
        _key(stops[-1] or window, Qt.Key.Key_Tab)
        anki.anki.process(0.05)
    return stops


def test_tab_in_the_document_window_goes_along_its_bar_left_to_right(anki: Any) -> None:
    """◀ [page] of 10 ▶: Tab went ◀, ▶, then back to the page box (the order
    the widgets were made in), and the box had no name but its number."""
    window = _module(anki, "document_window").DocumentWindow(None)
    try:
        window.resize(500, 500)
        stops = _tab_stops(anki, window, window.prev_button, 4)
        assert stops == [window.prev_button, window.page_box, window.next_button, window.system_button]
        assert window.page_box.accessibleName() == "Page"
    finally:
        window.close()


def test_the_settings_open_on_their_first_field_and_tab_goes_through_them_in_order(anki: Any) -> None:
    """The window opened with the focus on its scroll area, drawn nowhere:
    the first Tab only reached the folder field. Tab then goes down the
    window, field by field, to OK and Cancel and round again, never onto a
    label or a box that does nothing."""
    from aqt.qt import QAbstractButton, QApplication, QComboBox, QDoubleSpinBox, QLineEdit, QScrollArea, QSpinBox, Qt

    dialog = _settings(anki)
    try:
        QApplication.setActiveWindow(dialog)
        anki.anki.process(0.2)
        assert QApplication.focusWidget() is dialog.widgets["data_dir"]
        stops = []
        for _ in range(40):
            widget = QApplication.focusWidget()
            assert widget is not None and widget.window() is dialog
            if stops and widget is stops[0]:
                break
            assert isinstance(widget, (QAbstractButton, QComboBox, QLineEdit, QSpinBox, QDoubleSpinBox)), widget
            assert not isinstance(widget, QScrollArea)
            stops.append(widget)
            _key(widget, Qt.Key.Key_Tab)
            anki.anki.process(0.03)
        else:
            raise AssertionError("Tab never came round")
        # Top to bottom: each field lower in the window than the one before.
        fields = [w for w in stops if w in dialog.widgets.values()]
        tops = [w.mapTo(dialog, w.rect().topLeft()).y() + dialog.findChild(QScrollArea).verticalScrollBar().value()
                for w in fields]
        assert len(fields) == len([w for w in dialog.widgets.values() if w.isEnabled()])
        assert tops == sorted(tops)
        assert {b.text() for b in stops[-2:]} == {"OK", "Cancel"}
    finally:
        dialog.reject()


def test_enter_on_a_row_of_the_report_shows_its_note_and_keeps_the_report(anki: Any) -> None:
    """A double click on a row shows its notes in the Browser; Enter, the
    keyboard's way to say the same, did nothing (the Browser never came,
    120 s on main)."""
    from aqt import gui_hooks
    from aqt.browser import Browser
    from aqt.qt import QApplication, Qt, QTimer, sip

    anki.settle()
    nid = int(anki.mw.col.find_notes("tag:polar")[0])
    data = {"updated": 1, "documents": 1, "errors": [], "conflicts": [], "warnings": [],
            "changes": [{"kind": "updated", "deck": "Default", "document": "d", "title": "Doc", "note_id": nid,
                         "front": "Q?"}]}
    dialog = anki.controller.show_report(data, "manual", 0)
    window = None
    # The Browser's editor must have loaded the note before the window
    # closes (Anki 23.10 shows an error for an editor closed mid-load).
    loaded: list = []
    hook = lambda editor: loaded.append(editor.note.id if editor.note else 0)  # noqa: E731
    gui_hooks.editor_did_load_note.append(hook)
    try:
        QApplication.setActiveWindow(dialog)
        tree = dialog.tree
        assert tree.accessibleName() == "What changed"  # (its header is hidden: a title above it instead)
        document = tree.topLevelItem(0).child(0)
        document.setExpanded(True)
        anki.anki.process(0.2)
        note = document.child(0)
        tree.setFocus()
        tree.setCurrentItem(note)
        _key(tree, Qt.Key.Key_Return)
        anki.anki.process(0.3)
        assert not _closed(dialog)

        def browser() -> Any:
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, Browser) and w.isVisible()
                         and w.current_search() == f"nid:{nid}"), None)

        window = anki.anki.wait_until(browser, what="the Browser showing the row's note")
        anki.anki.wait_until(lambda: nid in loaded, what="the Browser's editor showing the note")
    finally:
        gui_hooks.editor_did_load_note.remove(hook)
        if window is not None:
            QTimer.singleShot(60, window.close)
            anki.anki.wait_until(lambda: sip.isdeleted(window) or not window.isVisible(), what="the Browser to close")
        if not _closed(dialog):
            dialog.close()


def test_the_last_report_opens_from_the_tools_menu_without_the_notice(anki: Any) -> None:
    """The notice ("1 problem. Click to see the report.") takes no keys and
    goes after 15 s: a person without a mouse, or who missed it, had no way
    to the report. Tools ▸ Polar Sync ▸ Show last report opens it."""
    anki.settle()
    outcome = anki.trigger_and_wait("Sync from Polar")
    if anki.controller.report_dialog is not None and not _closed(anki.controller.report_dialog):
        anki.controller.report_dialog.close()
    anki.menu_action("Show last report").trigger()
    dialog = anki.controller.report_dialog
    try:
        assert dialog is not None and dialog.isVisible()
        assert dialog.data["documents"] == outcome.report.to_dict()["documents"]
    finally:
        if dialog is not None and not _closed(dialog):
            dialog.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_report_trees_second_column_has_a_name_for_a_screen_reader(anki: Any, language: str) -> None:
    """The report's tree has two columns: the deck, document or note, and
    what happened to it ("new", "2 notes updated"). Its header is hidden (a
    title line above the tree names it), and the second column's header was
    empty: a screen reader named that column by nothing. Qt names a header
    cell by the model's AccessibleTextRole first, then its DisplayRole
    (``QAccessibleTableHeaderCell::text``); the column now has a name there,
    and nothing a sighted person sees changes."""
    from aqt.qt import Qt

    anki.settle()
    nid = int(anki.mw.col.find_notes("tag:polar")[0])
    data = {"updated": 1, "documents": 1, "errors": [], "conflicts": [], "warnings": [],
            "changes": [{"kind": "updated", "deck": "Default", "document": "d", "title": "Doc", "note_id": nid,
                         "front": "Q?"}]}
    i18n = _module(anki, "i18n")  # (the installed add-on's: its windows' words)
    i18n.force(language)
    try:
        dialog = anki.controller.show_report(data, "manual", 0)
        try:
            tree = dialog.tree
            model = tree.model()
            horizontal = Qt.Orientation.Horizontal
            names = [model.headerData(c, horizontal, Qt.ItemDataRole.AccessibleTextRole)
                     or model.headerData(c, horizontal, Qt.ItemDataRole.DisplayRole) for c in range(2)]
            assert names == (["What changed", "Change"] if language == "en" else ["Was sich geändert hat", "Änderung"])
            # As it was for the eye: no header, and no text in the second column's.
            assert tree.isHeaderHidden()
            assert model.headerData(1, horizontal, Qt.ItemDataRole.DisplayRole) == ""
            document = tree.topLevelItem(0).child(0)
            document.setExpanded(True)
            assert document.child(0).text(1)  # (its cells say what happened to the row)
        finally:
            if not _closed(dialog):
                dialog.close()
    finally:
        i18n.force(None)
