"""How Polar and browsers name an export's file (no imports of the add-on:
read by the library's checks at Anki's start and by the archive reader)."""

from __future__ import annotations

import re
from typing import Optional, Tuple

# What browsers name a download in progress: Chrome, Edge and Opera
# .crdownload, Firefox .part (and an empty file under the final name), Safari
# .download, old Edge .partial.
DOWNLOADING = (".crdownload", ".part", ".download", ".partial")


# How Polar names an export (UserBackupCreator.ts): `${createRandomID()}-${ISO
# date}.zip`, e.g. 12dzxVk3Q8-2021-03-14T09:26:53.512Z.zip; browsers on Windows
# write the colons as another character. A second copy of one: " (1)" (Chrome,
# Firefox, Edge), "-1" (Safari), " 2" (a folder Archive Utility or the Finder
# made beside the first).
POLAR_EXPORT_NAME = re.compile(
    r"^[0-9A-Za-z]{6,}-(\d{4})-(\d\d)-(\d\d)T(\d\d)\D(\d\d)\D(\d\d)(?:\D(\d{1,3}))?Z(?: ?\(\d+\)|-\d+| \d+)?\.zip$"
)


# What a browser adds to the name of an export downloaded again, "X (1).zip",
# "X-1.zip", or the Finder to a second folder of it, "X 2".
COPY_NUMBER = re.compile(r"(?<=Z)(?: ?\(\d+\)|-\d+| \d+)$")


def export_date(name: str) -> Optional[Tuple[int, ...]]:
    """(year, month, day, hour, minute, second, ms) from a name as Polar
    gives its exports, or None."""
    match = POLAR_EXPORT_NAME.match(name)
    return tuple(int(part or 0) for part in match.groups()) if match else None
