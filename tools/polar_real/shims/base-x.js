// Stand-in for npm's base-x: base-N encoding of bytes with an alphabet.
'use strict';
module.exports = function basex(ALPHABET) {
  const B = BigInt(ALPHABET.length);
  function encode(src) {
    const buf = Buffer.from(src);
    let zeros = 0;
    while (zeros < buf.length && buf[zeros] === 0) zeros++;
    let n = buf.length ? BigInt('0x' + (buf.toString('hex') || '0')) : 0n;
    let out = '';
    while (n > 0n) { out = ALPHABET[Number(n % B)] + out; n /= B; }
    return ALPHABET[0].repeat(zeros) + out;
  }
  function decode(s) {
    let n = 0n, zeros = 0;
    while (zeros < s.length && s[zeros] === ALPHABET[0]) zeros++;
    for (const c of s) n = n * B + BigInt(ALPHABET.indexOf(c));
    let hex = n === 0n ? '' : n.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
  }
  return { encode, decode };
};
