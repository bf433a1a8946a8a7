"""Keccak-256 as Ethereum and Polar use it (the original Keccak padding, not
NIST SHA3-256: ``hashlib.sha3_256`` gives different digests).

Polar names the files in its exports with it (``Hashcodes.createID``); the
inputs are short JSON strings, so a plain pure-Python permutation is enough
(a few hundred microseconds per call) and needs no extra dependency.
"""

from __future__ import annotations

from typing import List

_RATE = 136  # bytes: 1600-bit state minus 2 * 256-bit capacity
_MASK = (1 << 64) - 1

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)

# Rho rotation offsets, indexed by lane x + 5 * y.
_ROTATIONS = (
    0, 1, 62, 28, 27,
    36, 44, 6, 55, 20,
    3, 10, 43, 25, 39,
    41, 45, 15, 21, 8,
    18, 2, 61, 56, 14,
)

# Pi: lane (x, y) moves to (y, 2x + 3y); precomputed as source -> target index.
_PI_TARGET = tuple(y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5))
_PI_SOURCE = tuple(x + 5 * y for y in range(5) for x in range(5))


def _permute(a: List[int]) -> None:
    """Keccak-f[1600] on 25 lanes (index x + 5 * y), in place."""
    for rc in _ROUND_CONSTANTS:
        # theta
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        for x in range(5):
            c1 = c[(x + 1) % 5]
            d = c[(x - 1) % 5] ^ (((c1 << 1) | (c1 >> 63)) & _MASK)
            for y in range(0, 25, 5):
                a[x + y] ^= d
        # rho and pi
        b = [0] * 25
        for src, dst in zip(_PI_SOURCE, _PI_TARGET):
            r = _ROTATIONS[src]
            v = a[src]
            b[dst] = ((v << r) | (v >> (64 - r))) & _MASK if r else v
        # chi
        for y in range(0, 25, 5):
            b0, b1, b2, b3, b4 = b[y], b[y + 1], b[y + 2], b[y + 3], b[y + 4]
            a[y] = b0 ^ (~b1 & b2)
            a[y + 1] = b1 ^ (~b2 & b3)
            a[y + 2] = b2 ^ (~b3 & b4)
            a[y + 3] = b3 ^ (~b4 & b0)
            a[y + 4] = b4 ^ (~b0 & b1)
        # iota
        a[0] ^= rc


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of ``data``."""
    return _sponge(data, 0x01)


def _sponge(data: bytes, domain: int) -> bytes:
    # Keccak pads with 0x01 ... 0x80; SHA3-256 differs only in using 0x06,
    # which lets the tests check the permutation against hashlib.sha3_256.
    padded = bytearray(data)
    padded.append(domain)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    state = [0] * 25
    for start in range(0, len(padded), _RATE):
        block = padded[start:start + _RATE]
        for i in range(_RATE // 8):
            state[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _permute(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])
