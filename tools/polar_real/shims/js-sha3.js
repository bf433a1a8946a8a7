// Stand-in for npm's js-sha3 (not installable here): the original Keccak-256
// (padding 0x01, not SHA3's 0x06), hex out, strings hashed as UTF-8, as
// js-sha3's keccak256 does. Only what Polar's Hashcodes calls.
'use strict';
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n];
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const M = (1n << 64n) - 1n;
const rotl = (x, n) => (n === 0 ? x : ((x << BigInt(n)) | (x >> BigInt(64 - n))) & M);
function f(A) {
  for (let r = 0; r < 24; r++) {
    const C = [0, 1, 2, 3, 4].map((x) => A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20]);
    for (let x = 0; x < 5; x++) {
      const D = C[(x + 4) % 5] ^ rotl(C[(x + 1) % 5], 1);
      for (let y = 0; y < 25; y += 5) A[x + y] ^= D;
    }
    const B = new Array(25);
    for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) {
      B[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(A[x + 5 * y], ROT[x + 5 * y]);
    }
    for (let x = 0; x < 5; x++) for (let y = 0; y < 25; y += 5) {
      A[x + y] = B[x + y] ^ (~B[((x + 1) % 5) + y] & M & B[((x + 2) % 5) + y]);
    }
    A[0] ^= RC[r];
  }
}
const toBytes = (data) => (typeof data === 'string' ? Buffer.from(data, 'utf8')
  : Buffer.from(Array.isArray(data) ? data.map((b) => b & 0xff) : data));
function digest(bytes) {
  const rate = 136;
  const padLen = rate - (bytes.length % rate);
  const pad = Buffer.alloc(padLen);
  pad[0] |= 0x01; pad[padLen - 1] |= 0x80;
  bytes = Buffer.concat([bytes, pad]);
  const A = new Array(25).fill(0n);
  for (let off = 0; off < bytes.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) A[i] ^= bytes.readBigUInt64LE(off + 8 * i);
    f(A);
  }
  const out = Buffer.alloc(32);
  for (let i = 0; i < 4; i++) out.writeBigUInt64LE(A[i], 8 * i);
  return out;
}
const keccak256 = (data) => digest(toBytes(data)).toString('hex');
// the streaming form Hashcodes.createRandomID uses: update()*, then array()
keccak256.create = () => {
  const parts = [];
  const h = {
    update(data) { parts.push(toBytes(data)); return h; },
    array() { return Array.from(digest(Buffer.concat(parts))); },
    hex() { return digest(Buffer.concat(parts)).toString('hex'); },
  };
  return h;
};
module.exports = { keccak256 };
