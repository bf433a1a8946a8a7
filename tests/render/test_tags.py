from __future__ import annotations

from addon.render.tags import anki_tags, clean_tag, polar_label_to_tag
from addon.settings import Settings

DEFAULT = Settings()


def test_marker_tag_always_added() -> None:
    assert anki_tags([], [], DEFAULT) == ["polar"]
    assert anki_tags([], [], Settings(marker_tag="from polar")) == ["from_polar"]
    assert anki_tags(["x"], [], Settings(marker_tag="")) == ["x"]


def test_deck_tags_are_not_copied() -> None:
    assert anki_tags(["deck:compsci/linux", "Deck:Other"], ["deck:x"], DEFAULT) == ["polar"]


def test_spaces_become_underscores() -> None:
    assert anki_tags(["machine learning", " two  words "], [], DEFAULT) == [
        "machine_learning",
        "polar",
        "two_words",
    ]


def test_folders_become_hierarchies() -> None:
    assert anki_tags(["/compsci/linux", "//a//b/"], [], DEFAULT) == ["a::b", "compsci::linux", "polar"]


def test_folder_prefix() -> None:
    settings = Settings(folder_tag_prefix="Polar folders")
    assert anki_tags(["/compsci/linux", "plain"], [], settings) == [
        "plain",
        "polar",
        "Polar_folders::compsci::linux",
    ]


def test_typed_tags_are_kept() -> None:
    assert anki_tags(["type:book", "author:Jane Doe"], [], DEFAULT) == [
        "author:Jane_Doe",
        "polar",
        "type:book",
    ]


def test_forbidden_characters_stripped() -> None:
    assert anki_tags(['say "hi"', "tab\there", "bell\x07", '"'], [], DEFAULT) == [
        "bell",
        "polar",
        "say_hi",
        "tab_here",
    ]


def test_empty_hierarchy_parts_collapse() -> None:
    assert clean_tag("::a::::b::") == "a::b"
    assert clean_tag("a:: ::b") == "a::_::b"
    assert clean_tag("::") == ""


def test_copy_tags_off_keeps_only_the_marker() -> None:
    assert anki_tags(["book"], ["card"], Settings(copy_tags=False)) == ["polar"]


def test_card_tags_are_copied_too() -> None:
    assert anki_tags(["book"], ["important"], DEFAULT) == ["book", "important", "polar"]


def test_never_a_polar_guid_tag() -> None:
    assert anki_tags(["polar_guid:1abc"], ["POLAR_GUID:2"], DEFAULT) == ["polar"]
    assert anki_tags([], [], Settings(marker_tag="polar_guid:x")) == []


def test_sorted_and_unique_ignoring_case() -> None:
    tags = anki_tags(["Zeta", "alpha", "Physics"], ["physics", "ALPHA", "beta"], DEFAULT)
    assert tags == ["alpha", "beta", "Physics", "polar", "Zeta"]
    # deterministic: the same input always gives the same list
    assert anki_tags(["Zeta", "alpha", "Physics"], ["physics", "ALPHA", "beta"], DEFAULT) == tags


def test_label_conversion_edge_cases() -> None:
    assert polar_label_to_tag("   ") is None
    assert polar_label_to_tag("/", "prefix") is None
    assert polar_label_to_tag("a/b") == "a/b"  # only a leading "/" marks a folder


def test_memoised_result_is_not_shared_mutably() -> None:
    first = anki_tags(["x"], [], DEFAULT)
    first.append("mutated")
    assert anki_tags(["x"], [], DEFAULT) == ["polar", "x"]


def test_settings_changes_are_honoured_despite_memoising() -> None:
    assert anki_tags(["/a"], [], DEFAULT) == ["a", "polar"]
    assert anki_tags(["/a"], [], Settings(folder_tag_prefix="f")) == ["f::a", "polar"]
    assert anki_tags(["/a"], [], Settings(marker_tag="m")) == ["a", "m"]
