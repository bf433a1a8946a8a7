"""Checking the raw JSON a person typed into the config editor, in words
that name the key (instead of a JSON-schema dump), and the one repair worth
making silently: Windows paths typed with single backslashes.

Pure Python (no Qt), so the rules are tested without Anki.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..settings import CHOICES, RANGES, Settings
from .i18n import tr

# Keys that hold one tag: Anki tags cannot contain spaces or quotes.
TAG_KEYS = ("marker_tag", "folder_tag_prefix")
# Keys whose value is a file system path: a backslash there is a path
# separator, never a JSON escape (no path holds a tab or a newline).
PATH_KEYS = ("data_dir",)

_STRING = r'"(?:[^"\\]|\\.)*"'
_PATH_VALUE = re.compile(r'("(?:' + "|".join(PATH_KEYS) + r')"\s*:\s*)"((?:[^"\\\n]|\\.)*)"')
# In a path: a pair (an escaped backslash), an escaped quote, or a lone one.
_PATH_ESCAPE = re.compile(r'\\(\\|")?')
_ESCAPE = re.compile(r'\\(.?)', re.S)
_JSON_ESCAPES = set('"\\/bfnrtu')


def repair_backslashes(text: str) -> Tuple[str, List[str]]:
    """Make single backslashes in Windows paths valid JSON.

    ``"data_dir": "C:\\Users\\me\\.polar"`` typed with one backslash each is
    invalid JSON (``\\U``) or, worse, valid with another meaning (``\\n``).
    In a path value every single backslash is taken literally; elsewhere
    only the ones JSON cannot read. Returns the text and the keys repaired."""
    repaired: List[str] = []

    def fix_path(match: re.Match[str]) -> str:
        value = match.group(2)
        literal = _PATH_ESCAPE.sub(lambda m: m.group(0) if m.group(1) else "\\\\", value)
        if literal != value:
            repaired.append(match.group(1).split('"')[1])
        return match.group(1) + '"' + literal + '"'

    text = _PATH_VALUE.sub(fix_path, text)

    def fix_string(match: re.Match[str]) -> str:
        return _ESCAPE.sub(lambda m: m.group(0) if m.group(1) and m.group(1) in _JSON_ESCAPES
                           else "\\\\" + m.group(1), match.group(0))

    fixed = re.sub(_STRING, fix_string, text)
    if fixed != text and not repaired:
        repaired.append("")
    return fixed, repaired


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "share"
    return "str"


def normalised(conf: Mapping[str, Any]) -> Dict[str, Any]:
    """Choices as the settings read them (`` Tag `` is ``tag``)."""
    out = dict(conf)
    for key, allowed in CHOICES.items():
        value = out.get(key)
        if isinstance(value, str) and value.strip().lower() in allowed:
            out[key] = value.strip().lower()
    return out


def problems(conf: Mapping[str, Any], labels: Optional[Mapping[str, str]] = None) -> List[str]:
    """One sentence per bad key; empty when the settings are usable.
    ``labels``: the Settings window's names of the keys, which it says
    instead ("“Tag on every synced note” must be…", not "“marker_tag”…")."""
    out: List[str] = []
    defaults = Settings()
    for key, value in normalised(conf).items():
        if not hasattr(defaults, key):
            out.append(tr("“{key}” is not a Polar Sync setting; remove it or check its spelling.", key=key))
            continue
        name = (labels or {}).get(key, key)  # (the messages' {key}: what the reader knows it by)
        kind = _kind(getattr(defaults, key))
        shown = json.dumps(value, ensure_ascii=False)
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # not NaN
        # (Python's JSON reads Infinity and 1e999 too: int() of it raised OverflowError.)
        whole = number and math.isfinite(value) and float(value) == int(value)
        low, high = RANGES.get(key, (0, float("inf")))
        if key in CHOICES:
            allowed = CHOICES[key]
            if value not in allowed:
                out.append(tr("“{key}” cannot be {value}; choose one of: {choices}.", key=name, value=shown,
                              choices=", ".join(f'"{c}"' for c in allowed)))
        elif kind == "bool" and not isinstance(value, bool):
            out.append(tr("“{key}” must be true or false (without quotes), not {value}.", key=name, value=shown))
        elif kind == "int" and (not whole or value < low):
            out.append(tr("“{key}” must be a whole number of 0 or more, not {value}.", key=name, value=shown))
        elif kind == "share" and (not number or not low <= value <= high):
            out.append(tr("“{key}” must be a number from 0 to 1 (0.2 means 20 %), not {value}.",
                          key=name, value=shown))
        elif kind == "int" and value > high:
            out.append(tr("“{key}” can be at most {limit}.", key=name, limit=int(high)))
        elif kind == "str" and not isinstance(value, str):
            out.append(tr("“{key}” must be text in quotes, not {value}.", key=name, value=shown))
        elif key in TAG_KEYS and isinstance(value, str) and re.search(r'[\s"]', value):
            out.append(tr("“{key}” must be a single tag, without spaces or quotes.", key=name))
    return out


def parse(text: str) -> Tuple[Dict[str, Any], List[str], List[str]]:
    """(settings, problems, repaired keys) of the editor's text. A JSON
    syntax error becomes one problem naming the line."""
    fixed, repaired = repair_backslashes(text)
    try:
        conf = json.loads(fixed)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        return {}, [tr("The settings are not valid JSON (line {line}): {error}.", line=line,
                       error=getattr(exc, "msg", str(exc)))], []
    if not isinstance(conf, dict):
        return {}, [tr("The settings must be one JSON object.")], []
    return normalised(conf), problems(conf), [k for k in repaired if k]
