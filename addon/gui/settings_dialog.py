"""The add-on's settings window (Tools ▸ Polar Sync ▸ Settings…, and the
Config button in Tools ▸ Add-ons): folder and export pickers, choices as
drop-downs, one help line each. "Edit as JSON…" opens Anki's raw editor for
experts, which then checks the values in words that name the key.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from aqt.addons import ConfigEditor
from aqt.qt import (
    QCheckBox,
    QCloseEvent,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QEventLoop,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QMessageBox,
    QMouseEvent,
    QPushButton,
    QResizeEvent,
    QScrollArea,
    QSpinBox,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    qconnect,
    sip,
)
from aqt.utils import disable_help_button, restoreGeom, saveGeom, showWarning

from ..polar.library import SourceError, default_data_dir, open_source, unpacked_export_around
from ..settings import RANGES, Settings
from . import config_check, direction, settings_draft, unbroken
from .folding_row import FoldingRow
from .i18n import moment, tr
from .polar_folder import Job, folder_looks, holds_documents, look_briefly, look_chosen
from .report_text import source_error_words
from .tooltips import long_tooltip as tooltip  # (Anki's, wrapped to the window)

MB = 1024 * 1024


def _is_dir_now(folder: Path) -> bool:
    """Whether the chooser can start in ``folder``: a folder that answers
    within 0.2 s. The current one is most often chosen again because it is
    gone, on a share that may not answer at all: asked on Anki's main
    thread, that froze the window before the chooser even opened (and Qt's
    chooser would hang in it too); the chooser then starts elsewhere."""
    job = look_briefly(folder.is_dir)
    return job.done.is_set() and job.result is True


def choose_folder(parent: QWidget, current: str) -> str:
    """A folder chooser that starts where Polar's data most likely is; a
    folder without Polar documents is questioned (see :func:`confirm_folder`)."""
    start = Path(current).expanduser() if current.strip() else default_data_dir()
    if not _is_dir_now(start):
        default = default_data_dir()
        start = default if default != start and _is_dir_now(default) else Path.home()
    while True:
        path = QFileDialog.getExistingDirectory(parent, tr("Choose the Polar data folder"), str(start))
        if not path:
            return ""
        answer = confirm_folder(parent, Path(path))
        if answer is not None:
            return answer
        start = Path(path)  # "Choose another folder…": the chooser opens where the person was


FOLDER_QUESTION = "polar_sync_folder_question"

# How long the question after a chooser waits for the chosen folder (or
# file) and Polar's default folder to answer, Anki's window drawing meanwhile.
CHOSEN_WAIT = 2.0
_CHOOSE_LOOKS = "polar-sync-choose"
log = logging.getLogger(__name__)


def _look_at(path: Path, work: Callable[[], Any]) -> Job:
    """``work`` (a look at ``path``) on that folder's own look thread, not
    on Anki's main thread: Polar's default folder, or the chosen one, may be
    on a share that stopped answering (a share Qt's chooser did not list)."""
    return folder_looks(path, _CHOOSE_LOOKS).ask(work)


def _wait_for(job: Job, path: Path, seconds: float = CHOSEN_WAIT) -> bool:
    """Wait up to ``seconds`` for ``job``, Anki's window drawn meanwhile (a
    local event loop; the person's clicks and keys wait for it): True when
    it answered. Not at all while an earlier look at ``path`` is stuck."""
    if job.done.wait(0.05):
        return True
    looks = folder_looks(path, _CHOOSE_LOOKS)
    if looks.stuck(seconds):
        return False
    deadline = time.monotonic() + seconds
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(10)

    def check() -> None:
        if job.done.is_set() or time.monotonic() > deadline:
            loop.quit()

    qconnect(timer.timeout, check)
    timer.start()
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    timer.stop()
    if not job.done.is_set():
        log.info("%s did not answer within %.1f s", path, seconds)
    return job.done.is_set()


def confirm_folder(parent: QWidget, folder: Path) -> Optional[str]:
    """``folder`` if it holds Polar documents or a Polar export (unpacked,
    or the files Polar downloaded); else asks. Returns the folder to use, ""
    for Cancel, or None to choose again."""
    default = default_data_dir()
    # Both looked at off Anki's main thread (Polar's default folder first:
    # it may be on a share that stopped answering, the chosen one hardly).
    default_look = _look_at(default, lambda: default != folder and holds_documents(default))
    look = _look_at(folder, lambda: look_chosen(folder))
    if not _wait_for(look, folder) or look.result is None:
        return str(folder)  # (not answering now: taken as chosen; the sync looks off the main thread, and says)
    chosen = look.result
    if chosen.usable:
        return str(folder)
    better = chosen.better(default, _wait_for(default_look, default) and default_look.result is True)
    box = QMessageBox(parent)
    box.setObjectName(FOLDER_QUESTION)
    box.setWindowTitle(tr("Polar Sync"))
    box.setIcon(QMessageBox.Icon.Question)
    head = tr("There are no Polar documents in {path}.", path=str(folder))
    if better is not None:
        box.setText(unbroken.text(head + "\n\n" + tr("Polar's data folder seems to be {path}: use that one?",
                                                     path=str(better))))
        use_better = box.addButton(tr("Use {name}", name=better.name or str(better)), QMessageBox.ButtonRole.AcceptRole)
    else:
        box.setText(unbroken.text(head + "\n\n" + tr(
            "Polar keeps each document in a folder of its own with a file named state.json; "
            "the data folder is the one that holds those folders (usually .polar in your home folder).")))
        use_better = None
    again = box.addButton(tr("Choose another folder…"), QMessageBox.ButtonRole.ActionRole)
    anyway = box.addButton(tr("Use it anyway"), QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    direction.ours(box)
    box.setDefaultButton(use_better or again)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if use_better is not None and clicked is use_better:
        return str(better)
    if clicked is again:
        return None
    if clicked is anyway:
        return str(folder)
    return ""


def choose_export(parent: QWidget, current: str) -> str:
    start = Path(current).expanduser().parent if current.strip() else Path.home()
    path, _ = QFileDialog.getOpenFileName(
        parent, tr("Choose a Polar export"), str(start if _is_dir_now(start) else Path.home()),
        # Polar names its export "<id>-<date>.zip" though it is a gzip'd tar;
        # a re-packed one may be any of these, or have no extension at all.
        tr("Polar export") + " (*.zip *.tar.gz *.tgz *.tar);;" + tr("All files") + " (*)",
    )
    return path


def export_chosen(parent: QWidget, current: str) -> str:
    """Use a Polar export… (the Tools menu's entry and the Settings' button,
    alike): the file chosen as the library, "" for none. A file picked
    inside an unpacked export is that export's folder; a file that is no
    export is refused with the reason (the Settings' button put any file in
    its field, saved to fail at the sync; a file inside an unpacked export
    too, which the menu takes as the export)."""
    path = choose_export(parent, current)
    if not path:
        return ""

    def look() -> Tuple[str, Optional[SourceError]]:
        chosen = path
        inside = unpacked_export_around(Path(path))
        if inside is not None:  # a file picked inside an unpacked export: the export is its folder
            chosen = str(inside)
        try:
            open_source(Path(chosen))  # by content, whatever the name; reads a few KB
        except SourceError as exc:
            return chosen, exc
        return chosen, None

    # Off Anki's main thread: the file may be on a share that stopped answering.
    job = _look_at(Path(path).parent, look)
    if not _wait_for(job, Path(path).parent) or job.result is None:
        return path  # (not answering now: taken as chosen; the sync reads it off the main thread, and says)
    chosen, refused = job.result
    if refused is not None:
        showWarning(unbroken.text(tr("Polar Sync cannot use this file.") + "\n\n" + source_error_words(refused)),
                    parent=parent,
                    title="Polar Sync")
        return ""
    return chosen


def _choice_labels() -> Dict[str, List[Tuple[str, str]]]:
    return {
        "deck_strategy": [
            ("tag", tr("From the document's deck: tag")),
            ("document", tr("One deck per document")),
        ],
        "conflict_policy": [
            ("polar_wins", tr("Keep Polar's version")),
            ("anki_wins", tr("Keep Anki's version")),
        ],
        "deletion_policy": [
            ("suspend", tr("Suspend it and tag it polar::deleted")),
            ("tag", tr("Only tag it polar::deleted")),
            ("delete", tr("Delete the note and its review history")),
            ("keep", tr("Leave it as it is")),
        ],
        "deleted_in_anki": [
            ("make_again", tr("Make them again")),
            ("leave_deleted", tr("Leave them deleted")),
        ],
    }


class _ClickLabel(QLabel):
    """A check box's text that wraps (a QCheckBox's own text never does)."""

    def __init__(self, text: str, box: QCheckBox) -> None:
        super().__init__(text)
        self.box = box
        self.setWordWrap(True)

    def mouseReleaseEvent(self, evt: Optional[QMouseEvent]) -> None:  # noqa: N802 - Qt's name
        # As a click on the box: the left button, let go over the words (a
        # right click toggled the setting too, and a press dragged away).
        if (self.box.isEnabled() and evt is not None and evt.button() == Qt.MouseButton.LeftButton
                and self.rect().contains(evt.position().toPoint())):
            self.box.toggle()


def _wrapping(box: QCheckBox) -> QWidget:
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    label = _ClickLabel(box.text(), box)
    box.setText("")
    box.setAccessibleName(label.text())
    line.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
    line.addWidget(label, 1)
    return row


class _Body(QWidget):
    """The scrolled part of the window. When its width changes, its wrapped
    lines are measured again: the layouts kept a line's height from an
    earlier measure (Qt caches each widget's height for a width), so after
    the window was narrowed (560 to 400 px) a help line that now took three
    or four lines had the room of two and was drawn over the check boxes
    above and below it (every language)."""

    def resizeEvent(self, evt: Optional[QResizeEvent]) -> None:
        super().resizeEvent(evt)
        if evt is not None and evt.oldSize().width() != evt.size().width():
            QTimer.singleShot(0, self._remeasure)  # (once this resize is laid out)

    def _remeasure(self) -> None:
        if sip.isdeleted(self):
            return
        for label in self.findChildren(QLabel):
            if label.wordWrap():
                label.updateGeometry()  # (drops the cached heights; the layouts ask again)


class SettingsDialog(QDialog):
    """Edits a copy of the raw config; ``on_save(new_raw)`` writes it."""

    def __init__(
        self, parent: QWidget, raw: Dict[str, Any], defaults: Dict[str, Any], module: str,
        on_save: Callable[[Dict[str, Any]], None], profile: str = "",
    ) -> None:
        super().__init__(parent)
        self.profile = profile  # whose draft this window keeps and shows (settings_draft); "": none
        self.raw = dict(raw)
        self.defaults = defaults
        self.module = module
        self.on_save = on_save
        self.mgr = getattr(parent, "addonManager", None)  # Anki's ConfigEditor wants dlg.mgr
        self.setObjectName("polar_sync_settings")
        self.setWindowTitle(tr("Polar Sync settings"))
        disable_help_button(self)
        self.widgets: Dict[str, Any] = {}  # key -> its editor (line, box, combo, spin)
        self.labels: Dict[str, str] = {}  # key -> its name in this window (what a problem calls it)
        self.settings, _ = Settings.from_dict(self.raw)

        outer = QVBoxLayout(self)
        # The line saying that unsaved changes of an earlier close are shown
        # (restore_draft); hidden otherwise.
        self.draft_line = QLabel(self)
        self.draft_line.setObjectName("polar_sync_settings_draft")
        self.draft_line.setWordWrap(True)
        self.draft_line.setFrameShape(QFrame.Shape.StyledPanel)
        self.draft_line.setMargin(6)
        self.draft_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.draft_line.hide()
        outer.addWidget(self.draft_line)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Not a Tab stop of its own: the window opened with the focus on the
        # scroll area, shown nowhere, and the first Tab only reached the
        # folder. It scrolls to whichever field has the focus.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = self.body = _Body(scroll)
        self.body_layout = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        self._build()
        self._extra_buttons()
        self.body_layout.addStretch(1)

        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        outer.addWidget(self.error)
        # OK and Cancel only: four buttons in one row (German, French) made
        # the window wider than 400 px; the other two end the settings.
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self,
        )
        qconnect(buttons.accepted, self.accept)
        qconnect(buttons.rejected, self.reject)
        outer.addWidget(buttons)
        self.buttons = buttons
        direction.ours(self)
        self.resize(560, 640)
        restoreGeom(self, "polar_sync_settings")
        self.restore_draft()

    # -- building --------------------------------------------------------------

    def _section(self, title: str) -> QFormLayout:
        box = QGroupBox(self)
        box.setAccessibleName(title)
        form = QFormLayout(box)
        # Label above its field: the window stays usable at 400 px wide.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # The title as a label of its own: a group box's title never wraps,
        # and a long one ("Quand des cartes changent ou disparaissent dans
        # Polar") made the settings wider than a 400 px window.
        heading = QLabel(title, box)
        heading.setWordWrap(True)
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        heading.setObjectName("polar_sync_settings_section")
        form.addRow(heading)
        self.body_layout.addWidget(box)
        return form

    def _default_deck_name(self) -> str:
        """The profile's default deck's name when no deck is called "Default" (a
        German profile's "Standard", a deck the user renamed): the sync puts
        Polar's "Default" there, and the field's "Default" named a deck not in
        the list."""
        col = getattr(self.parent(), "col", None)
        if col is None:  # (no profile open)
            return ""
        from anki.decks import DEFAULT_DECK_ID

        try:
            deck = col.decks.get(DEFAULT_DECK_ID, default=False)
            if col.decks.id_for_name("Default") is not None:
                return ""  # a deck of that name: it is the one (collection_view.existing_deck_id)
        except Exception:  # a collection closing under the window: no hint
            return ""
        return str(deck["name"]) if deck else ""

    def _help(self, form: QFormLayout, text: str) -> None:
        label = QLabel(unbroken.text(text), self)  # (its example paths and menu names not broken; unbroken)
        label.setWordWrap(True)
        label.setEnabled(False)  # the platform's dimmed text colour, in light and night mode
        label.setContentsMargins(0, 0, 0, 6)
        form.addRow(label)

    def _add(self, form: QFormLayout, key: str, label: str, widget: QWidget, help_text: str) -> None:
        widget.setObjectName(f"polar_sync_setting_{key}")
        self.widgets[key] = widget
        self.labels[key] = label
        if isinstance(widget, QCheckBox):
            form.addRow(_wrapping(widget))
        else:
            form.addRow(label, widget)
        self._help(form, help_text)
        # What the line under the field says, read out with it (a screen
        # reader gave the field's name alone: the line is not in the Tab order).
        widget.setAccessibleDescription(help_text)

    def _combo(self, key: str) -> QComboBox:
        combo = QComboBox(self)
        # As narrow as the window: a long choice (German, French) is cut
        # short in the closed box, never the window's content at 400 px.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        for value, text in _choice_labels()[key]:
            combo.addItem(text, value)
        return combo

    def _build(self) -> None:

        form = self._section(tr("Where your cards come from"))
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText(str(default_data_dir()))
        folder = QPushButton(tr("Choose Polar data folder…"))
        export = QPushButton(tr("Use a Polar export…"))
        qconnect(folder.clicked, lambda: self._pick(choose_folder))
        qconnect(export.clicked, lambda: self._pick(export_chosen))
        form.addRow(tr("Polar library"), self.path_edit)
        self.path_edit.setObjectName("polar_sync_setting_data_dir")
        self.widgets["data_dir"] = self.path_edit
        form.addRow(FoldingRow([folder, export]))
        where = tr("Polar's data folder, or a Polar 2.x export (the file Polar's Export Data downloads). Left "
                   "empty: the .polar "
                   "folder in your home folder, where Polar keeps its data (or $POLAR_DATA_DIR, if you "
                   "set it).")
        self._help(form, where)
        self.path_edit.setAccessibleDescription(where)
        self._add(form, "skip_archived", "", QCheckBox(tr("Leave out documents archived in Polar"), self),
                  tr("Documents tagged polar-sync:skip are always left out."))

        form = self._section(tr("Decks"))
        self._add(form, "deck_strategy", tr("How to pick the deck"), self._combo("deck_strategy"),
                  tr("As in Polar: a deck:cs/linux tag puts the cards in cs::linux."))
        own = self._default_deck_name()
        self._add(form, "default_deck", tr("Deck without a deck: tag"), QLineEdit(self),
                  tr("For documents that have no deck: tag. “Default” is this profile's default deck, called "
                     "“{deck}” here.", deck=own) if own else tr("For documents that have no deck: tag."))
        self._add(form, "document_deck_parent", tr("Parent of the document decks"), QLineEdit(self),
                  tr("With one deck per document; empty puts them at the top level."))
        self._add(form, "move_on_deck_change", "",
                  QCheckBox(tr("Move cards when their document's deck changes in Polar"), self),
                  tr("Cards you moved yourself in Anki stay where you put them until then."))

        form = self._section(tr("Notes"))
        self._add(form, "use_stock_note_types", "",
                  QCheckBox(tr("Use Anki's Basic and Cloze note types when possible"), self),
                  tr("Otherwise (and in profiles in other languages) the add-on's own Polar Basic and "
                    "Polar Cloze types, with separate Source, Highlight and Comments fields."))
        self._add(form, "context", "", QCheckBox(tr("Show where each card comes from"), self),
                  tr("Below the answer: document title and page, the highlight or image, comments."))
        self._add(form, "open_at_page", "", QCheckBox(tr("Offer to open the document at the card's page"), self),
                  tr("On the answer, when the document is on this computer: “open” after the page (or Shift+O) "
                     "shows it in Anki with the highlight marked. Nothing is stored in the notes."))
        self._add(form, "reading_order", "", QCheckBox(tr("New cards in reading order"), self),
                  tr("Documents in the order you added them to Polar, then page by page, top to bottom. "
                    "Cards you have seen never move."))
        self._add(form, "marker_tag", tr("Tag on every synced note"), QLineEdit(self),
                  tr("One tag without spaces; empty: none."))
        self._add(form, "copy_tags", "", QCheckBox(tr("Copy Polar's tags onto the notes"), self),
                  tr("Tags you add in Anki are always kept."))
        self._add(form, "folder_tag_prefix", tr("Parent tag for Polar folders"), QLineEdit(self),
                  tr("For example “folders” turns the Polar folder /a/b into the tag folders::a::b; empty: a::b."))
        size = QDoubleSpinBox(self)
        size.setRange(0, RANGES["max_image_bytes"][1] / MB)
        size.setDecimals(1)
        size.setSuffix(" MB")
        self._add(form, "max_image_bytes", tr("Largest image to copy"), size,
                  tr("Larger images are left out; the report names them."))

        form = self._section(tr("When cards change or disappear in Polar"))
        self._add(form, "conflict_policy", tr("Edited in both"), self._combo("conflict_policy"),
                  tr("For a field changed in Polar and in Anki since the last sync; the report lists each."))
        self._add(form, "deletion_policy", tr("Removed in Polar"), self._combo("deletion_policy"),
                  tr("For a note whose card was deleted in Polar. Nothing is removed when the library looks "
                     "empty or a document could not be read."))
        share = QSpinBox(self)
        share.setRange(0, 100)
        share.setSuffix(" %")
        self._add(form, "delete_max_share", tr("Most notes one sync may delete"), share,
                  tr("A sync that would delete more of the synced notes deletes nothing and says so."))
        self._add(form, "deleted_in_anki", tr("Deleted in Anki"), self._combo("deleted_in_anki"),
                  tr("For notes you delete in Anki whose cards are still in Polar (also when you delete their "
                     "deck or note type): made again by the next sync, without their reviews, or left deleted "
                     "until the card changes in Polar."))
        qconnect(self.widgets["deletion_policy"].currentIndexChanged, lambda _i: self._enable())

        form = self._section(tr("When to sync"))
        self._add(form, "sync_on_startup", "", QCheckBox(tr("Sync when the profile opens"), self),
                  tr("After Anki's own sync with AnkiWeb, when that is on."))
        self._add(form, "watch", "", QCheckBox(tr("Sync when Polar saves a change"), self),
                  tr("While Anki is open; only the documents that changed are read."))
        wait = QSpinBox(self)
        wait.setRange(0, 600000)
        wait.setSingleStep(100)
        wait.setSuffix(" ms")
        self._add(form, "watch_debounce_ms", tr("Wait after Polar's last save"), wait,
                  tr("Polar saves in several steps; one sync follows the last of them."))
        qconnect(self.widgets["watch"].toggled, lambda _on: self._enable())
        self.load(self.settings)
        self.shown_values = self.values()  # what Escape compares with

    def _extra_buttons(self) -> None:
        """Restore defaults and the JSON editor, below the last section."""
        restore = QPushButton(tr("Restore defaults"))
        restore.setObjectName("polar_sync_settings_defaults")
        restore.setToolTip(tr("Puts every setting here back to its default; nothing is saved until OK."))
        raw_button = QPushButton(tr("Edit as JSON…"))
        raw_button.setObjectName("polar_sync_settings_json")
        raw_button.setToolTip(tr("The same settings as text, in Anki's add-on config editor."))
        qconnect(restore.clicked, self.restore_defaults)
        qconnect(raw_button.clicked, self.open_raw)
        self.body_layout.addWidget(FoldingRow([restore, raw_button]))

    # -- values ------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._image_bytes = settings.max_image_bytes
        for key, widget in self.widgets.items():
            value = getattr(settings, key)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(widget.findData(value), 0))
            elif key == "max_image_bytes":
                assert isinstance(widget, QDoubleSpinBox)
                widget.setValue(round(value / MB, 1))
            elif key == "delete_max_share":
                assert isinstance(widget, QSpinBox)
                widget.setValue(round(value * 100))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value))
        self._enable()

    def values(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for key, widget in self.widgets.items():
            if isinstance(widget, QCheckBox):
                out[key] = widget.isChecked()
            elif isinstance(widget, QComboBox):
                out[key] = widget.currentData()
            elif key == "max_image_bytes":
                assert isinstance(widget, QDoubleSpinBox)
                # Unchanged in the box: keep the exact byte count typed in JSON.
                same = round(self._image_bytes / MB, 1) == widget.value()
                out[key] = self._image_bytes if same else int(widget.value() * MB)
            elif key == "delete_max_share":
                assert isinstance(widget, QSpinBox)
                out[key] = widget.value() / 100
            elif isinstance(widget, QSpinBox):
                out[key] = widget.value()
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text().strip()
        return out

    def _enable(self) -> None:
        self.widgets["delete_max_share"].setEnabled(self.widgets["deletion_policy"].currentData() == "delete")
        self.widgets["watch_debounce_ms"].setEnabled(self.widgets["watch"].isChecked())

    def _pick(self, chooser: Callable[[QWidget, str], str]) -> None:
        path = chooser(self, self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def restore_defaults(self) -> None:
        self.load(Settings.from_dict(self.defaults)[0])

    def accept(self) -> None:
        # A stored key of another version (Anki keeps the config as it is
        # across updates) is in no field here and does nothing: dropped, so
        # OK is never refused for something this window cannot change.
        new = {k: v for k, v in self.raw.items() if k in Settings._fields}
        new.update(self.values())
        problems = config_check.problems(new, self.labels)  # (named as this window names them)
        if problems:
            self.error.setText(unbroken.text("\n".join(problems)))
            self.error.show()
            return
        saveGeom(self, "polar_sync_settings")
        super().accept()
        if new != self.raw:
            self.on_save(new)
        settings_draft.drop(self.profile)  # saved: never shown again

    def reject(self) -> None:
        saveGeom(self, "polar_sync_settings")
        super().reject()
        if not self._closing_with_profile:
            settings_draft.drop(self.profile)  # cancelled (or saved as JSON): never shown again

    # -- the profile closing under the window --------------------------------------
    # Kept as a draft, shown by the next Settings window of the profile and
    # applied only by its OK (settings_draft says why not a question).

    _closing_with_profile = False

    def close_with_profile(self) -> None:
        """The profile closes: what was changed here and not saved is kept
        as the profile's draft (nothing changed: no draft), then the window
        closes without a question."""
        if sip.isdeleted(self):
            return
        if self.isVisible():
            now = self.values()
            settings_draft.keep(self.profile, {k: v for k, v in now.items() if v != self.shown_values.get(k)})
        self._closing_with_profile = True
        self.close()

    def restore_draft(self) -> bool:
        """The profile's draft in the fields, with the line saying so: True
        when there was one that changes something here. One that changes
        nothing now (saved since, maybe from another profile) is removed."""
        draft = settings_draft.read(self.profile)
        if draft is None:
            return False
        when, changes = draft
        changes = {k: v for k, v in changes.items() if k in self.widgets and v != self.shown_values.get(k)}
        if not changes:
            settings_draft.drop(self.profile)
            return False
        self.load(Settings.from_dict(dict(self.shown_values, **changes))[0])
        if not self.changed():  # (values this version's fields cannot hold)
            settings_draft.drop(self.profile)
            return False
        ok, cancel = (self.buttons.button(which) for which in (QDialogButtonBox.StandardButton.Ok,
                                                                 QDialogButtonBox.StandardButton.Cancel))
        assert ok is not None and cancel is not None
        # The fields named: the line at the top, a change far down the
        # window (Removed in Polar) was shown again with no word of where.
        fields = tr(", ").join(tr("“{text}”", text=self._field_name(key))
                               for key in self.widgets if key in changes)
        self.draft_line.setText(unbroken.text(tr(
            "You had unsaved changes here when this profile closed on {when}; they are shown again: {fields}. "
            "{ok} saves them; {cancel} drops them.",
            when=moment(when), fields=fields, ok=_plain_label(ok.text()), cancel=_plain_label(cancel.text()))))
        self.draft_line.show()
        return True

    def _field_name(self, key: str) -> str:
        """A setting's name as this window shows it: its label, a check
        box's own text, the library's row."""
        if key == "data_dir":
            return tr("Polar library")
        widget = self.widgets[key]
        if isinstance(widget, QCheckBox):
            return _plain_label(widget.text())
        return self.labels.get(key) or key

    # -- Escape and the window's close button -----------------------------------
    # Cancel drops what was typed, as asked. Escape (and the title bar's
    # close, Alt+F4) did the same without a word: a person who typed a folder
    # and pressed Escape to leave the field lost it. Now they ask first, as
    # Anki's deck options do; with nothing changed they close at once.

    def changed(self) -> bool:
        return self.values() != self.shown_values

    def keyPressEvent(self, evt: Optional[QKeyEvent]) -> None:  # noqa: N802 - Qt's name
        if evt is not None and evt.key() == Qt.Key.Key_Escape and not evt.modifiers() and self.changed():
            evt.accept()
            self.ask_to_discard()
            return
        super().keyPressEvent(evt)

    def closeEvent(self, evt: Optional[QCloseEvent]) -> None:  # noqa: N802 - Qt's name
        if evt is not None and evt.spontaneous() and self.isVisible() and self.changed():
            evt.ignore()
            self.ask_to_discard()
            return
        super().closeEvent(evt)

    def ask_to_discard(self) -> QMessageBox:
        """Discard the changes, or go on editing (the default: Enter or Escape)."""
        box = QMessageBox(self)
        box.setObjectName("polar_sync_settings_discard")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(tr("Polar Sync settings"))
        box.setText(tr("Discard the changes you made here?"))
        discard = box.addButton(tr("Discard changes"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(tr("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        direction.ours(box)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is discard:
                self.reject()

        qconnect(box.finished, lambda _result: answered())
        box.open()  # window-modal, without a nested event loop
        return box

    def open_raw(self) -> Optional[RawConfigEditor]:
        """Anki's JSON editor, for experts, with the values shown here."""
        if self.mgr is None:
            return None
        new = dict(self.raw)
        new.update(self.values())
        editor = RawConfigEditor(self, self.module, new)  # type: ignore[arg-type]  # wants only .mgr
        # Anki's editor saves only a text unlike the one it opened with: that
        # held this window's unsaved changes, so OK without typing saved
        # nothing, and this window closed (stale) with them. Compared with
        # what is stored instead.
        editor.conf = dict(self.raw)
        # Owned by the main window: closing this one must not delete it.
        editor.setParent(self.parentWidget(), editor.windowFlags())
        editor.show()
        qconnect(editor.accepted, self.reject)  # saved there: this window's values are stale
        return editor


def _plain_label(text: str) -> str:
    """A button's text as read (its mnemonic's "&" gone; "&&" is one "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class RawConfigEditor(ConfigEditor):
    """Anki's config editor, but bad values get a sentence naming the key
    (not a schema dump) and Windows paths with single backslashes are read
    as paths (not Anki's "Invalid \\escape" JSON error)."""

    def accept(self) -> None:
        text = self.form.editor.toPlainText()
        conf, problems, repaired = config_check.parse(text)
        if problems:
            self.complain(problems)
            return
        if repaired or conf != json.loads(config_check.repair_backslashes(text)[0]):
            # Show what will be saved, so the fixed JSON is what the person sees next time.
            self.updateText(conf)
        if repaired:
            tooltip(tr("The backslashes in “{key}” were read as a Windows path.", key=", ".join(repaired)),
                    period=6000)
        super().accept()

    def complain(self, problems: List[str]) -> QMessageBox:
        """Say what is wrong, naming the key; the editor stays open to fix it."""
        box = QMessageBox(self)
        direction.ours(box)
        box.setObjectName("polar_sync_config_problem")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("Polar Sync settings"))
        box.setText(unbroken.text("\n\n".join(problems)))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, without a nested event loop
        return box
