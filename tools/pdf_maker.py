"""Real multi-page PDFs for tests, the bench and screenshots, written with
Qt's own QPdfWriter (needs a QGuiApplication; offscreen is fine).

Each page shows its number in large type and lines of text, so a test (or
a person looking at a screenshot) can tell which page a viewer shows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence, Tuple

LETTER_POINTS = (612.0, 792.0)  # 8.5 x 11 in; Polar's 816 x 1056 px at scale 1

LOREM = (
    "Spaced repetition schedules each review just before the memory would fade. "
    "Every successful recall pushes the next review further out, so a card seen "
    "on day one may come back after three days, then ten, then a month."
)


def write_pdf(path: Path, pages: int, title: str = "Sample document", lines_per_page: int = 24,
              size: Tuple[float, float] = LETTER_POINTS, marks: Sequence[Tuple[int, float, float, float, float]] = (),
              figure_px: int = 0) -> Path:
    """Write ``pages`` pages to ``path``. ``marks``: (page, x, y, w, h) in
    points from the page's top left, drawn as grey boxes (to see where a
    highlight rect should land). ``figure_px``: also a photo-like raster
    figure of that width on every page (a distinct one each: heavy PDFs,
    as scanned or illustrated books are)."""
    from aqt.qt import (
        QColor,
        QFont,
        QImage,
        QMarginsF,
        QPageLayout,
        QPageSize,
        QPainter,
        QPdfWriter,
        QRectF,
        QSizeF,
        Qt,
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(72)  # one device unit per PDF point
    writer.setTitle(title)
    layout = QPageLayout(QPageSize(QSizeF(*size), QPageSize.Unit.Point), QPageLayout.Orientation.Portrait,
                         QMarginsF(0, 0, 0, 0))
    writer.setPageLayout(layout)
    painter = QPainter(writer)
    try:
        big, body = QFont("Sans Serif"), QFont("Sans Serif")
        big.setPixelSize(48)
        body.setPixelSize(11)
        for number in range(1, pages + 1):
            if number > 1:
                writer.newPage()
            painter.setPen(QColor(0, 0, 0))
            painter.setFont(big)
            painter.drawText(QRectF(72, 60, size[0] - 144, 70), Qt.AlignmentFlag.AlignLeft, f"Page {number}")
            painter.setFont(body)
            painter.drawText(QRectF(72, 130, size[0] - 144, 20), Qt.AlignmentFlag.AlignLeft,
                             f"{title} · {number} of {pages}")
            for line in range(lines_per_page):
                y = 170 + line * 20
                if y > size[1] - 72:
                    break
                text = LOREM[(line * 17) % 60:][:80]
                painter.drawText(QRectF(72, y, size[0] - 144, 18), Qt.AlignmentFlag.AlignLeft, text)
            if figure_px:
                # Noise compresses as badly as photos do.
                height = figure_px * 2 // 3
                noise = os.urandom(figure_px * height * 3)
                figure = QImage(noise, figure_px, height, figure_px * 3, QImage.Format.Format_RGB888)
                painter.drawImage(QRectF(72, size[1] - 72 - 180, 270, 180), figure)
            for page, x, y, w, h in marks:
                if page == number:
                    painter.fillRect(QRectF(x, y, w, h), QColor(200, 200, 200))
    finally:
        painter.end()
    return path
