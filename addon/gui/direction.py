"""The add-on's windows in a right-to-left Anki (Arabic, Hebrew, Persian...).

Anki sets the whole application right to left for those languages
(``app.setLayoutDirection`` at start). The add-on speaks none of them: they
get its English. In a mirrored window English lost its punctuation to the
wrong end ("...Choose Polar data folder", "?Discard") and stood half right-,
half left-aligned. So the add-on's own windows are laid out in the direction
its words are written (left to right for every catalogue we have), and its
words in Anki's own places (the Tools menu, the progress window) are held
left to right by invisible marks (``i18n.embedded``)."""

from __future__ import annotations

from aqt.qt import QAbstractButton, QApplication, QComboBox, QLocale, Qt, QWidget

from . import i18n


def anki_is_right_to_left() -> bool:
    return QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft


def ours(window: QWidget) -> None:
    """Lay ``window`` (one of the add-on's, built: call again after adding
    buttons) out as its words are written.

    Qt draws a button's or a drop-down's text in the *application's*
    direction whatever the widget's ("…Choose Polar data folder" in a
    left-to-right window of a right-to-left Anki; labels follow their own):
    so in a right-to-left Anki their words are held left to right too.

    Its numbers are written as its words write them: Anki sets Qt's locale
    to its language, and an Arabic or Persian one put Arabic-Indic digits
    into the English settings' and document window's number boxes
    ("١٠٫٠ MB", "٣٠٠ ms", page "١٢" beside "of 412")."""
    window.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if i18n.reads_right_to_left() else Qt.LayoutDirection.LeftToRight
    )
    window.setLocale(QLocale(i18n.current()))
    if not anki_is_right_to_left():
        return
    for button in window.findChildren(QAbstractButton):
        if button.text():
            button.setText(i18n.embedded(button.text()))
    for combo in window.findChildren(QComboBox):
        for index in range(combo.count()):
            combo.setItemText(index, i18n.embedded(combo.itemText(index)))


def in_anki(text: str) -> str:
    """``text`` for a place Anki lays out (see the module's docstring)."""
    return i18n.embedded(text) if anki_is_right_to_left() else text
