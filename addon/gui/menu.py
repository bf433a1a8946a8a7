"""Tools ▸ "Sync from Polar" and the Tools ▸ "Polar Sync" submenu."""

from __future__ import annotations

from typing import Any, Dict

from aqt import mw
from aqt.qt import QAction, QMenu, qconnect

SYNC_TITLE = "Sync from Polar"
SUBMENU_TITLE = "Polar Sync"


def build(controller: Any) -> Dict[str, Any]:
    """Add the actions; returns them by name (the controller keeps them)."""
    tools: QMenu = mw.form.menuTools
    tools.addSeparator()
    sync = QAction(SYNC_TITLE, mw)
    sync.setObjectName("polar_sync_sync")
    qconnect(sync.triggered, controller.sync_now)
    tools.addAction(sync)

    submenu = QMenu(SUBMENU_TITLE, mw)
    submenu.setObjectName("polar_sync_menu")
    items = (
        ("preview", "Preview (dry run)…", controller.preview),
        ("log", "Open sync log", controller.open_log),
        ("choose_dir", "Choose Polar data folder…", controller.choose_data_dir),
        ("choose_zip", "Use a Polar export zip…", controller.choose_export_zip),
        ("settings", "Settings…", controller.open_settings),
    )
    actions: Dict[str, Any] = {"sync": sync, "menu": submenu}
    for name, title, slot in items:
        if name == "choose_dir":
            submenu.addSeparator()  # looking vs. configuring
        action = QAction(title, mw)
        action.setObjectName(f"polar_sync_{name}")
        qconnect(action.triggered, slot)
        submenu.addAction(action)
        actions[name] = action
    tools.addMenu(submenu)
    return actions
