"""Listing a library: document keys that can be stored and shown anywhere."""

from addon.polar.library import safe_key


def test_safe_key_keeps_valid_names_and_escapes_undecodable_bytes():
    assert safe_key("1Café") == ("1Café", None)
    key, notice = safe_key(b"1Caf\xe9".decode("utf-8", "surrogateescape"))
    assert key == "1Caf\\xe9" and notice and "not valid UTF-8" in notice
    key.encode("utf-8")  # storable anywhere
