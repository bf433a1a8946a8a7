"""A note's guid from the Polar card id alone (``identity.guid_for``)."""

from __future__ import annotations

import hashlib

import pytest

from addon.sync.identity import GUID_PREFIX, guid_for


@pytest.mark.parametrize("card_id", [
    "1a2B3c4D5e", "12pJ1Tc7Lq", "x", "a" * 64, "under_score", "da-sh", "A1_-z",  # kept as they are
    "a" * 65, "", "with space", "é", "ｆｕｌｌ", "١٢٣", "tab\t", "a/b", "a:b", "\ud800", "x\n",  # hashed
])
def test_a_plain_id_is_kept_and_anything_else_hashed(card_id):
    plain = 1 <= len(card_id) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in card_id)
    expected = GUID_PREFIX + card_id if plain else \
        GUID_PREFIX + "#" + hashlib.sha1(card_id.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    assert guid_for(card_id) == expected
