"""Polar Sync beside the other add-ons a person has installed (5-20 are
usual), in real Anki: neighbours written as real add-on folders that Anki's
own loader loads before and after ``polar_sync`` (one appends to every card,
one wraps it, one raises in its hooks, one runs its own CollectionOp at
profile open while the startup sync runs, tags what other operations add,
and resets the main window over and over during a sync), the real "Edit Field
During Review (Cloze)" when its source is here, and Anki's stock Image
Occlusion and type-in-the-answer notes in the Polar deck
(neighbours_driver.py, a process of its own).

Edit Field During Review's source is not part of this project: the test
takes it from ``$POLAR_SYNC_EFDRC`` (its ``src/addon`` folder, with its
``ankiaddonconfig`` in place) or from git copies of
BlueGreenMagick/Edit-Field-During-Review-Cloze and ankiaddonconfig
(``$POLAR_SYNC_EFDRC_GIT``, default the workplace's mirrors); without them
the neighbours run alone."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any, Dict

import pytest

pytestmark = [pytest.mark.anki, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MIRRORS = Path("/work/.mirror")


def _git_export(git_dir: Path, what: str, dest: Path) -> None:
    archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", "HEAD", *([what] if what else [])],
                             capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest)


def _efdrc(tmp: Path) -> str:
    given = os.environ.get("POLAR_SYNC_EFDRC")
    if given and (Path(given) / "reviewer.py").is_file():
        return given
    base = Path(os.environ.get("POLAR_SYNC_EFDRC_GIT", MIRRORS))
    addon_git = base / "BlueGreenMagick+Edit-Field-During-Review-Cloze" / "repo"
    config_git = base / "BlueGreenMagick+ankiaddonconfig" / "repo"
    if not addon_git.exists() or not config_git.exists():
        return "-"
    _git_export(addon_git, "src/addon", tmp)
    folder = tmp / "src" / "addon"
    _git_export(config_git, "", folder / "ankiaddonconfig")  # (a git submodule there)
    return str(folder)


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    tmp = tmp_path_factory.mktemp("neighbours")
    addon_file = tmp / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    result = tmp / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("neighbours_driver.py")), str(tmp / "anki-base"),
         str(tmp / "polar"), str(addon_file), _efdrc(tmp / "efdrc"), str(result)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert run.returncode == 0 and result.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    data = json.loads(result.read_text(encoding="utf-8"))
    assert data["log"] == [], "\n".join(data["log"])
    return dict(data["facts"])


def test_the_startup_sync_and_a_neighbours_own_operation_at_profile_open_both_land(facts):
    start = facts["startup"]
    assert start["errors"] == [] and start["created"] == 1 and start["polar_notes"] == 1
    # The neighbour's op started with our startup sync under way (asked for by our profile_did_open, before its).
    assert ["op", "started", True] in start["op"]
    assert ["op", "done"] in start["op"] and start["neighbour_note"] == 1
    menu = start["menu"]
    assert {"Neighbour Before", "Neighbour After", "Neighbour After Too", "Sync from Polar"} <= set(menu)
    assert menu.count("Sync from Polar") == 1


def test_every_neighbours_change_to_the_answer_stays_and_the_open_control_is_there(facts):
    pages = facts["reviewer"]
    # [our controls, the appended line, the wrapper, the page's own line]
    assert pages["ours"] == [1, 1, 1, True]
    assert pages["io"][:3] == [0, 1, 1] and pages["io"][3] is True, "an IO answer: the neighbours', none of ours"
    assert pages["typed"][0] == 0 and pages["typed"][1] > 0 and pages["typed"][2] == 1
    if "385888438" in facts["neighbours"]:
        assert pages["efdrc_script"] is True
    assert pages["keys"]["Shift+O"] == 1 and pages["keys"]["Shift+P"] == 1
    # Anki's loader, folder-name order: ours between the neighbours, as on a person's computer.
    order = [m for m in pages["order"] if m in ("0_neigh_before", "polar_sync.gui.source_link", "zz_neigh_after")]
    assert order == ["0_neigh_before", "polar_sync.gui.source_link", "zz_neigh_after"]


def test_a_neighbour_that_raises_is_dropped_by_anki_and_ours_goes_on(facts):
    assert facts["reviewer"]["raised"] == "a neighbour's bug in card_will_show"
    messages = facts["messages"]
    assert messages["raise"] is True
    left = messages["hooks_left"]
    for hooks in left.values():
        assert "zy_neigh_raiser" not in hooks and "polar_sync.gui.source_link" in hooks
    assert messages["opened_page"] == 3, "the open control still opens the document at its page"


def test_each_add_on_answers_its_own_pycmd_and_passes_on_the_rest(facts):
    messages = facts["messages"]
    assert messages["nb-before:hi"] == [True, "before-answered"]
    assert messages["nb-after:hi"] == [True, "after-answered"]
    assert messages["unknown"] == [False, "x"], "a message nobody knows comes back as it was given"
    seen = facts["seen"]
    assert ["js", "nb-before:from-page"] in seen["before"] and ["js", "nb-after:from-page"] in seen["after"]


def test_edit_field_during_reviews_reload_keeps_the_control(facts):
    if facts["efdrc"] is None:
        pytest.skip("Edit Field During Review's source is not here")
    assert facts["efdrc"] == {"handled": [True, None], "controls": 1}


def test_syncs_while_a_neighbour_resets_the_window_and_tags_new_notes_change_nothing_twice(facts):
    storm = facts["storm"]
    assert storm["resets"] > 0
    assert storm["first"]["errors"] == [] and storm["first"]["created"] == 30
    # The tagging neighbour's tag on every Polar note is kept, and the next sync has nothing to do.
    assert storm["polar_notes"] == 31 and storm["tagged_polar"] == 31
    assert storm["second"] == {"created": 0, "updated": 0, "errors": [], "codes": []}


def test_a_polar_answer_edited_in_the_reviewer_by_edit_field_during_review_stays_and_syncs_quietly(facts):
    if facts["efdrc_edit"] is None:
        pytest.skip("Edit Field During Review's source is not here")
    edit = facts["efdrc_edit"]
    assert edit["controls_in_editable_field"] == 1, "the open control inside its editable field"
    saved = edit["saved"]
    assert saved.startswith("<p>A fence, mended.</p>") and saved.count('class="polar-context"') == 1
    for name in ("first", "second"):
        run = edit[name]
        assert (run["created"], run["updated"], run["errors"], run["conflicts"]) == (0, 0, [], []), name
        assert run["back"] == saved, "the person's edit and the context block, as saved"


def test_a_neighbour_raising_in_operation_did_execute_as_our_sync_ends_leaves_the_next_sync_working(facts):
    """Anki runs the sync's success before the hook (``CollectionOp``: success,
    then ``on_op_finished`` in ``finally``), so the runner is done when the
    neighbour's exception reaches Anki's error box; Anki drops that hook."""
    out = facts["op_raise"]
    assert out["op_raised"] == [["op-raised", "SyncRunner"]] and out["hook_dropped"] is True
    assert out["raised"] == {"created": 1, "updated": 0, "errors": [], "codes": []}
    assert out["next"] == {"created": 1, "updated": 0, "errors": [], "codes": []}
    assert out["runner_idle"] is True
