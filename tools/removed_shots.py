"""Screenshots of the report window after cards were deleted in Polar, in
real Anki, to look at (not for docs/): its headline says what became of the
notes ("2 notes suspended (their cards were deleted in Polar)"), the tree
says it short, and a section says where they are, how to keep one and which
setting decides; with the default setting and with "Only tag it", each
400 px wide, light and night, English and German (or English and the
languages named after OUT_DIR). Also the tree opened on a note's row.

    .venv/bin/python tools/removed_shots.py OUT_DIR [LANG …]   (after make build)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402
import headlines_shots  # noqa: E402
import words_shots  # noqa: E402


def main() -> None:
    from tests.polar_factory import Doc, basic

    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    docs: Dict[str, Any] = {}

    def books(library: Path) -> None:
        book = docs["book"] = Doc(library, "1ShotRemoved0000001", "Spaced repetition", tags=["deck:Memory"])
        book.card("1ShotRmCard1", basic("<p>What spaces reviews out?</p>", "<p>The scheduler.</p>"), page=4)
        book.card("1ShotRmCard2", basic("<p>Who wrote on forgetting?</p>", "<p>Ebbinghaus.</p>"), page=9)
        book.card("1ShotRmCard3", basic("<p>What is a lapse?</p>", "<p>A forgotten review.</p>"), page=12)
        book.write()

    with anki_harness.sample_session("polar-sync-removed-", books) as (session, _):
        book = docs["book"]
        book.delete_card("1ShotRmCard1")
        book.delete_card("1ShotRmCard2")
        book.write()
        suspended = headlines_shots._run(session, "Sync from Polar").report.to_dict()
        print("sync, suspended:", suspended.get("orphaned"), suspended.get("removed_as"))
        runner = session.controller.runner
        before = runner.finished_count
        session.set_config(deletion_policy="tag")  # (a new setting syncs: its sync done first)
        try:
            session.wait_until(lambda: runner.finished_count > before and not runner.busy, 20, "the setting's sync")
        except TimeoutError:
            pass  # (no sync for this setting)
        book.delete_card("1ShotRmCard3")
        book.write()
        tagged = headlines_shots._run(session, "Sync from Polar").report.to_dict()
        print("sync, tagged:", tagged.get("orphaned"), tagged.get("removed_as"))
        reports = [("suspend", "manual", suspended), ("tag", "manual", tagged)]
        langs = sys.argv[2:] or ["de"]
        written = words_shots.in_each_language(
            session, lambda lang: headlines_shots._shots(session, out, lang, reports, "removed"), langs)
    print("wrote " + ", ".join(p.name for p in written))


if __name__ == "__main__":
    main()
