// Stand-in for npm's base58check 2.0.0: encode(data, prefix = '00', encoding = 'hex').
'use strict';
const crypto = require('crypto');
const bs58 = require('base-x')('123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
const sha = (b) => crypto.createHash('sha256').update(b).digest();
function encode(data, prefix = '00', encoding = 'hex') {
  if (typeof data === 'string') data = Buffer.from(data, encoding);
  if (typeof prefix === 'string') prefix = Buffer.from(prefix, encoding);
  const payload = Buffer.concat([prefix, data]);
  return bs58.encode(Buffer.concat([payload, sha(sha(payload)).slice(0, 4)]));
}
module.exports = { encode };
