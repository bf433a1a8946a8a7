"""Where Qt's text layout breaks lines, for tests that look at wrapping."""

from __future__ import annotations

from typing import Any, List, Tuple


def line_starts(doc: Any) -> List[Tuple[str, List[int]]]:
    """(text, the positions where Qt began a new line) of each block of a
    laid-out ``QTextDocument``."""
    doc.documentLayout().documentSize()  # (laid out now)
    out, block = [], doc.begin()
    while block.isValid():
        layout = block.layout()
        out.append((block.text(), [layout.lineAt(i).textStart() for i in range(1, layout.lineCount())]))
        block = block.next()
    return out
