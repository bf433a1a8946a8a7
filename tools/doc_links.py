#!/usr/bin/env python3
"""Fail when a link in README.md or docs/**/*.md leads nowhere.

    python tools/doc_links.py            # README.md, addon/config.md and docs/**/*.md

Checks every Markdown link ``[text](target)`` and image ``![alt](target)`` whose
target is not a web address: the file (or folder) must exist, relative to the
Markdown file, and an ``#anchor`` must name a heading of the file it points at,
spelled as GitHub spells it (lower-case, punctuation dropped, spaces to ``-``,
``-1``, ``-2``… for repeated headings). Text inside code spans and fenced code
blocks is not read. Prints one line per broken link (file:line: target: why) and
exits 1; prints nothing and exits 0 when every link resolves. Web addresses are
not fetched.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # punctuation dropped (letters of any script kept)
    return text.replace(" ", "-")


def lines_outside_code(path: Path) -> Iterator[Tuple[int, str]]:
    """(line number, line) of a Markdown file, fenced code blocks left out."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def anchors(path: Path, cache: Dict[Path, Set[str]]) -> Set[str]:
    """Every anchor GitHub makes for the headings of a Markdown file."""
    if path not in cache:
        seen: Dict[str, int] = {}
        found: Set[str] = set()
        for _, line in lines_outside_code(path):
            match = HEADING.match(line)
            if not match:
                continue
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        cache[path] = found
    return cache[path]


def text_outside_code(path: Path) -> str:
    """A Markdown file with its fenced code blocks and code spans blanked (lines kept)."""
    kept = {number for number, _ in lines_outside_code(path)}
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line if number in kept else "" for number, line in enumerate(lines, 1))
    return CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def problems(files: List[Path]) -> List[str]:
    cache: Dict[Path, Set[str]] = {}
    out: List[str] = []
    for source in files:
        text = text_outside_code(source)
        for match in LINK.finditer(text):  # a link's text may run over a line break
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # https:, mailto:, …
            file_part, _, anchor = target.partition("#")
            number = text.count("\n", 0, match.start(1)) + 1
            shown = source.relative_to(ROOT) if ROOT in source.parents else source
            where = f"{shown}:{number}: {target}"
            linked = (source.parent / file_part).resolve() if file_part else source
            if not linked.exists():
                out.append(f"{where}: no such file")
                continue
            if anchor and linked.suffix == ".md" and anchor not in anchors(linked, cache):
                out.append(f"{where}: no heading makes #{anchor}")
    return out


def main() -> int:
    files = [ROOT / "README.md", ROOT / "addon" / "config.md"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    found = problems([f for f in files if f.exists()])
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
