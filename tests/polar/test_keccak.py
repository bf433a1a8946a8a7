import hashlib
import random

import pytest

from addon.polar.keccak import _sponge, keccak256

# Published Keccak-256 digests (Ethereum's keccak256, the pre-SHA3 padding).
KNOWN = {
    b"": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    b"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    b"The quick brown fox jumps over the lazy dog":
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
}


@pytest.mark.parametrize("data", list(KNOWN))
def test_known_digests(data):
    assert keccak256(data).hex() == KNOWN[data]


def test_not_sha3():
    assert keccak256(b"abc") != hashlib.sha3_256(b"abc").digest()


@pytest.mark.parametrize("length", [0, 1, 135, 136, 137, 271, 272, 273, 1000])
def test_permutation_matches_sha3_with_sha3_padding(length):
    # SHA3-256 is the same sponge with another domain byte: checks the
    # permutation on every block boundary against hashlib.
    data = random.Random(length).randbytes(length)
    assert _sponge(data, 0x06) == hashlib.sha3_256(data).digest()
