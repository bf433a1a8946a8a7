from addon.polar.hashcodes import base58, base58check, create_id, js_stringify, stash_names
from addon.polar.keccak import keccak256


def test_polar_test_vector():
    # Polar's own test of Hashcodes.createID (polar-format.md §1).
    obj = {"fields": {"text": {"MARKDOWN": "This is the text"}}, "created": "2012-03-02T11:38:49.321Z"}
    assert create_id(obj, 10) == "1TPGcJEaas"


def test_base58_keeps_leading_zero_bytes():
    assert base58(b"\x00\x00\x01") == "112"
    assert base58(b"") == ""
    # base58check of a known payload: Bitcoin's address of hash160 0...0.
    assert base58check(bytes(20)) == "1111111111111111111114oLvT2"


def test_js_stringify_is_compact_and_unescaped():
    assert js_stringify({"b": 1, "a": ["é", None, True]}) == '{"b":1,"a":["é",null,true]}'
    assert js_stringify("x\n\u2028") == '"x\\n\u2028"'


def test_create_id_is_keccak_of_the_json():
    digest = keccak256(b'"u:fp"')
    assert create_id("u:fp", 32) == base58check(digest)[:32]


def test_stash_names_filename_key_first_then_hashcode_key():
    info = {"filename": "12XyZabc-paper.pdf", "hashcode": {"enc": "base58check", "alg": "keccak256", "data": "1H"}}
    names = stash_names("uid1", info)
    assert names[0] == "stash/" + create_id({"uid": "uid1", "filename": "12XyZabc-paper.pdf"}, 40) + ".pdf"
    key = {"uid": "uid1", "backend": "stash", "alg": "keccak256", "enc": "base58check", "data": "1H", "suffix": ".pdf"}
    assert "stash/" + create_id(key, 40) + ".pdf" in names
    assert all(len(n) == len("stash/") + 40 + len(".pdf") for n in names)


def test_stash_names_without_a_usable_filename():
    assert stash_names("uid1", {}) == []
    assert stash_names("uid1", {"filename": 3}) == []
    # Upper-case extensions are no extension to Polar.
    assert stash_names("uid1", {"filename": "A.PDF"})[0].endswith(create_id({"uid": "uid1", "filename": "A.PDF"}, 40))
