"""Helpers that exist only to be fast must give the slow answer exactly."""

import json

from hypothesis import given
from hypothesis import strategies as st

from addon.sync.state import _json_list


@given(st.lists(st.text() | st.text(alphabet="0123456789abcdef", min_size=16, max_size=16), max_size=6))
def test_json_list_is_json_dumps(items):
    assert _json_list(tuple(items)) == json.dumps(items)
