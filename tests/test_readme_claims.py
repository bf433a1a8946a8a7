"""README.md against the code: its Settings table and addon/config.md against
addon/config.json (every key a reader is told about exists, none is left out,
each default the table states is the real one), and the keys of the CLI's
--report JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

from addon.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / "addon" / "config.json").read_text(encoding="utf-8"))


def _table() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(\w+)` \| `([^`]*)` \|", line)
        if match:
            rows[match.group(1)] = json.loads(match.group(2))
    return rows


def test_the_readme_settings_table_names_every_key_with_its_real_default():
    table = _table()
    assert sorted(table) == sorted(CONFIG)  # the same keys
    assert table == CONFIG
    defaults = Settings()
    for key, value in CONFIG.items():
        assert getattr(defaults, key) == value, key


def test_config_md_explains_every_key_and_no_other():
    text = (ROOT / "addon" / "config.md").read_text(encoding="utf-8")
    explained = re.findall(r"^- `(\w+)` — ", text, re.M)
    assert sorted(explained) == sorted(CONFIG)


def test_the_readme_names_every_key_of_the_clis_report_json():
    from addon.sync.report import Report

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    bullet = text.split("* `--report` writes the report as JSON", 1)[1].split("\n* ", 1)[0]
    named = set(re.findall(r"`(\w+)`", bullet))
    assert set(Report().to_dict()) - named == set()
