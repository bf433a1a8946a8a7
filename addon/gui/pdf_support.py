"""Qt PDF, when the running Anki's Qt has it.

``aqt.qt`` does not re-export Qt PDF, so it comes from the PyQt6 that Anki
bundles (every supported Anki, 23.10 with PyQt6 6.6 to 26.x, ships
``PyQt6.QtPdf`` with ``QPdfDocument`` and ``QPdfPageRenderer``; a
distribution's own PyQt may lack it). Without it the viewer falls back to
Qt WebEngine's PDF viewer, then to the system's.
"""

from __future__ import annotations

from typing import Any, Optional

import aqt.qt as _qt

QPdfDocument: Optional[Any] = getattr(_qt, "QPdfDocument", None)
QPdfPageRenderer: Optional[Any] = getattr(_qt, "QPdfPageRenderer", None)
if QPdfDocument is None or QPdfPageRenderer is None:
    try:
        from PyQt6.QtPdf import QPdfDocument as _QPdfDocument
        from PyQt6.QtPdf import QPdfPageRenderer as _QPdfPageRenderer

        QPdfDocument, QPdfPageRenderer = _QPdfDocument, _QPdfPageRenderer
    except ImportError:  # pragma: no cover - a Qt without its PDF module
        QPdfDocument = QPdfPageRenderer = None


def available() -> bool:
    return QPdfDocument is not None and QPdfPageRenderer is not None
