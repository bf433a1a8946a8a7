"""Tools ▸ "Sync from Polar" and the Tools ▸ "Polar Sync" submenu."""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from aqt import mw
from aqt.qt import QAction, QMenu, qconnect

from .direction import in_anki
from .i18n import tr

# English titles: the msgids (translated when shown) and what tests look for.
SYNC_TITLE = "Sync from Polar"
SUBMENU_TITLE = "Polar Sync"


def _titles() -> Dict[str, str]:
    """The entries' words; in a right-to-left Anki held left to right (a
    "…" at the end of "Use a Polar export…" went to its start)."""
    return {name: in_anki(text) for name, text in {
        "sync": tr("Sync from Polar"),
        "menu": tr("Polar Sync"),
        "stop": tr("Stop the sync"),
        "preview": tr("Preview (dry run)…"),
        "report": tr("Show last report"),
        "log": tr("Open sync log"),
        "choose_dir": tr("Choose Polar data folder…"),
        "choose_zip": tr("Use a Polar export…"),
        "settings": tr("Settings…"),
    }.items()}


def build(controller: Any) -> Dict[str, Any]:
    """Add the actions; returns them by name (the controller keeps them)."""
    titles = _titles()
    tools: QMenu = mw.form.menuTools
    separator = tools.addSeparator()
    sync = QAction(titles["sync"], mw)
    sync.setObjectName("polar_sync_sync")
    qconnect(sync.triggered, controller.sync_now)
    tools.addAction(sync)

    submenu = QMenu(titles["menu"], mw)
    submenu.setObjectName("polar_sync_menu")
    items: Tuple[Tuple[str, Callable[[], Any]], ...] = (
        ("stop", controller.stop_sync),
        ("preview", controller.preview),
        ("report", controller.show_last_report),
        ("log", controller.open_log),
        ("choose_dir", controller.choose_data_dir),
        ("choose_zip", controller.choose_export_zip),
        ("settings", controller.open_settings),
    )
    actions: Dict[str, Any] = {"separator": separator, "sync": sync, "menu": submenu}
    for name, slot in items:
        if name == "choose_dir":
            submenu.addSeparator()  # looking vs. configuring
        action = QAction(titles[name], mw)
        action.setObjectName(f"polar_sync_{name}")
        qconnect(action.triggered, slot)
        submenu.addAction(action)
        actions[name] = action
        if name == "stop":
            submenu.addSeparator()  # (the running sync vs. the rest)
    # "Stop the sync" only while a sync runs: looked at as the menu opens
    # (a disabled entry is still read out, and skipped by the arrow keys).
    actions["stop"].setEnabled(False)
    qconnect(submenu.aboutToShow, lambda: actions["stop"].setEnabled(controller.can_stop()))
    tools.addMenu(submenu)
    return actions


def retranslate(actions: Dict[str, Any]) -> None:
    """Follow a change of Anki's interface language (applied when a profile opens)."""
    for name, title in _titles().items():
        widget = actions.get(name)
        if isinstance(widget, QMenu):
            widget.setTitle(title)
        elif widget is not None:
            widget.setText(title)


def remove(actions: Dict[str, Any]) -> None:
    """Take our entries out of the Tools menu (the add-on was deleted)."""
    tools: QMenu = mw.form.menuTools
    for widget in actions.values():
        if isinstance(widget, QMenu):
            tools.removeAction(widget.menuAction())
        else:
            tools.removeAction(widget)
