#!/usr/bin/env python3
"""The add-on's translatable strings and the state of each catalogue.

Strings are the literal first arguments of ``tr("…")`` and ``ntr("…", "…", n)``
in addon/gui/ (see addon/gui/i18n.py). Catalogues are addon/locale/<lang>.json.

    python tools/i18n_check.py          # problems per language (exit 1 if any)
    python tools/i18n_check.py --todo de  # the missing entries of one language, as JSON to fill in

tests/gui/test_i18n.py runs the same checks.
"""

from __future__ import annotations

import argparse
import ast
import json
import string
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "addon" / "gui"
LOCALE = ROOT / "addon" / "locale"
sys.path.insert(0, str(ROOT))

from addon.gui.i18n import LANGUAGES, PLURAL_FORMS  # noqa: E402


def msgids() -> Dict[str, Optional[str]]:
    """singular msgid -> plural msgid (None for plain ``tr``), in source order."""
    found: Dict[str, Optional[str]] = {}
    for path in sorted(SOURCES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            if node.func.id == "tr" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                found.setdefault(args[0].value, None)
            elif node.func.id == "ntr" and len(args) >= 2 and all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]
            ):
                found[args[0].value] = args[1].value  # type: ignore[union-attr]
    return found


def fields(text: str) -> Set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load(lang: str) -> Dict[str, object]:
    data = json.loads((LOCALE / f"{lang}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("@")}


def problems(lang: str) -> List[str]:
    out: List[str] = []
    try:
        catalogue = load(lang)
    except (OSError, ValueError) as exc:
        return [f"{lang}: cannot read the catalogue: {exc}"]
    wanted = msgids()
    for msgid, plural in wanted.items():
        entry = catalogue.get(msgid)
        if entry is None or entry == "" or entry == []:
            out.append(f"{lang}: missing {msgid!r}")
            continue
        if plural is None:
            if not isinstance(entry, str):
                out.append(f"{lang}: {msgid!r} must be a string")
            elif fields(entry) != fields(msgid):
                out.append(f"{lang}: {msgid!r} placeholders {sorted(fields(entry))} != {sorted(fields(msgid))}")
            continue
        if not isinstance(entry, list) or len(entry) != PLURAL_FORMS[lang] or not all(
            isinstance(f, str) and f for f in entry
        ):
            out.append(f"{lang}: {msgid!r} must be a list of {PLURAL_FORMS[lang]} forms")
            continue
        want = fields(plural) | {"n"}
        for form in entry:
            got = fields(form)
            if got != want:
                out.append(f"{lang}: {msgid!r} form {form!r} placeholders {sorted(got)} != {sorted(want)}")
    for stale in sorted(set(catalogue) - set(wanted)):
        out.append(f"{lang}: {stale!r} is no longer used")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--todo", help="print the missing entries of this language as JSON")
    args = parser.parse_args()
    if args.todo:
        try:
            have = load(args.todo)
        except OSError:
            have = {}
        todo = {k: (v if v is None else [k, v]) for k, v in msgids().items() if k not in have}
        print(json.dumps(todo, ensure_ascii=False, indent=1))
        return 0
    found = [p for lang in LANGUAGES for p in problems(lang)]
    print("\n".join(found) or f"{len(msgids())} strings, all translated in {', '.join(LANGUAGES)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
