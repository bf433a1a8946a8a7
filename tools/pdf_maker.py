"""Real multi-page PDFs for tests, the bench and screenshots, written with
Qt's own QPdfWriter (needs a QGuiApplication; offscreen is fine).

Each page shows its number in large type and lines of text, so a test (or
a person looking at a screenshot) can tell which page a viewer shows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence, Tuple, Union

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


def write_scanned_pdf(path: Path, pages: int, title: str = "A scanned book",
                      image_px: Tuple[int, int] = (2480, 3508)) -> Path:
    """Write ``pages`` pages that are each one full-page raster image, as a
    scanned book's are (default: A4 at 300 dpi, 2480 x 3508 px): grey paper
    with a grain, dark bars as lines of print, the page number in type.
    Drawing such a page decodes and scales the whole image (Qt PDF: ~100 ms
    and more a page), whatever the size it is shown at. A Letter page in
    points, so Polar's rects (816 x 1056 px at scale 1) map as for
    :func:`write_pdf`."""
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

    width, height = image_px
    size = LETTER_POINTS
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(72)
    writer.setTitle(title)
    writer.setPageLayout(QPageLayout(QPageSize(QSizeF(*size), QPageSize.Unit.Point),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter(writer)
    try:
        big = QFont("Sans Serif")
        big.setPixelSize(width // 12)
        for number in range(1, pages + 1):
            if number > 1:
                writer.newPage()
            # The grain: a coarse random grey field scaled up smoothly (a
            # scan's paper), compressible enough to keep the file sane.
            small_w, small_h = width // 8, height // 8
            grain = QImage(os.urandom(small_w * small_h), small_w, small_h, small_w, QImage.Format.Format_Grayscale8)
            scan = grain.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                                Qt.TransformationMode.SmoothTransformation).convertToFormat(QImage.Format.Format_RGB32)
            page = QPainter(scan)
            page.setOpacity(0.85)
            page.fillRect(0, 0, width, height, QColor(238, 232, 218))
            page.setOpacity(1.0)
            page.setPen(QColor(30, 30, 30))
            page.setFont(big)
            page.drawText(QRectF(width * 0.1, height * 0.05, width * 0.8, height * 0.08),
                          Qt.AlignmentFlag.AlignLeft, f"Page {number}")
            line_h = height * 20 / size[1]
            for line in range(24):  # where write_pdf's lines of text are: y = 170 + 20 * line pt
                y = (170 + line * 20) * height / size[1]
                length = 0.55 + 0.3 * ((line * 7919 + number * 104729) % 97) / 97
                page.fillRect(QRectF(width * 0.12, y + line_h * 0.2, width * 0.76 * length, line_h * 0.55),
                              QColor(60, 60, 60))
            page.end()
            painter.drawImage(QRectF(0, 0, size[0], size[1]), scan)
    finally:
        painter.end()
    return path


def write_raw_pdf(path: Path, pages: Sequence[dict], labels: str = "", password: Union[bool, str] = False,
                  broken: Sequence[int] = ()) -> Path:
    """A PDF written byte by byte, for what Qt's writer cannot make: pages
    rotated (``{"rotate": 90}``: /Rotate, as scanners and "rotate page"
    tools write it), pages of their own size (``{"w": 300, "h": 900}``
    points), page labels (``labels``: the /Nums array's inside, e.g.
    ``"0 << /S /r >> 4 << /S /D >>"`` for i–iv then 1, 2, …), a password
    (True: an /Encrypt dictionary no password opens: Qt PDF says
    IncorrectPassword, as for a real protected file; a string: the file
    really encrypted, RC4 40-bit, standard security handler revision 2, that
    string its user password) and ``broken`` pages
    (1-based: in the page tree but not a page, so Qt PDF can neither size
    nor draw them; the others draw). ``{"crop": (x0, y0, x1, y1)}`` gives a
    page a /CropBox (PDF points, origin bottom left), as printers' PDFs with
    bleed and crop marks have: viewers (pdf.js in Polar, Qt PDF) show only
    that part.

    Each page shows "Page N" in type and a solid blue box, ``{"box": (x, y,
    w, h)}`` in points from the top left of the page as it is *stored*
    (before its /Rotate), default (72, 100, 200, 50), or several,
    ``{"boxes": [...]}``: a test finds the box's pixels where a highlight
    over it must be drawn."""
    objects: list = [b"", b""]  # 1: catalog, 2: page tree (written last)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for number, page in enumerate(pages, 1):
        w, h = page.get("w", LETTER_POINTS[0]), page.get("h", LETTER_POINTS[1])
        boxes = page.get("boxes") or [page.get("box", (72, 100, 200, 50))]
        fills = " ".join(f"{x} {h - y - bh} {bw} {bh} re f" for x, y, bw, bh in boxes)
        content = (f"0 0 1 rg {fills} 0 g BT /F1 36 Tf 72 {h - 60} Td "
                   f"(Page {number}) Tj ET").encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        contents = len(objects)
        if number in broken:
            objects.append(b"<< /Type /Pagez /Parent 2 0 R >>")
        else:
            rotate = f" /Rotate {page['rotate']}" if page.get("rotate") else ""
            if page.get("crop"):
                rotate += " /CropBox [{}]".format(" ".join(str(v) for v in page["crop"]))
            objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}]{rotate} /Resources "
                           f"<< /Font << /F1 3 0 R >> >> /Contents {contents} 0 R >>".encode())
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    page_labels = f" /PageLabels << /Nums [{labels}] >>" if labels else ""
    objects[0] = f"<< /Type /Catalog /Pages 2 0 R{page_labels} >>".encode()
    trailer = f"<< /Size {len(objects) + 2 if password else len(objects) + 1} /Root 1 0 R"
    if isinstance(password, str):
        objects, encrypt = _encrypted(objects, password.encode("latin-1"), bytes.fromhex("ab" * 16))
        objects.append(encrypt)
        file_id = "ab" * 16
        trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R /Encrypt {len(objects)} 0 R /ID [<{file_id}> <{file_id}>]"
    elif password:
        objects.append(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <" + b"11" * 32
                       + b"> /U <" + b"22" * 32 + b"> >>")
        file_id = "ab" * 16
        trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R /Encrypt {len(objects)} 0 R /ID [<{file_id}> <{file_id}>]"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


# The standard security handler's padding (PDF 1.7, 7.6.3.3).
_PAD = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")


def _rc4(key: bytes, data: bytes) -> bytes:
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def _encrypted(objects: list, user: bytes, file_id: bytes) -> Tuple[list, bytes]:
    """``objects`` with their streams encrypted (RC4 40-bit, revision 2; the
    owner password is the user's), and the /Encrypt dictionary."""
    import hashlib

    padded = (user + _PAD)[:32]
    owner_key = hashlib.md5(padded).digest()[:5]
    o_value = _rc4(owner_key, padded)
    permissions = -44
    key = hashlib.md5(padded + o_value + permissions.to_bytes(4, "little", signed=True) + file_id).digest()[:5]
    u_value = _rc4(key, _PAD)
    out = []
    for number, body in enumerate(objects, 1):
        start, end = body.find(b"stream\n"), body.rfind(b"\nendstream")
        if start != -1 and end != -1:
            object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
            data = _rc4(object_key, body[start + 7:end])
            body = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data)
        out.append(body)
    encrypt = (b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>"
               % (permissions, o_value.hex().encode(), u_value.hex().encode()))
    return out, encrypt
