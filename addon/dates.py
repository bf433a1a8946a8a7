"""Dates and times written as the reader's language writes them in words:
"December 5, 2026 at 7:13 PM", "5. Dezember 2026 um 19:13",
"2026年12月5日 19:13".

Anki's tables (the Browser's date columns, Card Info) write dates as
"2026-12-05" in every language; where Anki writes a date for a person to
read in words (its statistics' calendar: ``toLocaleDateString`` with
``month: "long"``) it is CLDR's long date in Anki's interface language.
The report, its notices and the sync log window say a date in a sentence
or a heading, so they take the words: CLDR's long date (without the
weekday), its short time, joined as CLDR's long date-time joins them
(checked against ``Intl.DateTimeFormat(lang, {dateStyle: "long",
timeStyle: "short"})`` and Qt's ``QLocale`` month names and time formats,
which read the same data).

Pure Python, no Qt and no aqt, like ``numbers``: the report's text is
made and tested without Anki. The sync log *file* keeps its ISO stamps
(``synclog``): it is sorted, trimmed and read back by its stamps.
"""

from __future__ import annotations

import re
import time
from typing import Dict, Tuple

_NBSP = "\u00a0"
_NNBSP = "\u202f"  # CLDR's narrow no-break space before "AM"/"PM"

# CLDR's month names (format context, wide) for the languages that spell them.
MONTHS: Dict[str, Tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "pt_BR": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
              "novembro", "dezembro"),
}

# language -> (long date, short time, long date-time joiner): {y} {m} {d} the
# year, the month (its name, or its number in Japanese and Chinese) and the
# day; {H} the hour of 24 with two digits, {h} without; {M} the minutes.
# No-break spaces hold a date's parts together ("5. Dezember 2026" is not
# broken after "5.", nor "7:13 PM" before "PM").
FORMATS: Dict[str, Tuple[str, str, str]] = {
    "en": ("{m}" + _NBSP + "{d}, {y}", "{h12}:{M}" + _NNBSP + "{ampm}", "{date} at {time}"),
    "de": ("{d}." + _NBSP + "{m}" + _NBSP + "{y}", "{H}:{M}", "{date} um {time}"),
    "es": ("{d} de {m} de {y}", "{h}:{M}", "{date} a las {time}"),
    "fr": ("{d}" + _NBSP + "{m}" + _NBSP + "{y}", "{H}:{M}", "{date} à {time}"),
    "pt_BR": ("{d} de {m} de {y}", "{H}:{M}", "{date} às {time}"),
    "ja": ("{y}年{mn}月{d}日", "{h}:{M}", "{date} {time}"),
    "zh_CN": ("{y}年{mn}月{d}日", "{H}:{M}", "{date} {time}"),
}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _fields(year: int, month: int, day: int, hour: int = 0, minute: int = 0, lang: str = "en") -> Dict[str, str]:
    names = MONTHS.get(lang)
    return {
        "y": str(year), "mn": str(month), "m": names[month - 1] if names else str(month), "d": str(day),
        "H": f"{hour:02d}", "h": str(hour), "h12": str(hour % 12 or 12), "M": f"{minute:02d}",
        "ampm": "AM" if hour < 12 else "PM",
    }


def day(year: int, month: int, dom: int, lang: str = "en") -> str:
    """A calendar day as ``lang`` writes it in words ("5. Dezember 2026")."""
    pattern = FORMATS.get(lang, FORMATS["en"])[0]
    return pattern.format(**_fields(year, month, dom, lang=lang if lang in FORMATS else "en"))


def moment(when: float, lang: str = "en") -> str:
    """A time (Unix seconds), in this computer's time zone, as ``lang``
    writes a day and its time ("5. Dezember 2026 um 19:13")."""
    t = time.localtime(when)
    return day_and_time(t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, lang)


def day_and_time(year: int, month: int, dom: int, hour: int, minute: int, lang: str = "en") -> str:
    """A day and its time (hours, minutes) in words."""
    lang = lang if lang in FORMATS else "en"
    date_pattern, time_pattern, joined = FORMATS[lang]
    fields = _fields(year, month, dom, hour, minute, lang)
    return joined.format(date=date_pattern.format(**fields), time=time_pattern.format(**fields))


def iso_day(text: str, lang: str = "en") -> str:
    """An ISO date ("2026-12-05", as the core's rows carry it) in words;
    anything else as it is (an old report's text)."""
    match = _ISO_DATE.match(text or "")
    if not match:
        return text
    year, month, dom = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= dom <= 31):
        return text
    return day(year, month, dom, lang)


_LOG_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?=\s)")


def log_entry(entry: str, lang: str = "en") -> str:
    """A sync log entry as the log window shows it: its ISO stamp (the
    file's, kept for sorting and tools) in words."""
    match = _LOG_STAMP.match(entry)
    if not match:
        return entry
    year, month, dom, hour, minute, _second = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= dom <= 31 and hour < 24 and minute < 60):
        return entry
    return day_and_time(year, month, dom, hour, minute, lang) + entry[match.end():]
