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
from typing import Any, Callable, Optional

from aqt.qt import QMessageBox, Qt, QWidget, qconnect

from ..polar.library import newer_export_beside
from .i18n import tr

OBJECT_NAME = "polar_sync_library_missing"


def message_html(path: Path, configured: bool, exists: bool, detail: str = "", first_run: bool = False,
                 empty: bool = False) -> str:
    """The message's text (rich text for a QMessageBox). ``empty``: the
    library was read but holds no document (most often the wrong folder)."""
    where = f"<code>{html.escape(str(path))}</code>"
    if empty:
        head = tr("Polar Sync found no Polar documents.")
        looked = (
            tr("The Polar export {path} holds no documents.", path=where)
            if path.is_file()
            else tr("It looked in {path}, but there is no Polar document in that folder: "
                    "Polar keeps each document in a folder of its own with a file named state.json.", path=where)
        )
    elif exists and (path / "doc_meta").is_dir():  # Polar 2's export, unpacked: say so in the user's language
        head = tr("Polar Sync cannot read your Polar library.")
        looked = tr("There are no Polar documents in {path}.", path=where) + " " + html.escape(tr(
            "This folder is a Polar export, unpacked. Choose the file Polar downloaded (its name ends in .zip) "
            "with “Use a Polar export…” instead."))
        detail = ""  # the core's English sentence, said above
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
    newer = newer_export_beside(path) if not exists and not empty else None
    if newer is not None:  # the old export deleted after a new one was downloaded
        parts.append("<p>" + tr("A Polar export downloaded later is in that folder: {file}. Choose it with "
                                "“Use a Polar export…”.", file=f"<code>{html.escape(newer.name)}</code>") + "</p>")
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
        "Polar 2 (the web app) keeps your data online: in Polar, use Settings ▸ Export Data, "
        "then choose that file with “Use a Polar export…”."
    )) + "</p>")
    tail = tr("Nothing was synced and nothing in Anki was changed.")
    if first_run:
        tail = tr("You can do this later under Tools ▸ Polar Sync. This message is shown only once.")
    parts.append("<p>" + html.escape(tail) + "</p>")
    return "".join(parts)


def show(
    parent: QWidget,
    path: Path,
    configured: bool,
    choose_folder: Callable[[], Any],
    choose_export: Callable[[], Any],
    detail: str = "",
    first_run: bool = False,
    previous: Optional[QMessageBox] = None,
    empty: bool = False,
) -> QMessageBox:
    """Show the message (non-modal: Anki stays usable) and return it. An
    earlier one still open is replaced, so repeated syncs never stack boxes."""
    if previous is not None:
        try:
            previous.close()
        except RuntimeError:  # already deleted by Qt
            pass
    box = QMessageBox(parent)
    box.setObjectName(OBJECT_NAME)
    box.setWindowTitle(tr("Polar Sync"))
    box.setIcon(QMessageBox.Icon.Information)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(message_html(path, configured, path.exists(), detail, first_run, empty))
    folder = box.addButton(tr("Choose Polar data folder…"), QMessageBox.ButtonRole.AcceptRole)
    export = box.addButton(tr("Use a Polar export…"), QMessageBox.ButtonRole.ActionRole)
    later = box.addButton(tr("Later"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(folder)
    box.setEscapeButton(later)

    def clicked(button: Any) -> None:
        if button is folder:
            choose_folder()
        elif button is export:
            choose_export()

    qconnect(box.buttonClicked, clicked)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box
