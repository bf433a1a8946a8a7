"""Showing what a sync did: the clickable notice, the report window and the
sync-log window. Widgets only; nothing here touches the collection."""

from __future__ import annotations

import html
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from aqt import mw
from aqt.qt import (
    QColor,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QMouseEvent,
    QPalette,
    QPlainTextEdit,
    QPoint,
    QPushButton,
    Qt,
    QTextBrowser,
    QTimer,
    QVBoxLayout,
    QWidget,
    qconnect,
)
from aqt.theme import theme_manager
from aqt.utils import disable_help_button, openFolder, restoreGeom, saveGeom

from . import synclog

# Counts shown in the report's table, in this order; zero extras are hidden.
_MAIN_COUNTS = ("created", "updated", "unchanged", "moved", "orphaned", "deleted")
_EXTRA_COUNTS = (
    ("restored", "restored"),
    ("adopted", "adopted"),
    ("rekeyed", "re-keyed after an edit"),
    ("duplicates", "duplicates resolved"),
)


def counts_line(data: Dict[str, Any]) -> str:
    """``3 created, 1 updated, 40 unchanged`` with zero counts left out
    (except unchanged, so a no-op sync still says something)."""
    parts = [f"{data.get(k, 0)} {k}" for k in _MAIN_COUNTS if data.get(k) or k == "unchanged"]
    parts += [f"{data[k]} {label}" for k, label in _EXTRA_COUNTS if data.get(k)]
    return ", ".join(parts)


def problem_count(data: Dict[str, Any]) -> int:
    return len(data.get("errors") or []) + len(data.get("conflicts") or [])


def _rows(items: List[Dict[str, Any]]) -> str:
    out = []
    for item in items:
        path = html.escape(str(item.get("path", "")) or "(library)")
        message = html.escape(str(item.get("message", ""))).replace("\n", "<br>")
        out.append(f"<tr><td><code>{path}</code></td><td>{message}</td></tr>")
    return "".join(out)


def report_html(data: Dict[str, Any], trigger: str, when: float) -> str:
    """The report as HTML for a QTextBrowser (Qt's rich-text subset)."""
    title = "Preview (dry run): nothing was written" if data.get("dry_run") else "Sync from Polar"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    cells = "".join(
        f"<td align=center><b style='font-size:large'>{data.get(k, 0)}</b><br>{k}</td>" for k in _MAIN_COUNTS
    )
    parts = [
        f"<h2>{html.escape(title)}</h2>",
        f"<p>{html.escape(trigger)} · {stamp}</p>",
        f"<table cellpadding=6 cellspacing=0 border=1><tr>{cells}</tr></table>",
    ]
    extras = [f"{data[k]} {label}" for k, label in _EXTRA_COUNTS if data.get(k)]
    if extras:
        parts.append(f"<p>Also: {html.escape(', '.join(extras))}.</p>")
    decks = data.get("decks") or []
    parts.append(
        f"<p>{data.get('documents', 0)} documents ({data.get('parsed', 0)} read, "
        f"{data.get('skipped_documents', 0)} skipped). Decks: "
        f"{html.escape(', '.join(decks)) if decks else '–'}</p>"
    )
    sections = (
        (
            "Problems",
            "These files or cards could not be synced (everything else was); fix them in Polar and sync again.",
            "errors",
        ),
        ("Conflicts", "Edited on both sides; the conflict policy decided which side won.", "conflicts"),
        ("Warnings", "", "warnings"),
    )
    for heading, note, key in sections:
        items = data.get(key) or []
        if not items:
            continue
        parts.append(f"<h3>{heading} ({len(items)})</h3>")
        if note:
            parts.append(f"<p><i>{html.escape(note)}</i></p>")
        parts.append(
            "<table cellpadding=4 cellspacing=0 border=1 width=100%>"
            "<tr><th align=left>File</th><th align=left>What happened</th></tr>"
            f"{_rows(items)}</table>"
        )
    if not problem_count(data) and not data.get("warnings"):
        parts.append("<p>No problems.</p>")
    return "".join(parts)


class _PolarDialog(QDialog):
    """A non-modal window with a Close button, one action button, and its
    size remembered under ``key``."""

    silentlyClose = True  # Anki may close it quietly when the profile unloads

    def __init__(self, parent: QWidget, title: str, key: str) -> None:
        super().__init__(parent)
        self.key = key
        self.setWindowTitle(title)
        self.setObjectName(key)
        disable_help_button(self)
        self.layout_ = QVBoxLayout(self)

    def finish(self, body: QWidget, action: str, on_action: Callable[[], Any], size: Tuple[int, int]) -> None:
        self.layout_.addWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        button = QPushButton(action, self)
        buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        qconnect(button.clicked, on_action)
        qconnect(buttons.rejected, self.reject)
        self.layout_.addWidget(buttons)
        self.resize(*size)
        restoreGeom(self, self.key)

    def done(self, result: int) -> None:
        saveGeom(self, self.key)
        super().done(result)


class ReportDialog(_PolarDialog):
    """One report; non-modal so the user can look at cards meanwhile."""

    def __init__(self, parent: QWidget, data: Dict[str, Any], trigger: str, when: float) -> None:
        super().__init__(parent, "Polar Sync report", "polar_sync_report")
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(report_html(data, trigger, when))
        self.finish(self.browser, "Open sync log", lambda: show_log(self), (720, 520))


class LogDialog(_PolarDialog):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, "Polar Sync log", "polar_sync_log")
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        entries = synclog.read_log()
        self.text.setPlainText("\n\n".join(entries) if entries else "No syncs have been logged yet.")
        self.finish(self.text, "Open folder", lambda: openFolder(str(synclog.USER_FILES)), (760, 520))


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
            f"<table cellpadding=10><tr><td>{text}<br><u>Click to see the report.</u></td></tr></table>",
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
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        qconnect(self._timer.timeout, self.close)
        self._timer.start(period_ms)

    def mousePressEvent(self, evt: Optional[QMouseEvent]) -> None:
        if evt is not None:
            evt.accept()
        self.close()
        self.on_click()
