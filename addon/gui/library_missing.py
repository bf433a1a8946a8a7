"""The one message for "there is no Polar library to sync": on first run,
whenever a sync finds the folder (or export) missing or unreadable, and when
a sync someone started finds no document in it (the wrong folder chosen).

It is a state of its own, not a sync problem: nothing was read, nothing
counted, and the fix is in Anki (choose the folder), so the message says
where Polar keeps its data and offers the two choosers.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Callable, List, NamedTuple, Optional

from aqt.qt import (
    QApplication,
    QBoxLayout,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QResizeEvent,
    QScrollArea,
    QShowEvent,
    QSizePolicy,
    QStyle,
    Qt,
    QVBoxLayout,
    QWidget,
    qconnect,
)
from aqt.utils import disable_help_button

from ..polar.library import newer_export_beside, same_export_elsewhere
from . import button_rows, direction, unbroken
from .i18n import tr

OBJECT_NAME = "polar_sync_library_missing"


class Looked(NamedTuple):
    """What the message says about the Polar folder, looked up off Anki's
    main thread (``look``): the folder may be on a share that stopped answering."""

    exists: bool
    export: bool  # a file, or an unpacked export (read as one)
    newer: Optional[Path]  # an export downloaded later beside it
    same: Optional[Path] = None  # the same export beside it under another name
    same_unpacked: bool = False  # ... unpacked (a folder)


def look(path: Path, empty: bool = False, exists: Optional[bool] = None, cache: Optional[Path] = None) -> Looked:
    exists = path.exists() if exists is None else exists
    export = empty and (path.is_file() or (path / "doc_meta").is_dir())
    newer = newer_export_beside(path) if not exists and not empty else None
    same = same_export_elsewhere(path, cache) if not exists and not empty and newer is None else None
    return Looked(exists, export, newer, same, same is not None and same.is_dir())


def message_html(path: Path, configured: bool, exists: bool, detail: str = "", first_run: bool = False,
                 empty: bool = False, cache: Optional[Path] = None, looked_up: Optional[Looked] = None) -> str:
    """The message's text (rich text). ``empty``: the
    library was read but holds no document (most often the wrong folder).
    ``cache``: the export cache beside the profile's sync state (it knows
    the export read last, found again under another name). ``looked_up``:
    the folder's facts (else looked at here)."""
    facts = looked_up if looked_up is not None else look(path, empty, exists, cache)
    exists = facts.exists
    where = f"<code>{html.escape(str(path))}</code>"
    if empty:
        head = tr("Polar Sync found no Polar documents.")
        looked = (
            tr("The Polar export {path} holds no documents.", path=where)
            if facts.export
            else tr("It looked in {path}, but there is no Polar document in that folder: "
                    "Polar keeps each document in a folder of its own with a file named state.json.", path=where)
        )
    elif exists:
        head = tr("Polar Sync cannot read your Polar library.")
        looked = tr("It tried {path}, but could not read it.", path=where)
    else:
        head = tr("Polar Sync could not find your Polar library.")
        looked = (
            tr("It looked in {path}, which does not exist (any more).", path=where)
            if configured
            else tr("It looked in {path}, where Polar keeps its data unless told otherwise; "
                    "that folder does not exist here.", path=where)
        )
    parts = [f"<b>{html.escape(head)}</b>", f"<p>{looked}</p>"]
    newer = facts.newer
    if newer is not None:  # the old export deleted after a new one was downloaded
        parts.append("<p>" + tr("A Polar export downloaded later is in that folder: {file}. Choose it with "
                                "“Use a Polar export…”.", file=f"<code>{html.escape(newer.name)}</code>") + "</p>")
    same = facts.same
    if same is not None:  # renamed by its user: that is all there is to it
        name = f"<code>{html.escape(same.name)}</code>"
        parts.append("<p>" + (
            tr("The same unpacked Polar export is in that folder under another name: {file}. Choose it with "
               "“Choose Polar data folder…”.", file=name) if facts.same_unpacked else
            tr("The same Polar export is in that folder under another name: {file}. Choose it with "
               "“Use a Polar export…”.", file=name)) + "</p>")
        parts.append("<p>" + html.escape(tr("Nothing was synced and nothing in Anki was changed.")) + "</p>")
        return "".join(parts)
    if detail and exists:
        parts.append(f"<p><small>{html.escape(detail)}</small></p>")
    parts.append("<p>" + html.escape(tr("Polar (the desktop app) keeps its data in a folder named .polar "
                                         "in your home folder:")) + "</p>")
    you = "<i>" + html.escape(tr("your name")) + "</i>"
    parts.append(
        "<ul>"
        f"<li>Windows: <code>C:\\Users\\{you}\\.polar</code></li>"
        f"<li>macOS: <code>/Users/{you}/.polar</code></li>"
        f"<li>Linux: <code>/home/{you}/.polar</code></li>"
        "</ul>"
    )
    parts.append("<p>" + html.escape(tr(
        "On macOS and Linux the folder is hidden because its name starts with a dot: in the folder "
        "chooser, press Cmd+Shift+. (macOS) or Ctrl+H (Linux) to see it, or type its path."
    )) + "</p>")
    parts.append("<p>" + html.escape(tr(
        "Polar 2.x (the cloud version) keeps your library in the cloud: in Polar, use Settings ▸ Export Data, "
        "then choose that file with “Use a Polar export…”."
    )) + "</p>")
    tail = tr("Nothing was synced and nothing in Anki was changed.")
    if first_run:
        tail = tr("You can do this later under Tools ▸ Polar Sync. This message is shown only once.")
    parts.append("<p>" + html.escape(tail) + "</p>")
    return "".join(parts)


class LibraryMissing(QDialog):
    """The message: a small window (not a QMessageBox, which sizes itself
    to its text and buttons: 450-608 px by the language, no narrower) whose
    text wraps and scrolls and whose buttons stand one above the other when
    a row does not fit, so it goes down to 400 px. Enter chooses the
    folder (an export, when the export file is what is missing), Escape is
    Later; every button closes it."""

    silentlyClose = True  # Anki may close it quietly when the profile unloads

    def __init__(self, parent: QWidget, text: str, choose_folder: Callable[[], Any],
                 choose_export: Callable[[], Any], export_first: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle(tr("Polar Sync"))
        disable_help_button(self)
        self._text = text
        layout = self._layout = QVBoxLayout(self)

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        icon = QLabel(body)
        style = self.style() or QApplication.style()
        if style is not None:
            icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(32, 32))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        # (Its menu paths and folder paths kept whole where a line wraps: unbroken.)
        self.label = QLabel(unbroken.html(text), body)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.label, 1)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(body)
        layout.addWidget(self._scroll, 1)

        folder = QPushButton(tr("Choose Polar data folder…"), self)
        export = QPushButton(tr("Use a Polar export…"), self)
        later = QPushButton(tr("Later"), self)
        self._buttons = [folder, export, later]
        for button in self._buttons:
            button.setAutoDefault(False)
        # Enter: the folder chooser, or the export chooser when the library
        # missing is an export file (moved or renamed: another file to pick).
        (export if export_first else folder).setDefault(True)
        qconnect(folder.clicked, lambda: self._then(choose_folder))
        qconnect(export.clicked, lambda: self._then(choose_export))
        qconnect(later.clicked, self.reject)
        self._row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._stacked: Optional[bool] = None
        layout.addLayout(self._row)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        direction.ours(self)
        self.fit_width(480)  # (what the old box took in English)

    def text(self) -> str:
        """The message (rich text), as QMessageBox.text() gave it."""
        return self._text

    def buttons(self) -> List[QPushButton]:
        """Choose folder, use an export, Later."""
        return list(self._buttons)

    def _then(self, action: Callable[[], Any]) -> None:
        self.close()
        action()

    def _room(self) -> int:
        margins = self._layout.contentsMargins()
        return self.width() - margins.left() - margins.right()

    def _lay_out_buttons(self) -> None:
        """Side by side (the default at the right) when they fit in the
        window, else one above the other, each as wide as the window, the
        default first (in a row, German's need 510 px)."""
        widths = [b.sizeHint().width() for b in self._buttons]
        stacked = self._room() < sum(widths) + button_rows.SPACING * (len(widths) - 1)
        if stacked == self._stacked:
            return
        self._stacked = stacked
        while self._row.count():
            self._row.takeAt(0)
        folder, export, later = self._buttons
        policy = QSizePolicy.Policy
        if stacked:
            self._row.setDirection(QBoxLayout.Direction.TopToBottom)
            for button in (folder, export, later):
                button.setSizePolicy(policy.Expanding, policy.Fixed)
                self._row.addWidget(button)
        else:
            self._row.setDirection(QBoxLayout.Direction.LeftToRight)
            self._row.addStretch(1)
            for button in (export, later, folder):
                button.setSizePolicy(policy.Minimum, policy.Fixed)
                self._row.addWidget(button)
        margins = self._layout.contentsMargins()
        self.setMinimumWidth(max(widths) + margins.left() + margins.right())

    def fit_width(self, width: int) -> None:
        """``width`` wide (less on a narrower screen) and as tall as the text
        then needs (less on a shorter screen: the text scrolls)."""
        screen = self.screen() or QApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None:
            width = min(width, room.width())
        self.resize(width, self.height())
        self._lay_out_buttons()
        margins = self._layout.contentsMargins()
        bar = self._scroll.verticalScrollBar()  # (room for it: the label's own estimate runs short without)
        text_width = self._room() - 32 - 12 - (bar.sizeHint().width() if bar is not None else 16)
        height = (self.label.heightForWidth(text_width) + self._row.sizeHint().height() + self._layout.spacing()
                  + margins.top() + margins.bottom())
        if room is not None:  # (then the text scrolls)
            height = min(height, room.height() * 9 // 10)
        self.resize(width, height)

    def resizeEvent(self, event: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._lay_out_buttons()

    def showEvent(self, event: Optional[QShowEvent]) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._lay_out_buttons()


def show(
    parent: QWidget,
    path: Path,
    configured: bool,
    choose_folder: Callable[[], Any],
    choose_export: Callable[[], Any],
    detail: str = "",
    first_run: bool = False,
    previous: Optional[QWidget] = None,
    empty: bool = False,
    cache: Optional[Path] = None,
    looked_up: Optional[Looked] = None,
) -> LibraryMissing:
    """Show the message (non-modal: Anki stays usable) and return it. An
    earlier one still open is replaced, so repeated syncs never stack boxes.
    ``looked_up``: the folder's facts (else looked at here)."""
    if previous is not None:
        try:
            previous.close()
        except RuntimeError:  # already deleted by Qt
            pass
    facts = looked_up if looked_up is not None else look(path, empty, cache=cache)
    box = LibraryMissing(parent, message_html(path, configured, facts.exists, detail, first_run, empty, cache, facts),
                         choose_folder, choose_export,
                         export_first=path.name.lower().endswith((".zip", ".tar", ".tar.gz", ".tgz")))
    box.show()
    return box
