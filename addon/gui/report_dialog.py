"""Showing what a sync did: the clickable notice, the report window and the
sync-log window. Widgets only; nothing here touches the collection."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import aqt
from aqt import mw
from aqt.qt import (
    QAbstractItemView,
    QColor,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHeaderView,
    QKeyEvent,
    QLabel,
    QMimeData,
    QModelIndex,
    QMouseEvent,
    QPalette,
    QPlainTextEdit,
    QPoint,
    QPushButton,
    QResizeEvent,
    QShowEvent,
    QSize,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    Qt,
    QTextBrowser,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QUrl,
    QVBoxLayout,
    QWidget,
    qconnect,
)
from aqt.theme import theme_manager
from aqt.utils import disable_help_button, openFolder, restoreGeom, saveGeom

from .. import dates
from . import button_rows, direction, i18n, synclog, unbroken
from .i18n import moment, ntr, number, tr
from .report_text import (
    INFORMATION_CODES,
    STOPPED_CODES,
    ChangeTree,
    alike_words,
    backup_words,
    browser_search,
    change_label,
    change_tree,
    counts_line,
    counts_shown,
    counts_words,
    deck_shown,
    join,
    leftover_ids,
    leftovers_text,
    note_ids,
    nothing_changed,
    older_version_ids,
    older_versions_text,
    removed_text,
    removed_told,
    section_rows,
    sentence,
    short_key,
    snippet,
    tree_kind,
    where,
    with_page,
)
from .tooltips import wrap_to

# An item's rows, as an index into ReportDialog.groups: a plain int, so no
# Python object lives inside Qt (destroyed late, such a one can crash the exit).
_ROWS = Qt.ItemDataRole.UserRole
# A note item's front as its label starts with it (its page after it, the
# rest of the label): the front is cut, the page kept whole (_DeckNames).
_FRONT = int(Qt.ItemDataRole.UserRole) + 7
SUSPEND_LEFTOVERS = "polar-suspend:"  # link: suspend these notes of Polar's old sync

def _esc(text: Any) -> str:
    return html.escape(str(text))


# Rows listed per section: beyond, one line with the rest in the Browser (a
# list of 5,000 conflicts was ~3 MB of HTML, ~1 s on the main thread, a wall).
ROWS_LISTED = 100


def _version(text: Any) -> str:
    """One side's text in a conflict row; an empty one is said to be empty
    (a cloze's Back Extra is often empty in Polar: "In Polar:" alone read
    as something missing)."""
    shown = snippet(text or "", 200)
    return f"<i>{_esc(shown)}</i>" if shown else f"<span style='color:gray'>{_esc(tr('(empty)'))}</span>"


def _rows_html(rows: Sequence[Mapping[str, Any]], key: str, dry_run: bool = False) -> str:
    """The rows of a section. Rows that say the same thing (twelve damaged
    files, 300 missing pictures) say it once: the first in full, then "The
    same for N more:" and the others by name, each with its technical line
    (eyes11: a library with 15 damaged files repeated the same two lines of
    advice 15 times, the names lost between them)."""
    out = []
    listed = rows[:ROWS_LISTED]
    entries = []  # (what groups it, its words, its head and link, a conflict's versions, its technical line)
    tails: List[Tuple[str, Optional[str]]] = []  # (its file, the technical words after it)
    for row, (head, message, technical, nid) in zip(listed, section_rows({key: listed, "dry_run": dry_run}, key)):
        if row.get("code") == "unrecorded_anki" and not row.get("old_sync"):  # the section's intro says why, once
            message = tr("“{field}” differs from Polar's text; Anki's version was kept.", field=row.get("field", ""))
        # (nowrap: the link never breaks between its words at the end of a long line)
        link = (f" <a href='nid:{nid}' style='white-space:nowrap'>{_esc(tr('Show in Browser'))}</a>"
                if nid else "")
        extra = ""
        if key == "conflicts" and (row.get("polar") is not None or row.get("anki") is not None):
            extra = (f"<br>{_esc(tr('In Polar:'))} {_version(row.get('polar'))}"
                     f"<br>{_esc(tr('In Anki:'))} {_version(row.get('anki'))}")
        small = f"<small style='color:gray'>{_esc(technical)}</small>" if technical else ""
        # (a conflict's two versions are its own: never said "the same")
        entries.append(("" if extra else alike_words(row, message, dry_run), message, f"<b>{_esc(head)}</b>{link}",
                        extra, small))
        path = str(row.get("path") or "")
        tails.append((path, technical[len(path):] if path and technical.startswith(path) else None))
    alike: Dict[str, List[int]] = {}
    for i, entry in enumerate(entries):
        if entry[0]:
            alike.setdefault(entry[0], []).append(i)
    done = set()
    for i, (same_key, message, head, extra, small) in enumerate(entries):
        if i in done:
            continue
        out.append(f"<p>{head}<br>{_esc(message)}{extra}{'<br>' + small if small else ''}</p>")
        same = [j for j in alike.get(same_key, ()) if j != i] if same_key else []
        if same:
            done.update(same)
            lines = []
            for j in same:  # one line each: the name, then its file (and what went wrong, when it differs)
                path, tail = tails[j]
                small = entries[j][4]
                if tail is not None and tail == tails[i][1]:
                    small = f"<small style='color:gray'>{_esc(path)}</small>"
                lines.append(entries[j][2] + (" " + small if small else ""))
            intro = _esc(ntr("The same for {n} more:", "The same for {n} more:", len(same)))
            out.append(f"<p style='margin-left:12px'><i>{intro}</i><br>{'<br>'.join(lines)}</p>")
    rest = rows[ROWS_LISTED:]
    if rest:
        more = _esc(ntr("{n} more, not listed here.", "{n} more, not listed here.", len(rest)))
        nids = list(dict.fromkeys(r["note_id"] for r in rest if isinstance(r.get("note_id"), int)))
        link = f" <a href='nid:{','.join(map(str, nids))}'>{_esc(tr('Show in Browser'))}</a>" if nids else ""
        out.append(f"<p><b>{more}</b>{link}</p>")
    return "".join(out)


def report_html(data: Dict[str, Any], trigger: str, when: float) -> str:
    """The report's text part as HTML for a QTextBrowser (Qt's rich-text subset)."""
    dry = bool(data.get("dry_run"))
    title = tr("Preview (dry run): nothing was written") if dry else tr("Sync from Polar")
    stamp = moment(when)  # (as the language writes it: "5. Dezember 2026 um 19:13")
    parts = [f"<h2>{_esc(title)}</h2>", f"<p style='color:gray'>{_esc(trigger)} · {_esc(stamp)}</p>"]
    counts = counts_line(data)
    parts.append(f"<p><b>{_esc(sentence(counts) if counts else nothing_changed(data))}</b></p>")
    if data.get("backup"):
        parts.append(f"<p>{_esc(backup_words())}</p>")
    documents = int(data.get("documents") or 0)
    if documents:
        line = [ntr("{n} document in the Polar library", "{n} documents in the Polar library", documents)]
        # Why each was left out: "archived" only when the setting leaves archived ones out (not by default).
        archived = int(data.get("skipped_archived") or 0)
        tagged = int(data.get("skipped_documents") or 0) - archived
        if tagged > 0:
            line.append(ntr("{n} left out, tagged polar-sync:skip in Polar",
                            "{n} left out, tagged polar-sync:skip in Polar", tagged))
        if archived > 0:
            line.append(ntr("{n} left out, archived in Polar", "{n} left out, archived in Polar", archived))
        parts.append(f"<p>{_esc(sentence(join(line)))}</p>")
    stopped = any(row.get("code") in STOPPED_CODES for row in data.get("errors") or [])
    sections = (
        # (a preview synced nothing: not "everything else was")
        (tr("Problems"), tr("The sync could not go on; the problem says what to do, then sync again.") if stopped
         else tr("A sync now could not sync these; it would sync everything else. Each one says what to do.") if dry
         else tr("These could not be synced; everything else was. Each one says what to do; "
                 "then sync again."), "errors"),
        (tr("Conflicts"), tr("Changed in Polar and in Anki since the last sync; "
                             "the setting “Edited in both” decided which version was kept."), "conflicts"),
        (tr("Warnings"), "", "warnings"),
        # Rows that only tell (the setting did as it says, a wait in a deck):
        # nothing to look at, so not under "Warnings".
        (tr("Good to know"), "", "information"),
    )
    leftovers = leftover_ids(data)
    if leftovers:
        ids = ",".join(str(n) for n in leftovers)
        heading = tr("From Polar's old sync")  # (as every other line says it: "Polar's", not "Polar’s")
        parts.append(f"<h3>{_esc(heading)} ({number(len(leftovers))})</h3>")
        suspend = tr("Suspend it") if len(leftovers) == 1 else tr("Suspend them")
        parts.append(
            f"<p>{_esc(leftovers_text(len(leftovers)))}<br><a href='nid:{ids}'>{_esc(tr('Show in Browser'))}</a>"
            f" · <a href='{SUSPEND_LEFTOVERS}{ids}'>{_esc(suspend)}</a></p>"
        )
        older = [n for n in older_version_ids(data) if n in set(leftovers)]
        if older:
            some = ",".join(str(n) for n in older)
            suspend = tr("Suspend it") if len(older) == 1 else tr("Suspend them")
            parts.append(
                f"<p>{_esc(older_versions_text(len(older)))}<br><a href='nid:{some}'>{_esc(tr('Show in Browser'))}</a>"
                f" · <a href='{SUSPEND_LEFTOVERS}{some}'>{_esc(suspend)}</a></p>"
            )
    for heading, note, key in sections:
        items = data.get("warnings" if key == "information" else key) or []
        if key in ("warnings", "information"):
            items = [r for r in items if (r.get("code") in INFORMATION_CODES) == (key == "information")]
            key = "warnings"
        if key == "conflicts":
            # Texts kept for want of a sync record are no "changed in both":
            # a section of their own, which says once what they are.
            kept = [r for r in items if r.get("code") == "unrecorded_anki"]
            items = [r for r in items if r.get("code") != "unrecorded_anki"]
            if kept:
                parts.append(f"<h3>{_esc(tr('Kept as in Anki'))} ({number(len(kept))})</h3>")
                parts.append(f"<p><i>{_esc(_unrecorded_note())}</i></p>")
                parts.append(_rows_html(kept, key, dry))
        if not items:
            continue
        parts.append(f"<h3>{_esc(heading)} ({number(len(items))})</h3>")
        if note:
            parts.append(f"<p><i>{_esc(note)}</i></p>")
        parts.append(_rows_html(items, key, dry))
    removed = removed_told(data)
    if removed:
        # What became of the notes whose cards Polar deleted, and how to find
        # them: "1 note removed in Polar" alone read as the note and its
        # reviews gone. (Rows read only here: a first sync's are many.)
        nids = note_ids([r for r in data.get("changes") or [] if r.get("change") == "removed"])
        parts.append(f"<h3>{_esc(tr('Cards removed in Polar'))} ({number(removed)})</h3>")
        link = f"<br><a href='nid:{','.join(map(str, nids))}'>{_esc(tr('Show in Browser'))}</a>" if nids else ""
        parts.append(f"<p>{_esc(removed_text(removed, str(data.get('removed_as'))))}{link}</p>")
    # Every paragraph runs in the language's direction (all the add-on's languages are left to right):
    # a row that began with a Hebrew or Arabic title ("“מבוא…”") was laid out right to left by Qt,
    # the advice below it right-aligned, its quotation marks and full stop on the wrong side.
    return "".join(parts).replace("<p>", "<p dir='ltr'>").replace("<p style=", "<p dir='ltr' style=")


def _unrecorded_note() -> str:
    return tr("These notes' text differs from Polar's, and the add-on has no record of syncing them before "
              "(they came from another computer, an import or Polar's old sync, or its record was lost): "
              "Anki's text was kept, "
              "nothing was overwritten. Polar's version is shown with each; to take it, copy it into the note. "
              "From now on, changes on either side are synced as usual.")


class _ChangesTree(QTreeWidget):
    """The report's tree. Enter on a row shows its notes in the Browser, as
    a double click does (Enter did nothing: from the keyboard only Tab to
    "Show in Browser" did it). Taken here, not passed on to the window's
    default button."""

    on_enter: Optional[Callable[[], Any]] = None

    def resizeEvent(self, evt: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(evt)
        self.share_columns()

    def share_columns(self) -> None:
        """The counts as wide as they need, but never more than half the
        tree (or than the names leave, when they need less): at 400 px a
        preview's "50 notes would be added, 25 notes would be updated" took
        it all, and the names' column was 0 px wide (no deck, no document
        seen); in German "compsc…ystems". Counts that do not fit are cut
        after a whole count (_DeckNames), whole in their tooltip."""
        viewport, header = self.viewport(), self.header()
        if viewport is None or header is None or self.columnCount() < 2:
            return
        width = viewport.width()
        names = self.sizeHintForColumn(0)  # (names that need less than half leave the counts the rest)
        # (+2: the spare pixels _DeckNames keeps from Qt's own cut.)
        header.resizeSection(1, max(0, min(self.sizeHintForColumn(1) + 2, max(width // 2, width - names))))

    def keyPressEvent(self, evt: Optional[QKeyEvent]) -> None:  # noqa: N802 - Qt's name
        if (evt is not None and evt.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not evt.modifiers()
                and self.currentItem() is not None and self.on_enter is not None):
            evt.accept()
            self.on_enter()
            return
        super().keyPressEvent(evt)


class _DeckNames(QStyledItemDelegate):
    """The tree's decks cut at "::" when the column is narrow (the deck's
    own name whole: "…::Algorithms", ``deck_shown``), not in the middle of a
    name ("compsci…orithms" at 400 px); documents and notes as the tree cuts
    them. The item keeps the full name (its tooltip, a screen reader's)."""

    measuring = False

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt's name
        # The whole text measured (what a column needs), never the cut one:
        # a column sized to its cut text never grew ("1 note would be updat…"
        # at 720 px).
        self.measuring = True
        try:
            return super().sizeHint(option, index)
        finally:
            self.measuring = False

    def initStyleOption(self, option: Optional[QStyleOptionViewItem], index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        if option is None or self.measuring or option.rect.width() <= 0:
            return
        front = index.data(_FRONT) if index.column() == 0 else None
        if index.column() == 0 and index.parent().isValid() and not isinstance(front, str):
            return
        widget = self.parent()
        view = widget if isinstance(widget, QWidget) else None
        style = view.style() if view is not None else None
        if style is None:
            return
        # The cell less Qt's margin each side of the text (no icon in this
        # tree; SE_ItemViewItemText is the text's own width when it fits,
        # Qt 6.6), and 2 px spare so it is never cut again, in the middle,
        # by the tree's own elide.
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
        room = option.rect.width() - 2 * margin - 2
        metrics = option.fontMetrics
        if isinstance(front, str):  # a note: "Question 8 of ch… (page 3)", not "Question…(page 3)"
            text = option.text or ""
            page = text[len(front):] if text.startswith(front) else ""
            if page and metrics.horizontalAdvance(text) > room and metrics.horizontalAdvance(page) * 2 < room:
                option.text = metrics.elidedText(front, Qt.TextElideMode.ElideRight,
                                                 room - metrics.horizontalAdvance(page)) + page
            return
        if index.column() == 1:  # the counts, in the half of the width they may take (_ChangesTree.share_columns)
            option.text = counts_shown(
                option.text or "", lambda text: metrics.horizontalAdvance(text) <= room,
                lambda text: metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(room, 0)))
            return
        option.text = deck_shown(
            option.text or "", lambda text: metrics.horizontalAdvance(text) <= room,
            lambda leaf: metrics.elidedText(leaf, Qt.TextElideMode.ElideMiddle, max(room, 0)))


class _PolarDialog(QDialog):
    """A non-modal window with a Close button, one action button, and its
    size remembered under ``key``."""

    silentlyClose = True  # Anki may close it quietly when the profile unloads

    def __init__(self, parent: QWidget, title: str, key: str) -> None:
        super().__init__(parent)
        self.key = key
        self.setWindowTitle(title)
        self.setObjectName(key)
        self.buttons: QDialogButtonBox
        disable_help_button(self)
        direction.ours(self)
        self.layout_ = QVBoxLayout(self)

    def finish(self, body: QWidget, action: str, on_action: Callable[[], Any], size: Tuple[int, int]) -> None:
        self.layout_.addWidget(body)
        buttons = self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        button = QPushButton(action, self)
        buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        qconnect(button.clicked, on_action)
        qconnect(buttons.rejected, self.reject)
        self.layout_.addWidget(buttons)
        direction.ours(self)
        self.fit_buttons()
        self.resize(*size)
        restoreGeom(self, self.key)

    def fit_buttons(self) -> None:
        """The buttons side by side when they fit, else one above the other:
        in a row, German's labels alone need 590 px, and the window must go
        down to 400 px in every language (call again after adding one)."""
        buttons = getattr(self, "buttons", None)
        if buttons is None:
            return
        margins = self.layout_.contentsMargins()
        button_rows.fit(buttons, self.width() - margins.left() - margins.right())

    def resizeEvent(self, event: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_buttons()

    def showEvent(self, event: Optional[QShowEvent]) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.fit_buttons()

    def done(self, result: int) -> None:
        saveGeom(self, self.key)
        super().done(result)


# Up to this many notes the Browser's search bar shows the search itself
# (``nid:1,2,…``), which the user can edit and which goes into its history.
SEARCH_BAR_IDS = 200


def open_browser(nids: List[int]) -> Any:
    """Anki's Browser showing exactly these notes.

    More than SEARCH_BAR_IDS: the search runs as it is, but the search bar
    says what it is in words (Anki's ``search_for(search, prompt)``). The
    ids of a first sync's 50,000 notes are a 700 KB line of text: in the
    search bar Qt laid it out at every repaint of the Browser (the window
    froze 1.9 s in all while opening, against 0.7 s this way) and Anki kept
    it in the profile's search history."""
    search = browser_search(nids)
    if len(nids) <= SEARCH_BAR_IDS:
        return aqt.dialogs.open("Browser", mw, search=(search,))
    browser = aqt.dialogs.open("Browser", mw, search=(browser_search(nids[:1]),))
    words = ntr("Polar Sync: {n} note of the report", "Polar Sync: {n} notes of the report", len(nids))
    # Anki runs the opening's search once its editor has saved, reading the
    # search bar then: ours goes after it, the same way.
    editor = getattr(browser, "editor", None)
    if editor is not None:
        editor.call_after_note_saved(lambda: browser.search_for(search, words))
    else:
        browser.search_for(search, words)
    return browser


class _Splitter(QSplitter):
    """Tells its report when it has a new height: the window resized, or
    its buttons stacked at a narrow width (after the window's resize)."""

    def resizeEvent(self, event: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        share = getattr(self.parent(), "share_room", None)
        if share is not None:
            share()


class ReportDialog(_PolarDialog):
    """One report; non-modal so the user can look at cards meanwhile.

    Above: the counts and the rows that need a look (problems, conflicts,
    notes). Below: what changed, deck ▸ document ▸ note, and "Show in
    Browser" for the selection (or everything listed)."""

    def __init__(self, parent: QWidget, data: Dict[str, Any], trigger: str, when: float,
                 suspend: Optional[Callable[[List[int]], Any]] = None, changes: Optional[ChangeTree] = None) -> None:
        """``changes``: the tree of ``data["changes"]``, made beforehand on
        the sync's worker thread (``change_tree``); without it the window
        makes it, here on the main thread (fine for a short list)."""
        super().__init__(parent, tr("Polar Sync report"), "polar_sync_report")
        self.data = data
        self.suspend = suspend  # suspends notes (the collection work is the caller's)
        self.dry_run = bool(data.get("dry_run"))
        self.removed_as = str(data.get("removed_as") or "")  # what became of notes whose cards Polar deleted
        self.groups: List[Sequence[Mapping[str, Any]]] = []  # rows of the tree's items (see _ROWS)
        self.browser = _Words(self)
        self.browser.setOpenLinks(False)
        # (Each menu name whole: Qt broke Japanese "データベースを|チェック" at 400 px; unbroken.)
        self.browser.setHtml(unbroken.html(report_html(data, trigger, when)))
        qconnect(self.browser.anchorClicked, self._on_link)
        rows = data.get("changes")
        if changes is None or changes.rows is not rows:
            changes = change_tree(rows or [])
        self.changes = changes
        self.tree = self._build_tree(changes)
        splitter = self.splitter = _Splitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.browser)
        # The rows that need a look (problems, conflicts, notes of Polar's
        # old sync) get the room their text needs; a short list of changes
        # needs little. Shared out again as the window is sized, until the
        # user drags the handle.
        self.has_rows = bool(data.get("errors") or data.get("conflicts") or data.get("warnings")
                             or leftover_ids(data) or removed_told(data))
        self.room_shared_by_hand = False
        if self.tree is not None:
            splitter.addWidget(self._titled(self.tree))
            self.tree_rows = len(data.get("changes") or []) + 2 * self.tree.topLevelItemCount() + 2
            tree_height = min(max(self.tree_rows * 20, 120), 400) if self.has_rows else 400
            splitter.setSizes([560 - tree_height, tree_height])
            qconnect(splitter.splitterMoved, self._room_shared_by_hand)
        self.show_button: Optional[QPushButton] = None
        self.finish(splitter, tr("Open sync log"), lambda: show_log(self), (720, 560))
        if self.tree is not None:
            button = QPushButton(tr("Show in Browser"), self)
            button.setObjectName("polar_sync_show_in_browser")
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            qconnect(button.clicked, self.show_in_browser)
            qconnect(self.tree.itemSelectionChanged, self._update_button)
            self.show_button = button
            self._update_button()
            direction.ours(self)
            self.fit_buttons()

    def _room_shared_by_hand(self, *_: Any) -> None:
        self.room_shared_by_hand = True

    def share_room(self) -> None:
        """The rows above as tall as their text (the list of changes keeps
        at least 120 px, or what it needs when less), when there are rows
        that need a look: the notice that opened the window named them."""
        if self.tree is None or not self.has_rows or self.room_shared_by_hand:
            return
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        shown, viewport = self.browser.document(), self.browser.viewport()
        document = shown.clone() if shown is not None else None
        if document is None or viewport is None:
            return
        document.setTextWidth(viewport.width())
        need = int(document.size().height()) + 2 * self.browser.frameWidth() + 2
        tree = min(self.tree_rows * 20, 120)
        top = max(min(need, total - tree), min(total // 3, need))
        self.splitter.blockSignals(True)  # (not the user's drag)
        self.splitter.setSizes([top, total - top])
        self.splitter.blockSignals(False)

    def showEvent(self, event: Optional[QShowEvent]) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.share_room()

    # -- what changed ----------------------------------------------------------

    def _build_tree(self, changes: ChangeTree) -> Optional[QTreeWidget]:
        if not changes.rows:
            return None
        tree = _ChangesTree(self)
        tree.on_enter = lambda: self.show_in_browser(
            tree.selectedItems() or [item for item in (tree.currentItem(),) if item is not None])
        tree.setObjectName("polar_sync_changes")
        tree.setColumnCount(2)
        tree.setHeaderLabels([tr("What a sync would change") if self.dry_run else tr("What changed"), ""])
        header_item = tree.headerItem()
        if header_item is not None:
            # The second column says what happened to each row (new, updated,
            # moved…); its header shows nothing, and the header is hidden
            # (the title above the tree stands for it), so a screen reader
            # named the column by nothing. Qt names a header cell by its
            # AccessibleTextRole first: a name for it, nothing drawn.
            header_item.setData(1, Qt.ItemDataRole.AccessibleTextRole, tr("Change"))
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        tree.setUniformRowHeights(True)
        # A narrow window cuts the names: a deck's at its "::" (its own name
        # whole, _DeckNames: cut at the right, "compsci::…::algorithms" was
        # "compsci::…" eight times at 400 px in German; in the middle,
        # "compsci…orithms"), a document's or a note's in the middle; in
        # full as tooltips.
        tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        tree.setItemDelegate(_DeckNames(tree))
        # (Per deck and document, never per row: the rows are counted and
        # grouped already, see ChangeTree.)
        sources: Mapping[str, str] = self.data.get("sources") or {}
        for deck in changes.decks:
            deck_item = QTreeWidgetItem(tree, [deck.name, counts_words(deck.counts, self.dry_run, self.removed_as)])
            deck_item.setData(0, _ROWS, self._group(deck.rows))
            deck_item.setToolTip(0, deck.name)
            deck_item.setToolTip(1, deck_item.text(1))  # (cut when wider than half the tree)
            named = Counter(doc.name for doc in deck.documents)
            for doc in deck.documents:
                # Its title, and what else a person knows it by (its file,
                # its web address); Polar's key (1ag3DiKsWi…) was the tooltip.
                known_as = str(sources.get(doc.key) or "")
                name = doc.name
                if named[doc.name] > 1:  # two of one title: told apart by their files
                    name = tr("{title} ({file})", title=doc.name, file=known_as or short_key(doc.key))
                doc_item = QTreeWidgetItem(deck_item, [name, counts_words(doc.counts, self.dry_run, self.removed_as)])
                doc_item.setData(0, _ROWS, self._group(doc.rows))
                doc_item.setToolTip(0, "\n".join(dict.fromkeys(t for t in (doc.name, known_as) if t)))
                doc_item.setToolTip(1, doc_item.text(1))
                # Notes are added when a document is opened: a first sync
                # can list tens of thousands.
                doc_item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            deck_item.setExpanded(len(changes.decks) <= 3)
        qconnect(tree.itemExpanded, self._fill_document)
        qconnect(tree.itemDoubleClicked, lambda item, _col: self.show_in_browser([item]))
        header = tree.header()
        assert header is not None
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)  # (share_columns)
        qconnect(tree.itemExpanded, lambda _item: tree.share_columns())
        tree.share_columns()
        return tree

    def _titled(self, tree: QTreeWidget) -> QWidget:
        """The tree under its title on a line of its own: as the header of
        the names' column it was cut to the column, which a narrow window
        gives little ("Was sich geän" at 400 px in German)."""
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        header_item = tree.headerItem()
        title = QLabel(header_item.text(0) if header_item is not None else "", box)
        title.setObjectName("polar_sync_changes_title")
        title.setWordWrap(True)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(tree)
        tree.setHeaderHidden(True)
        tree.setAccessibleName(title.text())  # (its header, which named it, is hidden)
        return box

    def _group(self, rows: Sequence[Mapping[str, Any]]) -> int:
        self.groups.append(rows)
        return len(self.groups) - 1

    def _rows_of(self, item: QTreeWidgetItem) -> List[Mapping[str, Any]]:
        index = item.data(0, _ROWS)
        return list(self.groups[index]) if isinstance(index, int) and 0 <= index < len(self.groups) else []

    def _fill_document(self, item: QTreeWidgetItem) -> None:
        parent = item.parent()
        # Only a document's item (deck ▸ document): a note's item expanded
        # too ("*" expands everything below) got a child of itself, expanded
        # in turn, without end, and Anki hung.
        if parent is None or parent.parent() is not None or item.childCount():
            return
        for row in self._rows_of(item):
            front = snippet(row.get("front") or "", 100) or tr("(empty front)")
            label = with_page(front, row.get("page"))
            child = QTreeWidgetItem(item, [label, change_label(tree_kind(row), self.dry_run, self.removed_as)])
            child.setData(0, _ROWS, self._group([row]))
            if label != front and label.startswith(front):
                child.setData(0, _FRONT, front)
            # The whole front (the label is cut), where it is: not Polar's keys.
            child.setToolTip(0, "\n".join(t for t in (str(row.get("front") or ""), where(row)) if t))

    def _selected(self, items: Optional[List[QTreeWidgetItem]] = None) -> Tuple[int, List[int]]:
        """(How many rows, their notes) of the selection, or of everything
        listed when nothing is selected (counted when the tree was made)."""
        assert self.tree is not None
        items = items if items is not None else self.tree.selectedItems()
        if not items:
            return len(self.changes.rows), list(self.changes.note_ids)
        rows: List[Mapping[str, Any]] = []
        for item in items:
            rows += self._rows_of(item)
        return len(rows), note_ids(rows)

    def _update_button(self) -> None:
        if self.show_button is None:
            return
        count, nids = self._selected()
        self.show_button.setEnabled(bool(nids))
        if self.dry_run and len(nids) < count:
            self.show_button.setToolTip(tr("Notes that a sync would add do not exist yet; "
                                           "the Browser shows the others."))
        else:
            self.show_button.setToolTip(ntr("Show {n} note in Anki's Browser", "Show {n} notes in Anki's Browser",
                                            len(nids)))

    def show_in_browser(self, items: Optional[List[QTreeWidgetItem]] = None) -> Any:
        nids = self._selected(items)[1]
        return open_browser(nids) if nids else None

    def _on_link(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("nid:"):
            open_browser([int(n) for n in target[4:].split(",") if n.isdigit()])
        elif target.startswith(SUSPEND_LEFTOVERS) and self.suspend is not None:
            self.suspend([int(n) for n in target[len(SUSPEND_LEFTOVERS):].split(",") if n.isdigit()])


class _Words(QTextBrowser):
    """The report's text: what is copied from it is the words without the
    joiners that keep a name whole on screen (``unbroken``): a tag copied
    from the report ("polar-sync:skip") is the tag Polar knows."""

    def createMimeDataFromSelection(self) -> Optional[QMimeData]:
        copied = QMimeData()
        copied.setText(unbroken.plain(self.textCursor().selection().toPlainText()))
        return copied


class _LogWords(QPlainTextEdit):
    """The log's text: copied without the joiners (as ``_Words``)."""

    def createMimeDataFromSelection(self) -> Optional[QMimeData]:
        copied = QMimeData()
        copied.setText(unbroken.plain(self.textCursor().selection().toPlainText()))
        return copied


class LogDialog(_PolarDialog):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, tr("Polar Sync log"), "polar_sync_log")
        self.text = _LogWords(self)
        self.text.setReadOnly(True)
        entries = synclog.read_log()
        # (The file keeps its ISO stamps, sorted and read back by them; shown in the language's words,
        # each menu name whole where a line wraps: unbroken.)
        entries = [unbroken.text(dates.log_entry(entry, i18n.current())) for entry in entries]
        self.text.setPlainText("\n\n".join(entries) if entries else tr("No syncs have been logged yet."))
        self.finish(self.text, tr("Open folder"), lambda: openFolder(str(synclog.USER_FILES)), (760, 520))


def show_log(parent: Optional[QWidget] = None) -> LogDialog:
    dialog = LogDialog(parent or mw)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


class Notice(QLabel):
    """Like Anki's tooltip, but stays longer and runs ``on_click`` when clicked
    (Anki's tooltip just hides on click)."""

    silentlyClose = True  # Anki closes it quietly when the profile unloads

    def __init__(self, parent: QWidget, text: str, on_click: Callable[[], None], period_ms: int) -> None:
        super().__init__(
            f"<table cellpadding=10><tr><td>{unbroken.html(text)}<br>"
            f"<u>{html.escape(tr('Click to see the report.'))}</u>"
            "</td></tr></table>",
            parent,
        )
        self.setObjectName("polar_sync_notice")
        self.on_click = on_click
        self.setFrameStyle(QFrame.Shape.Panel)
        self.setLineWidth(2)
        self.setWindowFlags(Qt.WindowType.ToolTip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        if not theme_manager.night_mode:
            palette = QPalette()
            palette.setColor(QPalette.ColorRole.Window, QColor("#ffe4c4"))
            palette.setColor(QPalette.ColorRole.WindowText, QColor("#000000"))
            self.setPalette(palette)
        self.move(parent.mapToGlobal(QPoint(0, parent.height() - 140)))
        wrap_to(self, parent)  # (one line, as Anki's tooltip, was cut off over a 400 px Anki)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        qconnect(self._timer.timeout, self.close)
        self._timer.start(period_ms)

    def mousePressEvent(self, evt: Optional[QMouseEvent]) -> None:
        if evt is not None:
            evt.accept()
        self.close()
        self.on_click()
