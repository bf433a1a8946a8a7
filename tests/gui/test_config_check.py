"""The settings check of Anki's JSON editor (addon/gui/config_check.py):
pure Python, the sentences in English (no Anki language set)."""

from __future__ import annotations

import json

import pytest

from addon.gui import config_check


@pytest.mark.parametrize("typed", ["Infinity", "-Infinity", "1e999", "NaN"])
def test_a_number_json_cannot_hold_in_a_whole_number_setting_is_a_sentence(typed):
    """Python's JSON reads Infinity, -Infinity and NaN (and 1e999 as
    infinity): a whole-number setting given one raised OverflowError in the
    check, an error box at the editor's OK, and at each profile's open once
    the config held it; the sentence naming the key instead."""
    for key in ("watch_debounce_ms", "max_image_bytes"):
        conf, problems, _ = config_check.parse(f'{{"{key}": {typed}}}')
        assert len(problems) == 1, problems
        assert problems[0].startswith(f"“{key}” must be a whole number of 0 or more, not ")


def test_a_share_beyond_its_range_or_not_a_number_is_named():
    for typed in ("Infinity", "NaN", "1.5", '"0.2"', "true"):
        _, problems, _ = config_check.parse(f'{{"delete_max_share": {typed}}}')
        assert problems == [f"“delete_max_share” must be a number from 0 to 1 (0.2 means 20 %), not "
                            f"{json.dumps(json.loads(typed))}."], typed


def test_each_kind_of_setting_gets_its_own_sentence_naming_the_key():
    problems = config_check.problems({
        "no_such_setting": 1, "deck_strategy": "decks", "watch": "yes", "watch_debounce_ms": 2.5,
        "default_deck": 3, "marker_tag": "two words", "max_image_bytes": 2 * 1024 ** 3,
    })
    assert problems == [
        "“no_such_setting” is not a Polar Sync setting; remove it or check its spelling.",
        '“deck_strategy” cannot be "decks"; choose one of: "tag", "document".',
        "“watch” must be true or false (without quotes), not \"yes\".",
        "“watch_debounce_ms” must be a whole number of 0 or more, not 2.5.",
        "“default_deck” must be text in quotes, not 3.",
        "“marker_tag” must be a single tag, without spaces or quotes.",
        "“max_image_bytes” can be at most 1073741824.",
    ]
    # Choices as the settings read them: " Tag " is "tag".
    assert config_check.problems({"deck_strategy": " Tag "}) == []
    assert config_check.parse('{"deck_strategy": " Tag "}')[0] == {"deck_strategy": "tag"}


def test_a_windows_path_typed_with_single_backslashes_is_read_as_a_path():
    typed = r'{"data_dir": "C:\Users\me\notes\.polar", "watch": true}'
    conf, problems, repaired = config_check.parse(typed)
    assert (conf, problems, repaired) == ({"data_dir": "C:\\Users\\me\\notes\\.polar", "watch": True}, [],
                                          ["data_dir"])
    # Written with pairs already: left as it is, nothing said.
    assert config_check.parse(json.dumps({"data_dir": "C:\\Users\\me"})) == ({"data_dir": "C:\\Users\\me"}, [], [])


def test_bad_json_and_a_list_are_one_sentence():
    _, problems, _ = config_check.parse('{"watch": true,\n "sync_on_startup": }')
    assert len(problems) == 1 and problems[0].startswith("The settings are not valid JSON (line 2): ")
    assert config_check.parse("[1, 2]") == ({}, ["The settings must be one JSON object."], [])
